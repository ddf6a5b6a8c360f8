# SPDX-License-Identifier: GPL-2.0
# kmemleak_check DIR (sourced in the guest): on a kernel with kmemleak, after a
# scenario that loaded the module (DIR/module-ranges, written by load_module):
# unload it if still loaded, scan twice, and fail (return 1) if a leak report
# names nfscope or has a frame in memory the module occupied (an unloaded
# module's frames print as bare addresses). The report goes to DIR/kmemleak.txt.
kmemleak_check() {
	local dir=$1 k=/sys/kernel/debug/kmemleak
	[ -e "$k" ] || return 0
	[ -s "$dir/module-ranges" ] || return 0
	if grep -q '^nfscope ' /proc/modules && ! rmmod nfscope; then
		echo "FAIL kmemleak: the scenario left nfscope loaded and it does not unload" >&2
		return 1
	fi
	# Objects younger than 5 s are not reported; two scans, as kmemleak's
	# documentation advises.
	sleep 5
	echo scan >"$k"
	echo scan >"$k"
	cat "$k" >"$dir/kmemleak.txt"
	echo clear >"$k"
	python3 - "$dir/kmemleak.txt" "$dir/module-ranges" <<'PY'
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

# kmemleak_setup: debugfs mounted; no automatic scans (a scan of all memory
# under TCG takes the guest's only vCPU for a long time; the checks scan).
kmemleak_setup() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -e /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak
	return 0
}
