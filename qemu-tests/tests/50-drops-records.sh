#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Drops: an nft rule `drop` in an input chain of `table inet t` in one
# namespace, and UDP to a closed port: `nfscope drops watch` streams records
# with the kernel's reason name, location, a stack through the dropping path,
# the namespace and the 5-tuple. A TCP SYN to a closed port gives an RST
# record with the reset path's stack. Unprivileged listeners are refused.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft setpriv

ns_pair
load_module
b_inode=$(stat -L -c %i /run/netns/b)
ip netns exec b nft -f - <<'NFT'
table inet t {
	chain input {
		type filter hook input priority 0;
		tcp dport 7777 counter drop
	}
}
NFT

# watch KIND PORT N FILE: records of namespace b and PORT, in the background;
# waits until subscribed. (b also drops its own IPv6 router solicitations.)
watch() {
	drops_watch "$4" --json --netns b --kind "$1" --port "$2" --count "$3"
}

step "three SYNs to a port an nft rule drops"
watch drop 7777 3 "$NFSCOPE_OUT/nft.json"
for _ in 1 2 3; do
	ip netns exec a "$PY" -c 'import socket,sys
try: socket.create_connection(("198.18.1.2", 7777), timeout=0.5)
except OSError: pass'
done
wait $watch_pid || fail "drops watch: $(cat "$NFSCOPE_OUT/nft.json.err")"
cat "$NFSCOPE_OUT/nft.json" | head -n 1
n=0
while read -r rec; do
	n=$((n + 1))
	[ "$(json_path "$rec" "j['type']")" = drop ] || continue
	[ "$(json_path "$rec" "(j['reason_name'], j['protocol'], j['saddr'], j['daddr'], j['dport'], j['tcp_flags'], j['netns'])")" = \
		"('NETFILTER_DROP', 'tcp', '198.18.1.1', '198.18.1.2', 7777, 'S', $b_inode)" ] || fail "record $n: $rec"
	json_path "$rec" "j['location']" | grep -qE '^(nf_hook_slow|nft_do_chain)\+0x' || fail "record $n location: $rec"
	[ "$(json_path "$rec" "any(f.startswith('nf_hook_slow+') for f in j['stack'])")" = True ] ||
		fail "record $n: stack does not go through nf_hook_slow: $rec"
	[ "$(json_path "$rec" "j['schema']")" = 1 ] || fail "record $n: no schema version"
	# Exact attribution: the base chain, its table, hook point and priority.
	[ "$(json_path "$rec" "(j['hook']['class'], j['hook']['hook'], j['hook']['table_family'], j['hook']['table'], j['hook']['chain'], j['hook']['priority'])")" = \
		"('nftables', 'LOCAL_IN', 'inet', 't', 'input', 0)" ] || fail "record $n hook: $rec"
	json_path "$rec" "j['hook']['function']" | grep -q '^nft_do_chain' || fail "record $n hook function: $rec"
	[ "$(json_path "$rec" "any(f.startswith('nft_do_chain') for f in j['stack'])")" = True ] ||
		fail "record $n: stack does not go through nft_do_chain: $rec"
done <"$NFSCOPE_OUT/nft.json"
assert_cmp "$n" -eq 3 "records received"
counted=$(ip netns exec b nft list chain inet t input | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
assert_cmp "$counted" -eq 3 "packets the nft counter saw"

step "UDP to a closed port: NO_SOCKET, not netfilter"
watch drop 9999 1 "$NFSCOPE_OUT/udp.json"
ip netns exec a "$PY" -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("198.18.1.2", 9999))'
wait $watch_pid || fail "drops watch: $(cat "$NFSCOPE_OUT/udp.json.err")"
rec=$(head -n1 "$NFSCOPE_OUT/udp.json")
[ "$(json_path "$rec" "(j['reason_name'], j['protocol'], j['dport'])")" = "('NO_SOCKET', 'udp', 9999)" ] || fail "udp record: $rec"
[ "$(json_path "$rec" "any(f.startswith('nf_hook_slow+') for f in j['stack'])")" = False ] || fail "udp drop attributed to netfilter: $rec"
[ "$(json_path "$rec" "'hook' in j")" = False ] || fail "udp drop attributed to a hook: $rec"

step "TCP SYN to a closed port: an RST record with the reset path's stack"
watch rst 7778 1 "$NFSCOPE_OUT/rst.json"
syn_to_closed_port 7778
wait $watch_pid || fail "drops watch --kind rst: $(cat "$NFSCOPE_OUT/rst.json.err")"
check_rst_record "$NFSCOPE_OUT/rst.json" "$b_inode"

step "conntrack stats: per-CPU rows of /proc/net/stat/nf_conntrack, and deltas"
rows=$(ip netns exec b "$NFSCOPE_BIN" conntrack stats --json)
assert_cmp "$(wc -l <<<"$rows")" -eq "$(nproc)" "conntrack stats rows (one per CPU)"
[ "$(json_path "$(head -n1 <<<"$rows")" "sorted(k for k in j['counters'] if k in ('insert_failed','drop','early_drop'))")" = \
	"['drop', 'early_drop', 'insert_failed']" ] || fail "conntrack stats counters: $(head -n1 <<<"$rows")"
ip netns exec b "$NFSCOPE_BIN" conntrack stats --watch 0.2 --count 1 | tee "$NFSCOPE_OUT/ct.txt"
grep -q "^ *all " "$NFSCOPE_OUT/ct.txt" || fail "conntrack stats --watch: no totals row"

step "listening needs CAP_SYS_ADMIN (records carry raw kernel addresses)"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all timeout 10 "$NFSCOPE_BIN" drops watch 2>&1) &&
	fail "unprivileged drops watch succeeded"
grep -q "needs CAP_SYS_ADMIN" <<<"$out" || fail "unprivileged drops watch: $out"
out=$(capsh --drop=cap_sys_admin -- -c "timeout 10 $NFSCOPE_BIN drops watch" 2>&1) &&
	fail "drops watch without CAP_SYS_ADMIN succeeded"
grep -q "needs CAP_SYS_ADMIN" <<<"$out" || fail "drops watch without CAP_SYS_ADMIN: $out"

step "human output: a header line and an indented stack"
drops_watch "$NFSCOPE_OUT/human.txt" --netns b --port 9999 --count 1
ip netns exec a "$PY" -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("198.18.1.2", 9999))'
wait $watch_pid || fail "drops watch (text)"
cat "$NFSCOPE_OUT/human.txt"
head -n1 "$NFSCOPE_OUT/human.txt" | grep -q "NO_SOCKET at " || fail "text header line"
sed -n 2p "$NFSCOPE_OUT/human.txt" | grep -q '^    [a-z_]' || fail "text stack line"
unload_module
echo "PASS $TEST_NAME"
