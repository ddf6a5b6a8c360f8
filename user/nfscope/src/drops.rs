//! `nfscope drops watch`: stream the module's drop records.

use crate::output::json_line;
use anyhow::{Context, Result};
use nfscope_client::{Client, DropEvent, DropRecord};
use serde::Serialize;
use std::io::Write;
use std::os::unix::fs::MetadataExt;

/// `--netns` as an inode: a number, a name under /run/netns, or a path.
pub fn netns_inode(spec: &str) -> Result<u32> {
    if let Ok(n) = spec.parse::<u32>() {
        return Ok(n);
    }
    let path = if spec.contains('/') { spec.to_string() } else { format!("/run/netns/{spec}") };
    let meta = std::fs::metadata(&path).with_context(|| format!("--netns {spec}: no namespace at {path}"))?;
    Ok(meta.ino() as u32)
}

#[derive(Serialize)]
struct Lost {
    /// "kernel": the module's per-CPU buffer was full; "socket": this
    /// process did not read fast enough.
    r#where: &'static str,
    /// Records lost (unknown for socket overruns).
    count: Option<u64>,
}

fn endpoint(a: Option<std::net::IpAddr>, p: Option<u16>) -> String {
    match (a, p) {
        (Some(std::net::IpAddr::V6(a)), Some(p)) => format!("[{a}]:{p}"),
        (Some(a), Some(p)) => format!("{a}:{p}"),
        (Some(a), None) => a.to_string(),
        _ => "?".into(),
    }
}

fn human(out: &mut impl Write, what: &str, r: &DropRecord) -> std::io::Result<()> {
    let secs = r.time_ns / 1_000_000_000;
    writeln!(
        out,
        "{}.{:06} {what} netns {} if {} {} {} > {}{}{} len {} {} at {} ({} pid {} cpu {})",
        secs,
        (r.time_ns % 1_000_000_000) / 1000,
        r.netns,
        r.ifindex,
        r.protocol.as_deref().unwrap_or("non-ip"),
        endpoint(r.saddr, r.sport),
        endpoint(r.daddr, r.dport),
        r.tcp_flags.as_ref().map(|f| format!(" [{f}]")).unwrap_or_default(),
        r.tcp_state.as_ref().map(|s| format!(" state {s}")).unwrap_or_default(),
        r.len,
        r.reason_name,
        r.location,
        r.comm,
        r.pid,
        r.cpu
    )?;
    for f in &r.stack {
        writeln!(out, "    {f}")?;
    }
    Ok(())
}

/// Which records to show.
pub struct Filter {
    pub netns: Option<u32>,
    pub port: Option<u16>,
    pub drops: bool,
    pub resets: bool,
}

impl Filter {
    fn matches(&self, r: &DropRecord) -> bool {
        self.netns.is_none_or(|n| n == r.netns) && self.port.is_none_or(|p| r.sport == Some(p) || r.dport == Some(p))
    }
}

/// Streams drops that pass `filter` until `count` were shown. Losses are
/// always reported, filtered or not.
pub fn watch(out: &mut impl Write, json: bool, filter: &Filter, count: Option<u64>) -> Result<()> {
    let mut stream = Client::connect()?.drop_events()?;
    let mut shown = 0u64;
    while count.is_none_or(|c| shown < c) {
        let (r, is_rst) = match stream.next_event()? {
            DropEvent::Drop(r) => (r, false),
            DropEvent::Rst(r) => (r, true),
            DropEvent::KernelLost(n) => {
                report_loss(out, json, "kernel", Some(n))?;
                continue;
            }
            DropEvent::SocketOverrun => {
                report_loss(out, json, "socket", None)?;
                continue;
            }
        };
        if !filter.matches(&r) || !(if is_rst { filter.resets } else { filter.drops }) {
            continue;
        }
        let (kind, label) = if is_rst { ("rst", "RST") } else { ("drop", "DROP") };
        if json {
            json_line(out, kind, &r)?;
        } else {
            human(out, label, &r)?;
        }
        out.flush()?;
        shown += 1;
    }
    Ok(())
}

fn report_loss(out: &mut impl Write, json: bool, r#where: &'static str, count: Option<u64>) -> Result<()> {
    if json {
        json_line(out, "lost", &Lost { r#where, count })?;
    } else {
        match count {
            Some(n) => writeln!(out, "!! {n} drop records lost in the kernel (per-CPU buffer full)")?,
            None => writeln!(out, "!! drop records lost: this reader fell behind (socket buffer overrun)")?,
        }
    }
    out.flush()?;
    Ok(())
}
