// SPDX-License-Identifier: GPL-2.0

//! Linux 7.x: the kernel crate has every item; re-exported as they are.

use kernel::prelude::*;

pub(crate) use kernel::fmt::Display;
pub(crate) use kernel::seq_file::SeqFile;
pub(crate) use kernel::seq_print;
pub(crate) use kernel::str::CStrExt;
pub(crate) use kernel::sync::SetOnce;
pub(crate) use kernel::transmute::FromBytes;

/// `-EMSGSIZE`.
pub(crate) fn emsgsize() -> Error {
    EMSGSIZE
}

/// Removes and returns element `i` of `v`, shifting the rest down.
pub(crate) fn vec_remove<T>(v: &mut KVec<T>, i: usize) -> Option<T> {
    v.remove(i).ok()
}

/// Drops every element of `v`.
pub(crate) fn vec_clear<T>(v: &mut KVec<T>) {
    v.clear();
}

/// Items only Linux 7.x's traits have (e.g. `Backend::try_lock`): kept.
macro_rules! since_7 {
    ($($item:tt)*) => { $($item)* };
}
pub(crate) use since_7;
