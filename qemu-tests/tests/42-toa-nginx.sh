#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TOA with a real server: nginx in the backend namespace logs $remote_addr,
# which it learns at accept(). Behind a crafted balancer:
# - TOA in the SYN: the access log shows the client;
# - TOA only in the first data segment, plain listen: accept() returns before
#   the data came, so nginx logs the balancer (the limit the README states);
# - the same with `listen ... deferred` (TCP_DEFER_ACCEPT): accept() waits for
#   the data, the TOA is in by then, and nginx logs the client.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft nginx

toa_setup
load_module

# kind 200, len 8: client 203.0.113.7, port 40000.
toa=c8089c40cb007107
client=203.0.113.7
lb=198.18.2.1
dir=$NFSCOPE_OUT/nginx
mkdir -p "$dir/tmp"
cat >"$dir/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 64; }
http {
	log_format toa '\$server_port \$remote_addr \$remote_port';
	access_log $dir/access.log toa;
	client_body_temp_path $dir/tmp;
	server {
		listen 198.18.2.2:8080;
		listen 198.18.2.2:8081 deferred;
		location / { return 200 "ok\n"; }
	}
}
EOF
ip netns exec be nginx -e "$dir/error.log" -c "$dir/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
	ip netns exec be ss -ltn | grep -q "198.18.2.2:8081" && break
	kill -0 $nginx_pid 2>/dev/null || fail "nginx did not start: $(cat "$dir/error.log")"
	sleep 0.1
done
ip netns exec be ss -ltn | grep -q "198.18.2.2:8081" || fail "nginx is not listening: $(cat "$dir/error.log")"

# request PORT OPTION: one crafted connection with the TOA where OPTION says
# (--syn-opt or --data-opt) and an HTTP request as its data; prints the
# access log line nginx wrote for it.
request() {
	local port=$1 where=$2 before
	before=$(wc -l <"$dir/access.log" 2>/dev/null || echo 0)
	toa_conn --no-server --src $lb --dst 198.18.2.2 --port "$port" "$where" $toa \
		--payload 'GET / HTTP/1.0\r\nHost: be\r\n\r\n' || fail "crafted connection to :$port ($where)"
	for _ in $(seq 50); do
		[ "$(wc -l <"$dir/access.log" 2>/dev/null || echo 0)" -gt "$before" ] && break
		sleep 0.1
	done
	tail -n +"$((before + 1))" "$dir/access.log" | head -n1
}

step "TOA in the SYN: nginx logs the client"
line=$(request 8080 --syn-opt)
echo "  $line"
[ "$line" = "8080 $client 40000" ] || fail "TOA in the SYN: nginx logged '$line', not the client"

step "TOA only in the first data, plain listen: accept() came first, nginx logs the balancer"
line=$(request 8080 --data-opt)
echo "  $line"
[[ $line == "8080 $lb "* ]] || fail "TOA in data, plain listen: expected the balancer, nginx logged '$line'"
# The module did decode it (for getpeername() calls made from now on).
assert_cmp "$(toa_stat decoded_port4)" -ge 2 "TOA decoded (SYN and data connections)"

step "TOA only in the first data, listen deferred: nginx logs the client"
line=$(request 8081 --data-opt)
echo "  $line"
[ "$line" = "8081 $client 40000" ] || fail "TOA in data, deferred listen: nginx logged '$line', not the client"

kill $nginx_pid
wait $nginx_pid 2>/dev/null || true
unload_module
echo "PASS $TEST_NAME"
