// SPDX-License-Identifier: GPL-2.0

//! Probes on `inet_getname`/`inet6_getname`, the `getname` of IPv4 and IPv6
//! sockets behind `getpeername()` and `accept()`, on fprobes (entry: the
//! socket, the caller's address buffer and which address; return: the length
//! written). The exit handler may rewrite the address the function just wrote
//! into its caller's buffer (ordinary writable kernel memory); no kernel code
//! or read-only data is touched. Dropping a probe waits for calls in progress
//! (`getname` may sleep on the socket lock) and unregisters it.

use crate::bindings;
use core::ffi::CStr;
use crate::wrap::fprobe::{CallRegs, Fprobe, FprobeHandler, Target};
use crate::wrap::pernet::{state_of, PernetState, Registered};
use crate::wrap::sock::{sock_tuple, SockTuple};
use core::marker::PhantomData;
use kernel::prelude::*;

/// What a [`PernetState`] does with the address a `getname` returns.
pub(crate) trait GetnameHook: PernetState {
    /// `addr` holds the `sockaddr_in`/`sockaddr_in6` just written for `sock`
    /// (`peer`: 1 for getpeername, 2 for accept). Runs in process context
    /// with preemption disabled: must not sleep.
    fn on_getname(&self, sock: &SockTuple, addr: &mut [u8], peer: i32);
}

/// Arguments saved at function entry for the exit handler.
#[derive(Clone, Copy)]
pub(crate) struct GetnameArgs {
    sock: usize,
    uaddr: usize,
    peer: i32,
}

/// The fprobe handler of one `getname`.
pub(crate) struct Getname<T: GetnameHook>(PhantomData<fn() -> T>);

impl<T: GetnameHook> FprobeHandler for Getname<T> {
    type Entry = GetnameArgs;

    fn on_entry(&self, regs: &CallRegs<'_>) -> Option<GetnameArgs> {
        let peer = regs.arg(2) as i32;
        // Only peer addresses are rewritten: local ones need no exit.
        (peer != 0).then(|| GetnameArgs { sock: regs.arg(0) as usize, uaddr: regs.arg(1) as usize, peer })
    }

    fn on_exit(&self, regs: &CallRegs<'_>, args: &GetnameArgs) {
        let len = regs.return_value();
        if len <= 0 || len > 128 {
            return;
        }
        // SAFETY: `getname` ran on this live socket and has not returned to
        // its caller yet.
        let sk = unsafe { (*(args.sock as *const bindings::socket)).sk };
        if sk.is_null() {
            return;
        }
        // SAFETY: `sk` belongs to the live `socket`.
        let (tuple, net) = unsafe { sock_tuple(sk) };
        let Some(net) = net else { return };
        // SAFETY: `getname` just wrote `len` bytes to `uaddr`, its caller's
        // writable buffer, which stays valid until the caller resumes.
        let addr = unsafe { core::slice::from_raw_parts_mut(args.uaddr as *mut u8, len as usize) };
        // SAFETY: a user socket's namespace finished setup (`T::attach` ran)
        // and is held by the socket; the probe is dropped before `T`'s
        // registration (`GetnameProbe::on_getname`'s contract).
        let state = unsafe { state_of::<T>(net) };
        state.on_getname(&tuple, addr, args.peer);
    }
}

/// A probe on one `getname`.
pub(crate) type GetnameProbe<T> = Fprobe<Getname<T>>;

impl<T: GetnameHook> Fprobe<Getname<T>> {
    /// Probes `symbol` (`inet_getname` or `inet6_getname`), after `T`'s
    /// registration (`registered`). Process context.
    ///
    /// # Safety
    ///
    /// The probe must be dropped before the `PernetRegistration` that
    /// `registered` comes from.
    pub(crate) unsafe fn on_getname(symbol: &'static CStr, _registered: Registered<'_, T>) -> Result<Self> {
        // SAFETY: both functions are `getname(sock, uaddr, peer)` returning
        // the address length; `Getname` points to nothing.
        unsafe { Fprobe::new(Target::Symbol(symbol), Getname(PhantomData)) }
    }
}
