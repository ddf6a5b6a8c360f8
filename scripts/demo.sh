#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: install what is missing, build the test kernel, nfscope.ko and
# the CLI, boot the VM and run the demo scenario, printing what nfscope sees.
source "$(dirname "$0")/common.sh"
cd "$NFSCOPE_ROOT"

"$NFSCOPE_ROOT/scripts/install-deps.sh"
KDIR=$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)
export KDIR
"$NFSCOPE_ROOT/scripts/build-module.sh" >/dev/null
cargo build --release --locked
out=$NFSCOPE_ROOT/out/demo
log "booting the test kernel (QEMU TCG) and running qemu-tests/demo/demo.sh"
status=0
"$NFSCOPE_ROOT/scripts/vm-run.sh" "$out" "$NFSCOPE_ROOT/qemu-tests/demo/demo.sh" || status=$?
# The scenario's own output, without the kernel's console lines.
sed -n '/^== /,/^== end of demo/p' "$out/console.log" | grep -vE '^\[ *[0-9]+\.[0-9]+\]'
exit "$status"
