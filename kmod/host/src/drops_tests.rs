// SPDX-License-Identifier: GPL-2.0

//! Tests of the drop monitor's per-CPU state: the summary table, the ring's
//! accounting, sampling and the rate limit. A child of `drops`, so it sees
//! what the module's files share within `drops/` (`pub(super)`).

use super::config::Config;
use super::ring::{CpuState, Outcome, Packet};
use super::summary::{SumKey, Summary};
use crate::uapi;
use crate::wrap::context::set_mono_ns;
use crate::wrap::nfhooks::HookDesc;
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};

fn key(netns: u32, reason: u32, func: usize) -> SumKey {
    SumKey { netns, reason, loc: [0x1000 + u64::from(reason), 0, 0], func, ..SumKey::default() }
}

/// Adds `key` at tick `now` (ttl 100) without a registration lookup;
/// returns its count, `None` if refused.
fn add(s: &mut Summary, key: &SumKey, now: u64) -> Option<u64> {
    s.add(key, now, 100, || None).map(|e| e.count)
}

proptest! {
    /// Every key's line counts exactly the adds of that key, and there is
    /// one line per distinct key (well below the table's limit).
    #[test]
    fn summary_counts_each_key_on_its_own_line(keys in prop::collection::vec((0u32..4, 0u32..4, 0usize..2), 0..300)) {
        let mut s = Summary::new(64).unwrap();
        let mut model: HashMap<(u32, u32, usize), u64> = HashMap::new();
        for &(netns, reason, func) in &keys {
            let n = model.entry((netns, reason, func)).or_default();
            *n += 1;
            prop_assert_eq!(add(&mut s, &key(netns, reason, func), 0), Some(*n));
        }
        prop_assert_eq!(s.len(), model.len());
        prop_assert_eq!(s.lines().count(), model.len());
        for line in s.lines() {
            let k = &line.key;
            prop_assert_eq!(Some(&line.count), model.get(&(k.netns, k.reason, k.func)));
        }
    }
}

#[test]
fn summary_refuses_new_lines_past_three_quarters_and_still_counts_old_ones() {
    let mut s = Summary::new(8).unwrap();
    for r in 0..6 {
        assert_eq!(add(&mut s, &key(1, r, 0), 0), Some(1), "line {r} of 6");
    }
    assert_eq!(add(&mut s, &key(1, 6, 0), 0), None, "a 7th line in 8 slots");
    assert_eq!(s.len(), 6);
    assert_eq!(add(&mut s, &key(1, 3, 0), 0), Some(2), "an existing line still counts");
}

#[test]
fn summary_looks_up_a_registration_when_new_and_again_after_its_ttl() {
    let mut s = Summary::new(16).unwrap();
    let lookups = Cell::new(0u32);
    let at = |s: &mut Summary, k: &SumKey, now: u64| {
        s.add(k, now, 10, || {
            lookups.set(lookups.get() + 1);
            Some(HookDesc(now as u32))
        })
        .map(|e| (e.count, e.desc))
    };
    let hooked = key(1, 2, 0xffff_0000);
    assert_eq!(at(&mut s, &hooked, 100), Some((1, Some(HookDesc(100)))));
    assert_eq!(at(&mut s, &hooked, 110), Some((2, Some(HookDesc(100)))), "within the ttl: kept");
    assert_eq!(lookups.get(), 1);
    assert_eq!(at(&mut s, &hooked, 111), Some((3, Some(HookDesc(111)))), "past the ttl: looked up again");
    assert_eq!(lookups.get(), 2);
    // A line without a hook is never looked up again.
    let plain = key(1, 3, 0);
    at(&mut s, &plain, 0);
    at(&mut s, &plain, 1000);
    assert_eq!(lookups.get(), 3);
    // The tick wraps: "older than the ttl" is by wrapping difference.
    let wrapped = key(2, 2, 0xffff_0000);
    at(&mut s, &wrapped, u64::MAX - 5);
    assert_eq!(at(&mut s, &wrapped, 3), Some((2, Some(HookDesc((u64::MAX - 5) as u32)))), "9 ticks later");
    assert_eq!(at(&mut s, &wrapped, 5), Some((3, Some(HookDesc(5)))), "11 ticks later");
}

#[test]
fn summary_merge_adds_counts_and_keeps_the_newer_lookup_across_a_wrap() {
    let k = key(1, 2, 0xffff_0000);
    let line = |count: u64, now: u64| {
        let mut s = Summary::new(4).unwrap();
        for _ in 0..count {
            s.add(&k, now, u64::MAX, || Some(HookDesc(now as u32)));
        }
        let e = *s.lines().next().unwrap();
        e
    };
    let mut a = line(3, u64::MAX - 1);
    a.merge(&line(4, 2));
    assert_eq!((a.count, a.desc), (7, Some(HookDesc(2))), "2 is newer than MAX-1 (wrapped)");
    let mut b = line(4, 2);
    b.merge(&line(3, u64::MAX - 1));
    assert_eq!((b.count, b.desc), (7, Some(HookDesc(2))), "an older lookup does not replace a newer one");
}

fn state(ring: usize) -> CpuState {
    CpuState::new(ring, 16).unwrap()
}

/// Writes a record marked `mark` into the next slot and queues it.
fn push(s: &mut CpuState, config: &Config, mark: u32) -> Result<(), Outcome> {
    let (r, _) = s.slot(config)?;
    r.len = mark;
    s.ring.commit();
    Ok(())
}

proptest! {
    /// The ring against a queue: records come out oldest first, a full ring
    /// refuses the record and counts it lost, and nothing else is lost.
    #[test]
    fn ring_is_first_in_first_out_and_counts_what_a_full_ring_loses(
        cap in 1usize..9,
        ops in prop::collection::vec(any::<bool>(), 0..200),
    ) {
        let config = Config::default();
        let mut s = state(cap);
        let mut model = VecDeque::new();
        let mut lost = 0u64;
        for (mark, push_one) in (0u32..).zip(ops) {
            if push_one {
                let r = push(&mut s, &config, mark);
                if model.len() == cap {
                    lost += 1;
                    prop_assert_eq!(r, Err(Outcome::Lost));
                } else {
                    prop_assert!(r.is_ok());
                    model.push_back(mark);
                }
            } else {
                prop_assert_eq!(s.ring.oldest().map(|(r, _)| r.len), model.front().copied());
                s.ring.pop();
                model.pop_front();
            }
            prop_assert_eq!(s.ring.len(), model.len());
            prop_assert_eq!(s.ring.is_full(), model.len() == cap);
            prop_assert_eq!(s.lost, lost);
            prop_assert_eq!(s.suppressed, 0);
        }
    }
}

#[test]
fn a_slot_comes_zeroed_with_its_packet_buffer_emptied() {
    let config = Config::default();
    let mut s = state(2);
    assert_eq!(s.ring.needs_packets(), Some(2));
    s.ring.give_packets(super::ring::Ring::packet_buffers(3).unwrap());
    assert_eq!(s.ring.needs_packets(), Some(2), "buffers for another ring size are not taken");
    s.ring.give_packets(super::ring::Ring::packet_buffers(2).unwrap());
    assert_eq!(s.ring.needs_packets(), None);
    for round in 0..3u8 {
        let (r, p) = s.slot(&config).unwrap();
        assert_eq!(r.len, 0, "round {round}: the slot's old record is cleared");
        let p: &mut Packet = p.expect("a packet buffer per slot");
        assert_eq!(p.len, 0, "round {round}: the slot's old packet length is cleared");
        r.len = 99;
        p.bytes[..3].copy_from_slice(&[round, 2, 3]);
        p.len = 3;
        s.ring.commit();
        let (r, bytes) = s.ring.oldest().unwrap();
        assert_eq!((r.len, bytes), (99, &[round, 2, 3][..]));
        s.ring.pop();
    }
}

proptest! {
    /// `sample = n` lets exactly every n-th record through and counts the
    /// rest as suppressed.
    #[test]
    fn sampling_lets_every_nth_record_through(n in 1u32..10, calls in 0u32..100) {
        let config = Config { sample: n, ..Config::default() };
        let mut s = state(128);
        let mut passed = 0u32;
        for i in 1..=calls {
            match push(&mut s, &config, i) {
                Ok(()) => {
                    passed += 1;
                    prop_assert_eq!(i % n, 0, "record {} passed", i);
                }
                Err(o) => prop_assert_eq!(o, Outcome::Suppressed),
            }
            s.ring.pop();
        }
        prop_assert_eq!(passed, calls / n);
        prop_assert_eq!(s.suppressed, u64::from(calls - calls / n));
    }

    /// `rate = r`: at most r records in each second of the monotonic clock;
    /// a new second starts a new count.
    #[test]
    fn the_rate_limit_counts_per_second(rate in 1u32..6, per_second in prop::collection::vec(0u32..10, 1..6)) {
        let config = Config { rate, ..Config::default() };
        let mut s = state(128);
        let mut suppressed = 0u64;
        for (second, &calls) in (3u64..).zip(&per_second) {
            let mut passed = 0;
            for i in 0..calls {
                // Spread over the second, never reaching the next.
                set_mono_ns(second * 1_000_000_000 + u64::from(i) * 1_000_000);
                if push(&mut s, &config, i).is_ok() {
                    passed += 1;
                }
                s.ring.pop();
            }
            prop_assert_eq!(passed, calls.min(rate), "second {}", second);
            suppressed += u64::from(calls.saturating_sub(rate));
        }
        prop_assert_eq!(s.suppressed, suppressed);
    }
}

#[test]
fn outcomes_add_to_their_counters() {
    assert_eq!(Outcome::Unwanted.stat(), None);
    assert_eq!(Outcome::Filtered.stat(), Some(uapi::DSTAT_FILTERED));
    assert_eq!(Outcome::Suppressed.stat(), Some(uapi::DSTAT_SUPPRESSED));
    assert_eq!(Outcome::Lost.stat(), Some(uapi::DSTAT_LOST_RING));
    assert_eq!(Outcome::Queued.stat(), Some(uapi::DSTAT_QUEUED));
}
