#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (see scripts/vm-run.sh): run SCRIPT, then save its exit
# status and the kernel log to OUTDIR. On a kernel with kmemleak, the module
# is unloaded if the scenario left it loaded, memory is scanned twice, and any
# leak whose backtrace names nfscope or lies in memory the module occupied
# fails the scenario (report in OUTDIR/kmemleak.txt).
out=$1
script=$2
shift 2
export NFSCOPE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NFSCOPE_OUT=$out
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Settings vm-run.sh passes (NFSCOPE_KO: the module built for this kernel).
[ -f "$out/env" ] && set -a && . "$out/env" && set +a
cd /tmp
bash "$script" "$@"
rc=$?

# kmemleak_check: 0 unless a leak report names the module.
kmemleak_check() {
	local k=/sys/kernel/debug/kmemleak ranges=$out/module-ranges
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -e "$k" ] || return 0
	[ -s "$ranges" ] || return 0
	if grep -q '^nfscope ' /proc/modules && ! rmmod nfscope; then
		echo "FAIL kmemleak: the scenario left nfscope loaded and it does not unload" >&2
		return 1
	fi
	# Objects younger than 5 s are not reported; two scans as kmemleak's
	# documentation advises.
	sleep 5
	echo scan >"$k"
	echo scan >"$k"
	cat "$k" >"$out/kmemleak.txt"
	python3 - "$out/kmemleak.txt" "$ranges" <<'PY'
import re, sys
ranges = [(int(a, 16), int(a, 16) + int(n)) for a, n in (l.split() for l in open(sys.argv[2]))]
leaks = open(sys.argv[1]).read().split("unreferenced object")[1:]
ours = []
for leak in leaks:
    addrs = [int(a, 16) for a in re.findall(r"\[<([0-9a-f]+)>\]", leak)]
    addrs += [int(a, 16) for a in re.findall(r"\b0x(ffff[0-9a-f]{12})\b", leak)]
    if "nfscope" in leak or any(lo <= a < hi for a in addrs for lo, hi in ranges):
        ours.append(leak)
print(f"kmemleak: {len(leaks)} suspected leaks, {len(ours)} of nfscope.ko")
for leak in ours:
    print("FAIL kmemleak: unreferenced object" + leak, file=sys.stderr)
sys.exit(1 if ours else 0)
PY
}
kmemleak_check || { [ "$rc" = 0 ] && rc=1; }

dmesg >"$out/dmesg.log" 2>&1
echo "$rc" >"$out/rc"
sync
exit "$rc"
