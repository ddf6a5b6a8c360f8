// SPDX-License-Identifier: GPL-2.0

//! `SpinLockBh<T>`: the kernel crate's `Lock` over a `spinlock_t` taken with
//! `spin_lock_bh`, for data shared between softirq (netfilter hooks,
//! tracepoints) and process context. Holders must not sleep.

use crate::bindings;
use kernel::sync::lock::{Backend, Lock};

// `spin_lock_bh(lock)` and the others are static inlines for
// `_raw_spin_lock_bh(&lock->rlock)`; off PREEMPT_RT `rlock` is the whole of
// `spinlock_t` (the first member of its only union), so the lock's address is
// its `rlock`'s. PREEMPT_RT makes `spinlock_t` a sleeping lock: not supported.
#[cfg(CONFIG_PREEMPT_RT)]
compile_error!("nfscope's spinlocks need a kernel without PREEMPT_RT");

pub(super) fn raw(ptr: *mut kernel::bindings::spinlock_t) -> *mut bindings::raw_spinlock {
    ptr.cast()
}

/// A spinlock that disables bottom halves while held.
pub(crate) type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// The `spin_lock_bh` backend of [`SpinLockBh`].
pub(crate) struct SpinLockBhBackend;

// SAFETY: `spinlock_t` provides mutual exclusion; lock, trylock and unlock all
// use the `_bh` variants, so `relock`'s default (calling `lock`) is consistent.
unsafe impl Backend for SpinLockBhBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = ();

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
        unsafe { bindings::_raw_spin_lock_bh(raw(ptr)) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller owns the lock, taken by `lock` or `try_lock`.
        unsafe { bindings::_raw_spin_unlock_bh(raw(ptr)) }
    }

    // Linux 6.12's `Backend` has neither.
    super::compat::since_7! {
        unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
            // SAFETY: the caller guarantees `ptr` is an initialized lock.
            (unsafe { bindings::_raw_spin_trylock_bh(raw(ptr)) } != 0).then_some(())
        }

        unsafe fn assert_is_held(ptr: *mut Self::State) {
            // SAFETY: the caller guarantees `ptr` is an initialized lock.
            unsafe { kernel::bindings::spin_assert_is_held(ptr) }
        }
    }
}
