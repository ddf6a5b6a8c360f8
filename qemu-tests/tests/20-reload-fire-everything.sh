#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Reload safety: 200 cycles (50 on the debug kernel) of load -> use -> unload
# while pings flow through every hook of two namespaces. Every cycle fires
# every probe nfscope.ko has: accept()/getpeername() on a TOA connection
# (IPv4) and on plain IPv4 and IPv6 ones (the getname fprobes), an nft drop
# that the summary attributes to its chain (the hook-function fprobes), a UDP
# drop to a closed port and a kernel RST (the tracepoints); a namespace is
# born and dies inside the cycle. `drops watch` and `drops top` listen in two
# cycles of three: killed before the unload in one, left running across it in
# the other. After the last unload nothing of nfscope is left in nft hooks,
# /proc/net, tracefs or lsmod. vm-run.sh fails the run on any oops, WARN,
# lockdep, KASAN, UBSAN or KFENCE report; guest-wrapper.sh on a kmemleak
# report naming the module.
# vm-timeout: 1500
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip ping nft

cycles=${NFSCOPE_RELOAD_CYCLES:-200}
is_debug_kernel && cycles=${NFSCOPE_RELOAD_CYCLES:-50}

make_ns a
make_ns b
link_ns a b 1
# a: no RSTs for the crafted TOA connection; b: the drop the summary must
# attribute to table inet storm, chain input.
ip netns exec a nft add table inet craft
ip netns exec a nft add chain inet craft out '{ type filter hook output priority 0; }'
ip netns exec a nft add rule inet craft out tcp dport 9001 tcp flags rst drop
udp_drop_table b 9999

# Steady, not flooding: every echo reply is also a NO_SOCKET drop record
# (ping_rcv frees the copy no ping socket took).
ping_pids=()
ip netns exec a ping -q -i 0.2 198.18.1.2 >"$NFSCOPE_OUT/ping4.txt" 2>&1 & ping_pids+=($!)
ip netns exec b ping -q -i 0.2 2001:db8:1::1 >"$NFSCOPE_OUT/ping6.txt" 2>&1 & ping_pids+=($!)
coproc DRIVER { "$PY" "$NFSCOPE_ROOT/qemu-tests/lib/reload_driver.py" 2>"$NFSCOPE_OUT/driver.err"; }
listeners=()
trap 'kill "${ping_pids[@]}" "${listeners[@]}" "$DRIVER_PID" 2>/dev/null || true' EXIT
read -r -t 60 line <&"${DRIVER[0]}" || fail "reload driver did not start: $(cat "$NFSCOPE_OUT/driver.err")"
[ "$line" = '{"ready": true}' ] || fail "reload driver: $line"

# listen I: drops watch and drops top in the background, subscribed.
listen() {
	local w=$NFSCOPE_OUT/watch.json
	timeout 300 "$NFSCOPE_BIN" drops watch --json >"$w" 2>"$w.err" &
	listeners=($!)
	timeout 300 "$NFSCOPE_BIN" drops top --interval 0.2 >"$NFSCOPE_OUT/top.txt" 2>&1 &
	listeners+=($!)
	for _ in $(seq 100); do
		grep -q "^nfscope: watching" "$w.err" && return
		kill -0 "${listeners[0]}" 2>/dev/null || fail "cycle $1: drops watch: $(cat "$w.err")"
		sleep 0.1
	done
	fail "cycle $1: drops watch never subscribed: $(cat "$w.err")"
}

# wait_for I WHAT COMMAND REGEX: until COMMAND's output matches, 30 s at most
# (records reach listeners from a work item; a loaded host delays it).
wait_for() {
	local i=$1 what=$2 cmd=$3 re=$4
	for _ in $(seq 300); do
		eval "$cmd" | grep -qE "$re" && return
		sleep 0.1
	done
	eval "$cmd" >&2
	fail "cycle $i: no $what"
}

stop_listeners() {
	((${#listeners[@]})) || return 0  # a bare `wait` would wait for the pings
	kill "${listeners[@]}" 2>/dev/null || true
	wait "${listeners[@]}" 2>/dev/null || true
	listeners=()
}

step "$cycles cycles"
start=$SECONDS
for i in $(seq 1 "$cycles"); do
	load_module
	make_ns "tmp$i"
	ip netns exec "tmp$i" cat /proc/net/nfscope/status >/dev/null || fail "cycle $i: no status in a new namespace"
	mode=$((i % 3))
	((mode == 2)) || listen "$i"

	echo "fire $i" >&"${DRIVER[1]}"
	read -r -t 120 line <&"${DRIVER[0]}" || fail "cycle $i: the driver did not answer: $(cat "$NFSCOPE_OUT/driver.err")"
	[ "$line" = "{\"cycle\": $i, \"ok\": true}" ] || fail "cycle $i: $line"

	summary="ip netns exec b cat /proc/net/nfscope/drops"
	wait_for "$i" "nft drop attributed to storm/input" "$summary" \
		'NETFILTER_DROP nft_do_chain\+.* hook=ipv4:LOCAL_IN:nft_do_chain_inet@0 nft=storm/input'
	wait_for "$i" "NO_SOCKET drop" "$summary" ' NO_SOCKET '
	wait_for "$i" "kernel reset" "$summary" ' RST:'
	if ((mode != 2)); then
		wait_for "$i" "record of the nft drop from drops watch" "cat $NFSCOPE_OUT/watch.json" \
			'"reason_name":"NETFILTER_DROP".*"table":"storm","chain":"input"'
		((mode == 1)) || stop_listeners
	fi
	ip netns del "tmp$i"
	unload_module
	# mode 1: the listeners saw the module go away under them.
	stop_listeners
	((i % 25)) || echo "cycle $i done ($((SECONDS - start)) s)"
done
echo "$cycles cycles in $((SECONDS - start)) s"

for pid in "${ping_pids[@]}"; do kill -0 "$pid" || fail "traffic stopped during the cycles"; done
kill -INT "${ping_pids[@]}"
wait "${ping_pids[@]}" || true
for f in ping4 ping6; do
	received=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$NFSCOPE_OUT/$f.txt")
	assert_cmp "${received:-0}" -gt "$cycles" "$f replies received during the cycles"
done

step "rmmod + insmod work again, and nothing of nfscope is left after the last unload"
load_module
unload_module
for ns in a b; do
	ip netns exec $ns test ! -e /proc/net/nfscope || fail "/proc/net/nfscope left in $ns"
	! ip netns exec $ns nft list hooks | grep -q nfscope || fail "nfscope hook left in $ns"
done
test ! -e /proc/net/nfscope || fail "/proc/net/nfscope left in the initial namespace"
! lsmod | grep -q '^nfscope' || fail "module still listed"
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T"
[ ! -s "$T/enabled_functions" ] || { cat "$T/enabled_functions"; fail "functions still probed after unload"; }
! grep -q nfscope "$T/available_filter_functions" || fail "nfscope functions still known to ftrace"
! grep -qs . "$T/dynamic_events" || fail "dynamic events left: $(cat "$T/dynamic_events")"
echo "PASS $TEST_NAME"
