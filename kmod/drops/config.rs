// SPDX-License-Identifier: GPL-2.0

//! The drop monitor's configuration: which probes are on, whether records
//! are sent, which drops they are for (filters), sampling, rate limit,
//! stack depth and the packet bytes records carry. One module-wide
//! configuration, read on every drop without a lock (a sequence counter
//! over atomic words) and replaced whole by `NFSCOPE_CMD_DROP_SET_CONFIG`
//! (whose attributes `control/drops.rs` reads and writes).

use crate::uapi::{self, STACK_DEPTH};
// `core` atomics, not the kernel crate's: `switches` is read for every
// packet (the TOA switch) and every drop, and the kernel crate's atomics
// are calls into C helpers where these are single instructions (as in
// `wrap/seqslot.rs`). Only acquire/release pairs order the sequence
// counter and the words; the file also builds on the host for its tests.
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::{AcqRel, Acquire, Relaxed, Release}};

pub(crate) const REASON_WORDS: usize = 4;
/// Reasons a filter can name (core reasons; `SKB_DROP_REASON_MAX` in 7.2 is ~124).
pub(crate) const REASON_BITS: u32 = 64 * REASON_WORDS as u32;

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))] // the host tests (kmod/host/)
pub(crate) struct Config {
    pub(crate) probes: u32,
    pub(crate) records: bool,
    pub(crate) netns: u32,
    pub(crate) l4proto: u8,
    /// 0 (no address filter), `AF_INET` or `AF_INET6`.
    pub(crate) family: u8,
    pub(crate) addr: [u8; 16],
    pub(crate) prefix: u8,
    pub(crate) port: u16,
    /// `enum nfscope_hook_filter`.
    pub(crate) hook: u8,
    /// Bitmaps of `enum skb_drop_reason` values; an empty include list
    /// includes all.
    pub(crate) reasons: [u64; REASON_WORDS],
    pub(crate) exclude: [u64; REASON_WORDS],
    pub(crate) sample: u32,
    pub(crate) rate: u32,
    pub(crate) depth: u8,
    /// Bytes of each dropped packet a record carries (0: none).
    pub(crate) snaplen: u16,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            probes: uapi::PROBE_ALL,
            records: true,
            netns: 0,
            l4proto: 0,
            family: 0,
            addr: [0; 16],
            prefix: 0,
            port: 0,
            hook: uapi::HOOK_FILTER_ANY,
            reasons: [0; REASON_WORDS],
            exclude: [0; REASON_WORDS],
            sample: 1,
            rate: 0,
            depth: STACK_DEPTH as u8,
            snaplen: 0,
        }
    }
}

/// What a drop or reset looks like to the filters.
pub(crate) struct Subject<'a> {
    pub(crate) rst: bool,
    pub(crate) netns: u32,
    pub(crate) l4proto: Option<u8>,
    /// (family, source, destination)
    pub(crate) addrs: Option<(u8, &'a [u8; 16], &'a [u8; 16])>,
    pub(crate) ports: Option<(u16, u16)>,
    pub(crate) reason: u32,
    /// `NF_INET_*` of the hook the drop is attributed to.
    pub(crate) hooknum: Option<u8>,
}

/// Whether `reason` is in the bitmap `map`.
pub(crate) fn bit(map: &[u64; REASON_WORDS], reason: u32) -> bool {
    reason < REASON_BITS && map[(reason / 64) as usize] & (1 << (reason % 64)) != 0
}

fn prefix_match(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = (bits / 8) as usize;
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || (a[full] ^ b[full]) & (0xffu8 << (8 - rest)) == 0
}

impl Config {
    pub(crate) fn probe_on(&self, probe: u32) -> bool {
        self.probes & probe != 0
    }

    /// Whether a record should be made for `s` (sampling and rate aside).
    pub(crate) fn matches(&self, s: &Subject<'_>) -> bool {
        if self.netns != 0 && s.netns != self.netns {
            return false;
        }
        if self.l4proto != 0 && s.l4proto != Some(self.l4proto) {
            return false;
        }
        if self.family != 0 {
            let Some((family, src, dst)) = s.addrs else { return false };
            if family != self.family || !(prefix_match(src, &self.addr, self.prefix) || prefix_match(dst, &self.addr, self.prefix)) {
                return false;
            }
        }
        if self.port != 0 && !s.ports.is_some_and(|(sp, dp)| sp == self.port || dp == self.port) {
            return false;
        }
        if !s.rst {
            if self.reasons.iter().any(|&w| w != 0) && !bit(&self.reasons, s.reason) {
                return false;
            }
            if bit(&self.exclude, s.reason) {
                return false;
            }
        }
        match self.hook {
            uapi::HOOK_FILTER_ANY => true,
            uapi::HOOK_FILTER_NETFILTER => s.hooknum.is_some(),
            uapi::HOOK_FILTER_NONE => s.hooknum.is_none(),
            point => s.hooknum == Some(point - 1),
        }
    }

    const WORDS: usize = 6 + 2 * REASON_WORDS;

    fn to_words(self) -> [u64; Self::WORDS] {
        let mut w = [0u64; Self::WORDS];
        w[0] = u64::from(self.probes)
            | u64::from(self.records) << 32
            | u64::from(self.l4proto) << 40
            | u64::from(self.family) << 48
            | u64::from(self.hook) << 56;
        w[1] = u64::from(self.netns) | u64::from(self.port) << 32 | u64::from(self.prefix) << 48 | u64::from(self.depth) << 56;
        w[2] = u64::from(self.sample) | u64::from(self.rate) << 32;
        let (lo, hi) = self.addr.split_at(8);
        w[3] = u64::from_ne_bytes(lo.try_into().unwrap_or([0; 8]));
        w[4] = u64::from_ne_bytes(hi.try_into().unwrap_or([0; 8]));
        w[5] = u64::from(self.snaplen);
        for i in 0..REASON_WORDS {
            w[6 + i] = self.reasons[i];
            w[6 + REASON_WORDS + i] = self.exclude[i];
        }
        w
    }

    fn from_words(w: &[u64; Self::WORDS]) -> Self {
        let (lo, hi) = (w[3].to_ne_bytes(), w[4].to_ne_bytes());
        let addr = core::array::from_fn(|i| if i < 8 { lo[i] } else { hi[i - 8] });
        let reasons = core::array::from_fn(|i| w[6 + i]);
        let exclude = core::array::from_fn(|i| w[6 + REASON_WORDS + i]);
        Self {
            probes: w[0] as u32,
            records: (w[0] >> 32) as u8 != 0,
            l4proto: (w[0] >> 40) as u8,
            family: (w[0] >> 48) as u8,
            hook: (w[0] >> 56) as u8,
            netns: w[1] as u32,
            port: (w[1] >> 32) as u16,
            prefix: (w[1] >> 48) as u8,
            depth: (w[1] >> 56) as u8,
            sample: w[2] as u32,
            rate: (w[2] >> 32) as u32,
            snaplen: w[5] as u16,
            addr,
            reasons,
            exclude,
        }
    }
}

/// Which probes are on, and whether records are.
#[derive(Clone, Copy)]
pub(crate) struct Switches {
    probes: u32,
    pub(crate) records: bool,
}

impl Switches {
    pub(crate) fn probe_on(&self, probe: u32) -> bool {
        self.probes & probe != 0
    }
}

/// The current configuration: a sequence counter (odd while a writer
/// stores) over the configuration's words.
pub(crate) struct ConfigCell {
    seq: AtomicU32,
    words: [AtomicU64; Config::WORDS],
}

impl ConfigCell {
    pub(crate) fn new(config: Config) -> Self {
        let cell = Self { seq: AtomicU32::new(0), words: [const { AtomicU64::new(0) }; Config::WORDS] };
        cell.store(config);
        cell
    }

    /// The probes on (`PROBE_*` bits) and whether records are on: the
    /// configuration's first word, one atomic read without the sequence
    /// counter (what every packet and every drop checks first). Any context.
    pub(crate) fn switches(&self) -> Switches {
        let w = self.words[0].load(Relaxed);
        Switches { probes: w as u32, records: w >> 32 & 1 == 1 }
    }

    /// A consistent copy. Any context; retries while a store is under way.
    pub(crate) fn load(&self) -> Config {
        loop {
            let before = self.seq.load(Acquire);
            if before & 1 == 1 {
                core::hint::spin_loop();
                continue;
            }
            // Acquire loads: the second read of `seq` cannot move before them.
            let w = core::array::from_fn(|i| self.words[i].load(Acquire));
            if self.seq.load(Relaxed) == before {
                return Config::from_words(&w);
            }
        }
    }

    /// Replaces the configuration. Process context; stores are serialized
    /// by taking the counter odd.
    pub(crate) fn store(&self, config: Config) {
        let w = config.to_words();
        let mut seq = self.seq.load(Relaxed);
        loop {
            if seq & 1 == 1 {
                core::hint::spin_loop();
                seq = self.seq.load(Relaxed);
                continue;
            }
            match self.seq.compare_exchange(seq, seq + 1, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => seq = now,
            }
        }
        for (cell, value) in self.words.iter().zip(w) {
            cell.store(value, Release);
        }
        self.seq.store(seq + 2, Release);
    }
}
