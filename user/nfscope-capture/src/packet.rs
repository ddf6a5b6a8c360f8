//! Link, IP and TCP headers of a captured packet (sliced by `etherparse`),
//! and its TOA (nfscope's codec).

use crate::capture::{LinkType, RawPacket};
use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
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

/// The packet's headers, sliced by `etherparse` from its link layer on.
fn sliced(link: LinkType, d: &[u8]) -> Option<SlicedPacket<'_>> {
    match link {
        LinkType::Ethernet => SlicedPacket::from_ethernet(d).ok(),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => SlicedPacket::from_ip(d).ok(),
        LinkType::LinuxSll => SlicedPacket::from_linux_sll(d).ok(),
        // SLL2: the protocol (an ethertype) first, 20 bytes of header.
        LinkType::LinuxSll2 => SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([*d.first()?, *d.get(1)?])), d.get(20..)?).ok(),
        // BSD loopback: a 4-byte address family, then IP.
        LinkType::Null => SlicedPacket::from_ip(d.get(4..)?).ok(),
        LinkType::Other(_) => None,
    }
}

/// The TCP header of `p`, if it is an unfragmented TCP packet whose header
/// and options were captured whole.
pub fn tcp_of(p: &RawPacket) -> Option<TcpHeader<'_>> {
    let s = sliced(p.link, &p.data)?;
    let (saddr, daddr) = match s.net? {
        NetSlice::Ipv4(ip) => (IpAddr::V4(ip.header().source_addr()), IpAddr::V4(ip.header().destination_addr())),
        NetSlice::Ipv6(ip) => (IpAddr::V6(ip.header().source_addr()), IpAddr::V6(ip.header().destination_addr())),
        _ => return None,
    };
    let TransportSlice::Tcp(tcp) = s.transport? else { return None };
    // The header up to its data offset, with the packet's lifetime.
    let options = tcp.header_slice().get(20..)?;
    Some(TcpHeader { saddr, daddr, sport: tcp.source_port(), dport: tcp.destination_port(), options })
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
