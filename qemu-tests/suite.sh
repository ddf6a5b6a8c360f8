#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside one VM: several scenarios one after the other. For the debug
# kernel, where a boot alone takes minutes under TCG, scripts/vm-test.sh runs
# its scenarios this way instead of one VM each.
#
#   qemu-tests/suite.sh SCENARIO...      (through scripts/vm-run.sh)
#
# Each scenario gets its own directory NFSCOPE_OUT/<name>/ and session, a
# timeout (its "# vm-timeout:" times NFSCOPE_SUITE_SLOWDOWN), then the same
# checks a VM of its own gets: its kernel log (<name>/dmesg.log) must hold
# no trouble (qemu-tests/lib/trouble.sh) and kmemleak must find nothing of
# the module. The VM is then reset for the next scenario: leftover processes
# killed, module unloaded, namespaces deleted, nft flushed, tracefs events
# off, nfscope's trace change log removed. <name>/rc holds the verdict; the
# suite fails if any scenario does.
source "$NFSCOPE_ROOT/qemu-tests/lib/trouble.sh"
source "$NFSCOPE_ROOT/qemu-tests/lib/kmemleak.sh"
suite_out=$NFSCOPE_OUT
slowdown=${NFSCOPE_SUITE_SLOWDOWN:-1}
failed=0

reset_vm() {
	grep -q '^nfscope ' /proc/modules && rmmod nfscope
	ip -all netns delete 2>/dev/null
	nft flush ruleset 2>/dev/null
	conntrack -F >/dev/null 2>&1
	local t=/sys/kernel/tracing
	[ -d "$t/events" ] || mount -t tracefs nodev "$t"
	echo 0 >"$t/events/enable"
	rm -rf /run/nfscope
}

for script in "$@"; do
	name=$(basename "$script" .sh)
	dir=$suite_out/$name
	mkdir -p "$dir"
	timeout_s=$(sed -n 's/^# vm-timeout: *\([0-9]\+\)$/\1/p' "$script")
	timeout_s=$(( ${timeout_s:-600} * slowdown ))
	echo "== suite: $name (timeout ${timeout_s} s)"
	start=$SECONDS
	dmesg -C
	NFSCOPE_OUT=$dir setsid timeout -k 10 "$timeout_s" bash "$script" &
	sid=$!
	wait "$sid"
	rc=$?
	((rc == 124 || rc == 137)) && echo "FAIL $name: no verdict within ${timeout_s} s"
	# What the scenario left running (its session) goes before the checks.
	pkill -KILL -s "$sid" 2>/dev/null
	kmemleak_check "$dir" || ((rc)) || rc=1
	dmesg >"$dir/dmesg.log"
	if bad=$(nfscope_trouble "$dir/dmesg.log"); then
		echo "FAIL $name: the kernel logged trouble:"
		printf '%s\n' "$bad" | head -n 20
		((rc)) || rc=1
	fi
	reset_vm
	echo "$rc" >"$dir/rc"
	echo "suite: $name rc=$rc ($((SECONDS - start)) s)"
	((rc == 0)) || failed=$((failed + 1))
done
exit $((failed > 0))
