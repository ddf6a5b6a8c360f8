// SPDX-License-Identifier: GPL-2.0

//! Entry and exit probes on kernel functions (`fprobe`, on the function graph
//! tracer). nfscope uses no kprobes or kretprobes: on the 7.2/7.3 test kernels
//! re-arming a kprobe on a function crashes at that function's `__fentry__`
//! site (README, "Reload safety"); fprobes do not take that path.
//!
//! An [`Fprobe`] (on one or many functions) calls its [`FprobeHandler`] at
//! the entry of a probed function, which returns what the exit needs (kept
//! in the fprobe's entry data on the function graph shadow stack), and again
//! when the function returns. A handler without an exit
//! ([`FprobeHandler::EXIT`] false) is called from a plain ftrace callback,
//! with no return hook: far cheaper, for functions called per packet.
//! Nothing in the probed function is changed.
//!
//! Dropping an `Fprobe` (or [`release_all`] for many at once) shuts new calls
//! out, waits until every call that entered has run its exit handler, and
//! only then unregisters (`unregister_fprobe`, which waits a grace period), so no handler runs and no entry data refers to the
//! probe once it is gone, even for a function that sleeps between entry and
//! return (`inet_getname` takes the socket lock).

use super::compat::{self, CStrExt as _};
use crate::bindings;
use core::ffi::CStr;
use crate::wrap::context;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi;
use kernel::prelude::*;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use kernel::types::Opaque;

/// Most entry data an fprobe may carry (`MAX_FPROBE_DATA_SIZE`: 15 words).
const MAX_ENTRY_DATA: usize = 15 * core::mem::size_of::<usize>();

/// The registers of a probed call, at its entry or its return.
pub(crate) struct CallRegs<'a> {
    fregs: *mut bindings::nfscope_fprobe_regs,
    entry_ip: usize,
    _call: PhantomData<&'a ()>,
}

impl CallRegs<'_> {
    /// The probed function's `__fentry__` call site: inside the function,
    /// a few bytes past its start.
    pub(crate) fn entry_ip(&self) -> usize {
        self.entry_ip
    }

    /// Argument `n` (0-based) of the call; meaningful at entry only.
    pub(crate) fn arg(&self, n: u32) -> u64 {
        // SAFETY: `fregs` are the live registers of this call (how `CallRegs`
        // is made in the trampolines below).
        unsafe { bindings::nfscope_fregs_arg(self.fregs, n) }
    }

    /// The raw registers, for a shim accessor that reads several at once.
    pub(crate) fn raw(&self) -> *mut bindings::nfscope_fprobe_regs {
        self.fregs
    }

    /// The function's return value; meaningful at exit only.
    pub(crate) fn return_value(&self) -> i64 {
        // SAFETY: as for `arg`.
        unsafe { bindings::nfscope_fregs_return_value(self.fregs) }
    }
}

/// What to do at the entry and the return of a probed function.
pub(crate) trait FprobeHandler: Send + Sync + Sized + 'static {
    /// Kept from entry to exit (at most 15 machine words).
    type Entry: Copy;

    /// Whether `on_exit` is wanted. Without it the entry's value is
    /// dropped and no exit handler runs.
    const EXIT: bool = true;

    /// At the function's entry, wherever it runs (softirq or process
    /// context), with preemption disabled: must not sleep. `None` lets the
    /// call go without an exit handler.
    fn on_entry(&self, regs: &CallRegs<'_>) -> Option<Self::Entry>;

    /// When the function returns (maybe on another CPU, if it slept), with
    /// preemption disabled: must not sleep.
    fn on_exit(&self, regs: &CallRegs<'_>, entry: &Self::Entry);
}

/// Calls of one fprobe counted on one CPU, alone in its cache line.
#[repr(align(64))]
struct CpuCalls {
    /// Entries whose exit handler is due.
    entered: AtomicU64,
    /// Exit handlers that ran.
    exited: AtomicU64,
}

#[repr(C)]
struct Slot<H: FprobeHandler> {
    // First field: the `fprobe` pointer the handlers get is the slot's.
    fp: Opaque<bindings::fprobe>,
    /// Set when the probe is being released: entries let calls go.
    closing: AtomicBool,
    calls: KVec<CpuCalls>,
    handler: H,
}

impl<H: FprobeHandler> Slot<H> {
    /// This CPU's counters (`calls` has one per possible CPU id, at least
    /// one: `new`, so this is never `None`). An entry is only counted with
    /// counters in hand, so its exit finds some too, or `shut_out` would
    /// wait forever.
    fn this_cpu(&self) -> Option<&CpuCalls> {
        self.calls.get(context::cpu() as usize).or_else(|| self.calls.first())
    }
}

/// A registered fprobe.
///
/// # Invariants
///
/// `slot.fp` is registered while `self` lives; `slot` does not move.
pub(crate) struct Fprobe<H: FprobeHandler> {
    slot: Pin<KBox<Slot<H>>>,
}

// SAFETY: the registration is created, read for counters and released;
// `H: Send + Sync` is what the handlers share.
unsafe impl<H: FprobeHandler> Send for Fprobe<H> {}
// SAFETY: `&Fprobe` reads counters and the handler (`H: Sync`).
unsafe impl<H: FprobeHandler> Sync for Fprobe<H> {}

/// What an fprobe probes.
pub(crate) enum Target<'a> {
    /// The functions starting at these addresses.
    Addrs(KVec<ffi::c_ulong>),
    /// The kernel function of this name.
    Symbol(&'a CStr),
}

impl<H: FprobeHandler> Fprobe<H> {
    /// Probes `target` with `handler`. Process context (may sleep).
    ///
    /// # Safety
    ///
    /// `target` must be a function whose arguments and return value are what
    /// `handler` reads from [`CallRegs`], and whatever `handler` points to
    /// must outlive the probe.
    pub(crate) unsafe fn new(target: Target<'_>, handler: H) -> Result<Self> {
        const { assert!(core::mem::size_of::<H::Entry>() <= MAX_ENTRY_DATA) };
        let n = (context::nr_cpu_ids() as usize).max(1);
        let mut calls = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            calls.push(CpuCalls { entered: AtomicU64::new(0), exited: AtomicU64::new(0) }, GFP_KERNEL)?;
        }
        let fp = bindings::fprobe {
            entry_handler: Some(Self::entry_trampoline),
            exit_handler: if H::EXIT { Some(Self::exit_trampoline) } else { None },
            entry_data_size: if H::EXIT { core::mem::size_of::<H::Entry>() } else { 0 },
            ..Default::default()
        };
        let slot = KBox::pin(Slot { fp: Opaque::new(fp), closing: AtomicBool::new(false), calls, handler }, GFP_KERNEL)?;
        let ret = match target {
            Target::Addrs(mut ips) => {
                let n = ffi::c_int::try_from(ips.len()).map_err(|_| EINVAL)?;
                // SAFETY: `slot.fp` is valid and pinned, and stays until
                // unregistered (type invariant); `ips` holds `n` addresses.
                unsafe { bindings::register_fprobe_ips(slot.fp.get(), ips.as_mut_ptr(), n) }
            }
            Target::Symbol(name) => {
                let mut syms = [name.as_char_ptr()];
                // SAFETY: as above; `syms` holds one NUL-terminated name.
                unsafe { bindings::register_fprobe_syms(slot.fp.get(), syms.as_mut_ptr(), 1) }
            }
        };
        to_result(ret)?;
        Ok(Self { slot })
    }

    pub(crate) fn handler(&self) -> &H {
        &self.slot.handler
    }

    /// Calls not seen (no room on the function graph shadow stack).
    pub(crate) fn missed(&self) -> u64 {
        // SAFETY: `fp` is valid (type invariant); reads one counter that the
        // fprobe core updates concurrently (`READ_ONCE`).
        (unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.slot.fp.get()).nmissed)) }) as u64
    }

    /// Calls in progress: entered, exit handler not run yet. Exact once no
    /// new entry can be counted (after `closing` and an RCU grace period).
    fn in_flight(&self) -> u64 {
        let (entered, exited) = self
            .slot
            .calls
            .iter()
            .fold((0u64, 0u64), |(e, x), c| (e.wrapping_add(c.entered.load(Relaxed)), x.wrapping_add(c.exited.load(Relaxed))));
        entered.wrapping_sub(exited)
    }

    /// # Safety
    ///
    /// Called by the fprobe core at the entry of a probed function, for an
    /// fprobe registered by `new` (so `fp` is the first field of a live
    /// `Slot<H>`), with the call's registers and `entry_data_size` bytes of
    /// entry data; inside an RCU-sched read-side section.
    unsafe extern "C" fn entry_trampoline(
        fp: *mut bindings::fprobe,
        entry_ip: ffi::c_ulong,
        _ret_ip: ffi::c_ulong,
        fregs: *mut bindings::nfscope_fprobe_regs,
        data: *mut ffi::c_void,
    ) -> ffi::c_int {
        // SAFETY: `fp` is the first field of a live, pinned `Slot<H>`
        // (`#[repr(C)]`, type invariant of `Fprobe`).
        let slot = unsafe { &*fp.cast::<Slot<H>>() };
        if slot.closing.load(Relaxed) {
            return 1;
        }
        let regs = CallRegs { fregs, entry_ip, _call: PhantomData };
        let Some(entry) = slot.handler.on_entry(&regs) else { return 1 };
        if !H::EXIT {
            // No exit to wait for: nothing is counted (`unregister_fprobe`'s
            // grace period covers a handler still running).
            return 0;
        }
        let Some(counters) = slot.this_cpu() else { return 1 };
        if core::mem::size_of::<H::Entry>() != 0 {
            // SAFETY: the core gives `entry_data_size` bytes, word-aligned,
            // for this call (sized for `H::Entry` in `new`).
            unsafe { data.cast::<H::Entry>().write(entry) };
        }
        // Counted last: once `closing` is seen, a grace period later every
        // counted entry is visible (see `shut_out`).
        counters.entered.fetch_add(1, Relaxed);
        0
    }

    /// # Safety
    ///
    /// Called by the fprobe core when a probed function returns, for a call
    /// whose entry trampoline returned 0 (so `data` holds its `H::Entry`).
    unsafe extern "C" fn exit_trampoline(
        fp: *mut bindings::fprobe,
        entry_ip: ffi::c_ulong,
        _ret_ip: ffi::c_ulong,
        fregs: *mut bindings::nfscope_fprobe_regs,
        data: *mut ffi::c_void,
    ) {
        // SAFETY: as in `entry_trampoline`; the slot stays until every
        // counted entry has exited (`release_all`).
        let slot = unsafe { &*fp.cast::<Slot<H>>() };
        let entry = if core::mem::size_of::<H::Entry>() != 0 {
            // SAFETY: the entry trampoline wrote an `H::Entry` there.
            unsafe { data.cast::<H::Entry>().read() }
        } else {
            // SAFETY: a zero-sized `Copy` type has no bytes to read.
            unsafe { core::ptr::NonNull::<H::Entry>::dangling().as_ptr().read() }
        };
        slot.handler.on_exit(&CallRegs { fregs, entry_ip, _call: PhantomData }, &entry);
        if let Some(c) = slot.this_cpu() {
            c.exited.fetch_add(1, Relaxed);
        }
    }
}

/// Releases every probe of `probes` (emptied): new calls are let go and the
/// calls in progress waited for, for all probes at once, then each is
/// unregistered. Process context (sleeps).
pub(crate) fn release_all<H: FprobeHandler>(probes: &mut KVec<Fprobe<H>>) {
    shut_out(probes);
    // Each `Drop` finds its probe shut out already and only unregisters.
    compat::vec_clear(probes);
}

/// Stops new calls from being counted and waits until the counted ones have
/// run their exit handlers.
fn shut_out<H: FprobeHandler>(probes: &[Fprobe<H>]) {
    for p in probes {
        p.slot.closing.store(true, Relaxed);
    }
    // Entry handlers run in RCU-sched read-side sections: after this grace
    // period every one of them either saw `closing` or has counted its entry.
    // SAFETY: process context.
    unsafe { bindings::synchronize_rcu() };
    let mut waited_ms = 0u32;
    while probes.iter().any(|p| p.in_flight() != 0) {
        context::fsleep_us(1000);
        waited_ms = waited_ms.saturating_add(1);
        if waited_ms == 10_000 {
            pr_warn!("still waiting for probed calls in progress to return\n");
        }
    }
}

impl<H: FprobeHandler> Drop for Fprobe<H> {
    fn drop(&mut self) {
        if !self.slot.closing.load(Relaxed) {
            shut_out(core::slice::from_ref(self));
        }
        // SAFETY: registered (type invariant); unregisters and waits for an
        // RCU grace period, after which no handler runs (an entry that read
        // the probe before it was unhashed, or the last instructions of an
        // exit, finish within it).
        unsafe { bindings::unregister_fprobe(self.slot.fp.get()) };
    }
}
