// SPDX-License-Identifier: GPL-2.0

//! Netfilter hook functions seen from outside: which functions the IPv4 and
//! IPv6 hooks of all namespaces run, a return probe on one of them (entry:
//! the packet, the namespace, pf and hook point; return: the verdict), and
//! the registration a call belongs to (priority, nftables table and chain).
//! Nothing here changes a hook: the functions are probed, never patched.

use crate::bindings;
use crate::wrap::context;
use kernel::error::to_result;
use kernel::ffi;
use kernel::prelude::*;
use kernel::types::Opaque;

/// One call of a hook function.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HookCall {
    /// The `sk_buff` and `struct net` the hook runs for; only valid while
    /// the hook (or `nf_hook_slow` around it) runs.
    pub(crate) skb: usize,
    pub(crate) net: usize,
    /// The hook function and its registration's `priv`.
    pub(crate) func: usize,
    pub(crate) priv_: usize,
    pub(crate) pf: u8,
    pub(crate) hooknum: u8,
    /// CPU the call started on.
    pub(crate) cpu: u32,
}

/// What to do around each call of a probed hook function. Runs wherever
/// netfilter runs (softirq or process context, preemption off): must not
/// sleep.
pub(crate) trait HookWatch: Sync + 'static {
    /// Kept from entry to return.
    type Data: Copy;
    fn on_entry(&self, call: &HookCall, tag: u32) -> Self::Data;
    /// `verdict` is the hook's return value (`NF_DROP`, `NF_ACCEPT`, ...).
    fn on_return(&self, call: &HookCall, tag: u32, data: &Self::Data, verdict: u32);
}

#[repr(C)]
struct Slot<W: HookWatch> {
    // First field: the kretprobe pointer kprobes hands us is the slot's.
    rp: Opaque<bindings::kretprobe>,
    watch: *const W,
    func: usize,
    tag: u32,
}

/// A return probe on one hook function.
///
/// # Invariants
///
/// `slot.rp` is registered while `self` lives; `slot.watch` outlives it.
pub(crate) struct HookFnProbe<W: HookWatch> {
    slot: Pin<KBox<Slot<W>>>,
}

// SAFETY: the registration is only created, read for counters and dropped;
// `W: Sync` is what the handlers share.
unsafe impl<W: HookWatch> Send for HookFnProbe<W> {}
// SAFETY: `&HookFnProbe` only reads counters.
unsafe impl<W: HookWatch> Sync for HookFnProbe<W> {}

impl<W: HookWatch> HookFnProbe<W> {
    /// Probes the hook function at `func`, telling `watch` about its calls
    /// with `tag`. Process context (may sleep).
    ///
    /// # Safety
    ///
    /// `func` must be a netfilter hook function (`nf_hookfn`: `priv, skb,
    /// state`), and `watch` must stay valid until the probe is dropped.
    pub(crate) unsafe fn new(func: usize, tag: u32, watch: *const W) -> Result<Self> {
        let mut rp = bindings::kretprobe {
            handler: Some(Self::return_handler),
            entry_handler: Some(Self::entry_handler),
            data_size: core::mem::size_of::<(HookCall, W::Data)>(),
            maxactive: 8 * context::nr_cpu_ids().max(4) as i32,
            ..Default::default()
        };
        rp.kp.addr = func as *mut _;
        let slot = KBox::pin(Slot { rp: Opaque::new(rp), watch, func, tag }, GFP_KERNEL)?;
        // SAFETY: `rp` is valid, pinned and outlives the registration.
        to_result(unsafe { bindings::register_kretprobe(slot.rp.get()) })?;
        Ok(Self { slot })
    }

    pub(crate) fn func(&self) -> usize {
        self.slot.func
    }

    /// Calls not seen (no free instance, or a probe hit inside a probe).
    pub(crate) fn missed(&self) -> u64 {
        // SAFETY: registered (type invariant); reads two counters.
        unsafe { bindings::nfscope_kretprobe_nmissed(self.slot.rp.get()) }
    }

    /// # Safety
    ///
    /// `ri` must be an instance of a kretprobe registered by `new`.
    unsafe fn slot<'a>(ri: *mut bindings::kretprobe_instance) -> &'a Slot<W> {
        // SAFETY: the kretprobe is the first field of its pinned, live `Slot`.
        unsafe { &*bindings::nfscope_kretprobe_of(ri).cast::<Slot<W>>() }
    }

    /// # Safety
    ///
    /// Called by kprobes at entry of the probed hook function.
    unsafe extern "C" fn entry_handler(ri: *mut bindings::kretprobe_instance, regs: *mut bindings::pt_regs) -> ffi::c_int {
        // SAFETY: `ri` belongs to our kretprobe.
        let slot = unsafe { Self::slot(ri) };
        let mut call = HookCall { func: slot.func, cpu: context::cpu(), ..Default::default() };
        let mut net: *const bindings::net = core::ptr::null();
        // SAFETY: `regs` are the entry registers of an `nf_hookfn(priv, skb,
        // state)` (`new`'s contract); `state` is live during the call.
        unsafe {
            call.priv_ = bindings::nfscope_regs_arg(regs, 0) as usize;
            call.skb = bindings::nfscope_regs_arg(regs, 1) as usize;
            let state = bindings::nfscope_regs_arg(regs, 2) as usize as *const bindings::nf_hook_state;
            bindings::nfscope_hook_state(state, &mut call.pf, &mut call.hooknum, &mut net);
        }
        call.net = net as usize;
        // SAFETY: `watch` outlives the probe (`new`'s contract).
        let watch = unsafe { &*slot.watch };
        let data = watch.on_entry(&call, slot.tag);
        // SAFETY: the instance's data has room for the pair (`data_size`).
        unsafe { bindings::nfscope_kretprobe_data(ri).cast::<(HookCall, W::Data)>().write((call, data)) };
        0
    }

    /// # Safety
    ///
    /// Called by kprobes when the probed hook function returns, for an
    /// instance whose entry handler ran.
    unsafe extern "C" fn return_handler(ri: *mut bindings::kretprobe_instance, regs: *mut bindings::pt_regs) -> ffi::c_int {
        // SAFETY: `ri` belongs to our kretprobe; the entry handler wrote the pair.
        let (slot, (call, data)) = unsafe { (Self::slot(ri), bindings::nfscope_kretprobe_data(ri).cast::<(HookCall, W::Data)>().read()) };
        // SAFETY: `regs` are the registers at return.
        let verdict = unsafe { bindings::nfscope_regs_return_value(regs) } as u32;
        // SAFETY: `watch` outlives the probe.
        unsafe { &*slot.watch }.on_return(&call, slot.tag, &data, verdict);
        0
    }
}

impl<W: HookWatch> Drop for HookFnProbe<W> {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant); waits for running handlers.
        unsafe { bindings::unregister_kretprobe(self.slot.rp.get()) };
    }
}

/// The distinct functions on the IPv4 and IPv6 hooks of every namespace now
/// (at most `out.len()`); returns how many were written.
pub(crate) fn hook_functions(out: &mut [u64]) -> usize {
    // SAFETY: `out` is valid for `out.len()` entries; the shim walks the
    // hook lists under RCU.
    unsafe { bindings::nfscope_hook_functions(out.as_mut_ptr(), out.len() as u32) as usize }
}

/// The registration a hook call belongs to.
#[derive(Clone, Copy, Default)]
pub(crate) struct HookDesc {
    pub(crate) priority: i32,
    /// `enum nf_hook_ops_type`: 1 = nftables base chain.
    pub(crate) ops_type: u8,
    pub(crate) table_family: u8,
    pub(crate) table: [u8; 32],
    pub(crate) chain: [u8; 32],
}

/// `NF_HOOK_OP_NF_TABLES`.
pub(crate) const OPS_NFTABLES: u8 = 1;

impl HookDesc {
    fn name(buf: &[u8]) -> &[u8] {
        &buf[..buf.iter().position(|&b| b == 0).unwrap_or(buf.len())]
    }

    pub(crate) fn table(&self) -> &[u8] {
        Self::name(&self.table)
    }

    pub(crate) fn chain(&self) -> &[u8] {
        Self::name(&self.chain)
    }
}

/// Looks up `call`'s registration.
///
/// # Safety
///
/// The hook call must still be running (or `nf_hook_slow` around it), so
/// that `call.net` is live.
pub(crate) unsafe fn describe(call: &HookCall) -> Option<HookDesc> {
    let mut raw = bindings::nfscope_hook_desc::default();
    // SAFETY: `call.net` is live (caller); the shim reads the hook list
    // under RCU and copies names into `raw`.
    let found = unsafe {
        bindings::nfscope_hook_describe(call.net as *const _, call.pf, call.hooknum, call.func as u64, call.priv_ as u64, &mut raw)
    };
    if !found {
        return None;
    }
    // The kernel's `c_char` is `u8`.
    Some(HookDesc { priority: raw.priority, ops_type: raw.ops_type, table_family: raw.table_family, table: raw.table, chain: raw.chain })
}

/// `(insert_failed, chaintoolong)` of `net`'s conntrack on `cpu`.
///
/// # Safety
///
/// `net` must be live (a running hook call's).
pub(crate) unsafe fn ct_stats(net: usize, cpu: u32) -> (u32, u32) {
    let (mut insert_failed, mut chaintoolong) = (0, 0);
    // SAFETY: `net` is live (caller); reads two per-CPU counters.
    unsafe { bindings::nfscope_ct_stats(net as *const _, cpu, &mut insert_failed, &mut chaintoolong) };
    (insert_failed, chaintoolong)
}

/// Whether the conntrack entry of `skb` was killed (e.g. by a flush)
/// before it could be confirmed.
///
/// # Safety
///
/// `skb` must be live (a running hook call's).
pub(crate) unsafe fn skb_ct_dying(skb: usize) -> bool {
    // SAFETY: `skb` is live (caller).
    unsafe { bindings::nfscope_skb_ct_dying(skb as *const _) }
}
