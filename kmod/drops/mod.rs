// SPDX-License-Identifier: GPL-2.0

//! Drop and reset records: every skb freed as a drop (`skb:kfree_skb` with a
//! reason other than "consumed") and every TCP reset the kernel sends
//! (`tcp:tcp_send_reset`) becomes a record with its reason, location, stack,
//! namespace, device and 5-tuple. Records go into a bounded ring per CPU
//! (full ring: the record is counted as lost, never blocks), made in place
//! in their slot in the form listeners get them, and a work item copies
//! them from there, many records per generic netlink message, to init_net
//! listeners of the "events" group. Code addresses travel raw: readers name
//! them from /proc/kallsyms, so making and sending a record does no symbol
//! lookup. Every record queued is either delivered or counted as lost in
//! the next message that is delivered (`NFSCOPE_A_LOST`).
//!
//! Whatever the filters say, every drop and reset is counted in a per-CPU
//! summary keyed by (netns, reason, location, hook); records are only made
//! while someone listens, for what passes the filters, sampling and rate
//! limit (see `config.rs`).
//!
//! Here: the monitor, its probes and the drain. A record is made in
//! `record.rs`, queued per CPU in `ring.rs`, counted in `summary.rs`; the
//! hook that dropped a packet is found by `attribution.rs`.

mod attribution;
pub(crate) mod config;
mod record;
mod ring;
mod summary;

pub(crate) use config::Config;
pub(crate) use record::{HookRecord, SumView};
pub(crate) use summary::SumEntry;

use crate::control::events;
use crate::uapi;
use crate::wrap::genetlink::{events_have_listeners, Event};
use crate::wrap::lock_irq::SpinLockIrq;
use crate::wrap::skb::Skb;
use crate::wrap::sock::SockTuple;
use crate::wrap::tracepoint::{DropHook, RstHook, SkbPlace};
use crate::wrap::work::WorkHandler;
use crate::wrap::context;
use attribution::HookTracker;
use config::{ConfigCell, Switches};
use kernel::prelude::*;
use kernel::static_lock_class;
use crate::wrap::global::Published;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use record::{copy_packet, put_drop, rst_record, Seen};
use ring::{CpuState, Outcome, Ring};
use summary::SumKey;

/// Attribute bytes per event message: 42 records.
const EVENT_BYTES: u32 = 15 * 1024;
/// Drain period while someone listens, and while nobody does.
const DRAIN_MS: u32 = 10;
const IDLE_MS: u32 = 200;
/// `enum skb_drop_reason` values that are not drops.
const SKB_NOT_DROPPED_YET: u32 = 0;
const SKB_CONSUMED: u32 = 1;
/// Summary lines kept per CPU (open addressing; kept under 3/4 full).
const SUM_SLOTS: usize = 512;
/// How often new netfilter hook functions are looked for.
const RESCAN_NS: u64 = 1_000_000_000;
/// How long (in seconds) a summary line's hook registration, looked up
/// again at most that often, stands for the records of the same call.
const DESC_TTL_S: u64 = 1;

/// The drop monitor: the hook tracker, one state per CPU, configuration
/// and counters.
pub(crate) struct DropMonitor {
    pub(crate) hooks: HookTracker,
    cpus: KVec<Pin<KBox<SpinLockIrq<CpuState>>>>,
    pub(crate) config: ConfigCell,
    stats: [AtomicU64; uapi::DSTAT_COUNT],
    last_rescan: AtomicU64,
}

/// The monitor, for netlink requests and proc files: published once in
/// the module's `init`, and dropped last, after the netlink family, the
/// per-namespace proc files and all probes (the only callers) are gone.
pub(crate) static MONITOR: Published<DropMonitor> = Published::new();

/// Whether the TOA probe is on (the module-wide probe set; on until the
/// monitor exists).
pub(crate) fn toa_probe_on() -> bool {
    match monitor() {
        Some(m) => m.config.switches().probe_on(uapi::PROBE_TOA),
        None => true,
    }
}

/// The drop monitor, once the module created it.
pub(crate) fn monitor() -> Option<&'static DropMonitor> {
    MONITOR.get()
}

impl DropMonitor {
    /// A monitor buffering `ring_records` records per CPU.
    pub(crate) fn new(ring_records: usize) -> Result<Self> {
        let config = Config::default();
        let cpus_n = context::nr_cpu_ids() as usize;
        let mut cpus = KVec::with_capacity(cpus_n, GFP_KERNEL)?;
        for _ in 0..cpus_n {
            let state = CpuState::new(ring_records, SUM_SLOTS)?;
            // `c_str!`: the kernel crate's `CStr`, which `Lock::new` takes, on every line.
            cpus.push(KBox::pin_init(SpinLockIrq::new(state, kernel::c_str!("nfscope_drops"), static_lock_class!()), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            hooks: HookTracker::new(config.probe_on(uapi::PROBE_HOOKS))?,
            cpus,
            config: ConfigCell::new(config),
            stats: [const { AtomicU64::new(0) }; uapi::DSTAT_COUNT],
            last_rescan: AtomicU64::new(0),
        })
    }

    /// Counters (`enum nfscope_drop_stat`), hook probe figures included.
    /// Process context.
    pub(crate) fn stats(&self) -> [u64; uapi::DSTAT_COUNT] {
        let mut out: [u64; uapi::DSTAT_COUNT] = core::array::from_fn(|i| self.stats[i].load(Relaxed));
        let (funcs, missed) = self.hooks.probe_stats();
        out[uapi::DSTAT_HOOK_FUNCS] = u64::from(funcs);
        out[uapi::DSTAT_HOOK_MISSED] = missed;
        out
    }

    /// Applies a new configuration; hook probes follow at once. The first
    /// one asking for packet bytes allocates their buffers (kept until
    /// unload). Process context.
    pub(crate) fn configure(&self, config: Config) -> Result {
        if config.snaplen > 0 {
            for cpu in &self.cpus {
                let Some(slots) = cpu.lock().ring.needs_packets() else { continue };
                let packets = Ring::packet_buffers(slots)?;
                cpu.lock().ring.give_packets(packets);
            }
        }
        self.config.store(config);
        self.hooks.set_enabled(config.probe_on(uapi::PROBE_HOOKS));
        self.hooks.rescan();
        Ok(())
    }

    /// The summary lines of all CPUs merged (of namespace `netns` only,
    /// unless 0), most frequent first. Process context.
    pub(crate) fn summary(&self, netns: u32) -> Result<KVec<SumEntry>> {
        let mut out: KVec<SumEntry> = KVec::new();
        for cpu in &self.cpus {
            let mut lines = KVec::new();
            {
                let c = cpu.lock();
                lines.reserve(c.summary.len(), GFP_ATOMIC)?;
                for e in c.summary.lines() {
                    if netns == 0 || e.key.netns == netns {
                        lines.push(*e, GFP_ATOMIC)?;
                    }
                }
            }
            for e in lines {
                match out.iter_mut().find(|o| o.key == e.key) {
                    Some(o) => o.merge(&e),
                    None => out.push(e, GFP_KERNEL)?,
                }
            }
        }
        crate::sort::sort_by_key(&mut out, |e| core::cmp::Reverse(e.count));
        Ok(out)
    }
}

impl DropMonitor {
    fn count(&self, stat: usize) {
        self.stats[stat].fetch_add(1, Relaxed);
    }

    /// Counts what became of a drop or reset (after the CPU's state is
    /// unlocked).
    fn tally(&self, summarized: bool, outcome: Outcome) {
        if !summarized {
            self.count(uapi::DSTAT_SUMMARY_FULL);
        }
        if let Some(stat) = outcome.stat() {
            self.count(stat);
        }
    }

    /// The configuration, if listeners want records.
    fn records_wanted(&self, on: Switches) -> Result<Config, Outcome> {
        if !on.records || !events_have_listeners() {
            return Err(Outcome::Unwanted);
        }
        let config = self.config.load();
        if config.records { Ok(config) } else { Err(Outcome::Unwanted) }
    }
}

impl DropHook for DropMonitor {
    /// Any context: counts the drop in this CPU's summary, and queues a
    /// record if listeners want one. This CPU's state is locked once, and
    /// the record written in its ring slot. Inlined into the tracepoint
    /// probe: the stack walk then starts one frame from the tracepoint.
    #[inline(always)]
    fn on_kfree_skb(&self, skb: &Skb, place: SkbPlace, location: usize, reason: u32) {
        if reason == SKB_NOT_DROPPED_YET || reason == SKB_CONSUMED {
            return;
        }
        let on = self.config.switches();
        if !on.probe_on(uapi::PROBE_DROP) {
            return;
        }
        let Some(cpu) = self.cpus.get(context::cpu() as usize) else { return };
        self.count(uapi::DSTAT_DROPS);
        let attribution = if on.probe_on(uapi::PROBE_HOOKS) { self.hooks.attribute(skb, reason, location as u64) } else { None };
        if attribution.is_some() {
            self.count(uapi::DSTAT_ATTRIBUTED);
        }
        let key = SumKey {
            netns: place.netns,
            reason,
            loc: [location as u64, 0, 0],
            func: attribution.map_or(0, |a| a.call().func),
            priv_: attribution.map_or(0, |a| a.call().priv_),
            pf: attribution.map_or(0, |a| a.call().pf),
            hooknum: attribution.map_or(0, |a| a.call().hooknum),
            how: attribution.map_or(0, |a| a.how as u8),
            ct: attribution.map_or(0, |a| a.ct),
            ..Default::default()
        };
        let wanted = self.records_wanted(on).and_then(|config| {
            let seen = Seen::of_skb(skb, place);
            let subject = seen.subject(false, reason, attribution.map(|a| a.call().hooknum));
            if config.matches(&subject) { Ok((config, seen)) } else { Err(Outcome::Filtered) }
        });
        let now = context::jiffies();
        let mut c = cpu.lock();
        // The hook's registration is looked up for a new summary line, and
        // again about once a second; records take the line's.
        let line = c.summary.add(&key, now, DESC_TTL_S * context::hz(), || attribution.as_ref().and_then(|a| a.describe()));
        let summarized = line.is_some();
        let hook = match line {
            Some(e) if wanted.is_ok() => attribution.map(|a| HookRecord::new(&a, e.desc)),
            // The table is full: looked up for the record.
            None if wanted.is_ok() => attribution.map(|a| HookRecord::new(&a, a.describe())),
            _ => None,
        };
        let outcome = match wanted.and_then(|(config, seen)| Ok((c.slot(&config)?, config, seen))) {
            Ok(((w, packet), config, seen)) => {
                put_drop(w, skb, place, &seen, location, reason, hook.as_ref(), config.depth as usize);
                // The network header is only known to be one for IP packets.
                if let Some(p) = packet.filter(|_| seen.ip.is_some() && config.snaplen > 0) {
                    p.len = copy_packet(skb, config.snaplen, &mut p.bytes);
                }
                c.ring.commit();
                Outcome::Queued
            }
            Err(outcome) => outcome,
        };
        drop(c);
        self.tally(summarized, outcome);
    }
}

impl RstHook for DropMonitor {
    /// Any context, like `on_kfree_skb`.
    fn on_tcp_send_reset(&self, sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32) {
        let on = self.config.switches();
        if !on.probe_on(uapi::PROBE_RST) {
            return;
        }
        let Some(cpu) = self.cpus.get(context::cpu() as usize) else { return };
        self.count(uapi::DSTAT_RSTS);
        let (record, seen) = rst_record(sock, skb, reason);
        let mut loc = [0u64; 3];
        for (dst, src) in loc.iter_mut().zip(&record.stack[..record.depth as usize]) {
            *dst = *src;
        }
        let key = SumKey { netns: record.netns, rst: true, reason, loc, ..Default::default() };
        let wanted = self
            .records_wanted(on)
            .and_then(|config| if config.matches(&seen.subject(true, reason, None)) { Ok(config) } else { Err(Outcome::Filtered) });
        let mut c = cpu.lock();
        let summarized = c.summary.add(&key, context::jiffies(), 0, || None).is_some();
        let outcome = match wanted.and_then(|config| Ok((c.slot(&config)?, config))) {
            Ok(((w, _), config)) => {
                *w = record;
                let depth = w.depth.min(config.depth);
                w.stack[depth as usize..].fill(0);
                w.depth = depth;
                c.ring.commit();
                Outcome::Queued
            }
            Err(outcome) => outcome,
        };
        drop(c);
        self.tally(summarized, outcome);
    }
}

impl DropMonitor {
    /// Sends `cpu`'s loss counts and up to a ring's worth of its records,
    /// as many per message as fit, copied from their slots (the CPU's state
    /// locked once per message). Process context.
    fn drain(&self, cpu: &SpinLockIrq<CpuState>) {
        let (mut lost, mut suppressed, mut left) = {
            let mut c = cpu.lock();
            let left = c.ring.len();
            (core::mem::take(&mut c.lost), core::mem::take(&mut c.suppressed), left)
        };
        while lost > 0 || suppressed > 0 || left > 0 {
            let Ok(mut ev) = Event::new(EVENT_BYTES) else { break };
            // A fresh message has room for the counts and one record.
            if events::put_counts(&mut ev, lost, suppressed).is_err() {
                break;
            }
            let mut records = 0u64;
            {
                let mut c = cpu.lock();
                while left > 0 {
                    let Some((r, packet)) = c.ring.oldest() else {
                        left = 0;
                        break;
                    };
                    if events::put_record(&mut ev, r, packet).is_ok() {
                        records += 1;
                    } else if records > 0 {
                        // The message is full: the record waits for the next.
                        break;
                    } else {
                        // Cannot happen (a record is far smaller than a
                        // message); counted rather than retried forever.
                        lost += 1;
                        self.count(uapi::DSTAT_LOST_SEND);
                    }
                    c.ring.pop();
                    left -= 1;
                }
            }
            match ev.send() {
                Ok(()) => {
                    self.stats[uapi::DSTAT_SENT].fetch_add(records, Relaxed);
                    (lost, suppressed) = (0, 0);
                }
                // Nobody listens any more: nobody to report to.
                Err(e) if e == ESRCH => (lost, suppressed) = (0, 0),
                // A listener's buffer was full (it sees ENOBUFS), or no
                // memory: these records are lost; the counts carried stay
                // pending for the next message, sent on the next pass (the
                // listener needs time to read).
                Err(_) => {
                    self.stats[uapi::DSTAT_LOST_SEND].fetch_add(records, Relaxed);
                    lost += records;
                    break;
                }
            }
        }
        // Counts not delivered are kept for the next pass.
        if lost > 0 || suppressed > 0 {
            let mut c = cpu.lock();
            c.lost += lost;
            c.suppressed += suppressed;
        }
    }
}

impl WorkHandler for DropMonitor {
    /// Process context: looks for new hook functions about once a second,
    /// then drains every CPU (a ring's worth at most, so a drop storm
    /// cannot hold the worker).
    fn run(&self) -> u32 {
        let now = context::mono_ns();
        if now.wrapping_sub(self.last_rescan.load(Relaxed)) >= RESCAN_NS {
            self.last_rescan.store(now, Relaxed);
            self.hooks.rescan();
        }
        for cpu in &self.cpus {
            self.drain(cpu);
        }
        if events_have_listeners() { DRAIN_MS } else { IDLE_MS }
    }
}
