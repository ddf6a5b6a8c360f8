#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Dropped packets as pcapng, read back by tshark: a mixed drop run in b
# (UDP over IPv4 and IPv6 and TCP SYNs dropped by an nft rule, UDP to a
# closed port dropped as NO_SOCKET, longer than the snaplen) while
# `drops watch --pcap` and `trace watch kfree-skb --pcap` (BPF) write
# files. Each file holds one packet per IP drop record delivered, in the
# same order, with the record's 5-tuple; the comments name the reason,
# the location and, for nft drops, the hook with table and chain; the
# interface is named as in b; packets longer than the snaplen are cut. A
# watch that fails to start (an unknown namespace) leaves no file.
# vm-timeout: 300
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft tshark

SNAP=128
ns_pair
load_module
udp_drop_table b 7777
ip netns exec b nft add rule inet storm input tcp dport 8888 drop
b_inode=$(stat -L -c %i /run/netns/b)

step "watches with --pcap: the module's records and the BPF tracer's"
timeout 120 "$NFSCOPE_BIN" drops watch --json --kind drop --netns b --pcap "$NFSCOPE_OUT/module.pcapng" \
	--snaplen $SNAP >"$NFSCOPE_OUT/module.json" 2>"$NFSCOPE_OUT/module.err" &
module_watch=$!
wait_ready $module_watch "$NFSCOPE_OUT/module.err" "watching drop records" "drops watch --pcap"
trace_watch "$NFSCOPE_OUT/bpf.json" kfree-skb --json --netns "$b_inode" --pcap "$NFSCOPE_OUT/bpf.pcapng" --snaplen $SNAP
bpf_watch=$watch_pid

step "mixed drops in b"
ip netns exec a "$PY" - <<'PY'
import socket
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for _ in range(20):
    u4.sendto(b"x" * 10, ("198.18.1.2", 7777))
for _ in range(10):
    u6.sendto(b"y" * 10, ("2001:db8:1::2", 7777))
for _ in range(10):
    u4.sendto(b"z" * 200, ("198.18.1.2", 9999))
for _ in range(5):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.settimeout(0.3)
    try:
        t.connect(("198.18.1.2", 8888))
    except OSError:
        pass
    t.close()
PY
# The 20 + 10 nft UDP, 10 closed-port and at least 5 nft TCP drops are
# delivered by both (and the module sent every record it queued) before
# the watches stop.
for f in module.json bpf.json; do
	wait_lines "$NFSCOPE_OUT/$f" '"dport":7777,' 30 "$f: nft UDP drops"
	wait_lines "$NFSCOPE_OUT/$f" '"dport":9999,' 10 "$f: closed-port drops"
	wait_lines "$NFSCOPE_OUT/$f" '"dport":8888,' 5 "$f: nft TCP drops"
done
wait_records_sent
kill -INT $module_watch $bpf_watch
wait $module_watch || fail "drops watch: $(cat "$NFSCOPE_OUT/module.err")"
wait $bpf_watch || fail "trace watch: $(cat "$NFSCOPE_OUT/bpf.json.err")"
cat "$NFSCOPE_OUT/module.err" "$NFSCOPE_OUT/bpf.json.err"

# check JSON PCAP TALLY_FILE WHO: the pcap against the records.
check() {
	tshark -r "$2" -T fields -E separator='|' -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e udp.srcport \
		-e tcp.srcport -e udp.dstport -e tcp.dstport -e frame.cap_len -e frame.len -e frame.interface_name \
		-e frame.comment >"$2.txt" 2>"$2.err" || fail "tshark -r $2: $(cat "$2.err")"
	"$PY" - "$1" "$2.txt" "$3" "$4" "$SNAP" <<-'PY' || fail "$4: the pcap does not match the records"
		import json, re, sys
		recs = [json.loads(l) for l in open(sys.argv[1])]
		drops = [r for r in recs if r["type"] == "drop"]
		lost = [r for r in recs if r["type"] == "lost"]
		assert not lost, lost
		ip = [r for r in drops if r.get("protocol")]
		rows = [l.rstrip("\n").split("|") for l in open(sys.argv[2])]
		who, snap = sys.argv[4], int(sys.argv[5])
		print(f"{who}: {len(drops)} drop records, {len(ip)} of IP packets, {len(rows)} packets in the pcap")
		assert len(rows) == len(ip), (len(rows), len(ip))
		tally = open(sys.argv[3]).read()
		m = re.search(r"(\d+) packets written to the pcap, (\d+) drop records without", tally)
		assert m and (int(m[1]), int(m[2])) == (len(ip), len(drops) - len(ip)), (m and m.groups(), tally)
		seen = {"nft-udp4": 0, "nft-udp6": 0, "nft-tcp": 0, "no-socket": 0}
		for r, row in zip(ip, rows):
		    src4, src6, dst4, dst6, usport, tsport, udport, tdport, caplen, length, ifname, comment = row
		    src, dst = src4 or src6, dst4 or dst6
		    sport, dport = usport or tsport, udport or tdport
		    assert (src, dst) == (r["saddr"], r["daddr"]), (row, r)
		    if r.get("dport") is not None:
		        assert (int(sport), int(dport)) == (r["sport"], r["dport"]), (row, r)
		    assert ifname == "vb", (row, r)
		    assert f"drop {r['reason_name']} at " in comment and f"netns {r['netns']} (b)" in comment, (comment, r)
		    assert int(caplen) <= snap and int(caplen) == min(snap, int(length)), row
		    h = r.get("hook")
		    if h:
		        assert f"hook {h['family']} {h['hook']}" in comment and f"{h['table']}/{h['chain']}" in comment, (comment, h)
		    kind = {7777: "nft-udp4" if src4 else "nft-udp6", 8888: "nft-tcp", 9999: "no-socket"}.get(r.get("dport"))
		    if kind:
		        seen[kind] += 1
		    if kind == "no-socket":
		        assert r["reason_name"] == "NO_SOCKET" and int(caplen) == snap and int(length) == 228, (row, r)
		print(who, seen)
		assert seen["nft-udp4"] == 20 and seen["nft-udp6"] == 10 and seen["no-socket"] == 10 and seen["nft-tcp"] >= 5, seen
		# The module's records know the hook: every nft drop names table storm, chain input.
		if who == "module":
		    nft = [c for c in (row[-1] for row in rows) if "NETFILTER_DROP" in c]
		    assert nft and all("nft inet storm/input" in c for c in nft), nft[:3]
	PY
}
step "tshark reads the module's pcap"
check "$NFSCOPE_OUT/module.json" "$NFSCOPE_OUT/module.pcapng" "$NFSCOPE_OUT/module.err" module
step "tshark reads the BPF tracer's pcap"
check "$NFSCOPE_OUT/bpf.json" "$NFSCOPE_OUT/bpf.pcapng" "$NFSCOPE_OUT/bpf.json.err" bpf
head -n 3 "$NFSCOPE_OUT/module.pcapng.txt"

step "a watch that fails to start leaves no pcap behind"
for tool in "drops watch" "trace watch kfree-skb"; do
	f=$NFSCOPE_OUT/failed-${tool%% *}.pcapng
	# shellcheck disable=SC2086 # the tool's words
	if "$NFSCOPE_BIN" $tool --netns no-such-namespace --pcap "$f" 2>"$f.err"; then
		fail "$tool --netns no-such-namespace succeeded"
	fi
	grep -q "no-such-namespace" "$f.err" || fail "$tool: the error does not name the namespace: $(cat "$f.err")"
	[ ! -e "$f" ] || fail "$tool failed but left $f ($(stat -c %s "$f") bytes)"
done
unload_module
echo "PASS $TEST_NAME"
