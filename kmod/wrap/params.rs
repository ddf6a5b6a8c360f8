// SPDX-License-Identifier: GPL-2.0

//! The module parameters, read as Rust values. They are declared in the C
//! shim (`module_param` is a C macro, and Linux 6.12's Rust `module!` has no
//! `params`); their values are fixed once the module is loaded.

use crate::bindings;
// The prelude's `CStr` (the kernel crate's own on 6.12): both have
// `from_char_ptr` and `to_str`.
use kernel::prelude::*;

/// The parameters given at load (or their defaults); checked by the caller.
pub(crate) struct Params {
    /// `enable=`: hooks do their work in new namespaces (0 or 1).
    pub(crate) enable: u8,
    /// `hook_priority=`: the netfilter priority of the hooks.
    pub(crate) hook_priority: i32,
    /// `drop_ring_records=`: drop records buffered per CPU.
    pub(crate) drop_ring_records: u32,
    /// `toa_table_size=`: most TOA entries per namespace.
    pub(crate) toa_table_size: u32,
    /// `toa_trust=`: comma-separated CIDRs trusted to send TOA in every netns.
    pub(crate) toa_trust: &'static str,
}

/// The parameters as loaded.
pub(crate) fn get() -> Params {
    // SAFETY: the shim's parameter variables are written only while the
    // module loads, before any Rust code runs (permissions 0444: no writes
    // through sysfs); `toa_trust` is a NUL-terminated buffer
    // (`module_param_string` keeps the last byte NUL).
    unsafe {
        Params {
            enable: bindings::nfscope_param_enable,
            hook_priority: bindings::nfscope_param_hook_priority,
            drop_ring_records: bindings::nfscope_param_drop_ring_records,
            toa_table_size: bindings::nfscope_param_toa_table_size,
            toa_trust: CStr::from_char_ptr(core::ptr::addr_of!(bindings::nfscope_param_toa_trust).cast()).to_str().unwrap_or(""),
        }
    }
}

/// `toa_trust=`: comma-separated CIDRs trusted to send TOA in every netns.
pub(crate) fn toa_trust() -> &'static str {
    get().toa_trust
}
