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
unload_module
echo "== end of demo"
