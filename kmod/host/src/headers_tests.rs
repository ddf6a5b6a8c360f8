// SPDX-License-Identifier: GPL-2.0

//! Tests of the module's IP and transport header parsers (`headers.rs`)
//! over byte slices: built packets parse back to what they were built from,
//! the TCP-only early outs, fragments, truncation, and no input panics.

use crate::headers::{ip_headers, tcp_ip_headers, transport, PacketBytes, AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use kernel::prelude::*;
use proptest::prelude::*;

/// A packet as the parsers see an skb: bytes, where `skb->data` points in
/// them (headers before it were pulled) and where the network header starts
/// (from `data`; negative when already pulled).
struct SlicePacket {
    buf: Vec<u8>,
    data: usize,
    nh: i32,
}

impl SlicePacket {
    /// `bytes` from the network header on, with `skb->data` at `pulled`
    /// bytes past it (as at LOCAL_IN, where data is at the transport header).
    fn new(bytes: &[u8], pulled: usize) -> Self {
        Self { buf: bytes.to_vec(), data: pulled, nh: -(pulled as i32) }
    }
}

impl PacketBytes for SlicePacket {
    fn network_offset(&self) -> i32 {
        self.nh
    }

    fn copy_bytes(&self, offset: i32, buf: &mut [u8]) -> Result {
        let start = self.data as i64 + i64::from(offset);
        let end = start + buf.len() as i64;
        if start < 0 || end > self.buf.len() as i64 {
            return Err(Error);
        }
        buf.copy_from_slice(&self.buf[start as usize..end as usize]);
        Ok(())
    }

    /// A model of `ipv6_skip_exthdr`: hop-by-hop (0), routing (43),
    /// destination options (60), fragment (44) and AH (51) headers.
    fn ipv6_transport(&self, nexthdr: u8) -> Option<(u8, i32)> {
        let (mut next, mut off) = (nexthdr, self.nh + 40);
        loop {
            let mut h = [0u8; 4];
            let len = match next {
                0 | 43 | 60 => {
                    self.copy_bytes(off, &mut h[..2]).ok()?;
                    (i32::from(h[1]) + 1) * 8
                }
                44 => {
                    self.copy_bytes(off, &mut h).ok()?;
                    if u16::from_be_bytes([h[2], h[3]]) & 0xfff8 != 0 {
                        return None;
                    }
                    8
                }
                51 => {
                    self.copy_bytes(off, &mut h[..2]).ok()?;
                    (i32::from(h[1]) + 2) * 4
                }
                _ => return Some((next, off)),
            };
            next = h[0];
            off += len;
        }
    }
}

const SRC4: [u8; 4] = [198, 18, 0, 1];
const DST4: [u8; 4] = [198, 18, 0, 2];

fn ipv4(proto: u8, ip_options: usize, frag: u16, l4: &[u8]) -> Vec<u8> {
    let ihl = 20 + ip_options;
    let mut p = vec![0u8; ihl];
    p[0] = 0x40 | (ihl / 4) as u8;
    p[6..8].copy_from_slice(&frag.to_be_bytes());
    p[9] = proto;
    p[12..16].copy_from_slice(&SRC4);
    p[16..20].copy_from_slice(&DST4);
    p.extend_from_slice(l4);
    p
}

fn src6() -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[15] = 1;
    a
}

fn dst6() -> [u8; 16] {
    let mut a = src6();
    a[15] = 2;
    a
}

/// An IPv6 packet whose first next header is `first`, with the extension
/// headers `ext` (already chained) before `l4`.
fn ipv6(first: u8, ext: &[u8], l4: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[0] = 0x60;
    p[6] = first;
    p[8..24].copy_from_slice(&src6());
    p[24..40].copy_from_slice(&dst6());
    p.extend_from_slice(ext);
    p.extend_from_slice(l4);
    p
}

fn tcp(sport: u16, dport: u16, flags: u8, options: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[12] = ((20 + options.len()) / 4 << 4) as u8;
    t[13] = flags;
    t.extend_from_slice(options);
    t
}

fn udp(sport: u16, dport: u16) -> Vec<u8> {
    let mut u = vec![0u8; 8];
    u[0..2].copy_from_slice(&sport.to_be_bytes());
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u
}

#[test]
fn ipv4_tcp_with_ip_options_and_tcp_options() {
    let opts = [2, 4, 5, 0xb4, 1, 1, 254, 6, 0, 0, 0, 0];
    let p = SlicePacket::new(&ipv4(IPPROTO_TCP, 4, 0, &tcp(40000, 80, 0x02, &opts)), 0);
    let h = ip_headers(&p).expect("IPv4");
    assert_eq!((h.family, h.proto, h.l4_offset, h.addr_len()), (AF_INET, IPPROTO_TCP, Some(24), 4));
    assert_eq!((&h.saddr[..4], &h.daddr[..4]), (&SRC4[..], &DST4[..]));
    let t = transport(&p, &h, true).expect("TCP");
    assert_eq!((t.sport, t.dport, t.tcp_flags, t.options_len, t.truncated), (40000, 80, 0x02, 12, false));
    assert_eq!(&t.options[..12], &opts[..]);
    let t = transport(&p, &h, false).expect("TCP without options");
    assert_eq!((t.options_len, t.options[0]), (12, 0), "options are counted but not copied");
}

#[test]
fn the_network_header_may_lie_before_the_data() {
    // At LOCAL_IN the IP header is pulled: data points at TCP.
    let p = SlicePacket::new(&ipv4(IPPROTO_TCP, 0, 0, &tcp(1, 2, 0x10, &[])), 20);
    let h = ip_headers(&p).expect("IPv4");
    assert_eq!(h.l4_offset, Some(0));
    assert_eq!(transport(&p, &h, true).map(|t| (t.sport, t.dport)), Some((1, 2)));
}

#[test]
fn truncated_tcp_options_are_flagged() {
    let mut bytes = ipv4(IPPROTO_TCP, 0, 0, &tcp(1, 2, 0x02, &[1; 8]));
    bytes.truncate(bytes.len() - 3);
    let p = SlicePacket::new(&bytes, 0);
    let h = ip_headers(&p).unwrap();
    let t = transport(&p, &h, true).expect("the fixed header is there");
    assert_eq!((t.options_len, t.truncated), (8, true));
}

#[test]
fn udp_ports_and_other_protocols() {
    let p = SlicePacket::new(&ipv4(IPPROTO_UDP, 0, 0, &udp(5353, 9999)), 0);
    let h = ip_headers(&p).unwrap();
    let t = transport(&p, &h, true).expect("UDP");
    assert_eq!((t.sport, t.dport, t.tcp_flags, t.options_len), (5353, 9999, 0, 0));
    let icmp = SlicePacket::new(&ipv4(1, 0, 0, &[8, 0, 0, 0]), 0);
    let h = ip_headers(&icmp).expect("IPv4 of any protocol");
    assert!(transport(&icmp, &h, true).is_none(), "no ports for ICMP");
}

#[test]
fn later_ipv4_fragments_have_no_transport_header() {
    for (frag, first) in [(0x2000u16, true), (0x0001, false), (0x2010, false), (0x4000, true)] {
        let p = SlicePacket::new(&ipv4(IPPROTO_UDP, 0, frag, &udp(1, 2)), 0);
        let h = ip_headers(&p).unwrap();
        assert_eq!(h.l4_offset.is_some(), first, "frag field {frag:#06x}");
        assert_eq!(transport(&p, &h, false).is_some(), first);
    }
}

#[test]
fn malformed_ip_headers_are_refused() {
    let good = ipv4(IPPROTO_TCP, 0, 0, &tcp(1, 2, 0, &[]));
    let short = SlicePacket::new(&good[..19], 0);
    assert!(ip_headers(&short).is_none(), "19 bytes");
    let mut bad_ihl = good.clone();
    bad_ihl[0] = 0x44;
    assert!(ip_headers(&SlicePacket::new(&bad_ihl, 0)).is_none(), "IHL 4");
    let mut v5 = good.clone();
    v5[0] = 0x55;
    assert!(ip_headers(&SlicePacket::new(&v5, 0)).is_none(), "version 5");
    let v6_short = ipv6(IPPROTO_TCP, &[], &[]);
    assert!(ip_headers(&SlicePacket::new(&v6_short[..39], 0)).is_none(), "a cut IPv6 header");
}

#[test]
fn ipv6_tcp_past_extension_headers() {
    // hop-by-hop (8 bytes) -> destination options (16) -> fragment (first) -> TCP
    let mut ext = vec![60, 0, 0, 0, 0, 0, 0, 0];
    ext.extend_from_slice(&[44, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[IPPROTO_TCP, 0, 0, 0, 0, 0, 0, 7]);
    let p = SlicePacket::new(&ipv6(0, &ext, &tcp(443, 50000, 0x12, &[])), 0);
    for h in [ip_headers(&p).expect("IPv6"), tcp_ip_headers(&p).expect("IPv6, maybe TCP")] {
        assert_eq!((h.family, h.proto, h.l4_offset, h.addr_len()), (AF_INET6, IPPROTO_TCP, Some(72), 16));
        assert_eq!((h.saddr, h.daddr), (src6(), dst6()));
        let t = transport(&p, &h, true).expect("TCP");
        assert_eq!((t.sport, t.dport, t.tcp_flags), (443, 50000, 0x12));
    }
}

#[test]
fn tcp_only_parsing_stops_at_the_first_header_that_rules_tcp_out() {
    let v4_udp = SlicePacket::new(&ipv4(IPPROTO_UDP, 0, 0, &udp(1, 2)), 0);
    assert!(ip_headers(&v4_udp).is_some());
    assert!(tcp_ip_headers(&v4_udp).is_none(), "IPv4 UDP");
    let v6_udp = SlicePacket::new(&ipv6(IPPROTO_UDP, &[], &udp(1, 2)), 0);
    assert!(ip_headers(&v6_udp).is_some());
    assert!(tcp_ip_headers(&v6_udp).is_none(), "IPv6 UDP");
    // Only the IPv6 header's first 20 bytes are read to rule it out.
    let cut = ipv6(58, &[], &[]);
    assert!(tcp_ip_headers(&SlicePacket::new(&cut[..20], 0)).is_none());
    let later_frag = [IPPROTO_TCP, 0, 0, 0x08, 0, 0, 0, 1];
    let p = SlicePacket::new(&ipv6(44, &later_frag, &tcp(1, 2, 0, &[])), 0);
    let h = tcp_ip_headers(&p).expect("a fragment header may precede TCP");
    assert_eq!(h.l4_offset, None, "a later fragment has no TCP header");
    assert!(transport(&p, &h, true).is_none());
}

proptest! {
    /// Packets built from random fields parse back to those fields, wherever
    /// `skb->data` points in the IP header.
    #[test]
    fn built_tcp_packets_parse_back(
        v6 in any::<bool>(),
        ip_options in 0usize..11,
        words in 0usize..11,
        sport in any::<u16>(),
        dport in any::<u16>(),
        flags in any::<u8>(),
        pulled in 0usize..21,
    ) {
        let options: Vec<u8> = (0..words * 4).map(|i| i as u8).collect();
        let l4 = tcp(sport, dport, flags, &options);
        let (bytes, l4_at) = if v6 { (ipv6(IPPROTO_TCP, &[], &l4), 40) } else { (ipv4(IPPROTO_TCP, ip_options * 4, 0, &l4), 20 + ip_options * 4) };
        let p = SlicePacket::new(&bytes, pulled);
        let h = tcp_ip_headers(&p).expect("TCP");
        prop_assert_eq!(h.l4_offset, Some(l4_at as i32 - pulled as i32));
        let t = transport(&p, &h, true).expect("TCP header");
        prop_assert_eq!((t.sport, t.dport, t.tcp_flags, t.options_len, t.truncated), (sport, dport, flags, words * 4, false));
        prop_assert_eq!(&t.options[..t.options_len], &options[..]);
    }

    /// No input panics, and ports come only from bytes the packet has.
    #[test]
    fn any_bytes_are_parsed_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..120), pulled in 0usize..8) {
        let pulled = pulled.min(bytes.len());
        let p = SlicePacket::new(&bytes, pulled);
        for h in [ip_headers(&p), tcp_ip_headers(&p)].into_iter().flatten() {
            if let Some(t) = transport(&p, &h, true) {
                let off = h.l4_offset.expect("a transport header has an offset");
                prop_assert!(off >= p.nh && (off - p.nh) as usize + 4 <= bytes.len());
                prop_assert!(t.options_len <= 40);
            }
        }
    }
}
