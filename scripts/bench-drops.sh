#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Drop recording benchmark: one VM run; the module's records against the
# kernel's trace event and the BPF tracer, per-drop cost and burst loss, and
# the module's cost without drops (see qemu-tests/bench/drops-bench.sh).
# Prints ratios; not a test: nothing is asserted about time.
source "$(dirname "$0")/common.sh"
cd "$NFSCOPE_ROOT"
KDIR=${KDIR:-$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)}
export KDIR
"$NFSCOPE_ROOT/scripts/build-module.sh" >/dev/null
cargo build --release -q
mkdir -p out/bench
cc -O2 -Wall -o out/bench/netbench qemu-tests/bench/netbench.c
# One vCPU: the producer, the drain and the reader share it, as they
# would share a busy CPU. -icount: the guest's clock counts the
# instructions it runs (1 ns each), so time measured in the guest is its
# own work, not the host's load (which moved wall-clock medians by 2x here).
NFSCOPE_VM_CPUS=${NFSCOPE_VM_CPUS:-1} NFSCOPE_VM_QEMU_OPTS=${NFSCOPE_VM_QEMU_OPTS--icount shift=0,sleep=off} \
	NFSCOPE_VM_TIMEOUT=${NFSCOPE_VM_TIMEOUT:-1800} \
	"$NFSCOPE_ROOT/scripts/vm-run.sh" out/bench/drops "$NFSCOPE_ROOT/qemu-tests/bench/drops-bench.sh" \
	"$NFSCOPE_ROOT/out/bench/netbench" || { tail -n 30 out/bench/drops/console.log; die "benchmark failed"; }
grep -P '^(drop|stream|rr|burst)\t|records shown' out/bench/drops/console.log
sed -n "/^median of 3 rounds/,/round trip/p" out/bench/drops/console.log
