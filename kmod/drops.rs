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
//! limit (see `dropcfg.rs`).

use crate::attribution::{Attribution, HookTracker};
use crate::dropcfg::{Config, ConfigCell, Subject, Switches};
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
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::static_lock_class;
use kernel::sync::atomic::{Atomic, Relaxed};

/// Frames kept per record.
pub(crate) const STACK_DEPTH: usize = 16;
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
    fn new(a: &Attribution, desc: Option<HookDesc>) -> Self {
        Self { func: a.call.func, pf: a.call.pf, hooknum: a.call.hooknum, how: a.how as u8, ct: a.ct, desc }
    }
}

/// The registration of the attributed call. Called from the `kfree_skb`
/// probe, while the call (or `nf_hook_slow` right after it) still runs.
fn describe(a: &Attribution) -> Option<HookDesc> {
    // SAFETY: the call still runs (above), so its netns is live.
    unsafe { nfhooks::describe(&a.call) }
}

/// The first bytes of a dropped packet, from its network header.
type PacketBuf = [u8; uapi::SNAPLEN_MAX];

/// Copies up to `snaplen` bytes of `skb` from its network header into
/// `buf`; returns how many (0 if the copy fails). Any context: a bounded
/// copy.
fn copy_packet(skb: &Skb, snaplen: u16, buf: &mut PacketBuf) -> u16 {
    let offset = skb.network_offset();
    let available = i64::from(skb.len()) - i64::from(offset);
    let n = (snaplen as usize).min(buf.len()).min(available.max(0) as usize);
    if n > 0 && skb.copy_bytes(offset, &mut buf[..n]).is_ok() {
        n as u16
    } else {
        0
    }
}

/// What the drop probe learns before deciding whether to make a record.
struct Seen {
    netns: u32,
    ip: Option<IpHeaders>,
    /// (sport, dport, TCP flags)
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

/// Records are made in the form listeners get them (`struct
/// nfscope_record`), in place in their ring slot for drops: the drain
/// copies them into messages as they are.
///
/// When and where the record is made, and the reason's name.
fn put_stamp(w: &mut uapi::Record, kind: u8, reason: u32) {
    w.kind = kind;
    w.reason = reason;
    w.time_ns = context::real_time_ns();
    w.cpu = context::cpu();
    w.pid = context::pid();
    w.comm = context::comm();
    // Named in place (cut to the field, NUL-terminated).
    if kind == uapi::RECORD_RST {
        symbols::rst_reason_name(reason, &mut w.reason_name);
    } else {
        symbols::drop_reason_name(reason, &mut w.reason_name);
    }
}

/// The addresses and ports of what `seen` saw (TCP flags for drops only:
/// a reset's ports are the triggering packet's, its flags are not).
fn put_addrs(w: &mut uapi::Record, seen: &Seen) {
    let Some(ip) = &seen.ip else { return };
    w.addr_len = ip.addr_len() as u8;
    w.l4proto = ip.proto;
    w.saddr = ip.saddr;
    w.daddr = ip.daddr;
    if let Some((sport, dport, flags)) = seen.ports {
        (w.sport, w.dport) = (sport, dport);
        w.flags |= uapi::REC_PORTS;
        if ip.proto == IPPROTO_TCP && w.kind == uapi::RECORD_DROP {
            w.tcp_flags = flags;
            w.flags |= uapi::REC_TCP_FLAGS;
        }
    }
}

/// The attributed hook call and its registration.
fn put_hook_call(w: &mut uapi::Record, h: &HookRecord) {
    w.flags |= uapi::REC_HOOK;
    w.hook_func = h.func as u64;
    (w.hook_pf, w.hook_hooknum, w.hook_how, w.hook_ct) = (h.pf, h.hooknum, h.how, h.ct);
    if let Some(d) = &h.desc {
        w.flags |= uapi::REC_HOOK_REG;
        w.hook_priority = d.priority;
        if d.ops_type == OPS_NFTABLES {
            w.flags |= uapi::REC_HOOK_NFT;
            w.hook_table_family = d.table_family;
            put_name(&mut w.hook_table, d.table());
            put_name(&mut w.hook_chain, d.chain());
        }
    }
}

/// Everything a drop's record needs from the freed skb, written into `w`
/// (zeroed: a ring slot). Any context.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn put_drop(w: &mut uapi::Record, skb: &Skb, place: SkbPlace, seen: &Seen, location: usize, reason: u32, hook: Option<&HookRecord>, depth: usize) {
    put_stamp(w, uapi::RECORD_DROP, reason);
    w.netns = seen.netns;
    w.ifindex = place.ifindex;
    w.l3proto = skb.protocol();
    w.len = skb.len();
    w.location = location as u64;
    put_addrs(w, seen);
    if let Some(h) = hook {
        put_hook_call(w, h);
    }
    save_drop_stack(w, depth);
}

/// The stack from the probe down, from the frame that returns into
/// `w.location` (the freeing call site), without our own frames. The
/// walk costs per frame: it stops after the frames kept, skipping as
/// many as last time, and walks the whole stack only when that does
/// not start at the site (the first drop, or another way to it). Both
/// walks start in the same frame (this function, with `on_kfree_skb`, is
/// inlined into the tracepoint probe), so they count the same frames.
#[inline(always)]
fn save_drop_stack(w: &mut uapi::Record, depth: usize) {
    let depth = depth.min(STACK_DEPTH);
    let skip = DROP_STACK_SKIP.load(Relaxed);
    if skip > 0 {
        let n = context::stack_save(&mut w.stack[..depth], skip);
        if n > 0 && w.stack[0] == w.location {
            w.depth = n as u8;
            return;
        }
        // Frames past those the whole walk keeps stay zero.
        w.stack = [0; STACK_DEPTH];
    }
    let mut raw = [0u64; STACK_DEPTH + 8];
    let n = context::stack_save(&mut raw, 0);
    let start = raw[..n].iter().position(|&a| a == w.location);
    if let Some(i) = start {
        DROP_STACK_SKIP.store(i as u32, Relaxed);
    }
    let frames = &raw[start.unwrap_or(0)..n];
    let kept = frames.len().min(depth);
    w.stack[..kept].copy_from_slice(&frames[..kept]);
    w.depth = kept as u8;
}

/// The record of a reset sent for `sock` (if known) in answer to `skb`
/// (if any), with its whole stack, and what the filters look at. Any
/// context.
fn rst_record(sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32) -> (uapi::Record, Seen) {
    let mut w = uapi::Record::default();
    put_stamp(&mut w, uapi::RECORD_RST, reason);
    let mut seen = Seen { netns: 0, ip: None, ports: None };
    // The RST goes back to whoever sent `skb`: reverse its 4-tuple.
    let from_skb = skb.and_then(|skb| {
        let ip = ip_headers(skb)?;
        let t = transport(skb, &ip, false)?;
        Some((skb, ip, t))
    });
    if let Some((skb, ip, t)) = from_skb {
        w.ifindex = skb.ifindex();
        w.l3proto = skb.protocol();
        w.len = skb.len();
        seen = Seen { netns: skb.netns_inode(), ip: Some(IpHeaders { saddr: ip.daddr, daddr: ip.saddr, ..ip }), ports: Some((t.dport, t.sport, 0)) };
    } else if let Some(s) = sock {
        let ip = IpHeaders { family: s.family, saddr: s.local_addr, daddr: s.peer_addr, proto: IPPROTO_TCP, l4_offset: None };
        seen = Seen { netns: s.netns_inode, ip: Some(ip), ports: Some((s.local_port, s.peer_port, 0)) };
    }
    w.netns = seen.netns;
    put_addrs(&mut w, &seen);
    if let Some(state) = sock.map(|s| s.state) {
        w.tcp_state = state;
        w.flags |= uapi::REC_TCP_STATE;
    }
    // Our probe's frames come first, then the tracepoint's glue: start
    // at the first kernel frame past both. It is the record's location.
    let mut raw = [0u64; STACK_DEPTH + 8];
    let n = context::stack_save(&mut raw, 0);
    let outside = raw[..n].iter().position(|&a| !symbols::in_this_module(a)).unwrap_or(0);
    let frames = rst_frames(&raw[outside..n]);
    let kept = frames.len().min(STACK_DEPTH);
    w.stack[..kept].copy_from_slice(&frames[..kept]);
    w.depth = kept as u8;
    w.location = frames.first().copied().unwrap_or(0);
    (w, seen)
}

/// Frames [`save_drop_stack`] skips: its own and the
/// tracepoint's, found by the last whole walk (0: none yet).
static DROP_STACK_SKIP: Atomic<u32> = Atomic::new(0);

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
    /// `jiffies` when `desc` was looked up.
    described: u64,
}

struct Summary {
    slots: KVec<Option<SumEntry>>,
    used: usize,
}

impl Summary {
    /// Counts one for `key` at tick `now`, and returns its line; `None`
    /// when the table is full. `desc` looks up the line's hook registration
    /// when the line is new, and again when its lookup is more than `ttl`
    /// ticks old (a chain re-created shows within that time).
    fn add(&mut self, key: &SumKey, now: u64, ttl: u64, desc: impl FnOnce() -> Option<HookDesc>) -> Option<&SumEntry> {
        let mut desc = Some(desc);
        let n = self.slots.len();
        let mut i = key.hash() % n;
        loop {
            match &self.slots[i] {
                Some(e) if e.key == *key => break,
                Some(_) => i = (i + 1) % n,
                None if self.used * 4 >= n * 3 => return None,
                None => {
                    let d = desc.take().and_then(|f| f());
                    self.slots[i] = Some(SumEntry { key: *key, count: 0, desc: d, described: now });
                    self.used += 1;
                    break;
                }
            }
        }
        let e = self.slots[i].as_mut()?;
        e.count += 1;
        if key.func != 0 && now.wrapping_sub(e.described) > ttl {
            if let Some(f) = desc.take() {
                (e.desc, e.described) = (f(), now);
            }
        }
        Some(e)
    }
}

/// The first bytes of a dropped packet kept in a ring slot, and how many.
#[derive(Clone, Copy)]
struct Packet {
    len: u16,
    bytes: PacketBuf,
}

struct Ring {
    records: KVVec<uapi::Record>,
    /// The packet bytes of the record in the same slot; empty until a
    /// configuration first asks for packet bytes.
    packets: KVVec<Packet>,
    head: usize,
    len: usize,
}

impl Ring {
    fn is_full(&self) -> bool {
        self.len == self.records.len()
    }

    /// The free slot the next record is written into, zeroed, with its
    /// packet buffer when there are buffers; queued by [`Ring::commit`].
    /// `None` if full.
    fn slot(&mut self) -> Option<(&mut uapi::Record, Option<&mut Packet>)> {
        if self.is_full() {
            return None;
        }
        let i = (self.head + self.len) % self.records.len();
        let w = &mut self.records[i];
        *w = uapi::Record::default();
        let mut packet = self.packets.get_mut(i);
        if let Some(p) = packet.as_deref_mut() {
            p.len = 0;
        }
        Some((w, packet))
    }

    /// Queues the record written into [`Ring::slot`].
    fn commit(&mut self) {
        if !self.is_full() {
            self.len += 1;
        }
    }

    /// The oldest record and its packet bytes, left queued.
    fn oldest(&self) -> Option<(&uapi::Record, &[u8])> {
        if self.len == 0 {
            return None;
        }
        let packet = self.packets.get(self.head).map_or(&[][..], |p| &p.bytes[..p.len as usize]);
        Some((&self.records[self.head], packet))
    }

    /// Forgets the oldest record.
    fn pop(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % self.records.len();
            self.len -= 1;
        }
    }
}

/// What became of a drop or reset past the summary.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Nobody listens, or records are off.
    Unwanted,
    Filtered,
    /// Sampled out or over the rate limit.
    Suppressed,
    /// The ring was full.
    Lost,
    Queued,
}

impl Outcome {
    /// The `enum nfscope_drop_stat` counter it adds to.
    fn stat(self) -> Option<usize> {
        match self {
            Outcome::Unwanted => None,
            Outcome::Filtered => Some(uapi::DSTAT_FILTERED),
            Outcome::Suppressed => Some(uapi::DSTAT_SUPPRESSED),
            Outcome::Lost => Some(uapi::DSTAT_LOST_RING),
            Outcome::Queued => Some(uapi::DSTAT_QUEUED),
        }
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

    /// Sampling and the rate limit, then the ring slot for a record (see
    /// [`Ring::slot`]), unless the ring is full.
    fn slot(&mut self, config: &Config) -> Result<(&mut uapi::Record, Option<&mut Packet>), Outcome> {
        if !self.admit(config) {
            return Err(Outcome::Suppressed);
        }
        if self.ring.is_full() {
            self.lost += 1;
            return Err(Outcome::Lost);
        }
        self.ring.slot().ok_or(Outcome::Lost)
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
    monitor().is_none_or(|m| m.config.switches().probe_on(uapi::PROBE_TOA))
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
    /// A monitor buffering `ring_records` records per CPU.
    pub(crate) fn new(ring_records: usize) -> Result<Self> {
        let config = Config::default();
        let cpus_n = context::nr_cpu_ids() as usize;
        let mut cpus = KVec::with_capacity(cpus_n, GFP_KERNEL)?;
        for _ in 0..cpus_n {
            let mut records = KVVec::with_capacity(ring_records, GFP_KERNEL)?;
            for _ in 0..ring_records {
                records.push(uapi::Record::default(), GFP_KERNEL)?;
            }
            let mut sum = KVec::with_capacity(SUM_SLOTS, GFP_KERNEL)?;
            for _ in 0..SUM_SLOTS {
                sum.push(None, GFP_KERNEL)?;
            }
            let state = CpuState {
                ring: Ring { records, packets: KVVec::new(), head: 0, len: 0 },
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
                let slots = {
                    let c = cpu.lock();
                    if !c.ring.packets.is_empty() {
                        continue;
                    }
                    c.ring.records.len()
                };
                let mut packets = KVVec::with_capacity(slots, GFP_KERNEL)?;
                for _ in 0..slots {
                    packets.push(Packet { len: 0, bytes: [0; uapi::SNAPLEN_MAX] }, GFP_KERNEL)?;
                }
                let mut c = cpu.lock();
                if c.ring.packets.is_empty() {
                    // Records already queued carry no bytes (packet_len 0).
                    c.ring.packets = packets;
                }
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
                lines.reserve(c.summary.used, GFP_ATOMIC)?;
                for e in c.summary.slots.iter().flatten() {
                    if netns == 0 || e.key.netns == netns {
                        lines.push(*e, GFP_ATOMIC)?;
                    }
                }
            }
            for e in lines {
                match out.iter_mut().find(|o| o.key == e.key) {
                    Some(o) => {
                        o.count += e.count;
                        if e.described.wrapping_sub(o.described) as i64 > 0 {
                            (o.desc, o.described) = (e.desc, e.described);
                        }
                    }
                    None => out.push(e, GFP_KERNEL)?,
                }
            }
        }
        crate::sort::sort_by_key(&mut out, |e| core::cmp::Reverse(e.count));
        Ok(out)
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

/// Copies `src` into the zeroed fixed-size name field `dst` (cut to leave
/// a NUL at the end).
fn put_name(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len().saturating_sub(1));
    dst[..n].copy_from_slice(&src[..n]);
}

/// Bytes an attribute of `payload` bytes takes in a message (`nla_total_size`).
const fn attr_size(payload: usize) -> usize {
    (4 + payload + 3) & !3
}

/// Adds `r` and its packet bytes to `ev`; `EMSGSIZE` (nothing added) if
/// they do not fit.
fn put_record(ev: &mut Event, r: &uapi::Record, packet: &[u8]) -> Result {
    let need = attr_size(core::mem::size_of::<uapi::Record>()) + if packet.is_empty() { 0 } else { attr_size(packet.len()) };
    if ev.room() < need {
        return Err(EMSGSIZE);
    }
    ev.put_record(uapi::A_RECORD, r)?;
    if !packet.is_empty() {
        ev.put_bytes(uapi::A_PACKET, packet)?;
    }
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

impl DropMonitor {
    fn count(&self, stat: usize) {
        self.stats[stat].add(1, Relaxed);
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
        let attribution = if on.probe_on(uapi::PROBE_HOOKS) { self.hooks.attribute(skb.addr(), reason, location as u64) } else { None };
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
        let wanted = self.records_wanted(on).and_then(|config| {
            let seen = Seen::of_skb(skb, place);
            let subject = seen.subject(false, reason, attribution.map(|a| a.call.hooknum));
            if config.matches(&subject) { Ok((config, seen)) } else { Err(Outcome::Filtered) }
        });
        let now = context::jiffies();
        let mut c = cpu.lock();
        // The hook's registration is looked up for a new summary line, and
        // again about once a second; records take the line's.
        let line = c.summary.add(&key, now, DESC_TTL_S * context::hz(), || attribution.as_ref().and_then(describe));
        let summarized = line.is_some();
        let hook = match line {
            Some(e) if wanted.is_ok() => attribution.map(|a| HookRecord::new(&a, e.desc)),
            // The table is full: looked up for the record.
            None if wanted.is_ok() => attribution.map(|a| HookRecord::new(&a, describe(&a))),
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
            let left = c.ring.len;
            (core::mem::take(&mut c.lost), core::mem::take(&mut c.suppressed), left)
        };
        while lost > 0 || suppressed > 0 || left > 0 {
            let Ok(mut ev) = Event::new(EVENT_BYTES) else { break };
            // A fresh message has room for the counts and one record.
            let counts = (lost > 0).then(|| ev.put_u64(uapi::A_LOST, lost, uapi::A_PAD));
            let counts = counts.unwrap_or(Ok(())).and_then(|()| match suppressed {
                0 => Ok(()),
                n => ev.put_u64(uapi::A_SUPPRESSED, n, uapi::A_PAD),
            });
            if counts.is_err() {
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
                    if put_record(&mut ev, r, packet).is_ok() {
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
                    self.stats[uapi::DSTAT_SENT].add(records, Relaxed);
                    (lost, suppressed) = (0, 0);
                }
                // Nobody listens any more: nobody to report to.
                Err(e) if e == ESRCH => (lost, suppressed) = (0, 0),
                // A listener's buffer was full (it sees ENOBUFS), or no
                // memory: these records are lost; the counts carried stay
                // pending for the next message, sent on the next pass (the
                // listener needs time to read).
                Err(_) => {
                    self.stats[uapi::DSTAT_LOST_SEND].add(records, Relaxed);
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
