#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TOA benchmark (not a test), module unloaded vs loaded in one VM run:
# getpeername() cost on a plain and on a TOA connection; per-packet cost of
# 64-byte UDP datagrams (4 hook calls each: OUTPUT, POSTROUTING, PREROUTING,
# INPUT); TCP stream throughput (every segment has timestamp options, so the
# TOA option walk runs at INPUT); TCP 1-byte round trips on one connection
# (per-packet cost; timestamps on every segment, TOA kinds configured: the
# defaults). "loaded" is the module as loaded (every probe on, hook
# counters on); "toa-only" turns the drop monitor's probes and the hook
# counters off, leaving TOA's per-packet path alone. Prints medians of 3
# alternating rounds.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
NB=${1:?usage: toa-bench.sh NETBENCH}
N_GETPEERNAME=${N_GETPEERNAME:-200000}
N_UDP=${N_UDP:-200000}
N_RR=${N_RR:-20000}
STREAM_MB=${STREAM_MB:-200}
toa_setup
T200=c8089c40cb007107
port=9100

# getpeername_ns: one connection (plain, or crafted with TOA), N getpeername() calls.
getpeername_ns() {
	local toa=$1 out
	port=$((port + 1))
	ip netns exec be "$NB" getpeername-server 198.18.2.2 $port "$N_GETPEERNAME" >"$NFSCOPE_OUT/gp.txt" &
	local srv=$!
	until grep -q ready "$NFSCOPE_OUT/gp.txt" 2>/dev/null; do sleep 0.05; done
	if [ "$toa" = toa ]; then
		toa_conn --no-server --fin-timeout 300 --src 198.18.2.1 --dst 198.18.2.2 --port $port --syn-opt $T200 ||
			fail "crafted TOA connection"
	else
		ip netns exec lb bash -c "exec 3<>/dev/tcp/198.18.2.2/$port; sleep 0.2" || fail "plain connection"
	fi
	wait $srv || fail "getpeername server"
	out=$(grep getpeername_ns "$NFSCOPE_OUT/gp.txt")
	echo "$toa: $out" >&2
	echo "$out" | awk '{print $2}'
}

udp_ns() {
	ip netns exec lb "$NB" udp-blast 198.18.2.2 9 "$N_UDP" | awk '{print $2}'
}

stream_mbps() { nb_pair stream lb be 198.18.2.2 "$STREAM_MB"; }
rr_ns() { nb_pair pingpong lb be 198.18.2.2 "$N_RR"; }

toa_only() {
	nfscope drops config --probes none >/dev/null
	for ns in lb be; do ip netns exec $ns "$NFSCOPE_BIN" config --hooks off >/dev/null; done
	[ "$(nfscope drops config --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["config"]["probes"])')" = "['toa']" ] ||
		fail "toa-only: probes are not just toa"
}

results=$NFSCOPE_OUT/bench.tsv
: >"$results"
for round in 1 2 3; do
	for mode in unloaded loaded toa-only; do
		[ $mode = unloaded ] || load_module
		[ $mode = toa-only ] && toa_only
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$(getpeername_ns plain)" "$(getpeername_ns toa)" \
			"$(udp_ns)" "$(stream_mbps)" "$(rr_ns)" >>"$results"
		[ $mode = unloaded ] || unload_module
	done
done
cat "$results"
"$PY" - "$results" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
modes = ("unloaded", "loaded", "toa-only")
med = {m: [statistics.median(float(r[i]) for r in rows if r[0] == m) for i in (1, 2, 3, 4, 5)] for m in modes}
names = ["getpeername() plain connection (ns)", "getpeername() TOA connection (ns)",
         "64-byte UDP datagram, 4 hooks (ns)", "TCP stream (MB/s)", "TCP 1-byte round trip (ns)"]
print("%-40s %10s %10s %8s %10s %8s" % ("median of 3 rounds", "unloaded", "loaded", "ratio", "toa-only", "ratio"))
for i, n in enumerate(names):
    u, l, t = (med[m][i] for m in modes)
    print("%-40s %10.1f %10.1f %8.2f %10.1f %8.2f" % (n, u, l, l / u, t, t / u))
extra = med["loaded"][2] - med["unloaded"][2]
print("extra cost per UDP packet (4 hook calls): %.1f ns" % extra)
PY
