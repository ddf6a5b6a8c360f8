// SPDX-License-Identifier: GPL-2.0

//! A module-wide value published for callbacks that have no other way to
//! reach it (netlink requests, proc files, probes of other subsystems): the
//! module creates it, pins it, and publishes it once.

use core::pin::Pin;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Where a published `T` is found.
pub(crate) struct Published<T> {
    ptr: AtomicPtr<T>,
}

impl<T: Sync> Published<T> {
    /// Nothing published yet.
    pub(crate) const fn new() -> Self {
        Self { ptr: AtomicPtr::new(core::ptr::null_mut()) }
    }

    /// Makes `value` what [`Published::get`] returns.
    ///
    /// # Safety
    ///
    /// `value` must stay where it is (it is pinned) and outlive every caller
    /// of [`Published::get`]: whatever may call it is gone before `value`
    /// is dropped.
    pub(crate) unsafe fn publish(&self, value: Pin<&T>) {
        self.ptr.store(core::ptr::from_ref(value.get_ref()).cast_mut(), Ordering::Release);
    }

    /// The published value, once there is one.
    pub(crate) fn get(&self) -> Option<&T> {
        let ptr = self.ptr.load(Ordering::Acquire);
        // SAFETY: `publish` stored a pinned value that outlives every caller
        // (its contract); only shared references are made (`T: Sync`).
        (!ptr.is_null()).then(|| unsafe { &*ptr })
    }
}
