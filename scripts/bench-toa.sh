#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TOA benchmark: one VM run, module unloaded vs loaded; prints ratios.
# (Not a test: nothing is asserted about time.)
source "$(dirname "$0")/common.sh"
cd "$NFSCOPE_ROOT"
KDIR=${KDIR:-$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)}
export KDIR
"$NFSCOPE_ROOT/scripts/build-module.sh" >/dev/null
mkdir -p out/bench
cc -O2 -Wall -o out/bench/netbench qemu-tests/bench/netbench.c
# One vCPU: the producer, the drain and the reader share it, as they
# would share a busy CPU. -icount: the guest's clock counts the
# instructions it runs (1 ns each), so time measured in the guest is its
# own work, not the host's load (which moved wall-clock medians by 2x here).
NFSCOPE_VM_CPUS=${NFSCOPE_VM_CPUS:-1} NFSCOPE_VM_QEMU_OPTS=${NFSCOPE_VM_QEMU_OPTS--icount shift=0,sleep=off} \
	NFSCOPE_VM_TIMEOUT=${NFSCOPE_VM_TIMEOUT:-1800} \
	"$NFSCOPE_ROOT/scripts/vm-run.sh" out/bench/toa "$NFSCOPE_ROOT/qemu-tests/bench/toa-bench.sh" \
	"$NFSCOPE_ROOT/out/bench/netbench" || { tail -n 30 out/bench/toa/console.log; die "benchmark failed"; }
grep -E '^(unloaded|loaded|toa-only)\s' out/bench/toa/console.log
sed -n '/^median of 3 rounds/,/^extra cost/p' out/bench/toa/console.log
