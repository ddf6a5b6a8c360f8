// SPDX-License-Identifier: GPL-2.0

//! nfscope.ko's pure logic on the host: the module's own files, included by
//! path (as `kmod/codec/` shares the TOA codec), over a stub of the kernel
//! crate's prelude (`kmod/host/kernel/`) and the UAPI constants bindgen
//! makes for userspace. Tests are in `tests/` and in this file's `tests`.
//!
//! Compiled here: the drop monitor's configuration, filters and its
//! lock-free cell (`drops/config.rs`), the UAPI's Rust names (`uapi.rs`)
//! the TOA trust list's prefixes (`toa/trust.rs`) and the module's
//! heapsort (`sort.rs`).

#![allow(dead_code)]

/// What `uapi.rs` reads from the kernel's bindings: the UAPI header's
/// constants (the same header, through the codec's bindgen) and three
/// kernel constants.
#[allow(non_upper_case_globals)]
mod bindings {
    pub(crate) use nfscope_codec::uapi::*;
    pub(crate) const NF_DROP: u32 = 0;
    pub(crate) const NFPROTO_IPV4: u32 = 2;
    pub(crate) const NFPROTO_IPV6: u32 = 10;
}

#[path = "../../uapi.rs"]
pub mod uapi;

/// The address families `headers.rs` names (the rest of that file parses
/// skbs).
pub mod headers {
    pub const AF_INET: u16 = 2;
    pub const AF_INET6: u16 = 10;
}

/// The `toa_trust=` module parameter, set per test thread.
pub mod wrap {
    pub mod params {
        use std::cell::Cell;

        thread_local! {
            static TOA_TRUST: Cell<&'static str> = const { Cell::new("") };
        }

        pub fn toa_trust() -> &'static str {
            TOA_TRUST.with(Cell::get)
        }

        /// What `toa_trust()` returns on this thread.
        pub fn set_toa_trust(value: &'static str) {
            TOA_TRUST.with(|c| c.set(value));
        }
    }
}

#[path = "../../drops/config.rs"]
pub mod drop_config;

#[path = "../../toa/trust.rs"]
pub mod trust;

#[path = "../../sort.rs"]
pub mod sort;

#[cfg(test)]
mod tests;
