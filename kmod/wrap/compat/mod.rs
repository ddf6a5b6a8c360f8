// SPDX-License-Identifier: GPL-2.0

//! What differs between the kernel lines nfscope.ko builds on, in one place.
//!
//! The Rust side of the module is one source tree for Linux 7.2 and Linux
//! 6.12 LTS. Where the `kernel` crates differ, this module gives the rest of
//! the module one name: on 7.x it re-exports the kernel crate's item
//! ([`v7`]), on 6.12 it provides a small equivalent built on what 6.12 has
//! ([`v6_12`]). The Kbuild selects the line with `--cfg nfscope_linux_6_12`
//! (from the kernel's `VERSION`/`PATCHLEVEL`). Differences on the C side
//! (function signatures, register access) stay in the shim, behind typedefs
//! and accessors that look the same on both lines.
//!
//! | item         | 7.x                          | 6.12                       |
//! |--------------|------------------------------|----------------------------|
//! | [`Display`]  | `kernel::fmt::Display`       | `core::fmt::Display`       |
//! | [`SeqFile`], [`seq_print!`] | `kernel::seq_file` | a `%pA` `seq_printf` here |
//! | [`SetOnce`]  | `kernel::sync::SetOnce`      | an atomic once-cell here   |
//! | [`FromBytes`]| `kernel::transmute::FromBytes` | a marker trait here      |
//! | [`since_7!`] | expands its items            | drops them                 |

#[cfg(not(nfscope_linux_6_12))]
mod v7;
#[cfg(not(nfscope_linux_6_12))]
pub(crate) use v7::*;

#[cfg(nfscope_linux_6_12)]
mod v6_12;
#[cfg(nfscope_linux_6_12)]
pub(crate) use v6_12::*;
