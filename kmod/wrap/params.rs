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
    let mut p = bindings::nfscope_params::default();
    // SAFETY: fills `p` from the shim's parameter variables.
    unsafe { bindings::nfscope_params(&mut p) };
    // SAFETY: `toa_trust` is the shim's static, NUL-terminated parameter
    // buffer, written only when the module is loaded (before any reader).
    let trust = unsafe { CStr::from_char_ptr(p.toa_trust) };
    Params {
        enable: p.enable,
        hook_priority: p.hook_priority,
        drop_ring_records: p.drop_ring_records,
        toa_table_size: p.toa_table_size,
        toa_trust: trust.to_str().unwrap_or(""),
    }
}

/// `toa_trust=`: comma-separated CIDRs trusted to send TOA in every netns.
pub(crate) fn toa_trust() -> &'static str {
    get().toa_trust
}
