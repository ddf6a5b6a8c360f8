// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `nfscope`. Its attribute policy and multicast
//! group are static tables in the C shim (built with the kernel's
//! `NLA_POLICY_*` macros, from the UAPI header); its commands come from the
//! handler ([`GenlHandler::COMMANDS`]). This file registers it, turns
//! requests into [`Request`]s and builds [`Reply`]s. Policy checks
//! (attribute types, ranges, unknown attributes: `-EINVAL` with an extack
//! message) and permission checks (`-EPERM`) happen in the kernel before a
//! handler runs.

use super::compat::{self, CStrExt as _};
use crate::bindings;
use core::ffi::CStr;
use crate::wrap::net::Net;
use crate::wrap::pernet::{state_of, PernetState, Registered};
use core::marker::PhantomData;
use kernel::error::{from_result, to_result};
use kernel::ffi;
use kernel::prelude::*;

/// Who may send a command; genetlink refuses anyone else (`-EPERM`).
#[derive(Clone, Copy)]
pub(crate) enum Permission {
    Anyone,
    /// `CAP_NET_ADMIN` in the caller's namespace.
    NetnsAdmin,
    /// `CAP_NET_ADMIN` in the initial namespace (module-wide state).
    InitAdmin,
}

/// One command of the family.
pub(crate) struct Command {
    pub(crate) cmd: u8,
    pub(crate) permission: Permission,
    /// Answered by [`GenlHandler::dump`] (several messages) rather than
    /// [`GenlHandler::doit`].
    pub(crate) dump: bool,
}

/// Handles the family's commands for the caller's namespace.
pub(crate) trait GenlHandler {
    /// The state of the namespace a request comes from.
    type State: PernetState;

    /// Every command of the family.
    const COMMANDS: &'static [Command];

    /// Handles one request. Process context (may sleep); requests run in
    /// parallel (`parallel_ops`).
    fn doit(state: &Self::State, request: &Request<'_>) -> Result;

    /// Continues a dump (commands marked `dump`): adds messages
    /// from `dump.cursor()` on, until done or the buffer is full
    /// ([`Dump::add`] fails with `EMSGSIZE`), and moves the cursor. Process
    /// context.
    fn dump(state: &Self::State, dump: &mut Dump<'_>) -> Result;
}

/// A registered family.
///
/// # Invariants
///
/// The family is registered while `self` lives.
pub(crate) struct FamilyRegistration<H: GenlHandler> {
    _handler: PhantomData<H>,
}

impl<H: GenlHandler> FamilyRegistration<H> {
    /// Registers the family with `H` handling every command, after the
    /// per-namespace state its handlers look up (`registered`). Process
    /// context.
    ///
    /// # Safety
    ///
    /// The family must be dropped before the `PernetRegistration` that
    /// `registered` comes from.
    pub(crate) unsafe fn new(_registered: Registered<'_, H::State>) -> Result<Self> {
        let mut cmds = KVec::with_capacity(H::COMMANDS.len(), GFP_KERNEL)?;
        for c in H::COMMANDS {
            let perm = match c.permission {
                Permission::Anyone => bindings::NFSCOPE_PERM_ANYONE,
                Permission::NetnsAdmin => bindings::NFSCOPE_PERM_NETNS_ADMIN,
                Permission::InitAdmin => bindings::NFSCOPE_PERM_INIT_ADMIN,
            };
            cmds.push(bindings::nfscope_cmd_spec { cmd: c.cmd, perm: perm as u8, dump: c.dump }, GFP_KERNEL)?;
        }
        // SAFETY: the callbacks have the `doit` and `dumpit` signatures;
        // `cmds` holds `len` commands, which the shim copies into its static
        // table.
        to_result(unsafe {
            bindings::nfscope_genl_register(Some(doit_callback::<H>), Some(dumpit_callback::<H>), cmds.as_ptr(), cmds.len() as u32)
        })?;
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
        // (`genl_info_net()`: `read_pnet(&info->_net)`).
        let net = unsafe { Net::from_raw((*info)._net.net) };
        // SAFETY: by `FamilyRegistration`'s invariant, `H::State` is registered
        // for as long as requests can arrive, and the namespace (held by the
        // socket) has completed `attach`.
        let state = unsafe { state_of::<H::State>(net) };
        H::doit(state, &request)?;
        Ok(0)
    })
}

/// # Safety
///
/// Called by genetlink with a live `skb` and dump callback for our family.
unsafe extern "C" fn dumpit_callback<H: GenlHandler>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> ffi::c_int {
    from_result(|| {
        // SAFETY: the dumping socket (`cb->skb->sk`, live for the dump)
        // holds a reference on its namespace.
        let net = unsafe { Net::from_raw(bindings::nfscope_sock_net((*(*cb).skb).sk)) };
        // SAFETY: as in `doit_callback`.
        let state = unsafe { state_of::<H::State>(net) };
        let mut dump = Dump { skb, cb, _lifetime: PhantomData };
        H::dump(state, &mut dump)?;
        // SAFETY: `skb` is live. A positive length asks for another round; 0 ends the dump.
        Ok(unsafe { (*skb).len } as ffi::c_int)
    })
}

/// One round of a dump: fills one buffer with messages.
pub(crate) struct Dump<'a> {
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
    _lifetime: PhantomData<&'a ()>,
}

impl Dump<'_> {
    /// The command being dumped.
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `cb` is live for the round; genetlink's dump start made
        // its `data` the `genl_dumpit_info` (`genl_dumpit_info()`).
        unsafe { (*(*self.cb).data.cast::<bindings::genl_dumpit_info>()).op.cmd }
    }

    /// Where the previous round stopped (0 at the start): `cb->args[0]`,
    /// which netlink zeroes when the dump starts.
    pub(crate) fn cursor(&self) -> u64 {
        // SAFETY: `cb` is live for the round; `args` is the view of the
        // callback's scratch space that nfscope uses.
        (unsafe { (*self.cb).__bindgen_anon_1.args[0] }) as u64
    }

    pub(crate) fn set_cursor(&mut self, cursor: u64) {
        // SAFETY: as in `cursor`; the round has `cb` to itself.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] = cursor as ffi::c_long }
    }

    /// Adds one message filled by `fill`; on failure (`EMSGSIZE` when the
    /// buffer is full) the message is taken back whole.
    pub(crate) fn add(&mut self, fill: impl FnOnce(&mut Message) -> Result) -> Result {
        // SAFETY: `skb` and `cb` are live for the round.
        let hdr = unsafe { bindings::nfscope_dump_msg_start(self.skb, self.cb) };
        if hdr.is_null() {
            return Err(compat::emsgsize());
        }
        let mut msg = Message { skb: self.skb };
        match fill(&mut msg) {
            // SAFETY: `hdr` starts the message just filled in `skb`.
            Ok(()) => unsafe { msg_end(self.skb, hdr) },
            Err(e) => {
                // SAFETY: as above; this removes the partial message.
                unsafe { msg_cancel(self.skb, hdr) };
                return Err(e);
            }
        }
        Ok(())
    }
}

/// One request, valid for the duration of the handler.
pub(crate) struct Request<'a> {
    info: *mut bindings::genl_info,
    _lifetime: PhantomData<&'a bindings::genl_info>,
}

impl Request<'_> {
    /// The command (`NFSCOPE_CMD_*`).
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `info` and its genetlink header are live for the request.
        unsafe { (*(*self.info).genlhdr).cmd }
    }

    /// Attribute `kind`, null if absent: `info->attrs` has an entry for
    /// every kind up to the family's `maxattr` (`NFSCOPE_A_MAX`).
    fn attr(&self, kind: u32) -> *const bindings::nlattr {
        if kind >= bindings::__NFSCOPE_A_MAX {
            return core::ptr::null();
        }
        // SAFETY: `info` is live for the request and `kind` within its
        // `attrs` array (checked above).
        unsafe { *(*self.info).attrs.add(kind as usize) }
    }

    /// A `u8` attribute, already type-checked by the policy.
    pub(crate) fn attr_u8(&self, kind: u32) -> Option<u8> {
        self.attr_bytes(kind)?.first().copied()
    }

    /// A `u16` attribute, already type-checked by the policy.
    pub(crate) fn attr_u16(&self, kind: u32) -> Option<u16> {
        let b = self.attr_bytes(kind)?;
        Some(u16::from_ne_bytes([*b.first()?, *b.get(1)?]))
    }

    /// A string attribute (`NLA_NUL_STRING`), without its terminator.
    pub(crate) fn attr_str(&self, kind: u32) -> Option<&[u8]> {
        let b = self.attr_bytes(kind)?;
        Some(&b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())])
    }

    /// A `u32` attribute, already type-checked by the policy.
    pub(crate) fn attr_u32(&self, kind: u32) -> Option<u32> {
        let b = self.attr_bytes(kind)?;
        Some(u32::from_ne_bytes(b.get(..4)?.try_into().ok()?))
    }

    /// A binary attribute's payload.
    pub(crate) fn attr_bytes(&self, kind: u32) -> Option<&[u8]> {
        let nla = self.attr(kind);
        if nla.is_null() {
            return None;
        }
        // SAFETY: the attribute lies in the request message, valid for the
        // request's lifetime: a header whose `nla_len` counts itself, then
        // the payload (`nla_data()`, `nla_len()`; the policy checked that
        // `nla_len` covers the header).
        Some(unsafe {
            let len = usize::from((*nla).nla_len).saturating_sub(NLA_HDRLEN);
            core::slice::from_raw_parts(nla.cast::<u8>().add(NLA_HDRLEN), len)
        })
    }

    /// Fails the request with `-EINVAL` and `msg` as the extack message.
    pub(crate) fn invalid(&self, msg: &'static CStr) -> Error {
        self.fail(EINVAL, msg, None)
    }

    /// Like [`Request::invalid`], pointing extack at attribute `kind`.
    pub(crate) fn invalid_attr(&self, kind: u32, msg: &'static CStr) -> Error {
        self.fail(EINVAL, msg, Some(kind))
    }

    /// Fails the request with `err`, `msg` as the extack message, and
    /// optionally the attribute `kind` it is about.
    pub(crate) fn fail(&self, err: Error, msg: &'static CStr, kind: Option<u32>) -> Error {
        let attr = kind.map_or(core::ptr::null(), |k| self.attr(k));
        // SAFETY: `info` is live; `msg` is static, as extack keeps the
        // pointer (what `NL_SET_ERR_MSG_ATTR()` stores); the attribute
        // pointer is null or points into the request, which outlives the
        // extack.
        unsafe {
            let extack = (*self.info).extack;
            if !extack.is_null() {
                (*extack)._msg = msg.as_char_ptr();
                (*extack).bad_attr = attr;
            }
        }
        err
    }

    /// Starts the reply to this request.
    pub(crate) fn reply(&self) -> Result<Reply<'_>> {
        let mut hdr = core::ptr::null_mut();
        // SAFETY: `info` is live; `hdr` is a valid out pointer.
        let skb = unsafe { bindings::nfscope_genl_reply_new(self.info, &mut hdr) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        Ok(Reply { msg: Message { skb }, hdr, request: self })
    }
}

/// A reply being built. Freed unless sent.
///
/// # Invariants
///
/// `msg.skb` is an unsent message we own, `hdr` its genetlink header.
pub(crate) struct Reply<'a> {
    msg: Message,
    hdr: *mut ffi::c_void,
    request: &'a Request<'a>,
}

impl core::ops::Deref for Reply<'_> {
    type Target = Message;
    fn deref(&self) -> &Message {
        &self.msg
    }
}

impl core::ops::DerefMut for Reply<'_> {
    fn deref_mut(&mut self) -> &mut Message {
        &mut self.msg
    }
}

/// A UAPI struct sent as a binary attribute.
///
/// # Safety
///
/// Implementors are `#[repr(C)]` structs of integers and integer arrays
/// with no padding bytes, so every byte of a value is initialized.
pub(crate) unsafe trait UapiStruct: Copy {}

// SAFETY: `struct nfscope_record` is integers and integer arrays laid out
// without holes: 19 u64, 7 32-bit, 3 u16, 14 u8 and 176 bytes of arrays
// make its 360 bytes (checked below).
unsafe impl UapiStruct for bindings::nfscope_record {}
const _: () = assert!(core::mem::size_of::<bindings::nfscope_record>() == 360);

/// Netlink aligns headers and attributes to 4 bytes (`NLMSG_ALIGN`, `NLA_ALIGN`).
const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

const NLA_HDRLEN: usize = align4(core::mem::size_of::<bindings::nlattr>());
/// From a message's genetlink header back to its netlink header.
const GENL_MSG_HDRLEN: usize = align4(core::mem::size_of::<bindings::nlmsghdr>()) + align4(core::mem::size_of::<bindings::genlmsghdr>());

/// `skb_tail_pointer()`.
///
/// # Safety
///
/// `skb` is live and linear (a netlink message).
unsafe fn tail(skb: *mut bindings::sk_buff) -> *mut u8 {
    // SAFETY: the caller guarantees `skb` is live; `tail` is an offset
    // into the head buffer (the type annotation holds this to 64-bit
    // kernels' `NET_SKBUFF_DATA_USES_OFFSET`).
    unsafe {
        let offset: u32 = (*skb).tail;
        (*skb).head.add(offset as usize)
    }
}

/// Ends the message whose genetlink header `hdr` is (`genlmsg_end()`): its
/// netlink length now covers everything added.
///
/// # Safety
///
/// `hdr` was returned by `genlmsg_put` for `skb`, which is ours and live.
unsafe fn msg_end(skb: *mut bindings::sk_buff, hdr: *mut ffi::c_void) {
    // SAFETY: the netlink header precedes `hdr` in `skb` (caller).
    unsafe {
        let nlh = hdr.cast::<u8>().sub(GENL_MSG_HDRLEN);
        (*nlh.cast::<bindings::nlmsghdr>()).nlmsg_len = (tail(skb) as usize - nlh as usize) as u32;
    }
}

/// Removes the message whose genetlink header `hdr` is (`genlmsg_cancel()`).
///
/// # Safety
///
/// As for [`msg_end`].
unsafe fn msg_cancel(skb: *mut bindings::sk_buff, hdr: *mut ffi::c_void) {
    // SAFETY: the netlink header precedes `hdr` in `skb`, at or after `data` (caller).
    unsafe {
        let nlh = hdr.cast::<u8>().sub(GENL_MSG_HDRLEN);
        bindings::skb_trim(skb, (nlh as usize - (*skb).data as usize) as u32);
    }
}

/// An attribute nest opened by [`Message::nest_start`].
pub(crate) struct Nest(*mut bindings::nlattr);

/// Attributes being added to a message in an `skb` we own.
///
/// # Invariants
///
/// `skb` is a live netlink buffer that only this value writes while it
/// lives: an unsent reply or event we own, or the buffer of the dump round
/// that made it.
pub(crate) struct Message {
    skb: *mut bindings::sk_buff,
}

impl Message {
    pub(crate) fn put_u8(&mut self, kind: u32, value: u8) -> Result {
        self.put_bytes(kind, &[value])
    }

    pub(crate) fn put_u16(&mut self, kind: u32, value: u16) -> Result {
        self.put_bytes(kind, &value.to_ne_bytes())
    }

    pub(crate) fn put_bytes(&mut self, kind: u32, value: &[u8]) -> Result {
        // SAFETY: `skb` is ours; `value` is valid for its length.
        to_result(unsafe { bindings::nla_put(self.skb, kind as i32, value.len() as i32, value.as_ptr().cast()) })
    }

    /// A string attribute from bytes without a NUL (at most 255 of them are kept).
    pub(crate) fn put_bytes_str(&mut self, kind: u32, value: &[u8]) -> Result {
        let mut buf = [0u8; 256];
        let n = value.len().min(buf.len() - 1);
        buf[..n].copy_from_slice(&value[..n]);
        self.put_bytes(kind, &buf[..=n])
    }

    pub(crate) fn put_u32(&mut self, kind: u32, value: u32) -> Result {
        self.put_bytes(kind, &value.to_ne_bytes())
    }

    pub(crate) fn put_s32(&mut self, kind: u32, value: i32) -> Result {
        self.put_bytes(kind, &value.to_ne_bytes())
    }

    /// A `u64` attribute, aligned with a `pad` attribute as netlink requires.
    pub(crate) fn put_u64(&mut self, kind: u32, value: u64, pad: u32) -> Result {
        let bytes = value.to_ne_bytes();
        // SAFETY: `skb` is ours (type invariant); `bytes` holds the 8 bytes.
        to_result(unsafe { bindings::nla_put_64bit(self.skb, kind as i32, 8, bytes.as_ptr().cast(), pad as i32) })
    }

    /// A string attribute, its NUL included (`nla_put_string()`).
    pub(crate) fn put_str(&mut self, kind: u32, value: &CStr) -> Result {
        self.put_bytes(kind, value.to_bytes_with_nul())
    }

    /// Opens a nest (`nla_nest_start()`): an empty attribute flagged
    /// `NLA_F_NESTED`, whose length [`Message::nest_end`] sets.
    pub(crate) fn nest_start(&mut self, kind: u32) -> Result<Nest> {
        // SAFETY: `skb` is ours (type invariant).
        let start = unsafe { tail(self.skb) };
        self.put_bytes(kind | bindings::NLA_F_NESTED, &[])?;
        Ok(Nest(start.cast()))
    }

    /// Bytes still free in the message: attributes of this many bytes in
    /// all (headers and padding included) fit (`skb_tailroom()`).
    pub(crate) fn room(&self) -> usize {
        // SAFETY: `skb` is ours (type invariant); plain field reads.
        let (data_len, end, tail): (u32, u32, u32) = unsafe { ((*self.skb).data_len, (*self.skb).end, (*self.skb).tail) };
        if data_len != 0 { 0 } else { (end - tail) as usize }
    }

    /// A binary attribute holding `value`'s bytes (a UAPI struct: plain
    /// integers and arrays, no padding holes left uninitialized).
    pub(crate) fn put_record<T: UapiStruct>(&mut self, kind: u32, value: &T) -> Result {
        // SAFETY: `T: UapiStruct` is plain old data with every byte
        // initialized (its contract), so its bytes can be read.
        let bytes = unsafe { core::slice::from_raw_parts(core::ptr::from_ref(value).cast::<u8>(), core::mem::size_of::<T>()) };
        self.put_bytes(kind, bytes)
    }

    /// Closes `nest`: its length now covers what was added since it opened.
    pub(crate) fn nest_end(&mut self, nest: Nest) {
        // SAFETY: `nest` was opened in our `skb` and is still open, so it
        // lies before the tail; the message is far below 64 KiB (netlink
        // attribute lengths are 16 bits, as in `nla_nest_end()`).
        unsafe { (*nest.0).nla_len = (tail(self.skb) as usize - nest.0 as usize) as u16 };
    }
}

impl Reply<'_> {
    /// Sends the reply to the requester.
    pub(crate) fn send(self) -> Result {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: `skb` and `hdr` are ours (type invariant); sending consumes
        // the message, so `Drop` must not run (hence `ManuallyDrop`).
        to_result(unsafe {
            msg_end(this.msg.skb, this.hdr);
            bindings::nfscope_genl_reply_send(this.msg.skb, this.request.info)
        })
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        // SAFETY: the message was not sent (`send` skips this), so it is ours to free.
        unsafe { bindings::nfscope_genl_msg_free(self.msg.skb) };
    }
}

/// Whether anyone listens to the family's "events" group in init_net. Cheap;
/// any context.
pub(crate) fn events_have_listeners() -> bool {
    // SAFETY: reads the family's listener bitmap; valid while registered,
    // and harmless (false) otherwise.
    unsafe { bindings::nfscope_events_have_listeners() }
}

/// An event message for the "events" group. Freed unless sent.
///
/// # Invariants
///
/// `msg.skb` is an unsent message we own, `hdr` its genetlink header.
pub(crate) struct Event {
    msg: Message,
    hdr: *mut ffi::c_void,
}

impl core::ops::Deref for Event {
    type Target = Message;
    fn deref(&self) -> &Message {
        &self.msg
    }
}

impl core::ops::DerefMut for Event {
    fn deref_mut(&mut self) -> &mut Message {
        &mut self.msg
    }
}

impl Event {
    /// Starts an event with room for `size` bytes of attributes. Process
    /// context (allocates with GFP_KERNEL).
    pub(crate) fn new(size: u32) -> Result<Self> {
        let mut hdr = core::ptr::null_mut();
        // SAFETY: `hdr` is a valid out pointer.
        let skb = unsafe { bindings::nfscope_genl_msg_new(size, 0, 0, bindings::NFSCOPE_CMD_EVENT as u8, &mut hdr) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { msg: Message { skb }, hdr })
    }

    /// Multicasts the event to init_net listeners. `ESRCH`: nobody listens.
    pub(crate) fn send(self) -> Result {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: ours (type invariant); sending consumes the message.
        to_result(unsafe {
            msg_end(this.msg.skb, this.hdr);
            bindings::nfscope_event_send(this.msg.skb)
        })
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: not sent, so ours to free.
        unsafe { bindings::nfscope_genl_msg_free(self.msg.skb) };
    }
}
