#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A real Prometheus (Debian's) scrapes `nfscope exporter` every 5 s
# while an nft rule in b drops a UDP storm and conntrack clashes in a
# (clash_run, as in scenario 52). Asked through Prometheus's HTTP API:
# the drops charged to the nft rule's chain in b equal the rule's counter;
# the drops classed insert_failed in a equal conntrack's insert_failed
# delta, as does the exporter's own conntrack counter; namespaces carry
# their names and a process living in them. `promtool check metrics`
# accepts the exposition. With the module unloaded the exporter keeps
# answering, with nfscope_module_loaded 0.
# vm-timeout: 500
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
require ip nft conntrack prometheus promtool

STORM=3000
ns_pair
load_module
udp_drop_table b 7777
clash_nat
# A process living in a: the exporter names the namespace by it.
ip netns exec a sleep 1000 &
sleeper=$!

step "exporter and Prometheus (scrape every 5 s)"
"$NFSCOPE_BIN" exporter --listen 127.0.0.1:9814 2>"$NFSCOPE_OUT/exporter.err" &
exporter=$!
wait_ready $exporter "$NFSCOPE_OUT/exporter.err" "serving http" "nfscope exporter"
cat >"$NFSCOPE_OUT/prometheus.yml" <<'YML'
global:
  scrape_interval: 5s
  scrape_timeout: 5s
scrape_configs:
  - job_name: nfscope
    static_configs:
      - targets: ["127.0.0.1:9814"]
YML
promtool check config "$NFSCOPE_OUT/prometheus.yml" >/dev/null || fail "promtool rejects the scrape config"
# The TSDB mmaps its files: tmpfs, not the 9p share $NFSCOPE_OUT is on.
tsdb=$(mktemp -d)
mount -t tmpfs tmpfs "$tsdb"
prometheus --config.file="$NFSCOPE_OUT/prometheus.yml" --storage.tsdb.path="$tsdb" \
	--web.listen-address=127.0.0.1:9090 >"$NFSCOPE_OUT/prometheus.log" 2>&1 &
prom=$!

# query EXPR: the value of a PromQL expression now (one series; "none" if
# it has none).
query() {
	"$PY" - "$1" <<-'PY'
		import json, sys, urllib.parse, urllib.request
		url = "http://127.0.0.1:9090/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[1]})
		j = json.load(urllib.request.urlopen(url, timeout=10))
		assert j["status"] == "success", j
		r = j["data"]["result"]
		print(int(float(r[0]["value"][1])) if r else "none")
	PY
}
# until_query EXPR WANT: until Prometheus answers WANT (90 s at most: it
# starts slowly under TCG); fails with what it answered.
until_query() {
	local got=none deadline=$((SECONDS + 90))
	while ((SECONDS < deadline)); do
		kill -0 $prom 2>/dev/null || fail "prometheus exited: $(tail -n 5 "$NFSCOPE_OUT/prometheus.log")"
		got=$(query "$1" 2>/dev/null || echo none)
		[ "$got" = "$2" ] && { echo "$1 = $got"; return; }
		sleep 1
	done
	fail "Prometheus: $1 = $got, expected $2"
}
until_query 'up{job="nfscope"}' 1
until_query 'nfscope_module_loaded' 1

step "storm: $STORM datagrams to b's port 7777, dropped by table inet storm"
ip netns exec a "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[1])):
    s.sendto(b"x", ("198.18.1.2", 7777))' "$STORM"
dropped=$(storm_counted b)
assert_cmp "$dropped" -ge "$STORM" "drops the nft rule counted"

step "conntrack clashes in a"
before=$(insert_failed a)
clash_run 60 "$NFSCOPE_OUT/flows.txt"
delta=$(($(insert_failed a) - before))
assert_cmp "$delta" -ge 1 "insert_failed drops observed (none: the clash could not be reproduced)"

step "what Prometheus stored"
until_query 'sum(nfscope_drops_total{netns_name="b",reason="NETFILTER_DROP",hook_class="nftables",nft_table="storm",nft_chain="input",hook="LOCAL_IN"})' "$dropped"
# a is fresh: every clash the module saw there is of this run.
until_query 'sum(nfscope_drops_total{netns_name="a",hook_function="nf_confirm",conntrack=~"insert_failed.*"})' "$delta"
until_query 'sum(nfscope_conntrack_total{netns_name="a",counter="insert_failed"})' "$((before + delta))"
until_query 'count(nfscope_netns_info{netns_name="a",comm="sleep"})' 1
until_query 'sum(nfscope_hook_packets_total{netns_name="b",family="ipv4",hook="LOCAL_IN"})' "$(ip netns exec b "$NFSCOPE_BIN" status --json |
	"$PY" -c 'import json,sys; print([c["packets"] for c in json.load(sys.stdin)["counters"] if (c["family"], c["hook"]) == ("ipv4", "LOCAL_IN")][0])')"
until_query 'nfscope_probe_enabled{probe="drop"}' 1

step "promtool check metrics"
"$PY" -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9814/metrics", timeout=30).read().decode(), end="")' \
	>"$NFSCOPE_OUT/exposition.txt"
promtool check metrics <"$NFSCOPE_OUT/exposition.txt" || fail "promtool check metrics: the exposition has problems (above)"
grep -c '^nfscope_' "$NFSCOPE_OUT/exposition.txt"
grep '^nfscope_scrape_duration_seconds' "$NFSCOPE_OUT/exposition.txt"

step "module unloaded: the exporter still answers"
kill $sleeper
unload_module
until_query 'nfscope_module_loaded' 0
until_query 'up{job="nfscope"}' 1
kill $prom $exporter
wait $prom $exporter 2>/dev/null || true
umount "$tsdb"
echo "PASS $TEST_NAME"
