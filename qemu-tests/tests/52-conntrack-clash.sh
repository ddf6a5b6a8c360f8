#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The seed incident: UDP flows in both directions between two namespaces
# while `conntrack -F` runs in a loop; some sendto() calls fail with EPERM.
# nfscope attributes those drops to conntrack's confirm hook (nf_confirm at
# POST_ROUTING), classifies them as insert_failed, and their number equals
# the insert_failed delta of /proc/net/stat/nf_conntrack over the run.
#
# 7.2 resolves most UDP clashes: entries of the two directions are merged
# (nf_ct_match_reverse), and NAT clashes whose reply tuple is unique are
# inserted anyway (nf_ct_resolve_clash_harder). The condition that defeats
# it here: SNAT of six flows to a two-port range, so entries created after
# each flush race for the same reply tuples, which cannot be resolved.
# vm-timeout: 400
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft conntrack

ns_pair
load_module
a_inode=$(stat -L -c %i /run/netns/a)
clash_nat

drops_watch "$NFSCOPE_OUT/watch.json" --json --netns a
before=$(insert_failed a)

step "echo server in b, six flows from a, conntrack -F in a loop in a"
clash_run 60 "$NFSCOPE_OUT/flows.txt"
after=$(insert_failed a)
delta=$((after - before))
echo "insert_failed: $before -> $after"
assert_cmp "$delta" -ge 1 "insert_failed drops observed (none: the scenario could not reproduce the incident)"

step "every insert_failed drop is a record attributed to conntrack confirm"
wait_records_sent
kill -INT $watch_pid
wait $watch_pid || fail "drops watch: $(cat "$NFSCOPE_OUT/watch.json.err")"
"$PY" - "$NFSCOPE_OUT/watch.json" "$delta" "$a_inode" <<'PY' || fail "records do not match insert_failed"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
lost = [r for r in recs if r["type"] == "lost"]
assert not lost, f"records lost: {lost}"
ct = [r for r in recs if r["type"] == "drop" and ((r.get("hook") or {}).get("conntrack") or "").startswith("insert_failed")]
print(f"{len(ct)} conntrack insert_failed records, insert_failed delta {sys.argv[2]}")
print(json.dumps(ct[0]))
assert len(ct) == int(sys.argv[2]), (len(ct), sys.argv[2])
for r in ct:
    h = r["hook"]
    assert (r["reason_name"], r["netns"], h["class"], h["function"], h["hook"], h["how"]) == (
        "NETFILTER_DROP", int(sys.argv[3]), "conntrack", "nf_confirm", "POST_ROUTING", "verdict"), r
    assert h["priority"] == 2147483647, r
    assert r["location"].startswith("nf_hook_slow+"), r
    assert r["protocol"] == "udp" and r["dport"] == 5000, r
# Firewall drops are told apart: nothing here is attributed to nftables.
assert not [r for r in recs if r["type"] == "drop" and (r.get("hook") or {}).get("class") == "nftables"]
PY
unload_module
echo "PASS $TEST_NAME"
