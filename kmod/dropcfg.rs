// SPDX-License-Identifier: GPL-2.0

//! The drop monitor's configuration: which probes are on, whether records
//! are sent, which drops they are for (filters), sampling, rate limit,
//! stack depth and the packet bytes records carry. One module-wide
//! configuration, read on every drop without a lock (a sequence counter
//! over atomic words) and replaced whole by `NFSCOPE_CMD_DROP_SET_CONFIG`.

use crate::drops::STACK_DEPTH;
use crate::uapi;
use crate::wrap::genetlink::{Reply, Request};
use crate::wrap::symbols;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Full, Relaxed, Release};

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const REASON_WORDS: usize = 4;
/// Reasons a filter can name (core reasons; `SKB_DROP_REASON_MAX` in 7.2 is ~124).
const REASON_BITS: u32 = 64 * REASON_WORDS as u32;

#[derive(Clone, Copy, PartialEq, Eq)]
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

fn bit(map: &[u64; REASON_WORDS], reason: u32) -> bool {
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
    seq: Atomic<u32>,
    words: [Atomic<u64>; Config::WORDS],
}

impl ConfigCell {
    pub(crate) fn new(config: Config) -> Self {
        let cell = Self { seq: Atomic::new(0), words: [const { Atomic::new(0) }; Config::WORDS] };
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
            match self.seq.cmpxchg(seq, seq + 1, Full) {
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

/// The reason named `name` (as the kernel names it), if it is a core reason.
fn reason_by_name(name: &[u8]) -> Option<u32> {
    let mut buf = [0u8; 64];
    (0..symbols::drop_reason_max().min(REASON_BITS)).find(|&r| symbols::drop_reason_name(r, &mut buf) == name)
}

/// Parses a comma-separated list of reason names into a bitmap.
fn parse_reasons(list: &[u8]) -> Option<[u64; REASON_WORDS]> {
    let mut map = [0u64; REASON_WORDS];
    for name in list.split(|&c| c == b',').map(|n| n.trim_ascii()).filter(|n| !n.is_empty()) {
        let r = reason_by_name(name)?;
        map[(r / 64) as usize] |= 1 << (r % 64);
    }
    Some(map)
}

/// A configuration from the request's attributes (absent: default). The
/// policy has checked types; values are checked here, and a request with
/// a bad value changes nothing.
pub(crate) fn from_request(request: &Request<'_>) -> Result<Config> {
    let mut c = Config::default();
    if let Some(p) = request.attr_u32(uapi::A_PROBES) {
        if p & !uapi::PROBE_ALL != 0 {
            return Err(request.invalid_attr(uapi::A_PROBES, c"unknown probe bit"));
        }
        c.probes = p;
    }
    if let Some(r) = request.attr_u8(uapi::A_DROP_RECORDS) {
        if r > 1 {
            return Err(request.invalid_attr(uapi::A_DROP_RECORDS, c"records must be 0 or 1"));
        }
        c.records = r == 1;
    }
    c.netns = request.attr_u32(uapi::A_F_NETNS).unwrap_or(0);
    c.l4proto = request.attr_u8(uapi::A_F_L4PROTO).unwrap_or(0);
    c.port = request.attr_u16(uapi::A_F_PORT).unwrap_or(0);
    if let Some(addr) = request.attr_bytes(uapi::A_ADDR) {
        let (family, max) = match addr.len() {
            4 => (AF_INET, 32),
            16 => (AF_INET6, 128),
            _ => return Err(request.invalid_attr(uapi::A_ADDR, c"an address is 4 or 16 bytes")),
        };
        let prefix = request.attr_u8(uapi::A_PREFIX_LEN).unwrap_or(max);
        if prefix > max {
            return Err(request.invalid_attr(uapi::A_PREFIX_LEN, c"prefix longer than the address"));
        }
        c.family = family;
        c.prefix = prefix;
        for (dst, src) in c.addr.iter_mut().zip(addr) {
            *dst = *src;
        }
    } else if request.attr_u8(uapi::A_PREFIX_LEN).is_some() {
        return Err(request.invalid_attr(uapi::A_PREFIX_LEN, c"a prefix length needs NFSCOPE_A_ADDR"));
    }
    if let Some(list) = request.attr_str(uapi::A_F_REASONS) {
        c.reasons = parse_reasons(list).ok_or_else(|| request.invalid_attr(uapi::A_F_REASONS, c"unknown drop reason name"))?;
    }
    if let Some(list) = request.attr_str(uapi::A_F_REASONS_EXCLUDE) {
        c.exclude =
            parse_reasons(list).ok_or_else(|| request.invalid_attr(uapi::A_F_REASONS_EXCLUDE, c"unknown drop reason name"))?;
    }
    if let Some(h) = request.attr_u8(uapi::A_F_HOOK) {
        if h > uapi::HOOK_FILTER_MAX {
            return Err(request.invalid_attr(uapi::A_F_HOOK, c"unknown hook filter"));
        }
        c.hook = h;
    }
    c.sample = request.attr_u32(uapi::A_SAMPLE).unwrap_or(1).max(1);
    c.rate = request.attr_u32(uapi::A_RATE).unwrap_or(0);
    if let Some(d) = request.attr_u8(uapi::A_STACK_DEPTH) {
        if d == 0 || d as usize > STACK_DEPTH {
            return Err(request.invalid_attr(uapi::A_STACK_DEPTH, c"stack depth must be 1..16"));
        }
        c.depth = d;
    }
    if let Some(n) = request.attr_u16(uapi::A_SNAPLEN) {
        if n as usize > uapi::SNAPLEN_MAX {
            return Err(request.invalid_attr(uapi::A_SNAPLEN, c"snaplen must be 0..256"));
        }
        c.snaplen = n;
    }
    Ok(c)
}

fn put_reasons(reply: &mut Reply<'_>, kind: u32, map: &[u64; REASON_WORDS]) -> Result {
    if map.iter().all(|&w| w == 0) {
        return Ok(());
    }
    let mut list = KVec::new();
    let mut buf = [0u8; 64];
    for r in (0..REASON_BITS).filter(|&r| bit(map, r)) {
        if !list.is_empty() {
            list.push(b',', GFP_KERNEL)?;
        }
        list.extend_from_slice(symbols::drop_reason_name(r, &mut buf), GFP_KERNEL)?;
    }
    list.push(0, GFP_KERNEL)?;
    reply.put_bytes(kind, &list)
}

/// Puts `c` as the attributes `from_request` reads.
pub(crate) fn put(reply: &mut Reply<'_>, c: &Config) -> Result {
    reply.put_u32(uapi::A_PROBES, c.probes)?;
    reply.put_u8(uapi::A_DROP_RECORDS, u8::from(c.records))?;
    reply.put_u32(uapi::A_F_NETNS, c.netns)?;
    reply.put_u8(uapi::A_F_L4PROTO, c.l4proto)?;
    reply.put_u16(uapi::A_F_PORT, c.port)?;
    if c.family != 0 {
        let len = if c.family == AF_INET6 { 16 } else { 4 };
        reply.put_bytes(uapi::A_ADDR, &c.addr[..len])?;
        reply.put_u8(uapi::A_PREFIX_LEN, c.prefix)?;
    }
    put_reasons(reply, uapi::A_F_REASONS, &c.reasons)?;
    put_reasons(reply, uapi::A_F_REASONS_EXCLUDE, &c.exclude)?;
    reply.put_u8(uapi::A_F_HOOK, c.hook)?;
    reply.put_u32(uapi::A_SAMPLE, c.sample)?;
    reply.put_u32(uapi::A_RATE, c.rate)?;
    reply.put_u8(uapi::A_STACK_DEPTH, c.depth)?;
    reply.put_u16(uapi::A_SNAPLEN, c.snaplen)
}
