// SPDX-License-Identifier: GPL-2.0

//! IP and transport headers of an skb, copied out and parsed in safe Rust:
//! the connection a packet belongs to, for TOA and for drop records. The
//! parsers read through [`PacketBytes`]: the skb in the module
//! (`wrap::skb::Skb`), a byte slice in the host tests (`kmod/host/`).

use kernel::prelude::*;

pub(crate) const AF_INET: u16 = 2;
pub(crate) const AF_INET6: u16 = 10;
pub(crate) const IPPROTO_TCP: u8 = 6;
pub(crate) const IPPROTO_UDP: u8 = 17;

/// A packet's bytes, as the parsers read them.
pub(crate) trait PacketBytes {
    /// Where the network header starts, from the packet's data.
    fn network_offset(&self) -> i32;
    /// Copies `buf.len()` bytes from `offset` (from the data); an error, and
    /// `buf` unspecified, if the packet ends before.
    fn copy_bytes(&self, offset: i32, buf: &mut [u8]) -> Result;
    /// The upper-layer protocol of an IPv6 packet whose first next header is
    /// `nexthdr`, past its extension headers, and where its header starts;
    /// `None` for fragments after the first or a malformed chain.
    fn ipv6_transport(&self, nexthdr: u8) -> Option<(u8, i32)>;
}

/// Addresses and transport of an IPv4 or IPv6 packet.
#[derive(Clone, Copy, Default)]
pub(crate) struct IpHeaders {
    pub(crate) family: u16,
    pub(crate) saddr: [u8; 16],
    pub(crate) daddr: [u8; 16],
    /// Upper-layer protocol; its header starts at `l4_offset` (from `skb->data`),
    /// `None` for fragments after the first.
    pub(crate) proto: u8,
    pub(crate) l4_offset: Option<i32>,
}

impl IpHeaders {
    pub(crate) fn addr_len(&self) -> usize {
        if self.family == AF_INET6 { 16 } else { 4 }
    }
}

/// The IP headers at the skb's network header (the version nibble decides).
pub(crate) fn ip_headers(skb: &impl PacketBytes) -> Option<IpHeaders> {
    ip_headers_of(skb, false)
}

/// [`ip_headers`] of a TCP packet: `None` as soon as the first header
/// says the packet cannot be TCP (IPv4 of another protocol; IPv6 whose
/// first next header is neither TCP nor an extension header TCP may
/// follow), before anything else is read.
pub(crate) fn tcp_ip_headers(skb: &impl PacketBytes) -> Option<IpHeaders> {
    ip_headers_of(skb, true)
}

fn ip_headers_of(skb: &impl PacketBytes, tcp_only: bool) -> Option<IpHeaders> {
    let nh = skb.network_offset();
    let mut h = IpHeaders::default();
    // The first 20 bytes: a whole IPv4 header, or half an IPv6 one.
    let mut ip = [0u8; 40];
    skb.copy_bytes(nh, &mut ip[..20]).ok()?;
    match ip[0] >> 4 {
        4 => {
            let ihl = i32::from(ip[0] & 0x0f) * 4;
            if ihl < 20 || (tcp_only && ip[9] != IPPROTO_TCP) {
                return None;
            }
            h.family = AF_INET;
            h.proto = ip[9];
            h.saddr[..4].copy_from_slice(&ip[12..16]);
            h.daddr[..4].copy_from_slice(&ip[16..20]);
            let frag = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
            h.l4_offset = (frag == 0).then_some(nh + ihl);
        }
        6 => {
            // Hop-by-hop, routing, fragment, authentication and destination
            // options headers (`ipv6_ext_hdr()`) may come before TCP.
            if tcp_only && !matches!(ip[6], IPPROTO_TCP | 0 | 43 | 44 | 51 | 60) {
                return None;
            }
            skb.copy_bytes(nh + 20, &mut ip[20..]).ok()?;
            h.family = AF_INET6;
            h.saddr.copy_from_slice(&ip[8..24]);
            h.daddr.copy_from_slice(&ip[24..40]);
            h.proto = ip[6];
            if let Some((proto, off)) = skb.ipv6_transport(ip[6]) {
                h.proto = proto;
                h.l4_offset = Some(off);
            }
        }
        _ => return None,
    }
    Some(h)
}

/// Ports (TCP, UDP) and TCP flags and option bytes.
#[derive(Clone, Copy)]
pub(crate) struct Transport {
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) tcp_flags: u8,
    pub(crate) options: [u8; 40],
    pub(crate) options_len: usize,
    /// The packet ends before the data offset says the TCP header does.
    pub(crate) truncated: bool,
}

/// The TCP or UDP header after `h`; TCP options are copied when `options`.
pub(crate) fn transport(skb: &impl PacketBytes, h: &IpHeaders, options: bool) -> Option<Transport> {
    let off = h.l4_offset?;
    let mut t = Transport { sport: 0, dport: 0, tcp_flags: 0, options: [0; 40], options_len: 0, truncated: false };
    match h.proto {
        IPPROTO_TCP => {
            let mut tcp = [0u8; 20];
            skb.copy_bytes(off, &mut tcp).ok()?;
            t.sport = u16::from_be_bytes([tcp[0], tcp[1]]);
            t.dport = u16::from_be_bytes([tcp[2], tcp[3]]);
            t.tcp_flags = tcp[13];
            let doff = usize::from(tcp[12] >> 4) * 4;
            t.options_len = doff.saturating_sub(20).min(40);
            if options && t.options_len > 0 {
                t.truncated = skb.copy_bytes(off + 20, &mut t.options[..t.options_len]).is_err();
            }
        }
        IPPROTO_UDP => {
            let mut udp = [0u8; 4];
            skb.copy_bytes(off, &mut udp).ok()?;
            t.sport = u16::from_be_bytes([udp[0], udp[1]]);
            t.dport = u16::from_be_bytes([udp[2], udp[3]]);
        }
        _ => return None,
    }
    Some(t)
}
