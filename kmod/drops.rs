// SPDX-License-Identifier: GPL-2.0

//! Drop and reset records: every skb freed as a drop (`skb:kfree_skb` with a
//! reason other than "consumed") and every TCP reset the kernel sends
//! (`tcp:tcp_send_reset`) becomes a record with its reason, location, stack,
//! namespace, device and 5-tuple. Records go into a bounded ring per CPU
//! (full ring: the record is counted as lost, never blocks) and a work item
//! drains them as generic netlink events to init_net listeners of the
//! "events" group. Nothing is recorded while nobody listens.

use crate::headers::{ip_headers, transport, IpHeaders, IPPROTO_TCP};
use crate::uapi;
use crate::wrap::genetlink::{events_have_listeners, Event};
use crate::wrap::lock_irq::SpinLockIrq;
use crate::wrap::skb::Skb;
use crate::wrap::sock::SockTuple;
use crate::wrap::tracepoint::{DropHook, RstHook};
use crate::wrap::work::WorkHandler;
use crate::wrap::{context, symbols};
use kernel::prelude::*;
use kernel::static_lock_class;

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

/// What a record is about.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    /// A dropped packet; `reason` is an `enum skb_drop_reason`.
    #[default]
    Drop,
    /// A TCP reset the kernel sent; `reason` is an `enum sk_rst_reason`.
    Rst,
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
    stack: [u64; STACK_DEPTH],
    depth: usize,
}

impl DropRecord {
    /// Reads everything the record needs from the freed skb. Any context.
    fn capture(skb: &Skb, location: usize, reason: u32) -> Self {
        let mut r = DropRecord {
            time_ns: context::real_time_ns(),
            cpu: context::cpu(),
            pid: context::pid(),
            comm: context::comm(),
            netns: skb.netns_inode(),
            ifindex: skb.ifindex(),
            l3proto: skb.protocol(),
            len: skb.len(),
            reason,
            location: location as u64,
            ..Default::default()
        };
        if let Some(ip) = ip_headers(skb) {
            r.ports = transport(skb, &ip, false).map(|t| (t.sport, t.dport, t.tcp_flags));
            r.ip = Some(ip);
        }
        // The stack from the probe down: keep it from the frame that returns
        // into `location` (the freeing call site), dropping our own frames.
        let location = r.location;
        r.save_stack(|frames| frames.iter().position(|&a| a == location).unwrap_or(0));
        r
    }

    /// A reset sent for `sock` (if known) in answer to `skb` (if any). Any context.
    fn capture_rst(sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32) -> Self {
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
        // name when the record is sent (see `put_record`).
        r.save_stack(|frames| frames.iter().position(|&a| !symbols::in_this_module(a)).unwrap_or(0));
        r
    }

    /// Saves the kernel stack, keeping up to `STACK_DEPTH` frames from the
    /// index `start` picks.
    fn save_stack(&mut self, start: impl FnOnce(&[u64]) -> usize) {
        let mut raw = [0u64; STACK_DEPTH + 8];
        let n = context::stack_save(&mut raw);
        let frames = &raw[..n];
        let frames = &frames[start(frames).min(n)..];
        for (dst, src) in self.stack.iter_mut().zip(frames) {
            *dst = *src;
        }
        self.depth = frames.len().min(STACK_DEPTH);
    }
}

struct Ring {
    slots: KVec<DropRecord>,
    head: usize,
    len: usize,
    lost: u64,
}

impl Ring {
    fn push(&mut self, r: DropRecord) {
        if self.len == self.slots.len() {
            self.lost += 1;
            return;
        }
        let i = (self.head + self.len) % self.slots.len();
        self.slots[i] = r;
        self.len += 1;
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

/// The drop monitor: one ring per CPU.
pub(crate) struct DropMonitor {
    rings: KVec<Pin<KBox<SpinLockIrq<Ring>>>>,
}

impl DropMonitor {
    pub(crate) fn new() -> Result<Self> {
        let cpus = context::nr_cpu_ids() as usize;
        let mut rings = KVec::with_capacity(cpus, GFP_KERNEL)?;
        for _ in 0..cpus {
            let mut slots = KVec::with_capacity(RING_SIZE, GFP_KERNEL)?;
            for _ in 0..RING_SIZE {
                slots.push(DropRecord::default(), GFP_KERNEL)?;
            }
            let ring = Ring { slots, head: 0, len: 0, lost: 0 };
            rings.push(KBox::pin_init(SpinLockIrq::new(ring, c"nfscope_drops", static_lock_class!()), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self { rings })
    }

    /// Sends one record (and the loss since the previous message). Process context.
    fn send(r: Option<&DropRecord>, lost: u64) -> Result {
        let mut ev = Event::new()?;
        if lost > 0 {
            ev.put_u64(uapi::A_LOST, lost, uapi::A_PAD)?;
        }
        if let Some(r) = r {
            put_record(&mut ev, r)?;
        }
        ev.send()
    }
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
    // A reset's location is the first frame past the tracepoint's glue
    // (`__do_trace_*`, `__traceiter_*`, out of line in 7.x).
    let mut frames = &r.stack[..r.depth];
    let mut location = r.location;
    if r.kind == Kind::Rst {
        while let Some((&first, rest)) = frames.split_first() {
            let name = symbols::symbol(first, &mut buf);
            if !(name.starts_with(b"__do_trace_") || name.starts_with(b"__traceiter_")) {
                break;
            }
            frames = rest;
        }
        location = frames.first().copied().unwrap_or(0);
    }
    ev.put_bytes_str(uapi::DROP_A_LOCATION, symbols::symbol(location, &mut buf))?;
    let stack = ev.nest_start(uapi::DROP_A_STACK)?;
    for &frame in frames {
        ev.put_bytes_str(uapi::DROP_A_FRAME, symbols::symbol(frame, &mut buf))?;
    }
    ev.nest_end(stack);
    ev.nest_end(nest);
    Ok(())
}

impl DropHook for DropMonitor {
    /// Any context: reads headers into a record and pushes it into this
    /// CPU's ring (irq-safe lock held only for the copy).
    fn on_kfree_skb(&self, skb: &Skb, location: usize, reason: u32) {
        if reason == SKB_NOT_DROPPED_YET || reason == SKB_CONSUMED || !events_have_listeners() {
            return;
        }
        self.push(DropRecord::capture(skb, location, reason));
    }
}

impl RstHook for DropMonitor {
    /// Any context, like `on_kfree_skb`.
    fn on_tcp_send_reset(&self, sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32) {
        if !events_have_listeners() {
            return;
        }
        self.push(DropRecord::capture_rst(sock, skb, reason));
    }
}

impl DropMonitor {
    /// Queues `record` on its CPU's ring, or counts it lost. Any context.
    fn push(&self, record: DropRecord) {
        let Some(ring) = self.rings.get(record.cpu as usize) else { return };
        ring.lock().push(record);
    }
}

impl WorkHandler for DropMonitor {
    /// Process context: moves up to a ring's worth of records from every
    /// ring into events (bounded, so a drop storm cannot hold the worker).
    fn run(&self) -> u32 {
        for ring in &self.rings {
            let mut lost = core::mem::take(&mut ring.lock().lost);
            for _ in 0..RING_SIZE {
                let record = ring.lock().pop();
                if record.is_none() && lost == 0 {
                    break;
                }
                // A failed send loses this message only: nobody listens any
                // more, or a listener's buffer is full (it then reads ENOBUFS
                // and reports a socket overrun).
                let _ = Self::send(record.as_ref(), lost);
                lost = 0;
                if record.is_none() {
                    break;
                }
            }
        }
        if events_have_listeners() { DRAIN_MS } else { IDLE_MS }
    }
}
