//! TOA codec: the vectors of DESIGN §7, every layout, malformed inputs, and
//! properties over arbitrary option bytes.

use nfscope_codec::toa::{has_toa_kind, parse_toa, tcp_options, KindTable, KindTableError, Layout, Toa, ToaError};
use proptest::prelude::*;
use std::net::IpAddr;

fn parse(opts: &[u8]) -> Result<Option<Toa>, ToaError> {
    parse_toa(opts, &KindTable::default())
}

fn client(opts: &[u8]) -> (IpAddr, Option<u16>) {
    let t = parse(opts).unwrap().expect("a TOA");
    (t.client, t.client_port)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn design_vectors() {
    assert_eq!(client(&[0xc8, 0x08, 0x30, 0x39, 0x0a, 0x0a, 0x01, 0x01]), (ip("10.10.1.1"), Some(12345)));
    assert_eq!(client(&[0xfe, 0x08, 0x05, 0x22, 0x7f, 0x00, 0x00, 0x01]), (ip("127.0.0.1"), Some(1314)));
    assert_eq!(client(&[0xc8, 0x08, 0x00, 0x50, 0x08, 0x08, 0x08, 0x08]), (ip("8.8.8.8"), Some(80)));
    let v6 = [
        0xfd, 0x14, 0x01, 0xbb, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42,
    ];
    assert_eq!(client(&v6), (ip("2001:db8::42"), Some(443)));
    assert_eq!(client(&[0x1c, 0x07, 0x01, 0xcb, 0x00, 0x71, 0x05]), (ip("203.0.113.5"), None));
}

#[test]
fn kind_set_lists_configured_kinds() {
    let set = KindTable::default().kind_set();
    for kind in [254u8, 253, 200, 252, 249, 201, 28] {
        assert!(set[kind as usize / 64] & 1 << (kind % 64) != 0, "kind {kind}");
    }
    assert_eq!(set.iter().map(|w| w.count_ones()).sum::<u32>(), 7);
    // Timestamps (8) and SACK-permitted (4): not TOA kinds.
    assert_eq!(has_toa_kind(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 4, 2], &set), Ok(false));
    assert_eq!(has_toa_kind(&[1, 1, 254, 8, 0, 80, 1, 2, 3, 4], &set), Ok(true));
    assert_eq!(has_toa_kind(&[8, 20, 0], &set), Err(ToaError::OptionList));
}

#[test]
fn tfo_cookie_is_not_toa() {
    assert_eq!(parse(&[0xfe, 0x08, 0xf9, 0x89, 1, 2, 3, 4]), Ok(None));
    assert_eq!(parse(&[0xfd, 0x08, 0xf9, 0x89, 1, 2, 3, 4]), Ok(None));
}

#[test]
fn first_client_option_wins() {
    let opts = [0xfe, 0x08, 0x05, 0x22, 0x7f, 0, 0, 1, 0xc8, 0x08, 0x00, 0x50, 8, 8, 8, 8];
    let t = parse(&opts).unwrap().unwrap();
    assert_eq!((t.kind, t.client, t.client_port), (254, ip("127.0.0.1"), Some(1314)));
}

#[test]
fn options_around_toa_are_walked() {
    // MSS, NOP, NOP, SACK-permitted, then TOA, then EOL and garbage.
    let opts = [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 0xc8, 0x08, 0x30, 0x39, 10, 10, 1, 1, 0, 0xff, 0xff];
    assert_eq!(client(&opts), (ip("10.10.1.1"), Some(12345)));
    // After EOL nothing counts, even a TOA.
    assert_eq!(parse(&[0, 0xc8, 0x08, 0x30, 0x39, 10, 10, 1, 1]), Ok(None));
    assert_eq!(parse(&[2, 4, 5, 0xb4, 1, 1, 1, 1]), Ok(None));
    assert_eq!(parse(&[]), Ok(None));
}

#[test]
fn bytedance_client_and_vip() {
    let opts = [0xfe, 16, 0x30, 0x39, 10, 0, 0, 1, 0, 0, 0x01, 0xbb, 192, 0, 2, 7];
    let t = parse(&opts).unwrap().unwrap();
    assert_eq!(t.layout, Layout::ClientVip4);
    assert_eq!((t.client, t.client_port), (ip("10.0.0.1"), Some(12345)));
    assert_eq!((t.vip, t.vip_port), (Some(ip("192.0.2.7")), Some(443)));
}

#[test]
fn alibaba_vtoa4_and_v6() {
    let v4 = [252, 20, 0x30, 0x39, 10, 0, 0, 1, 0, 0, 0x12, 0x34, 192, 0, 2, 7, 0x01, 0xbb, 0, 0];
    let t = parse(&v4).unwrap().unwrap();
    assert_eq!((t.layout, t.client, t.client_port), (Layout::AliVtoa4, ip("10.0.0.1"), Some(12345)));
    assert_eq!((t.vip, t.vip_port, t.vpc_id), (Some(ip("192.0.2.7")), Some(443), Some(0x1234)));

    let mut v6 = vec![249, 40, 0x30, 0x39];
    v6.extend_from_slice(&ip6_bytes("2001:db8::1"));
    v6.extend_from_slice(&[0x01, 0x02, 0x03, 0]);
    v6.extend_from_slice(&ip6_bytes("2001:db8::ff"));
    let t = parse(&v6).unwrap().unwrap();
    assert_eq!((t.layout, t.client, t.client_port), (Layout::AliVtoa6, ip("2001:db8::1"), Some(12345)));
    assert_eq!((t.vip, t.vpc_id), (Some(ip("2001:db8::ff")), Some(0x010203)));
}

fn ip6_bytes(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

#[test]
fn tencent_vpc_id_joins_the_client() {
    let opts = [201, 6, 0, 0, 0x30, 0x39, 200, 8, 0x00, 0x50, 8, 8, 8, 8];
    let t = parse(&opts).unwrap().unwrap();
    assert_eq!((t.kind, t.client, t.vpc_id), (200, ip("8.8.8.8"), Some(12345)));
    // A VPC id alone is not a client.
    assert_eq!(parse(&[201, 6, 0, 0, 0, 1]), Ok(None));
}

#[test]
fn cdn_v6_and_bad_version() {
    let mut o = vec![28, 19, 2];
    o.extend_from_slice(&ip6_bytes("2001:db8::5"));
    assert_eq!(client(&o), (ip("2001:db8::5"), None));
    assert_eq!(parse(&[28, 7, 3, 1, 2, 3, 4]), Err(ToaError::Version { kind: 28 }));
    assert_eq!(parse(&[28, 7, 2, 1, 2, 3, 4]), Err(ToaError::Version { kind: 28 }));
}

#[test]
fn malformed_option_lists() {
    // Length 0 and 1, a length past the end, a kind with no length byte.
    assert_eq!(parse(&[0xfe, 0]), Err(ToaError::OptionList));
    assert_eq!(parse(&[0xfe, 1, 0, 0]), Err(ToaError::OptionList));
    assert_eq!(parse(&[0xfe, 8, 5, 0x22, 127, 0]), Err(ToaError::OptionList));
    assert_eq!(parse(&[2]), Err(ToaError::OptionList));
    // A TOA kind with a length none of its layouts has.
    assert_eq!(parse(&[200, 6, 0, 80, 8, 8]), Err(ToaError::Length { kind: 200, len: 6 }));
    // Even after a good TOA, a broken list makes the packet malformed.
    assert_eq!(parse(&[200, 8, 0, 80, 8, 8, 8, 8, 0xfe, 0]), Err(ToaError::OptionList));
}

#[test]
fn kinds_are_configurable() {
    let opts = [230, 8, 0x30, 0x39, 10, 10, 1, 1];
    assert_eq!(parse(&opts), Ok(None));
    let mut kinds = KindTable::default();
    kinds.allow(230, Layout::Port4).unwrap();
    assert_eq!(parse_toa(&opts, &kinds).unwrap().unwrap().client, ip("10.10.1.1"));
    kinds.clear(200);
    assert_eq!(parse_toa(&[200, 8, 0, 80, 8, 8, 8, 8], &kinds), Ok(None));
    assert_eq!(kinds.allow(1, Layout::Port4), Err(KindTableError::ReservedKind));
    // Port6 and AliVtoa4 are both 20 bytes long: one kind cannot carry both.
    assert_eq!(kinds.allow(254, Layout::AliVtoa4), Err(KindTableError::AmbiguousLength));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Any bytes: no panic, and the option walk never yields data past the input.
    #[test]
    fn arbitrary_options_never_panic(opts in proptest::collection::vec(any::<u8>(), 0..60)) {
        let _ = parse(&opts);
        let mut total = 0;
        for o in tcp_options(&opts) {
            match o {
                Ok(o) => total += o.data.len() + 2,
                Err(_) => break,
            }
        }
        prop_assert!(total <= opts.len());
    }

    /// The fast path agrees with the full decode: no TOA kind present means
    /// no TOA, a broken list fails both.
    #[test]
    fn kind_scan_agrees_with_parse(opts in proptest::collection::vec(any::<u8>(), 0..60)) {
        let kinds = KindTable::default();
        match has_toa_kind(&opts, &kinds.kind_set()) {
            Ok(false) => prop_assert_eq!(parse_toa(&opts, &kinds), Ok(None)),
            Ok(true) => {}
            Err(e) => prop_assert_eq!(parse_toa(&opts, &kinds), Err(e)),
        }
    }

    /// Every Port4 option round-trips, wherever it sits among NOPs.
    #[test]
    fn port4_round_trips(port: u16, addr: [u8; 4], nops in 0usize..8, kind in prop::sample::select(vec![200u8, 254])) {
        prop_assume!(!(kind == 254 && port == 0xf989));
        let mut opts = vec![1u8; nops];
        opts.extend_from_slice(&[kind, 8]);
        opts.extend_from_slice(&port.to_be_bytes());
        opts.extend_from_slice(&addr);
        let t = parse(&opts).unwrap().unwrap();
        prop_assert_eq!(t.client, IpAddr::from(addr));
        prop_assert_eq!(t.client_port, Some(port));
    }

    /// Truncating a valid TOA option anywhere makes the list malformed, never a wrong address.
    #[test]
    fn truncation_is_malformed(cut in 1usize..8, addr: [u8; 4]) {
        let mut opts = vec![200u8, 8, 0x30, 0x39];
        opts.extend_from_slice(&addr);
        opts.truncate(8 - cut);
        prop_assert!(parse(&opts).is_err());
    }
}
