// SPDX-License-Identifier: GPL-2.0

//! One delayed work item (the shim's), running a handler in process context
//! until dropped; dropping cancels it and waits for a running pass, even one
//! that re-queues itself.

use crate::bindings;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::prelude::*;

/// Work done periodically in process context.
pub(crate) trait WorkHandler: Sync + 'static {
    /// Runs one pass; may sleep. Returns the delay before the next pass.
    fn run(&self) -> u32;
}

/// The running work item.
///
/// # Invariants
///
/// The shim's item runs `callback::<H>` with a live `H` while `self` lives
/// (see [`DelayedWork::start`]).
pub(crate) struct DelayedWork<H: WorkHandler> {
    _handler: PhantomData<H>,
}

impl<H: WorkHandler> DelayedWork<H> {
    /// Starts running `handler` (first pass after `first_ms`).
    ///
    /// # Safety
    ///
    /// `handler` must stay valid until the returned value is dropped, and at
    /// most one `DelayedWork` may exist at a time (the shim has one item).
    pub(crate) unsafe fn start(handler: *const H, first_ms: u32) -> Result<Self> {
        // SAFETY: `callback::<H>` has the expected signature and gets `handler`.
        to_result(unsafe { bindings::nfscope_drain_init(Some(callback::<H>), handler as *mut _) })?;
        // SAFETY: initialized above.
        unsafe { bindings::nfscope_drain_schedule(first_ms) };
        Ok(Self { _handler: PhantomData })
    }
}

impl<H: WorkHandler> Drop for DelayedWork<H> {
    fn drop(&mut self) {
        // SAFETY: process context; waits for a running pass and stops re-queueing.
        unsafe { bindings::nfscope_drain_cancel_sync() };
    }
}

/// # Safety
///
/// Called by the workqueue for the shim's item, started by [`DelayedWork::start::<H>`].
unsafe extern "C" fn callback<H: WorkHandler>(data: *mut kernel::ffi::c_void) {
    // SAFETY: by `DelayedWork`'s invariant `data` is a live `H` while the
    // item can run (dropping the item waits for this pass).
    let handler = unsafe { &*data.cast::<H>() };
    let next = handler.run();
    // SAFETY: the item is initialized; a cancel in progress prevents re-queueing.
    unsafe { bindings::nfscope_drain_schedule(next) };
}
