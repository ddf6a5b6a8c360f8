// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state through `pernet_operations`: a `T` lives in
//! every namespace, including namespaces created after registration, and is
//! dropped when its namespace goes away or on unregistration.

use crate::bindings;
use crate::wrap::net::Net;
use core::marker::PhantomData;
use kernel::error::{from_result, to_result};
use kernel::ffi;
use kernel::prelude::*;
use kernel::types::Opaque;

/// State kept in every network namespace.
pub(crate) trait PernetState: Sized + Send + Sync + 'static {
    /// Where the kernel stores the id it assigns this state at registration.
    fn id() -> &'static PernetId;

    /// Builds the state of `net`. Runs in process context (may sleep).
    fn new(net: &Net) -> Result<Self>;

    /// Runs once the state is at its final address, where [`state_of`] finds
    /// it: the place to register per-namespace callbacks that look it up
    /// (they take `attached`, and are kept in the state, which drops them
    /// before it goes). Process context.
    fn attach(&self, net: &Net, attached: Registered<'_, Self>) -> Result;
}

/// Proof that `T` is registered as per-namespace state, so that callbacks
/// registered now find it with [`state_of`]. Only a live
/// [`PernetRegistration<T>`] hands one out ([`PernetRegistration::registered`],
/// and to [`PernetState::attach`]); registrations whose callbacks look `T`
/// up take one, which orders them after `T`'s registration.
pub(crate) struct Registered<'a, T: PernetState> {
    _registration: PhantomData<&'a T>,
}

impl<T: PernetState> Clone for Registered<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: PernetState> Copy for Registered<'_, T> {}

/// The id the kernel assigns a [`PernetRegistration`]; a `static` of its state type.
pub(crate) struct PernetId(Opaque<ffi::c_uint>);

// SAFETY: the kernel writes the id once, in `register_pernet_subsys`, before any
// reader can run; afterwards it is only read.
unsafe impl Sync for PernetId {}

impl PernetId {
    pub(crate) const fn new() -> Self {
        Self(Opaque::uninit())
    }
}

/// Returns the `T` of `net`.
///
/// # Safety
///
/// `T` must be registered by a live [`PernetRegistration`], and the caller must
/// run between `T::attach` and the drop of `net`'s `T`: typically in a callback
/// registered by `T::attach` and unregistered by `T`'s `Drop`.
pub(crate) unsafe fn state_of<T: PernetState>(net: &Net) -> &T {
    // SAFETY: the id was written at registration (caller's guarantee).
    let id = unsafe { *T::id().0.get() };
    // SAFETY: `net` is live (type invariant of `Net`); `id` names our slot.
    let slot = unsafe { bindings::nfscope_net_generic(net.as_ptr(), id) };
    // SAFETY: the slot holds an initialized `T` for as long as the caller runs
    // (caller's guarantee); it is only ever shared.
    unsafe { &*slot.cast::<T>() }
}

/// A registered `pernet_operations` for `T`.
///
/// # Invariants
///
/// `ops` is registered with the kernel for as long as `self` lives.
pub(crate) struct PernetRegistration<T: PernetState> {
    ops: Pin<KBox<Opaque<bindings::pernet_operations>>>,
    _state: PhantomData<T>,
}

// SAFETY: the registration is only created and dropped; the kernel owns `ops` meanwhile.
unsafe impl<T: PernetState> Send for PernetRegistration<T> {}
// SAFETY: `&PernetRegistration` gives access to nothing.
unsafe impl<T: PernetState> Sync for PernetRegistration<T> {}

impl<T: PernetState> PernetRegistration<T> {
    /// Registers `T`: builds it in every existing namespace now and in every
    /// new one later. Process context.
    pub(crate) fn new() -> Result<Self> {
        let ops = KBox::pin(Opaque::new(bindings::pernet_operations {
            init: Some(Self::init_callback),
            exit: Some(Self::exit_callback),
            id: T::id().0.get(),
            size: core::mem::size_of::<T>(),
            ..Default::default()
        }), GFP_KERNEL)?;
        // SAFETY: `ops` is valid, pinned and outlives the registration: `Drop`
        // unregisters it before it is freed.
        to_result(unsafe { bindings::register_pernet_subsys(ops.get()) })?;
        Ok(Self { ops, _state: PhantomData })
    }

    /// The proof that `T` is registered, for module-wide registrations whose
    /// callbacks look it up (each must be dropped before `self`).
    pub(crate) fn registered(&self) -> Registered<'_, T> {
        Registered { _registration: PhantomData }
    }

    /// # Safety
    ///
    /// Called by the kernel with a live namespace whose slot of our `size` is
    /// allocated and zeroed, before any other use of that slot.
    unsafe extern "C" fn init_callback(net: *mut bindings::net) -> ffi::c_int {
        from_result(|| {
            // SAFETY: the kernel passes a live namespace.
            let net = unsafe { Net::from_raw(net) };
            // SAFETY: the id was written by `register_pernet_subsys` before it calls us.
            let id = unsafe { *T::id().0.get() };
            // SAFETY: `net` is live and `id` names our slot.
            let slot = unsafe { bindings::nfscope_net_generic(net.as_ptr(), id) }.cast::<T>();
            let state = T::new(net)?;
            // SAFETY: the slot is allocated with `size_of::<T>()` bytes, suitably
            // aligned (kzalloc) and not yet initialized.
            unsafe { slot.write(state) };
            // SAFETY: just initialized; it stays there until `exit_callback`.
            let state = unsafe { &*slot };
            if let Err(e) = state.attach(net, Registered { _registration: PhantomData }) {
                // SAFETY: initialized above, not used after this; the kernel
                // frees the slot and never calls `exit_callback` for it.
                unsafe { core::ptr::drop_in_place(slot) };
                return Err(e);
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the kernel for a namespace whose `init_callback` succeeded.
    unsafe extern "C" fn exit_callback(net: *mut bindings::net) {
        // SAFETY: the kernel passes a live namespace.
        let net = unsafe { Net::from_raw(net) };
        // SAFETY: the id is set while registered.
        let id = unsafe { *T::id().0.get() };
        // SAFETY: `net` is live and `id` names our slot.
        let slot = unsafe { bindings::nfscope_net_generic(net.as_ptr(), id) }.cast::<T>();
        // SAFETY: `init_callback` initialized the slot; this is its last use.
        unsafe { core::ptr::drop_in_place(slot) };
    }
}

impl<T: PernetState> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `ops` is registered. This runs `exit`
        // for every namespace, which drops each `T`.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
    }
}
