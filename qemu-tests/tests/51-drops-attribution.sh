#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Exact hook attribution, kernel-side filters and the summary: two base
# chains on the input hook at priorities -150 and 10 each drop their own UDP
# port, and every record names its own chain and priority. A port filter
# keeps the other port's records out of userspace (the kernel counts them as
# filtered). Sampling reports what it leaves out. The summary
# (/proc/net/nfscope/drops, `nfscope drops top`) counts per chain. Probes
# turn off and on at runtime.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft

ns_pair
load_module
b_inode=$(stat -L -c %i /run/netns/b)
ip netns exec b nft -f - <<'NFT'
table inet early {
	chain c_early {
		type filter hook input priority -150;
		udp dport 7001 counter drop
	}
}
table ip late {
	chain c_late {
		type filter hook input priority 10;
		udp dport 7002 counter drop
	}
}
NFT

# send PORT N: N UDP datagrams from a to b:PORT.
send() {
	ip netns exec a "$PY" -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])): s.sendto(b"x", ("198.18.1.2", int(sys.argv[1])))' "$1" "$2"
}
nft_count() { ip netns exec b nft list chain "$1" "$2" "$3" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }

step "each drop names its own chain and priority"
drops_watch "$NFSCOPE_OUT/both.json" --json --netns b --proto udp --count 4
pid=$watch_pid
send 7001 2
send 7002 2
wait $pid || fail "drops watch: $(cat "$NFSCOPE_OUT/both.json.err")"
cat "$NFSCOPE_OUT/both.json"
while read -r rec; do
	port=$(json_path "$rec" "j['dport']")
	got=$(json_path "$rec" "(j['reason_name'], j['hook']['hook'], j['hook']['table'], j['hook']['chain'], j['hook']['priority'], j['hook']['class'])")
	case $port in
	7001) [ "$got" = "('NETFILTER_DROP', 'LOCAL_IN', 'early', 'c_early', -150, 'nftables')" ] || fail "port 7001: $rec" ;;
	7002) [ "$got" = "('NETFILTER_DROP', 'LOCAL_IN', 'late', 'c_late', 10, 'nftables')" ] || fail "port 7002: $rec" ;;
	*) fail "unexpected record: $rec" ;;
	esac
done <"$NFSCOPE_OUT/both.json"
assert_cmp "$(grep -c '"dport":7001' "$NFSCOPE_OUT/both.json")" -eq 2 "records for port 7001"
assert_cmp "$(grep -c '"dport":7002' "$NFSCOPE_OUT/both.json")" -eq 2 "records for port 7002"
# The filters were set for the watch only.
[ "$(json_path "$(nfscope drops config --json)" "(j['config']['port'], j['config']['netns'], j['config']['protocol'])")" = \
	"(None, None, None)" ] || fail "watch did not restore the configuration: $(nfscope drops config --json)"

step "a port filter: records of other ports never reach userspace"
filtered0=$(drop_stat filtered)
drops_watch "$NFSCOPE_OUT/port.json" --json --port 7001
pid=$watch_pid
send 7002 20
send 7001 5
send 7002 20
wait_records_sent
kill -INT $pid
wait $pid || fail "drops watch --port: $(cat "$NFSCOPE_OUT/port.json.err")"
assert_cmp "$(grep -c '"type":"drop"' "$NFSCOPE_OUT/port.json")" -eq 5 "records with --port 7001"
if grep '"type":"drop"' "$NFSCOPE_OUT/port.json" | grep -v '"dport":7001'; then fail "a record of another port reached userspace"; fi
filtered=$(($(drop_stat filtered) - filtered0))
assert_cmp "$filtered" -ge 40 "drops the kernel filtered out"
[ "$(json_path "$(nfscope drops config --json)" "j['config']['port']")" = None ] || fail "port filter not restored"

step "sampling: one in 4 recorded, the rest reported as suppressed"
drops_watch "$NFSCOPE_OUT/sample.json" --json --port 7001 --sample 4
pid=$watch_pid
send 7001 20
wait_records_sent
kill -INT $pid
wait $pid || fail "drops watch --sample: $(cat "$NFSCOPE_OUT/sample.json.err")"
records=$(grep -c '"type":"drop"' "$NFSCOPE_OUT/sample.json")
suppressed=$("$PY" -c 'import json,sys
print(sum(j["count"] for j in map(json.loads, open(sys.argv[1])) if j["type"] == "lost" and j["where"] == "suppressed"))' "$NFSCOPE_OUT/sample.json")
assert_cmp "$records" -eq 5 "sampled records"
assert_cmp "$((records + suppressed))" -eq 20 "records + suppressed"

step "the summary counts per chain: /proc/net/nfscope/drops and drops top"
cat /proc/net/nfscope/drops
ip netns exec b cat /proc/net/nfscope/drops | tee "$NFSCOPE_OUT/proc.txt"
early=$(nft_count inet early c_early)
late=$(nft_count ip late c_late)
grep -E "^ *$early NETFILTER_DROP nft_do_chain\+.* hook=ipv4:LOCAL_IN:nft_do_chain_inet@-150 nft=early/c_early" "$NFSCOPE_OUT/proc.txt" ||
	fail "no summary line with $early drops for early/c_early"
grep -E "^ *$late NETFILTER_DROP nft_do_chain\+.* hook=ipv4:LOCAL_IN:nft_do_chain_ipv4@10 nft=late/c_late" "$NFSCOPE_OUT/proc.txt" ||
	fail "no summary line with $late drops for late/c_late"
if grep -q "nft=" <(ip netns exec a cat /proc/net/nfscope/drops); then fail "namespace a shows b's drops"; fi
nfscope drops top --count 1 | tee "$NFSCOPE_OUT/top.txt"
grep -E "^ *$late .* $b_inode \(b\) +NETFILTER_DROP .* nft ip late/c_late" "$NFSCOPE_OUT/top.txt" || fail "drops top: no line for late/c_late (with the namespace's name)"
top=$(nfscope drops top --json --count 1 --netns b)
"$PY" -c 'import json,sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
chains = {(l["hook"]["chain"], l["hook"]["priority"]): l["count"] for l in lines if l["type"] == "drop_summary" and l.get("hook")}
assert chains == {("c_early", -150): int(sys.argv[2]), ("c_late", 10): int(sys.argv[3])}, chains
assert any(l["type"] == "drop_stats" for l in lines)' "$top" "$early" "$late" || fail "drops top --json: $top"

step "probes turn off and on at runtime"
nfscope drops config --probes rst >/dev/null
drops0=$(drop_stat drops)
send 7001 3
assert_cmp "$(drop_stat drops)" -eq "$drops0" "drops counted with the drop probe off"
nfscope drops config --probes drop,rst | tee "$NFSCOPE_OUT/cfg.txt"
grep -q "hook functions 0" "$NFSCOPE_OUT/cfg.txt" || fail "hook probes still registered with 'hooks' off"
drops_watch "$NFSCOPE_OUT/nohook.json" --json --port 7002 --count 1
pid=$watch_pid
send 7002 1
wait $pid || fail "drops watch with hooks off"
[ "$(json_path "$(head -n1 "$NFSCOPE_OUT/nohook.json")" "('hook' in j, j['reason_name'])")" = "(False, 'NETFILTER_DROP')" ] ||
	fail "record with the hooks probe off: $(cat "$NFSCOPE_OUT/nohook.json")"
nfscope drops config --reset | tee "$NFSCOPE_OUT/cfg.txt"
grep -q "^probes: drop,rst,hooks" "$NFSCOPE_OUT/cfg.txt" || fail "reset config"
[ "$(drop_stat hook_funcs)" -gt 0 ] || fail "hook probes not back after reset"

step "bad configuration is refused and changes nothing"
before=$(nfscope drops config --json)
out=$(nfscope drops config --reason NO_SUCH_REASON 2>&1) && fail "unknown reason accepted"
grep -q "unknown drop reason" <<<"$out" || fail "unknown reason error: $out"
out=$(nfscope drops config --stack-depth 0 2>&1) && fail "stack depth 0 accepted"
grep -q -- "--stack-depth" <<<"$out" || fail "stack depth error: $out"
# The module checks on its own (the CLI refuses before asking): DROP_SET_CONFIG
# (10) with NFSCOPE_A_STACK_DEPTH (31) = 0 and 17.
for d in 0 17; do
	r=$("$PY" "$NFSCOPE_ROOT/qemu-tests/lib/genl.py" 10 31:u8:$d)
	[ "$(json_field "$r" errno)" = 22 ] || fail "module took stack depth $d: $r"
	grep -q "stack depth" <<<"$(json_field "$r" extack)" || fail "stack depth $d: extack $r"
done
# NFSCOPE_A_SNAPLEN (38) beyond 256; --snaplen 0 and 257 the CLI refuses.
r=$("$PY" "$NFSCOPE_ROOT/qemu-tests/lib/genl.py" 10 38:u16:257)
[ "$(json_field "$r" errno)" = 22 ] || fail "module took snaplen 257: $r"
grep -q "snaplen" <<<"$(json_field "$r" extack)" || fail "snaplen 257: extack $r"
for n in 0 257; do
	out=$(nfscope drops watch --pcap "$NFSCOPE_OUT/x.pcapng" --snaplen $n 2>&1) && fail "--snaplen $n accepted"
	grep -q -- "--snaplen" <<<"$out" || fail "--snaplen $n error: $out"
done
[ "$(json_path "$(nfscope drops config --json)" "j['config']")" = "$(json_path "$before" "j['config']")" ] || fail "a refused change changed the config"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NFSCOPE_BIN" drops config --port 1 2>&1) &&
	fail "unprivileged config change succeeded"
grep -q "needs CAP_NET_ADMIN" <<<"$out" || fail "unprivileged config change: $out"
unload_module
echo "PASS $TEST_NAME"
