# SPDX-License-Identifier: GPL-2.0
# Helpers for scenarios that run inside the test VM (sourced).
# The guest sees the host's root read-only: the repo, the built module and CLI
# are where the host built them. Results go to $NFSCOPE_OUT (writable).

set -euo pipefail

: "${NFSCOPE_ROOT:?run through scripts/vm-run.sh}"
# The module built for the running kernel (vm-run.sh says which).
NFSCOPE_KO=${NFSCOPE_KO:-$NFSCOPE_ROOT/kmod/nfscope.ko}
NFSCOPE_BIN=$NFSCOPE_ROOT/target/release/nfscope
PY=/usr/bin/python3
TEST_NAME=$(basename "$0" .sh)

nfscope() { "$NFSCOPE_BIN" "$@"; }

fail() {
	printf 'FAIL %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

step() { printf '== %s\n' "$*"; }

# assert_cmp A OP B MESSAGE: integer comparison (OP: -eq -ge -gt -le -lt -ne).
assert_cmp() {
	[ "$1" "$2" "$3" ] || fail "$4 (got $1, expected $2 $3)"
}

require() {
	local t
	for t in "$@"; do command -v "$t" >/dev/null || fail "required tool missing in the guest: $t"; done
	[ -f "$NFSCOPE_KO" ] || fail "module not built: $NFSCOPE_KO"
	[ -x "$NFSCOPE_BIN" ] || fail "CLI not built: $NFSCOPE_BIN"
}

# load_module [PARAMS...]: insmod, and note where the module's memory is so
# that guest-wrapper.sh can tell a kmemleak report from an unloaded nfscope
# (its frames print as bare addresses then) from the kernel's own.
load_module() {
	insmod "$NFSCOPE_KO" "$@" || fail "insmod $NFSCOPE_KO failed"
	awk '$1 == "nfscope" {print $6, $2}' /proc/modules >>"$NFSCOPE_OUT/module-ranges"
}

# is_debug_kernel: the guest runs the debug test kernel (KASAN, lockdep, ...).
is_debug_kernel() { [[ $(uname -r) == *-debug ]]; }
# unload_module: rmmod. A netlink dump in progress (`drops top`, any dump
# request) holds a reference on the module while it runs: while the module
# is in use, try again for up to 30 s, as an operator would; a reference
# that is never given back still fails.
unload_module() {
	local err
	for _ in $(seq 300); do
		err=$(rmmod nfscope 2>&1) && return
		# rmmod says "in use" when it sees the reference before the call,
		# EAGAIN ("temporarily unavailable") when only the kernel does.
		[[ $err == *"in use"* || $err == *"temporarily unavailable"* ]] || break
		sleep 0.1
	done
	fail "rmmod nfscope failed: $err"
}

# make_ns NAME: a namespace with loopback up.
make_ns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
}

# link_ns A B N: veth between namespaces A and B, A gets 198.18.N.1 and
# 2001:db8:N::1, B gets .2 and ::2 (RFC 2544 and documentation ranges; all
# traffic stays inside this VM).
link_ns() {
	local a=$1 b=$2 n=$3
	ip link add "v$a" netns "$a" type veth peer name "v$b" netns "$b"
	ip -n "$a" addr add "198.18.$n.1/24" dev "v$a"
	ip -n "$b" addr add "198.18.$n.2/24" dev "v$b"
	ip -n "$a" addr add "2001:db8:$n::1/64" dev "v$a" nodad
	ip -n "$b" addr add "2001:db8:$n::2/64" dev "v$b" nodad
	ip -n "$a" link set "v$a" up
	ip -n "$b" link set "v$b" up
}

# ns_pair: namespaces a and b, linked (a: 198.18.1.1 and 2001:db8:1::1,
# b: .2 and ::2): where most scenarios send and drop their traffic.
ns_pair() {
	make_ns a
	make_ns b
	link_ns a b 1
}

# status_json NS: `nfscope status --json` inside NS.
status_json() { ip netns exec "$1" "$NFSCOPE_BIN" status --json; }

# counter JSON FAMILY HOOK FIELD: one counter out of a status line.
counter() {
	"$PY" -c '
import json, sys
s = json.loads(sys.argv[1])
m = [c for c in s["counters"] if c["family"] == sys.argv[2] and c["hook"] == sys.argv[3]]
if len(m) != 1:
    sys.exit("no counter %s/%s in %s" % (sys.argv[2], sys.argv[3], sys.argv[1]))
print(m[0][sys.argv[4]])' "$1" "$2" "$3" "$4"
}

# json_field JSON KEY
json_field() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# traffic NS KIND ADDR ...: run qemu-tests/lib/traffic.py in NS.
traffic() { local ns=$1; shift; ip netns exec "$ns" "$PY" "$NFSCOPE_ROOT/qemu-tests/lib/traffic.py" "$@"; }

# genl NS ARGS...: raw generic netlink requests (qemu-tests/lib/genl.py) in NS.
genl() { local ns=$1; shift; ip netns exec "$ns" "$PY" "$NFSCOPE_ROOT/qemu-tests/lib/genl.py" "$@"; }

# toa_setup: namespaces lb (balancer, 198.18.2.1 / 2001:db8:2::1) and be
# (backend, .2 / ::2); lb drops the RSTs its kernel would send for the
# connections toa_conn.py crafts.
toa_setup() {
	make_ns lb
	make_ns be
	link_ns lb be 2
	ip netns exec lb nft -f - <<-'NFT'
		table inet craft {
			chain out { type filter hook output priority 0; tcp flags rst drop; }
		}
	NFT
}

# toa_conn ARGS...: one crafted connection (qemu-tests/lib/toa_conn.py).
toa_conn() { "$PY" "$NFSCOPE_ROOT/qemu-tests/lib/toa_conn.py" --lb-ns lb --be-ns be "$@"; }

# toa_stat NAME: a counter of /proc/net/nfscope/toa_stats in be.
toa_stat() { ip netns exec be awk -v n="$1" '$1 == n {print $2}' /proc/net/nfscope/toa_stats; }

# json_path JSON EXPR: a Python expression over `j`, the parsed JSON.
json_path() { "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# syn_to_closed_port PORT: a TCP SYN from a (198.18.1.1) to b's closed PORT.
syn_to_closed_port() {
	ip netns exec a "$PY" -c 'import socket, sys
try: socket.create_connection(("198.18.1.2", int(sys.argv[1])), timeout=2)
except OSError as e: print("client:", e)' "$1"
}

# check_rst_record FILE NETNS: the first record of FILE is the reset b
# (198.18.1.2, port 7778, namespace inode NETNS) sent to a's SYN, with the
# reset path's stack.
check_rst_record() {
	local rec
	rec=$(head -n1 "$1")
	echo "$rec"
	[ "$(json_path "$rec" "(j['type'], j['reason_name'], j['saddr'], j['sport'], j['daddr'], j['netns'])")" = \
		"('rst', 'NO_SOCKET', '198.18.1.2', 7778, '198.18.1.1', $2)" ] || fail "rst record: $rec"
	[ "$(json_path "$rec" "j['stack'][0].startswith('tcp_v4_send_reset+') and any(f.startswith('tcp_v4_rcv+') for f in j['stack'])")" = True ] ||
		fail "rst stack: $rec"
}

# udp_drop_table NS PORT: table inet storm in NS, counting and dropping UDP
# to PORT in its input chain.
udp_drop_table() {
	ip netns exec "$1" nft -f - <<-NFT
		table inet storm {
			chain input {
				type filter hook input priority 0;
				udp dport $2 counter drop
			}
		}
	NFT
}

# bench_pair: namespaces a and b linked (198.18.1.1 and .2), b's input
# chain accepting established connections (TCP passes conntrack and nft, as
# on a firewalled server) and dropping UDP to port 7777 (table inet f):
# what the drops benchmark and the profile aids measure on.
bench_pair() {
	ns_pair
	ip netns exec b nft -f - <<-'NFT'
		table inet f {
			chain input {
				type filter hook input priority 0;
				ct state established,related accept
				udp dport 7777 counter drop
			}
		}
	NFT
}

# storm_counted NS: packets table inet storm's rule counted.
storm_counted() { ip netns exec "$1" nft list chain inet storm input | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }

# clash_nat: in a, SNAT of UDP to 198.18.1.2:5000 onto a two-port range:
# after each flush, entries of six flows race for the same reply tuples,
# which 7.2 cannot resolve (scenario 52 tells the whole story).
clash_nat() {
	ip netns exec a nft -f - <<-'NFT'
		table ip nat {
			chain post {
				type nat hook postrouting priority 100;
				ip daddr 198.18.1.2 udp dport 5000 snat to 198.18.1.1:40000-40001
			}
		}
	NFT
}

# insert_failed NS: conntrack's insert_failed in NS, summed over CPUs.
insert_failed() {
	ip netns exec "$1" "$PY" -c 'rows = [l.split() for l in open("/proc/net/stat/nf_conntrack") if l.strip()]
i = rows[0].index("insert_failed")
print(sum(int(r[i], 16) for r in rows[1:]))'
}

# clash_run SECONDS OUT: an echo server in b, six UDP flows from a and
# `conntrack -F` in a loop in a (with clash_nat: conntrack clashes), until
# insert_failed moved by 50 or SECONDS passed. The flows' tally goes to OUT.
clash_run() {
	local seconds=$1 out=$2 before server flows deadline
	before=$(insert_failed a)
	ip netns exec b "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
while True:
    data, peer = s.recvfrom(100)
    s.sendto(data, peer)' &
	server=$!
	ip netns exec a "$PY" -c 'import errno, socket, sys, time
socks = []
for port in range(6001, 6007):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.18.1.1", port))
    s.setblocking(False)
    socks.append(s)
eperm = sent = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    for s in socks:
        try:
            s.sendto(b"x", ("198.18.1.2", 5000)); sent += 1
        except PermissionError:
            eperm += 1
        try:
            while s.recv(100): pass
        except BlockingIOError:
            pass
    time.sleep(0.005)
print("sent", sent, "sendto EPERM", eperm)' "$seconds" >"$out" &
	flows=$!
	deadline=$((SECONDS + seconds))
	while kill -0 $flows 2>/dev/null; do
		ip netns exec a conntrack -F >/dev/null 2>&1 || true
		sleep 0.2
		if (($(insert_failed a) > before + 50)) || ((SECONDS > deadline)); then break; fi
	done
	kill $flows 2>/dev/null || true
	wait $flows 2>/dev/null || true
	kill $server
	wait $server 2>/dev/null || true
	cat "$out" || true
	# Drops still in flight land before the caller reads counters.
	sleep 1
}

# wait_progress CMD...: runs CMD every second until it succeeds; what it
# prints is its progress. Returns 1 when that did not change for 60 s (a
# loaded host makes things slow, not stuck).
wait_progress() {
	local now last= stalled=0
	while ! now=$("$@"); do
		if [ "$now" = "$last" ]; then
			((++stalled < 60)) || return 1
		else
			stalled=0 last=$now
		fi
		sleep 1
	done
}

# wait_records_sent: until the module has sent (or counted lost) every
# record it queued.
wait_records_sent() {
	records_sent() {
		local q s l
		q=$(drop_stat queued) s=$(drop_stat sent) l=$(drop_stat lost_send)
		echo "queued $q, sent $s, lost $l"
		((s + l >= q))
	}
	wait_progress records_sent || fail "records not all sent ($(records_sent)); no progress for 60 s"
}

# wait_lines FILE PATTERN N WHAT: until N lines of FILE match PATTERN (a
# watch's output reaching what the scenario sent); fails when their number
# made no progress for 60 s.
wait_lines() {
	local file=$1 pattern=$2 n=$3 what=$4
	lines_there() {
		local c
		c=$(grep -c -- "$pattern" "$file" || true)
		echo "$c of $n"
		((c >= n))
	}
	wait_progress lines_there || fail "$what: $(lines_there) lines matching '$pattern' in $file; no progress for 60 s"
}

# drop_stat NAME: a counter of `nfscope drops config --json`.
drop_stat() { json_path "$(nfscope drops config --json)" "j['stats']['$1']"; }

# wait_ready PID ERRFILE PATTERN WHAT: until the background command PID
# (WHAT) printed PATTERN to ERRFILE, 30 s at most (a loaded host); fails
# with what it printed if it exits or never does.
wait_ready() {
	local pid=$1 err=$2 pattern=$3 what=$4
	for _ in $(seq 300); do
		grep -q "$pattern" "$err" && return
		kill -0 "$pid" 2>/dev/null || fail "$what: $(cat "$err")"
		sleep 0.1
	done
	fail "$what: never ready: $(cat "$err")"
}

# drops_watch / trace_watch FILE ARGS...: `nfscope drops|trace watch ARGS`
# in the background, output in FILE, errors in FILE.err; returns once it is
# subscribed (drops) or its programs are attached (trace). watch_pid: its pid.
drops_watch() { background_watch drops "^nfscope: watching" "$@"; }
trace_watch() { background_watch trace "^nfscope: tracing" "$@"; }
background_watch() {
	local what=$1 ready=$2 file=$3
	shift 3
	timeout 300 "$NFSCOPE_BIN" "$what" watch "$@" >"$file" 2>"$file.err" &
	watch_pid=$!
	wait_ready $watch_pid "$file.err" "$ready" "$what watch $*"
}

# nb_pair MODE CLIENT_NS SERVER_NS ADDR ARG (benchmarks): netbench's
# MODE-server in SERVER_NS on a port of its own, MODE-client in CLIENT_NS
# with ARG; prints the client's figure. NB is the netbench binary.
nb_pair() {
	local mode=$1 cns=$2 sns=$3 addr=$4 arg=$5 port=$((9100 + BASHPID % 800)) srv
	ip netns exec "$sns" "$NB" "$mode-server" "$addr" $port >"$NFSCOPE_OUT/$mode.txt" &
	srv=$!
	until grep -q ready "$NFSCOPE_OUT/$mode.txt" 2>/dev/null; do sleep 0.05; done
	ip netns exec "$cns" "$NB" "$mode-client" "$addr" $port "$arg" | awk '{print $2}'
	wait $srv
}
