// SPDX-License-Identifier: GPL-2.0

//! Kernel names: code addresses as `%pS` prints them, drop reasons as the
//! kernel names them.

use super::compat::CStrExt as _;
use crate::bindings;

fn until_nul(buf: &[u8]) -> &[u8] {
    &buf[..buf.iter().position(|&b| b == 0).unwrap_or(buf.len())]
}

/// `function+0xoff/0xsize [module]` for `addr`, in `buf`.
pub(crate) fn symbol(addr: u64, buf: &mut [u8]) -> &[u8] {
    format_addr(c"%pS", addr, buf)
}

/// The kernel's name of drop reason `reason` (e.g. `NETFILTER_DROP`), in `buf`.
pub(crate) fn drop_reason_name(reason: u32, buf: &mut [u8]) -> &[u8] {
    // SAFETY: `buf` is valid for writes of its length; the shim terminates it.
    unsafe { bindings::nfscope_drop_reason_name(reason, buf.as_mut_ptr().cast(), buf.len() as u32) };
    until_nul(buf)
}

/// The kernel's name of TCP reset reason `reason` (e.g. `NO_SOCKET`), in `buf`.
pub(crate) fn rst_reason_name(reason: u32, buf: &mut [u8]) -> &[u8] {
    // SAFETY: `buf` is valid for writes of its length; the shim terminates it.
    unsafe { bindings::nfscope_rst_reason_name(reason, buf.as_mut_ptr().cast(), buf.len() as u32) };
    until_nul(buf)
}

/// Whether `addr` is code or data of this module.
pub(crate) fn in_this_module(addr: u64) -> bool {
    // SAFETY: only compares `addr` with this module's address ranges.
    unsafe { bindings::nfscope_addr_in_module(addr) }
}

/// The bare function name of `addr` (`%ps`), in `buf`.
pub(crate) fn symbol_name(addr: u64, buf: &mut [u8]) -> &[u8] {
    format_addr(c"%ps", addr, buf)
}

/// The code of the function starting at `start`: from `start` to the
/// size `%pS` gives it (empty if it knows none).
pub(crate) fn function_range(start: u64) -> core::ops::Range<u64> {
    let mut buf = [0u8; 128];
    let size = symbol(start, &mut buf)
        .rsplit(|&b| b == b'/')
        .next()
        .and_then(|s| s.split(|&b| b == b' ').next())
        .and_then(|s| s.strip_prefix(b"0x"))
        .and_then(|hex| core::str::from_utf8(hex).ok())
        .and_then(|hex| u64::from_str_radix(hex, 16).ok());
    match size {
        Some(size) if start != 0 => start..start + size,
        _ => 0..0,
    }
}

/// One past the largest core drop reason (`SKB_DROP_REASON_MAX`).
pub(crate) fn drop_reason_max() -> u32 {
    bindings::SKB_DROP_REASON_MAX
}

/// `addr` printed with `format`, a `%p` format taking one pointer, in `buf`.
fn format_addr<'a>(format: &'static core::ffi::CStr, addr: u64, buf: &'a mut [u8]) -> &'a [u8] {
    if buf.is_empty() {
        return buf;
    }
    // SAFETY: `buf` is valid for writes of its length, which snprintf
    // respects and NUL-terminates; `format` consumes exactly one pointer
    // argument, which `%pS`/`%ps` only look up, never dereference.
    unsafe { bindings::snprintf(buf.as_mut_ptr().cast(), buf.len(), format.as_char_ptr(), addr as usize as *const kernel::ffi::c_void) };
    until_nul(buf)
}
