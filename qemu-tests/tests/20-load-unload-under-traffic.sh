#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Foundation: 50 load/unload cycles while packets flow through every hook of
# two namespaces (and namespaces come and go): no oops or WARN (vm-run.sh scans
# dmesg), no hook or view left behind.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip ping nft

make_ns a
make_ns b
link_ns a b 1

ping_pids=()
ip netns exec a ping -q -i 0.005 -w 600 198.18.1.2 >"$NFSCOPE_OUT/ping4.txt" 2>&1 & ping_pids+=($!)
ip netns exec b ping -q -i 0.005 -w 600 2001:db8:1::1 >"$NFSCOPE_OUT/ping6.txt" 2>&1 & ping_pids+=($!)
trap 'kill "${ping_pids[@]}" 2>/dev/null || true' EXIT

for i in $(seq 1 50); do
	load_module
	# A namespace born and dying while the module is loaded.
	make_ns "tmp$i"
	ip netns exec "tmp$i" cat /proc/net/nfscope/status >/dev/null || fail "cycle $i: no status in new namespace"
	s=$(status_json a) || fail "cycle $i: status in a"
	[ "$(counter "$s" ipv4 LOCAL_IN packets)" -gt 0 ] || [ "$i" -lt 3 ] ||
		fail "cycle $i: no ipv4 LOCAL_IN packets counted in a while pinging"
	ip netns del "tmp$i"
	unload_module
done

for pid in "${ping_pids[@]}"; do kill -0 "$pid" || fail "traffic stopped during the cycles"; done
kill -INT "${ping_pids[@]}"
wait "${ping_pids[@]}" || true
trap - EXIT
for f in ping4 ping6; do
	received=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$NFSCOPE_OUT/$f.txt")
	assert_cmp "${received:-0}" -gt 100 "$f packets received during the cycles"
done

for ns in a b; do
	ip netns exec $ns test ! -e /proc/net/nfscope || fail "/proc/net/nfscope left in $ns"
	! ip netns exec $ns nft list hooks | grep -q nfscope || fail "nfscope hook left in $ns"
done
! lsmod | grep -q '^nfscope' || fail "module still listed"
echo "PASS $TEST_NAME"
