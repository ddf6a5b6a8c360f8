// SPDX-License-Identifier: GPL-2.0

//! Which netfilter hook dropped a packet. Every distinct function on the
//! IPv4/IPv6 hooks is probed at its entry (one fprobe for the functions each
//! rescan finds new; rescanned about once a second, so tables and modules
//! added later are covered). No return probe: hook functions run for every
//! packet, and a return hook would cost as much again as the entry.
//!
//! Each CPU remembers its last hook calls (`CALLS`, a lock-free ring: an
//! entry only writes one slot; the newest call for an skb is the one that
//! counts).
//! Netfilter drops carry `NETFILTER_DROP`, whether the hook freed the
//! packet itself (`NF_DROP_REASON`, as nftables' `nft_do_chain`
//! does) or returned `NF_DROP` for `nf_hook_slow` to free right after: in
//! both cases the call that decided is the latest one entered for that skb
//! (`nf_hook_slow` runs a hook point's functions one after the other). The
//! freeing site tells which: inside `nf_hook_slow` is a verdict. With
//! preemptible RCU the task may be preempted, or move to another CPU,
//! between the verdict and the free: other CPUs are searched too. A call
//! older than a second is not taken (its skb was freed and its memory
//! reused since).
//!
//! Calls are identified by (function, `priv`), so hooks of equal priority are
//! told apart. Conntrack's confirm hook (`nf_confirm`) is classified by the
//! per-CPU `insert_failed`/`chaintoolong` counters at its entry and at the
//! drop.

use crate::uapi;
use crate::wrap::context;
use crate::wrap::fprobe;
use crate::wrap::nfhooks::{self, EnteredCall, HookCall, HookDesc, HookFn, HookFnsProbe, HookWatch, LiveCall};
use crate::wrap::seqslot::{Read, SeqRing};
use crate::wrap::skb::{Skb, DROP_REASON_NETFILTER_DROP};
use crate::wrap::symbols;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};

/// Hook calls remembered per CPU (the oldest is pushed out). A drop comes
/// right after its hook's call, with at most the calls of what that hook
/// sent meanwhile (a reject's reset) in between.
const CALLS: usize = 16;
/// A call entered longer ago than this (in seconds) did not drop the skb
/// freed now.
const CALL_TTL_S: u64 = 1;
/// Distinct hook functions probed at most.
const MAX_FUNCS: usize = 64;
const TAG_PLAIN: u32 = 0;
const TAG_CONFIRM: u32 = 1;

/// How the hook dropped the packet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// Freed it inside the hook function.
    Freed = uapi::HOOK_HOW_FREED as isize,
    /// Returned `NF_DROP`; `nf_hook_slow` freed it.
    Verdict = uapi::HOOK_HOW_VERDICT as isize,
}

/// Why conntrack's confirm hook dropped (`enum nfscope_ct_drop`).
pub(crate) type CtClass = u8;

/// A drop attributed to one hook call, while its skb is being freed.
#[derive(Clone, Copy)]
pub(crate) struct Attribution<'a> {
    live: LiveCall<'a>,
    pub(crate) how: How,
    pub(crate) ct: CtClass,
}

impl Attribution<'_> {
    pub(crate) fn call(&self) -> &HookCall {
        self.live.call()
    }

    /// The registration of the attributed call, if still registered.
    pub(crate) fn describe(&self) -> Option<HookDesc> {
        self.live.describe()
    }
}

/// One CPU's latest hook calls, each with its function's tag and, for the
/// confirm hook (`TAG_CONFIRM`), conntrack's (insert_failed, chaintoolong)
/// on the call's CPU at its entry; the newest call for an skb is the one
/// taken (older ones for it stay until pushed out).
type CpuHooks = SeqRing<EnteredCall, CALLS>;

/// Takes the newest call in `calls` for `skb`, if it was entered at tick
/// `since` or later, and marks every call for it taken.
fn take(calls: &CpuHooks, skb: usize, since: u64) -> Option<EnteredCall> {
    let mut newest: Option<Read<EnteredCall>> = None;
    for read in calls.reads(skb) {
        calls.take(&read);
        let newer = match &newest {
            Some(n) => read.order > n.order,
            None => true,
        };
        if newer {
            newest = Some(read);
        }
    }
    newest.map(|r| r.value).filter(|e| e.call.stamp >= since)
}

/// Every CPU's latest hook calls, written by the probes (which share it).
struct Calls {
    cpus: KVec<KBox<CpuHooks>>,
}

/// Probes and per-CPU call tracking.
pub(crate) struct HookTracker {
    probes: Pin<KBox<Mutex<Probes>>>,
    calls: Arc<Calls>,
    enabled: AtomicBool,
    /// `nf_hook_slow`'s code: a drop freed there is a hook's verdict.
    hook_slow: core::ops::Range<u64>,
}

#[derive(Default)]
struct Probes {
    live: KVec<HookFnsProbe<Calls>>,
    /// Functions that could not be probed (not retried).
    failed: KVec<usize>,
    /// Misses of probes already removed.
    missed_before: u64,
}

impl Drop for Probes {
    fn drop(&mut self) {
        // All at once: a grace period for all probes, not one each.
        fprobe::release_all(&mut self.live);
    }
}

impl HookTracker {
    pub(crate) fn new(enabled: bool) -> Result<Self> {
        let n = context::nr_cpu_ids() as usize;
        let mut cpus = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            cpus.push(KBox::new(CpuHooks::new(EnteredCall::default()), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            probes: KBox::pin_init(new_mutex!(Probes::default()), GFP_KERNEL)?,
            calls: Arc::new(Calls { cpus }, GFP_KERNEL)?,
            enabled: AtomicBool::new(enabled),
            hook_slow: symbols::function_range(nfhooks::hook_slow_addr()),
        })
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Relaxed)
    }

    /// Takes effect at the next [`HookTracker::rescan`].
    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Relaxed);
    }

    /// (functions probed, calls missed).
    pub(crate) fn probe_stats(&self) -> (u32, u64) {
        let p = self.probes.lock();
        let missed = p.live.iter().map(|p| p.missed()).sum::<u64>() + p.missed_before;
        (p.live.iter().map(|p| p.len()).sum::<usize>() as u32, missed)
    }

    /// Probes hook functions not probed yet (or removes all probes while
    /// disabled). Process context.
    pub(crate) fn rescan(&self) {
        let mut p = self.probes.lock();
        if !self.enabled() {
            let missed: u64 = p.live.iter().map(|p| p.missed()).sum();
            p.missed_before += missed;
            fprobe::release_all(&mut p.live);
            return;
        }
        let (funcs, n) = nfhooks::hook_functions::<MAX_FUNCS>();
        // The functions not probed yet, with their tags.
        let mut new = funcs.map(|f| (f, TAG_PLAIN));
        let mut n_new = 0;
        for &f in &funcs[..n] {
            let a = f.addr();
            if symbols::in_this_module(a as u64) || p.live.iter().any(|p| p.probes(a)) || p.failed.contains(&a) {
                continue;
            }
            let mut buf = [0u8; 64];
            let tag = if symbols::symbol_name(a as u64, &mut buf) == b"nf_confirm" { TAG_CONFIRM } else { TAG_PLAIN };
            new[n_new] = (f, tag);
            n_new += 1;
        }
        let new = &new[..n_new];
        // One probe for all of them (one ftrace update, one grace period at
        // removal); if that fails, each on its own, to find the one that
        // cannot be probed.
        if new.len() > 1 && self.probe(&mut p, new).is_ok() {
            return;
        }
        for one in new.chunks(1) {
            if let Err(e) = self.probe(&mut p, one) {
                let a = one[0].0.addr();
                let mut buf = [0u8; 64];
                let name = core::str::from_utf8(symbols::symbol_name(a as u64, &mut buf)).unwrap_or("?");
                pr_warn!("cannot probe netfilter hook {}: {:?}; its drops stay unattributed\n", name, e);
                let _ = p.failed.push(a, GFP_KERNEL);
            }
        }
    }

    /// Probes `funcs` with one fprobe added to `p.live`.
    fn probe(&self, p: &mut Probes, funcs: &[(HookFn, u32)]) -> Result {
        let probe = HookFnsProbe::on_hook_fns(funcs, self.calls.clone())?;
        p.live.push(probe, GFP_KERNEL)?;
        Ok(())
    }

    /// The hook call that dropped `skb`, if a probed hook did: the latest
    /// entered for it on this CPU, or on the others (the freeing task may
    /// have moved since the hook returned). Netfilter drops only (`reason`);
    /// `location` is the freeing site. Called from the `kfree_skb`
    /// tracepoint, while the skb is live; consumes the call record.
    pub(crate) fn attribute<'a>(&self, skb: &'a Skb, reason: u32, location: u64) -> Option<Attribution<'a>> {
        if reason != DROP_REASON_NETFILTER_DROP {
            return None;
        }
        let since = context::jiffies().saturating_sub(CALL_TTL_S * context::hz());
        let here = context::cpu() as usize;
        let cpus = &self.calls.cpus;
        let key = skb.addr();
        let e = cpus.get(here).and_then(|c| take(c, key, since)).or_else(|| {
            cpus.iter().enumerate().filter(|&(i, _)| i != here).find_map(|(_, c)| take(c, key, since))
        })?;
        let live = LiveCall::freed_by_netfilter(skb, reason, &e.call)?;
        let how = if self.hook_slow.contains(&location) { How::Verdict } else { How::Freed };
        let ct = if e.tag == TAG_CONFIRM && how == How::Verdict {
            let [failed_before, toolong_before] = e.words;
            let (insert_failed, chaintoolong) = live.ct_stats();
            if chaintoolong != toolong_before {
                uapi::CT_DROP_CHAINTOOLONG
            } else if insert_failed != failed_before {
                if live.ct_dying() {
                    uapi::CT_DROP_INSERT_FAILED_DYING
                } else {
                    uapi::CT_DROP_INSERT_FAILED_CLASH
                }
            } else {
                uapi::CT_DROP_CONFIRM_OTHER
            }
        } else {
            0
        };
        Some(Attribution { live, how, ct })
    }
}

impl HookWatch for Calls {
    /// Preemption is off (an fprobe handler): only this CPU pushes to its
    /// ring, as `SeqRing::push` requires.
    fn on_entry(&self, live: &LiveCall<'_>, tag: u32) {
        let call = live.call();
        let mut words = [0; 2];
        if tag == TAG_CONFIRM {
            let (insert_failed, chaintoolong) = live.ct_stats();
            words = [insert_failed, chaintoolong];
        }
        if let Some(cpu) = self.cpus.get(call.cpu as usize) {
            cpu.push(call.skb, EnteredCall { call: *call, tag, words });
        }
    }
}
