// SPDX-License-Identifier: GPL-2.0

//! Which senders may give TOA: address prefixes, and the `toa_trust=`
//! module parameter that every new namespace's list starts from.

use crate::headers::{AF_INET, AF_INET6};
use crate::wrap::params;
use core::net::IpAddr;
use core::ffi::CStr;
use kernel::prelude::*;

/// Most prefixes a trust list holds.
pub(crate) const MAX_TRUST: usize = 64;

/// An address prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))] // the host tests (kmod/host/)
pub(crate) struct Cidr {
    pub(crate) family: u16,
    pub(crate) addr: [u8; 16],
    pub(crate) prefix: u8,
}

impl Cidr {
    /// Builds a prefix from raw address bytes (4 or 16) and a length; host
    /// bits must be zero.
    pub(crate) fn new(addr: &[u8], prefix: u8) -> Result<Self, &'static CStr> {
        let (family, max) = match addr.len() {
            4 => (AF_INET, 32),
            16 => (AF_INET6, 128),
            _ => return Err(c"address must be 4 (IPv4) or 16 (IPv6) bytes"),
        };
        if prefix > max {
            return Err(c"prefix length too long for the address family");
        }
        let mut a = [0u8; 16];
        a[..addr.len()].copy_from_slice(addr);
        let c = Self { family, addr: a, prefix };
        if (0..addr.len()).any(|i| a[i] & !mask_byte(prefix, i) != 0) {
            return Err(c"address has bits set past the prefix length");
        }
        Ok(c)
    }

    pub(crate) fn contains(&self, family: u16, addr: &[u8; 16]) -> bool {
        family == self.family && (0..16).all(|i| (addr[i] ^ self.addr[i]) & mask_byte(self.prefix, i) == 0)
    }

    /// Parses `a.b.c.d/n` or `x::y/n` (a bare address is a host prefix).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Self::new(&a.octets(), prefix.unwrap_or(32)).ok(),
            IpAddr::V6(a) => Self::new(&a.octets(), prefix.unwrap_or(128)).ok(),
        }
    }
}

fn mask_byte(prefix: u8, i: usize) -> u8 {
    let bits = (prefix as usize).saturating_sub(i * 8).min(8);
    if bits == 0 { 0 } else { 0xffu8 << (8 - bits) }
}

/// The `toa_trust=` parameter as prefixes; `Err` names the first bad item.
pub(crate) fn default_trust() -> Result<KVec<Cidr>, &'static str> {
    let mut list = KVec::new();
    for item in params::toa_trust().split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let cidr = Cidr::parse(item).ok_or(item)?;
        if list.len() >= MAX_TRUST {
            return Err(item);
        }
        list.push(cidr, GFP_KERNEL).map_err(|_| item)?;
    }
    Ok(list)
}
