// SPDX-License-Identifier: GPL-2.0

//! `struct net`, a network namespace, borrowed from the kernel.

use crate::bindings;
use kernel::types::Opaque;

// A procfs file's namespace is its `seq->private` only with network
// namespaces (`seq_file_single_net()`, read in `procfs.rs`); nfscope is a
// per-namespace tool.
#[cfg(not(CONFIG_NET_NS))]
compile_error!("nfscope needs a kernel with CONFIG_NET_NS");

/// A network namespace.
///
/// # Invariants
///
/// A `&Net` always refers to a live `struct net`: whoever hands one out holds
/// a reference or runs inside a callback that keeps the namespace alive.
#[repr(transparent)]
pub(crate) struct Net(Opaque<bindings::net>);

impl Net {
    /// Borrows the namespace `ptr` points to.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `struct net` that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Net {
        // SAFETY: `Net` is a transparent wrapper of `struct net`; the caller
        // guarantees the pointee is live for `'a`.
        unsafe { &*ptr.cast::<Net>() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// The namespace's inode number, as `ip netns identify` and `/proc/PID/ns/net` show it.
    pub(crate) fn inode(&self) -> u32 {
        // SAFETY: by the type invariant, `self` is a live `struct net`.
        unsafe { bindings::nfscope_net_inum(self.as_ptr()) }
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_init(&self) -> bool {
        core::ptr::eq(self.as_ptr(), core::ptr::addr_of!(bindings::init_net))
    }

    /// The namespace's `/proc/net` directory.
    pub(crate) fn proc_dir(&self) -> *mut bindings::proc_dir_entry {
        // SAFETY: by the type invariant, `self` is a live `struct net`.
        unsafe { bindings::nfscope_net_proc_dir(self.as_ptr()) }
    }
}
