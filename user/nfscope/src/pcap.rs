//! `--pcap FILE`: dropped packets as pcapng, for Wireshark and tshark.
//!
//! Each drop record that carries packet bytes becomes one Enhanced Packet
//! Block (raw IP link type: the bytes start at the network header), with
//! the record's words in its comment: reason, location, hook and
//! namespace, as the text output says them. Each (namespace, interface)
//! gets its own Interface Description Block named after the interface
//! (asked in that namespace), described by its namespace.

use crate::netns::{self, Netns};
use anyhow::{Context, Result};
use nfscope_events::DropRecord;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;

/// Packet bytes per record: the default, and the most the module copies.
pub const SNAPLEN_DEFAULT: u16 = 256;
pub const SNAPLEN_MAX: u16 = nfscope_codec::uapi::NFSCOPE_SNAPLEN_MAX as u16;

/// `--pcap FILE --snaplen N`, shared by the module's and the BPF tracers' watches.
#[derive(clap::Args, Clone, Default)]
pub struct PcapArgs {
    /// Also write each dropped IP packet to FILE as pcapng (raw IP from
    /// the network header; reason, location, hook and netns in each
    /// packet's comment). Resets are not in it.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<std::path::PathBuf>,
    /// With --pcap: bytes per packet, copied in the kernel (1..256).
    #[arg(long, default_value_t = SNAPLEN_DEFAULT, value_parser = clap::value_parser!(u16).range(1..=SNAPLEN_MAX as i64), requires = "pcap")]
    pub snaplen: u16,
}

impl PcapArgs {
    /// The pcap asked for, created (None: no --pcap).
    pub fn create(&self) -> Result<Option<DropPcap<BufWriter<File>>>> {
        self.pcap.as_deref().map(|p| DropPcap::create(p, self.snaplen)).transpose()
    }

    /// After the watch that wrote `pcap`: if it failed before writing a
    /// packet (the module absent, a filter refused), the file, which holds
    /// nothing but headers, is removed rather than left behind.
    pub fn finish<W: Write>(&self, pcap: Option<&DropPcap<W>>, result: Result<()>) -> Result<()> {
        if let (Err(_), Some(path), Some(0)) = (&result, &self.pcap, pcap.map(|p| p.written)) {
            if let Err(e) = std::fs::remove_file(path) {
                eprintln!("nfscope: could not remove the empty {}: {e}", path.display());
            }
        }
        result
    }
}

/// A pcapng file being written.
pub struct DropPcap<W: Write> {
    writer: PcapNgWriter<W>,
    snaplen: u16,
    /// Interface block index by (netns inode, ifindex).
    interfaces: HashMap<(u32, u32), u32>,
    /// Namespaces that can be joined to name interfaces (read once, again
    /// when an unknown one shows up).
    namespaces: BTreeMap<u32, Netns>,
    /// Packets written, and drop records that came without bytes (not IP).
    pub written: u64,
    pub without_bytes: u64,
}

impl DropPcap<BufWriter<File>> {
    pub fn create(path: &Path, snaplen: u16) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Self::new(BufWriter::new(file), snaplen)
    }
}

impl<W: Write> DropPcap<W> {
    pub fn new(out: W, snaplen: u16) -> Result<Self> {
        let writer = PcapNgWriter::new(out).context("writing the pcapng section header")?;
        Ok(Self { writer, snaplen, interfaces: HashMap::new(), namespaces: BTreeMap::new(), written: 0, without_bytes: 0 })
    }

    /// The interface's name in its namespace, if it can be asked.
    fn ifname(&mut self, netns: u32, ifindex: u32) -> Option<String> {
        if !self.namespaces.contains_key(&netns) {
            self.namespaces = netns::namespaces();
        }
        let ns = self.namespaces.get(&netns)?;
        let name = netns::in_netns(ns, || nix::net::if_::if_indextoname(ifindex)).ok()??.ok()?;
        Some(name.to_string_lossy().into_owned())
    }

    fn interface(&mut self, r: &DropRecord, netns_text: &str) -> Result<u32> {
        let key = (r.netns, r.ifindex);
        if let Some(&id) = self.interfaces.get(&key) {
            return Ok(id);
        }
        let name = match r.ifindex {
            0 => "none".to_string(),
            i => self.ifname(r.netns, i).unwrap_or_else(|| format!("if{i}")),
        };
        let idb = InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: u32::from(self.snaplen),
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(name)),
                InterfaceDescriptionOption::IfDescription(Cow::Owned(format!("netns {netns_text} ifindex {}", r.ifindex))),
                // Nanosecond timestamps, as records carry them.
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        self.writer.write_pcapng_block(idb).context("writing a pcapng interface block")?;
        let id = self.interfaces.len() as u32;
        self.interfaces.insert(key, id);
        Ok(id)
    }

    /// Writes `r` if it carries packet bytes. `netns_text` is the namespace
    /// as the text output shows it (`inode (name)`).
    pub fn record(&mut self, r: &DropRecord, netns_text: &str) -> Result<()> {
        let Some(bytes) = r.packet.as_deref() else {
            self.without_bytes += 1;
            return Ok(());
        };
        let interface_id = self.interface(r, netns_text)?;
        let hook = r.hook.as_ref().map(|h| format!(" hook {}", crate::output::hook_text(h))).unwrap_or_default();
        let comment = format!("drop {} at {}{hook} netns {netns_text}", r.reason_name, r.location);
        let epb = EnhancedPacketBlock {
            interface_id,
            timestamp: Duration::from_nanos(r.time_ns),
            // What the packet measured from its network header is not in
            // the record; at least what was captured.
            original_len: (bytes.len() as u32).max(ip_total_len(bytes).unwrap_or(0)),
            data: Cow::Borrowed(bytes),
            options: vec![EnhancedPacketOption::Comment(Cow::Owned(comment))],
        };
        self.writer.write_pcapng_block(epb).context("writing a pcapng packet block")?;
        self.written += 1;
        Ok(())
    }

    pub fn snaplen(&self) -> u16 {
        self.snaplen
    }

    pub fn flush(&mut self) -> Result<()> {
        self.writer.get_mut().flush().context("writing the pcapng file")
    }
}

/// The length an IPv4 or IPv6 header says the packet has.
fn ip_total_len(b: &[u8]) -> Option<u32> {
    match b.first()? >> 4 {
        4 => Some(u32::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]))),
        6 => Some(40 + u32::from(u16::from_be_bytes([*b.get(4)?, *b.get(5)?]))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(packet: Option<Vec<u8>>) -> DropRecord {
        DropRecord {
            time_ns: 1_700_000_000_123_456_789,
            cpu: 0,
            pid: 1,
            comm: "x".into(),
            netns: 4026532300,
            ifindex: 0,
            l3proto: 0x800,
            protocol: Some("udp".into()),
            saddr: Some("198.18.1.1".parse().unwrap()),
            daddr: Some("198.18.1.2".parse().unwrap()),
            sport: Some(40000),
            dport: Some(7777),
            tcp_flags: None,
            len: 29,
            reason: 6,
            reason_name: "NETFILTER_DROP".into(),
            tcp_state: None,
            location: "nf_hook_slow+0x42/0x100".into(),
            hook: None,
            stack: vec![],
            packet,
        }
    }

    /// An IPv4/UDP datagram 198.18.1.1:40000 > 198.18.1.2:7777 with one byte.
    fn datagram() -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 1, 1, 198, 18, 1, 2];
        p.extend_from_slice(&[0x9c, 0x40, 0x1e, 0x61, 0, 9, 0, 0, b'x']);
        p
    }

    #[test]
    fn drops_with_bytes_become_commented_packets() {
        let mut buf = Vec::new();
        let mut pcap = DropPcap::new(&mut buf, 256).unwrap();
        pcap.record(&record(Some(datagram())), "4026532300 (b)").unwrap();
        pcap.record(&record(None), "4026532300 (b)").unwrap();
        pcap.record(&record(Some(datagram())), "4026532300 (b)").unwrap();
        assert_eq!((pcap.written, pcap.without_bytes), (2, 1));
        pcap.flush().unwrap();
        drop(pcap);

        // Read back with the same crate: one interface, two packets.
        let mut reader = pcap_file::pcapng::PcapNgReader::new(&buf[..]).unwrap();
        let mut packets = Vec::new();
        let mut interfaces = Vec::new();
        while let Some(block) = reader.next_block() {
            match block.unwrap() {
                pcap_file::pcapng::Block::InterfaceDescription(i) => interfaces.push(i.into_owned()),
                pcap_file::pcapng::Block::EnhancedPacket(p) => packets.push(p.into_owned()),
                _ => {}
            }
        }
        assert_eq!(interfaces.len(), 1);
        assert_eq!(interfaces[0].linktype, DataLink::RAW);
        assert!(interfaces[0].options.contains(&InterfaceDescriptionOption::IfName("none".into())));
        assert_eq!(packets.len(), 2);
        assert_eq!(packets[0].data.as_ref(), &datagram()[..]);
        assert_eq!(packets[0].original_len, 29);
        assert_eq!(packets[0].timestamp, Duration::from_nanos(1_700_000_000_123_456_789));
        assert_eq!(
            packets[0].options,
            vec![EnhancedPacketOption::Comment("drop NETFILTER_DROP at nf_hook_slow+0x42/0x100 netns 4026532300 (b)".into())]
        );
    }

    #[test]
    fn a_failed_watch_leaves_no_empty_pcap() {
        let dir = std::env::temp_dir().join(format!("nfscope-pcap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let args = |name: &str| PcapArgs { pcap: Some(dir.join(name)), snaplen: SNAPLEN_DEFAULT };
        let failed = || Err(anyhow::anyhow!("module not loaded"));
        // Failed before a packet: the header-only file goes, the error stays.
        let a = args("failed.pcapng");
        let pcap = a.create().unwrap();
        assert!(dir.join("failed.pcapng").exists());
        assert!(a.finish(pcap.as_ref(), failed()).is_err());
        assert!(!dir.join("failed.pcapng").exists());
        // Failed after packets: kept.
        let b = args("partial.pcapng");
        let mut pcap = b.create().unwrap();
        pcap.as_mut().unwrap().record(&record(Some(datagram())), "b").unwrap();
        assert!(b.finish(pcap.as_ref(), failed()).is_err());
        assert!(dir.join("partial.pcapng").exists());
        // Ended well with no drops: an empty capture is still the answer.
        let c = args("quiet.pcapng");
        let pcap = c.create().unwrap();
        assert!(c.finish(pcap.as_ref(), Ok(())).is_ok());
        assert!(dir.join("quiet.pcapng").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
