// SPDX-License-Identifier: GPL-2.0

//! Unit and property tests of the module files `lib.rs` includes.

use crate::drops::config::{bit, Config, ConfigCell, Subject, REASON_BITS, REASON_WORDS};
use crate::headers::{AF_INET, AF_INET6};
use crate::sort::sort_by_key;
use crate::trust::{default_trust, Cidr, MAX_TRUST};
use crate::uapi;
use crate::wrap::params::set_toa_trust;
use proptest::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

fn arb_config() -> impl Strategy<Value = Config> {
    (
        (any::<u32>(), any::<bool>(), any::<u32>(), any::<u8>(), any::<u8>(), any::<[u8; 16]>(), any::<u8>()),
        (any::<u16>(), any::<u8>(), any::<[u64; REASON_WORDS]>(), any::<[u64; REASON_WORDS]>()),
        (any::<u32>(), any::<u32>(), any::<u8>(), any::<u16>()),
    )
        .prop_map(|((probes, records, netns, l4proto, family, addr, prefix), (port, hook, reasons, exclude), (sample, rate, depth, snaplen))| Config {
            probes,
            records,
            netns,
            l4proto,
            family,
            addr,
            prefix,
            port,
            hook,
            reasons,
            exclude,
            sample,
            rate,
            depth,
            snaplen,
        })
}

/// A drop of UDP 10.0.0.1:1000 -> 10.0.0.2:53 in netns 7, reason 5, not
/// attributed to a hook.
fn udp_drop<'a>(src: &'a [u8; 16], dst: &'a [u8; 16]) -> Subject<'a> {
    Subject {
        rst: false,
        netns: 7,
        l4proto: Some(17),
        addrs: Some((AF_INET as u8, src, dst)),
        ports: Some((1000, 53)),
        reason: 5,
        hooknum: None,
    }
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut x = [0; 16];
    x[..4].copy_from_slice(&a);
    x
}

fn u128_prefix_match(a: &[u8; 16], b: &[u8; 16], bits: u8) -> bool {
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
    (u128::from_be_bytes(*a) ^ u128::from_be_bytes(*b)) & mask == 0
}

proptest! {
    /// The cell's word packing loses nothing: every field comes back.
    #[test]
    fn config_cell_round_trips(c in arb_config()) {
        let cell = ConfigCell::new(c);
        prop_assert!(cell.load() == c);
        let s = cell.switches();
        prop_assert_eq!(s.records, c.records);
        for bit in 0..32 {
            prop_assert_eq!(s.probe_on(1 << bit), c.probe_on(1 << bit));
        }
    }

    /// A store replaces the whole configuration.
    #[test]
    fn config_cell_store_replaces(a in arb_config(), b in arb_config()) {
        let cell = ConfigCell::new(a);
        cell.store(b);
        prop_assert!(cell.load() == b);
    }

    /// The address filter is a prefix match on either address (IPv6,
    /// every prefix length), as a 128-bit mask says.
    #[test]
    fn address_filter_is_a_prefix_match(net in any::<[u8; 16]>(), prefix in 0u8..=128, src in any::<[u8; 16]>(), dst in any::<[u8; 16]>()) {
        let c = Config { family: AF_INET6 as u8, addr: net, prefix, ..Config::default() };
        let s = Subject { addrs: Some((AF_INET6 as u8, &src, &dst)), ..udp_drop(&src, &dst) };
        let expect = u128_prefix_match(&src, &net, prefix) || u128_prefix_match(&dst, &net, prefix);
        prop_assert_eq!(c.matches(&s), expect);
    }

    /// A prefix contains exactly the addresses a 128-bit mask says.
    #[test]
    fn cidr_contains_is_a_prefix_match(net in any::<[u8; 16]>(), prefix in 0u8..=128, addr in any::<[u8; 16]>()) {
        let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
        let net = (u128::from_be_bytes(net) & mask).to_be_bytes();
        let c = Cidr::new(&net, prefix).unwrap();
        prop_assert_eq!(c.contains(AF_INET6, &addr), u128_prefix_match(&addr, &net, prefix));
        prop_assert!(c.contains(AF_INET6, &net));
        prop_assert!(!c.contains(AF_INET, &net));
    }

    /// The module's heapsort orders by key as the standard sort does, and
    /// keeps every element.
    #[test]
    fn heapsort_sorts_by_key(v in proptest::collection::vec((any::<u8>(), any::<u16>()), 0..200)) {
        let mut ours = v.clone();
        sort_by_key(&mut ours, |&(k, _)| std::cmp::Reverse(k));
        let mut want = v.clone();
        want.sort_by_key(|&(k, _)| std::cmp::Reverse(k));
        prop_assert_eq!(ours.iter().map(|e| e.0).collect::<Vec<_>>(), want.iter().map(|e| e.0).collect::<Vec<_>>());
        let (mut a, mut b) = (ours, v);
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
    }

    /// Reason bitmaps: a set bit is found, others are not, out of range never.
    #[test]
    fn reason_bits(reason in 0u32..REASON_BITS + 64, other in 0u32..REASON_BITS) {
        let mut map = [0u64; REASON_WORDS];
        if reason < REASON_BITS {
            map[(reason / 64) as usize] |= 1 << (reason % 64);
        }
        prop_assert_eq!(bit(&map, reason), reason < REASON_BITS);
        prop_assert_eq!(bit(&map, other), other == reason);
    }
}

#[test]
fn default_config_matches_everything_and_has_all_probes() {
    let c = Config::default();
    assert!(c.probe_on(uapi::PROBE_DROP) && c.probe_on(uapi::PROBE_RST) && c.probe_on(uapi::PROBE_HOOKS) && c.probe_on(uapi::PROBE_TOA));
    assert!(c.records);
    assert_eq!(c.sample, 1);
    assert_eq!(usize::from(c.depth), uapi::STACK_DEPTH);
    let (a, b) = (v4([10, 0, 0, 1]), v4([10, 0, 0, 2]));
    assert!(c.matches(&udp_drop(&a, &b)));
    assert!(c.matches(&Subject { l4proto: None, addrs: None, ports: None, ..udp_drop(&a, &b) }));
}

#[test]
fn each_filter_excludes_what_it_names() {
    let (a, b) = (v4([10, 0, 0, 1]), v4([10, 0, 0, 2]));
    let s = udp_drop(&a, &b);
    let d = Config::default();
    // netns
    assert!(Config { netns: 7, ..d }.matches(&s));
    assert!(!Config { netns: 8, ..d }.matches(&s));
    // protocol; a drop without a transport never matches a protocol filter
    assert!(Config { l4proto: 17, ..d }.matches(&s));
    assert!(!Config { l4proto: 6, ..d }.matches(&s));
    assert!(!Config { l4proto: 17, ..d }.matches(&Subject { l4proto: None, ..udp_drop(&a, &b) }));
    // address: source or destination, within the prefix
    // (a fn, not a closure over `d`: rustc 1.95 miscompiles that closure's MIR)
    fn net(addr: [u8; 4], prefix: u8) -> Config {
        Config { family: AF_INET as u8, addr: v4(addr), prefix, ..Config::default() }
    }
    assert!(net([10, 0, 0, 2], 32).matches(&s));
    assert!(net([10, 0, 0, 1], 32).matches(&s));
    assert!(net([10, 0, 0, 0], 24).matches(&s));
    assert!(net([10, 0, 0, 0], 31).matches(&s), "10.0.0.1 is in 10.0.0.0/31");
    assert!(!net([10, 0, 0, 4], 30).matches(&s));
    assert!(!net([10, 0, 0, 3], 32).matches(&s));
    assert!(!net([10, 0, 0, 0], 24).matches(&Subject { addrs: None, ..udp_drop(&a, &b) }));
    assert!(!Config { family: AF_INET6 as u8, ..net([10, 0, 0, 0], 8) }.matches(&s), "family must agree");
    // port: either side
    assert!(Config { port: 53, ..d }.matches(&s));
    assert!(Config { port: 1000, ..d }.matches(&s));
    assert!(!Config { port: 54, ..d }.matches(&s));
    assert!(!Config { port: 53, ..d }.matches(&Subject { ports: None, ..udp_drop(&a, &b) }));
}

#[test]
fn reason_lists_apply_to_drops_not_resets() {
    let (a, b) = (v4([10, 0, 0, 1]), v4([10, 0, 0, 2]));
    let mut only6 = [0u64; REASON_WORDS];
    only6[0] = 1 << 6;
    let mut not5 = [0u64; REASON_WORDS];
    not5[0] = 1 << 5;
    let d = Config::default();
    assert!(!Config { reasons: only6, ..d }.matches(&udp_drop(&a, &b)));
    assert!(Config { reasons: only6, ..d }.matches(&Subject { reason: 6, ..udp_drop(&a, &b) }));
    assert!(!Config { exclude: not5, ..d }.matches(&udp_drop(&a, &b)));
    assert!(Config { exclude: not5, ..d }.matches(&Subject { reason: 6, ..udp_drop(&a, &b) }));
    // A reset's "reason" is another enum: reason lists do not filter resets.
    let rst = Subject { rst: true, ..udp_drop(&a, &b) };
    assert!(Config { reasons: only6, ..d }.matches(&rst));
    assert!(Config { exclude: not5, ..d }.matches(&rst));
    // Bits past the last word are never set.
    let mut high = [0u64; REASON_WORDS];
    high[REASON_WORDS - 1] = 1 << 63;
    assert!(bit(&high, REASON_BITS - 1));
    assert!(!bit(&high, REASON_BITS));
}

#[test]
fn hook_filter_names_attribution() {
    let (a, b) = (v4([10, 0, 0, 1]), v4([10, 0, 0, 2]));
    let none = udp_drop(&a, &b);
    let local_in = Subject { hooknum: Some(1), ..udp_drop(&a, &b) };
    let f = |hook| Config { hook, ..Config::default() };
    assert!(f(uapi::HOOK_FILTER_ANY).matches(&none) && f(uapi::HOOK_FILTER_ANY).matches(&local_in));
    assert!(!f(uapi::HOOK_FILTER_NETFILTER).matches(&none) && f(uapi::HOOK_FILTER_NETFILTER).matches(&local_in));
    assert!(f(uapi::HOOK_FILTER_NONE).matches(&none) && !f(uapi::HOOK_FILTER_NONE).matches(&local_in));
    // The filter's points are NF_INET_* + 1 (PRE_ROUTING is 1).
    let point = |nf: u8| f(nf + 1);
    assert!(point(1).matches(&local_in));
    for other in [0u8, 2, 3, 4] {
        assert!(!point(other).matches(&local_in), "NF_INET {other}");
        assert!(!point(other).matches(&none));
    }
}

/// Readers running beside a writer see one stored configuration or the
/// other, never a mix of their words. The writer keeps storing until the
/// readers have loaded many times (threads may start late on a busy host).
#[test]
fn config_cell_readers_never_see_a_torn_config() {
    let a = Config { netns: 1, port: 1, addr: [0x11; 16], reasons: [1; REASON_WORDS], snaplen: 1, ..Config::default() };
    let b = Config { netns: 2, port: 2, addr: [0x22; 16], reasons: [2; REASON_WORDS], snaplen: 2, records: false, ..Config::default() };
    let cell = Arc::new(ConfigCell::new(a));
    let stop = Arc::new(AtomicBool::new(false));
    let loads = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (cell, stop, loads) = (cell.clone(), stop.clone(), loads.clone());
            std::thread::spawn(move || {
                let mut seen = [0u64; 2];
                while !stop.load(Ordering::Relaxed) {
                    let c = cell.load();
                    assert!(c == a || c == b, "torn configuration");
                    seen[usize::from(c == b)] += 1;
                    loads.fetch_add(1, Ordering::Relaxed);
                }
                seen
            })
        })
        .collect();
    let mut stores = 0u64;
    while stores < 200_000 || loads.load(Ordering::Relaxed) < 30_000 {
        cell.store(if stores % 2 == 0 { b } else { a });
        stores += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let seen: Vec<[u64; 2]> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    let total: u64 = seen.iter().flatten().sum();
    assert!(total >= 30_000, "readers loaded {total} times");
}

#[test]
fn cidr_new_refuses_bad_prefixes() {
    assert!(Cidr::new(&[10, 0, 0, 0], 8).is_ok());
    assert!(Cidr::new(&[0; 16], 0).is_ok());
    assert_eq!(Cidr::new(&[10, 0, 0], 8).unwrap_err().to_str().unwrap(), "address must be 4 (IPv4) or 16 (IPv6) bytes");
    assert_eq!(Cidr::new(&[10, 0, 0, 0], 33).unwrap_err().to_str().unwrap(), "prefix length too long for the address family");
    assert!(Cidr::new(&[0; 16], 129).is_err());
    assert_eq!(Cidr::new(&[10, 0, 0, 1], 24).unwrap_err().to_str().unwrap(), "address has bits set past the prefix length");
    assert!(Cidr::new(&[10, 0, 0, 128], 24).is_err());
    assert!(Cidr::new(&[10, 0, 0, 128], 25).is_ok());
}

#[test]
fn cidr_parse() {
    let c = Cidr::parse("10.0.0.0/8").unwrap();
    assert_eq!((c.family, c.prefix, &c.addr[..4]), (AF_INET, 8, &[10, 0, 0, 0][..]));
    assert!(c.contains(AF_INET, &v4([10, 255, 1, 2])));
    assert!(!c.contains(AF_INET, &v4([11, 0, 0, 0])));
    let host = Cidr::parse("192.168.1.1").unwrap();
    assert_eq!(host.prefix, 32);
    assert!(host.contains(AF_INET, &v4([192, 168, 1, 1])) && !host.contains(AF_INET, &v4([192, 168, 1, 2])));
    let v6 = Cidr::parse("fd00::/8").unwrap();
    assert_eq!((v6.family, v6.prefix, v6.addr[0]), (AF_INET6, 8, 0xfd));
    assert_eq!(Cidr::parse("::1").unwrap().prefix, 128);
    for bad in ["", "10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0", "fd00::/129", "host", "10.0.0.0/8/8"] {
        assert!(Cidr::parse(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn default_trust_reads_the_parameter() {
    set_toa_trust("");
    assert!(default_trust().unwrap().is_empty());
    set_toa_trust(" 10.0.0.0/8, ,192.168.1.1 ,fd00::/8,");
    let list = default_trust().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list[0] == Cidr::parse("10.0.0.0/8").unwrap());
    assert!(list[2] == Cidr::parse("fd00::/8").unwrap());
    set_toa_trust("10.0.0.0/8,10.1.0.0/8,fd00::/8");
    assert_eq!(default_trust().unwrap_err(), "10.1.0.0/8");
}

#[test]
fn default_trust_holds_at_most_max_trust() {
    let items: Vec<String> = (0..=MAX_TRUST).map(|i| format!("10.0.{i}.0/24")).collect();
    set_toa_trust(Box::leak(items[..MAX_TRUST].join(",").into_boxed_str()));
    assert_eq!(default_trust().unwrap().len(), MAX_TRUST);
    set_toa_trust(Box::leak(items.join(",").into_boxed_str()));
    assert_eq!(default_trust().unwrap_err(), items[MAX_TRUST]);
}

#[test]
fn host_constants_are_the_kernels() {
    // The three kernel constants `lib.rs` stands in for the module's bindings.
    use crate::bindings as stub;
    assert_eq!(i32::from(AF_INET), libc::AF_INET);
    assert_eq!(i32::from(AF_INET6), libc::AF_INET6);
    assert_eq!(stub::NFPROTO_IPV4, libc::NFPROTO_IPV4 as u32);
    assert_eq!(stub::NFPROTO_IPV6, libc::NFPROTO_IPV6 as u32);
    assert_eq!(stub::NF_DROP, libc::NF_DROP as u32);
}
