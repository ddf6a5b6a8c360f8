#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TOA: a balancer namespace crafts the client's handshake with TOA options; a
# real kernel TCP server in the backend namespace must see the client in
# accept() and getpeername(), for IPv4 and IPv6, with TOA only in the SYN,
# only in the handshake ACK, or only in the first data segment.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft

toa_setup
load_module

# Option bytes: kind 200 len 8 port 40000 (0x9c40) 203.0.113.7; kind 254
# len 8 port 40001 203.0.113.8; kind 253 len 20 port 443 2001:db8:99::42.
T200=c8089c40cb007107
T254=fe089c41cb007108
T253=fd1401bb20010db8009900000000000000000042
# check CASE RESULT FIELD ADDR PORT
check() {
	local got
	got=$(json_path "$2" "j['$3']")
	[ "$got" = "['$4', $5]" ] || fail "$1: $3 is $got, expected ['$4', $5] (full: $2)"
}

step "IPv4, TOA only in the SYN"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8001 --syn-opt $T200) || fail "connection: $r"
check syn4 "$r" accept 203.0.113.7 40000
check syn4 "$r" peer_after_read 203.0.113.7 40000

step "IPv4, TOA only in the handshake ACK"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8002 --ack-opt $T254) || fail "connection: $r"
check ack4 "$r" accept 203.0.113.8 40001
check ack4 "$r" peer_before_read 203.0.113.8 40001

step "IPv4, TOA only in the first data segment: getpeername after reading"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8003 --data-opt $T200) || fail "connection: $r"
check data4 "$r" peer_after_read 203.0.113.7 40000

step "IPv6, TOA (kind 253, IPv6 client) only in the SYN, and only in the ACK"
r=$(toa_conn --src 2001:db8:2::1 --dst 2001:db8:2::2 --port 8004 --syn-opt $T253) || fail "connection: $r"
check syn6 "$r" accept 2001:db8:99::42 443
check syn6 "$r" peer_after_read 2001:db8:99::42 443
r=$(toa_conn --src 2001:db8:2::1 --dst 2001:db8:2::2 --port 8005 --ack-opt $T253) || fail "connection: $r"
check ack6 "$r" accept 2001:db8:99::42 443

step "IPv4 client on a dual-stack IPv6 socket: IPv4-mapped"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --listen :: --port 8006 --syn-opt $T200) || fail "connection: $r"
check mapped "$r" accept ::ffff:203.0.113.7 40000

step "IPv6 client on an IPv4 socket: wire peer kept, counted"
before=$(toa_stat unrepresentable)
T254v6=fe1401bb20010db8009900000000000000000042
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8007 --syn-opt $T254v6) || fail "connection: $r"
check unrep "$r" accept 198.18.2.1 "$(json_path "$r" "j['accept'][1]")"
assert_cmp "$(toa_stat unrepresentable)" -gt "$before" "unrepresentable counter"

step "counters: decoded per format, rewrites"
ip netns exec be cat /proc/net/nfscope/toa_stats
assert_cmp "$(toa_stat decoded_port4)" -eq 4 "decoded_port4 (one per IPv4-client connection)"
assert_cmp "$(toa_stat decoded_port6)" -eq 3 "decoded_port6 (one per IPv6-client connection)"
assert_cmp "$(toa_stat getname_rewrites)" -ge 10 "getname_rewrites"

step "the TOA probe switched off at runtime: the wire peer; restored: the client"
nfscope trace disable module:toa
nfscope trace list | grep -q "^module:toa .* off " || fail "trace list: module:toa not off"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8008 --syn-opt $T200) || fail "connection: $r"
[ "$(json_path "$r" "j['accept'][0], j['peer_after_read'][0]")" = "('198.18.2.1', '198.18.2.1')" ] ||
	fail "TOA decoded with the probe off: $r"
nfscope trace restore
nfscope trace list | grep -q "^module:toa .* on " || fail "trace list: module:toa not on after restore"
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8009 --syn-opt $T200) || fail "connection: $r"
check restored "$r" accept 203.0.113.7 40000
unload_module
echo "PASS $TEST_NAME"
