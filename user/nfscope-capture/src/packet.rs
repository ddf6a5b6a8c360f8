//! Link, IP and TCP headers of a captured packet, and its TOA.

use crate::capture::{LinkType, RawPacket};
use nfscope_codec::toa::{parse_toa, KindTable, Toa};
use serde::Serialize;
use std::net::IpAddr;

/// The TCP view of a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpHeader<'a> {
    pub saddr: IpAddr,
    pub daddr: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// Bytes after the fixed 20-byte TCP header, up to the data offset.
    pub options: &'a [u8],
}

/// One packet with a recognized TOA, in `toa decode --json`'s shape.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ToaRecord {
    pub packet: usize,
    pub saddr: IpAddr,
    pub sport: u16,
    pub daddr: IpAddr,
    pub dport: u16,
    pub kind: u8,
    pub len: u8,
    pub format: &'static str,
    pub client_addr: IpAddr,
    pub client_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip_addr: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<u32>,
}

fn ethertype_payload(mut d: &[u8], mut ethertype: u16) -> Option<&[u8]> {
    // 802.1Q / QinQ tags.
    while ethertype == 0x8100 || ethertype == 0x88a8 {
        ethertype = u16::from_be_bytes([*d.get(2)?, *d.get(3)?]);
        d = d.get(4..)?;
    }
    matches!(ethertype, 0x0800 | 0x86dd).then_some(d)
}

/// The IP packet inside a frame of `link` type.
fn network(link: LinkType, d: &[u8]) -> Option<&[u8]> {
    match link {
        LinkType::Ethernet => ethertype_payload(d.get(14..)?, u16::from_be_bytes([*d.get(12)?, *d.get(13)?])),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => Some(d),
        LinkType::LinuxSll => ethertype_payload(d.get(16..)?, u16::from_be_bytes([*d.get(14)?, *d.get(15)?])),
        LinkType::LinuxSll2 => ethertype_payload(d.get(20..)?, u16::from_be_bytes([*d.first()?, *d.get(1)?])),
        LinkType::Null => d.get(4..),
        LinkType::Other(_) => None,
    }
}

/// The TCP header of `p`, if it is an unfragmented (or first-fragment) TCP
/// packet whose header and options were captured whole.
pub fn tcp_of(p: &RawPacket) -> Option<TcpHeader<'_>> {
    let ip = network(p.link, &p.data)?;
    let (saddr, daddr, l4) = match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]) & 0x1fff;
            if ihl < 20 || *ip.get(9)? != 6 || frag != 0 {
                return None;
            }
            let s: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let d: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            (IpAddr::from(s), IpAddr::from(d), ip.get(ihl..)?)
        }
        6 => {
            // Extension headers are walked by their (next header, length).
            let s: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let d: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            let mut next = *ip.get(6)?;
            let mut rest = ip.get(40..)?;
            loop {
                match next {
                    6 => break,
                    0 | 43 | 60 => {
                        next = *rest.first()?;
                        let len = (usize::from(*rest.get(1)?) + 1) * 8;
                        rest = rest.get(len..)?;
                    }
                    44 => {
                        let off = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]) & !0x7;
                        if off != 0 {
                            return None;
                        }
                        next = *rest.first()?;
                        rest = rest.get(8..)?;
                    }
                    _ => return None,
                }
            }
            (IpAddr::from(s), IpAddr::from(d), rest)
        }
        _ => return None,
    };
    let doff = usize::from(*l4.get(12)? >> 4) * 4;
    if doff < 20 {
        return None;
    }
    Some(TcpHeader {
        saddr,
        daddr,
        sport: u16::from_be_bytes([l4[0], l4[1]]),
        dport: u16::from_be_bytes([l4[2], l4[3]]),
        options: l4.get(20..doff)?,
    })
}

/// The TOA record of `p`, if it is TCP and carries a TOA the `kinds` know.
/// Malformed options give `None`.
pub fn decode_toa(p: &RawPacket, kinds: &KindTable) -> Option<ToaRecord> {
    let tcp = tcp_of(p)?;
    let toa: Toa = parse_toa(tcp.options, kinds).ok()??;
    Some(ToaRecord {
        packet: p.index,
        saddr: tcp.saddr,
        sport: tcp.sport,
        daddr: tcp.daddr,
        dport: tcp.dport,
        kind: toa.kind,
        len: toa.len,
        format: toa.layout.name(),
        client_addr: toa.client,
        client_port: toa.client_port,
        vip_addr: toa.vip,
        vip_port: toa.vip_port,
        vpc_id: toa.vpc_id,
    })
}
