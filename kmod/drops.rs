// SPDX-License-Identifier: GPL-2.0

//! Drop and reset records: every skb freed as a drop (`skb:kfree_skb` with a
//! reason other than "consumed") and every TCP reset the kernel sends
//! (`tcp:tcp_send_reset`) becomes a record with its reason, location, stack,
//! namespace, device and 5-tuple. Records go into a bounded ring per CPU
//! (full ring: the record is counted as lost, never blocks) and a work item
//! drains them, many records per generic netlink message, to init_net
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
    /// Packet bytes kept beside the record in its ring slot (drops of IP
    /// packets, when the configuration asks for them).
    packet_len: u16,
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
        r.save_drop_stack(depth);
        r
    }

    /// The stack from the probe down, from the frame that returns into
    /// `location` (the freeing call site), without our own frames. The
    /// walk costs per frame: it stops after the frames kept, skipping as
    /// many as last time, and walks the whole stack only when that does
    /// not start at the site (the first drop, or another way to it). Both
    /// walks start from this function, so they count the same frames.
    fn save_drop_stack(&mut self, depth: usize) {
        let depth = depth.min(STACK_DEPTH);
        let skip = DROP_STACK_SKIP.load(Relaxed);
        if skip > 0 {
            let n = context::stack_save(&mut self.stack[..depth], skip);
            if n > 0 && self.stack[0] == self.location {
                self.depth = n;
                return;
            }
        }
        let mut raw = [0u64; STACK_DEPTH + 8];
        let n = context::stack_save(&mut raw, 0);
        let start = raw[..n].iter().position(|&a| a == self.location);
        if let Some(i) = start {
            DROP_STACK_SKIP.store(i as u32, Relaxed);
        }
        let frames = &raw[start.unwrap_or(0)..n];
        for (dst, src) in self.stack.iter_mut().zip(frames) {
            *dst = *src;
        }
        self.depth = frames.len().min(depth);
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
        // Our probe's frames come first, then the tracepoint's glue: start
        // at the first kernel frame past both. It is the record's location.
        r.save_stack(depth, |frames| {
            let outside = frames.iter().position(|&a| !symbols::in_this_module(a)).unwrap_or(0);
            frames.len() - rst_frames(&frames[outside..]).len()
        });
        r.location = r.stack[..r.depth].first().copied().unwrap_or(0);
        r
    }

    /// Saves the kernel stack, keeping up to `depth` frames from the index
    /// `start` picks.
    fn save_stack(&mut self, depth: usize, start: impl FnOnce(&[u64]) -> usize) {
        let mut raw = [0u64; STACK_DEPTH + 8];
        let n = context::stack_save(&mut raw, 0);
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

/// Frames [`DropRecord::save_drop_stack`] skips: its own and the
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
    slots: KVVec<DropRecord>,
    /// The packet bytes of the record in the same slot (`packet_len` of
    /// them); empty until a configuration first asks for packet bytes.
    packets: KVVec<PacketBuf>,
    head: usize,
    len: usize,
}

impl Ring {
    /// Queues `r`, with the packet bytes `fill` writes into the slot's
    /// buffer (it returns how many) when there are buffers.
    fn push(&mut self, mut r: DropRecord, fill: impl FnOnce(&mut PacketBuf) -> u16) -> bool {
        if self.len == self.slots.len() {
            return false;
        }
        let i = (self.head + self.len) % self.slots.len();
        r.packet_len = self.packets.get_mut(i).map_or(0, fill);
        self.slots[i] = r;
        self.len += 1;
        true
    }

    /// Puts `r` and its `packet` bytes back at the head (it was popped
    /// last); false if full.
    fn unpop(&mut self, r: DropRecord, packet: &PacketBuf) -> bool {
        if self.len == self.slots.len() {
            return false;
        }
        self.head = (self.head + self.slots.len() - 1) % self.slots.len();
        self.slots[self.head] = r;
        if let Some(buf) = self.packets.get_mut(self.head) {
            let n = r.packet_len as usize;
            buf[..n].copy_from_slice(&packet[..n]);
        }
        self.len += 1;
        true
    }

    /// The oldest record; its packet bytes are copied into `packet`.
    fn pop(&mut self, packet: &mut PacketBuf) -> Option<DropRecord> {
        if self.len == 0 {
            return None;
        }
        let r = self.slots[self.head];
        if let Some(buf) = self.packets.get(self.head) {
            let n = r.packet_len as usize;
            packet[..n].copy_from_slice(&buf[..n]);
        }
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
            let mut slots = KVVec::with_capacity(ring_records, GFP_KERNEL)?;
            for _ in 0..ring_records {
                slots.push(DropRecord::default(), GFP_KERNEL)?;
            }
            let mut sum = KVec::with_capacity(SUM_SLOTS, GFP_KERNEL)?;
            for _ in 0..SUM_SLOTS {
                sum.push(None, GFP_KERNEL)?;
            }
            let state = CpuState {
                ring: Ring { slots, packets: KVVec::new(), head: 0, len: 0 },
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
                    c.ring.slots.len()
                };
                let mut packets = KVVec::with_capacity(slots, GFP_KERNEL)?;
                for _ in 0..slots {
                    packets.push([0; uapi::SNAPLEN_MAX], GFP_KERNEL)?;
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
                    Some(o) => o.count += e.count,
                    None => out.push(e, GFP_KERNEL)?,
                }
            }
        }
        crate::sort::sort_by_key(&mut out, |e| core::cmp::Reverse(e.count));
        Ok(out)
    }

    /// Queues `record` on this CPU (with the packet bytes `fill` writes),
    /// or counts it lost. Any context.
    fn push(&self, cpu: &SpinLockIrq<CpuState>, record: DropRecord, fill: impl FnOnce(&mut PacketBuf) -> u16) {
        let mut c = cpu.lock();
        if c.ring.push(record, fill) {
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

/// Copies `src` into the fixed-size name field `dst`, NUL-padded (cut to
/// leave a NUL at the end).
fn put_name(dst: &mut [u8], src: &[u8]) {
    let room = dst.len().saturating_sub(1);
    for (d, s) in dst[..room].iter_mut().zip(src) {
        *d = *s;
    }
}

impl DropRecord {
    /// The record as listeners get it (`struct nfscope_record`).
    fn wire(&self) -> uapi::Record {
        let mut w = uapi::Record {
            time_ns: self.time_ns,
            location: self.location,
            cpu: self.cpu,
            pid: self.pid,
            netns: self.netns,
            ifindex: self.ifindex,
            len: self.len,
            reason: self.reason,
            l3proto: self.l3proto,
            kind: if self.kind == Kind::Rst { uapi::RECORD_RST } else { uapi::RECORD_DROP },
            depth: self.depth as u8,
            comm: self.comm,
            ..Default::default()
        };
        for (d, s) in w.stack.iter_mut().zip(&self.stack[..self.depth]) {
            *d = *s;
        }
        if let Some(ip) = &self.ip {
            w.addr_len = ip.addr_len() as u8;
            w.l4proto = ip.proto;
            w.saddr = ip.saddr;
            w.daddr = ip.daddr;
            if let Some((sport, dport, flags)) = self.ports {
                (w.sport, w.dport) = (sport, dport);
                w.flags |= uapi::REC_PORTS;
                if ip.proto == IPPROTO_TCP && self.kind == Kind::Drop {
                    w.tcp_flags = flags;
                    w.flags |= uapi::REC_TCP_FLAGS;
                }
            }
        }
        if let Some(state) = self.tcp_state {
            w.tcp_state = state;
            w.flags |= uapi::REC_TCP_STATE;
        }
        let mut buf = [0u8; 128];
        let name = match self.kind {
            Kind::Drop => symbols::drop_reason_name(self.reason, &mut buf),
            Kind::Rst => symbols::rst_reason_name(self.reason, &mut buf),
        };
        put_name(&mut w.reason_name, name);
        if let Some(h) = &self.hook {
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
        w
    }
}

/// Bytes an attribute of `payload` bytes takes in a message (`nla_total_size`).
const fn attr_size(payload: usize) -> usize {
    (4 + payload + 3) & !3
}

/// Adds `r` and its packet bytes (the first `r.packet_len` of `packet`) to
/// `ev`; `EMSGSIZE` (nothing added) if they do not fit.
fn put_record(ev: &mut Event, r: &DropRecord, packet: &PacketBuf) -> Result {
    let packet = &packet[..r.packet_len as usize];
    let need = attr_size(core::mem::size_of::<uapi::Record>()) + if packet.is_empty() { 0 } else { attr_size(packet.len()) };
    if ev.room() < need {
        return Err(EMSGSIZE);
    }
    ev.put_record(uapi::A_RECORD, &r.wire())?;
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

impl DropHook for DropMonitor {
    /// Any context: counts the drop in this CPU's summary, and queues a
    /// record if listeners want one.
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
        // The registration is looked up only for a new summary line, and
        // for a record once the filters let it through.
        self.summarize(cpu, &key, || attribution.and_then(|a| HookRecord::new(&a).desc));
        if !on.records || !events_have_listeners() {
            return;
        }
        let config = self.config.load();
        let seen = Seen::of_skb(skb, place);
        if !self.wants_record(cpu, &config, &seen.subject(false, reason, attribution.map(|a| a.call.hooknum))) {
            return;
        }
        let hook = attribution.as_ref().map(HookRecord::new);
        let record = DropRecord::capture(skb, place, &seen, location, reason, hook, config.depth as usize);
        // The network header is only known to be one for IP packets.
        let snaplen = if seen.ip.is_some() { config.snaplen } else { 0 };
        self.push(cpu, record, |buf| if snaplen > 0 { copy_packet(skb, snaplen, buf) } else { 0 });
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
        let record = DropRecord::capture_rst(sock, skb, reason, STACK_DEPTH);
        let mut loc = [0u64; 3];
        for (dst, src) in loc.iter_mut().zip(&record.stack[..record.depth]) {
            *dst = *src;
        }
        let key = SumKey { netns: record.netns, rst: true, reason, loc, ..Default::default() };
        self.summarize(cpu, &key, || None);
        if !on.records || !events_have_listeners() {
            return;
        }
        let config = self.config.load();
        let seen = record.seen();
        if !self.wants_record(cpu, &config, &seen.subject(true, reason, None)) {
            return;
        }
        let mut record = record;
        record.depth = record.depth.min(config.depth as usize);
        self.push(cpu, record, |_| 0);
    }
}

impl DropMonitor {
    /// Sends `cpu`'s loss counts and up to a ring's worth of its records,
    /// as many per message as fit. Process context.
    fn drain(&self, cpu: &SpinLockIrq<CpuState>) {
        let (mut lost, mut suppressed, mut left) = {
            let mut c = cpu.lock();
            let left = c.ring.len;
            (core::mem::take(&mut c.lost), core::mem::take(&mut c.suppressed), left)
        };
        // A record taken from the ring that did not fit in the last message.
        let mut carried: Option<DropRecord> = None;
        // The packet bytes of the record in hand (popped or carried).
        let mut packet: PacketBuf = [0; uapi::SNAPLEN_MAX];
        while lost > 0 || suppressed > 0 || carried.is_some() || left > 0 {
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
            loop {
                let record = match carried.take() {
                    Some(r) => r,
                    None if left > 0 => {
                        left -= 1;
                        match cpu.lock().ring.pop(&mut packet) {
                            Some(r) => r,
                            None => break,
                        }
                    }
                    None => break,
                };
                if put_record(&mut ev, &record, &packet).is_ok() {
                    records += 1;
                } else if records == 0 {
                    // Cannot happen (a record is far smaller than a
                    // message); counted rather than retried forever.
                    lost += 1;
                    self.count(uapi::DSTAT_LOST_SEND);
                } else {
                    carried = Some(record);
                    break;
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
        // Kept for the next pass: counts not delivered, and a record taken
        // out but not sent (back at the head, unless the ring filled up
        // meanwhile: then lost).
        if lost > 0 || suppressed > 0 || carried.is_some() {
            let mut c = cpu.lock();
            if let Some(r) = carried {
                if !c.ring.unpop(r, &packet) {
                    c.lost += 1;
                    self.count(uapi::DSTAT_LOST_RING);
                }
            }
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
