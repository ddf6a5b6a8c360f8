// SPDX-License-Identifier: GPL-2.0

//! TOA (TCP option address) decoding: the client address an L4 balancer in
//! FULLNAT mode puts in a TCP option. `no_std`, no allocation, no `unsafe`:
//! the kernel module compiles this file too (`#[path]`), and userspace uses it
//! through the `nfscope-codec` crate.
//!
//! Formats (all multi-byte fields big-endian), by layout:
//!
//! | layout | len | after kind, len | used by |
//! |---|---|---|---|
//! | [`Layout::Port4`] | 8 | port(2) ipv4(4) | LVS, DPVS, Huawei, ByteDance (254); Tencent, UCloud (200) |
//! | [`Layout::Port6`] | 20 | port(2) ipv6(16) | DPVS, ByteDance (254); LVS, Tencent NAT64 (253) |
//! | [`Layout::ClientVip4`] | 16 | cport(2) cip4(4) pad(2) vport(2) vip4(4) | ByteDance (254) |
//! | [`Layout::AliVtoa4`] | 20 | cport(2) cip4(4) vpc_id(4) vip4(4) vport(2) pad(2) | Alibaba (252) |
//! | [`Layout::AliVtoa6`] | 40 | cport(2) cip6(16) vpc_id(3) rsv(1) vip6(16) | Alibaba (249) |
//! | [`Layout::VpcId`] | 6 | vpc_id(4) | Tencent (201) |
//! | [`Layout::Cdn`] | 7, 19 | version(1: 1=v4, 2=v6) ip(4 or 16), no port | Alibaba CDN (28) |
//!
//! Which layouts a kind may carry is configurable ([`KindTable`]). A packet's
//! options are walked in order; the **first** option that carries a client
//! address wins (what the classic LVS/DPVS modules do), later ones are
//! ignored. A Tencent VPC-id option (201) only adds its VPC id to the result.
//! An experimental option (253, 254) that starts with the TFO ExID `f9 89`
//! is a Fast Open cookie, not TOA (so a TOA port of 63881 in kind 253/254
//! cannot be told apart and is not decoded).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// TCP option kinds with a fixed meaning.
const TCPOPT_EOL: u8 = 0;
const TCPOPT_NOP: u8 = 1;
/// RFC 7413 experimental TFO cookie identifier (in kinds 253/254).
const TFO_EXID: [u8; 2] = [0xf9, 0x89];

/// A TOA option layout: how the bytes after kind and length are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Layout {
    Port4 = 0,
    Port6 = 1,
    ClientVip4 = 2,
    AliVtoa4 = 3,
    AliVtoa6 = 4,
    VpcId = 5,
    Cdn = 6,
}

impl Layout {
    pub const ALL: [Layout; 7] = [
        Layout::Port4,
        Layout::Port6,
        Layout::ClientVip4,
        Layout::AliVtoa4,
        Layout::AliVtoa6,
        Layout::VpcId,
        Layout::Cdn,
    ];

    /// The option lengths (kind and length bytes included) this layout has.
    pub fn lengths(self) -> &'static [u8] {
        match self {
            Layout::Port4 => &[8],
            Layout::Port6 => &[20],
            Layout::ClientVip4 => &[16],
            Layout::AliVtoa4 => &[20],
            Layout::AliVtoa6 => &[40],
            Layout::VpcId => &[6],
            Layout::Cdn => &[7, 19],
        }
    }

    /// A short stable name, as nfscope prints it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Port4 => "port4",
            Layout::Port6 => "port6",
            Layout::ClientVip4 => "client-vip4",
            Layout::AliVtoa4 => "ali-vtoa4",
            Layout::AliVtoa6 => "ali-vtoa6",
            Layout::VpcId => "vpc-id",
            Layout::Cdn => "cdn",
        }
    }

    pub fn from_name(name: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.name() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Which layouts each option kind may carry.
#[derive(Clone, PartialEq, Eq)]
pub struct KindTable {
    layouts: [u8; 256],
}

/// Why a [`KindTable`] change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindTableError {
    /// Kinds 0 (EOL) and 1 (NOP) have no length byte.
    ReservedKind,
    /// Two layouts of one kind would share an option length.
    AmbiguousLength,
}

impl Default for KindTable {
    /// The formats balancers are known to send (module docs' table).
    fn default() -> Self {
        let mut t = Self::empty();
        let defaults: [(u8, &[Layout]); 7] = [
            (254, &[Layout::Port4, Layout::Port6, Layout::ClientVip4]),
            (253, &[Layout::Port6]),
            (200, &[Layout::Port4]),
            (252, &[Layout::AliVtoa4]),
            (249, &[Layout::AliVtoa6]),
            (201, &[Layout::VpcId]),
            (28, &[Layout::Cdn]),
        ];
        for (kind, layouts) in defaults {
            for &l in layouts {
                // The defaults are unambiguous; an error here cannot happen.
                let _ = t.allow(kind, l);
            }
        }
        t
    }
}

impl KindTable {
    /// A table that decodes nothing.
    pub const fn empty() -> Self {
        Self { layouts: [0; 256] }
    }

    /// Lets `kind` carry `layout`.
    pub fn allow(&mut self, kind: u8, layout: Layout) -> Result<(), KindTableError> {
        if kind == TCPOPT_EOL || kind == TCPOPT_NOP {
            return Err(KindTableError::ReservedKind);
        }
        for other in self.layouts_of(kind) {
            if other != layout && other.lengths().iter().any(|len| layout.lengths().contains(len)) {
                return Err(KindTableError::AmbiguousLength);
            }
        }
        self.layouts[kind as usize] |= layout.bit();
        Ok(())
    }

    /// The kinds that carry any layout, as a set of 256 bits (kind `k` is
    /// bit `k % 64` of word `k / 64`), for [`has_toa_kind`].
    pub fn kind_set(&self) -> [u64; 4] {
        let mut set = [0u64; 4];
        for (kind, &bits) in self.layouts.iter().enumerate() {
            if bits != 0 {
                set[kind / 64] |= 1 << (kind % 64);
            }
        }
        set
    }

    /// Stops decoding `kind` altogether.
    pub fn clear(&mut self, kind: u8) {
        self.layouts[kind as usize] = 0;
    }

    /// The layouts `kind` may carry.
    pub fn layouts_of(&self, kind: u8) -> impl Iterator<Item = Layout> + '_ {
        let bits = self.layouts[kind as usize];
        Layout::ALL.into_iter().filter(move |l| bits & l.bit() != 0)
    }

    /// The layout of an option of `kind` and total length `len`, if configured.
    fn layout_for(&self, kind: u8, len: u8) -> Option<Layout> {
        self.layouts_of(kind).find(|l| l.lengths().contains(&len))
    }

    fn is_toa_kind(&self, kind: u8) -> bool {
        self.layouts[kind as usize] != 0
    }
}

/// The client (and balancer) addresses decoded from one packet's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toa {
    /// Option kind and length of the option that carried the client.
    pub kind: u8,
    pub len: u8,
    pub layout: Layout,
    pub client: IpAddr,
    /// `None` when the format carries no port (CDN).
    pub client_port: Option<u16>,
    /// The balancer's virtual address, when the format carries it.
    pub vip: Option<IpAddr>,
    pub vip_port: Option<u16>,
    pub vpc_id: Option<u32>,
}

/// Why a packet's options could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToaError {
    /// The option list itself is broken: an option runs past the end of the
    /// header, or has a length below 2.
    OptionList,
    /// A TOA kind whose length matches none of its configured layouts.
    Length { kind: u8, len: u8 },
    /// A CDN option whose version byte is neither 1 nor 2, or disagrees with its length.
    Version { kind: u8 },
}

/// One TCP option: kind and the bytes after kind and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOption<'a> {
    pub kind: u8,
    pub data: &'a [u8],
}

/// Walks a TCP option list (the bytes after the fixed 20-byte header). Stops
/// at EOL; yields `Err` and stops at the first option that is cut short.
pub fn tcp_options(options: &[u8]) -> impl Iterator<Item = Result<TcpOption<'_>, ToaError>> {
    let mut rest = options;
    core::iter::from_fn(move || loop {
        let (&kind, after) = rest.split_first()?;
        match kind {
            TCPOPT_EOL => {
                rest = &[];
                return None;
            }
            TCPOPT_NOP => rest = after,
            _ => {
                let len = after.first().copied().map(usize::from);
                return match len {
                    Some(len) if len >= 2 && len <= rest.len() => {
                        let data = &rest[2..len];
                        rest = &rest[len..];
                        Some(Ok(TcpOption { kind, data }))
                    }
                    _ => {
                        rest = &[];
                        Some(Err(ToaError::OptionList))
                    }
                };
            }
        }
    })
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn v4(b: &[u8], at: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]))
}

fn v6(b: &[u8], at: usize) -> IpAddr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[at..at + 16]);
    IpAddr::V6(Ipv6Addr::from(a))
}

/// What one option says. `data` has exactly the layout's length minus 2.
enum Decoded {
    Client(Toa),
    VpcId(u32),
}

fn decode(kind: u8, layout: Layout, d: &[u8]) -> Result<Decoded, ToaError> {
    let len = (d.len() + 2) as u8;
    let toa = |client, client_port, vip, vip_port, vpc_id| {
        Decoded::Client(Toa { kind, len, layout, client, client_port, vip, vip_port, vpc_id })
    };
    Ok(match layout {
        Layout::Port4 => toa(v4(d, 2), Some(be16(d, 0)), None, None, None),
        Layout::Port6 => toa(v6(d, 2), Some(be16(d, 0)), None, None, None),
        Layout::ClientVip4 => toa(v4(d, 2), Some(be16(d, 0)), Some(v4(d, 10)), Some(be16(d, 8)), None),
        Layout::AliVtoa4 => toa(v4(d, 2), Some(be16(d, 0)), Some(v4(d, 10)), Some(be16(d, 14)), Some(be32(d, 6))),
        Layout::AliVtoa6 => {
            let vpc = u32::from_be_bytes([0, d[18], d[19], d[20]]);
            toa(v6(d, 2), Some(be16(d, 0)), Some(v6(d, 22)), None, Some(vpc))
        }
        Layout::VpcId => Decoded::VpcId(be32(d, 0)),
        Layout::Cdn => match (d[0], d.len()) {
            (1, 5) => toa(v4(d, 1), None, None, None, None),
            (2, 17) => toa(v6(d, 1), None, None, None, None),
            _ => return Err(ToaError::Version { kind }),
        },
    })
}

/// Whether `options` hold an option of a kind in `kinds` (a
/// [`KindTable::kind_set`]), without decoding any. `Ok(false)` means
/// [`parse_toa`] finds no TOA; an error means it fails too. A packet's fast
/// path: most carry timestamps and SACK, not TOA.
pub fn has_toa_kind(options: &[u8], kinds: &[u64; 4]) -> Result<bool, ToaError> {
    for opt in tcp_options(options) {
        let kind = opt?.kind;
        if kinds[kind as usize / 64] & (1 << (kind % 64)) != 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Decodes the TOA of one packet from its TCP options (the bytes after the
/// fixed header). `Ok(None)`: no TOA option. A broken option list, or a TOA
/// kind with an impossible length, is an error even if another option
/// decoded: such packets are counted as malformed and not trusted.
pub fn parse_toa(options: &[u8], kinds: &KindTable) -> Result<Option<Toa>, ToaError> {
    let mut found: Option<Toa> = None;
    let mut vpc_id = None;
    for opt in tcp_options(options) {
        let TcpOption { kind, data } = opt?;
        if !kinds.is_toa_kind(kind) {
            continue;
        }
        if (kind == 253 || kind == 254) && data.starts_with(&TFO_EXID) {
            continue;
        }
        let len = (data.len() + 2) as u8;
        let layout = kinds.layout_for(kind, len).ok_or(ToaError::Length { kind, len })?;
        match decode(kind, layout, data)? {
            Decoded::Client(toa) if found.is_none() => found = Some(toa),
            Decoded::Client(_) => {}
            Decoded::VpcId(id) => vpc_id = vpc_id.or(Some(id)),
        }
    }
    Ok(found.map(|mut t| {
        t.vpc_id = t.vpc_id.or(vpc_id);
        t
    }))
}
