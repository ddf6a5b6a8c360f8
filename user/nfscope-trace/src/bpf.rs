//! The BPF tracers: `kfree-skb` (skb:kfree_skb, real drops only) and
//! `tcp-send-reset` (tcp:tcp_send_reset), BTF-typed tracepoint programs
//! (CO-RE, src/bpf/tracers.bpf.c) filtering in the kernel and sharing one
//! ring buffer; records that do not fit are counted and reported.

use crate::event::{packet_of, Decoder, RawEvent, MAX_REASONS, SNAPLEN_MAX};
use nfscope_client::kallsyms::{Symbolizer, Symbols};
use crate::reasons::Reasons;
use crate::{caps, Error, Result};
use libbpf_rs::skel::{OpenSkel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, RingBufferBuilder};
use nfscope_events::DropRecord;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::mem::MaybeUninit;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[allow(clippy::all, unused_imports, unsafe_op_in_unsafe_fn)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/tracers.skel.rs"));
}
use skel::{TracersSkelBuilder, TracersSkel};

/// A BPF tracer nfscope can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    KfreeSkb,
    TcpSendReset,
}

impl Program {
    pub const ALL: [Program; 2] = [Program::KfreeSkb, Program::TcpSendReset];

    /// The name users give (`nfscope trace watch kfree-skb`).
    pub fn name(self) -> &'static str {
        match self {
            Program::KfreeSkb => "kfree-skb",
            Program::TcpSendReset => "tcp-send-reset",
        }
    }

    /// The BPF program's name in the kernel (`bpftool prog` shows it).
    pub fn prog_name(self) -> &'static str {
        match self {
            Program::KfreeSkb => "nfs_kfree_skb",
            Program::TcpSendReset => "nfs_send_reset",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Program::KfreeSkb => "BPF on skb:kfree_skb: drops with reason and stack",
            Program::TcpSendReset => "BPF on tcp:tcp_send_reset: resets the kernel sends, with stack",
        }
    }

    /// `kfree-skb` or `bpf:kfree-skb`.
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.strip_prefix("bpf:").unwrap_or(name);
        Self::ALL.into_iter().find(|p| p.name() == n)
    }

    /// How many instances are loaded in the kernel now (any process).
    /// None if this process may not look (needs CAP_SYS_ADMIN).
    pub fn loaded_instances(self) -> Option<usize> {
        if !caps::has(caps::CAP_SYS_ADMIN) {
            return None;
        }
        let n = libbpf_rs::query::ProgInfoIter::default().filter(|p| p.name.to_str() == Some(self.prog_name())).count();
        Some(n)
    }
}

/// Filters the BPF programs apply before a record is made.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub netns: Option<u32>,
    pub protocol: Option<u8>,
    pub port: Option<u16>,
    pub addr: Option<(IpAddr, u8)>,
    /// Drop reasons by kernel name or number: only these, or all but these.
    pub reasons: Vec<String>,
    pub exclude_reasons: Vec<String>,
}

/// What a watch yields.
#[derive(Debug)]
pub enum Event {
    /// The programs are attached: records flow from now on.
    Ready,
    Drop(DropRecord),
    Rst(DropRecord),
    /// Records that found the ring buffer full, since the previous report.
    Lost(u64),
    /// Everything read so far was passed on (a good time to flush output).
    Idle,
}

pub struct Watch {
    pub programs: Vec<Program>,
    pub filters: Filters,
    /// Frames per record (0: none).
    pub stack_depth: usize,
    /// Ring buffer size in bytes: a power of two, at least a page.
    pub ring_bytes: u32,
    /// Bytes of each dropped IP packet to copy into its record (0: none;
    /// at most 256).
    pub snaplen: u16,
}

/// The default ring buffer: 8 MiB, about 22,000 records.
pub const DEFAULT_RING_BYTES: u32 = 8 << 20;

fn realtime_offset() -> i128 {
    let now = |clock| nix::time::clock_gettime(clock).map(|t| i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_nsec()));
    match (now(nix::time::ClockId::CLOCK_REALTIME), now(nix::time::ClockId::CLOCK_MONOTONIC)) {
        (Ok(r), Ok(m)) => r - m,
        _ => 0,
    }
}

fn set_filters(rodata: &mut skel::types::rodata, f: &Filters, reasons: &Reasons) -> Result<()> {
    rodata.f_netns = f.netns.unwrap_or(0);
    rodata.f_proto = f.protocol.unwrap_or(0);
    rodata.f_port = f.port.unwrap_or(0);
    if let Some((a, prefix)) = f.addr {
        rodata.f_prefix = prefix;
        match a {
            IpAddr::V4(a) => {
                rodata.f_family = 4;
                rodata.f_addr[..4].copy_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                rodata.f_family = 6;
                rodata.f_addr = a.octets();
            }
        }
    }
    let (mode, list) = match (f.reasons.is_empty(), f.exclude_reasons.is_empty()) {
        (true, true) => return Ok(()),
        (false, true) => (1, &f.reasons),
        (true, false) => (2, &f.exclude_reasons),
        (false, false) => return Err(Error::Invalid("give reasons to include or to exclude, not both".into())),
    };
    if list.len() > MAX_REASONS {
        return Err(Error::Invalid(format!("at most {MAX_REASONS} reasons in a BPF filter")));
    }
    for (slot, name) in rodata.f_reasons.iter_mut().zip(list) {
        *slot = reasons.drop_value(name)?;
    }
    rodata.f_nreasons = list.len() as u32;
    rodata.f_reasons_mode = mode;
    Ok(())
}

fn load_error(what: &str) -> impl FnOnce(libbpf_rs::Error) -> Error + '_ {
    move |e| {
        if e.kind() == libbpf_rs::ErrorKind::PermissionDenied {
            Error::MissingCapability { what: what.into(), caps: "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)" }
        } else {
            Error::Bpf { what: what.into(), source: e }
        }
    }
}

fn lost_total(skel: &TracersSkel) -> u64 {
    let key = 0u32.to_ne_bytes();
    match skel.maps.lost.lookup_percpu(&key, MapFlags::ANY) {
        Ok(Some(per_cpu)) => per_cpu.iter().filter_map(|v| v.get(..8)?.try_into().ok()).map(u64::from_ne_bytes).sum(),
        _ => 0,
    }
}

/// Loads and attaches the programs, then hands every record (and every
/// loss) to `sink` until `sink` returns false or `stop` is set. Detaches
/// and unloads on return.
pub fn watch(w: &Watch, stop: &AtomicBool, mut sink: impl FnMut(Event) -> std::io::Result<bool>) -> Result<()> {
    let what = format!("BPF tracer {}", w.programs.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "));
    caps::require_bpf(&what)?;
    let reasons = Reasons::from_vmlinux()?;
    // Fails early (before loading anything) where addresses are hidden.
    Symbols::load()?;

    let mut object = MaybeUninit::uninit();
    let mut open = TracersSkelBuilder::default().open(&mut object).map_err(load_error(&what))?;
    let rodata = open.maps.rodata_data.as_deref_mut().ok_or_else(|| Error::Invalid("BPF object has no .rodata".into()))?;
    set_filters(rodata, &w.filters, &reasons)?;
    if usize::from(w.snaplen) > SNAPLEN_MAX {
        return Err(Error::Invalid(format!("snaplen {}: at most {SNAPLEN_MAX}", w.snaplen)));
    }
    rodata.f_snaplen = w.snaplen;
    let page = 4096;
    if !w.ring_bytes.is_power_of_two() || w.ring_bytes < page {
        return Err(Error::Invalid(format!("ring buffer size {} bytes: must be a power of two of at least {page}", w.ring_bytes)));
    }
    open.maps.events.set_max_entries(w.ring_bytes).map_err(Error::bpf("sizing the ring buffer"))?;
    open.progs.nfs_kfree_skb.set_autoload(w.programs.contains(&Program::KfreeSkb));
    open.progs.nfs_send_reset.set_autoload(w.programs.contains(&Program::TcpSendReset));
    let skel = open.load().map_err(load_error(&what))?;
    let mut links = Vec::new();
    if w.programs.contains(&Program::KfreeSkb) {
        links.push(skel.progs.nfs_kfree_skb.attach().map_err(load_error("attaching to skb:kfree_skb"))?);
    }
    if w.programs.contains(&Program::TcpSendReset) {
        links.push(skel.progs.nfs_send_reset.attach().map_err(load_error("attaching to tcp:tcp_send_reset"))?);
    }

    // Read after loading, so that the programs' own symbols are listed
    // when the kernel publishes JIT-ed programs (net.core.bpf_jit_kallsyms).
    let mut decoder = Decoder { symbols: Symbolizer::load()?, reasons, realtime_offset: realtime_offset(), stack_depth: w.stack_depth };
    // Each record with its packet bytes, if it carries some.
    type Queue = VecDeque<(RawEvent, Option<Vec<u8>>)>;
    let queue: Rc<RefCell<Queue>> = Rc::default();
    let mut builder = RingBufferBuilder::new();
    let q = Rc::clone(&queue);
    builder
        .add(&skel.maps.events, move |data: &[u8]| {
            if let Some(e) = RawEvent::from_bytes(data) {
                q.borrow_mut().push_back((e, packet_of(data)));
            }
            0
        })
        .map_err(Error::bpf("setting up the ring buffer"))?;
    let ring = builder.build().map_err(Error::bpf("setting up the ring buffer"))?;

    if !sink(Event::Ready).map_err(Error::io("writing records"))? {
        return Ok(());
    }
    let mut lost_seen = 0;
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        match ring.poll(Duration::from_millis(200)) {
            Ok(()) => {}
            Err(e) if e.kind() == libbpf_rs::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Bpf { what: "reading the ring buffer".into(), source: e }),
        }
        while let Some((e, packet)) = queue.borrow_mut().pop_front() {
            let mut r = decoder.record(&e);
            r.packet = packet;
            let ev = if e.is_rst() { Event::Rst(r) } else { Event::Drop(r) };
            if !sink(ev).map_err(Error::io("writing records"))? {
                return Ok(());
            }
        }
        let lost = lost_total(&skel);
        if lost > lost_seen {
            if !sink(Event::Lost(lost - lost_seen)).map_err(Error::io("writing records"))? {
                return Ok(());
            }
            lost_seen = lost;
        }
        if !sink(Event::Idle).map_err(Error::io("writing records"))? {
            return Ok(());
        }
        // One last pass after the stop request drains what was in flight.
        if stopping {
            drop(links);
            return Ok(());
        }
    }
}
