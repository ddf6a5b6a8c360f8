#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where the drop path's time goes (not a test): the drops benchmark's flood
# (a sends 64-byte UDP datagrams, b's nft rule drops them) with the module
# unloaded, then loaded with its parts switched on one by one (all off;
# hook counters; the drop probe and summary; the attribution probes: the
# module's base cost per dropped packet, piece by piece), then watched in
# turn by nothing, the module's records, a raw reader of the module's
# messages (the transport alone) and the BPF tracer (the module still
# loaded). Prints, per dropped datagram, the exact CPU time (`perf stat`
# task-clock, the scheduler's clock: instructions under -icount) of the
# listener, the sender (its softirqs run the drop path) and the kworkers
# and ksoftirqd (the module's drain), then a sampled profile by command
# and symbol (tick-based on the test kernel, HZ 250 without high-resolution
# timers: biased, a pointer only). Output in OUTDIR/profile.txt. Run with
#   NFSCOPE_VM_CPUS=1 NFSCOPE_VM_QEMU_OPTS='-icount shift=0,sleep=off' \
#     scripts/vm-run.sh out/profile qemu-tests/manual/profile-drops.sh "$PWD/out/bench/netbench"
# after the module, the CLI and netbench are built (scripts/bench-drops.sh
# builds all three). NFSCOPE_PROFILE_MODES="records bpf" runs only the modes named.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
NB=${1:?usage: profile-drops.sh NETBENCH}
N_UDP=${N_UDP:-20000}
ns_pair
udp_drop_table b 7777
out=$NFSCOPE_OUT
# perf cannot write its data over 9p (EFAULT): a tmpfs.
data=$(mktemp -d)
mount -t tmpfs none "$data"
profile() {
	local mode=$1
	shift
	# NFSCOPE_PROFILE_MODES="records bpf": only these.
	[[ -z ${NFSCOPE_PROFILE_MODES:-} || " $NFSCOPE_PROFILE_MODES " == *" $mode "* ]] || return 0
	"$@" >"$data/$mode.json" 2>"$out/$mode.err" &
	local pid=$!
	for _ in $(seq 600); do grep -q "^nfscope: \(watching\|tracing\)" "$out/$mode.err" && break; sleep 0.1; done
	# Exact CPU time (task-clock: the scheduler's clock, instructions
	# under -icount) of the listener and of the sender (the drop path runs
	# in its softirqs), beside the sampled profile.
	perf stat -x, -e task-clock -p $pid -o "$data/$mode.cli" &
	local stat=$!
	# The module's drain runs in a kworker; softirqs may run in ksoftirqd.
	perf stat -x, -e task-clock -p "$(pgrep -d, 'kworker|ksoftirqd')" -o "$data/$mode.kthreads" &
	local kstat=$!
	sleep 0.5
	perf record -a -e cpu-clock -c ${PERIOD:-2000} -o "$data/$mode.data" -- \
		perf stat -x, -e task-clock -o "$data/$mode.sender" -- \
		ip netns exec a $NB udp-blast 198.18.1.2 7777 $N_UDP >/dev/null 2>"$out/$mode.perf.err" || fail "perf record: $(cat "$out/$mode.perf.err")"
	sleep 3
	kill -INT $stat $kstat
	wait $stat $kstat || true
	echo "$mode: per drop, task-clock ns: listener $(awk -F, -v n=$N_UDP '$3 == "task-clock" {printf "%d", $1 * 1e6 / n}' "$data/$mode.cli"), sender $(awk -F, -v n=$N_UDP '$3 == "task-clock" {printf "%d", $1 * 1e6 / n}' "$data/$mode.sender"), kworkers and ksoftirqd $(awk -F, -v n=$N_UDP '$3 == "task-clock" {printf "%d", $1 * 1e6 / n}' "$data/$mode.kthreads")"
	kill -INT $pid
	wait $pid || true
	echo "$mode: $(grep 'records shown' "$out/$mode.err"); $(wc -c <"$data/$mode.json") bytes of JSON; the last record:"
	tail -n1 "$data/$mode.json"
	cat /proc/kallsyms >"$data/kallsyms"
	perf report -q -n --kallsyms "$data/kallsyms" -i "$data/$mode.data" --no-children --sort comm,sym --percent-limit 0.4 2>/dev/null | head -60
	perf report -q -n --kallsyms "$data/kallsyms" -i "$data/$mode.data" --no-children --sort comm 2>/dev/null | head -8
}
# The module's records to a reader that only receives them (no decoding,
# no output): the listener's time here is the transport's.
raw_reader() {
	exec "$PY" - <<'PY'
import signal, socket, struct, sys, genl
# A background job starts with SIGINT ignored: take it back.
signal.signal(signal.SIGINT, signal.default_int_handler)
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, genl.NETLINK_GENERIC)
s.bind((0, 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
err, _, replies = genl.request(s, 0x10, 3, 1, [genl.attr(2, b"nfscope\0")], 1)
def attrs(b):
    while len(b) >= 4:
        n, t = struct.unpack_from("=HH", b)
        yield t & 0x3fff, b[4:n]
        b = b[(n + 3) & ~3:]
groups = dict(attrs(replies[0][4:]))[7]
ids = {}
for _, g in attrs(groups):
    a = dict(attrs(g))
    ids[a[1].rstrip(b"\0").decode()] = struct.unpack("=I", a[2])[0]
s.setsockopt(genl.SOL_NETLINK, 1, ids["events"])  # NETLINK_ADD_MEMBERSHIP
print("nfscope: watching (raw reader)", file=sys.stderr, flush=True)
buf = bytearray(1 << 17)
while True:
    try:
        s.recv_into(buf)
    except KeyboardInterrupt:
        break
PY
}
{
profile unloaded sh -c 'echo "nfscope: watching nothing, module unloaded" >&2; exec sleep 100'
load_module
# The module's base cost per dropped packet, piece by piece: loaded with
# everything off; its netfilter hooks counting (a's and b's); its drop
# probe (the summary); the attribution probes on the hook functions.
"$NFSCOPE_BIN" trace disable module:hooks >/dev/null
"$NFSCOPE_BIN" trace disable module:drop >/dev/null
ip netns exec a "$NFSCOPE_BIN" config --hooks off >/dev/null
ip netns exec b "$NFSCOPE_BIN" config --hooks off >/dev/null
profile loaded sh -c 'echo "nfscope: watching nothing, module loaded, all off" >&2; exec sleep 100'
ip netns exec a "$NFSCOPE_BIN" config --hooks on >/dev/null
ip netns exec b "$NFSCOPE_BIN" config --hooks on >/dev/null
profile counting sh -c 'echo "nfscope: watching nothing, hook counters on" >&2; exec sleep 100'
"$NFSCOPE_BIN" trace enable module:drop >/dev/null
profile summary sh -c 'echo "nfscope: watching nothing, drop probe on" >&2; exec sleep 100'
"$NFSCOPE_BIN" trace enable module:hooks >/dev/null
profile nothing sh -c 'echo "nfscope: watching nothing" >&2; exec sleep 100'
profile records "$NFSCOPE_BIN" drops watch --json --port 7777
PYTHONPATH=$NFSCOPE_ROOT/qemu-tests/lib profile raw raw_reader
profile bpf "$NFSCOPE_BIN" trace watch kfree-skb --json --port 7777
} >"$out/profile.txt" 2>&1
unload_module
