// SPDX-License-Identifier: GPL-2.0

//! Drop and reset records: every skb freed as a drop (`skb:kfree_skb` with a
//! reason other than "consumed") and every TCP reset the kernel sends
//! (`tcp:tcp_send_reset`) becomes a record with its reason, location, stack,
//! namespace, device and 5-tuple. Records go into a bounded ring per CPU
//! (full ring: the record is counted as lost, never blocks) and a work item
//! drains them as generic netlink events to init_net listeners of the
//! "events" group. Every record queued is either delivered or counted as
//! lost in the next message that is delivered (`NFSCOPE_A_LOST`).
//!
//! Whatever the filters say, every drop and reset is counted in a per-CPU
//! summary keyed by (netns, reason, location, hook); records are only made
//! while someone listens, for what passes the filters, sampling and rate
//! limit (see `dropcfg.rs`).

use crate::attribution::{Attribution, HookTracker};
use crate::dropcfg::{Config, ConfigCell, Subject};
use crate::headers::{ip_headers, transport, IpHeaders, IPPROTO_TCP};
use crate::uapi;
use crate::wrap::genetlink::{events_have_listeners, Event, Message};
use crate::wrap::lock_irq::SpinLockIrq;
use crate::wrap::nfhooks::{self, HookDesc, OPS_NFTABLES};
use crate::wrap::skb::Skb;
use crate::wrap::sock::SockTuple;
use crate::wrap::tracepoint::{DropHook, RstHook, SkbPlace};
use crate::wrap::work::WorkHandler;
use crate::wrap::{context, symbols};
use kernel::prelude::*;
use kernel::static_lock_class;
use kernel::sync::atomic::{Atomic, Relaxed};

/// Frames kept per record.
pub(crate) const STACK_DEPTH: usize = 16;
/// Records buffered per CPU between drains.
const RING_SIZE: usize = 1024;
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

/// What a record is about.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    /// A dropped packet; `reason` is an `enum skb_drop_reason`.
    #[default]
    Drop,
    /// A TCP reset the kernel sent; `reason` is an `enum sk_rst_reason`.
    Rst,
}

/// The hook a drop is attributed to, as recorded.
#[derive(Clone, Copy)]
pub(crate) struct HookRecord {
    func: usize,
    pf: u8,
    hooknum: u8,
    how: u8,
    ct: u8,
    /// `None` if the registration was gone by the time of the drop.
    desc: Option<HookDesc>,
}

impl HookRecord {
    fn new(a: &Attribution) -> Self {
        // SAFETY: called from the `kfree_skb` probe while the attributed
        // call (or `nf_hook_slow` right after it) still runs.
        let desc = unsafe { nfhooks::describe(&a.call) };
        Self { func: a.call.func, pf: a.call.pf, hooknum: a.call.hooknum, how: a.how as u8, ct: a.ct, desc }
    }
}

/// One dropped packet or sent reset.
#[derive(Clone, Copy, Default)]
pub(crate) struct DropRecord {
    kind: Kind,
    tcp_state: Option<u8>,
    time_ns: u64,
    cpu: u32,
    pid: u32,
    comm: [u8; 16],
    netns: u32,
    ifindex: u32,
    l3proto: u16,
    ip: Option<IpHeaders>,
    /// (sport, dport, TCP flags)
    ports: Option<(u16, u16, u8)>,
    len: u32,
    reason: u32,
    location: u64,
    hook: Option<HookRecord>,
    stack: [u64; STACK_DEPTH],
    depth: usize,
}

/// What the drop probe learns before deciding whether to make a record.
struct Seen {
    netns: u32,
    ip: Option<IpHeaders>,
    ports: Option<(u16, u16, u8)>,
}

impl Seen {
    fn of_skb(skb: &Skb, place: SkbPlace) -> Self {
        let ip = ip_headers(skb);
        let ports = ip.as_ref().and_then(|ip| transport(skb, ip, false)).map(|t| (t.sport, t.dport, t.tcp_flags));
        Self { netns: place.netns, ip, ports }
    }

    fn subject(&self, rst: bool, reason: u32, hooknum: Option<u8>) -> Subject<'_> {
        Subject {
            rst,
            netns: self.netns,
            l4proto: self.ip.as_ref().map(|ip| ip.proto),
            addrs: self.ip.as_ref().map(|ip| (ip.family as u8, &ip.saddr, &ip.daddr)),
            ports: self.ports.map(|(s, d, _)| (s, d)),
            reason,
            hooknum,
        }
    }
}

impl DropRecord {
    /// Everything the record needs from the freed skb. Any context.
    fn capture(skb: &Skb, place: SkbPlace, seen: &Seen, location: usize, reason: u32, hook: Option<HookRecord>, depth: usize) -> Self {
        let mut r = DropRecord {
            time_ns: context::real_time_ns(),
            cpu: context::cpu(),
            pid: context::pid(),
            comm: context::comm(),
            netns: seen.netns,
            ifindex: place.ifindex,
            l3proto: skb.protocol(),
            ip: seen.ip,
            ports: seen.ports,
            len: skb.len(),
            reason,
            location: location as u64,
            hook,
            ..Default::default()
        };
        // The stack from the probe down: keep it from the frame that returns
        // into `location` (the freeing call site), dropping our own frames.
        let location = r.location;
        r.save_stack(depth, |frames| frames.iter().position(|&a| a == location).unwrap_or(0));
        r
    }

    /// A reset sent for `sock` (if known) in answer to `skb` (if any). Any context.
    fn capture_rst(sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32, depth: usize) -> Self {
        let mut r = DropRecord {
            kind: Kind::Rst,
            tcp_state: sock.map(|s| s.state),
            time_ns: context::real_time_ns(),
            cpu: context::cpu(),
            pid: context::pid(),
            comm: context::comm(),
            reason,
            ..Default::default()
        };
        // The RST goes back to whoever sent `skb`: reverse its 4-tuple.
        let from_skb = skb.and_then(|skb| {
            let ip = ip_headers(skb)?;
            let t = transport(skb, &ip, false)?;
            Some((skb, ip, t))
        });
        if let Some((skb, ip, t)) = from_skb {
            r.netns = skb.netns_inode();
            r.ifindex = skb.ifindex();
            r.l3proto = skb.protocol();
            r.len = skb.len();
            r.ip = Some(IpHeaders { saddr: ip.daddr, daddr: ip.saddr, ..ip });
            // The flags of the triggering packet are not the reset's: none.
            r.ports = Some((t.dport, t.sport, 0));
        } else if let Some(s) = sock {
            r.netns = s.netns_inode;
            r.ip = Some(IpHeaders {
                family: s.family,
                saddr: s.local_addr,
                daddr: s.peer_addr,
                proto: IPPROTO_TCP,
                l4_offset: None,
            });
            r.ports = Some((s.local_port, s.peer_port, 0));
        }
        // Our probe's frames come first: start at the first kernel frame
        // outside this module. Tracing glue that may follow is skipped by
        // name when the record is sent (see `rst_frames`).
        r.save_stack(depth, |frames| frames.iter().position(|&a| !symbols::in_this_module(a)).unwrap_or(0));
        r
    }

    /// Saves the kernel stack, keeping up to `depth` frames from the index
    /// `start` picks.
    fn save_stack(&mut self, depth: usize, start: impl FnOnce(&[u64]) -> usize) {
        let mut raw = [0u64; STACK_DEPTH + 8];
        let n = context::stack_save(&mut raw);
        let frames = &raw[..n];
        let frames = &frames[start(frames).min(n)..];
        for (dst, src) in self.stack.iter_mut().zip(frames) {
            *dst = *src;
        }
        self.depth = frames.len().min(depth.min(STACK_DEPTH));
    }

    fn seen(&self) -> Seen {
        Seen { netns: self.netns, ip: self.ip, ports: self.ports }
    }
}

/// A reset's frames without the tracepoint's glue (`__do_trace_*`,
/// `__traceiter_*`, out of line in 7.x): the first is its location.
fn rst_frames(frames: &[u64]) -> &[u64] {
    let mut buf = [0u8; 128];
    let mut frames = frames;
    while let Some((&first, rest)) = frames.split_first() {
        let name = symbols::symbol_name(first, &mut buf);
        if !(name.starts_with(b"__do_trace_") || name.starts_with(b"__traceiter_")) {
            break;
        }
        frames = rest;
    }
    frames
}

/// What a summary line counts.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct SumKey {
    netns: u32,
    rst: bool,
    reason: u32,
    /// Drops: the location. Resets: the first frames outside this module
    /// (the glue is skipped when shown).
    loc: [u64; 3],
    /// The attributed hook call's function and `priv` (0 if none).
    func: usize,
    priv_: usize,
    pf: u8,
    hooknum: u8,
    how: u8,
    ct: u8,
}

impl SumKey {
    fn hash(&self) -> usize {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let words = [
            u64::from(self.netns) | u64::from(self.reason) << 32,
            self.loc[0],
            self.loc[1] ^ self.loc[2].rotate_left(17),
            self.func as u64,
            self.priv_ as u64 ^ u64::from(self.pf) << 56 ^ u64::from(self.hooknum) << 48 ^ u64::from(self.ct) << 40,
        ];
        for w in words {
            h = (h ^ w).wrapping_mul(0x0100_0000_01b3);
        }
        (h ^ (h >> 29)) as usize
    }
}

/// One summary line.
#[derive(Clone, Copy)]
pub(crate) struct SumEntry {
    key: SumKey,
    count: u64,
    desc: Option<HookDesc>,
}

struct Summary {
    slots: KVec<Option<SumEntry>>,
    used: usize,
}

impl Summary {
    /// Counts one for `key`; `desc` describes its hook when the line is new.
    /// Returns false when the table is full.
    fn add(&mut self, key: &SumKey, desc: impl FnOnce() -> Option<HookDesc>) -> bool {
        let n = self.slots.len();
        let mut i = key.hash() % n;
        loop {
            match &mut self.slots[i] {
                Some(e) if e.key == *key => {
                    e.count += 1;
                    return true;
                }
                Some(_) => i = (i + 1) % n,
                slot @ None => {
                    if self.used * 4 >= n * 3 {
                        return false;
                    }
                    *slot = Some(SumEntry { key: *key, count: 1, desc: desc() });
                    self.used += 1;
                    return true;
                }
            }
        }
    }
}

struct Ring {
    slots: KVec<DropRecord>,
    head: usize,
    len: usize,
}

impl Ring {
    fn push(&mut self, r: DropRecord) -> bool {
        if self.len == self.slots.len() {
            return false;
        }
        let i = (self.head + self.len) % self.slots.len();
        self.slots[i] = r;
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<DropRecord> {
        if self.len == 0 {
            return None;
        }
        let r = self.slots[self.head];
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        Some(r)
    }
}

/// One CPU's records, loss and sampling state, and summary.
struct CpuState {
    ring: Ring,
    /// Records lost since the last delivered message from this CPU.
    lost: u64,
    /// Records sampled out or rate-limited since then.
    suppressed: u64,
    sample_count: u32,
    /// The second the rate limit counts in, and records made in it.
    rate_second: u64,
    rate_count: u32,
    summary: Summary,
}

impl CpuState {
    /// Whether sampling and the rate limit let a record through.
    fn admit(&mut self, config: &Config) -> bool {
        self.sample_count = self.sample_count.wrapping_add(1);
        if config.sample > 1 && self.sample_count % config.sample != 0 {
            self.suppressed += 1;
            return false;
        }
        if config.rate > 0 {
            let second = context::mono_ns() / 1_000_000_000;
            if second != self.rate_second {
                self.rate_second = second;
                self.rate_count = 0;
            }
            if self.rate_count >= config.rate {
                self.suppressed += 1;
                return false;
            }
            self.rate_count += 1;
        }
        true
    }
}

/// The drop monitor: the hook tracker, one state per CPU, configuration
/// and counters.
pub(crate) struct DropMonitor {
    pub(crate) hooks: HookTracker,
    cpus: KVec<Pin<KBox<SpinLockIrq<CpuState>>>>,
    pub(crate) config: ConfigCell,
    stats: [Atomic<u64>; uapi::DSTAT_COUNT],
    last_rescan: Atomic<u64>,
}

/// The monitor, for netlink requests and proc files (set once in `init`).
static MONITOR: Atomic<usize> = Atomic::new(0);

/// Whether the TOA probe is on (the module-wide probe set; on until the
/// monitor exists).
pub(crate) fn toa_probe_on() -> bool {
    monitor().is_none_or(|m| m.config.load().probe_on(uapi::PROBE_TOA))
}

/// The drop monitor, once the module created it.
pub(crate) fn monitor() -> Option<&'static DropMonitor> {
    let ptr = MONITOR.load(kernel::sync::atomic::Acquire) as *const DropMonitor;
    // SAFETY: `publish` stored the address of the pinned monitor, which the
    // module drops last, after the netlink family, the per-namespace proc
    // files and all probes (the only callers) are gone.
    (!ptr.is_null()).then(|| unsafe { &*ptr })
}

impl DropMonitor {
    pub(crate) fn new() -> Result<Self> {
        let config = Config::default();
        let cpus_n = context::nr_cpu_ids() as usize;
        let mut cpus = KVec::with_capacity(cpus_n, GFP_KERNEL)?;
        for _ in 0..cpus_n {
            let mut slots = KVec::with_capacity(RING_SIZE, GFP_KERNEL)?;
            for _ in 0..RING_SIZE {
                slots.push(DropRecord::default(), GFP_KERNEL)?;
            }
            let mut sum = KVec::with_capacity(SUM_SLOTS, GFP_KERNEL)?;
            for _ in 0..SUM_SLOTS {
                sum.push(None, GFP_KERNEL)?;
            }
            let state = CpuState {
                ring: Ring { slots, head: 0, len: 0 },
                lost: 0,
                suppressed: 0,
                sample_count: 0,
                rate_second: 0,
                rate_count: 0,
                summary: Summary { slots: sum, used: 0 },
            };
            cpus.push(KBox::pin_init(SpinLockIrq::new(state, c"nfscope_drops", static_lock_class!()), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            hooks: HookTracker::new(config.probe_on(uapi::PROBE_HOOKS))?,
            cpus,
            config: ConfigCell::new(config),
            stats: [const { Atomic::new(0) }; uapi::DSTAT_COUNT],
            last_rescan: Atomic::new(0),
        })
    }

    /// Makes `self` what [`monitor`] returns.
    ///
    /// # Safety
    ///
    /// `self` must be pinned and outlive every caller of [`monitor`].
    pub(crate) unsafe fn publish(&self) {
        MONITOR.store(core::ptr::from_ref(self) as usize, kernel::sync::atomic::Release);
    }

    fn count(&self, stat: usize) {
        self.stats[stat].add(1, Relaxed);
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

    /// Applies a new configuration; hook probes follow at once. Process context.
    pub(crate) fn configure(&self, config: Config) {
        self.config.store(config);
        self.hooks.set_enabled(config.probe_on(uapi::PROBE_HOOKS));
        self.hooks.rescan();
    }

    /// The summary lines of all CPUs merged (of namespace `netns` only,
    /// unless 0), most frequent first. Process context.
    pub(crate) fn summary(&self, netns: u32) -> Result<KVec<SumEntry>> {
        let mut out: KVec<SumEntry> = KVec::new();
        for cpu in &self.cpus {
            let mut lines = KVec::new();
            {
                let c = cpu.lock();
                lines.reserve(c.summary.used, GFP_ATOMIC)?;
                for e in c.summary.slots.iter().flatten() {
                    if netns == 0 || e.key.netns == netns {
                        lines.push(*e, GFP_ATOMIC)?;
                    }
                }
            }
            for e in lines {
                match out.iter_mut().find(|o| o.key == e.key) {
                    Some(o) => o.count += e.count,
                    None => out.push(e, GFP_KERNEL)?,
                }
            }
        }
        out.sort_unstable_by_key(|e| core::cmp::Reverse(e.count));
        Ok(out)
    }

    /// Sends one message: a record (if any) and the loss and suppression
    /// counts it carries. Process context.
    fn send(r: Option<&DropRecord>, lost: u64, suppressed: u64) -> Result {
        let mut ev = Event::new()?;
        if lost > 0 {
            ev.put_u64(uapi::A_LOST, lost, uapi::A_PAD)?;
        }
        if suppressed > 0 {
            ev.put_u64(uapi::A_SUPPRESSED, suppressed, uapi::A_PAD)?;
        }
        if let Some(r) = r {
            put_record(&mut ev, r)?;
        }
        ev.send()
    }

    /// Queues `record` on this CPU, or counts it lost. Any context.
    fn push(&self, cpu: &SpinLockIrq<CpuState>, record: DropRecord) {
        let mut c = cpu.lock();
        if c.ring.push(record) {
            drop(c);
            self.count(uapi::DSTAT_QUEUED);
        } else {
            c.lost += 1;
            drop(c);
            self.count(uapi::DSTAT_LOST_RING);
        }
    }

    /// Filters, sampling and rate limit: whether to make a record for
    /// `subject`. Any context.
    fn wants_record(&self, cpu: &SpinLockIrq<CpuState>, config: &Config, subject: &Subject<'_>) -> bool {
        if !config.records || !events_have_listeners() {
            return false;
        }
        if !config.matches(subject) {
            self.count(uapi::DSTAT_FILTERED);
            return false;
        }
        let mut c = cpu.lock();
        if !c.admit(config) {
            drop(c);
            self.count(uapi::DSTAT_SUPPRESSED);
            return false;
        }
        // A full buffer loses the record: skip the work of making it.
        if c.ring.len == c.ring.slots.len() {
            c.lost += 1;
            drop(c);
            self.count(uapi::DSTAT_LOST_RING);
            return false;
        }
        true
    }

    fn summarize(&self, cpu: &SpinLockIrq<CpuState>, key: &SumKey, desc: impl FnOnce() -> Option<HookDesc>) {
        if !cpu.lock().summary.add(key, desc) {
            self.count(uapi::DSTAT_SUMMARY_FULL);
        }
    }
}

pub(crate) fn put_hook(m: &mut Message, kind: u32, h: &HookRecord) -> Result {
    let mut buf = [0u8; 128];
    let nest = m.nest_start(kind)?;
    m.put_bytes_str(uapi::HOOK_A_FUNC, symbols::symbol_name(h.func as u64, &mut buf))?;
    m.put_u8(uapi::HOOK_A_PF, h.pf)?;
    m.put_u8(uapi::HOOK_A_HOOKNUM, h.hooknum)?;
    if h.how != 0 {
        m.put_u8(uapi::HOOK_A_HOW, h.how)?;
    }
    if h.ct != 0 {
        m.put_u8(uapi::HOOK_A_CT_DROP, h.ct)?;
    }
    if let Some(d) = &h.desc {
        m.put_s32(uapi::HOOK_A_PRIORITY, d.priority)?;
        if d.ops_type == OPS_NFTABLES {
            m.put_bytes_str(uapi::HOOK_A_TABLE, d.table())?;
            m.put_bytes_str(uapi::HOOK_A_CHAIN, d.chain())?;
            m.put_u8(uapi::HOOK_A_TABLE_FAMILY, d.table_family)?;
        }
    }
    m.nest_end(nest);
    Ok(())
}

fn put_record(ev: &mut Event, r: &DropRecord) -> Result {
    let nest = ev.nest_start(if r.kind == Kind::Rst { uapi::A_RST } else { uapi::A_DROP })?;
    ev.put_u64(uapi::DROP_A_TIME_NS, r.time_ns, uapi::DROP_A_PAD)?;
    ev.put_u32(uapi::DROP_A_CPU, r.cpu)?;
    ev.put_u32(uapi::DROP_A_PID, r.pid)?;
    let comm_len = r.comm.iter().position(|&b| b == 0).unwrap_or(r.comm.len());
    ev.put_bytes_str(uapi::DROP_A_COMM, &r.comm[..comm_len])?;
    ev.put_u32(uapi::DROP_A_NETNS, r.netns)?;
    ev.put_u32(uapi::DROP_A_IFINDEX, r.ifindex)?;
    ev.put_u16(uapi::DROP_A_L3PROTO, r.l3proto)?;
    if let Some(ip) = &r.ip {
        ev.put_u8(uapi::DROP_A_L4PROTO, ip.proto)?;
        ev.put_bytes(uapi::DROP_A_SADDR, &ip.saddr[..ip.addr_len()])?;
        ev.put_bytes(uapi::DROP_A_DADDR, &ip.daddr[..ip.addr_len()])?;
        if let Some((sport, dport, flags)) = r.ports {
            ev.put_u16(uapi::DROP_A_SPORT, sport)?;
            ev.put_u16(uapi::DROP_A_DPORT, dport)?;
            if ip.proto == IPPROTO_TCP && r.kind == Kind::Drop {
                ev.put_u8(uapi::DROP_A_TCP_FLAGS, flags)?;
            }
        }
    }
    ev.put_u32(uapi::DROP_A_LEN, r.len)?;
    ev.put_u32(uapi::DROP_A_REASON, r.reason)?;
    if let Some(state) = r.tcp_state {
        ev.put_u8(uapi::DROP_A_TCP_STATE, state)?;
    }
    let mut buf = [0u8; 128];
    let name = match r.kind {
        Kind::Drop => symbols::drop_reason_name(r.reason, &mut buf),
        Kind::Rst => symbols::rst_reason_name(r.reason, &mut buf),
    };
    ev.put_bytes_str(uapi::DROP_A_REASON_NAME, name)?;
    let mut frames = &r.stack[..r.depth];
    let mut location = r.location;
    if r.kind == Kind::Rst {
        frames = rst_frames(frames);
        location = frames.first().copied().unwrap_or(0);
    }
    ev.put_bytes_str(uapi::DROP_A_LOCATION, symbols::symbol(location, &mut buf))?;
    if let Some(h) = &r.hook {
        put_hook(ev, uapi::DROP_A_HOOK, h)?;
    }
    let stack = ev.nest_start(uapi::DROP_A_STACK)?;
    for &frame in frames {
        ev.put_bytes_str(uapi::DROP_A_FRAME, symbols::symbol(frame, &mut buf))?;
    }
    ev.nest_end(stack);
    ev.nest_end(nest);
    Ok(())
}

/// A summary line as netlink and procfs show it.
pub(crate) struct SumView<'a> {
    pub(crate) netns: u32,
    pub(crate) rst: bool,
    pub(crate) reason: u32,
    pub(crate) count: u64,
    pub(crate) location: u64,
    entry: &'a SumEntry,
}

impl SumEntry {
    pub(crate) fn view(&self) -> SumView<'_> {
        let k = &self.key;
        let location = if k.rst { rst_frames(&k.loc).first().copied().unwrap_or(0) } else { k.loc[0] };
        SumView { netns: k.netns, rst: k.rst, reason: k.reason, count: self.count, location, entry: self }
    }
}

impl SumView<'_> {
    /// The attributed hook, if any.
    fn hook(&self) -> Option<HookRecord> {
        let k = &self.entry.key;
        (k.func != 0).then_some(HookRecord { func: k.func, pf: k.pf, hooknum: k.hooknum, how: k.how, ct: k.ct, desc: self.entry.desc })
    }

    pub(crate) fn put(&self, m: &mut Message) -> Result {
        let mut buf = [0u8; 128];
        let nest = m.nest_start(uapi::A_DROP_SUM)?;
        m.put_u32(uapi::SUM_A_NETNS, self.netns)?;
        m.put_u8(uapi::SUM_A_KIND, u8::from(self.rst))?;
        m.put_u32(uapi::SUM_A_REASON, self.reason)?;
        let name = if self.rst { symbols::rst_reason_name(self.reason, &mut buf) } else { symbols::drop_reason_name(self.reason, &mut buf) };
        m.put_bytes_str(uapi::SUM_A_REASON_NAME, name)?;
        m.put_bytes_str(uapi::SUM_A_LOCATION, symbols::symbol(self.location, &mut buf))?;
        if let Some(h) = self.hook() {
            put_hook(m, uapi::SUM_A_HOOK, &h)?;
        }
        m.put_u64(uapi::SUM_A_COUNT, self.count, uapi::SUM_A_PAD)?;
        m.nest_end(nest);
        Ok(())
    }

    /// `reason location [hook]` for procfs, into `out`.
    pub(crate) fn describe(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        let mut buf = [0u8; 128];
        let name = if self.rst { symbols::rst_reason_name(self.reason, &mut buf) } else { symbols::drop_reason_name(self.reason, &mut buf) };
        write!(out, "{}{} ", if self.rst { "RST:" } else { "" }, text(name))?;
        write!(out, "{}", text(symbols::symbol(self.location, &mut buf)))?;
        if let Some(h) = self.hook() {
            let func = symbols::symbol_name(h.func as u64, &mut buf);
            write!(out, " hook={}:{}:{}", crate::counters::family_name(h.pf), crate::counters::hook_name(u32::from(h.hooknum)), text(func))?;
            if let Some(d) = &h.desc {
                write!(out, "@{}", d.priority)?;
                if d.ops_type == OPS_NFTABLES {
                    write!(out, " nft={}/{}", text(d.table()), text(d.chain()))?;
                }
            }
            if h.ct != 0 {
                write!(out, " ct={}", ct_drop_name(h.ct))?;
            }
        }
        Ok(())
    }
}

/// Kernel symbol and reason names are ASCII.
fn text(b: &[u8]) -> &str {
    core::str::from_utf8(b).unwrap_or("?")
}

pub(crate) fn ct_drop_name(ct: u8) -> &'static str {
    match ct {
        uapi::CT_DROP_INSERT_FAILED_DYING => "insert_failed(dying)",
        uapi::CT_DROP_INSERT_FAILED_CLASH => "insert_failed(clash)",
        uapi::CT_DROP_CHAINTOOLONG => "insert_failed(chaintoolong)",
        _ => "confirm",
    }
}

impl DropHook for DropMonitor {
    /// Any context: counts the drop in this CPU's summary, and queues a
    /// record if listeners want one.
    fn on_kfree_skb(&self, skb: &Skb, place: SkbPlace, location: usize, reason: u32) {
        if reason == SKB_NOT_DROPPED_YET || reason == SKB_CONSUMED {
            return;
        }
        let config = self.config.load();
        if !config.probe_on(uapi::PROBE_DROP) {
            return;
        }
        let Some(cpu) = self.cpus.get(context::cpu() as usize) else { return };
        self.count(uapi::DSTAT_DROPS);
        let attribution = if config.probe_on(uapi::PROBE_HOOKS) { self.hooks.attribute(skb.addr(), reason) } else { None };
        if attribution.is_some() {
            self.count(uapi::DSTAT_ATTRIBUTED);
        }
        let key = SumKey {
            netns: place.netns,
            reason,
            loc: [location as u64, 0, 0],
            func: attribution.map_or(0, |a| a.call.func),
            priv_: attribution.map_or(0, |a| a.call.priv_),
            pf: attribution.map_or(0, |a| a.call.pf),
            hooknum: attribution.map_or(0, |a| a.call.hooknum),
            how: attribution.map_or(0, |a| a.how as u8),
            ct: attribution.map_or(0, |a| a.ct),
            ..Default::default()
        };
        // The registration is looked up only for a new summary line, and
        // for a record once the filters let it through.
        self.summarize(cpu, &key, || attribution.and_then(|a| HookRecord::new(&a).desc));
        if !config.records || !events_have_listeners() {
            return;
        }
        let seen = Seen::of_skb(skb, place);
        if !self.wants_record(cpu, &config, &seen.subject(false, reason, attribution.map(|a| a.call.hooknum))) {
            return;
        }
        let hook = attribution.as_ref().map(HookRecord::new);
        let record = DropRecord::capture(skb, place, &seen, location, reason, hook, config.depth as usize);
        self.push(cpu, record);
    }
}

impl RstHook for DropMonitor {
    /// Any context, like `on_kfree_skb`.
    fn on_tcp_send_reset(&self, sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32) {
        let config = self.config.load();
        if !config.probe_on(uapi::PROBE_RST) {
            return;
        }
        let Some(cpu) = self.cpus.get(context::cpu() as usize) else { return };
        self.count(uapi::DSTAT_RSTS);
        let record = DropRecord::capture_rst(sock, skb, reason, STACK_DEPTH);
        let mut loc = [0u64; 3];
        for (dst, src) in loc.iter_mut().zip(&record.stack[..record.depth]) {
            *dst = *src;
        }
        let key = SumKey { netns: record.netns, rst: true, reason, loc, ..Default::default() };
        self.summarize(cpu, &key, || None);
        if !config.records || !events_have_listeners() {
            return;
        }
        let seen = record.seen();
        if !self.wants_record(cpu, &config, &seen.subject(true, reason, None)) {
            return;
        }
        let mut record = record;
        record.depth = record.depth.min(config.depth as usize);
        self.push(cpu, record);
    }
}

impl WorkHandler for DropMonitor {
    /// Process context: looks for new hook functions about once a second,
    /// then moves up to a ring's worth of records from every CPU into
    /// events (bounded, so a drop storm cannot hold the worker).
    fn run(&self) -> u32 {
        let now = context::mono_ns();
        if now.wrapping_sub(self.last_rescan.load(Relaxed)) >= RESCAN_NS {
            self.last_rescan.store(now, Relaxed);
            self.hooks.rescan();
        }
        for cpu in &self.cpus {
            let (mut lost, mut suppressed) = {
                let mut c = cpu.lock();
                (core::mem::take(&mut c.lost), core::mem::take(&mut c.suppressed))
            };
            for _ in 0..RING_SIZE {
                let record = cpu.lock().ring.pop();
                if record.is_none() && lost == 0 && suppressed == 0 {
                    break;
                }
                match Self::send(record.as_ref(), lost, suppressed) {
                    Ok(()) => {
                        self.count(uapi::DSTAT_SENT);
                        (lost, suppressed) = (0, 0);
                    }
                    // Nobody listens any more: nobody to report to.
                    Err(e) if e == ESRCH => (lost, suppressed) = (0, 0),
                    // A listener's buffer was full (it sees ENOBUFS), or no
                    // memory: this record is lost; the counts carried stay
                    // pending for the next message.
                    Err(_) => {
                        self.count(uapi::DSTAT_LOST_SEND);
                        lost += u64::from(record.is_some());
                    }
                }
                if record.is_none() {
                    break;
                }
            }
            if lost > 0 || suppressed > 0 {
                let mut c = cpu.lock();
                c.lost += lost;
                c.suppressed += suppressed;
            }
        }
        if events_have_listeners() { DRAIN_MS } else { IDLE_MS }
    }
}
