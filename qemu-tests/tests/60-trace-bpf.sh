#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tracers without the module: `nfscope trace watch` runs the libbpf-rs BPF
# programs (CO-RE against the kernel's BTF) and reports drops and resets in
# the drop record shape, with reason names from BTF, a symbolized stack and
# the BPF program's own filters. `trace enable|disable` toggles tracefs
# events (visible in .../enable and .../filter) and `trace restore` puts
# them back. Errors name what is missing: a capability, tracefs, BTF, the
# tracer.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip setpriv unshare

[ ! -e /sys/module/nfscope ] || fail "the module is loaded; this scenario runs without it"
ns_pair
b_inode=$(stat -L -c %i /run/netns/b)

udp_to() { ip netns exec a "$PY" -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("198.18.1.2", int(sys.argv[1])))' "$1"; }

step "trace list: BPF tracers off, tracefs events, module probes unavailable"
nfscope trace list | tee "$NFSCOPE_OUT/list.txt"
list=$(nfscope trace list --json)
state() { "$PY" -c 'import json,sys
rows = [json.loads(l) for l in sys.argv[1].splitlines()]
print(*[r["state"] for r in rows if r["name"] == sys.argv[2]])' "$list" "$1"; }
[ "$(state kfree-skb)" = off ] || fail "kfree-skb: $(state kfree-skb)"
[ "$(state skb:kfree_skb)" = off ] || fail "skb:kfree_skb: $(state skb:kfree_skb)"
[ "$(state module:drop)" = unavailable ] || fail "module:drop without the module: $(state module:drop)"

step "UDP to closed ports, only port 9999 asked for: NO_SOCKET records with stacks, nothing else"
# __udp4_lib_rcv frees it; Linux 7.2's build inlines it into udp_rcv, 6.12's does not.
udp_fn=udp_rcv
grep -q ' __udp4_lib_rcv$' /proc/kallsyms && udp_fn=__udp4_lib_rcv
echo "the UDP no-socket drop is freed in $udp_fn on this kernel"
trace_watch "$NFSCOPE_OUT/udp.json" kfree-skb --json --netns b --port 9999 --count 2
udp_to 9998
udp_to 9999
udp_to 9997
udp_to 9999
wait $watch_pid || fail "trace watch: $(cat "$NFSCOPE_OUT/udp.json.err")"
cat "$NFSCOPE_OUT/udp.json"
assert_cmp "$(wc -l <"$NFSCOPE_OUT/udp.json")" -eq 2 "records"
while read -r rec; do
	[ "$(json_path "$rec" "(j['schema'], j['type'], j['reason_name'], j['protocol'], j['saddr'], j['daddr'], j['dport'], j['netns'])")" = \
		"(1, 'drop', 'NO_SOCKET', 'udp', '198.18.1.1', '198.18.1.2', 9999, $b_inode)" ] || fail "record: $rec"
	json_path "$rec" "j['location']" | grep -qE "^$udp_fn\\+0x[0-9a-f]+/0x[0-9a-f]+\$" || fail "location: $rec"
	[ "$(json_path "$rec" "j['stack'][0] == j['location'] and any(f.startswith('ip_local_deliver_finish+') for f in j['stack'])")" = True ] ||
		fail "stack: $rec"
	[ "$(json_path "$rec" "not any(f.startswith('bpf_') for f in j['stack'])")" = True ] || fail "BPF frames in the stack: $rec"
done <"$NFSCOPE_OUT/udp.json"

step "reason names come from the kernel's BTF: a reason filter by name"
trace_watch "$NFSCOPE_OUT/reason.json" kfree-skb --json --netns b --reason NO_SOCKET --count 1
udp_to 9999
wait $watch_pid || fail "trace watch --reason: $(cat "$NFSCOPE_OUT/reason.json.err")"
[ "$(json_path "$(head -n1 "$NFSCOPE_OUT/reason.json")" "j['reason_name']")" = NO_SOCKET ] || fail "reason filter"
out=$("$NFSCOPE_BIN" trace watch kfree-skb --reason NO_SUCH_REASON 2>&1) && fail "unknown reason accepted"
grep -q "no drop reason" <<<"$out" || fail "unknown reason: $out"

step "TCP SYN to a closed port: an RST record from tcp-send-reset"
trace_watch "$NFSCOPE_OUT/rst.json" tcp-send-reset --json --netns b --port 7778 --count 1
syn_to_closed_port 7778
wait $watch_pid || fail "trace watch tcp-send-reset: $(cat "$NFSCOPE_OUT/rst.json.err")"
check_rst_record "$NFSCOPE_OUT/rst.json" "$b_inode"

step "text output, and trace list sees a running BPF tracer"
trace_watch "$NFSCOPE_OUT/text.txt" kfree-skb --netns b --port 9999 --count 1
[ "$(list=$(nfscope trace list --json); state kfree-skb)" = on ] || fail "trace list: kfree-skb not on while a watch runs"
udp_to 9999
wait $watch_pid || fail "trace watch (text)"
cat "$NFSCOPE_OUT/text.txt"
head -n1 "$NFSCOPE_OUT/text.txt" | grep -q "DROP netns $b_inode .* NO_SOCKET at $udp_fn+" || fail "text header line"
sed -n 2p "$NFSCOPE_OUT/text.txt" | grep -q "^    $udp_fn+" || fail "text stack line"

step "a reader that stalls: every record is delivered or reported lost"
# A 16 KiB ring holds ~44 records; the watcher is stopped while 300 drops
# happen, then resumes and is told to finish.
trace_watch "$NFSCOPE_OUT/loss.json" kfree-skb --json --netns b --port 9999 --stack 0 --ring-kib 16
# watch_pid is timeout(1); the reader is its child.
reader=$(pgrep -P "$watch_pid") || fail "no trace watch process under $watch_pid"
kill -STOP "$reader"
ip netns exec a "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(300):
    s.sendto(b"x", ("198.18.1.2", 9999))'
kill -CONT "$reader"
# delivered_and_lost: records in loss.json and records it reports lost.
delivered_and_lost() {
	"$PY" -c 'import json, sys
recs = lost = 0
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] == "drop": recs += 1
    elif j["type"] == "lost" and j["where"] == "kernel": lost += j["count"]
print(recs, lost)' "$NFSCOPE_OUT/loss.json"
}
# Until the resumed reader has accounted for all 300 drops.
all_accounted() {
	local r l
	read -r r l < <(delivered_and_lost)
	echo "$r delivered, $l lost"
	((r + l >= 300))
}
wait_progress all_accounted || fail "trace watch (stalled): $(all_accounted) of 300; no progress for 60 s"
kill -INT "$watch_pid"
wait "$watch_pid" || fail "trace watch (stalled): $(cat "$NFSCOPE_OUT/loss.json.err")"
counts=$(delivered_and_lost)
echo "delivered, lost: $counts"
read -r recs lost <<<"$counts"
assert_cmp "$lost" -gt 0 "records reported lost by a stalled reader"
assert_cmp "$((recs + lost))" -eq 300 "delivered + reported lost"
out=$("$NFSCOPE_BIN" trace watch kfree-skb --ring-kib 3 2>&1) && fail "a 3 KiB ring was accepted"
grep -q "power of two" <<<"$out" || fail "bad ring size: $out"

step "trace enable/disable of tracefs events, visible in tracefs; restore"
ev=/sys/kernel/tracing/events/skb/kfree_skb
[ "$(cat $ev/enable)" = 0 ] || fail "skb:kfree_skb on before the test"
nfscope trace enable skb:kfree_skb --filter "reason == 3"
[ "$(cat $ev/enable)" = 1 ] || fail "enable did not reach $ev/enable"
[ "$(cat $ev/filter)" = "reason == 3" ] || fail "filter: $(cat $ev/filter)"
nfscope trace enable tcp:tcp_send_reset
[ "$(cat /sys/kernel/tracing/events/tcp/tcp_send_reset/enable)" = 1 ] || fail "tcp:tcp_send_reset not on"
udp_to 9999
grep -q "kfree_skb: .*reason: NO_SOCKET" /sys/kernel/tracing/trace || fail "the enabled event traced nothing: $(tail -n 3 /sys/kernel/tracing/trace)"
nfscope trace disable skb:kfree_skb
[ "$(cat $ev/enable)" = 0 ] || fail "disable did not reach $ev/enable"
[ "$(cat $ev/filter)" = "reason == 3" ] || fail "disable changed the filter: $(cat $ev/filter)"
nfscope trace list | tee "$NFSCOPE_OUT/list2.txt"
grep -q "^skb:kfree_skb .* off .*changed by nfscope; was off" "$NFSCOPE_OUT/list2.txt" || fail "trace list does not show the change"
grep -q "^tcp:tcp_send_reset .* on .*changed by nfscope; was off" "$NFSCOPE_OUT/list2.txt" || fail "trace list: tcp_send_reset change"
nfscope trace restore
[ "$(cat /sys/kernel/tracing/events/tcp/tcp_send_reset/enable)" = 0 ] || fail "restore left tcp:tcp_send_reset on"
[ "$(cat $ev/filter)" = none ] || fail "restore left the filter: $(cat $ev/filter)"
! nfscope trace list | grep -q "changed by nfscope" || fail "changes still listed after restore"

step "errors name what is missing"
expect_error() { # MESSAGE-REGEX COMMAND...
	local want=$1 out
	shift
	out=$("$@" 2>&1) && fail "succeeded: $*"
	echo "$out"
	grep -qE "$want" <<<"$out" || fail "$*: $out"
}
unpriv() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
expect_error "needs CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)" unpriv "$NFSCOPE_BIN" trace watch kfree-skb
expect_error "write access to tracefs" unpriv "$NFSCOPE_BIN" trace enable skb:kfree_skb
[ "$(cat $ev/enable)" = 0 ] || fail "an unprivileged enable changed the event"
expect_error "unknown tracer \"nope\"" "$NFSCOPE_BIN" trace watch nope
expect_error "unknown tracer \"skb:nope\"" "$NFSCOPE_BIN" trace enable skb:nope
expect_error "tracefs is not mounted: mount it with .mount -t tracefs nodev /sys/kernel/tracing" \
	unshare -m sh -c "umount /sys/kernel/tracing && exec $NFSCOPE_BIN trace enable skb:kfree_skb"
expect_error "no kernel BTF at /sys/kernel/btf/vmlinux" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec $NFSCOPE_BIN trace watch kfree-skb"
expect_error "module not loaded" "$NFSCOPE_BIN" trace enable module:drop
echo "PASS $TEST_NAME"
