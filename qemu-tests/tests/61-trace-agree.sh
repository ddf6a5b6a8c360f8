#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module's drop probe and the BPF tracer watch the same drop storm at
# once (an nft drop and UDP to a closed port): when neither reports loss,
# their per-reason counts agree exactly, and match the nft counter. `trace
# list` reflects the module's probe toggles, whether made with `trace
# enable|disable` or with `drops config`, and `trace restore` undoes them.
# vm-timeout: 600
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft

NFT_DROPS=6000
CLOSED=3000
ns_pair
load_module
udp_drop_table b 7777

list_state() {
	nfscope trace list --json | "$PY" -c 'import json,sys
print(*[json.loads(l)["state"] for l in sys.stdin if json.loads(l)["name"] == sys.argv[1]])' "$1"
}
probes() { json_path "$(nfscope drops config --json)" "','.join(j['config']['probes'])"; }

step "module probe toggles, seen by trace list"
[ "$(list_state module:rst)" = on ] || fail "module:rst not on after load"
nfscope trace disable module:rst
[ "$(probes)" = drop,hooks,toa ] || fail "probes after disable module:rst: $(probes)"
[ "$(list_state module:rst)" = off ] || fail "trace list: module:rst not off"
nfscope trace list | grep -q "^module:rst .* off .*changed by nfscope; was probes \[drop,rst,hooks,toa\]" || fail "trace list does not show the change"
nfscope drops config --probes drop
[ "$(probes)" = drop,toa ] || fail "drops config --probes drop changed the TOA probe: $(probes)"
[ "$(list_state module:hooks)" = off ] || fail "trace list: module:hooks not off after drops config --probes drop"
nfscope trace enable module:hooks
[ "$(list_state module:hooks)" = on ] || fail "trace list: module:hooks not on after trace enable"
nfscope trace restore
[ "$(probes)" = drop,rst,hooks,toa ] || fail "probes after restore: $(probes)"

step "one storm, two observers: the module's drop probe and BPF kfree-skb"
# Both watch UDP drops of namespace b only, so drops elsewhere cannot
# differ between their start times.
drops_watch "$NFSCOPE_OUT/module.json" --json --kind drop --netns b --proto udp --stack-depth 2
module_pid=$watch_pid
trace_watch "$NFSCOPE_OUT/bpf.json" kfree-skb --json --netns b --proto udp --stack 2
bpf_pid=$watch_pid
# Paced (bursts of 100) so that the module's per-CPU buffers keep up.
ip netns exec a "$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
nft, closed = int(sys.argv[1]), int(sys.argv[2])
sent = 0
for i in range(nft + closed):
    s.sendto(b"x", ("198.18.1.2", 7777 if i < nft else 9999))
    if i % 100 == 99:
        time.sleep(0.05)' "$NFT_DROPS" "$CLOSED"
# The sender returns before the receiving side's softirq work is done, and
# the module drains its buffers from a work item: give both observers up to
# 120 s to print every drop (a loss shows below, whatever the wait).
expected=$((NFT_DROPS + CLOSED))
drops_in() { grep -c '"type":"drop"' "$1" || true; }
for _ in $(seq 120); do
	(($(drops_in "$NFSCOPE_OUT/module.json") >= expected && $(drops_in "$NFSCOPE_OUT/bpf.json") >= expected)) && break
	sleep 1
done
wait_records_sent
kill -INT "$module_pid" "$bpf_pid"
wait "$module_pid" || fail "drops watch: $(cat "$NFSCOPE_OUT/module.json.err")"
wait "$bpf_pid" || fail "trace watch: $(cat "$NFSCOPE_OUT/bpf.json.err")"

per_reason() {
	"$PY" -c 'import json, sys, collections
c = collections.Counter()
lost = 0
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] == "drop":
        c[j["reason_name"]] += 1
    elif j["type"] == "lost":
        lost += 1
print(json.dumps({"reasons": dict(sorted(c.items())), "loss_reports": lost}))' "$1"
}
m=$(per_reason "$NFSCOPE_OUT/module.json")
b=$(per_reason "$NFSCOPE_OUT/bpf.json")
echo "module: $m"
echo "bpf:    $b"
counted=$(storm_counted b)
echo "nft counted $counted"
[ "$(json_path "$m" "j['loss_reports']")" = 0 ] || fail "the module reported loss; the storm must be paced for it"
[ "$(json_path "$b" "j['loss_reports']")" = 0 ] || fail "the BPF tracer reported loss"
[ "$(json_path "$m" "j['reasons']")" = "$(json_path "$b" "j['reasons']")" ] || fail "per-reason counts differ"
[ "$(json_path "$b" "j['reasons'].get('NETFILTER_DROP')")" = "$counted" ] || fail "NETFILTER_DROP records != nft counter $counted"
[ "$(json_path "$b" "j['reasons'].get('NO_SOCKET')")" = "$CLOSED" ] || fail "NO_SOCKET records != $CLOSED datagrams to a closed port"
assert_cmp "$counted" -eq "$NFT_DROPS" "nft counter"

step "with modules loaded, a reset's stack starts at the reset path, not at the BPF program"
trace_watch "$NFSCOPE_OUT/rst.json" tcp-send-reset --json --netns b --port 7778 --count 1
syn_to_closed_port 7778
wait "$watch_pid" || fail "trace watch tcp-send-reset: $(cat "$NFSCOPE_OUT/rst.json.err")"
check_rst_record "$NFSCOPE_OUT/rst.json" "$(stat -L -c %i /run/netns/b)"
unload_module
echo "PASS $TEST_NAME"
