// SPDX-License-Identifier: GPL-2.0

//! Packet and byte counters per (family, hook point) of one namespace.

use crate::uapi;
use crate::wrap::netfilter::{FAMILIES, HOOKS};
// `core` atomics, not the kernel crate's (calls into C helpers): counted
// at every hook point of every packet, these compile to one instruction.
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Packets and bytes seen at one hook point.
struct Counter {
    packets: AtomicU64,
    bytes: AtomicU64,
}

impl Counter {
    const fn new() -> Self {
        Self { packets: AtomicU64::new(0), bytes: AtomicU64::new(0) }
    }
}

/// One counter for each (family, hook) the module hooks.
pub(crate) struct HookCounters {
    counters: [[Counter; HOOKS.len()]; FAMILIES.len()],
}

/// A read of one counter.
pub(crate) struct CounterSnapshot {
    pub(crate) pf: u8,
    pub(crate) hooknum: u32,
    pub(crate) packets: u64,
    pub(crate) bytes: u64,
}

fn family_index(pf: u8) -> Option<usize> {
    FAMILIES.iter().position(|&f| f == pf)
}

impl HookCounters {
    pub(crate) const fn new() -> Self {
        Self { counters: [const { [const { Counter::new() }; HOOKS.len()] }; FAMILIES.len()] }
    }

    /// Counts one packet of `len` bytes. Softirq-safe, lock-free.
    pub(crate) fn record(&self, pf: u8, hooknum: u32, len: u32) {
        let Some(counter) = family_index(pf)
            .and_then(|f| self.counters.get(f))
            .and_then(|row| row.get(hooknum as usize))
        else {
            return;
        };
        counter.packets.fetch_add(1, Relaxed);
        counter.bytes.fetch_add(u64::from(len), Relaxed);
    }

    /// Every counter, in `FAMILIES` x `HOOKS` order.
    pub(crate) fn snapshot(&self) -> impl Iterator<Item = CounterSnapshot> + '_ {
        FAMILIES.iter().zip(self.counters.iter()).flat_map(|(&pf, row)| {
            HOOKS.iter().zip(row.iter()).map(move |(&hooknum, c)| CounterSnapshot {
                pf,
                hooknum,
                packets: c.packets.load(Relaxed),
                bytes: c.bytes.load(Relaxed),
            })
        })
    }
}

/// The family's name as nfscope prints it.
pub(crate) fn family_name(pf: u8) -> &'static str {
    match pf {
        uapi::NFPROTO_IPV4 => "ipv4",
        uapi::NFPROTO_IPV6 => "ipv6",
        _ => "?",
    }
}

/// The hook point's kernel name.
pub(crate) fn hook_name(hooknum: u32) -> &'static str {
    ["PRE_ROUTING", "LOCAL_IN", "FORWARD", "LOCAL_OUT", "POST_ROUTING"]
        .get(hooknum as usize)
        .copied()
        .unwrap_or("?")
}
