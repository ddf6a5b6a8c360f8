// SPDX-License-Identifier: GPL-2.0

//! Where code runs: CPU, current task, time, and its kernel stack.

use crate::bindings;
use kernel::ffi;

pub(crate) fn cpu() -> u32 {
    // SAFETY: reads the current CPU number; any context.
    unsafe { bindings::nfscope_cpu() }
}

pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: a kernel variable set at boot, read-only afterwards.
    unsafe { bindings::nr_cpu_ids }
}

/// PID of the task running now (in softirq: whichever task was interrupted).
pub(crate) fn pid() -> u32 {
    kernel::current!().pid() as u32
}

/// The running task's name, NUL-padded (`strscpy_pad(.., current->comm)`).
pub(crate) fn comm() -> [u8; 16] {
    // SAFETY: `current` is always a live task; its `comm` is a 16-byte
    // array that `set_task_comm` may rewrite meanwhile (as C readers do,
    // this reads whatever bytes are there).
    let mut comm = unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*kernel::bindings::get_current()).comm).cast::<[u8; 16]>()) };
    let end = comm.iter().position(|&c| c == 0).unwrap_or(comm.len() - 1);
    comm[end..].fill(0);
    comm
}

/// CLOCK_REALTIME in nanoseconds.
pub(crate) fn real_time_ns() -> u64 {
    // SAFETY: reads the clock (`ktime_get_real()`); any context.
    (unsafe { bindings::ktime_get_with_offset(bindings::TK_OFFS_REAL) }) as u64
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
    // SAFETY: reads a kernel variable that only ever holds a valid
    // integer, once (`READ_ONCE(jiffies)`).
    (unsafe { core::ptr::read_volatile(core::ptr::addr_of!(bindings::jiffies)) }) as u64
}

/// Ticks per second (`HZ`).
pub(crate) fn hz() -> u64 {
    u64::from(bindings::HZ)
}

/// Monotonic time in nanoseconds; any context.
pub(crate) fn mono_ns() -> u64 {
    // SAFETY: reads the clock (NMI-safe variant); any context.
    unsafe { bindings::ktime_get_mono_fast_ns() }
}

/// Sleeps about `us` microseconds. Process context only.
pub(crate) fn fsleep_us(us: u32) {
    // SAFETY: sleeping is allowed in the process context the callers run in.
    unsafe { bindings::nfscope_fsleep(us) }
}
