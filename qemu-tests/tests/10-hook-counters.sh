#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Foundation: per-netns, per-family, per-hook counters match real traffic
# between two namespaces (TCP, UDP, ICMP over IPv4 and IPv6), for a namespace
# that existed before load and one created after; runtime disable/enable over
# netlink; procfs agrees with netlink; unload removes every hook and view.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip ping nft

step "namespace a exists before the module is loaded"
make_ns a
load_module
[ -r /proc/net/nfscope/status ] || fail "/proc/net/nfscope/status missing in init_net"
ip netns exec a cat /proc/net/nfscope/status >/dev/null || fail "no status in a namespace created before load"

step "namespace b is created after load"
make_ns b
link_ns a b 1
ip netns exec b test -r /proc/net/nfscope/status || fail "no status in a namespace created after load"

sa=$(status_json a)
sb=$(status_json b)
[ "$(json_field "$sa" netns_inode)" != "$(json_field "$sb" netns_inode)" ] || fail "a and b report the same netns inode"
[ "$(json_field "$sb" hooks_enabled)" = True ] || fail "hooks not enabled by default"
assert_cmp "$(json_field "$sb" netns_count)" -ge 3 "namespaces tracked (init_net, a, b)"

# delta NS_BEFORE NS_AFTER FAMILY HOOK: packets counted in between.
delta() { echo $(( $(counter "$2" "$3" "$4" packets) - $(counter "$1" "$3" "$4" packets) )); }

# check_exchange FAMILY PACKETS: what a->b traffic of PACKETS packets each way must show.
check_exchange() {
	local fam=$1 n=$2 a1 b1
	a1=$(status_json a)
	b1=$(status_json b)
	for hook in PRE_ROUTING LOCAL_IN; do
		assert_cmp "$(delta "$b0" "$b1" "$fam" "$hook")" -ge "$n" "b $fam $hook packets after $what"
		assert_cmp "$(delta "$a0" "$a1" "$fam" "$hook")" -ge "$n" "a $fam $hook packets (replies) after $what"
	done
	for hook in LOCAL_OUT POST_ROUTING; do
		assert_cmp "$(delta "$a0" "$a1" "$fam" "$hook")" -ge "$n" "a $fam $hook packets after $what"
		assert_cmp "$(delta "$b0" "$b1" "$fam" "$hook")" -ge "$n" "b $fam $hook packets (replies) after $what"
	done
	assert_cmp "$(delta "$b0" "$b1" "$fam" FORWARD)" -eq 0 "b $fam FORWARD packets (nothing is forwarded)"
	local other=ipv6
	[ "$fam" = ipv6 ] && other=ipv4
	assert_cmp "$(delta "$b0" "$b1" "$other" LOCAL_IN)" -lt "$n" "b $other LOCAL_IN moved with $fam-only traffic"
	local bytes=$(( $(counter "$b1" "$fam" LOCAL_IN bytes) - $(counter "$b0" "$fam" LOCAL_IN bytes) ))
	assert_cmp "$bytes" -ge $((n * 28)) "b $fam LOCAL_IN bytes after $what"
}

for fam in ipv4 ipv6; do
	if [ $fam = ipv4 ]; then addr=198.18.1.2; else addr=2001:db8:1::2; fi

	what="20 ICMP echo requests ($fam)"; step "$what"
	a0=$(status_json a); b0=$(status_json b)
	ip netns exec a ping -q -c 20 -i 0.05 -W 2 "$addr" >/dev/null || fail "ping $addr"
	check_exchange $fam 20

	what="30 UDP datagrams ($fam)"; step "$what"
	a0=$(status_json a); b0=$(status_json b)
	traffic a udp --server-ns b --client-ns a --addr "$addr" --port 5001 --count 30 || fail "$what"
	b1=$(status_json b)
	assert_cmp "$(delta "$b0" "$b1" $fam LOCAL_IN)" -ge 30 "b $fam LOCAL_IN after $what"
	assert_cmp "$(delta "$a0" "$(status_json a)" $fam LOCAL_OUT)" -ge 30 "a $fam LOCAL_OUT after $what"

	what="TCP stream of 200 kB ($fam)"; step "$what"
	a0=$(status_json a); b0=$(status_json b)
	traffic a tcp --server-ns b --client-ns a --addr "$addr" --port 5002 --count 200 --size 1000 || fail "$what"
	# Handshake, data and teardown: at least SYN + ACK + FIN each way.
	check_exchange $fam 3
	b1=$(status_json b)
	bytes=$(( $(counter "$b1" $fam LOCAL_IN bytes) - $(counter "$b0" $fam LOCAL_IN bytes) ))
	assert_cmp "$bytes" -ge 200000 "b $fam LOCAL_IN bytes after $what"
done

step "procfs shows the same counters as netlink"
sb=$(status_json b)
proc_line=$(ip netns exec b cat /proc/net/nfscope/status | awk '$1 == "ipv4" && $2 == "LOCAL_IN" {print $3}')
nl=$(counter "$sb" ipv4 LOCAL_IN packets)
# No traffic in between: both reads are of the same counter at rest.
assert_cmp "$proc_line" -eq "$nl" "procfs ipv4 LOCAL_IN packets vs netlink"

step "hooks disabled at runtime in b stop b's counting, not a's"
ip netns exec b "$NFSCOPE_BIN" config --hooks off || fail "config --hooks off"
b0=$(status_json b); a0=$(status_json a)
[ "$(json_field "$b0" hooks_enabled)" = False ] || fail "hooks_enabled still true after config --hooks off"
ip netns exec a ping -q -c 10 -i 0.05 -W 2 198.18.1.2 >/dev/null || fail "ping with hooks off"
assert_cmp "$(delta "$b0" "$(status_json b)" ipv4 LOCAL_IN)" -eq 0 "b counted with hooks off"
assert_cmp "$(delta "$a0" "$(status_json a)" ipv4 LOCAL_OUT)" -ge 10 "a stopped counting when only b was disabled"
ip netns exec b "$NFSCOPE_BIN" config --hooks on || fail "config --hooks on"
b0=$(status_json b)
ip netns exec a ping -q -c 5 -i 0.05 -W 2 198.18.1.2 >/dev/null || fail "ping with hooks on"
assert_cmp "$(delta "$b0" "$(status_json b)" ipv4 LOCAL_IN)" -ge 5 "b counting after config --hooks on"

step "the module's hooks are listed while loaded"
ip netns exec b nft list hooks >"$NFSCOPE_OUT/hooks-loaded.txt" || fail "nft list hooks"
grep -q nfscope "$NFSCOPE_OUT/hooks-loaded.txt" || fail "nft list hooks shows no nfscope hook while loaded"

step "unload removes every hook and view"
unload_module
for ns in a b; do
	ip netns exec $ns test ! -e /proc/net/nfscope || fail "/proc/net/nfscope left in $ns after unload"
	ip netns exec $ns nft list hooks >"$NFSCOPE_OUT/hooks-unloaded-$ns.txt"
	! grep -q nfscope "$NFSCOPE_OUT/hooks-unloaded-$ns.txt" || fail "nfscope hook left in $ns after unload"
done
out=$(nfscope status 2>&1) && fail "status succeeded without the module"
grep -q "module not loaded" <<<"$out" || fail "status without module says: $out"
ip netns exec a ping -q -c 3 -i 0.05 -W 2 198.18.1.2 >/dev/null || fail "traffic after unload"
echo "PASS $TEST_NAME"
