// SPDX-License-Identifier: GPL-2.0

//! TOA in one network namespace: decode the client address balancers put in
//! TCP options of inbound packets (LOCAL_IN, so the 4-tuple is the one the
//! backend's socket has), keep it per connection, give it back from
//! `getpeername()`/`accept()`, and forget it when the connection closes.
//!
//! Which senders are trusted: when the trust list is non-empty, TOA from a
//! source outside it is ignored and counted. The first TOA seen for a
//! connection (SYN, handshake ACK or first data) is kept; later ones are
//! ignored. The table holds at most `capacity` entries; when full, the entry
//! with the smallest key is evicted (and counted) to make room.
//!
//! An IPv6 client cannot be returned on an IPv4 socket (`sockaddr_in` has no
//! room): such sockets keep the wire peer, counted as `unrepresentable`.

use crate::toa_codec::{has_toa_kind, parse_toa, KindTable, Layout, Toa};
use crate::wrap::compat;
use crate::wrap::context;
use crate::wrap::lock_bh::SpinLockBh;
use crate::wrap::netfilter::Packet;
use crate::wrap::sock::SockTuple;
use core::ffi::CStr;
use core::net::IpAddr;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::static_lock_class;

pub(crate) use crate::headers::{AF_INET, AF_INET6};
use crate::headers::{tcp_ip_headers, transport, IPPROTO_TCP};
use crate::wrap::skb::Skb;

mod trust;

pub(crate) use trust::{default_trust, Cidr};
use trust::MAX_TRUST;
const TCP_CLOSE: i32 = 7;
const TCP_FLAG_SYN: u8 = 0x02;
const TCP_FLAG_ACK: u8 = 0x10;

/// A connection as the backend sees it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConnKey {
    pub(crate) family: u16,
    pub(crate) peer: [u8; 16],
    pub(crate) peer_port: u16,
    pub(crate) local: [u8; 16],
    pub(crate) local_port: u16,
}

impl ConnKey {
    fn of_sock(s: &SockTuple) -> Self {
        Self { family: s.family, peer: s.peer_addr, peer_port: s.peer_port, local: s.local_addr, local_port: s.local_port }
    }

    /// The address bytes that matter for the family.
    pub(crate) fn addr_len(&self) -> usize {
        if self.family == AF_INET6 { 16 } else { 4 }
    }
}

/// A decoded TOA and when it was stored.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) toa: Toa,
    /// `context::mono_ns()` when stored.
    pub(crate) created_ns: u64,
}

impl Entry {
    /// Milliseconds since the entry was stored, at monotonic time `now_ns`.
    pub(crate) fn age_ms(&self, now_ns: u64) -> u64 {
        now_ns.saturating_sub(self.created_ns) / 1_000_000
    }
}

/// The address in `bytes` (4 or 16 of them used, by `family`).
pub(crate) fn ip_addr(family: u16, bytes: &[u8; 16]) -> IpAddr {
    if family == AF_INET6 {
        IpAddr::from(*bytes)
    } else {
        IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
}

/// TOA counters; indexes are the UAPI's `enum nfscope_toa_stat`.
#[derive(Clone, Copy)]
#[repr(usize)]
pub(crate) enum Stat {
    Port4 = 2,
    Port6,
    ClientVip4,
    AliVtoa4,
    AliVtoa6,
    Cdn,
    NoToa,
    Untrusted,
    Malformed,
    Evicted,
    Rewrites,
    Unrepresentable,
    Entries,
    Capacity,
    Expired,
}

pub(crate) const STAT_COUNT: usize = Stat::Expired as usize + 1;

/// Counter names as procfs shows them, by stat index.
pub(crate) const STAT_NAMES: [&str; STAT_COUNT] = [
    "", "", "decoded_port4", "decoded_port6", "decoded_client_vip4", "decoded_ali_vtoa4",
    "decoded_ali_vtoa6", "decoded_cdn", "no_toa", "untrusted", "malformed", "evicted",
    "getname_rewrites", "unrepresentable", "entries", "capacity", "expired",
];

fn decoded_stat(layout: Layout) -> Stat {
    match layout {
        Layout::Port4 => Stat::Port4,
        Layout::Port6 => Stat::Port6,
        Layout::ClientVip4 => Stat::ClientVip4,
        Layout::AliVtoa4 => Stat::AliVtoa4,
        // A VPC id never carries a client on its own.
        Layout::AliVtoa6 | Layout::VpcId => Stat::AliVtoa6,
        Layout::Cdn => Stat::Cdn,
    }
}

struct Inner {
    table: RBTree<ConnKey, Entry>,
    entries: usize,
    trust: KVec<Cidr>,
    kinds: KindTable,
}

/// The TOA state of one namespace.
pub(crate) struct ToaState {
    inner: Pin<KBox<SpinLockBh<Inner>>>,
    /// The kinds `inner.kinds` decodes (a [`KindTable::kind_set`]), read
    /// without the lock by every packet; written under it.
    kind_set: [AtomicU64; 4],
    stats: [AtomicU64; STAT_COUNT],
    capacity: usize,
}

/// Headers of one inbound TCP packet.
struct TcpPacket {
    key: ConnKey,
    flags: u8,
    options: [u8; 40],
    options_len: usize,
    /// The header is cut short: its options are not all there.
    truncated: bool,
}

/// Reads the IP and TCP headers of an inbound packet; `None` if it is not
/// TCP, is a later fragment, or is cut short.
fn read_tcp(skb: &Skb) -> Option<TcpPacket> {
    let ip = tcp_ip_headers(skb)?;
    if ip.proto != IPPROTO_TCP {
        return None;
    }
    let t = transport(skb, &ip, true)?;
    let key = ConnKey { family: ip.family, peer: ip.saddr, peer_port: t.sport, local: ip.daddr, local_port: t.dport };
    Some(TcpPacket { key, flags: t.tcp_flags, options: t.options, options_len: t.options_len, truncated: t.truncated })
}

impl ToaState {
    pub(crate) fn new(trust: &[Cidr], capacity: usize) -> Result<Self> {
        let mut list = KVec::with_capacity(trust.len(), GFP_KERNEL)?;
        for c in trust {
            list.push(*c, GFP_KERNEL)?;
        }
        let kinds = KindTable::default();
        let kind_set = kinds.kind_set().map(AtomicU64::new);
        let inner = Inner { table: RBTree::new(), entries: 0, trust: list, kinds };
        // `c_str!`: the kernel crate's `CStr`, which `Lock::new` takes, on every line.
        let inner = KBox::pin_init(SpinLockBh::new(inner, kernel::c_str!("nfscope_toa"), static_lock_class!()), GFP_KERNEL)?;
        let this = Self { inner, kind_set, stats: [const { AtomicU64::new(0) }; STAT_COUNT], capacity };
        this.stats[Stat::Capacity as usize].store(capacity as u64, Relaxed);
        Ok(this)
    }

    fn count(&self, stat: Stat) {
        self.stats[stat as usize].fetch_add(1, Relaxed);
    }

    /// A read of every counter, by `enum nfscope_toa_stat` index.
    pub(crate) fn stats(&self) -> [u64; STAT_COUNT] {
        let mut out = [0; STAT_COUNT];
        for (o, s) in out.iter_mut().zip(self.stats.iter()) {
            *o = s.load(Relaxed);
        }
        out
    }

    /// An inbound packet at LOCAL_IN (softirq): store its TOA if it carries
    /// one and its connection has none yet. Bounded work: one option walk
    /// and one tree operation. Packets without an option of a TOA kind (the
    /// common case: timestamps, SACK) take no lock.
    pub(crate) fn on_packet(&self, packet: &Packet<'_>) {
        let Some(p) = read_tcp(packet.skb()) else { return };
        if p.truncated {
            self.count(Stat::Malformed);
            return;
        }
        let is_syn = p.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK) == TCP_FLAG_SYN;
        let kind_set = [0, 1, 2, 3].map(|i| self.kind_set[i].load(Relaxed));
        match has_toa_kind(&p.options[..p.options_len], &kind_set) {
            Ok(true) => {}
            Ok(false) => {
                if is_syn {
                    self.count(Stat::NoToa);
                }
                return;
            }
            Err(_) => {
                self.count(Stat::Malformed);
                return;
            }
        }
        let mut inner = self.inner.lock();
        let toa = match parse_toa(&p.options[..p.options_len], &inner.kinds) {
            Ok(Some(toa)) => toa,
            Ok(None) => {
                drop(inner);
                if is_syn {
                    self.count(Stat::NoToa);
                }
                return;
            }
            Err(_) => {
                drop(inner);
                self.count(Stat::Malformed);
                return;
            }
        };
        if !inner.trust.is_empty() && !inner.trust.iter().any(|c| c.contains(p.key.family, &p.key.peer)) {
            drop(inner);
            self.count(Stat::Untrusted);
            return;
        }
        if inner.table.get(&p.key).is_some() {
            return;
        }
        let Ok(node) = RBTreeNode::new(p.key, Entry { toa, created_ns: context::mono_ns() }, GFP_ATOMIC) else {
            return;
        };
        let mut evicted = false;
        if inner.entries >= self.capacity {
            let smallest = inner.table.keys().next().copied();
            if let Some(smallest) = smallest {
                inner.table.remove(&smallest);
                inner.entries -= 1;
                evicted = true;
            }
        }
        inner.table.insert(node);
        inner.entries += 1;
        let entries = inner.entries;
        drop(inner);
        self.stats[Stat::Entries as usize].store(entries as u64, Relaxed);
        self.count(decoded_stat(toa.layout));
        if evicted {
            self.count(Stat::Evicted);
        }
    }

    /// A TCP socket of this namespace closed: forget its TOA.
    pub(crate) fn on_sock_state(&self, sock: &SockTuple, new: i32) {
        if sock.protocol != IPPROTO_TCP || new != TCP_CLOSE {
            return;
        }
        let mut inner = self.inner.lock();
        if inner.table.remove(&ConnKey::of_sock(sock)).is_some() {
            inner.entries -= 1;
            let entries = inner.entries;
            drop(inner);
            self.stats[Stat::Entries as usize].store(entries as u64, Relaxed);
            self.count(Stat::Expired);
        }
    }

    /// `getpeername()`/`accept()` answered `addr` for `sock`: put the client there.
    pub(crate) fn on_getname(&self, sock: &SockTuple, addr: &mut [u8]) {
        if sock.protocol != IPPROTO_TCP {
            return;
        }
        let Some(toa) = self.inner.lock().table.get(&ConnKey::of_sock(sock)).map(|e| e.toa) else {
            return;
        };
        if addr.len() < 8 {
            return;
        }
        let sa_family = u16::from_ne_bytes([addr[0], addr[1]]);
        let written = match (sa_family, toa.client) {
            (AF_INET, IpAddr::V4(c)) => {
                addr[4..8].copy_from_slice(&c.octets());
                true
            }
            (AF_INET6, client) if addr.len() >= 28 => {
                let v6 = match client {
                    IpAddr::V4(c) => c.to_ipv6_mapped(),
                    IpAddr::V6(c) => c,
                };
                addr[4..8].fill(0);
                addr[8..24].copy_from_slice(&v6.octets());
                addr[24..28].fill(0);
                true
            }
            _ => false,
        };
        if !written {
            self.count(Stat::Unrepresentable);
            return;
        }
        if let Some(port) = toa.client_port {
            addr[2..4].copy_from_slice(&port.to_be_bytes());
        }
        self.count(Stat::Rewrites);
    }

    /// Calls `f` on entries from the `skip`-th on (in key order), under the
    /// lock (`f` must not sleep), until `f` fails. Returns how many were visited.
    pub(crate) fn for_each_entry(&self, skip: usize, mut f: impl FnMut(&ConnKey, &Entry) -> Result) -> usize {
        let inner = self.inner.lock();
        let mut visited = 0;
        for (k, e) in inner.table.iter().skip(skip) {
            if f(k, e).is_err() {
                break;
            }
            visited += 1;
        }
        visited
    }

    pub(crate) fn trust_add(&self, cidr: Cidr) -> Result<(), &'static CStr> {
        let mut inner = self.inner.lock();
        if inner.trust.contains(&cidr) {
            return Ok(());
        }
        if inner.trust.len() >= MAX_TRUST {
            return Err(c"the trust list is full (64 prefixes)");
        }
        inner.trust.push(cidr, GFP_ATOMIC).map_err(|_| c"out of memory")
    }

    /// Removes `cidr`; false if it was not in the list.
    pub(crate) fn trust_del(&self, cidr: Cidr) -> bool {
        let mut inner = self.inner.lock();
        let Some(i) = inner.trust.iter().position(|c| *c == cidr) else { return false };
        compat::vec_remove(&mut inner.trust, i).is_some()
    }

    /// Calls `f` on every trusted prefix, under the lock.
    pub(crate) fn for_each_trust(&self, mut f: impl FnMut(&Cidr) -> Result) -> Result {
        self.inner.lock().trust.iter().try_for_each(&mut f)
    }

    /// Sets the layouts `kind` carries (`layouts`: bitmask by layout number).
    pub(crate) fn set_kind(&self, kind: u8, layouts: u32) -> Result<(), &'static CStr> {
        if layouts >> Layout::ALL.len() != 0 {
            return Err(c"unknown layout bit");
        }
        let mut inner = self.inner.lock();
        let mut table = inner.kinds.clone();
        table.clear(kind);
        for l in Layout::ALL {
            if layouts & (1 << (l as u32)) != 0 {
                table.allow(kind, l).map_err(|e| match e {
                    crate::toa_codec::KindTableError::ReservedKind => c"kinds 0 (EOL) and 1 (NOP) cannot carry TOA",
                    crate::toa_codec::KindTableError::AmbiguousLength => {
                        c"two of these layouts have the same length: one kind cannot carry both"
                    }
                })?;
            }
        }
        for (word, bits) in self.kind_set.iter().zip(table.kind_set()) {
            word.store(bits, Relaxed);
        }
        inner.kinds = table;
        Ok(())
    }

    /// Calls `f` with every kind that carries layouts, and their bitmask.
    pub(crate) fn for_each_kind(&self, mut f: impl FnMut(u8, u32) -> Result) -> Result {
        let kinds = self.inner.lock().kinds.clone();
        for kind in 0..=255u8 {
            let bits = kinds.layouts_of(kind).fold(0u32, |b, l| b | 1 << (l as u32));
            if bits != 0 {
                f(kind, bits)?;
            }
        }
        Ok(())
    }
}
