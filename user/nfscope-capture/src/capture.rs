//! pcap (libpcap) and pcapng files.

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
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], CaptureError> {
        let s = self.buf.get(self.pos..self.pos + n).ok_or(CaptureError::Truncated(what))?;
        self.pos += n;
        Ok(s)
    }

    fn u16_at(&self, b: &[u8]) -> u16 {
        let b = [b[0], b[1]];
        if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) }
    }

    fn u32_at(&self, b: &[u8]) -> u32 {
        let b = [b[0], b[1], b[2], b[3]];
        if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// Reads every packet of a pcap or pcapng file.
pub fn read_capture(buf: &[u8]) -> Result<Vec<RawPacket>, CaptureError> {
    let magic = buf.get(..4).map(|m| u32::from_le_bytes(m.try_into().unwrap())).ok_or(CaptureError::Truncated("magic"))?;
    match magic {
        0xa1b2c3d4 | 0xa1b23c4d => read_pcap(buf, false),
        0xd4c3b2a1 | 0x4d3cb2a1 => read_pcap(buf, true),
        0x0a0d0d0a => read_pcapng(buf),
        m => Err(CaptureError::BadMagic(m)),
    }
}

fn read_pcap(buf: &[u8], big_endian: bool) -> Result<Vec<RawPacket>, CaptureError> {
    let mut r = Reader { buf, pos: 0, big_endian };
    let hdr = r.take(24, "pcap header")?;
    let link = LinkType::from_u32(r.u32_at(&hdr[20..24]) & 0x0fff_ffff);
    let mut out = Vec::new();
    while !r.done() {
        let rec = r.take(16, "record header")?;
        let caplen = r.u32_at(&rec[8..12]) as usize;
        let data = r.take(caplen, "packet data")?;
        out.push(RawPacket { index: out.len() + 1, link, data: data.to_vec() });
    }
    Ok(out)
}

fn read_pcapng(buf: &[u8]) -> Result<Vec<RawPacket>, CaptureError> {
    let mut r = Reader { buf, pos: 0, big_endian: false };
    let mut links: Vec<LinkType> = Vec::new();
    let mut out = Vec::new();
    while !r.done() {
        let start = r.pos;
        let head = r.take(8, "block header")?;
        let kind = u32::from_le_bytes(head[0..4].try_into().unwrap());
        if kind == 0x0a0d0d0a {
            // Section header: its byte-order magic decides the endianness.
            let bom = r.take(4, "byte-order magic")?;
            r.big_endian = match bom {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                _ => return Err(CaptureError::BadBlock("section byte-order magic")),
            };
            links.clear();
        }
        let len = r.u32_at(&head[4..8]) as usize;
        if len < 12 || !len.is_multiple_of(4) {
            return Err(CaptureError::BadBlock("block length"));
        }
        let block = buf.get(start..start + len).ok_or(CaptureError::Truncated("block"))?;
        let body = &block[8..len - 4];
        match r.u32_at(&head[0..4]) {
            // Interface description: link type.
            1 => {
                let lt = body.get(..2).ok_or(CaptureError::BadBlock("interface block"))?;
                links.push(LinkType::from_u32(u32::from(r.u16_at(lt))));
            }
            // Enhanced packet.
            6 => {
                let h = body.get(..20).ok_or(CaptureError::BadBlock("enhanced packet block"))?;
                let iface = r.u32_at(&h[0..4]) as usize;
                let caplen = r.u32_at(&h[12..16]) as usize;
                let data = body.get(20..20 + caplen).ok_or(CaptureError::BadBlock("packet length"))?;
                let link = *links.get(iface).ok_or(CaptureError::BadBlock("unknown interface"))?;
                out.push(RawPacket { index: out.len() + 1, link, data: data.to_vec() });
            }
            // Simple packet: interface 0, captured length up to the block.
            3 => {
                let h = body.get(..4).ok_or(CaptureError::BadBlock("simple packet block"))?;
                let orig = r.u32_at(h) as usize;
                let data = &body[4..];
                let data = &data[..orig.min(data.len())];
                let link = *links.first().ok_or(CaptureError::BadBlock("no interface"))?;
                out.push(RawPacket { index: out.len() + 1, link, data: data.to_vec() });
            }
            _ => {}
        }
        r.pos = start + len;
    }
    Ok(out)
}
