#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (see scripts/vm-run.sh): run SCRIPT, then save its exit
# status and the kernel log to OUTDIR.
out=$1
script=$2
shift 2
export NFSCOPE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NFSCOPE_OUT=$out
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd /tmp
bash "$script" "$@"
rc=$?
dmesg >"$out/dmesg.log" 2>&1
echo "$rc" >"$out/rc"
sync
exit "$rc"
