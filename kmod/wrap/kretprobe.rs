// SPDX-License-Identifier: GPL-2.0

//! Return probes on `inet_getname`/`inet6_getname`, the `getname` of IPv4 and
//! IPv6 sockets behind `getpeername()` and `accept()`. The probe may rewrite
//! the address the function just wrote into its caller's buffer (ordinary
//! writable kernel memory); no kernel code or read-only data is touched.
//! Dropping a probe unregisters it, which waits for running handlers.

use crate::bindings;
use crate::wrap::pernet::{state_of, PernetState};
use crate::wrap::sock::{sock_tuple, SockTuple};
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi;
use kernel::prelude::*;
use kernel::types::Opaque;

/// What a [`PernetState`] does with the address a `getname` returns.
pub(crate) trait GetnameHook: PernetState {
    /// `addr` holds the `sockaddr_in`/`sockaddr_in6` just written for `sock`
    /// (`peer`: 1 for getpeername, 2 for accept). Runs in process context
    /// with preemption disabled: must not sleep.
    fn on_getname(&self, sock: &SockTuple, addr: &mut [u8], peer: i32);
}

/// Arguments saved at function entry for the return handler.
#[derive(Clone, Copy)]
struct GetnameArgs {
    sock: usize,
    uaddr: usize,
    peer: i32,
}

/// A registered return probe.
///
/// # Invariants
///
/// `rp` is registered while `self` lives.
pub(crate) struct GetnameProbe<T: GetnameHook> {
    rp: Pin<KBox<Opaque<bindings::kretprobe>>>,
    _state: PhantomData<T>,
}

// SAFETY: the registration is only created and dropped.
unsafe impl<T: GetnameHook> Send for GetnameProbe<T> {}
// SAFETY: `&GetnameProbe` gives access to nothing.
unsafe impl<T: GetnameHook> Sync for GetnameProbe<T> {}

impl<T: GetnameHook> GetnameProbe<T> {
    /// Probes `symbol` (`inet_getname` or `inet6_getname`). Must be dropped
    /// before the `PernetRegistration<T>`, and created after it. Process context.
    pub(crate) fn new(symbol: &'static CStr) -> Result<Self> {
        let mut rp = bindings::kretprobe {
            handler: Some(Self::return_handler),
            entry_handler: Some(Self::entry_handler),
            data_size: core::mem::size_of::<GetnameArgs>(),
            maxactive: 64,
            ..Default::default()
        };
        rp.kp.symbol_name = symbol.as_char_ptr();
        let rp = KBox::pin(Opaque::new(rp), GFP_KERNEL)?;
        // SAFETY: `rp` is valid, pinned and outlives the registration.
        to_result(unsafe { bindings::register_kretprobe(rp.get()) })?;
        Ok(Self { rp, _state: PhantomData })
    }

    /// # Safety
    ///
    /// Called by kprobes at entry of the probed `getname`, with its registers.
    unsafe extern "C" fn entry_handler(ri: *mut bindings::kretprobe_instance, regs: *mut bindings::pt_regs) -> ffi::c_int {
        // SAFETY: `regs` are the entry registers; `ri`'s data has room for
        // `GetnameArgs` (`data_size`).
        unsafe {
            let args = GetnameArgs {
                sock: bindings::nfscope_regs_arg(regs, 0) as usize,
                uaddr: bindings::nfscope_regs_arg(regs, 1) as usize,
                peer: bindings::nfscope_regs_arg(regs, 2) as i32,
            };
            bindings::nfscope_kretprobe_data(ri).cast::<GetnameArgs>().write(args);
        }
        0
    }

    /// # Safety
    ///
    /// Called by kprobes when the probed `getname` returns, for an instance
    /// whose entry handler ran.
    unsafe extern "C" fn return_handler(ri: *mut bindings::kretprobe_instance, regs: *mut bindings::pt_regs) -> ffi::c_int {
        // SAFETY: the entry handler wrote the args.
        let args = unsafe { bindings::nfscope_kretprobe_data(ri).cast::<GetnameArgs>().read() };
        // SAFETY: `regs` are the registers at return.
        let len = unsafe { bindings::nfscope_regs_return_value(regs) };
        if args.peer == 0 || len <= 0 || len > 128 {
            return 0;
        }
        // SAFETY: `getname` ran on this live socket and has not returned to
        // its caller yet.
        let sk = unsafe { bindings::nfscope_socket_sk(args.sock as *const bindings::socket) };
        if sk.is_null() {
            return 0;
        }
        // SAFETY: `sk` belongs to the live `socket`.
        let (tuple, net) = unsafe { sock_tuple(sk) };
        let Some(net) = net else { return 0 };
        // SAFETY: `getname` just wrote `len` bytes to `uaddr`, its caller's
        // writable buffer, which stays valid until the caller resumes.
        let addr = unsafe { core::slice::from_raw_parts_mut(args.uaddr as *mut u8, len as usize) };
        // SAFETY: a user socket's namespace finished setup (`T::attach` ran)
        // and is held by the socket; the probe is dropped before `T`'s
        // registration (see `new`).
        let state = unsafe { state_of::<T>(net) };
        state.on_getname(&tuple, addr, args.peer);
        0
    }
}

impl<T: GetnameHook> Drop for GetnameProbe<T> {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant); this waits for running handlers.
        unsafe { bindings::unregister_kretprobe(self.rp.get()) };
    }
}
