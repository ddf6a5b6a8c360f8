// SPDX-License-Identifier: GPL-2.0

//! The event messages the drop drain sends: loss counts, then records with
//! their packet bytes, as many as fit.

use crate::uapi;
use crate::wrap::compat;
use crate::wrap::genetlink::Event;
use kernel::prelude::*;

/// Bytes an attribute of `payload` bytes takes in a message (`nla_total_size`).
const fn attr_size(payload: usize) -> usize {
    (4 + payload + 3) & !3
}

/// Records lost and suppressed since the last message delivered (nothing
/// for a zero count).
pub(crate) fn put_counts(ev: &mut Event, lost: u64, suppressed: u64) -> Result {
    if lost > 0 {
        ev.put_u64(uapi::A_LOST, lost, uapi::A_PAD)?;
    }
    if suppressed > 0 {
        ev.put_u64(uapi::A_SUPPRESSED, suppressed, uapi::A_PAD)?;
    }
    Ok(())
}

/// Adds `r` and its packet bytes to `ev`; `EMSGSIZE` (nothing added) if
/// they do not fit.
pub(crate) fn put_record(ev: &mut Event, r: &uapi::Record, packet: &[u8]) -> Result {
    let need = attr_size(core::mem::size_of::<uapi::Record>()) + if packet.is_empty() { 0 } else { attr_size(packet.len()) };
    if ev.room() < need {
        return Err(compat::emsgsize());
    }
    ev.put_record(uapi::A_RECORD, r)?;
    if !packet.is_empty() {
        ev.put_bytes(uapi::A_PACKET, packet)?;
    }
    Ok(())
}
