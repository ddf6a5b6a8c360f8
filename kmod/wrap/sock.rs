// SPDX-License-Identifier: GPL-2.0

//! What nfscope reads of a socket: its connection's addresses and ports, its
//! state, and its namespace.

use crate::bindings;
use crate::headers::{AF_INET, AF_INET6};
use crate::wrap::net::Net;

/// `::ffff:a.b.c.d`.
fn is_v4_mapped(a: &[u8; 16]) -> bool {
    a[..10] == [0; 10] && a[10..12] == [0xff, 0xff]
}

/// A socket's connection; IPv4-mapped IPv6 connections are reported as IPv4
/// (addresses in the first 4 bytes).
pub(crate) struct SockTuple {
    pub(crate) family: u16,
    pub(crate) protocol: u8,
    pub(crate) state: u8,
    pub(crate) netns_inode: u32,
    pub(crate) peer_addr: [u8; 16],
    pub(crate) peer_port: u16,
    pub(crate) local_addr: [u8; 16],
    pub(crate) local_port: u16,
}

/// Reads `sk`'s connection, without its namespace. Any context.
///
/// # Safety
///
/// `sk` must point to a live socket (of any kind) for the duration of the call.
pub(crate) unsafe fn sock_connection(sk: *const bindings::sock) -> SockTuple {
    // SAFETY: the caller's guarantee.
    unsafe { sock_tuple(sk) }.0
}

/// Reads `sk`'s connection. Returns its namespace only when the socket holds
/// a reference on it (user sockets), which guarantees the namespace is fully
/// set up (every pernet init ran) and stays alive during the call.
///
/// # Safety
///
/// `sk` must point to a live socket for the duration of `'a`.
pub(crate) unsafe fn sock_tuple<'a>(sk: *const bindings::sock) -> (SockTuple, Option<&'a Net>) {
    let mut t = bindings::nfscope_sock_tuple::default();
    // SAFETY: `sk` is live (caller's guarantee); `t` is a valid out pointer.
    let net = unsafe { bindings::nfscope_sock_tuple(sk, &mut t) };
    // An IPv6 socket talking to an IPv4-mapped peer is an IPv4 connection.
    let v6 = u16::from(t.family) == AF_INET6 && !is_v4_mapped(&t.peer_addr6);
    let v4 = |a: [u8; 4]| {
        let mut full = [0u8; 16];
        full[..4].copy_from_slice(&a);
        full
    };
    let tuple = SockTuple {
        family: if v6 { AF_INET6 } else { AF_INET },
        protocol: t.protocol,
        state: t.state,
        netns_inode: t.netns_inum,
        peer_addr: if v6 { t.peer_addr6 } else { v4(t.peer_addr4) },
        peer_port: t.peer_port,
        local_addr: if v6 { t.local_addr6 } else { v4(t.local_addr4) },
        local_port: t.local_port,
    };
    // SAFETY: a socket with `net_refcnt` holds its namespace for as long as it
    // lives, i.e. for `'a`.
    let net = (t.net_refcnt != 0).then(|| unsafe { Net::from_raw(net) });
    (tuple, net)
}
