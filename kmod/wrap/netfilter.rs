// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks in one network namespace: `nf_register_net_hooks` on
//! creation, `nf_unregister_net_hooks` plus `synchronize_net` on drop.

use crate::bindings;
use crate::wrap::net::Net;
use crate::wrap::pernet::{state_of, PernetState};
use crate::wrap::skb::Skb;
use kernel::error::to_result;
use kernel::ffi;
use kernel::prelude::*;

/// Protocol families nfscope hooks, as netfilter numbers them (`NFPROTO_*`).
pub(crate) const FAMILIES: [u8; 2] = [bindings::NFPROTO_IPV4 as u8, bindings::NFPROTO_IPV6 as u8];

/// The five IP hook points, in `enum nf_inet_hooks` order.
pub(crate) const HOOKS: [u32; 5] = [
    bindings::NF_INET_PRE_ROUTING,
    bindings::NF_INET_LOCAL_IN,
    bindings::NF_INET_FORWARD,
    bindings::NF_INET_LOCAL_OUT,
    bindings::NF_INET_POST_ROUTING,
];

/// The hook point where locally delivered packets pass.
pub(crate) const LOCAL_IN: u32 = bindings::NF_INET_LOCAL_IN;

/// What a hook tells netfilter to do with the packet.
pub(crate) enum Verdict {
    Accept,
}

/// A packet at a hook: the `skb` and its `nf_hook_state`.
pub(crate) struct Packet<'a> {
    skb: &'a Skb,
    state: &'a bindings::nf_hook_state,
}

impl Packet<'_> {
    /// Protocol family (`NFPROTO_IPV4` or `NFPROTO_IPV6`).
    pub(crate) fn pf(&self) -> u8 {
        self.state.pf
    }

    /// Hook point (`NF_INET_*`).
    pub(crate) fn hooknum(&self) -> u32 {
        u32::from(self.state.hook)
    }

    /// The packet's buffer.
    pub(crate) fn skb(&self) -> &Skb {
        self.skb
    }
}

/// The per-packet work of a [`PernetState`].
pub(crate) trait PacketHook: PernetState {
    /// Called for every packet at a registered hook point of this state's
    /// namespace, in softirq or with bottom halves disabled: must not sleep
    /// and must do bounded work.
    fn on_packet(&self, packet: &Packet<'_>) -> Verdict;
}

/// Hooks registered in one namespace.
///
/// # Invariants
///
/// `ops` are registered in `net` while `self` lives. The registration is owned
/// by the `T` of `net` that the hooks serve, so `T` outlives every hook call.
pub(crate) struct HookRegistration {
    net: *mut bindings::net,
    ops: KVec<bindings::nf_hook_ops>,
}

// SAFETY: the raw pointers are only used for unregistration, which may happen on any CPU.
unsafe impl Send for HookRegistration {}
// SAFETY: `&HookRegistration` gives access to nothing.
unsafe impl Sync for HookRegistration {}

impl HookRegistration {
    /// Registers `T::on_packet` at every (family, hook) in `FAMILIES` x `HOOKS`
    /// of `net`, at `priority`. Must be called from `T::attach` and the result
    /// kept in `T`. Process context.
    pub(crate) fn new<T: PacketHook>(net: &Net, priority: i32) -> Result<Self> {
        let mut ops = KVec::with_capacity(FAMILIES.len() * HOOKS.len(), GFP_KERNEL)?;
        for pf in FAMILIES {
            for hooknum in HOOKS {
                ops.push(
                    bindings::nf_hook_ops {
                        hook: Some(hook_callback::<T>),
                        pf,
                        hooknum,
                        priority,
                        ..Default::default()
                    },
                    GFP_KERNEL,
                )?;
            }
        }
        // SAFETY: `ops` is a valid array that outlives the registration (its
        // heap buffer does not move); `net` is live.
        to_result(unsafe {
            bindings::nf_register_net_hooks(net.as_ptr(), ops.as_ptr(), ops.len() as u32)
        })?;
        Ok(Self { net: net.as_ptr(), ops })
    }
}

impl Drop for HookRegistration {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the ops are registered in the live `net`.
        unsafe {
            bindings::nf_unregister_net_hooks(self.net, self.ops.as_ptr(), self.ops.len() as u32)
        };
        // Packets already inside a hook may still run it: wait for them before
        // the ops (and the state the hook reads) can be freed.
        // SAFETY: called in process context (netns exit or module unload).
        unsafe { bindings::synchronize_net() };
    }
}

/// # Safety
///
/// Called by netfilter with a live `skb` and `state`, for hooks registered by
/// [`HookRegistration::new::<T>`]. Runs in softirq or with BH disabled.
unsafe extern "C" fn hook_callback<T: PacketHook>(
    _priv: *mut ffi::c_void,
    skb: *mut bindings::sk_buff,
    state: *const bindings::nf_hook_state,
) -> ffi::c_uint {
    // SAFETY: netfilter passes valid pointers for the duration of the call.
    let (skb, state) = unsafe { (Skb::from_raw(skb), &*state) };
    // SAFETY: `state.net` is the live namespace the packet is in.
    let net = unsafe { Net::from_raw(state.net) };
    // SAFETY: by `HookRegistration`'s invariant the hook is registered by
    // `T::attach` and unregistered (waiting for callers) before `T` is dropped.
    let this = unsafe { state_of::<T>(net) };
    match this.on_packet(&Packet { skb, state }) {
        Verdict::Accept => bindings::NF_ACCEPT,
    }
}
