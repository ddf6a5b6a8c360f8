#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Drop recording benchmark (not a test: nothing about time is asserted), in
# one VM run. a sends 64-byte UDP datagrams that b's nft rule drops; each
# way of watching the drops is measured in the same run:
#   nothing    no tracer, module unloaded
#   event      the kernel's skb:kfree_skb event + stacktrace trigger, trace_pipe read
#   bpf        `nfscope trace watch kfree-skb --json` (BPF ring buffer, stacks)
#   records    `nfscope drops watch --json` (module records, stacks, hook attribution)
#   summary    the module loaded, records off (summary only)
# Per-drop cost: medians of 3 rounds of N_UDP datagrams, modes interleaved,
# two ways: the sender's time per datagram (work the CPU does meanwhile
# included), and the CPU time per drop from the first datagram until the
# listener has shown the last record (/proc/stat busy time: the drain and
# the reader included wherever they ran; a tracer that defers its reader
# until after the burst is not charged less for it).
# Loss: one burst of N_BURST drops to each of the bpf and records listeners
# (default settings, --port filter so only the burst is recorded, output to
# /dev/null); each listener's tally is compared with nft's counter.
# Cost without drops: TCP stream throughput and TCP round trips (a 1-byte
# ping-pong: per-packet cost) with the module loaded, all probes on, a
# listener, vs unloaded.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
NB=${1:?usage: drops-bench.sh NETBENCH}
N_UDP=${N_UDP:-40000}
N_BURST=${N_BURST:-120000}
N_RR=${N_RR:-20000}
STREAM_MB=${STREAM_MB:-200}
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
bench_pair
out=$NFSCOPE_OUT

# busy_ns: CPU time spent so far (all CPUs, not idle), in ns.
busy_ns() { echo $(($(awk '/^cpu / {printf "%d", $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat) * 10000000)); }

dropped() { ip netns exec b nft list chain inet f input | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
blast() { ip netns exec a "$NB" udp-blast 198.18.1.2 7777 "$1" | awk '{print $2}'; }

# listen NAME CMD...: a listener in the background, ready when its stderr
# says so; `stop_listener` ends it (SIGINT) once what it was sent is in.
listen() {
	local name=$1
	shift
	"$@" >/dev/null 2>"$out/$name.err" &
	listener=$!
	for _ in $(seq 300); do
		grep -q "^nfscope: \(watching\|tracing\)" "$out/$name.err" && return
		kill -0 $listener 2>/dev/null || fail "$name: $(cat "$out/$name.err")"
		sleep 0.1
	done
	fail "$name never got ready: $(cat "$out/$name.err")"
}
stop_listener() {
	sleep "${1:-2}"
	kill -INT $listener
	wait $listener || fail "listener: $(cat "$out"/*.err)"
}

# per_drop MODE: ns per dropped datagram while MODE watches, as the sender
# sees it, and in CPU time from the first datagram until every record was
# shown (the listener is stopped 2 s after the burst; idle time is not
# counted, its start-up and exit are).
per_drop() {
	local ns b0 reader=
	case $1 in
	event)
		echo 1 >$T/events/skb/kfree_skb/enable
		echo stacktrace >$T/events/skb/kfree_skb/trigger
		cat $T/trace_pipe >/dev/null &
		reader=$!
		;;
	bpf) listen bpf "$NFSCOPE_BIN" trace watch kfree-skb --json --port 7777 ;;
	records)
		nfscope drops config --records on >/dev/null
		listen records "$NFSCOPE_BIN" drops watch --json --port 7777
		;;
	summary) nfscope drops config --records off >/dev/null ;;
	esac
	b0=$(busy_ns)
	ns=$(blast "$N_UDP")
	case $1 in
	event)
		sleep 2
		kill $reader
		wait $reader 2>/dev/null || true
		;;
	bpf | records) stop_listener ;;
	esac
	local cpu=$(($(busy_ns) - b0))
	case $1 in
	event)
		echo '!stacktrace' >$T/events/skb/kfree_skb/trigger
		echo 0 >$T/events/skb/kfree_skb/enable
		;;
	summary) nfscope drops config --records on >/dev/null ;;
	esac
	echo "$ns	$((cpu / N_UDP))"
}

# burst NAME CMD...: N_BURST drops to a listener; prints dropped, shown, lost.
burst() {
	local name=$1 before after
	shift
	listen "$name" "$@"
	before=$(dropped)
	blast "$N_BURST" >/dev/null
	stop_listener 5
	after=$(dropped)
	local tally
	tally=$(grep '^nfscope: .* records shown' "$out/$name.err") || fail "$name: no tally: $(cat "$out/$name.err")"
	echo "$name: $tally" >&2
	awk -v d=$((after - before)) '{print d, $2, $5}' <<<"$tally"
}

stream_mbps() { nb_pair stream a b 198.18.1.2 "$STREAM_MB"; }
rr_ns() { nb_pair pingpong a b 198.18.1.2 "$N_RR"; }

results=$out/bench.tsv
: >"$results"
for round in 1 2 3; do
	for mode in nothing event bpf; do
		printf 'drop\t%s\t%s\n' $mode "$(per_drop $mode)" >>"$results"
	done
	printf 'stream\tunloaded\t%s\n' "$(stream_mbps)" >>"$results"
	printf 'rr\tunloaded\t%s\n' "$(rr_ns)" >>"$results"
	load_module
	for mode in records summary; do
		printf 'drop\t%s\t%s\n' $mode "$(per_drop $mode)" >>"$results"
	done
	listen idle "$NFSCOPE_BIN" drops watch --json
	printf 'stream\tloaded\t%s\n' "$(stream_mbps)" >>"$results"
	printf 'rr\tloaded\t%s\n' "$(rr_ns)" >>"$results"
	stop_listener 0
	unload_module
done
printf 'burst\tbpf\t%s\n' "$(burst bpf "$NFSCOPE_BIN" trace watch kfree-skb --json --port 7777)" >>"$results"
load_module
printf 'burst\trecords\t%s\n' "$(burst records "$NFSCOPE_BIN" drops watch --json --port 7777)" >>"$results"
nfscope drops config | tail -n1
unload_module
cat "$results"
"$PY" - "$results" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
def med(kind, mode, col=2):
    return statistics.median(float(r[col]) for r in rows if r[0] == kind and r[1] == mode)
modes = ("event", "bpf", "records", "summary")
names = {"event": "kfree_skb event + stacktrace trigger (trace_pipe)", "bpf": "BPF tracer (nfscope trace watch --json)",
         "records": "module records (nfscope drops watch --json)", "summary": "module, summary only (records off)"}
print("median of 3 rounds, per dropped datagram: the sender's ns, and CPU ns until all was shown")
print("%-50s %8s %8s %9s | %8s %8s %9s" % ("watching", "sender", "extra", "extra/bpf", "cpu", "extra", "extra/bpf"))
base = [med("drop", "nothing", c) for c in (2, 3)]
extra = {m: [med("drop", m, c) - base[i] for i, c in enumerate((2, 3))] for m in modes}
print("%-50s %8.0f %8s %9s | %8.0f %8s %9s" % ("nothing", base[0], "-", "-", base[1], "-", "-"))
for m in modes:
    e = extra[m]
    print("%-50s %8.0f %8.0f %9.2f | %8.0f %8.0f %9.2f" % (names[m], base[0] + e[0], e[0], e[0] / extra["bpf"][0],
                                                       base[1] + e[1], e[1], e[1] / extra["bpf"][1]))
print("burst to --json >/dev/null listeners:")
for m in ("bpf", "records"):
    for r in rows:
        if r[0] == "burst" and r[1] == m:
            dropped, shown, lost = map(int, r[2].split())
            print("  %-8s dropped %d shown %d lost %d (%.2f%%) shown+lost-dropped %d" %
                  (m, dropped, shown, lost, 100.0 * lost / dropped, shown + lost - dropped))
su, sl = med("stream", "unloaded"), med("stream", "loaded")
ru, rl = med("rr", "unloaded"), med("rr", "loaded")
print("no drops, module loaded (all probes, a listener) vs unloaded:")
print("  TCP stream %.1f vs %.1f MB/s: ratio %.3f" % (sl, su, sl / su))
print("  TCP 1-byte round trip %.0f vs %.0f ns: ratio %.3f" % (rl, ru, rl / ru))
PY
