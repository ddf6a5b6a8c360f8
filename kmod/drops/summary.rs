// SPDX-License-Identifier: GPL-2.0

//! The drop summary: one line per (netns, reason, location, hook) with its
//! count, in a fixed-size open-addressing table per CPU, merged on request.
//! Pure table logic (host-tested, `kmod/host/`); how a line is shown is
//! `record::SumView`.

use crate::wrap::nfhooks::HookDesc;
use kernel::prelude::*;

/// What a summary line counts.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SumKey {
    pub(super) netns: u32,
    pub(super) rst: bool,
    pub(super) reason: u32,
    /// Drops: the location. Resets: the first frames outside this module
    /// (the glue is skipped when shown).
    pub(super) loc: [u64; 3],
    /// The attributed hook call's function and `priv` (0 if none).
    pub(super) func: usize,
    pub(super) priv_: usize,
    pub(super) pf: u8,
    pub(super) hooknum: u8,
    pub(super) how: u8,
    pub(super) ct: u8,
}

impl SumKey {
    fn hash(&self) -> usize {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let words = [
            u64::from(self.netns) | u64::from(self.reason) << 32,
            self.loc[0],
            self.loc[1] ^ self.loc[2].rotate_left(17),
            self.func as u64,
            self.priv_ as u64 ^ u64::from(self.pf) << 56 ^ u64::from(self.hooknum) << 48 ^ u64::from(self.ct) << 40,
        ];
        for w in words {
            h = (h ^ w).wrapping_mul(0x0100_0000_01b3);
        }
        (h ^ (h >> 29)) as usize
    }
}

/// One summary line.
#[derive(Clone, Copy)]
pub(crate) struct SumEntry {
    pub(super) key: SumKey,
    pub(super) count: u64,
    pub(super) desc: Option<HookDesc>,
    /// `jiffies` when `desc` was looked up.
    described: u64,
}

pub(super) struct Summary {
    slots: KVec<Option<SumEntry>>,
    used: usize,
}

impl Summary {
    /// A table of `slots` lines (kept under 3/4 full).
    pub(super) fn new(slots: usize) -> Result<Self> {
        let mut table = KVec::with_capacity(slots, GFP_KERNEL)?;
        for _ in 0..slots {
            table.push(None, GFP_KERNEL)?;
        }
        Ok(Self { slots: table, used: 0 })
    }

    /// How many lines are in use.
    pub(super) fn len(&self) -> usize {
        self.used
    }

    pub(super) fn lines(&self) -> impl Iterator<Item = &SumEntry> {
        self.slots.iter().flatten()
    }

    /// Counts one for `key` at tick `now`, and returns its line; `None`
    /// when the table is full. `desc` looks up the line's hook registration
    /// when the line is new, and again when its lookup is more than `ttl`
    /// ticks old (a chain re-created shows within that time).
    pub(super) fn add(&mut self, key: &SumKey, now: u64, ttl: u64, desc: impl FnOnce() -> Option<HookDesc>) -> Option<&SumEntry> {
        let mut desc = Some(desc);
        let n = self.slots.len();
        let mut i = key.hash() % n;
        loop {
            match &self.slots[i] {
                Some(e) if e.key == *key => break,
                Some(_) => i = (i + 1) % n,
                None if self.used * 4 >= n * 3 => return None,
                None => {
                    let d = desc.take().and_then(|f| f());
                    self.slots[i] = Some(SumEntry { key: *key, count: 0, desc: d, described: now });
                    self.used += 1;
                    break;
                }
            }
        }
        let e = self.slots[i].as_mut()?;
        e.count += 1;
        if key.func != 0 && now.wrapping_sub(e.described) > ttl {
            if let Some(f) = desc.take() {
                (e.desc, e.described) = (f(), now);
            }
        }
        Some(e)
    }
}

impl SumEntry {
    /// Adds `other`, a line with the same key from another CPU: the counts
    /// add up, and the newer registration lookup stands.
    pub(super) fn merge(&mut self, other: &SumEntry) {
        self.count += other.count;
        if other.described.wrapping_sub(self.described) as i64 > 0 {
            (self.desc, self.described) = (other.desc, other.described);
        }
    }
}
