//! Capture files built byte by byte (pcap both byte orders, pcapng, several
//! link types) decode to the right TOA records; junk never panics.

use nfscope_capture::{decode_toa, read_capture, LinkType};
use nfscope_codec::toa::KindTable;

fn tcp_ipv4(opts: &[u8]) -> Vec<u8> {
    let doff = (20 + opts.len()) / 4;
    let mut tcp = vec![0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, (doff as u8) << 4, 0x02, 0xff, 0xff, 0, 0, 0, 0];
    tcp.extend_from_slice(opts);
    let total = 20 + tcp.len();
    let mut ip = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 18, 2, 1, 198, 18, 2, 2];
    ip.extend_from_slice(&tcp);
    ip
}

fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(ip);
    f
}

fn pcap(link: u32, frames: &[Vec<u8>], big: bool) -> Vec<u8> {
    let w32 = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
    let w16 = |v: u16| if big { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut f = Vec::new();
    f.extend_from_slice(&w32(0xa1b2c3d4));
    f.extend_from_slice(&w16(2));
    f.extend_from_slice(&w16(4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&w32(65535));
    f.extend_from_slice(&w32(link));
    for d in frames {
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&w32(d.len() as u32));
        f.extend_from_slice(&w32(d.len() as u32));
        f.extend_from_slice(d);
    }
    f
}

fn pcapng(link: u16, frames: &[Vec<u8>]) -> Vec<u8> {
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        body.resize(body.len().div_ceil(4) * 4, 0);
        let len = (12 + body.len()) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    let mut f = block(0x0a0d0d0a, &shb);
    let mut idb = link.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 0]);
    f.extend(block(1, &idb));
    for d in frames {
        let mut epb = vec![0u8; 12];
        epb.extend_from_slice(&(d.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(d.len() as u32).to_le_bytes());
        epb.extend_from_slice(d);
        f.extend(block(6, &epb));
    }
    f
}

const TOA200: [u8; 8] = [0xc8, 0x08, 0x30, 0x39, 0x0a, 0x0a, 0x01, 0x01];

#[test]
fn pcap_ethernet_both_byte_orders() {
    let frames = vec![ethernet(&tcp_ipv4(&[])), ethernet(&tcp_ipv4(&TOA200))];
    for big in [false, true] {
        let pkts = read_capture(&pcap(1, &frames, big)).unwrap();
        assert_eq!(pkts.len(), 2);
        assert_eq!(pkts[0].link, LinkType::Ethernet);
        let recs: Vec<_> = pkts.iter().filter_map(|p| decode_toa(p, &KindTable::default())).collect();
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!((r.packet, r.kind, r.len), (2, 200, 8));
        assert_eq!((r.saddr.to_string(), r.sport, r.daddr.to_string(), r.dport), ("198.18.2.1".into(), 40000, "198.18.2.2".into(), 80));
        assert_eq!((r.client_addr.to_string(), r.client_port), ("10.10.1.1".into(), Some(12345)));
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["client_addr"], "10.10.1.1");
        assert!(json.get("vip_addr").is_none());
    }
}

#[test]
fn pcapng_raw_ip_with_cdn_option() {
    let mut opts = vec![0x1c, 0x07, 0x01, 0xcb, 0x00, 0x71, 0x05];
    opts.push(0);
    let pkts = read_capture(&pcapng(101, &[tcp_ipv4(&opts)])).unwrap();
    let r = decode_toa(&pkts[0], &KindTable::default()).unwrap();
    assert_eq!((r.client_addr.to_string(), r.client_port), ("203.0.113.5".into(), None));
    assert_eq!(serde_json::to_value(&r).unwrap()["client_port"], serde_json::Value::Null);
}

#[test]
fn malformed_options_and_junk_give_no_record() {
    let bad = tcp_ipv4(&[0xfe, 0x00, 0, 0]);
    let pkts = read_capture(&pcap(101, &[bad, vec![0x45], vec![]], false)).unwrap();
    assert!(pkts.iter().all(|p| decode_toa(p, &KindTable::default()).is_none()));
    assert!(read_capture(b"not a capture").is_err());
    let mut truncated = pcap(1, &[ethernet(&tcp_ipv4(&TOA200))], false);
    truncated.truncate(truncated.len() - 3);
    assert!(read_capture(&truncated).is_err());
}

fn tcp_ipv6_hop_by_hop(opts: &[u8]) -> Vec<u8> {
    let doff = (20 + opts.len()) / 4;
    let mut tcp = vec![0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, (doff as u8) << 4, 0x02, 0xff, 0xff, 0, 0, 0, 0];
    tcp.extend_from_slice(opts);
    // A hop-by-hop header (8 bytes: next header TCP, length 0, PadN) before TCP.
    let ext = [6u8, 0, 1, 4, 0, 0, 0, 0];
    let plen = (ext.len() + tcp.len()) as u16;
    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend_from_slice(&plen.to_be_bytes());
    ip.extend_from_slice(&[0, 64]);
    ip.extend_from_slice(&"2001:db8:2::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    ip.extend_from_slice(&"2001:db8:2::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    ip.extend_from_slice(&ext);
    ip.extend_from_slice(&tcp);
    ip
}

/// Every link type tcpdump writes on Linux, IPv4 behind a VLAN tag and IPv6
/// behind an extension header: the same TOA comes out of each.
#[test]
fn link_types_vlan_and_ipv6_extension_headers() {
    let v4 = tcp_ipv4(&TOA200);
    let mut vlan = vec![0u8; 12];
    vlan.extend_from_slice(&[0x81, 0x00, 0x00, 0x07, 0x08, 0x00]);
    vlan.extend_from_slice(&v4);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&v4);
    let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
    sll2.extend_from_slice(&v4);
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(&v4);
    for (link, frame) in [(1, vlan), (113, sll), (276, sll2), (0, null), (228, v4.clone())] {
        let pkts = read_capture(&pcap(link, &[frame], false)).unwrap();
        let r = decode_toa(&pkts[0], &KindTable::default()).unwrap_or_else(|| panic!("link type {link}: no TOA"));
        assert_eq!((r.client_addr.to_string(), r.client_port, r.dport), ("10.10.1.1".into(), Some(12345), 80), "link type {link}");
    }
    // Kind 253 (IPv6 client): port 8080, client 2001:db8::7.
    let mut toa6 = vec![0xfd, 0x14, 0x1f, 0x90];
    toa6.extend_from_slice(&"2001:db8::7".parse::<std::net::Ipv6Addr>().unwrap().octets());
    let pkts = read_capture(&pcapng(229, &[tcp_ipv6_hop_by_hop(&toa6)])).unwrap();
    let r = decode_toa(&pkts[0], &KindTable::default()).expect("IPv6 with a hop-by-hop header");
    assert_eq!((r.saddr.to_string(), r.client_addr.to_string(), r.client_port), ("2001:db8:2::1".into(), "2001:db8::7".into(), Some(8080)));
}
