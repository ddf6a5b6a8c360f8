//! `nfscope exporter`: the module's counters as a Prometheus exposition, per
//! network namespace.
//!
//! A scrape collects a [`Snapshot`]: the module-wide drop monitor (its
//! configuration, counters and the drop summary of every namespace, asked
//! from the exporter's own namespace, which should be the initial one) and,
//! for each namespace a process or `/run/netns` holds, the hook counters, TOA
//! counters and conntrack statistics of that namespace, asked from a thread
//! that has joined it (`setns`). [`exposition`] turns a snapshot into text
//! with `prometheus-client`; hyper serves it. Without the module the
//! exposition still says so (`nfscope_module_loaded 0`) with what the
//! exporter knows without it; a scrape never fails with an HTTP error.

use crate::conntrack::ConntrackStat;
use crate::netns::{self, Netns};
use anyhow::{Context, Result};
use clap::ValueEnum;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use nfscope_client::{Client, DropConfig, DropStats, Error as ClientError, Status, SummaryLine, ToaStats, PROBE_NAMES};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Text format of the exposition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Prometheus text format 0.0.4 (`text/plain`).
    Prometheus,
    /// OpenMetrics 1.0 text (what Prometheus asks for when it scrapes).
    Openmetrics,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            Format::Openmetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// What the module tells about one namespace.
#[derive(Debug, Clone, Default)]
pub struct NetnsView {
    pub netns: Netns,
    pub status: Option<Status>,
    pub toa: Option<ToaStats>,
    pub conntrack: Option<ConntrackStat>,
}

/// The module-wide drop monitor.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub module_version: String,
    pub config: DropConfig,
    pub stats: DropStats,
    pub summary: Vec<SummaryLine>,
}

/// One collection: everything a scrape shows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// None: the module is not loaded (or could not be asked: see `errors`).
    pub monitor: Option<Monitor>,
    pub namespaces: Vec<NetnsView>,
    /// What could not be collected, one line each (also printed on stderr).
    pub errors: Vec<String>,
    /// How long the collection took.
    pub took: Duration,
}

/// Asks the module (and conntrack) about `ns` from a thread that joins it.
fn view(ns: Netns, errors: &mut Vec<String>) -> NetnsView {
    let inode = ns.inode;
    let asked = netns::in_netns(&ns, || {
        let mut problems = Vec::new();
        // This thread's namespace, not the process's.
        let conntrack = std::fs::read_to_string("/proc/thread-self/net/stat/nf_conntrack")
            .ok()
            .and_then(|t| ConntrackStat::parse(&t).map_err(|e| problems.push(format!("netns {inode}: conntrack stats: {e:#}"))).ok());
        let (status, toa) = match Client::connect() {
            Ok(mut c) => {
                let status = c.status().map_err(|e| problems.push(format!("netns {inode}: status: {e}"))).ok();
                let toa = c.toa_stats().map_err(|e| problems.push(format!("netns {inode}: TOA counters: {e}"))).ok();
                (status, toa)
            }
            Err(ClientError::ModuleNotLoaded) => (None, None),
            Err(e) => {
                problems.push(format!("netns {inode}: {e}"));
                (None, None)
            }
        };
        (status, toa, conntrack, problems)
    });
    match asked {
        Ok(Some((status, toa, conntrack, problems))) => {
            errors.extend(problems);
            NetnsView { netns: ns, status, toa, conntrack }
        }
        // Nothing opens it (known from the summary only), or it went away.
        Ok(None) => NetnsView { netns: ns, ..Default::default() },
        Err(e) => {
            errors.push(format!("{e:#}"));
            NetnsView { netns: ns, ..Default::default() }
        }
    }
}

/// Collects one snapshot.
pub fn collect() -> Snapshot {
    let start = Instant::now();
    let mut errors = Vec::new();
    let monitor = match Client::connect() {
        Ok(mut c) => (|| -> Result<Monitor, ClientError> {
            let module_version = c.status()?.module_version;
            let (config, stats) = c.drop_config()?;
            let summary = c.drop_summary()?;
            Ok(Monitor { module_version, config, stats, summary })
        })()
        .map_err(|e| errors.push(format!("drop monitor: {e}")))
        .ok(),
        Err(ClientError::ModuleNotLoaded) => None,
        Err(e) => {
            errors.push(format!("drop monitor: {e}"));
            None
        }
    };
    let mut found = netns::namespaces();
    // Namespaces only the summary knows (gone, or held by nothing visible).
    for line in monitor.iter().flat_map(|m| &m.summary) {
        found.entry(line.netns).or_insert_with(|| Netns { inode: line.netns, ..Default::default() });
    }
    let namespaces = found.into_values().map(|ns| view(ns, &mut errors)).collect();
    for e in &errors {
        eprintln!("nfscope exporter: {e}");
    }
    Snapshot { monitor, namespaces, errors, took: start.elapsed() }
}

/// Labels naming a namespace, on every per-namespace series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NetnsLabels {
    netns: u32,
    netns_name: Option<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NetnsInfoLabels {
    netns: u32,
    netns_name: Option<String>,
    pid: Option<u32>,
    comm: Option<String>,
    cgroup: Option<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DropLabels {
    netns: u32,
    netns_name: Option<String>,
    reason: String,
    /// The function (offset dropped) that freed the packet.
    location: String,
    hook_family: Option<String>,
    hook: Option<String>,
    hook_priority: Option<i32>,
    hook_function: Option<String>,
    hook_how: Option<String>,
    /// nftables, conntrack or other.
    hook_class: Option<String>,
    nft_family: Option<String>,
    nft_table: Option<String>,
    nft_chain: Option<String>,
    /// Conntrack confirm drops: insert_failed_clash, insert_failed_dying, ...
    conntrack: Option<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResetLabels {
    netns: u32,
    netns_name: Option<String>,
    reason: String,
    location: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HookLabels {
    netns: u32,
    netns_name: Option<String>,
    family: String,
    hook: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CounterLabels {
    netns: u32,
    netns_name: Option<String>,
    counter: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProbeLabels {
    probe: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhereLabels {
    r#where: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

/// `nf_hook_slow+0x42/0x100` -> `nf_hook_slow`.
fn function_of(location: &str) -> &str {
    location.split_once('+').map_or(location, |(f, _)| f)
}

fn gauge(registry: &mut Registry, name: &str, help: &str, v: i64) {
    let g: Gauge = Gauge::default();
    g.set(v);
    registry.register(name, help, g);
}

fn family<S, M>(registry: &mut Registry, name: &str, help: &str) -> Family<S, M>
where
    S: Clone + std::hash::Hash + Eq + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static,
    M: prometheus_client::metrics::TypedMetric + prometheus_client::encoding::EncodeMetric + Default + std::fmt::Debug + Send + Sync + 'static,
{
    let f = Family::<S, M>::default();
    registry.register(name, help, f.clone());
    f
}

/// The snapshot as a registry of metric families.
fn registry(snap: &Snapshot) -> Registry {
    let mut r = Registry::default();
    gauge(&mut r, "nfscope_module_loaded", "1 when nfscope.ko answered this scrape, else 0", snap.monitor.is_some().into());
    gauge(&mut r, "nfscope_scrape_errors", "Parts of this scrape that could not be collected (the exporter's stderr says which)", snap.errors.len() as i64);
    let took: Gauge<f64, std::sync::atomic::AtomicU64> = Gauge::default();
    took.set(snap.took.as_secs_f64());
    r.register("nfscope_scrape_duration_seconds", "How long collecting this scrape took", took);
    let names: BTreeMap<u32, Option<String>> = snap.namespaces.iter().map(|v| (v.netns.inode, v.netns.name.clone())).collect();
    let ns = |inode: u32| NetnsLabels { netns: inode, netns_name: names.get(&inode).cloned().flatten() };

    let info = family::<NetnsInfoLabels, Gauge>(&mut r, "nfscope_netns_info", "A network namespace: inode, ip netns name and the lowest-numbered process in it");
    for v in &snap.namespaces {
        let p = v.netns.process.as_ref();
        info.get_or_create(&NetnsInfoLabels {
            netns: v.netns.inode,
            netns_name: v.netns.name.clone(),
            pid: p.map(|p| p.pid),
            comm: p.map(|p| p.comm.clone()),
            cgroup: p.map(|p| p.cgroup.clone()),
        })
        .set(1);
    }

    if let Some(m) = &snap.monitor {
        let version = family::<VersionLabels, Gauge>(&mut r, "nfscope_module_info", "The loaded module's version");
        version.get_or_create(&VersionLabels { version: m.module_version.clone() }).set(1);
        let probes = family::<ProbeLabels, Gauge>(&mut r, "nfscope_probe_enabled", "1 when the module's probe is on (drop, rst, hooks, toa)");
        for p in PROBE_NAMES {
            probes.get_or_create(&ProbeLabels { probe: p.into() }).set(m.config.probes.iter().any(|q| q == p).into());
        }
        gauge(&mut r, "nfscope_records_enabled", "1 when the module makes a record per drop (0: summary only)", m.config.records.into());
        let s = &m.stats;
        for (name, help, v) in [
            ("nfscope_monitor_drops", "Drops the module saw (all namespaces)", s.drops),
            ("nfscope_monitor_resets", "TCP resets the module saw (all namespaces)", s.resets),
            ("nfscope_monitor_attributed", "Drops charged to a netfilter hook call", s.attributed),
            ("nfscope_records_filtered", "Drops the record filters passed over", s.filtered),
            ("nfscope_records_suppressed", "Records not made by sampling or the rate limit", s.suppressed),
            ("nfscope_records_sent", "Records delivered to listeners", s.sent),
            ("nfscope_drops_table_full", "Drops not counted by line because the drop table was full (they are in nfscope_monitor_drops)", s.summary_full),
        ] {
            let c: Counter = Counter::default();
            c.inc_by(v);
            r.register(name, help, c);
        }
        let lost = family::<WhereLabels, Counter>(&mut r, "nfscope_records_lost", "Records lost: in the kernel's ring (ring) or by a listener's full socket (socket)");
        lost.get_or_create(&WhereLabels { r#where: "ring".into() }).inc_by(s.lost_ring);
        lost.get_or_create(&WhereLabels { r#where: "socket".into() }).inc_by(s.lost_send);

        let drops = family::<DropLabels, Counter>(&mut r, "nfscope_drops", "Packet drops by namespace, reason, location and netfilter hook");
        let resets = family::<ResetLabels, Counter>(&mut r, "nfscope_resets", "TCP resets the kernel sent, by namespace, reason and location");
        for l in &m.summary {
            let n = ns(l.netns);
            let location = function_of(&l.location).to_string();
            if l.kind == "rst" {
                resets.get_or_create(&ResetLabels { netns: n.netns, netns_name: n.netns_name, reason: l.reason_name.clone(), location }).inc_by(l.count);
                continue;
            }
            let h = l.hook.as_ref();
            drops
                .get_or_create(&DropLabels {
                    netns: n.netns,
                    netns_name: n.netns_name,
                    reason: l.reason_name.clone(),
                    location,
                    hook_family: h.map(|h| h.family.clone()),
                    hook: h.map(|h| h.hook.clone()),
                    hook_priority: h.and_then(|h| h.priority),
                    hook_function: h.map(|h| h.function.clone()),
                    hook_how: h.and_then(|h| h.how.clone()),
                    hook_class: h.map(|h| h.class.clone()),
                    nft_family: h.and_then(|h| h.table_family.clone()),
                    nft_table: h.and_then(|h| h.table.clone()),
                    nft_chain: h.and_then(|h| h.chain.clone()),
                    conntrack: h.and_then(|h| h.conntrack.clone()),
                })
                .inc_by(l.count);
        }
    }

    let hooks_on = family::<NetnsLabels, Gauge>(&mut r, "nfscope_hooks_enabled", "1 when the module's netfilter hooks count in the namespace");
    let packets = family::<HookLabels, Counter>(&mut r, "nfscope_hook_packets", "Packets the module's hook saw, by namespace, family and hook point");
    let bytes = family::<HookLabels, Counter>(&mut r, "nfscope_hook_bytes", "Bytes the module's hook saw, by namespace, family and hook point");
    let toa = family::<CounterLabels, Counter>(&mut r, "nfscope_toa", "TOA events by namespace: decoded per layout, untrusted, malformed, evicted, rewrites ...");
    let toa_entries = family::<NetnsLabels, Gauge>(&mut r, "nfscope_toa_entries", "Connections in the namespace's TOA table");
    let toa_capacity = family::<NetnsLabels, Gauge>(&mut r, "nfscope_toa_capacity", "Size of the namespace's TOA table");
    let toa_trusted = family::<NetnsLabels, Gauge>(&mut r, "nfscope_toa_trusted_prefixes", "Prefixes trusted to send TOA in the namespace");
    let toa_kinds = family::<NetnsLabels, Gauge>(&mut r, "nfscope_toa_kinds", "TCP option kinds decoded as TOA in the namespace");
    let conntrack = family::<CounterLabels, Counter>(&mut r, "nfscope_conntrack", "The namespace's /proc/net/stat/nf_conntrack counters, summed over CPUs");
    for v in &snap.namespaces {
        let n = ns(v.netns.inode);
        let counter = |c: &str| CounterLabels { netns: n.netns, netns_name: n.netns_name.clone(), counter: c.into() };
        if let Some(s) = &v.status {
            hooks_on.get_or_create(&n).set(s.hooks_enabled.into());
            for c in &s.counters {
                let l = HookLabels { netns: n.netns, netns_name: n.netns_name.clone(), family: c.family.clone(), hook: c.hook.clone() };
                packets.get_or_create(&l).inc_by(c.packets);
                bytes.get_or_create(&l).inc_by(c.bytes);
            }
        }
        if let Some(t) = &v.toa {
            for (name, value) in &t.counters {
                match name.as_str() {
                    "entries" => _ = toa_entries.get_or_create(&n).set(*value as i64),
                    "capacity" => _ = toa_capacity.get_or_create(&n).set(*value as i64),
                    _ => _ = toa.get_or_create(&counter(name)).inc_by(*value),
                }
            }
            toa_trusted.get_or_create(&n).set(t.trust.len() as i64);
            toa_kinds.get_or_create(&n).set(t.kinds.len() as i64);
        }
        if let Some(c) = &v.conntrack {
            for name in &c.names {
                // `entries` is a gauge in all but name, and the same on every CPU.
                if name != "entries" {
                    conntrack.get_or_create(&counter(name)).inc_by(c.total(name).unwrap_or(0));
                }
            }
        }
    }
    r
}

/// The snapshot as exposition text.
pub fn exposition(snap: &Snapshot, format: Format) -> String {
    let r = registry(snap);
    let mut text = String::new();
    // Writing to a String cannot fail; a label value the encoder refuses would
    // be a bug here, shown rather than hidden.
    let written = match format {
        Format::Prometheus => prometheus_client::encoding::prometheus_text::encode(&mut text, &r),
        Format::Openmetrics => prometheus_client::encoding::text::encode(&mut text, &r),
    };
    if let Err(e) = written {
        text.push_str(&format!("# nfscope exporter: encoding failed: {e}\n"));
    }
    text
}

/// `nfscope exporter --once`.
pub fn once(out: &mut impl Write, format: Format) -> Result<()> {
    out.write_all(exposition(&collect(), format).as_bytes())?;
    Ok(())
}

/// Whether a scraper's Accept header asks for OpenMetrics.
fn wanted_format(accept: Option<&HeaderValue>) -> Format {
    match accept.and_then(|a| a.to_str().ok()) {
        Some(a) if a.contains("application/openmetrics-text") => Format::Openmetrics,
        _ => Format::Prometheus,
    }
}

/// The latest collection, shared by scrapes: one walk of the namespaces at
/// a time, and scrapes that waited for one get its result (a scraper that
/// timed out and asked again does not queue another walk behind it).
type Latest = Arc<tokio::sync::Mutex<Option<(Instant, Arc<Snapshot>)>>>;

/// A snapshot no older than this is served again.
const FRESH: Duration = Duration::from_secs(1);

async fn snapshot(latest: &Latest) -> Arc<Snapshot> {
    let mut guard = latest.lock().await;
    if let Some((at, snap)) = guard.as_ref() {
        if at.elapsed() < FRESH {
            return Arc::clone(snap);
        }
    }
    let snap = match tokio::task::spawn_blocking(collect).await {
        Ok(s) => Arc::new(s),
        Err(e) => Arc::new(Snapshot { errors: vec![format!("collection failed: {e}")], ..Default::default() }),
    };
    *guard = Some((Instant::now(), Arc::clone(&snap)));
    snap
}

async fn respond(req: Request<Incoming>, latest: Latest) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: StatusCode, ctype: &'static str, body: String| {
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() = status;
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
        resp
    };
    match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let format = wanted_format(req.headers().get(ACCEPT));
            let snap = snapshot(&latest).await;
            Ok(reply(StatusCode::OK, format.content_type(), exposition(&snap, format)))
        }
        (&Method::GET, "/") => Ok(reply(StatusCode::OK, "text/plain; charset=utf-8", "nfscope exporter: metrics at /metrics\n".into())),
        _ => Ok(reply(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "not found: metrics are at /metrics\n".into())),
    }
}

/// `nfscope exporter --listen ADDR`: serves /metrics until killed.
pub fn serve(listen: SocketAddr) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        eprintln!("nfscope exporter: serving http://{}/metrics", listener.local_addr()?);
        let latest: Latest = Arc::default();
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on serving.
                    eprintln!("nfscope exporter: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let latest = latest.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| respond(req, latest.clone()));
                let conn = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                if let Err(e) = conn.await {
                    eprintln!("nfscope exporter: connection: {e}");
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netns::Process;
    use nfscope_client::HookCounter;
    use nfscope_events::HookInfo;

    fn snapshot() -> Snapshot {
        let hook = HookInfo {
            function: "nft_do_chain_inet".into(),
            family: "ipv4".into(),
            hook: "LOCAL_IN".into(),
            priority: Some(0),
            how: Some("verdict".into()),
            class: "nftables".into(),
            table: Some("filter".into()),
            chain: Some("input".into()),
            table_family: Some("inet".into()),
            conntrack: None,
        };
        let line = |netns, kind: &str, reason: &str, location: &str, hook: Option<HookInfo>, count| SummaryLine {
            netns,
            kind: kind.into(),
            reason: 0,
            reason_name: reason.into(),
            location: location.into(),
            hook,
            count,
        };
        let b = Netns { inode: 4026532300, name: Some("b".into()), ..Default::default() };
        let init = Netns { inode: 4026531833, process: Some(Process { pid: 1, comm: "init".into(), cgroup: "/".into() }), ..Default::default() };
        Snapshot {
            monitor: Some(Monitor {
                module_version: "0.1.0".into(),
                config: DropConfig::default(),
                stats: DropStats { drops: 12, lost_ring: 2, lost_send: 1, ..Default::default() },
                summary: vec![
                    line(b.inode, "drop", "NETFILTER_DROP", "nf_hook_slow+0x42/0x100", Some(hook.clone()), 7),
                    // Another offset in the same function: the same series.
                    line(b.inode, "drop", "NETFILTER_DROP", "nf_hook_slow+0x50/0x100", Some(hook), 3),
                    line(b.inode, "rst", "NO_SOCKET", "tcp_v4_send_reset+0x0/0x300", None, 2),
                    line(init.inode, "drop", "NO_SOCKET", "__udp4_lib_rcv+0x1/0x2", None, 5),
                ],
            }),
            namespaces: vec![
                NetnsView {
                    netns: b,
                    status: Some(Status {
                        module_version: "0.1.0".into(),
                        netns_inode: 4026532300,
                        netns_count: 2,
                        hooks_enabled: true,
                        hook_priority: i32::MIN,
                        counters: vec![HookCounter { family: "ipv4".into(), hook: "LOCAL_IN".into(), packets: 9, bytes: 900 }],
                    }),
                    toa: Some(ToaStats { counters: vec![("decoded_port4".into(), 4), ("entries".into(), 1), ("capacity".into(), 4096)], trust: vec![], kinds: vec![(254, vec!["port4".into()])] }),
                    conntrack: Some(ConntrackStat::parse("entries insert_failed drop\n00000003 00000002 00000000\n00000003 00000005 00000001\n").unwrap()),
                },
                NetnsView { netns: init, ..Default::default() },
            ],
            errors: vec![],
            took: Duration::from_millis(20),
        }
    }

    #[test]
    fn the_exposition_carries_every_family_with_namespace_labels() {
        let text = exposition(&snapshot(), Format::Prometheus);
        for want in [
            "nfscope_module_loaded 1\n",
            "nfscope_scrape_errors 0\n",
            "nfscope_scrape_duration_seconds 0.02\n",
            "nfscope_drops_total{netns=\"4026532300\",netns_name=\"b\",reason=\"NETFILTER_DROP\",location=\"nf_hook_slow\",hook_family=\"ipv4\",hook=\"LOCAL_IN\",hook_priority=\"0\",hook_function=\"nft_do_chain_inet\",hook_how=\"verdict\",hook_class=\"nftables\",nft_family=\"inet\",nft_table=\"filter\",nft_chain=\"input\",conntrack=\"\"} 10\n",
            "nfscope_resets_total{netns=\"4026532300\",netns_name=\"b\",reason=\"NO_SOCKET\",location=\"tcp_v4_send_reset\"} 2\n",
            "nfscope_records_lost_total{where=\"ring\"} 2\n",
            "nfscope_records_lost_total{where=\"socket\"} 1\n",
            "nfscope_monitor_drops_total 12\n",
            "nfscope_hook_packets_total{netns=\"4026532300\",netns_name=\"b\",family=\"ipv4\",hook=\"LOCAL_IN\"} 9\n",
            "nfscope_toa_total{netns=\"4026532300\",netns_name=\"b\",counter=\"decoded_port4\"} 4\n",
            "nfscope_toa_entries{netns=\"4026532300\",netns_name=\"b\"} 1\n",
            "nfscope_toa_capacity{netns=\"4026532300\",netns_name=\"b\"} 4096\n",
            "nfscope_conntrack_total{netns=\"4026532300\",netns_name=\"b\",counter=\"insert_failed\"} 7\n",
            "nfscope_netns_info{netns=\"4026531833\",netns_name=\"\",pid=\"1\",comm=\"init\",cgroup=\"/\"} 1\n",
            "nfscope_probe_enabled{probe=\"toa\"} 1\n",
            "# TYPE nfscope_drops_total counter\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        // conntrack's `entries` is not a counter.
        assert!(!text.contains("counter=\"entries\""), "{text}");
        let om = exposition(&snapshot(), Format::Openmetrics);
        assert!(om.ends_with("# EOF\n") && om.contains("# TYPE nfscope_drops counter\n"), "{om}");
    }

    #[test]
    fn without_the_module_it_says_so_and_still_names_namespaces() {
        let mut snap = snapshot();
        snap.monitor = None;
        for v in &mut snap.namespaces {
            (v.status, v.toa) = (None, None);
        }
        let text = exposition(&snap, Format::Prometheus);
        assert!(text.contains("nfscope_module_loaded 0\n"), "{text}");
        assert!(text.contains("nfscope_netns_info{netns=\"4026532300\",netns_name=\"b\""), "{text}");
        assert!(!text.contains("nfscope_drops_total{"), "{text}");
    }

    #[test]
    fn scrapers_get_the_format_they_ask_for() {
        let om = HeaderValue::from_static("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        assert_eq!(wanted_format(Some(&om)), Format::Openmetrics);
        assert_eq!(wanted_format(Some(&HeaderValue::from_static("*/*"))), Format::Prometheus);
        assert_eq!(wanted_format(None), Format::Prometheus);
    }

    #[test]
    fn locations_lose_their_offsets() {
        assert_eq!(function_of("nf_hook_slow+0x42/0x100"), "nf_hook_slow");
        assert_eq!(function_of("0xffffffffc0001234"), "0xffffffffc0001234");
    }
}
