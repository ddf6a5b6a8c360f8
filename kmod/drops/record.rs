// SPDX-License-Identifier: GPL-2.0

//! Making one record: what the drop probe reads of the freed skb (headers,
//! packet bytes, the stack) and of the attributed hook call, written in the
//! form listeners get (`struct nfscope_record`), in place in a ring slot for
//! drops. Any context: bounded copies, no allocation, no symbol lookup
//! except a reset's glue frames.

use super::attribution::Attribution;
use super::config::Subject;
use super::summary::SumEntry;
use crate::headers::{ip_headers, transport, IpHeaders, IPPROTO_TCP};
use crate::uapi::{self, STACK_DEPTH};
use crate::wrap::nfhooks::{HookDesc, OPS_NFTABLES};
use crate::wrap::skb::Skb;
use crate::wrap::sock::SockTuple;
use crate::wrap::tracepoint::SkbPlace;
use crate::wrap::{context, symbols};
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// The hook a drop is attributed to, as recorded.
#[derive(Clone, Copy)]
pub(crate) struct HookRecord {
    pub(crate) func: usize,
    pub(crate) pf: u8,
    pub(crate) hooknum: u8,
    pub(crate) how: u8,
    pub(crate) ct: u8,
    /// `None` if the registration was gone by the time of the drop.
    pub(crate) desc: Option<HookDesc>,
}

impl HookRecord {
    pub(super) fn new(a: &Attribution<'_>, desc: Option<HookDesc>) -> Self {
        let c = a.call();
        Self { func: c.func, pf: c.pf, hooknum: c.hooknum, how: a.how as u8, ct: a.ct, desc }
    }
}

/// The first bytes of a dropped packet, from its network header.
pub(super) type PacketBuf = [u8; uapi::SNAPLEN_MAX];

/// Copies up to `snaplen` bytes of `skb` from its network header into
/// `buf`; returns how many (0 if the copy fails). Any context: a bounded
/// copy.
pub(super) fn copy_packet(skb: &Skb, snaplen: u16, buf: &mut PacketBuf) -> u16 {
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
pub(super) struct Seen {
    pub(super) netns: u32,
    pub(super) ip: Option<IpHeaders>,
    /// (sport, dport, TCP flags)
    pub(super) ports: Option<(u16, u16, u8)>,
}

impl Seen {
    pub(super) fn of_skb(skb: &Skb, place: SkbPlace) -> Self {
        let ip = ip_headers(skb);
        let ports = ip.as_ref().and_then(|ip| transport(skb, ip, false)).map(|t| (t.sport, t.dport, t.tcp_flags));
        Self { netns: place.netns, ip, ports }
    }

    pub(super) fn subject(&self, rst: bool, reason: u32, hooknum: Option<u8>) -> Subject<'_> {
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
pub(super) fn put_drop(w: &mut uapi::Record, skb: &Skb, place: SkbPlace, seen: &Seen, location: usize, reason: u32, hook: Option<&HookRecord>, depth: usize) {
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
pub(super) fn rst_record(sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32) -> (uapi::Record, Seen) {
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
        let place = skb.place();
        w.ifindex = place.ifindex;
        w.l3proto = skb.protocol();
        w.len = skb.len();
        seen = Seen { netns: place.netns, ip: Some(IpHeaders { saddr: ip.daddr, daddr: ip.saddr, ..ip }), ports: Some((t.dport, t.sport, 0)) };
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
static DROP_STACK_SKIP: AtomicU32 = AtomicU32::new(0);

/// A reset's frames without the tracepoint's glue (`__do_trace_*`,
/// `__traceiter_*`, out of line in 7.x): the first is its location.
pub(super) fn rst_frames(frames: &[u64]) -> &[u64] {
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

/// Copies `src` into the zeroed fixed-size name field `dst` (cut to leave
/// a NUL at the end).
fn put_name(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len().saturating_sub(1));
    dst[..n].copy_from_slice(&src[..n]);
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
    pub(crate) fn hook(&self) -> Option<HookRecord> {
        let k = &self.entry.key;
        (k.func != 0).then_some(HookRecord { func: k.func, pf: k.pf, hooknum: k.hooknum, how: k.how, ct: k.ct, desc: self.entry.desc })
    }
}
