// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/<dir>/<file>` views in one network namespace. Files are
//! `single_open` seq files (`proc_create_net_single`); removing the directory
//! (`remove_proc_subtree`) waits for readers still inside a `show`.

use super::compat::CStrExt as _;
use crate::bindings;
use core::ffi::CStr;
use crate::wrap::net::Net;
use crate::wrap::pernet::{state_of, PernetState, Registered};
use kernel::ffi;
use kernel::prelude::*;
use super::compat::SeqFile;

/// What one proc file shows of a [`PernetState`].
pub(crate) trait ProcShow {
    /// The state the file is about.
    type State: PernetState;

    /// Writes the file's whole content. Process context (may sleep).
    fn show(state: &Self::State, m: &SeqFile);
}

/// A directory under a namespace's `/proc/net`, with its files.
///
/// # Invariants
///
/// `parent` is the live `/proc/net` of the namespace whose state owns `self`,
/// and `name` exists under it while `self` lives.
pub(crate) struct ProcDir {
    parent: *mut bindings::proc_dir_entry,
    dir: *mut bindings::proc_dir_entry,
    name: &'static CStr,
}

// SAFETY: the pointers are only used to add files and to remove the directory.
unsafe impl Send for ProcDir {}
// SAFETY: `&ProcDir` only adds files, which procfs serializes itself.
unsafe impl Sync for ProcDir {}

impl ProcDir {
    /// Creates `/proc/net/<name>` in `net`. Process context.
    pub(crate) fn new(net: &Net, name: &'static CStr) -> Result<Self> {
        let parent = net.proc_dir();
        // procfs finds a file's namespace in its directory's data (`PDE_NET`),
        // so the directory carries `net`.
        // SAFETY: `parent` is the namespace's live `/proc/net`; `name` is a
        // static string; `net` outlives the directory (removed on drop).
        let dir = unsafe {
            bindings::proc_mkdir_data(name.as_char_ptr(), 0, parent, net.as_ptr().cast())
        };
        if dir.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { parent, dir, name })
    }

    /// Adds a read-only file showing `F`. Called from the `attach` of
    /// `F::State` (`attached`), with `self` kept in that state. Process
    /// context.
    pub(crate) fn add_file<F: ProcShow>(&self, name: &'static CStr, _attached: Registered<'_, F::State>) -> Result {
        // SAFETY: `self.dir` is live (type invariant); `name` is static; the
        // show callback's requirements are met because the file lives no
        // longer than the directory, which `F::State` owns.
        let pde = unsafe {
            bindings::proc_create_net_single(
                name.as_char_ptr(),
                0o444,
                self.dir,
                Some(show_callback::<F>),
                core::ptr::null_mut(),
            )
        };
        if pde.is_null() {
            return Err(ENOMEM);
        }
        Ok(())
    }
}

impl Drop for ProcDir {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `name` exists under the live `parent`.
        // This waits for readers inside `show` to leave.
        unsafe { bindings::remove_proc_subtree(self.name.as_char_ptr(), self.parent) };
    }
}


/// # Safety
///
/// Called by procfs for a file created by [`ProcDir::add_file::<F>`], with a
/// `single_open_net` seq file whose private data is the file's namespace.
unsafe extern "C" fn show_callback<F: ProcShow>(
    seq: *mut bindings::seq_file,
    _v: *mut ffi::c_void,
) -> ffi::c_int {
    // SAFETY: procfs holds a reference on the namespace while the file is
    // open; `proc_create_net_single` files keep it in `seq->private`
    // (`seq_file_single_net()`; nfscope needs `CONFIG_NET_NS`, see `net.rs`).
    let net = unsafe { Net::from_raw((*seq).private.cast()) };
    // SAFETY: the file belongs to a `ProcDir` owned by `F::State` (see
    // `add_file`), which removes it, waiting for us, before the state is dropped.
    let state = unsafe { state_of::<F::State>(net) };
    // SAFETY: `seq` is the live seq file of this call.
    let m = unsafe { SeqFile::from_raw(seq.cast()) };
    F::show(state, m);
    0
}
