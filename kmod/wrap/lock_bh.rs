// SPDX-License-Identifier: GPL-2.0

//! `SpinLockBh<T>`: the kernel crate's `Lock` over a `spinlock_t` taken with
//! `spin_lock_bh`, for data shared between softirq (netfilter hooks,
//! tracepoints) and process context. Holders must not sleep.

use crate::bindings;
use kernel::sync::lock::{Backend, Lock};

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
        unsafe { bindings::nfscope_spin_lock_bh(ptr.cast()) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller owns the lock, taken with `nfscope_spin_lock_bh`.
        unsafe { bindings::nfscope_spin_unlock_bh(ptr.cast()) }
    }

    // Linux 6.12's `Backend` has neither.
    super::compat::since_7! {
        unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
            // SAFETY: the caller guarantees `ptr` is an initialized lock.
            (unsafe { bindings::nfscope_spin_trylock_bh(ptr.cast()) } != 0).then_some(())
        }

        unsafe fn assert_is_held(ptr: *mut Self::State) {
            // SAFETY: the caller guarantees `ptr` is an initialized lock.
            unsafe { kernel::bindings::spin_assert_is_held(ptr) }
        }
    }
}
