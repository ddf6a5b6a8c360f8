// SPDX-License-Identifier: GPL-2.0

//! nfscope.ko's pure logic on the host: the module's own files, included by
//! path (as `kmod/codec/` shares the TOA codec), over a stub of the kernel
//! crate's prelude (`kmod/host/kernel/`) and the UAPI constants bindgen
//! makes for userspace. Tests are in `tests/` and in this file's `tests`.
//!
//! Compiled here: the drop monitor's configuration, filters and its
//! lock-free cell (`drops/config.rs`), its per-CPU ring with sampling and the
//! rate limit (`drops/ring.rs`) and its summary table (`drops/summary.rs`),
//! the UAPI's Rust names (`uapi.rs`), the TOA trust list's prefixes
//! (`toa/trust.rs`), the IP and transport header parsers (`headers.rs`,
//! over byte slices) and the module's heapsort (`sort.rs`).

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

#[path = "../../headers.rs"]
pub mod headers;

/// The wrappers those files call, as test doubles: the `toa_trust=` module
/// parameter and the monotonic clock, set per test thread, and the hook
/// registration a summary line keeps (a plain value here).
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

    pub mod context {
        use std::cell::Cell;

        thread_local! {
            static MONO_NS: Cell<u64> = const { Cell::new(0) };
        }

        pub fn mono_ns() -> u64 {
            MONO_NS.with(Cell::get)
        }

        /// What `mono_ns()` returns on this thread.
        pub fn set_mono_ns(ns: u64) {
            MONO_NS.with(|c| c.set(ns));
        }
    }

    pub mod nfhooks {
        /// Stands for the hook registration a summary line looked up.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct HookDesc(pub u32);
    }
}

/// The drop monitor's pure parts, from `kmod/drops/`.
#[path = "../../drops"]
pub mod drops {
    pub mod config;
    pub mod ring;
    pub mod summary;

    /// What `ring.rs` takes from `record.rs` (which reads skbs).
    pub mod record {
        pub type PacketBuf = [u8; crate::uapi::SNAPLEN_MAX];
    }

    #[cfg(test)]
    #[path = "../host/src/drops_tests.rs"]
    mod tests;
}

#[path = "../../toa/trust.rs"]
pub mod trust;

#[path = "../../sort.rs"]
pub mod sort;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod headers_tests;
