//! `nfscope trace list|enable|disable|restore|watch`: every tracer nfscope
//! knows — the module's probes (over netlink), kernel trace events (tracefs)
//! and the BPF tracers (libbpf-rs, no module needed) — in one place.

use crate::drops::{self, FilterArgs};
use crate::output::json_line;
use anyhow::{bail, Result};
use clap::Subcommand;
use nfscope_client::{Client, DropConfig, PROBE_NAMES};
use nfscope_trace::bpf::{self, Program};
use nfscope_trace::changes::{Before, Changes};
use nfscope_trace::{reasons, tracefs, Error};
use serde::Serialize;
use std::io::Write;

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Every tracer with its state: the module's probes (module:drop,
    /// module:rst, module:hooks), kernel trace events (group:event) and BPF
    /// tracers (kfree-skb, tcp-send-reset). Changes made with enable/disable
    /// show what they replaced.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Turn a tracer on. It stays on after nfscope exits (the kernel keeps
    /// it); `nfscope trace restore` undoes what enable/disable changed.
    Enable {
        name: String,
        /// A trace event's filter, in tracefs syntax (e.g. "reason == 3");
        /// see the event's `format` file for its fields. Without it the
        /// event keeps its filter; "0" clears it.
        #[arg(long)]
        filter: Option<String>,
        /// For module probes: the record filters to set with it.
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Turn a tracer off.
    Disable { name: String },
    /// Put back every tracer enable/disable changed, as it was before.
    Restore,
    /// Run BPF tracers and stream their records (same shape as `nfscope
    /// drops watch`). Needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) and
    /// kernel BTF; not the module.
    Watch {
        /// kfree-skb, tcp-send-reset, or both.
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(long)]
        json: bool,
        /// Times in text output: local (HH:MM:SS.micro), iso or epoch.
        #[arg(long, value_enum, default_value = "local")]
        time: drops::TimeFormat,
        /// Kernel stack frames per record (0..32; --stack 0: none).
        #[arg(long, num_args = 0..=1, default_value = "16", default_missing_value = "16", value_parser = clap::value_parser!(u8).range(0..=32))]
        stack: u8,
        /// Stop after this many records.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        /// Size of the ring buffer the programs write to, in KiB (a power
        /// of two, 4 to 2097152); records that find it full are counted and
        /// reported lost.
        #[arg(long, default_value_t = bpf::DEFAULT_RING_BYTES / 1024, value_parser = crate::args::ring_kib)]
        ring_kib: u32,
        #[command(flatten)]
        pcap: crate::pcap::PcapArgs,
        /// Applied by the BPF program before a record is made (--netns,
        /// --proto, --addr, --port, --reason, --exclude-reason).
        #[command(flatten)]
        filters: FilterArgs,
    },
}

pub fn run(cmd: TraceCommand, out: &mut impl Write) -> Result<()> {
    match cmd {
        TraceCommand::List { json } => list(out, json),
        TraceCommand::Enable { name, filter, filters } => switch(&name, true, filter, &filters),
        TraceCommand::Disable { name } => switch(&name, false, None, &FilterArgs::default()),
        TraceCommand::Restore => restore(out),
        TraceCommand::Watch { names, json, time, stack, count, ring_kib, pcap, filters } => {
            let mut format = drops::RecordFormat::new(json, time);
            format.pcap = pcap.create()?;
            // At most 2 GiB (the parser checked).
            let result = watch(out, &names, &mut format, usize::from(stack), count, ring_kib * 1024, &filters);
            pcap.finish(format.pcap.as_ref(), result)
        }
    }
}

/// What a tracer name refers to.
enum Tracer {
    Module(&'static str),
    Tracefs(String),
    Bpf(Program),
}

fn resolve(name: &str) -> Result<Tracer> {
    if let Some(p) = name.strip_prefix("module:") {
        return PROBE_NAMES
            .iter()
            .find(|n| **n == p)
            .map(|n| Tracer::Module(n))
            .ok_or_else(|| Error::UnknownTracer(name.into()).into());
    }
    if let Some(p) = Program::from_name(name) {
        return Ok(Tracer::Bpf(p));
    }
    if name.contains(':') {
        let root = tracefs::root()?;
        if tracefs::event_dir(&root, name).is_none() {
            bail!(Error::UnknownTracer(name.into()));
        }
        return Ok(Tracer::Tracefs(name.into()));
    }
    Err(Error::UnknownTracer(name.into()).into())
}

#[derive(Serialize)]
struct Row {
    name: String,
    /// "module", "tracefs" or "bpf".
    kind: &'static str,
    /// "on", "off", or "unavailable" (detail says why).
    state: String,
    detail: String,
    /// What enable/disable replaced (present only for changed tracers).
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_from: Option<String>,
}

fn describe_before(b: &Before) -> String {
    match b {
        Before::Tracefs(s) => format!(
            "{}{}",
            if s.enabled { "on" } else { "off" },
            s.filter.as_ref().map(|f| format!(", filter {f}")).unwrap_or_default()
        ),
        Before::Module(c) => format!("probes [{}]", c.probes.join(",")),
    }
}

fn module_filters(c: &DropConfig) -> String {
    let mut f = Vec::new();
    if let Some(n) = c.netns {
        f.push(format!("netns {n}"));
    }
    if let Some(p) = c.protocol {
        f.push(format!("proto {p}"));
    }
    if let Some((a, l)) = c.addr {
        f.push(format!("addr {a}/{l}"));
    }
    if let Some(p) = c.port {
        f.push(format!("port {p}"));
    }
    if !c.reasons.is_empty() {
        f.push(format!("reasons {}", c.reasons.join(",")));
    }
    if !c.exclude_reasons.is_empty() {
        f.push(format!("not reasons {}", c.exclude_reasons.join(",")));
    }
    if c.hook != "any" {
        f.push(format!("hook {}", c.hook));
    }
    if f.is_empty() { "no filters".into() } else { f.join(", ") }
}

fn rows() -> Result<Vec<Row>> {
    let changes = Changes::load()?;
    let mut rows = Vec::new();
    let module = Client::connect().and_then(|mut c| c.drop_config());
    for p in PROBE_NAMES {
        let (state, detail) = match &module {
            Ok((c, _)) => (
                if c.probes.iter().any(|x| x == p) { "on" } else { "off" }.to_string(),
                format!("module probe; records {}, {}", if c.records { "on" } else { "off" }, module_filters(c)),
            ),
            Err(e) => ("unavailable".into(), e.to_string()),
        };
        let changed_from = changes.0.get("module").map(describe_before);
        rows.push(Row { name: format!("module:{p}"), kind: "module", state, detail, changed_from });
    }
    let root = tracefs::root();
    let mut events: Vec<String> = tracefs::MANAGED.iter().map(|s| s.to_string()).collect();
    for k in changes.0.keys() {
        if k.contains(':') && !events.contains(k) {
            events.push(k.clone());
        }
    }
    for name in events {
        let (state, detail) = match &root {
            Err(e) => ("unavailable".into(), e.to_string()),
            Ok(root) => match tracefs::event_dir(root, &name).map(|d| tracefs::state(&d)) {
                None => ("unavailable".into(), "this kernel has no such event".into()),
                Some(Err(e)) => ("unavailable".into(), e.to_string()),
                Some(Ok(s)) => (
                    if s.enabled { "on" } else { "off" }.into(),
                    format!("trace event; filter {}", s.filter.as_deref().unwrap_or("none")),
                ),
            },
        };
        let changed_from = changes.0.get(&name).map(describe_before);
        rows.push(Row { name, kind: "tracefs", state, detail, changed_from });
    }
    let btf = std::path::Path::new(reasons::VMLINUX_BTF).exists();
    for p in Program::ALL {
        let (state, detail) = if !btf {
            ("unavailable".into(), Error::NoBtf { path: reasons::VMLINUX_BTF }.to_string())
        } else {
            match p.loaded_instances() {
                Some(0) => ("off".into(), format!("{}; runs under `nfscope trace watch {}`", p.description(), p.name())),
                Some(n) => ("on".into(), format!("{}; {n} instance(s) loaded (BPF program {})", p.description(), p.prog_name())),
                None => ("off".into(), format!("{}; whether one runs elsewhere needs CAP_SYS_ADMIN to see", p.description())),
            }
        };
        rows.push(Row { name: p.name().into(), kind: "bpf", state, detail, changed_from: None });
    }
    Ok(rows)
}

fn list(out: &mut impl Write, json: bool) -> Result<()> {
    let rows = rows()?;
    if json {
        for r in &rows {
            json_line(out, "tracer", r)?;
        }
        return Ok(());
    }
    writeln!(out, "{:<26} {:<8} {:<12} DETAIL", "TRACER", "KIND", "STATE")?;
    for r in &rows {
        let changed = r.changed_from.as_ref().map(|c| format!(" (changed by nfscope; was {c})")).unwrap_or_default();
        writeln!(out, "{:<26} {:<8} {:<12} {}{changed}", r.name, r.kind, r.state, r.detail)?;
    }
    Ok(())
}

fn switch(name: &str, on: bool, filter: Option<String>, filters: &FilterArgs) -> Result<()> {
    let mut changes = Changes::load()?;
    match resolve(name)? {
        Tracer::Bpf(p) => bail!(
            "{} is a BPF tracer: it runs while `nfscope trace watch {}` runs, and nothing of it stays loaded after",
            p.name(),
            p.name()
        ),
        Tracer::Module(probe) => {
            if filter.is_some() {
                bail!("--filter is for trace events; module probes take --netns, --port, --reason ...");
            }
            let mut client = Client::connect()?;
            let (before, _) = client.drop_config()?;
            let mut c = if on { filters.apply(&before)? } else { before.clone() };
            c.probes.retain(|p| p != probe);
            if on {
                c.probes.push(probe.to_string());
            }
            client.set_drop_config(&c)?;
            changes.note("module", Before::Module(before));
        }
        Tracer::Tracefs(event) => {
            if !filters.is_empty() {
                bail!("trace events take --filter EXPR (tracefs syntax), not the module's filter options");
            }
            let root = tracefs::root()?;
            let dir = tracefs::event_dir(&root, &event).ok_or_else(|| Error::UnknownTracer(event.clone()))?;
            let before = tracefs::state(&dir)?;
            // Without --filter the event keeps its filter; "--filter 0" clears it.
            let filter = filter.or_else(|| before.filter.clone()).filter(|f| f.trim() != "0");
            let after = tracefs::EventState { enabled: on, filter };
            tracefs::apply(&dir, &event, &after)?;
            changes.note(&event, Before::Tracefs(before));
        }
    }
    changes.save()?;
    Ok(())
}

fn restore(out: &mut impl Write) -> Result<()> {
    let mut changes = Changes::load()?;
    let mut failed = Vec::new();
    for (key, before) in std::mem::take(&mut changes.0) {
        let done: Result<()> = match &before {
            Before::Module(c) => Client::connect().and_then(|mut cl| cl.set_drop_config(c)).map_err(Into::into),
            Before::Tracefs(s) => tracefs::root()
                .and_then(|root| {
                    let dir = tracefs::event_dir(&root, &key).ok_or_else(|| Error::UnknownTracer(key.clone()))?;
                    tracefs::apply(&dir, &key, s)
                })
                .map_err(Into::into),
        };
        match done {
            Ok(()) => writeln!(out, "restored {key}: {}", describe_before(&before))?,
            Err(e) => {
                failed.push(format!("{key}: {e:#}"));
                changes.0.insert(key, before);
            }
        }
    }
    changes.save()?;
    if !failed.is_empty() {
        bail!("could not restore {} (kept for the next try)", failed.join("; "));
    }
    Ok(())
}

fn bpf_filters(f: &FilterArgs) -> Result<bpf::Filters> {
    let module_only = [
        (f.hook.is_some(), "--hook"),
        (f.sample.is_some(), "--sample"),
        (f.rate.is_some(), "--rate"),
        (f.stack_depth.is_some(), "--stack-depth (use --stack N)"),
    ];
    if let Some((_, opt)) = module_only.iter().find(|(given, _)| *given) {
        bail!("{opt} is a filter of the module's drop monitor (nfscope drops watch), not of the BPF tracers");
    }
    Ok(bpf::Filters {
        netns: f.netns.as_deref().map(drops::netns_inode).transpose()?,
        protocol: f.proto,
        port: f.port,
        addr: f.addr,
        reasons: f.reason.clone(),
        exclude_reasons: f.exclude_reason.clone(),
    })
}

fn watch(
    out: &mut impl Write,
    names: &[String],
    format: &mut drops::RecordFormat,
    stack: usize,
    count: Option<u64>,
    ring_bytes: u32,
    f: &FilterArgs,
) -> Result<()> {
    let mut programs = Vec::new();
    for n in names {
        match resolve(n)? {
            Tracer::Bpf(p) if !programs.contains(&p) => programs.push(p),
            Tracer::Bpf(_) => {}
            Tracer::Module(_) => bail!("{n} is the module's probe: its records stream with `nfscope drops watch`"),
            Tracer::Tracefs(_) => {
                bail!("{n} is a trace event: enable it with `nfscope trace enable {n}` and read tracefs's trace_pipe")
            }
        }
    }
    let snaplen = format.pcap.as_ref().map_or(0, |p| p.snaplen());
    let w = bpf::Watch { programs, filters: bpf_filters(f)?, stack_depth: stack.min(32), ring_bytes, snaplen };
    drops::stop_on_signals()?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut tally = drops::Tally::default();
    let result = bpf::watch(&w, &drops::STOP, |ev| {
        match ev {
            bpf::Event::Ready => {
                let names: Vec<_> = w.programs.iter().map(|p| p.name()).collect();
                eprintln!("nfscope: tracing {} (BPF); Ctrl-C stops", names.join(", "));
            }
            bpf::Event::Lost(n) => {
                tally.lost += n;
                if format.json {
                    json_line(&mut out, "lost", &serde_json::json!({ "where": "kernel", "count": n }))?;
                } else {
                    writeln!(out, "!! {n} records lost: the BPF ring buffer was full")?;
                }
            }
            bpf::Event::Drop(r) => {
                tally.shown += 1;
                format.record(&mut out, false, &r)?;
            }
            bpf::Event::Rst(r) => {
                tally.shown += 1;
                format.record(&mut out, true, &r)?;
            }
            bpf::Event::Idle => format.flush(&mut out)?,
        }
        // A stop request (SIGINT) is the watch's to see: it drains first.
        Ok(count.is_none_or(|c| tally.shown < c))
    });
    let flushed = format.flush(&mut out);
    tally.report();
    format.report();
    result?;
    flushed?;
    Ok(())
}
