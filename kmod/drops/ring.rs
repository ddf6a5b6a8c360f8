// SPDX-License-Identifier: GPL-2.0

//! One CPU's records between drains: a bounded ring of record slots (a full
//! ring loses the record, counted, and never blocks), the packet bytes of
//! each slot, sampling and the rate limit, and the CPU's summary.

use super::config::Config;
use super::record::PacketBuf;
use super::summary::Summary;
use crate::uapi;
use crate::wrap::context;
use kernel::alloc::KVVec;
use kernel::prelude::*;

/// The first bytes of a dropped packet kept in a ring slot, and how many.
#[derive(Clone, Copy)]
pub(super) struct Packet {
    pub(super) len: u16,
    pub(super) bytes: PacketBuf,
}

pub(super) struct Ring {
    records: KVVec<uapi::Record>,
    /// The packet bytes of the record in the same slot; empty until a
    /// configuration first asks for packet bytes.
    packets: KVVec<Packet>,
    head: usize,
    len: usize,
}

impl Ring {
    /// A ring of `records` slots, without packet buffers.
    fn new(records: usize) -> Result<Self> {
        let mut slots = KVVec::with_capacity(records, GFP_KERNEL)?;
        for _ in 0..records {
            slots.push(uapi::Record::default(), GFP_KERNEL)?;
        }
        Ok(Self { records: slots, packets: KVVec::new(), head: 0, len: 0 })
    }

    /// The number of packet buffers to give the ring (one per slot), if
    /// it has none yet.
    pub(super) fn needs_packets(&self) -> Option<usize> {
        self.packets.is_empty().then_some(self.records.len())
    }

    /// `slots` packet buffers, empty. Process context.
    pub(super) fn packet_buffers(slots: usize) -> Result<KVVec<Packet>> {
        let mut packets = KVVec::with_capacity(slots, GFP_KERNEL)?;
        for _ in 0..slots {
            packets.push(Packet { len: 0, bytes: [0; uapi::SNAPLEN_MAX] }, GFP_KERNEL)?;
        }
        Ok(packets)
    }

    /// Gives the ring its packet buffers unless it has some (another
    /// configuration raced this one). Records already queued carry no bytes
    /// (packet_len 0).
    pub(super) fn give_packets(&mut self, packets: KVVec<Packet>) {
        if self.packets.is_empty() && packets.len() == self.records.len() {
            self.packets = packets;
        }
    }

    /// Records queued.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_full(&self) -> bool {
        self.len == self.records.len()
    }

    /// The free slot the next record is written into, zeroed, with its
    /// packet buffer when there are buffers; queued by [`Ring::commit`].
    /// `None` if full.
    pub(super) fn slot(&mut self) -> Option<(&mut uapi::Record, Option<&mut Packet>)> {
        if self.is_full() {
            return None;
        }
        let i = (self.head + self.len) % self.records.len();
        let w = &mut self.records[i];
        *w = uapi::Record::default();
        let mut packet = self.packets.get_mut(i);
        if let Some(p) = packet.as_deref_mut() {
            p.len = 0;
        }
        Some((w, packet))
    }

    /// Queues the record written into [`Ring::slot`].
    pub(super) fn commit(&mut self) {
        if !self.is_full() {
            self.len += 1;
        }
    }

    /// The oldest record and its packet bytes, left queued.
    pub(super) fn oldest(&self) -> Option<(&uapi::Record, &[u8])> {
        if self.len == 0 {
            return None;
        }
        let packet = self.packets.get(self.head).map_or(&[][..], |p| &p.bytes[..p.len as usize]);
        Some((&self.records[self.head], packet))
    }

    /// Forgets the oldest record.
    pub(super) fn pop(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % self.records.len();
            self.len -= 1;
        }
    }
}

/// What became of a drop or reset past the summary.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))] // the host tests (kmod/host/)
pub(super) enum Outcome {
    /// Nobody listens, or records are off.
    Unwanted,
    Filtered,
    /// Sampled out or over the rate limit.
    Suppressed,
    /// The ring was full.
    Lost,
    Queued,
}

impl Outcome {
    /// The `enum nfscope_drop_stat` counter it adds to.
    pub(super) fn stat(self) -> Option<usize> {
        match self {
            Outcome::Unwanted => None,
            Outcome::Filtered => Some(uapi::DSTAT_FILTERED),
            Outcome::Suppressed => Some(uapi::DSTAT_SUPPRESSED),
            Outcome::Lost => Some(uapi::DSTAT_LOST_RING),
            Outcome::Queued => Some(uapi::DSTAT_QUEUED),
        }
    }
}

/// One CPU's records, loss and sampling state, and summary.
pub(super) struct CpuState {
    pub(super) ring: Ring,
    /// Records lost since the last delivered message from this CPU.
    pub(super) lost: u64,
    /// Records sampled out or rate-limited since then.
    pub(super) suppressed: u64,
    sample_count: u32,
    /// The second the rate limit counts in, and records made in it.
    rate_second: u64,
    rate_count: u32,
    pub(super) summary: Summary,
}

impl CpuState {
    /// A CPU's state: a ring of `ring_records` records, and a summary of
    /// `summary_lines`.
    pub(super) fn new(ring_records: usize, summary_lines: usize) -> Result<Self> {
        Ok(Self {
            ring: Ring::new(ring_records)?,
            lost: 0,
            suppressed: 0,
            sample_count: 0,
            rate_second: 0,
            rate_count: 0,
            summary: Summary::new(summary_lines)?,
        })
    }

    /// Whether sampling and the rate limit let a record through.
    fn admit(&mut self, config: &Config) -> bool {
        self.sample_count = self.sample_count.wrapping_add(1);
        if config.sample > 1 && self.sample_count % config.sample != 0 {
            self.suppressed += 1;
            return false;
        }
        if config.rate > 0 {
            let second = context::mono_ns() / 1_000_000_000;
            if second != self.rate_second {
                self.rate_second = second;
                self.rate_count = 0;
            }
            if self.rate_count >= config.rate {
                self.suppressed += 1;
                return false;
            }
            self.rate_count += 1;
        }
        true
    }

    /// Sampling and the rate limit, then the ring slot for a record (see
    /// [`Ring::slot`]), unless the ring is full.
    pub(super) fn slot(&mut self, config: &Config) -> Result<(&mut uapi::Record, Option<&mut Packet>), Outcome> {
        if !self.admit(config) {
            return Err(Outcome::Suppressed);
        }
        if self.ring.is_full() {
            self.lost += 1;
            return Err(Outcome::Lost);
        }
        self.ring.slot().ok_or(Outcome::Lost)
    }
}
