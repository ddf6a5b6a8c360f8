//! pcap (libpcap) and pcapng files, read with the `pcap-file` crate.

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::{Block, PcapNgParser};

/// Link-layer header types (LINKTYPE_*) nfscope understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    Null,
    Ethernet,
    Raw,
    Ipv4,
    Ipv6,
    LinuxSll,
    LinuxSll2,
    Other(u32),
}

impl LinkType {
    fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::Null,
            1 => Self::Ethernet,
            101 => Self::Raw,
            228 => Self::Ipv4,
            229 => Self::Ipv6,
            113 => Self::LinuxSll,
            276 => Self::LinuxSll2,
            n => Self::Other(n),
        }
    }
}

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPacket {
    /// 1-based position in the file.
    pub index: usize,
    pub link: LinkType,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng file (magic {0:08x})")]
    BadMagic(u32),
    #[error("truncated capture: {0}")]
    Truncated(&'static str),
    #[error("malformed pcapng block: {0}")]
    BadBlock(&'static str),
    #[error("{0}")]
    Format(pcap_file::PcapError),
}

impl From<pcap_file::PcapError> for CaptureError {
    fn from(e: pcap_file::PcapError) -> Self {
        match e {
            pcap_file::PcapError::IncompleteBuffer => CaptureError::Truncated("a record or block is cut short"),
            e => CaptureError::Format(e),
        }
    }
}

/// Reads every packet of a pcap or pcapng file (with `pcap-file`).
pub fn read_capture(buf: &[u8]) -> Result<Vec<RawPacket>, CaptureError> {
    let magic = buf.get(..4).map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]])).ok_or(CaptureError::Truncated("magic"))?;
    match magic {
        0xa1b2c3d4 | 0xa1b23c4d | 0xd4c3b2a1 | 0x4d3cb2a1 => read_pcap(buf),
        0x0a0d0d0a => read_pcapng(buf),
        m => Err(CaptureError::BadMagic(m)),
    }
}

fn read_pcap(buf: &[u8]) -> Result<Vec<RawPacket>, CaptureError> {
    let (mut rest, parser) = PcapParser::new(buf)?;
    let link = LinkType::from_u32(u32::from(parser.header().datalink));
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (next, packet) = parser.next_packet(rest)?;
        out.push(RawPacket { index: out.len() + 1, link, data: packet.data.into_owned() });
        rest = next;
    }
    Ok(out)
}

fn read_pcapng(buf: &[u8]) -> Result<Vec<RawPacket>, CaptureError> {
    let (mut rest, mut parser) = PcapNgParser::new(buf)?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (next, block) = parser.next_block(rest)?;
        rest = next;
        let (iface, data) = match block {
            Block::EnhancedPacket(p) => (p.interface_id as usize, p.data),
            // Interface 0; the captured bytes are the block's.
            Block::SimplePacket(p) => (0, p.data),
            _ => continue,
        };
        let link = parser.interfaces().get(iface).ok_or(CaptureError::BadBlock("a packet of an unknown interface"))?.linktype;
        out.push(RawPacket { index: out.len() + 1, link: LinkType::from_u32(u32::from(link)), data: data.into_owned() });
    }
    Ok(out)
}
