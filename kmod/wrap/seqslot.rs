// SPDX-License-Identifier: GPL-2.0

//! `SeqRing<T>`: a small ring of keyed values one CPU writes and any CPU
//! reads, without a lock: each slot is a seqcount around a plain copy of its
//! value (the kernel's `seqcount_t` pattern). Readers look a key up: only a
//! slot with that key is copied. Writing costs a counter increment
//! and three stores, where a lock costs two calls and an interrupt
//! save/restore; a reader retries nothing: a slot being written, or
//! rewritten under it, is skipped.
//!
//! The counters are `core` atomics, not the kernel crate's: those are calls
//! into C helpers, and this runs at every netfilter hook call. Relaxed
//! accesses and release/acquire fences, as LKMM's `smp_wmb`/`smp_rmb` in
//! `write_seqcount_begin`/`read_seqcount_retry`; on x86 they compile to
//! plain moves.

use core::cell::UnsafeCell;
use core::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use super::compat::FromBytes;

/// Sequence bits: a write is in progress; the value was taken by a reader.
const WRITING: u64 = 1;
const TAKEN: u64 = 2;
/// What a write adds to a slot's sequence.
const STEP: u64 = 4;

struct Slot<T> {
    seq: AtomicU64,
    key: AtomicUsize,
    /// The write's number, and its value.
    value: UnsafeCell<(usize, T)>,
}

/// `N` slots; the newest write replaces the oldest value.
pub(crate) struct SeqRing<T, const N: usize> {
    slots: [Slot<T>; N],
    /// Writes so far: the next write goes to slot `next % N`.
    next: AtomicUsize,
}

// SAFETY: values are only copied in and out (`T: Copy + Send`); a slot is
// written by one writer at a time (`push`'s contract), and readers keep a
// copy only if the sequence shows no write overlapped it.
unsafe impl<T: Copy + Send + FromBytes, const N: usize> Sync for SeqRing<T, N> {}

/// A value as read, and the sequence it was read at (for [`SeqRing::take`]).
#[derive(Clone, Copy)]
pub(crate) struct Read<T> {
    pub(crate) value: T,
    /// Its write's number: a later write has a larger one.
    pub(crate) order: usize,
    slot: usize,
    seq: u64,
}

impl<T: Copy + FromBytes, const N: usize> SeqRing<T, N> {
    /// Every slot holds `empty`, under key 0.
    pub(crate) fn new(empty: T) -> Self {
        Self {
            slots: core::array::from_fn(|_| Slot { seq: AtomicU64::new(0), key: AtomicUsize::new(0), value: UnsafeCell::new((0, empty)) }),
            next: AtomicUsize::new(0),
        }
    }

    /// Stores `value` under `key` in the oldest slot.
    ///
    /// Only one CPU pushes to a ring, with preemption off; an interrupt on
    /// that CPU may push in the middle (it gets the next slot). So two
    /// writes meet in one slot only if `N` writes nest, which hook calls
    /// (task, softirq, at most an interrupt) never do.
    pub(crate) fn push(&self, key: usize, value: T) {
        let order = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = &self.slots[order % N];
        let seq = slot.seq.load(Ordering::Relaxed) & !(WRITING | TAKEN);
        slot.seq.store(seq | WRITING, Ordering::Relaxed);
        // The WRITING mark is seen before any byte of the new value.
        fence(Ordering::Release);
        slot.key.store(key, Ordering::Relaxed);
        // SAFETY: this is the slot's only writer (the contract above);
        // readers copy it concurrently, and drop the copy unless the
        // sequence is unchanged after it (volatile: each byte read or
        // written once, as READ_ONCE/WRITE_ONCE).
        unsafe { core::ptr::write_volatile(slot.value.get(), (order, value)) };
        slot.seq.store(seq + STEP, Ordering::Release);
    }

    /// The values stored under `key` and not taken, each as one consistent
    /// copy (a slot being written is left out). A remote CPU may see the
    /// slots in any order: [`Read::order`] tells which write came later.
    pub(crate) fn reads(&self, key: usize) -> impl Iterator<Item = Read<T>> + '_ {
        self.slots.iter().enumerate().filter_map(move |(i, slot)| {
            let seq = slot.seq.load(Ordering::Acquire);
            if seq & (WRITING | TAKEN) != 0 || slot.key.load(Ordering::Relaxed) != key {
                return None;
            }
            // SAFETY: the slot is valid for reads. A copy racing a write
            // may mix old and new bytes: any bytes are a valid `T`
            // (`FromBytes`), `T: Copy` has no drop glue, and such a copy is
            // dropped below.
            let (order, value) = unsafe { core::ptr::read_volatile(slot.value.get()) };
            // The key and the copy are read before the sequence is again.
            fence(Ordering::Acquire);
            (slot.seq.load(Ordering::Relaxed) == seq).then_some(Read { value, order, slot: i, seq })
        })
    }

    /// Marks `read`'s value taken, so later reads leave it out; a slot
    /// rewritten since holds another value, and is left alone.
    pub(crate) fn take(&self, read: &Read<T>) {
        let _ = self.slots[read.slot].seq.compare_exchange(read.seq, read.seq | TAKEN, Ordering::Relaxed, Ordering::Relaxed);
    }
}
