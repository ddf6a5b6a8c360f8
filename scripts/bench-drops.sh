#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Drop monitor benchmark: one VM run, module unloaded vs loaded; prints
# ratios and the cost per drop event. (Not a test: nothing is asserted
# about time.)
source "$(dirname "$0")/common.sh"
cd "$NFSCOPE_ROOT"
KDIR=${KDIR:-$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)}
export KDIR
"$NFSCOPE_ROOT/scripts/build-module.sh" >/dev/null
cargo build --release -q
mkdir -p out/bench
cc -O2 -Wall -o out/bench/netbench qemu-tests/bench/netbench.c
NFSCOPE_VM_TIMEOUT=${NFSCOPE_VM_TIMEOUT:-1200} \
	"$NFSCOPE_ROOT/scripts/vm-run.sh" out/bench/drops "$NFSCOPE_ROOT/qemu-tests/bench/drops-bench.sh" \
	"$NFSCOPE_ROOT/out/bench/netbench" || { tail -n 30 out/bench/drops/console.log; die "benchmark failed"; }
sed -n '/^median of 3 rounds/,/^cost per drop event/p' out/bench/drops/console.log
