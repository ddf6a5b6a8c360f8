#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TOA: the table lists a connection while it is open and forgets it after
# close; a trust list that excludes the sender keeps the wire peer and counts
# it; malformed options are counted and harm no other connection; captures
# decode offline and the generated tcpdump filter matches them; unloading
# with connections open is safe and gives back the wire peer.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft tcpdump setpriv

toa_setup
load_module
T200=c8089c40cb007107   # kind 200: 203.0.113.7:40000
stat() { json_path "$(ip netns exec be "$NFSCOPE_BIN" toa stats --json)" "dict(j['counters'])['$1']"; }
be() { ip netns exec be "$NFSCOPE_BIN" "$@"; }

ip netns exec be tcpdump -i vbe -U -n -w "$NFSCOPE_OUT/toa.pcap" tcp 2>"$NFSCOPE_OUT/tcpdump.log" &
dump_pid=$!
trap 'kill $dump_pid 2>/dev/null || true' EXIT
wait_ready $dump_pid "$NFSCOPE_OUT/tcpdump.log" "listening on" tcpdump

step "toa list shows the open connection with its client, and not after close"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9001 --syn-opt $T200 \
	--while-open "ip netns exec be $NFSCOPE_BIN toa list --json > $NFSCOPE_OUT/list-open.json") || fail "connection: $r"
cat "$NFSCOPE_OUT/list-open.json"
n=$(wc -l <"$NFSCOPE_OUT/list-open.json")
assert_cmp "$n" -eq 1 "entries listed while open"
e=$(cat "$NFSCOPE_OUT/list-open.json")
[ "$(json_path "$e" "(j['client_addr'], j['client_port'], j['format'], j['kind'], j['peer_addr'], j['local_port'])")" = \
	"('203.0.113.7', 40000, 'port4', 200, '198.18.2.1', 9001)" ] || fail "toa list entry: $e"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -z "$(be toa list --json)" ] && break
	sleep 0.2
done
[ -z "$(be toa list --json)" ] || fail "entry still listed after close: $(be toa list --json)"
assert_cmp "$(stat expired)" -ge 1 "expired counter"

step "a trust list that excludes the balancer: wire peer, counted as untrusted"
be toa trust add 198.51.100.0/24 || fail "trust add"
[ "$(json_path "$(be toa trust list --json)" "j['trust']")" = "['198.51.100.0/24']" ] || fail "trust list: $(be toa trust list --json)"
before=$(stat untrusted)
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9002 --syn-opt $T200) || fail "connection: $r"
[ "$(json_path "$r" "j['accept'][0]")" = 198.18.2.1 ] || fail "untrusted TOA was applied: $r"
assert_cmp "$(stat untrusted)" -gt "$before" "untrusted counter"
be toa trust add 198.18.2.0/24 || fail "trust add of the balancer"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9003 --syn-opt $T200) || fail "connection: $r"
[ "$(json_path "$r" "j['accept']")" = "['203.0.113.7', 40000]" ] || fail "trusted TOA not applied: $r"
out=$(ip netns exec be setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NFSCOPE_BIN" toa trust add 10.0.0.0/8 2>&1) &&
	fail "unprivileged trust add succeeded"
grep -q "needs CAP_NET_ADMIN" <<<"$out" || fail "unprivileged trust add: $out"
out=$(be toa trust add 10.0.0.1/8 2>&1) && fail "trust add with host bits succeeded"
grep -q "host bits" <<<"$out" || fail "bad prefix error: $out"
be toa trust del 198.51.100.0/24 || fail "trust del"
be toa trust del 198.18.2.0/24 || fail "trust del"
out=$(be toa trust del 198.18.2.0/24 2>&1) && fail "deleting an absent prefix succeeded"
grep -q "not in the trust list" <<<"$out" || fail "absent prefix error: $out"

step "malformed options: counted, wire peer, no effect on other connections"
before=$(stat malformed)
port=9010
# zero length, length 1, a length kind 200 never has, and two options that run
# past the end of the header (the helper pads to 4 bytes with NOPs).
for opt in fe00 c801 c806005008080808 c808c0a8 0101c8089c40cb00; do
	port=$((port + 1))
	r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port $port --syn-opt $opt) || fail "connection with $opt: $r"
	[ "$(json_path "$r" "j['accept'][0]")" = 198.18.2.1 ] || fail "malformed $opt gave a client: $r"
done
assert_cmp "$(stat malformed)" -ge $((before + 4)) "malformed counter"
before=$(stat malformed)
# Client 203.0.113.10: kept apart from the capture check below, which counts 203.0.113.7.
toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9019 --syn-opt c8089c40cb00710a --truncated-syn || fail "truncated SYN"
assert_cmp "$(stat malformed)" -eq $((before + 1)) "malformed counter after a SYN whose TCP header is cut short"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9020 --syn-opt $T200) || fail "connection: $r"
[ "$(json_path "$r" "j['accept']")" = "['203.0.113.7', 40000]" ] || fail "good connection after malformed ones: $r"

step "option kinds are configurable at runtime"
T230=e6089c40cb007107   # kind 230, not a TOA kind by default
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9021 --syn-opt $T230) || fail "connection: $r"
[ "$(json_path "$r" "j['accept'][0]")" = 198.18.2.1 ] || fail "kind 230 decoded before it was configured: $r"
be toa kind set 230 port4 || fail "toa kind set"
be toa kind list | grep -qx "230 port4" || fail "kind list: $(be toa kind list)"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9022 --syn-opt $T230) || fail "connection: $r"
[ "$(json_path "$r" "j['accept']")" = "['203.0.113.7', 40000]" ] || fail "configured kind 230 not decoded: $r"
out=$(be toa kind set 254 port6,ali-vtoa4 2>&1) && fail "ambiguous layouts for one kind accepted"
grep -q "same length" <<<"$out" || fail "ambiguous layouts error: $out"
be toa kind set 200 none || fail "toa kind set none"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9023 --syn-opt $T200) || fail "connection: $r"
[ "$(json_path "$r" "j['accept'][0]")" = 198.18.2.1 ] || fail "kind 200 decoded after 'none': $r"
be toa kind set 200 port4 || fail "restoring kind 200"

step "the capture decodes offline; the generated filter matches the TOA packets"
kill -INT $dump_pid; wait $dump_pid || true
trap - EXIT
nfscope toa decode "$NFSCOPE_OUT/toa.pcap" --json >"$NFSCOPE_OUT/decoded.json" || fail "toa decode"
nfscope toa decode "$NFSCOPE_OUT/toa.pcap" >"$NFSCOPE_OUT/decoded.txt" || fail "toa decode (text)"
sed -n 1,3p "$NFSCOPE_OUT/decoded.txt"
first=$(head -n1 "$NFSCOPE_OUT/decoded.json")
[ "$(json_path "$first" "(j['saddr'], j['daddr'], j['dport'], j['kind'], j['len'], j['client_addr'], j['client_port'])")" = \
	"('198.18.2.1', '198.18.2.2', 9001, 200, 8, '203.0.113.7', 40000)" ] || fail "decoded record: $first"
[ "$(json_path "$first" "j['packet'] >= 1")" = True ] || fail "no packet index: $first"
decoded=$(wc -l <"$NFSCOPE_OUT/decoded.json")
filter=$(nfscope toa filter 203.0.113.7:40000 2>"$NFSCOPE_OUT/filter-note.txt") || fail "toa filter"
grep -q "FIRST option" "$NFSCOPE_OUT/filter-note.txt" || fail "filter does not say what it matches"
matched=$(tcpdump -r "$NFSCOPE_OUT/toa.pcap" -n "$filter" 2>/dev/null | wc -l)
assert_cmp "$matched" -eq "$decoded" "packets matched by '$filter' vs decoded (all TOA here is first-option kind 200)"
other=$(tcpdump -r "$NFSCOPE_OUT/toa.pcap" -n "$(nfscope toa filter 203.0.113.9:40000 2>/dev/null)" 2>/dev/null | wc -l)
assert_cmp "$other" -eq 0 "packets matched for another client"

step "unload while a TOA connection is open: no oops, the wire peer comes back"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 9030 --syn-opt $T200 --while-open "rmmod nfscope") || fail "connection: $r"
[ "$(json_path "$r" "j['while_open_rc']")" = 0 ] || fail "rmmod with an open connection failed: $r"
[ "$(json_path "$r" "j['accept'][0]")" = 203.0.113.7 ] || fail "client not seen before unload: $r"
[ "$(json_path "$r" "j['peer_at_release'][0]")" = 198.18.2.1 ] || fail "peer after unload: $r"
echo "PASS $TEST_NAME"
