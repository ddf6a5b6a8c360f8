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

step "TOA: a balancer (198.18.2.1) forwards client 203.0.113.7:40000 in TCP option 200 to a backend"
toa_setup
r=$(toa_conn --src 198.18.2.1 --dst 198.18.2.2 --port 8080 --ack-opt c8089c40cb007107 \
	--while-open "echo '-- nfscope toa list (backend, connection open):'; ip netns exec be $NFSCOPE_BIN toa list")
echo "-- the backend's server saw: $r"
step "nfscope toa stats (backend)"
ip netns exec be "$NFSCOPE_BIN" toa stats
unload_module
echo "== end of demo"
