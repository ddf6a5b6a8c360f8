// SPDX-License-Identifier: GPL-2.0

//! A borrowed `sk_buff`: its length, namespace, device, and bytes copied out
//! wherever they lie (linear data or fragments).

use crate::bindings;
use crate::headers::PacketBytes;
use crate::wrap::net::Net;
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Where an skb is: its namespace's inode and its interface (0 if unknown).
#[derive(Clone, Copy)]
pub(crate) struct SkbPlace {
    pub(crate) netns: u32,
    pub(crate) ifindex: u32,
}

/// A packet buffer.
///
/// # Invariants
///
/// A `&Skb` refers to a live `sk_buff` for its lifetime.
#[repr(transparent)]
pub(crate) struct Skb(Opaque<bindings::sk_buff>);

/// `SKB_DROP_REASON_NETFILTER_DROP`: what `nf_hook_slow` frees a packet with
/// when a hook returned `NF_DROP`.
pub(crate) const DROP_REASON_NETFILTER_DROP: u32 = bindings::SKB_DROP_REASON_NETFILTER_DROP;

/// Field `$field` of the `headers` group of `sk_buff` `$skb`
/// (`struct_group(headers, ...)`: what a clone copies), read through a
/// raw pointer. Use in `unsafe`, with `$skb` live.
macro_rules! header {
    ($skb:expr, $field:ident) => {{
        /// The value behind one of bindgen's union fields.
        fn view<T>(field: *const kernel::bindings::__BindgenUnionField<T>) -> *const T {
            field.cast()
        }
        (*view(core::ptr::addr_of!((*$skb).__bindgen_anon_4.headers))).$field
    }};
}

impl Skb {
    /// # Safety
    ///
    /// `ptr` must point to a live `sk_buff` for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::sk_buff) -> &'a Skb {
        // SAFETY: transparent wrapper; the caller guarantees liveness.
        unsafe { &*ptr.cast::<Skb>() }
    }

    fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// The skb's address: identifies it while it lives.
    pub(crate) fn addr(&self) -> usize {
        self.as_ptr() as usize
    }

    /// Length of the data (`skb->len`).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: live by the type invariant.
        unsafe { (*self.as_ptr()).len }
    }

    /// Offset of the network header from `skb->data` (`skb_network_offset()`).
    pub(crate) fn network_offset(&self) -> i32 {
        let skb = self.as_ptr();
        // SAFETY: live by the type invariant; plain field reads.
        let (network, head, data) = unsafe { (header!(skb, network_header), (*skb).head, (*skb).data) };
        (head as usize + usize::from(network)).wrapping_sub(data as usize) as isize as i32
    }

    /// Copies `buf.len()` bytes at `offset` (from `skb->data`). Fails if the
    /// packet is shorter.
    pub(crate) fn copy_bytes(&self, offset: i32, buf: &mut [u8]) -> Result {
        let skb = self.as_ptr();
        // `skb_headroom()` and `skb_headlen()`: the head buffer holds the
        // linear data, `len - data_len` bytes from `data`, after the headroom.
        // SAFETY: live by the type invariant; plain field reads.
        let (data, head, len, data_len) = unsafe { ((*skb).data.cast_const(), (*skb).head, (*skb).len, (*skb).data_len) };
        let (before, headlen) = (data as usize - head as usize, len - data_len);
        let (start, end) = (i64::from(offset), i64::from(offset) + buf.len() as i64);
        if start >= -(before as i64) && end <= i64::from(headlen) {
            // In the linear buffer (headers already pulled lie before
            // `data`): copied straight, as `skb_copy_bits` would.
            // SAFETY: `data - before .. data + headlen` is the skb's head
            // buffer, live by the type invariant, and holds the range;
            // `buf` is ours, valid for its length, and apart from it.
            unsafe { core::ptr::copy_nonoverlapping(data.offset(offset as isize), buf.as_mut_ptr(), buf.len()) };
            return Ok(());
        }
        // SAFETY: live by the type invariant; `buf` is valid for writes of its length.
        to_result(unsafe {
            bindings::skb_copy_bits(self.as_ptr(), offset, buf.as_mut_ptr().cast(), buf.len() as i32)
        })
    }

    /// For IPv6 at `network_offset`: the upper-layer protocol after any
    /// extension headers and its offset; `None` for later fragments or broken chains.
    pub(crate) fn ipv6_transport(&self, nexthdr: u8) -> Option<(u8, i32)> {
        let mut next = nexthdr;
        let mut frag_off = 0u16;
        // SAFETY: live by the type invariant; the out pointers are valid.
        let off = unsafe {
            bindings::ipv6_skip_exthdr(self.as_ptr(), self.network_offset() + 40, &mut next, &mut frag_off)
        };
        // A non-zero `frag_off` means a fragment after the first: no transport header.
        (off >= 0 && frag_off == 0).then_some((next, off))
    }

    /// The namespace (inode) and interface of the skb: its device's, else
    /// its socket's namespace (transmit before a device is set) with no
    /// interface; zeros if neither is known.
    pub(crate) fn place(&self) -> SkbPlace {
        let mut p = SkbPlace { netns: 0, ifindex: 0 };
        // SAFETY: live by the type invariant; the shim reads the device
        // without faulting.
        if unsafe { bindings::nfscope_skb_dev_place(self.as_ptr(), &mut p.netns, &mut p.ifindex) } {
            return p;
        }
        // SAFETY: live by the type invariant; a socket it points to is held
        // by it, and the socket holds its namespace.
        let netns = unsafe {
            let sk = (*self.as_ptr()).sk;
            if sk.is_null() { 0 } else { Net::from_raw(bindings::nfscope_sock_net(sk)).inode() }
        };
        SkbPlace { netns, ifindex: 0 }
    }

    /// [`Skb::place`] of a freed skb whose receiving socket was `rx_sk`
    /// (`skb:kfree_skb`'s argument): that socket's namespace decides, with
    /// the interface the skb came in on.
    ///
    /// # Safety
    ///
    /// `rx_sk`, if not null, points to a live socket.
    pub(crate) unsafe fn place_received(&self, rx_sk: *const bindings::sock) -> SkbPlace {
        if rx_sk.is_null() {
            return self.place();
        }
        // SAFETY: `rx_sk` is live (caller) and holds its namespace; the skb
        // is live by the type invariant.
        unsafe {
            let netns = Net::from_raw(bindings::nfscope_sock_net(rx_sk)).inode();
            SkbPlace { netns, ifindex: header!(self.as_ptr(), skb_iif) as u32 }
        }
    }

    /// `skb->protocol` (an ethertype, host order); 0 on some transmit paths.
    pub(crate) fn protocol(&self) -> u16 {
        // SAFETY: live by the type invariant; a plain field read.
        u16::from_be(unsafe { header!(self.as_ptr(), protocol) })
    }
}

impl PacketBytes for Skb {
    fn network_offset(&self) -> i32 {
        Skb::network_offset(self)
    }

    fn copy_bytes(&self, offset: i32, buf: &mut [u8]) -> Result {
        Skb::copy_bytes(self, offset, buf)
    }

    fn ipv6_transport(&self, nexthdr: u8) -> Option<(u8, i32)> {
        Skb::ipv6_transport(self, nexthdr)
    }
}
