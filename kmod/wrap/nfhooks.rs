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
use crate::wrap::skb::{Skb, DROP_REASON_NETFILTER_DROP};
use core::marker::PhantomData;
use kernel::ffi;
use kernel::prelude::*;
use kernel::sync::Arc;

/// One call of a hook function, as plain data: what it ran for, kept after
/// the call (see [`LiveCall`] for what may be read through it).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HookCall {
    /// The addresses of the `sk_buff` and `struct net` the hook ran for:
    /// keys, dereferenced only through a [`LiveCall`].
    pub(crate) skb: usize,
    net: usize,
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

/// A hook call as its entry saw it, with two words the watcher keeps with
/// it (`repr(C)` plain data, so it can sit in a `SeqRing`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct EnteredCall {
    pub(crate) call: HookCall,
    /// The probed function's tag.
    pub(crate) tag: u32,
    pub(crate) words: [u32; 2],
}

// SAFETY: `repr(C)` of integers and a `HookCall` (itself `FromBytes`): any
// bytes are a valid value.
unsafe impl super::compat::FromBytes for EnteredCall {}

/// A hook call whose `sk_buff` and namespace are live for `'a`: handed to
/// [`HookWatch::on_entry`] while the call runs, or made by
/// [`LiveCall::freed_by_netfilter`] while netfilter frees the call's skb.
///
/// # Invariants
///
/// `call.skb` is a live `sk_buff` and `call.net` a live `struct net` for
/// `'a`: the hook call runs, or netfilter is freeing its skb inside that
/// call's hook point run, for all of `'a`.
#[derive(Clone, Copy)]
pub(crate) struct LiveCall<'a> {
    call: HookCall,
    _live: PhantomData<&'a ()>,
}

impl<'a> LiveCall<'a> {
    /// The call's plain data.
    pub(crate) fn call(&self) -> &HookCall {
        &self.call
    }

    /// The call `call`, recorded by an entry probe for the skb netfilter is
    /// freeing now (`skb`, with drop reason `reason`), as a live call; `None`
    /// if the reason is not netfilter's or the call was for another skb.
    ///
    /// Netfilter frees with `NETFILTER_DROP` only inside a hook point's run
    /// (`nf_hook_slow`, or a hook function it calls): the hook state the call
    /// was entered with, its namespace included, lives on that run's stack
    /// frame until the free returns. The call is the newest entered for this
    /// skb's address (the caller's choice, within a second), so it is of this
    /// skb's run: an earlier skb at the same address had its calls entered
    /// before this skb's own.
    pub(crate) fn freed_by_netfilter(skb: &'a Skb, reason: u32, call: &HookCall) -> Option<Self> {
        (reason == DROP_REASON_NETFILTER_DROP && call.skb == skb.addr()).then_some(Self { call: *call, _live: PhantomData })
    }

    /// `(insert_failed, chaintoolong)` of the call namespace's conntrack on
    /// the CPU the call started on.
    pub(crate) fn ct_stats(&self) -> (u32, u32) {
        let (mut insert_failed, mut chaintoolong) = (0, 0);
        // SAFETY: the namespace is live for `'a` (type invariant); reads two
        // per-CPU counters.
        unsafe { bindings::nfscope_ct_stats(self.call.net as *const _, self.call.cpu, &mut insert_failed, &mut chaintoolong) };
        (insert_failed, chaintoolong)
    }

    /// Whether the conntrack entry of the call's skb was killed (e.g. by a
    /// flush) before it could be confirmed.
    pub(crate) fn ct_dying(&self) -> bool {
        // SAFETY: the skb is live for `'a` (type invariant).
        unsafe { bindings::nfscope_skb_ct_dying(self.call.skb as *const _) }
    }

    /// The call's registration (priority; nftables table and chain), if it
    /// is still registered.
    pub(crate) fn describe(&self) -> Option<HookDesc> {
        let c = &self.call;
        // SAFETY: the namespace is live for `'a` (type invariant).
        unsafe { find(c.net as *const _, c.pf, c.hooknum, |func, priv_| func == c.func && priv_ == c.priv_) }
    }
}

/// What to do at each call of a probed hook function. Runs wherever
/// netfilter runs (softirq or process context, preemption off): must not
/// sleep.
pub(crate) trait HookWatch: Send + Sync + 'static {
    fn on_entry(&self, call: &LiveCall<'_>, tag: u32);
}

/// A function on a netfilter hook list (an `nf_hookfn`), as
/// [`hook_functions`] found it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct HookFn(usize);

impl HookFn {
    pub(crate) fn addr(self) -> usize {
        self.0
    }
}

/// The fprobe handler for a set of hook functions.
pub(crate) struct HookFns<W: HookWatch> {
    watch: Arc<W>,
    /// (function, tag), sorted by address.
    funcs: KVec<(usize, u32)>,
}

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
        // (a `HookFn`): its registers hold them, and `state` is live during
        // the call.
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
        // The call runs: its skb and `state->net` are live meanwhile.
        self.watch.on_entry(&LiveCall { call, _live: PhantomData }, tag);
        Some(())
    }

    fn on_exit(&self, _regs: &CallRegs<'_>, _entry: &()) {}
}

/// Entry probes on a set of hook functions.
pub(crate) type HookFnsProbe<W> = Fprobe<HookFns<W>>;

impl<W: HookWatch> Fprobe<HookFns<W>> {
    /// Probes the hook functions `funcs` (function, tag), telling `watch`
    /// about their calls with each function's tag. Process context (may
    /// sleep). Fails as a whole if one function cannot be probed.
    pub(crate) fn on_hook_fns(funcs: &[(HookFn, u32)], watch: Arc<W>) -> Result<Self> {
        let mut sorted = KVec::with_capacity(funcs.len(), GFP_KERNEL)?;
        let mut addrs = KVec::with_capacity(funcs.len(), GFP_KERNEL)?;
        for &(f, tag) in funcs {
            sorted.push((f.addr(), tag), GFP_KERNEL)?;
            addrs.push(f.addr(), GFP_KERNEL)?;
        }
        crate::sort::sort_by_key(&mut sorted, |&(f, _)| f);
        // SAFETY: every address is an `nf_hookfn` (`HookFn`), which
        // `HookFns` reads its arguments as; the handler owns its `watch`.
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
    bindings::nf_hook_slow as *const () as usize as u64
}

/// The registrations on hook point `hooknum` of family `pf` in `net`, in
/// order: `pick(function, priv)` for each until it returns true, then that
/// registration's description; `None` if none was picked. `pick` runs under
/// RCU: it must not sleep.
///
/// # Safety
///
/// `net` is a live namespace.
unsafe fn find<F: FnMut(usize, usize) -> bool>(net: *const bindings::net, pf: u8, hooknum: u8, mut pick: F) -> Option<HookDesc> {
    /// # Safety
    ///
    /// `data` is the `F` of the `find` that passed it.
    unsafe extern "C" fn trampoline<F: FnMut(usize, usize) -> bool>(data: *mut ffi::c_void, func: u64, priv_: u64) -> bool {
        // SAFETY: `data` is `find`'s `pick`, borrowed by nothing else meanwhile.
        let pick = unsafe { &mut *data.cast::<F>() };
        pick(func as usize, priv_ as usize)
    }
    let mut raw = bindings::nfscope_hook_desc::default();
    // SAFETY: `net` is live (caller); the shim walks its hook list under
    // RCU, calls `trampoline` with `pick` (which outlives the walk) and
    // copies the picked registration's names into `raw`.
    let found = unsafe {
        bindings::nfscope_hook_find(net, pf, hooknum, Some(trampoline::<F>), core::ptr::from_mut(&mut pick).cast(), &mut raw)
    };
    // The kernel's `c_char` is `u8`.
    found.then_some(HookDesc { priority: raw.priority, ops_type: raw.ops_type, table_family: raw.table_family, table: raw.table, chain: raw.chain })
}

/// The distinct functions on the IPv4 and IPv6 hooks of every namespace now
/// (at most `N`), and how many there are.
pub(crate) fn hook_functions<const N: usize>() -> ([HookFn; N], usize) {
    struct Found<const N: usize> {
        funcs: [HookFn; N],
        n: usize,
    }
    /// # Safety
    ///
    /// `net` is live; `data` is the `Found<N>` below.
    unsafe extern "C" fn visit<const N: usize>(net: *const bindings::net, data: *mut ffi::c_void) {
        // SAFETY: `data` is the `Found`, borrowed by nothing else during the walk.
        let found = unsafe { &mut *data.cast::<Found<N>>() };
        for pf in [bindings::NFPROTO_IPV4 as u8, bindings::NFPROTO_IPV6 as u8] {
            for hooknum in 0..bindings::NF_INET_NUMHOOKS as u8 {
                let mut add = |func: usize, _priv: usize| {
                    if found.n < N && !found.funcs[..found.n].contains(&HookFn(func)) {
                        found.funcs[found.n] = HookFn(func);
                        found.n += 1;
                    }
                    false
                };
                // SAFETY: `net` is live (caller); `add` only writes `found`.
                unsafe { find(net, pf, hooknum, &mut add) };
            }
        }
    }
    let mut found = Found::<N> { funcs: [HookFn(0); N], n: 0 };
    // SAFETY: `visit` has the visitor's signature and writes only `found`,
    // which outlives the walk; the shim calls it under RCU with live
    // namespaces.
    unsafe { bindings::nfscope_for_each_net(Some(visit::<N>), core::ptr::from_mut(&mut found).cast()) };
    (found.funcs, found.n)
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
