// SPDX-License-Identifier: GPL-2.0

//! Linux 6.12: what its kernel crate lacks, built on what it has.

use crate::bindings;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// `as_char_ptr()` on a `core::ffi::CStr`, as 7.x's `kernel::str::CStrExt`
/// has it. nfscope names C strings as `core::ffi::CStr` (`c"..."` literals)
/// on every line; 6.12's prelude `CStr` is the kernel crate's own type.
pub(crate) trait CStrExt {
    /// The string as a pointer to its first `char` (NUL-terminated).
    fn as_char_ptr(&self) -> *const kernel::ffi::c_char;
}

impl CStrExt for core::ffi::CStr {
    fn as_char_ptr(&self) -> *const kernel::ffi::c_char {
        self.as_ptr().cast()
    }
}

/// `-EMSGSIZE`, which 6.12's `kernel::error::code` does not name.
pub(crate) fn emsgsize() -> Error {
    Error::from_errno(-(bindings::EMSGSIZE as i32))
}

/// 6.12's `seq_print!` and `pr_*!` take `core::fmt` types as they are.
pub(crate) use core::fmt::Display;

/// A `struct seq_file` being shown (as 7.x's `kernel::seq_file::SeqFile`).
#[repr(transparent)]
pub(crate) struct SeqFile {
    inner: Opaque<bindings::seq_file>,
}

impl SeqFile {
    /// # Safety
    ///
    /// For `'a`, `ptr` points at a valid `struct seq_file` that no other
    /// thread uses.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a SeqFile {
        // SAFETY: the caller's guarantee; `SeqFile` is a transparent
        // `Opaque<seq_file>`.
        unsafe { &*ptr.cast() }
    }

    /// Prints `args`; used by [`seq_print!`].
    pub(crate) fn call_printf(&self, args: core::fmt::Arguments<'_>) {
        // SAFETY: `%pA` takes a pointer to `fmt::Arguments`, which lives for
        // the call; the seq_file is valid (`from_raw`).
        unsafe {
            bindings::seq_printf(self.inner.get(), c"%pA".as_char_ptr(), core::ptr::from_ref(&args).cast::<kernel::ffi::c_void>());
        }
    }
}

/// Prints to a [`SeqFile`] with Rust's formatting syntax.
macro_rules! seq_print {
    ($m:expr, $($arg:tt)+) => {
        $m.call_printf(core::format_args!($($arg)+))
    };
}
pub(crate) use seq_print;

/// A value set at most once, then read without locks (as 7.x's
/// `kernel::sync::SetOnce`).
pub(crate) struct SetOnce<T> {
    /// 0: empty, 1: being written, 2: set.
    init: AtomicU32,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> SetOnce<T> {
    /// An empty cell.
    pub(crate) const fn new() -> Self {
        Self { init: AtomicU32::new(0), value: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// The value, once set.
    pub(crate) fn as_ref(&self) -> Option<&T> {
        if self.init.load(Ordering::Acquire) == 2 {
            // SAFETY: state 2 is stored (Release) only after the value was
            // written, and the value is never written again.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// Sets the value; `false` (and `value` dropped) if it was set already.
    pub(crate) fn populate(&self, value: T) -> bool {
        if self.init.compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            // SAFETY: winning 0 -> 1 makes this the only writer, and readers
            // wait for state 2.
            unsafe { (*self.value.get()).write(value) };
            self.init.store(2, Ordering::Release);
            true
        } else {
            false
        }
    }
}

impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        if *self.init.get_mut() == 2 {
            // SAFETY: state 2 means the value was written; dropped once.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

// SAFETY: the cell owns a `T`; sending it sends the `T`.
unsafe impl<T: Send> Send for SetOnce<T> {}
// SAFETY: shared access hands out `&T` (needs `T: Sync`) and may move a `T`
// in from another thread (needs `T: Send`).
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

/// Types any bit pattern of their size is a valid value of (as 7.x's
/// `kernel::transmute::FromBytes`).
///
/// # Safety
///
/// Every bit pattern of `size_of::<Self>()` bytes is a valid `Self`.
pub(crate) unsafe trait FromBytes {}

/// Removes and returns element `i` of `v`, shifting the rest down (6.12's
/// `Vec` has no `remove`).
pub(crate) fn vec_remove<T>(v: &mut KVec<T>, i: usize) -> Option<T> {
    let len = v.len();
    if i >= len {
        return None;
    }
    let p = v.as_mut_ptr();
    // SAFETY: `i < len`: element `i` is read out once, the `len - i - 1`
    // after it are moved down by one (overlapping copy), and the length drops
    // by one, so no element is dropped twice or left uninitialised.
    unsafe {
        let item = p.add(i).read();
        core::ptr::copy(p.add(i + 1), p.add(i), len - i - 1);
        v.set_len(len - 1);
        Some(item)
    }
}

/// Drops every element of `v` (6.12's `Vec` has no `clear`).
pub(crate) fn vec_clear<T>(v: &mut KVec<T>) {
    let len = v.len();
    // SAFETY: the length is set to 0 first, so a panicking `Drop` leaks
    // rather than double-drops; the `len` elements were initialised.
    unsafe {
        v.set_len(0);
        core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(v.as_mut_ptr(), len));
    }
}

/// Items only Linux 7.x's traits have (e.g. `Backend::try_lock`): dropped.
macro_rules! since_7 {
    ($($item:tt)*) => {};
}
pub(crate) use since_7;
