#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A drop storm: at least 200,000 UDP datagrams an nft rule drops, sent as
# fast as the guest can, while `nfscope drops watch` streams them. No soft
# lockup or WARN (vm-run.sh checks the console); every record is either
# delivered or reported lost: delivered + lost == the nft counter. The
# summary counts every one of them.
# vm-timeout: 600
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft

TOTAL=200000
ns_pair
load_module
udp_drop_table b 7777

# Counts what the watch prints: records of port 7777, kernel-reported losses,
# socket overruns; the counts so far are in count.json, rewritten twice a
# second and at the end.
cat >"$NFSCOPE_OUT/count.py" <<'PY'
import json, os, sys, time
out = sys.argv[1]
c = {"records": 0, "lost": 0, "overruns": 0, "other": 0}
def save():
    with open(out + ".tmp", "w") as f:
        json.dump(c, f)
    os.replace(out + ".tmp", out)
save()
saved = time.monotonic()
for line in sys.stdin:
    j = json.loads(line)
    if j["type"] == "drop" and j.get("dport") == 7777:
        c["records"] += 1
    elif j["type"] == "lost" and j["where"] == "kernel":
        c["lost"] += j["count"]
    elif j["type"] == "lost":
        c["overruns"] += 1
    else:
        c["other"] += 1
    if time.monotonic() - saved >= 0.5:
        save()
        saved = time.monotonic()
save()
PY
count() { json_path "$(cat "$NFSCOPE_OUT/count.json")" "j['$1']"; }

step "storm: $TOTAL datagrams to a port b drops, with a watcher"
("$NFSCOPE_BIN" drops watch --json --netns b --port 7777 --stack-depth 4 2>"$NFSCOPE_OUT/watch.err" |
	"$PY" "$NFSCOPE_OUT/count.py" "$NFSCOPE_OUT/count.json") &
wait_ready $! "$NFSCOPE_OUT/watch.err" "^nfscope: watching" "drops watch"
watch_pid=$(pgrep -f "drops watch --json --netns b --port 7777")
start=$SECONDS
ip netns exec a "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("198.18.1.2", 7777)
for _ in range(int(sys.argv[1])):
    s.sendto(b"x", dst)' "$TOTAL"
echo "sent $TOTAL in $((SECONDS - start)) s"
dropped=$(storm_counted b)
assert_cmp "$dropped" -ge "$TOTAL" "drops the nft counter saw"

# Until the module sent (or counted lost) every record, and the watcher
# read them all: records and loss reports reach it from a work item, which
# a loaded host delays. Fails only when that stops progressing.
wait_records_sent
watcher_read() {
	local got=$(($(count records) + $(count lost)))
	echo "$got"
	((got >= dropped))
}
wait_progress watcher_read || echo "the watcher stopped at $(watcher_read) of $dropped"
kill -INT "$watch_pid"
wait
cat "$NFSCOPE_OUT/count.json" "$NFSCOPE_OUT/watch.err"
nfscope drops config
records=$(count records) lost=$(count lost)
echo "delivered $records + reported lost $lost; nft counted $dropped"
assert_cmp "$((records + lost))" -eq "$dropped" "delivered + reported lost"

step "the summary counts every drop"
ip netns exec b cat /proc/net/nfscope/drops | tee "$NFSCOPE_OUT/proc.txt"
grep -E "^ *$dropped NETFILTER_DROP .* nft=storm/input" "$NFSCOPE_OUT/proc.txt" || fail "summary line for storm/input is not $dropped"
unload_module
echo "PASS $TEST_NAME"
