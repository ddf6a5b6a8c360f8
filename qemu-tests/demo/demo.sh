#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo scenario (scripts/demo.sh runs it in the VM): load nfscope, send
# ICMP, UDP and TCP between two namespaces, and show what nfscope sees.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip ping

make_ns client
load_module
make_ns server
link_ns client server 1

step "nfscope is loaded: modinfo"
modinfo "$NFSCOPE_KO" | grep -E '^(description|parm|license)'

step "client -> server: 10 pings over IPv4 and IPv6, 50 UDP datagrams, a 100 kB TCP stream"
ip netns exec client ping -q -c 10 -i 0.05 198.18.1.2 | tail -n 2
ip netns exec client ping -q -c 10 -i 0.05 2001:db8:1::2 | tail -n 2
traffic client udp --server-ns server --client-ns client --addr 198.18.1.2 --port 5001 --count 50
traffic client tcp --server-ns server --client-ns client --addr 2001:db8:1::2 --port 5002 --count 100 --size 1000

step "nfscope status in the server namespace"
ip netns exec server "$NFSCOPE_BIN" status
step "nfscope status --json in the client namespace"
ip netns exec client "$NFSCOPE_BIN" status --json
step "cat /proc/net/nfscope/status (server)"
ip netns exec server cat /proc/net/nfscope/status

step "drops: an nft rule in the server drops TCP port 7777; a SYN to closed port 7778 is reset"
ip netns exec server nft add table inet t
ip netns exec server nft add chain inet t input '{ type filter hook input priority 0; }'
ip netns exec server nft add rule inet t input tcp dport 7777 drop
"$NFSCOPE_BIN" drops watch --netns server --proto tcp --count 2 >"$NFSCOPE_OUT/demo-drop.txt" &
w1=$!
sleep 1
ip netns exec client "$PY" -c 'import socket
for port in (7777, 7778):
    try: socket.create_connection(("198.18.1.2", port), timeout=0.5)
    except OSError: pass'
wait $w1
echo "-- nfscope drops watch --netns server --proto tcp --count 2 (the drop names its nft table, chain and hook):"
cat "$NFSCOPE_OUT/demo-drop.txt"
echo "-- nfscope drops top --netns server --count 1:"
"$NFSCOPE_BIN" drops top --netns server --count 1

step "TOA: a balancer (198.18.2.1) forwards client 203.0.113.7:40000 in TCP option 200 to a backend"
toa_setup
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8080 --ack-opt c8089c40cb007107 \
	--while-open "ip netns exec be $NFSCOPE_BIN toa list > $NFSCOPE_OUT/demo-toa.txt")
echo "-- nfscope toa list (backend, while the connection was open):"
cat "$NFSCOPE_OUT/demo-toa.txt"
echo "-- the backend's server saw (accept, getpeername): $r"
step "nfscope toa stats (backend)"
ip netns exec be "$NFSCOPE_BIN" toa stats
unload_module

step "without the module: the BPF tracers (nfscope trace watch) see the same drop and reset"
trace_watch "$NFSCOPE_OUT/demo-bpf.txt" kfree-skb tcp-send-reset --netns server --proto tcp --stack 6 --count 2
ip netns exec client "$PY" -c 'import socket
for port in (7777, 7778):
    try: socket.create_connection(("198.18.1.2", port), timeout=0.5)
    except OSError: pass'
wait "$watch_pid" || cat "$NFSCOPE_OUT/demo-bpf.txt.err"
echo "-- nfscope trace watch kfree-skb tcp-send-reset --netns server --proto tcp --stack 6 --count 2:"
cat "$NFSCOPE_OUT/demo-bpf.txt"
echo "-- nfscope trace list:"
"$NFSCOPE_BIN" trace list
echo "== end of demo"
