// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `nfscope`. Its ops, policy and multicast groups
//! are static tables in the C shim (built with the kernel's `NLA_POLICY_*`
//! macros, from the UAPI header); this file registers it, turns requests into
//! [`Request`]s and builds [`Reply`]s. Policy checks (attribute types, ranges,
//! unknown attributes: `-EINVAL` with an extack message) and permission checks
//! (`GENL_UNS_ADMIN_PERM`: `-EPERM`) happen in the kernel before a handler runs.

use crate::bindings;
use crate::wrap::net::Net;
use crate::wrap::pernet::{state_of, PernetState};
use core::marker::PhantomData;
use kernel::error::{from_result, to_result};
use kernel::ffi;
use kernel::prelude::*;

/// Handles the family's commands for the caller's namespace.
pub(crate) trait GenlHandler {
    /// The state of the namespace a request comes from.
    type State: PernetState;

    /// Handles one request. Process context (may sleep); requests run in
    /// parallel (`parallel_ops`).
    fn doit(state: &Self::State, request: &Request<'_>) -> Result;
}

/// A registered family.
///
/// # Invariants
///
/// The family is registered while `self` lives. It must be dropped before the
/// [`PernetRegistration`](crate::wrap::pernet::PernetRegistration) of
/// `H::State`, and created after it.
pub(crate) struct FamilyRegistration<H: GenlHandler> {
    _handler: PhantomData<H>,
}

impl<H: GenlHandler> FamilyRegistration<H> {
    /// Registers the family with `H` handling every command. Process context.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: `doit_callback::<H>` has the `doit` signature; the shim's
        // tables are static.
        to_result(unsafe { bindings::nfscope_genl_register(Some(doit_callback::<H>)) })?;
        Ok(Self { _handler: PhantomData })
    }
}

impl<H: GenlHandler> Drop for FamilyRegistration<H> {
    fn drop(&mut self) {
        // SAFETY: registered by `new` (type invariant). Unregistration takes the
        // genetlink locks exclusively, so it waits for running handlers.
        unsafe { bindings::nfscope_genl_unregister() };
    }
}

/// # Safety
///
/// Called by genetlink with a live `skb` and `info` for our family.
unsafe extern "C" fn doit_callback<H: GenlHandler>(
    _skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
) -> ffi::c_int {
    from_result(|| {
        let request = Request { info, _lifetime: PhantomData };
        // SAFETY: the requesting socket holds a reference on its namespace.
        let net = unsafe { Net::from_raw(bindings::nfscope_genl_net(info)) };
        // SAFETY: by `FamilyRegistration`'s invariant, `H::State` is registered
        // for as long as requests can arrive, and the namespace (held by the
        // socket) has completed `attach`.
        let state = unsafe { state_of::<H::State>(net) };
        H::doit(state, &request)?;
        Ok(0)
    })
}

/// One request, valid for the duration of the handler.
pub(crate) struct Request<'a> {
    info: *mut bindings::genl_info,
    _lifetime: PhantomData<&'a bindings::genl_info>,
}

impl Request<'_> {
    /// The command (`NFSCOPE_CMD_*`).
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `info` is live for the request.
        unsafe { bindings::nfscope_genl_cmd(self.info) }
    }

    fn attr(&self, kind: u32) -> *const bindings::nlattr {
        // SAFETY: `info` is live for the request; the shim bounds-checks `kind`.
        unsafe { bindings::nfscope_genl_attr(self.info, kind) }
    }

    /// A `u8` attribute, already type- and range-checked by the policy.
    pub(crate) fn attr_u8(&self, kind: u32) -> Option<u8> {
        let nla = self.attr(kind);
        // SAFETY: a non-null attribute passed the policy's `NLA_U8` length check.
        (!nla.is_null()).then(|| unsafe { bindings::nfscope_nla_get_u8(nla) })
    }

    /// Fails the request with `-EINVAL` and `msg` as the extack message.
    pub(crate) fn invalid(&self, msg: &'static CStr) -> Error {
        // SAFETY: `info` is live; `msg` is static, as extack requires.
        unsafe { bindings::nfscope_genl_set_err_msg(self.info, msg.as_char_ptr(), core::ptr::null()) };
        EINVAL
    }

    /// Like [`Request::invalid`], pointing extack at attribute `kind`.
    pub(crate) fn invalid_attr(&self, kind: u32, msg: &'static CStr) -> Error {
        // SAFETY: `info` is live; `msg` is static; the attribute pointer is
        // null or points into the request, which outlives the extack.
        unsafe { bindings::nfscope_genl_set_err_msg(self.info, msg.as_char_ptr(), self.attr(kind)) };
        EINVAL
    }

    /// Starts the reply to this request.
    pub(crate) fn reply(&self) -> Result<Reply<'_>> {
        let mut hdr = core::ptr::null_mut();
        // SAFETY: `info` is live; `hdr` is a valid out pointer.
        let skb = unsafe { bindings::nfscope_genl_reply_new(self.info, &mut hdr) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        Ok(Reply { skb, hdr, request: self })
    }
}

/// A reply being built. Freed unless sent.
///
/// # Invariants
///
/// `skb` is an unsent message we own, `hdr` its genetlink header.
pub(crate) struct Reply<'a> {
    skb: *mut bindings::sk_buff,
    hdr: *mut ffi::c_void,
    request: &'a Request<'a>,
}

/// An attribute nest opened by [`Reply::nest_start`].
pub(crate) struct Nest(*mut bindings::nlattr);

impl Reply<'_> {
    pub(crate) fn put_u8(&mut self, kind: u32, value: u8) -> Result {
        // SAFETY: `skb` is ours (type invariant).
        to_result(unsafe { bindings::nfscope_nla_put_u8(self.skb, kind, value) })
    }

    pub(crate) fn put_u32(&mut self, kind: u32, value: u32) -> Result {
        // SAFETY: `skb` is ours (type invariant).
        to_result(unsafe { bindings::nfscope_nla_put_u32(self.skb, kind, value) })
    }

    pub(crate) fn put_s32(&mut self, kind: u32, value: i32) -> Result {
        // SAFETY: `skb` is ours (type invariant).
        to_result(unsafe { bindings::nfscope_nla_put_s32(self.skb, kind, value) })
    }

    /// A `u64` attribute, aligned with a `pad` attribute as netlink requires.
    pub(crate) fn put_u64(&mut self, kind: u32, value: u64, pad: u32) -> Result {
        // SAFETY: `skb` is ours (type invariant).
        to_result(unsafe { bindings::nfscope_nla_put_u64(self.skb, kind, value, pad) })
    }

    pub(crate) fn put_str(&mut self, kind: u32, value: &CStr) -> Result {
        // SAFETY: `skb` is ours (type invariant); `value` is NUL-terminated.
        to_result(unsafe { bindings::nfscope_nla_put_string(self.skb, kind, value.as_char_ptr()) })
    }

    pub(crate) fn nest_start(&mut self, kind: u32) -> Result<Nest> {
        // SAFETY: `skb` is ours (type invariant).
        let nest = unsafe { bindings::nfscope_nla_nest_start(self.skb, kind) };
        if nest.is_null() {
            return Err(EMSGSIZE);
        }
        Ok(Nest(nest))
    }

    pub(crate) fn nest_end(&mut self, nest: Nest) {
        // SAFETY: `nest` was opened in our `skb` and is still open.
        unsafe { bindings::nfscope_nla_nest_end(self.skb, nest.0) };
    }

    /// Sends the reply to the requester.
    pub(crate) fn send(self) -> Result {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `skb` and `hdr` are ours (type invariant); sending consumes
        // the message, so `Drop` must not run (hence `ManuallyDrop`).
        to_result(unsafe { bindings::nfscope_genl_reply_send(this.skb, this.hdr, this.request.info) })
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        // SAFETY: the message was not sent (`send` skips this), so it is ours to free.
        unsafe { bindings::nfscope_genl_msg_free(self.skb) };
    }
}
