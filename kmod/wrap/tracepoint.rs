// SPDX-License-Identifier: GPL-2.0

//! Tracepoint probes, found by name (`for_each_kernel_tracepoint`), so that
//! tracepoints without an exported `register_trace_*` can be probed too.
//! Dropping a probe unregisters it and waits for running probe calls.

use crate::bindings;
use core::ffi::CStr;
use crate::wrap::pernet::{state_of, PernetState, Registered};
use crate::wrap::skb::Skb;
use crate::wrap::sock::{sock_tuple, SockTuple};
use kernel::error::to_result;
use kernel::ffi;
use kernel::prelude::*;

/// A registered tracepoint probe.
///
/// # Invariants
///
/// `probe` is registered on `tp` with `data` while `self` lives.
pub(crate) struct TracepointProbe {
    tp: *mut bindings::tracepoint,
    probe: *mut ffi::c_void,
    data: *mut ffi::c_void,
}

// SAFETY: the pointers are only used to unregister, from any CPU.
unsafe impl Send for TracepointProbe {}
// SAFETY: `&TracepointProbe` gives access to nothing.
unsafe impl Sync for TracepointProbe {}

/// The kernel's (built-in) tracepoint named `name`, null if there is none.
fn find(name: &CStr) -> *mut bindings::tracepoint {
    struct Search<'a> {
        name: &'a [u8],
        found: *mut bindings::tracepoint,
    }
    /// # Safety
    ///
    /// `tp` is a kernel tracepoint, `data` the `Search` below.
    unsafe extern "C" fn visit(tp: *mut bindings::tracepoint, data: *mut ffi::c_void) {
        // SAFETY: `data` is the `Search`, borrowed by nothing else during
        // the walk (caller).
        let search = unsafe { &mut *data.cast::<Search<'_>>() };
        // SAFETY: `tp` is a kernel tracepoint (caller), whose name is a
        // static C string. Bytes are read while they match `name` (which
        // ends with its NUL), so never past the name's NUL.
        let same = search.name.iter().enumerate().all(|(i, &b)| unsafe { *(*tp).name.add(i) } == b);
        if same {
            search.found = tp;
        }
    }
    let mut search = Search { name: name.to_bytes_with_nul(), found: core::ptr::null_mut() };
    // SAFETY: `visit` has the callback's signature and reads `search`,
    // which outlives the walk.
    unsafe { bindings::for_each_kernel_tracepoint(Some(visit), core::ptr::from_mut(&mut search).cast()) };
    search.found
}

impl TracepointProbe {
    /// Registers `probe` on tracepoint `name`. Process context.
    ///
    /// # Safety
    ///
    /// `probe` must be an `extern "C"` function whose parameters are `data`
    /// followed by the tracepoint's prototype, callable as long as it is
    /// registered (in any context the tracepoint fires in).
    unsafe fn register(name: &'static CStr, probe: *mut ffi::c_void, data: *mut ffi::c_void) -> Result<Self> {
        let tp = find(name);
        if tp.is_null() {
            pr_err!("tracepoint {} not found\n", name.to_str().unwrap_or("?"));
            return Err(ENOENT);
        }
        // SAFETY: `tp` is a kernel tracepoint (they live forever); the caller
        // guarantees `probe` matches its prototype.
        to_result(unsafe { bindings::tracepoint_probe_register(tp, probe, data) })?;
        Ok(Self { tp, probe, data })
    }
}

impl Drop for TracepointProbe {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant).
        unsafe { bindings::tracepoint_probe_unregister(self.tp, self.probe, self.data) };
        // SAFETY: process context (module unload); waits for running probes.
        unsafe { bindings::nfscope_tracepoint_synchronize_unregister() };
    }
}

/// What a [`PernetState`] does when a socket of its namespace changes state
/// (`sock:inet_sock_set_state`). Runs in softirq or process context: must not
/// sleep.
pub(crate) trait SockStateHook: PernetState {
    fn on_sock_state(&self, sock: &SockTuple, old: i32, new: i32);
}

/// Probes `sock:inet_sock_set_state` for `T`, after `T`'s registration
/// (`registered`).
///
/// # Safety
///
/// The probe must be dropped before the `PernetRegistration` that
/// `registered` comes from.
pub(crate) unsafe fn probe_inet_sock_set_state<T: SockStateHook>(_registered: Registered<'_, T>) -> Result<TracepointProbe> {
    let probe: unsafe extern "C" fn(*mut ffi::c_void, *const bindings::sock, ffi::c_int, ffi::c_int) =
        inet_sock_set_state_probe::<T>;
    // SAFETY: the probe has the tracepoint's prototype
    // (`const struct sock *sk, const int oldstate, const int newstate`).
    unsafe { TracepointProbe::register(c"inet_sock_set_state", probe as *mut ffi::c_void, core::ptr::null_mut()) }
}

/// # Safety
///
/// Called by the tracepoint with a live socket.
unsafe extern "C" fn inet_sock_set_state_probe<T: SockStateHook>(
    _data: *mut ffi::c_void,
    sk: *const bindings::sock,
    old: ffi::c_int,
    new: ffi::c_int,
) {
    // SAFETY: the socket is live during the tracepoint call.
    let (tuple, net) = unsafe { sock_tuple(sk) };
    // Kernel sockets may live in a namespace whose state is not (or no
    // longer) there: only user sockets are looked at.
    let Some(net) = net else { return };
    // SAFETY: a user socket's namespace finished setup, so `T::attach` ran,
    // and the socket keeps it alive; the probe is unregistered before `T` is
    // (see `probe_inet_sock_set_state`).
    let state = unsafe { state_of::<T>(net) };
    state.on_sock_state(&tuple, old, new);
}

pub(crate) use crate::wrap::skb::SkbPlace;

/// What to do with every freed skb (`skb:kfree_skb`). Runs in any context,
/// hard interrupts included: must not sleep, bounded work.
pub(crate) trait DropHook: Sync + 'static {
    fn on_kfree_skb(&self, skb: &Skb, place: SkbPlace, location: usize, reason: u32);
}

/// Probes `skb:kfree_skb` with `handler`.
///
/// # Safety
///
/// `handler` must stay valid until the returned probe is dropped.
pub(crate) unsafe fn probe_kfree_skb<H: DropHook>(handler: *const H) -> Result<TracepointProbe> {
    let probe: unsafe extern "C" fn(*mut ffi::c_void, *mut bindings::sk_buff, *mut ffi::c_void, ffi::c_uint, *const bindings::sock) =
        kfree_skb_probe::<H>;
    // SAFETY: the probe has the tracepoint's prototype (`struct sk_buff *skb,
    // void *location, enum skb_drop_reason reason, const struct sock *rx_sk`);
    // `handler` outlives it (caller's guarantee).
    unsafe { TracepointProbe::register(c"kfree_skb", probe as *mut ffi::c_void, handler as *mut ffi::c_void) }
}

/// # Safety
///
/// Called by the tracepoint with a live skb and the `data` registered by
/// [`probe_kfree_skb::<H>`].
unsafe extern "C" fn kfree_skb_probe<H: DropHook>(
    data: *mut ffi::c_void,
    skb: *mut bindings::sk_buff,
    location: *mut ffi::c_void,
    reason: ffi::c_uint,
    rx_sk: *const bindings::sock,
) {
    // SAFETY: `data` is the handler, live while the probe is registered.
    let handler = unsafe { &*data.cast::<H>() };
    // SAFETY: the skb is live during the tracepoint call.
    let skb = unsafe { Skb::from_raw(skb) };
    // SAFETY: the receiving socket, if not null, is live during the call.
    let place = unsafe { skb.place_received(rx_sk) };
    handler.on_kfree_skb(skb, place, location as usize, reason);
}

/// What to do with every TCP reset the kernel sends (`tcp:tcp_send_reset`):
/// `sock` is the socket it is sent for (if any), `skb` the packet that
/// triggered it (if any). Any context: must not sleep.
pub(crate) trait RstHook: Sync + 'static {
    fn on_tcp_send_reset(&self, sock: Option<&SockTuple>, skb: Option<&Skb>, reason: u32);
}

/// Probes `tcp:tcp_send_reset` with `handler`.
///
/// # Safety
///
/// `handler` must stay valid until the returned probe is dropped.
pub(crate) unsafe fn probe_tcp_send_reset<H: RstHook>(handler: *const H) -> Result<TracepointProbe> {
    let probe: unsafe extern "C" fn(*mut ffi::c_void, *const bindings::sock, *const bindings::sk_buff, ffi::c_uint) =
        tcp_send_reset_probe::<H>;
    // SAFETY: the probe has the tracepoint's prototype (`const struct sock
    // *sk, const struct sk_buff *skb, const enum sk_rst_reason reason`);
    // `handler` outlives it (caller's guarantee).
    unsafe { TracepointProbe::register(c"tcp_send_reset", probe as *mut ffi::c_void, handler as *mut ffi::c_void) }
}

/// # Safety
///
/// Called by the tracepoint with a live (or null) socket and skb and the
/// `data` registered by [`probe_tcp_send_reset::<H>`].
unsafe extern "C" fn tcp_send_reset_probe<H: RstHook>(
    data: *mut ffi::c_void,
    sk: *const bindings::sock,
    skb: *const bindings::sk_buff,
    reason: ffi::c_uint,
) {
    // SAFETY: `data` is the handler, live while the probe is registered.
    let handler = unsafe { &*data.cast::<H>() };
    // SAFETY: a non-null socket is live during the call.
    let sock = (!sk.is_null()).then(|| unsafe { crate::wrap::sock::sock_connection(sk) });
    // SAFETY: a non-null skb is live during the call.
    let skb = (!skb.is_null()).then(|| unsafe { Skb::from_raw(skb) });
    handler.on_tcp_send_reset(sock.as_ref(), skb, reason);
}
