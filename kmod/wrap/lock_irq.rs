// SPDX-License-Identifier: GPL-2.0

//! `SpinLockIrq<T>`: the kernel crate's `Lock` over a `spinlock_t` taken with
//! `spin_lock_irqsave`, for data a tracepoint may touch from any context
//! (kfree_skb fires in hard interrupts too). Holders must not sleep. The
//! lock is taken through `_raw_spin_lock_irqsave` (see `lock_bh.rs`).

use crate::bindings;
use kernel::sync::lock::{Backend, Lock};

pub(crate) type SpinLockIrq<T> = Lock<T, SpinLockIrqBackend>;

pub(crate) struct SpinLockIrqBackend;

// SAFETY: `spinlock_t` provides mutual exclusion; the saved interrupt flags
// travel in the guard state from lock to unlock, and `relock` re-saves them.
unsafe impl Backend for SpinLockIrqBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = kernel::ffi::c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller guarantees `ptr` is valid for writes and `name`
        // and `key` live forever.
        unsafe { kernel::bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller guarantees `ptr` is an initialized lock.
        unsafe { bindings::_raw_spin_lock_irqsave(super::lock_bh::raw(ptr)) }
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: the caller owns the lock; `flags` come from its `lock`.
        unsafe { bindings::_raw_spin_unlock_irqrestore(super::lock_bh::raw(ptr), *flags) }
    }

    // Linux 6.12's `Backend` has neither.
    super::compat::since_7! {
        unsafe fn try_lock(_ptr: *mut Self::State) -> Option<Self::GuardState> {
            // Not needed by nfscope; never taking the lock is always correct.
            None
        }

        unsafe fn assert_is_held(ptr: *mut Self::State) {
            // SAFETY: the caller guarantees `ptr` is an initialized lock.
            unsafe { kernel::bindings::spin_assert_is_held(ptr) }
        }
    }
}
