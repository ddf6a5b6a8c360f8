// SPDX-License-Identifier: GPL-2.0

//! Where code runs: CPU, current task, time, and its kernel stack.

use crate::bindings;
use kernel::ffi;

pub(crate) fn cpu() -> u32 {
    // SAFETY: reads the current CPU number; any context.
    unsafe { bindings::nfscope_cpu() }
}

pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: reads a boot-time constant.
    unsafe { bindings::nfscope_nr_cpu_ids() }
}

/// PID of the task running now (in softirq: whichever task was interrupted).
pub(crate) fn pid() -> u32 {
    // SAFETY: `current` is always valid.
    unsafe { bindings::nfscope_current_pid() }
}

pub(crate) fn comm() -> [u8; 16] {
    let mut comm = [0u8; 16];
    // SAFETY: `comm` has the 16 bytes the shim writes.
    unsafe { bindings::nfscope_current_comm(comm.as_mut_ptr().cast()) };
    comm
}

/// CLOCK_REALTIME in nanoseconds.
pub(crate) fn real_time_ns() -> u64 {
    // SAFETY: reads the clock; any context.
    unsafe { bindings::nfscope_real_time_ns() }
}

/// Saves the current kernel stack (innermost first), leaving out its first
/// `skip` frames (they are walked all the same, but the walk stops once
/// `store` is full); returns the frame count. Always inlined, so that
/// every caller's walk starts in the caller's own frame.
#[inline(always)]
pub(crate) fn stack_save(store: &mut [u64], skip: u32) -> usize {
    const { assert!(core::mem::size_of::<ffi::c_ulong>() == core::mem::size_of::<u64>()) };
    // SAFETY: `store` is valid for `store.len()` entries, of the size of
    // `unsigned long` (asserted above).
    unsafe { bindings::stack_trace_save(store.as_mut_ptr().cast(), store.len() as u32, skip) as usize }
}

/// The tick count (`jiffies`): a clock for coarse ages that costs one
/// load; any context.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: reads a kernel variable.
    (unsafe { bindings::nfscope_jiffies() }) as u64
}

/// Ticks per second (`HZ`).
pub(crate) fn hz() -> u64 {
    // SAFETY: returns a constant.
    (unsafe { bindings::nfscope_hz() }) as u64
}

/// Monotonic time in nanoseconds; any context.
pub(crate) fn mono_ns() -> u64 {
    // SAFETY: reads the clock (NMI-safe variant).
    unsafe { bindings::nfscope_mono_ns() }
}

/// Sleeps about `us` microseconds. Process context only.
pub(crate) fn fsleep_us(us: u32) {
    // SAFETY: sleeping is allowed in the process context the callers run in.
    unsafe { bindings::nfscope_fsleep(us) }
}
