//! The ring buffer record (src/bpf/event.h) and its conversion into the
//! module's record shape.

use nfscope_client::kallsyms::{is_tracing_glue as is_glue, Symbolizer};
use crate::reasons::Reasons;
use nfscope_events::{proto_name, tcp_flags_text, tcp_state_name, DropRecord};
use std::net::IpAddr;

pub(crate) const STACK_MAX: usize = 32;
pub(crate) const MAX_REASONS: usize = 16;
const EV_RST: u32 = 1;
const STATE_KNOWN: u8 = 0x80;

/// `struct event` of src/bpf/event.h, field for field.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct RawEvent {
    time_ns: u64,
    location: u64,
    stack: [u64; STACK_MAX],
    kind: u32,
    reason: u32,
    pid: u32,
    cpu: u32,
    netns: u32,
    ifindex: u32,
    len: u32,
    stack_bytes: i32,
    l3proto: u16,
    sport: u16,
    dport: u16,
    family: u8,
    proto: u8,
    tcp_flags: u8,
    tcp_state: u8,
    has_ports: u8,
    pad: u8,
    saddr: [u8; 16],
    daddr: [u8; 16],
    comm: [u8; 16],
}

const _: () = assert!(std::mem::size_of::<RawEvent>() == 368);
/// `struct event_pkt`: a `struct event`, `caplen`, then the packet bytes.
pub(crate) const SNAPLEN_MAX: usize = 256;
const PKT_EVENT_BYTES: usize = 368 + 4 + SNAPLEN_MAX;

/// The packet bytes of a `struct event_pkt` record (None: a plain event).
pub(crate) fn packet_of(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() < PKT_EVENT_BYTES {
        return None;
    }
    let caplen = u32::from_ne_bytes(b[368..372].try_into().ok()?) as usize;
    (caplen > 0).then(|| b[372..372 + caplen.min(SNAPLEN_MAX)].to_vec())
}

impl RawEvent {
    pub(crate) fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() < std::mem::size_of::<Self>() {
            return None;
        }
        // SAFETY: `b` holds at least size_of::<Self>() bytes, read without
        // alignment; every bit pattern is a valid RawEvent (integers and
        // arrays of integers only).
        Some(unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<Self>()) })
    }

    pub(crate) fn is_rst(&self) -> bool {
        self.kind == EV_RST
    }
}

/// What turns raw events into records.
pub(crate) struct Decoder {
    pub(crate) symbols: Symbolizer,
    pub(crate) reasons: Reasons,
    /// CLOCK_REALTIME - CLOCK_MONOTONIC, to give records wall-clock times.
    pub(crate) realtime_offset: i128,
    pub(crate) stack_depth: usize,
}

fn addr(family: u8, a: &[u8; 16]) -> Option<IpAddr> {
    match family {
        4 => Some(IpAddr::from([a[0], a[1], a[2], a[3]])),
        6 => Some(IpAddr::from(*a)),
        _ => None,
    }
}

impl Decoder {
    pub(crate) fn record(&mut self, e: &RawEvent) -> DropRecord {
        let n = usize::try_from(e.stack_bytes).map_or(0, |b| (b / 8).min(STACK_MAX));
        let raw = &e.stack[..n];
        // Drops: from the frame returning into the freeing call site, as the
        // module does; resets: from the first frame outside the tracing glue.
        let start = if e.is_rst() {
            raw.iter().position(|&a| !is_glue(self.symbols.name(a))).unwrap_or(0)
        } else {
            raw.iter().position(|&a| a == e.location).unwrap_or_else(|| {
                raw.iter().position(|&a| !is_glue(self.symbols.name(a))).unwrap_or(0)
            })
        };
        let frames = &raw[start..];
        let location = if e.is_rst() { frames.first().copied().unwrap_or(0) } else { e.location };
        let ip = e.family != 0;
        let time = i128::from(e.time_ns) + self.realtime_offset;
        let comm_len = e.comm.iter().position(|&c| c == 0).unwrap_or(e.comm.len());
        DropRecord {
            time_ns: u64::try_from(time).unwrap_or(0),
            cpu: e.cpu,
            pid: e.pid,
            comm: String::from_utf8_lossy(&e.comm[..comm_len]).into_owned(),
            netns: e.netns,
            ifindex: e.ifindex,
            l3proto: e.l3proto,
            protocol: ip.then(|| proto_name(e.proto)),
            saddr: addr(e.family, &e.saddr),
            daddr: addr(e.family, &e.daddr),
            sport: (e.has_ports != 0).then_some(e.sport),
            dport: (e.has_ports != 0).then_some(e.dport),
            tcp_flags: (ip && e.proto == 6 && !e.is_rst() && e.has_ports != 0).then(|| tcp_flags_text(e.tcp_flags)),
            len: e.len,
            reason: e.reason,
            reason_name: if e.is_rst() { self.reasons.rst_name(e.reason) } else { self.reasons.drop_name(e.reason) },
            tcp_state: (e.tcp_state & STATE_KNOWN != 0).then(|| tcp_state_name(e.tcp_state & !STATE_KNOWN)),
            location: self.symbols.format(location),
            hook: None,
            stack: frames.iter().take(self.stack_depth).map(|&a| self.symbols.format(a)).collect(),
            packet: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nfscope_client::kallsyms::Symbols;

    const KALLSYMS: &str = "ffffffff81000000 T bpf_trace_run3\n\
        ffffffff81000100 T tcp_v4_send_reset\n\
        ffffffff81000500 T tcp_v4_rcv\n\
        ffffffff81001000 T udp_rcv\n\
        ffffffff81002000 T ip_local_deliver_finish\n\
        ffffffff81003000 T _etext\n";

    fn decoder() -> Decoder {
        let mut reasons = Reasons::default();
        reasons.drop.insert(3, "NO_SOCKET".into());
        reasons.rst.insert(1, "NO_SOCKET".into());
        Decoder { symbols: Symbolizer::new(Symbols::parse(KALLSYMS)), reasons, realtime_offset: 1_000, stack_depth: 16 }
    }

    fn raw(kind: u32, stack: &[u64]) -> RawEvent {
        // SAFETY: RawEvent is integers and arrays of integers: all zeroes is valid.
        let mut e: RawEvent = unsafe { std::mem::zeroed() };
        e.kind = kind;
        e.stack[..stack.len()].copy_from_slice(stack);
        e.stack_bytes = (stack.len() * 8) as i32;
        e.comm[..7].copy_from_slice(b"python3");
        e
    }

    #[test]
    fn drop_record_starts_at_the_freeing_site() {
        let jit = 0xffffffffc0200010; // a BPF program: no symbol
        let mut e = raw(0, &[jit, 0xffffffff81000020, 0xffffffff81001010, 0xffffffff81002004]);
        e.location = 0xffffffff81001010;
        e.reason = 3;
        e.family = 4;
        e.proto = 17;
        e.has_ports = 1;
        e.dport = 9999;
        e.saddr[..4].copy_from_slice(&[198, 18, 1, 1]);
        e.time_ns = 5;
        let r = decoder().record(&e);
        assert_eq!(r.reason_name, "NO_SOCKET");
        assert_eq!(r.location, "udp_rcv+0x10/0x1000");
        assert_eq!(r.stack, ["udp_rcv+0x10/0x1000", "ip_local_deliver_finish+0x4/0x1000"]);
        assert_eq!((r.protocol.as_deref(), r.dport, r.tcp_flags.as_deref()), (Some("udp"), Some(9999), None));
        assert_eq!(r.saddr, Some("198.18.1.1".parse().unwrap()));
        assert_eq!((r.comm.as_str(), r.time_ns), ("python3", 1_005));
    }

    #[test]
    fn reset_record_skips_the_tracing_glue() {
        let mut e = raw(1, &[0xffffffffc0200010, 0xffffffff81000020, 0xffffffff81000180, 0xffffffff81000600]);
        e.reason = 1;
        e.tcp_state = 0x80 | 10;
        let r = decoder().record(&e);
        assert_eq!(r.location, "tcp_v4_send_reset+0x80/0x400");
        assert_eq!(r.stack.len(), 2);
        assert_eq!((r.reason_name.as_str(), r.tcp_state.as_deref()), ("NO_SOCKET", Some("LISTEN")));
        assert_eq!(r.protocol, None);
    }

    #[test]
    fn failed_stack_and_short_buffers() {
        let mut e = raw(0, &[]);
        e.stack_bytes = -14;
        assert!(decoder().record(&e).stack.is_empty());
        assert!(RawEvent::from_bytes(&[0u8; 100]).is_none());
        assert!(RawEvent::from_bytes(&[0u8; 368]).is_some());
    }
}
