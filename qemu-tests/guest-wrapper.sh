#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (see scripts/vm-run.sh): run SCRIPT, then save its exit
# status and the kernel log to OUTDIR. On a kernel with kmemleak, a leak the
# module left fails the run (qemu-tests/lib/kmemleak.sh).
out=$1
script=$2
shift 2
export NFSCOPE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NFSCOPE_OUT=$out
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Settings vm-run.sh passes (NFSCOPE_KO: the module built for this kernel).
[ -f "$out/env" ] && set -a && . "$out/env" && set +a
. "$NFSCOPE_ROOT/qemu-tests/lib/kmemleak.sh"
kmemleak_setup
cd /tmp
bash "$script" "$@"
rc=$?
kmemleak_check "$out" || { [ "$rc" = 0 ] && rc=1; }

dmesg >"$out/dmesg.log" 2>&1
echo "$rc" >"$out/rc"
sync
exit "$rc"
