// SPDX-License-Identifier: GPL-2.0

//! Module parameters the `module!` macro cannot declare (strings live in the
//! C shim), read as Rust values.

use crate::bindings;
use kernel::prelude::*;

/// `toa_trust=`: comma-separated CIDRs trusted to send TOA in every netns.
pub(crate) fn toa_trust() -> &'static str {
    // SAFETY: the shim returns its static, NUL-terminated parameter buffer,
    // written only when the module is loaded (before any reader).
    let s = unsafe { CStr::from_char_ptr(bindings::nfscope_param_toa_trust()) };
    s.to_str().unwrap_or("")
}
