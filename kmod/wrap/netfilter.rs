// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks in one network namespace: `nf_register_net_hooks` on
//! creation (LOCAL_IN) or on demand (the other points),
//! `nf_unregister_net_hooks` plus `synchronize_net` on drop.

use crate::bindings;
use crate::wrap::net::Net;
use crate::wrap::pernet::{state_of, PernetState, Registered};
use crate::wrap::skb::Skb;
use kernel::error::to_result;
use kernel::ffi;
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};

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

/// The C type of a hook function.
type HookFn = unsafe extern "C" fn(*mut ffi::c_void, *mut bindings::sk_buff, *const bindings::nf_hook_state) -> ffi::c_uint;

/// Hooks registered in one namespace, at the same points of every family in
/// `FAMILIES`.
///
/// # Invariants
///
/// `ops` are registered in `net` while `self` lives, and `net` outlives `self`.
struct HookRegistration {
    net: *mut bindings::net,
    ops: KVec<bindings::nf_hook_ops>,
}

// SAFETY: the raw pointers are only used for unregistration, which may happen on any CPU.
unsafe impl Send for HookRegistration {}
// SAFETY: `&HookRegistration` gives access to nothing.
unsafe impl Sync for HookRegistration {}

impl HookRegistration {
    /// Registers `hook` at `points` of every family of `net`, at `priority`.
    ///
    /// # Safety
    ///
    /// `net` is live and outlives the result; `hook` may be called from
    /// registration until the result is dropped.
    unsafe fn new(net: *mut bindings::net, hook: HookFn, priority: i32, points: &[u32]) -> Result<Self> {
        let mut ops = KVec::with_capacity(FAMILIES.len() * points.len(), GFP_KERNEL)?;
        for pf in FAMILIES {
            for &hooknum in points {
                ops.push(bindings::nf_hook_ops { hook: Some(hook), pf, hooknum, priority, ..Default::default() }, GFP_KERNEL)?;
            }
        }
        // SAFETY: `ops` is a valid array that outlives the registration (its
        // heap buffer does not move); `net` is live (caller).
        to_result(unsafe { bindings::nf_register_net_hooks(net, ops.as_ptr(), ops.len() as u32) })?;
        Ok(Self { net, ops })
    }
}

impl Drop for HookRegistration {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the ops are registered in the live `net`.
        unsafe { bindings::nf_unregister_net_hooks(self.net, self.ops.as_ptr(), self.ops.len() as u32) };
        // Packets already inside a hook may still run it: wait for them before
        // the ops (and the state the hook reads) can be freed.
        // SAFETY: called in process context (netns exit, module unload or a
        // netlink request).
        unsafe { bindings::synchronize_net() };
    }
}

/// `T::on_packet` at LOCAL_IN of one namespace always, and at the other
/// points of `HOOKS` while [`HookSet::set_all_points`] says so: a packet
/// passing a point where nobody hooks costs nothing, one passing a hooked
/// point costs a walk through `nf_hook_slow`.
///
/// # Invariants
///
/// `net` outlives `self`: the set is owned by the `T` of `net` that the
/// hooks serve, so `T` also outlives every hook call.
pub(crate) struct HookSet {
    net: *mut bindings::net,
    hook: HookFn,
    priority: i32,
    _local_in: HookRegistration,
    /// The other points, while registered.
    others: Pin<KBox<Mutex<Option<HookRegistration>>>>,
}

// SAFETY: `net` is only used to register and unregister, which may happen
// on any CPU; the optional registration is behind a mutex.
unsafe impl Send for HookSet {}
// SAFETY: as above.
unsafe impl Sync for HookSet {}

/// The points registered on demand.
const OTHER_POINTS: [u32; 4] = [
    bindings::NF_INET_PRE_ROUTING,
    bindings::NF_INET_FORWARD,
    bindings::NF_INET_LOCAL_OUT,
    bindings::NF_INET_POST_ROUTING,
];

impl HookSet {
    /// Registers `T::on_packet` at LOCAL_IN of `net` (and at every other point
    /// if `all_points`), at `priority`. Called from `T::attach` (`attached`),
    /// the result kept in `T`. Process context.
    pub(crate) fn new<T: PacketHook>(net: &Net, priority: i32, all_points: bool, _attached: Registered<'_, T>) -> Result<Self> {
        let hook: HookFn = hook_callback::<T>;
        // SAFETY: `net` is live; the result is kept in `T` (caller), which
        // `net` outlives and which outlives every hook call.
        let local_in = unsafe { HookRegistration::new(net.as_ptr(), hook, priority, &[LOCAL_IN])? };
        let set = Self { net: net.as_ptr(), hook, priority, _local_in: local_in, others: KBox::pin_init(new_mutex!(None), GFP_KERNEL)? };
        set.set_all_points(all_points, || {})?;
        Ok(set)
    }

    /// Registers or unregisters the points other than LOCAL_IN (waiting for
    /// their running calls), running `apply` under the same lock, once they
    /// are registered or before they are unregistered. Process context;
    /// nothing changes on failure.
    pub(crate) fn set_all_points(&self, on: bool, apply: impl FnOnce()) -> Result {
        let mut others = self.others.lock();
        if on && others.is_none() {
            // SAFETY: `net` outlives `self` (type invariant), which owns the
            // registration; `self.hook` serves it as for `_local_in`.
            *others = Some(unsafe { HookRegistration::new(self.net, self.hook, self.priority, &OTHER_POINTS)? });
        }
        apply();
        if !on {
            drop(others.take());
        }
        Ok(())
    }
}

/// # Safety
///
/// Called by netfilter with a live `skb` and `state`, for hooks registered by
/// [`HookSet::new::<T>`]. Runs in softirq or with BH disabled.
unsafe extern "C" fn hook_callback<T: PacketHook>(
    _priv: *mut ffi::c_void,
    skb: *mut bindings::sk_buff,
    state: *const bindings::nf_hook_state,
) -> ffi::c_uint {
    // SAFETY: netfilter passes valid pointers for the duration of the call.
    let (skb, state) = unsafe { (Skb::from_raw(skb), &*state) };
    // SAFETY: `state.net` is the live namespace the packet is in.
    let net = unsafe { Net::from_raw(state.net) };
    // SAFETY: by `HookSet`'s invariant the hook is registered by `T::attach`
    // and unregistered (waiting for callers) before `T` is dropped.
    let this = unsafe { state_of::<T>(net) };
    match this.on_packet(&Packet { skb, state }) {
        Verdict::Accept => bindings::NF_ACCEPT,
    }
}
