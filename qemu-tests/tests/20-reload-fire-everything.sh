#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Reload safety: 200 cycles (50 on the debug kernel) of load -> use -> unload
# while pings flow through every hook of two namespaces. Every cycle fires
# every probe nfscope.ko has: accept()/getpeername() on a TOA connection
# (IPv4) and on plain IPv4 and IPv6 ones (the getname fprobes), an nft drop
# that the summary attributes to its chain (the hook-function fprobes), a UDP
# drop to a closed port and a kernel RST (the tracepoints); a namespace is
# born and dies inside the cycle; in one cycle of three b's hook counting is
# turned off under traffic (on again in odd cycles). `drops watch` and `drops top` listen in two
# cycles of three: killed before the unload in one, left running across it in
# the other. After the last unload nothing of nfscope is left in nft hooks,
# /proc/net, tracefs or lsmod. vm-run.sh fails the run on any oops, WARN,
# lockdep, KASAN, UBSAN or KFENCE report; guest-wrapper.sh on a kmemleak
# report naming the module.
# vm-timeout: 1500
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip ping nft

cycles=${NFSCOPE_RELOAD_CYCLES:-200}
# Waits stretch with the kernel: the debug one is several times slower.
slow=1
is_debug_kernel && cycles=${NFSCOPE_RELOAD_CYCLES:-50} slow=5

ns_pair
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
read -r -t $((60 * slow)) line <&"${DRIVER[0]}" || fail "reload driver did not start: $(cat "$NFSCOPE_OUT/driver.err")"
[ "$line" = '{"ready": true}' ] || fail "reload driver: $line"

# listen I: drops watch and drops top in the background, subscribed.
listen() {
	local w=$NFSCOPE_OUT/watch.json
	timeout 300 "$NFSCOPE_BIN" drops watch --json >"$w" 2>"$w.err" &
	listeners=($!)
	timeout 300 "$NFSCOPE_BIN" drops top --interval 1 >"$NFSCOPE_OUT/top.txt" 2>&1 &
	listeners+=($!)
	for _ in $(seq $((300 * slow))); do
		grep -q "^nfscope: watching" "$w.err" && return
		kill -0 "${listeners[0]}" 2>/dev/null || fail "cycle $1: drops watch: $(cat "$w.err")"
		sleep 0.1
	done
	fail "cycle $1: drops watch never subscribed: $(cat "$w.err")"
}

# check_cycle I: b's summary attributes the nft drop to table storm, chain
# input, and counts the NO_SOCKET drop and the reset; with listeners, drops
# watch printed the nft drop's record. 30 s at most (times $slow): records reach listeners
# from a work item, which a loaded host delays. b's summary is read through
# the ping living in b (no `ip netns exec` per poll).
check_cycle() {
	local i=$1 summary=/proc/${ping_pids[1]}/net/nfscope/drops s missing
	for _ in $(seq $((150 * slow))); do
		s=$(cat "$summary")
		missing=
		grep -qE 'NETFILTER_DROP nft_do_chain\+.* hook=ipv4:LOCAL_IN:nft_do_chain_inet@0 nft=storm/input' <<<"$s" ||
			missing+=" nft-drop-attributed-to-storm/input"
		grep -q ' NO_SOCKET ' <<<"$s" || missing+=" NO_SOCKET-drop"
		grep -q ' RST:' <<<"$s" || missing+=" kernel-reset"
		if ((${#listeners[@]})) &&
			! grep -qE '"reason_name":"NETFILTER_DROP".*"table":"storm","chain":"input"' "$NFSCOPE_OUT/watch.json"; then
			missing+=" drops-watch-record"
		fi
		[ -z "$missing" ] && return
		sleep 0.2
	done
	printf '%s\n' "$s" >&2
	fail "cycle $i: missing:$missing"
}

stop_listeners() {
	((${#listeners[@]})) || return 0  # a bare `wait` would wait for the pings
	kill "${listeners[@]}" 2>/dev/null || true
	wait "${listeners[@]}" 2>/dev/null || true
	listeners=()
}

# phase NAME: the time since the previous phase mark goes to NAME (shown at
# the end: where a cycle's time goes).
declare -A spent
mark=${EPOCHREALTIME/./}
phase() {
	local now=${EPOCHREALTIME/./}
	spent[$1]=$(( ${spent[$1]:-0} + now - mark ))
	mark=$now
}

step "$cycles cycles"
start=$SECONDS
for i in $(seq 1 "$cycles"); do
	phase other
	load_module
	phase insmod
	# A namespace born with the module loaded, and dying with it loaded.
	unshare --net cat /proc/net/nfscope/status >/dev/null || fail "cycle $i: no status in a new namespace"
	phase netns
	mode=$((i % 3))
	((mode == 2)) || listen "$i"
	phase listeners-start

	echo "fire $i" >&"${DRIVER[1]}"
	read -r -t $((120 * slow)) line <&"${DRIVER[0]}" || fail "cycle $i: the driver did not answer: $(cat "$NFSCOPE_OUT/driver.err")"
	[ "$line" = "{\"cycle\": $i, \"ok\": true}" ] || fail "cycle $i: $line"
	phase fire

	check_cycle "$i"
	phase check
	# Counting off under traffic (b's hooks at 4 points per family go, with
	# a grace period), on again in odd cycles, left off in even ones: the
	# unload then finds only LOCAL_IN's.
	if ((mode == 1)); then
		ip netns exec b "$NFSCOPE_BIN" config --hooks off || fail "cycle $i: config --hooks off"
		if ((i % 2)); then
			ip netns exec b "$NFSCOPE_BIN" config --hooks on || fail "cycle $i: config --hooks on"
		fi
	fi
	phase hooks-toggle
	((mode != 0)) || stop_listeners
	phase listeners-stop
	unload_module
	phase rmmod
	# mode 1: the listeners saw the module go away under them.
	stop_listeners
	phase listeners-stop
	((i % 25)) || echo "cycle $i done ($((SECONDS - start)) s)"
done
echo "$cycles cycles in $((SECONDS - start)) s; ms per cycle:"
for p in "${!spent[@]}"; do printf '  %-16s %6d\n' "$p" $((spent[$p] / 1000 / cycles)); done

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
