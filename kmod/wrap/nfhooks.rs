// SPDX-License-Identifier: GPL-2.0

//! Netfilter hook functions seen from outside: which functions the IPv4 and
//! IPv6 hooks of all namespaces run, an entry probe on them (the packet, the
//! namespace, pf and hook point of each call; no return probe: hook
//! functions run for every packet, and a return hook would double the
//! cost), and the registration a call belongs to (priority, nftables table
//! and chain).
//! Nothing here changes a hook: the functions are probed, never patched.

use crate::bindings;
use crate::wrap::fprobe::{CallRegs, Fprobe, FprobeHandler, Target};
use kernel::prelude::*;

/// One call of a hook function.
#[repr(C)]
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
    /// `jiffies` at the call.
    pub(crate) stamp: u64,
}

// SAFETY: `repr(C)` of integers: any bytes are a valid value.
unsafe impl super::compat::FromBytes for HookCall {}

/// What to do at each call of a probed hook function. Runs wherever
/// netfilter runs (softirq or process context, preemption off): must not
/// sleep.
pub(crate) trait HookWatch: Sync + 'static {
    fn on_entry(&self, call: &HookCall, tag: u32);
}

/// The fprobe handler for a set of hook functions.
pub(crate) struct HookFns<W: HookWatch> {
    watch: *const W,
    /// (function, tag), sorted by address.
    funcs: KVec<(usize, u32)>,
}

// SAFETY: `watch` is only shared (`W: Sync`); the rest is plain data.
unsafe impl<W: HookWatch> Send for HookFns<W> {}
// SAFETY: as above.
unsafe impl<W: HookWatch> Sync for HookFns<W> {}

impl<W: HookWatch> HookFns<W> {
    /// The probed function a call site lies in: the last one starting at or
    /// before it (functions do not overlap).
    fn func_of(&self, ip: usize) -> Option<(usize, u32)> {
        let i = self.funcs.partition_point(|&(f, _)| f <= ip).checked_sub(1)?;
        self.funcs.get(i).copied()
    }
}

impl<W: HookWatch> FprobeHandler for HookFns<W> {
    type Entry = ();
    const EXIT: bool = false;

    fn on_entry(&self, regs: &CallRegs<'_>) -> Option<Self::Entry> {
        let (func, tag) = self.func_of(regs.entry_ip())?;
        let mut a = bindings::nfscope_hook_args::default();
        // SAFETY: every probed function is an `nf_hookfn(priv, skb, state)`
        // (`on_hook_fns`'s contract): its registers hold them, and `state`
        // is live during the call.
        unsafe { bindings::nfscope_hook_args(regs.raw(), &mut a) };
        let call = HookCall {
            skb: a.skb as usize,
            net: a.net as usize,
            func,
            priv_: a.priv_ as usize,
            pf: a.pf,
            hooknum: a.hooknum,
            cpu: a.cpu,
            stamp: a.jiffies,
        };
        // SAFETY: `watch` outlives the probe (`on_hook_fns`'s contract).
        unsafe { &*self.watch }.on_entry(&call, tag);
        Some(())
    }

    fn on_exit(&self, _regs: &CallRegs<'_>, _entry: &()) {}
}

/// Entry probes on a set of hook functions.
pub(crate) type HookFnsProbe<W> = Fprobe<HookFns<W>>;

impl<W: HookWatch> Fprobe<HookFns<W>> {
    /// Probes the hook functions `funcs` (address, tag), telling `watch`
    /// about their calls with each function's tag. Process context (may
    /// sleep). Fails as a whole if one function cannot be probed.
    ///
    /// # Safety
    ///
    /// Every address must be a netfilter hook function (`nf_hookfn`: `priv,
    /// skb, state`), and `watch` must stay valid until the probe is dropped.
    pub(crate) unsafe fn on_hook_fns(funcs: &[(usize, u32)], watch: *const W) -> Result<Self> {
        let mut sorted = KVec::with_capacity(funcs.len(), GFP_KERNEL)?;
        let mut addrs = KVec::with_capacity(funcs.len(), GFP_KERNEL)?;
        for &(f, tag) in funcs {
            sorted.push((f, tag), GFP_KERNEL)?;
            addrs.push(f, GFP_KERNEL)?;
        }
        crate::sort::sort_by_key(&mut sorted, |&(f, _)| f);
        // SAFETY: every address is an `nf_hookfn`, which `HookFns` reads;
        // `watch` outlives the probe (caller).
        unsafe { Fprobe::new(Target::Addrs(addrs), HookFns { watch, funcs: sorted }) }
    }

    /// Whether `func` is one of the probed functions.
    pub(crate) fn probes(&self, func: usize) -> bool {
        self.handler().funcs.binary_search_by_key(&func, |&(f, _)| f).is_ok()
    }

    /// How many functions are probed.
    pub(crate) fn len(&self) -> usize {
        self.handler().funcs.len()
    }
}

/// Where `nf_hook_slow` (which runs a hook point's functions and frees
/// what they drop by verdict) starts.
pub(crate) fn hook_slow_addr() -> u64 {
    // SAFETY: returns a function's address.
    unsafe { bindings::nfscope_nf_hook_slow_addr() }
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
