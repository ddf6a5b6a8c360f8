//! `nfscope drops watch|top|config`: the module's drop records, summary and
//! configuration.

use crate::output::{hook_text, json_line};
use crate::pcap::DropPcap;
use anyhow::{bail, Context, Result};
use clap::Args;
use nfscope_client::{Client, DropConfig, DropStats, SummaryLine};
use nfscope_events::{DropEvent, DropRecord};
use serde::Serialize;
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// PIDs go up to `PID_MAX_LIMIT` (4194304 on 64-bit); namespace inodes are
/// proc inodes, far above (the initial namespace's is 0xeffffff9, later
/// ones count from 0xf0000000).
const PID_MAX_LIMIT: u32 = 4 * 1024 * 1024;

/// `--netns` as an inode: an inode, a PID (its namespace), a name under
/// /run/netns, or a path.
pub fn netns_inode(spec: &str) -> Result<u32> {
    let path = match spec.parse::<u32>() {
        Ok(inode) if inode > PID_MAX_LIMIT => return Ok(inode),
        Ok(pid) => format!("/proc/{pid}/ns/net"),
        Err(_) if spec.contains('/') => spec.to_string(),
        Err(_) => format!("/run/netns/{spec}"),
    };
    let meta = std::fs::metadata(&path).with_context(|| format!("--netns {spec}: no namespace at {path}"))?;
    Ok(meta.ino() as u32)
}

/// Record filters, applied in the kernel before a record is made.
#[derive(Args, Default, Clone)]
pub struct FilterArgs {
    /// Only this namespace: an inode, a PID (its namespace), a name in /run/netns, or a path.
    #[arg(long, value_parser = crate::args::netns)]
    pub netns: Option<String>,
    /// Only this protocol: tcp, udp, icmp, icmpv6 or a number.
    #[arg(long, value_parser = crate::args::proto)]
    pub proto: Option<u8>,
    /// Only packets from or to this address or prefix (CIDR).
    #[arg(long, value_parser = crate::args::cidr)]
    pub addr: Option<(IpAddr, u8)>,
    /// Only packets from or to this port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Only these drop reasons (kernel names, e.g. NETFILTER_DROP; comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub reason: Vec<String>,
    /// Never these drop reasons.
    #[arg(long, value_delimiter = ',')]
    pub exclude_reason: Vec<String>,
    /// Only drops attributed to a netfilter hook at this point (PRE_ROUTING,
    /// LOCAL_IN, FORWARD, LOCAL_OUT, POST_ROUTING), to any hook
    /// ("netfilter"), or to none ("none").
    #[arg(long, value_parser = crate::args::hook_filter)]
    pub hook: Option<String>,
    /// Record one in N matching drops.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub sample: Option<u32>,
    /// At most N records per second per CPU.
    #[arg(long)]
    pub rate: Option<u32>,
    /// Stack frames per record (1..16).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub stack_depth: Option<u8>,
}

impl FilterArgs {
    pub(crate) fn is_empty(&self) -> bool {
        self.netns.is_none()
            && self.proto.is_none()
            && self.addr.is_none()
            && self.port.is_none()
            && self.reason.is_empty()
            && self.exclude_reason.is_empty()
            && self.hook.is_none()
            && self.sample.is_none()
            && self.rate.is_none()
            && self.stack_depth.is_none()
    }

    /// `base` with the filters given here replaced.
    pub(crate) fn apply(&self, base: &DropConfig) -> Result<DropConfig> {
        let mut c = base.clone();
        if let Some(n) = &self.netns {
            c.netns = Some(netns_inode(n)?);
        }
        if self.proto.is_some() {
            c.protocol = self.proto;
        }
        if self.addr.is_some() {
            c.addr = self.addr;
        }
        if let Some(p) = self.port {
            c.port = Some(p);
        }
        if !self.reason.is_empty() {
            c.reasons = self.reason.clone();
        }
        if !self.exclude_reason.is_empty() {
            c.exclude_reasons = self.exclude_reason.clone();
        }
        if let Some(h) = &self.hook {
            c.hook = h.clone();
        }
        if let Some(s) = self.sample {
            c.sample = s;
        }
        if let Some(r) = self.rate {
            c.rate = r;
        }
        if let Some(d) = self.stack_depth {
            c.stack_depth = d;
        }
        Ok(c)
    }
}

pub(crate) static STOP: AtomicBool = AtomicBool::new(false);
/// A second signal: end without reading what is queued.
static STOP_NOW: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: nix::libc::c_int) {
    if STOP.swap(true, Ordering::Relaxed) {
        STOP_NOW.store(true, Ordering::Relaxed);
    }
}

/// Makes SIGINT and SIGTERM end a watch cleanly (so it can restore the
/// configuration it changed); a second one ends it at once.
pub(crate) fn stop_on_signals() -> Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic (async-signal-safe).
        unsafe { sigaction(sig, &action) }.context("installing signal handlers")?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Lost {
    /// "kernel": the module's per-CPU buffer was full or a message could
    /// not be delivered; "socket": this process did not read fast enough;
    /// "suppressed": left out by sampling or the rate limit (by config).
    r#where: &'static str,
    /// Records (unknown for socket overruns).
    count: Option<u64>,
}

fn endpoint(a: Option<IpAddr>, p: Option<u16>) -> String {
    match (a, p) {
        (Some(IpAddr::V6(a)), Some(p)) => format!("[{a}]:{p}"),
        (Some(a), Some(p)) => format!("{a}:{p}"),
        (Some(a), None) => a.to_string(),
        _ => "?".into(),
    }
}

/// How the wall-clock time of a record is printed in text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeFormat {
    /// HH:MM:SS.micro in the local time zone.
    #[default]
    Local,
    /// ISO 8601 with the local offset (2026-12-02T02:53:07.123456+00:00).
    Iso,
    /// Seconds.micro since the epoch.
    Epoch,
}

impl TimeFormat {
    pub(crate) fn format(self, time_ns: u64) -> String {
        let (secs, micros) = (time_ns / 1_000_000_000, (time_ns % 1_000_000_000) / 1000);
        let local = || chrono::DateTime::from_timestamp(secs as i64, (micros * 1000) as u32).map(|t| t.with_timezone(&chrono::Local));
        match (self, local()) {
            (TimeFormat::Local, Some(t)) => t.format("%H:%M:%S%.6f").to_string(),
            (TimeFormat::Iso, Some(t)) => t.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string(),
            _ => format!("{secs}.{micros:06}"),
        }
    }
}

/// `ip netns` names of namespace inodes (/run/netns), read again when an
/// inode without a name shows up (at most once a second: namespaces made
/// since get their names).
#[derive(Default)]
pub(crate) struct NetnsNames {
    names: std::collections::HashMap<u32, String>,
    read: Option<Instant>,
}

impl NetnsNames {
    fn reload(&mut self) {
        self.names = crate::netns::named().into_iter().map(|(inode, name, _)| (inode, name)).collect();
        self.read = Some(Instant::now());
    }

    /// The name of namespace `inode`, if it has one.
    pub(crate) fn name(&mut self, inode: u32) -> Option<&str> {
        let stale = self.read.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if !self.names.contains_key(&inode) && stale {
            self.reload();
        }
        self.names.get(&inode).map(String::as_str)
    }

    /// `inode`, and its name in parentheses when it has one.
    pub(crate) fn show(&mut self, inode: u32) -> String {
        match self.name(inode) {
            Some(n) => format!("{inode} ({n})"),
            None => inode.to_string(),
        }
    }
}

/// How records are written: JSON lines, or text with the time as asked
/// and namespace names beside inodes; and, with `--pcap`, drops' packets to
/// a pcapng file.
pub(crate) struct RecordFormat {
    pub(crate) json: bool,
    pub(crate) time: TimeFormat,
    pub(crate) names: NetnsNames,
    pub(crate) pcap: Option<DropPcap<std::io::BufWriter<std::fs::File>>>,
}

impl RecordFormat {
    pub(crate) fn new(json: bool, time: TimeFormat) -> Self {
        Self { json, time, names: NetnsNames::default(), pcap: None }
    }

    /// One drop (`rst` false) or reset record.
    pub(crate) fn record(&mut self, out: &mut impl Write, rst: bool, r: &DropRecord) -> std::io::Result<()> {
        if let (Some(pcap), false) = (&mut self.pcap, rst) {
            pcap.record(r, &self.names.show(r.netns)).map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        }
        match (self.json, rst) {
            (true, false) => json_line(out, "drop", r),
            (true, true) => json_line(out, "rst", r),
            (false, rst) => {
                let netns = self.names.show(r.netns);
                human(out, if rst { "RST" } else { "DROP" }, &self.time.format(r.time_ns), &netns, r)
            }
        }
    }

    /// Writes out what is buffered (the pcap's too).
    pub(crate) fn flush(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if let Some(p) = &mut self.pcap {
            p.flush().map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        }
        out.flush()
    }

    /// What the pcap got, for the watch's closing tally.
    pub(crate) fn report(&self) {
        if let Some(p) = &self.pcap {
            eprintln!("nfscope: {} packets written to the pcap, {} drop records without packet bytes (not IP)", p.written, p.without_bytes);
        }
    }
}

fn human(out: &mut impl Write, what: &str, time: &str, netns: &str, r: &DropRecord) -> std::io::Result<()> {
    writeln!(
        out,
        "{time} {what} netns {netns} if {} {} {} > {}{}{} len {} {} at {}{} ({} pid {} cpu {})",
        r.ifindex,
        r.protocol.as_deref().unwrap_or("non-ip"),
        endpoint(r.saddr, r.sport),
        endpoint(r.daddr, r.dport),
        r.tcp_flags.as_ref().map(|f| format!(" [{f}]")).unwrap_or_default(),
        r.tcp_state.as_ref().map(|s| format!(" state {s}")).unwrap_or_default(),
        r.len,
        r.reason_name,
        r.location,
        r.hook.as_ref().map(|h| format!(" hook {}", hook_text(h))).unwrap_or_default(),
        r.comm,
        r.pid,
        r.cpu
    )?;
    for f in &r.stack {
        writeln!(out, "    {f}")?;
    }
    Ok(())
}

/// Streams records until `count` were shown (or a signal). With kernel
/// filters given, installs them for the duration and restores the previous
/// configuration afterwards. Losses are always reported.
pub fn watch(out: &mut impl Write, format: &mut RecordFormat, filters: &FilterArgs, drops: bool, resets: bool, count: Option<u64>) -> Result<()> {
    let mut client = Client::connect()?;
    let (before, _) = client.drop_config()?;
    let mut restore = None;
    let snaplen = format.pcap.as_ref().map(|p| p.snaplen());
    if !filters.is_empty() || snaplen.is_some() {
        let mut config = filters.apply(&before)?;
        if let Some(n) = snaplen {
            config.snaplen = n;
        }
        client.set_drop_config(&config)?;
        restore = Some(before.clone());
    }
    if !before.records {
        eprintln!("nfscope: records are off (summary only): turn them on with `nfscope drops config --records on`");
    }
    stop_on_signals()?;
    let result = stream(out, format, drops, resets, count);
    if let Some(config) = restore {
        let restored = Client::connect().and_then(|mut c| c.set_drop_config(&config));
        if let Err(e) = restored {
            eprintln!("nfscope: could not restore the drop configuration: {e}");
        }
    }
    result
}

/// What a watch saw, printed on stderr when it ends (scripts compare it
/// with what was dropped: shown + lost = recorded, exactly).
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) shown: u64,
    pub(crate) lost: u64,
    pub(crate) suppressed: u64,
    pub(crate) overruns: u64,
}

impl Tally {
    pub(crate) fn report(&self) {
        eprintln!(
            "nfscope: {} records shown, {} lost in the kernel, {} left out by sampling or rate limit, {} socket overruns",
            self.shown, self.lost, self.suppressed, self.overruns
        );
    }
}

fn stream(out: &mut impl Write, format: &mut RecordFormat, drops: bool, resets: bool, count: Option<u64>) -> Result<()> {
    let mut stream = Client::connect()?.drop_events()?;
    stream.set_timeout(Duration::from_millis(200))?;
    // Subscribed: scripts wait for this line before making traffic.
    eprintln!("nfscope: watching drop records");
    // Records come in batches: written out when a batch is done.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut tally = Tally::default();
    let result = stream_into(&mut out, &mut stream, &mut tally, format, drops, resets, count);
    let flushed = format.flush(&mut out);
    tally.report();
    format.report();
    result?;
    Ok(flushed?)
}

fn stream_into(
    out: &mut impl Write,
    stream: &mut nfscope_client::DropStream,
    tally: &mut Tally,
    format: &mut RecordFormat,
    drops: bool,
    resets: bool,
    count: Option<u64>,
) -> Result<()> {
    // After a stop request, what the socket held then is still read:
    // records the module counted as sent are shown. It ends when the socket
    // is found empty, or once a socket buffer's worth more was received
    // (traffic that goes on does not keep it running).
    let mut read_until: Option<u64> = None;
    while count.is_none_or(|c| tally.shown < c) {
        if STOP_NOW.load(Ordering::Relaxed) {
            break;
        }
        if read_until.is_none() && STOP.load(Ordering::Relaxed) {
            read_until = Some(stream.bytes_received() + stream.capacity()?);
            // From now on a receive that finds the socket empty ends the
            // watch (a trickle of drops must not keep it waiting).
            stream.set_timeout(Duration::from_millis(1))?;
        }
        let stopping = read_until.is_some();
        if read_until.is_some_and(|end| stream.bytes_received() >= end && !stream.has_pending()) {
            break;
        }
        match stream.next_event_timeout()? {
            // Stopping, and the socket is empty.
            None if stopping => break,
            None => {}
            Some(DropEvent::Drop(r)) if drops => {
                format.record(out, false, &r)?;
                tally.shown += 1;
            }
            Some(DropEvent::Rst(r)) if resets => {
                format.record(out, true, &r)?;
                tally.shown += 1;
            }
            Some(DropEvent::Drop(_) | DropEvent::Rst(_)) => {}
            Some(DropEvent::KernelLost(n)) => {
                tally.lost += n;
                report_loss(out, format.json, "kernel", Some(n))?;
            }
            Some(DropEvent::Suppressed(n)) => {
                tally.suppressed += n;
                report_loss(out, format.json, "suppressed", Some(n))?;
            }
            Some(DropEvent::SocketOverrun) => {
                tally.overruns += 1;
                report_loss(out, format.json, "socket", None)?;
            }
        }
        if !stream.has_pending() {
            format.flush(out)?;
        }
    }
    Ok(())
}

pub(crate) fn report_loss(out: &mut impl Write, json: bool, r#where: &'static str, count: Option<u64>) -> Result<()> {
    if json {
        json_line(out, "lost", &Lost { r#where, count })?;
    } else {
        match (r#where, count) {
            ("suppressed", Some(n)) => writeln!(out, "-- {n} records left out by sampling or the rate limit")?,
            (_, Some(n)) => writeln!(out, "!! {n} drop records lost in the kernel (buffer full or not delivered)")?,
            (_, None) => writeln!(out, "!! drop records lost: this reader fell behind (socket buffer overrun)")?,
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct ConfigView<'a> {
    config: &'a DropConfig,
    stats: &'a DropStats,
}

/// Shows the drop monitor's configuration and counters, after applying
/// the changes given (if any).
pub fn config(out: &mut impl Write, json: bool, set: &ConfigSet) -> Result<()> {
    let mut client = Client::connect()?;
    if set.changes() {
        let (current, _) = client.drop_config()?;
        let base = if set.reset { DropConfig::default() } else { current };
        let mut c = set.filters.apply(&base)?;
        if let Some(p) = &set.probes {
            // The drop monitor's probes; the TOA probe keeps its state.
            if p.iter().any(|p| p == "toa") {
                bail!("the TOA probe is switched with `nfscope trace enable|disable module:toa`");
            }
            let toa = c.probes.iter().any(|p| p == "toa");
            c.probes = p.iter().filter(|p| p.as_str() != "none").cloned().collect();
            if toa {
                c.probes.push("toa".into());
            }
        }
        if let Some(r) = set.records {
            c.records = r == crate::OnOff::On;
        }
        client.set_drop_config(&c)?;
    }
    let (c, s) = client.drop_config()?;
    if json {
        json_line(out, "drop_config", &ConfigView { config: &c, stats: &s })?;
        return Ok(());
    }
    writeln!(out, "probes: {}", if c.probes.is_empty() { "none".into() } else { c.probes.join(",") })?;
    writeln!(out, "records: {}", if c.records { "on" } else { "off (summary only)" })?;
    let any = |o: Option<String>| o.unwrap_or_else(|| "any".into());
    writeln!(
        out,
        "filters: netns {} proto {} addr {} port {} hook {}",
        any(c.netns.map(|n| n.to_string())),
        any(c.protocol.map(|n| n.to_string())),
        any(c.addr.map(|(a, p)| format!("{a}/{p}"))),
        any(c.port.map(|n| n.to_string())),
        c.hook
    )?;
    writeln!(
        out,
        "reasons: {} exclude: {}",
        if c.reasons.is_empty() { "any".into() } else { c.reasons.join(",") },
        if c.exclude_reasons.is_empty() { "none".into() } else { c.exclude_reasons.join(",") }
    )?;
    writeln!(
        out,
        "sample: 1/{} rate: {} stack depth: {}",
        c.sample,
        if c.rate == 0 { "unlimited".into() } else { format!("{}/s per CPU", c.rate) },
        c.stack_depth
    )?;
    stats_line(out, &s)?;
    Ok(())
}

fn stats_line(out: &mut impl Write, s: &DropStats) -> std::io::Result<()> {
    writeln!(
        out,
        "drops {} resets {} attributed {} | records queued {} sent {} | LOST ring {} send {} | filtered {} suppressed {} | hook functions {} missed {}{}",
        s.drops,
        s.resets,
        s.attributed,
        s.queued,
        s.sent,
        s.lost_ring,
        s.lost_send,
        s.filtered,
        s.suppressed,
        s.hook_funcs,
        s.hook_missed,
        if s.summary_full > 0 { format!(" | summary full: {} drops not summarized", s.summary_full) } else { String::new() }
    )
}

/// `nfscope drops config` options.
#[derive(Args, Default)]
pub struct ConfigSet {
    /// Drop monitor probes to have on: drop, rst, hooks (comma-separated),
    /// or none. (The TOA probe: `nfscope trace enable|disable module:toa`.)
    #[arg(long, value_delimiter = ',')]
    pub probes: Option<Vec<String>>,
    /// Per-drop records to listeners (off: summary only).
    #[arg(long, value_enum)]
    pub records: Option<crate::OnOff>,
    /// Start from the defaults (all probes, records on, no filters).
    #[arg(long)]
    pub reset: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

impl ConfigSet {
    fn changes(&self) -> bool {
        self.probes.is_some() || self.records.is_some() || self.reset || !self.filters.is_empty()
    }
}

#[derive(Serialize)]
struct TopLine<'a> {
    #[serde(flatten)]
    line: &'a SummaryLine,
    /// Since the previous interval.
    delta: u64,
}

/// A field `drops top --by` sums the summary by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Reason,
    Hook,
    Location,
    Netns,
}

/// One group of summary lines.
#[derive(Serialize)]
struct Group {
    by: &'static str,
    key: String,
    count: u64,
    delta: u64,
}

/// Lines summed by `by`, most frequent first (then by key).
fn groups(lines: &[SummaryLine], by: GroupBy, delta: impl Fn(&SummaryLine) -> u64, names: &mut NetnsNames) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let by_name = match by {
        GroupBy::Reason => "reason",
        GroupBy::Hook => "hook",
        GroupBy::Location => "location",
        GroupBy::Netns => "netns",
    };
    for l in lines {
        let key = match by {
            GroupBy::Reason if l.kind == "rst" => format!("RST {}", l.reason_name),
            GroupBy::Reason => l.reason_name.clone(),
            GroupBy::Hook => l.hook.as_ref().map(hook_text).unwrap_or_else(|| "-".into()),
            // The function, without the offset into it.
            GroupBy::Location => l.location.split('+').next().unwrap_or(&l.location).to_string(),
            GroupBy::Netns => names.show(l.netns),
        };
        let d = delta(l);
        match out.iter_mut().find(|g| g.key == key) {
            Some(g) => (g.count, g.delta) = (g.count + l.count, g.delta + d),
            None => out.push(Group { by: by_name, key, count: l.count, delta: d }),
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

/// The live summary: every `interval`, lines by count with their change
/// (or their sums by one field).
pub fn top(
    out: &mut impl Write,
    json: bool,
    netns: Option<u32>,
    interval: Duration,
    count: Option<u64>,
    limit: usize,
    by: Option<GroupBy>,
) -> Result<()> {
    let mut names = NetnsNames::default();
    let mut client = Client::connect()?;
    let mut previous: Vec<SummaryLine> = Vec::new();
    let mut rounds = 0u64;
    stop_on_signals()?;
    loop {
        let started = Instant::now();
        let mut lines = client.drop_summary()?;
        lines.retain(|l| netns.is_none_or(|n| l.netns == n));
        let (_, stats) = client.drop_config()?;
        let delta = |l: &SummaryLine| {
            let before = previous.iter().find(|p| same_line(p, l)).map_or(0, |p| p.count);
            l.count - before.min(l.count)
        };
        lines.sort_by_key(|l| std::cmp::Reverse(l.count));
        if let Some(by) = by {
            let groups = groups(&lines, by, delta, &mut names);
            if json {
                for g in groups.iter().take(limit) {
                    json_line(out, "drop_summary_group", g)?;
                }
                json_line(out, "drop_stats", &stats)?;
            } else {
                writeln!(out, "{:>10} {:>8}  {}", "COUNT", "DELTA", by_heading(by))?;
                for g in groups.iter().take(limit) {
                    writeln!(out, "{:>10} {:>8}  {}", g.count, g.delta, g.key)?;
                }
                stats_line(out, &stats)?;
                writeln!(out)?;
            }
        } else if json {
            for l in lines.iter().take(limit) {
                json_line(out, "drop_summary", &TopLine { line: l, delta: delta(l) })?;
            }
            json_line(out, "drop_stats", &stats)?;
        } else {
            writeln!(out, "{:>10} {:>8}  {:<20} {:<26} {:<34} HOOK", "COUNT", "DELTA", "NETNS", "REASON", "LOCATION")?;
            for l in lines.iter().take(limit) {
                let reason = if l.kind == "rst" { format!("RST {}", l.reason_name) } else { l.reason_name.clone() };
                let hook = l.hook.as_ref().map(hook_text).unwrap_or_else(|| "-".into());
                writeln!(out, "{:>10} {:>8}  {:<20} {:<26} {:<34} {}", l.count, delta(l), names.show(l.netns), reason, l.location, hook)?;
            }
            stats_line(out, &stats)?;
            writeln!(out)?;
        }
        out.flush()?;
        previous = lines;
        rounds += 1;
        if count.is_some_and(|c| rounds >= c) {
            return Ok(());
        }
        while started.elapsed() < interval {
            if STOP.load(Ordering::Relaxed) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn by_heading(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Reason => "REASON",
        GroupBy::Hook => "HOOK",
        GroupBy::Location => "LOCATION (FUNCTION)",
        GroupBy::Netns => "NETNS",
    }
}

fn same_line(a: &SummaryLine, b: &SummaryLine) -> bool {
    a.netns == b.netns && a.kind == b.kind && a.reason == b.reason && a.location == b.location && a.hook == b.hook
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_asked() {
        let ns = 1_764_643_987_123_456_789;
        assert_eq!(TimeFormat::Epoch.format(ns), "1764643987.123456");
        let local = TimeFormat::Local.format(ns);
        // HH:MM:SS.micro, whatever the zone.
        assert_eq!((local.len(), &local[2..3], &local[5..6], &local[8..]), (15, ":", ":", ".123456"), "{local}");
        let iso = TimeFormat::Iso.format(ns);
        assert!(iso.starts_with("2025-12-0") && iso.contains('T') && iso.contains(".123456"), "{iso}");
    }

    #[test]
    fn a_pid_names_its_namespace() {
        let own = std::fs::metadata("/proc/self/ns/net").unwrap().ino() as u32;
        assert_eq!(netns_inode(&std::process::id().to_string()).unwrap(), own);
        assert_eq!(netns_inode(&own.to_string()).unwrap(), own);
        assert!(netns_inode("no-such-namespace-here").is_err());
    }

    fn line(netns: u32, reason: &str, location: &str, count: u64) -> SummaryLine {
        SummaryLine { netns, kind: "drop".into(), reason: 0, reason_name: reason.into(), location: location.into(), hook: None, count }
    }

    #[test]
    fn top_sums_by_a_field_most_frequent_first() {
        let lines = [
            line(1, "NO_SOCKET", "udp_rcv+0x10/0x20", 5),
            line(2, "NETFILTER_DROP", "nf_hook_slow+0x1/0x2", 7),
            line(2, "NO_SOCKET", "udp_rcv+0x14/0x20", 4),
        ];
        let mut names = NetnsNames::default();
        let by_reason = groups(&lines, GroupBy::Reason, |l| l.count / 2, &mut names);
        let got: Vec<_> = by_reason.iter().map(|g| (g.key.as_str(), g.count, g.delta)).collect();
        assert_eq!(got, [("NO_SOCKET", 9, 4), ("NETFILTER_DROP", 7, 3)]);
        let by_location = groups(&lines, GroupBy::Location, |_| 0, &mut names);
        assert_eq!((by_location[0].key.as_str(), by_location[0].count), ("udp_rcv", 9));
        let by_netns = groups(&lines, GroupBy::Netns, |_| 0, &mut names);
        assert_eq!(by_netns.iter().map(|g| g.count).collect::<Vec<_>>(), [11, 5]);
    }
}
