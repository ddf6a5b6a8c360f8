// SPDX-License-Identifier: GPL-2.0

//! Which netfilter hook dropped a packet. Every distinct function on the
//! IPv4/IPv6 hooks is probed (entry and exit; one fprobe for the functions
//! each rescan finds new; rescanned about once a second, so
//! tables and modules added later are covered). Each CPU keeps the hook
//! calls in progress and the last call that returned `NF_DROP`:
//! - a hook that frees the packet itself (`NF_DROP_REASON`, as nftables'
//!   `nft_do_chain` does) is the innermost call in progress for that skb;
//! - a hook that returns `NF_DROP` leaves it to `nf_hook_slow`, which frees
//!   the skb right after the return. With preemptible RCU the task may be
//!   preempted (and other hooks run on the CPU) or even move to another CPU
//!   in between: the verdict is kept per CPU, keyed by the skb, until that
//!   skb is freed or enters a hook again, and other CPUs are searched for a
//!   `NETFILTER_DROP` not found on the freeing one.
//!
//! Calls are identified by (function, `priv`), so hooks of equal priority are
//! told apart. Conntrack's confirm hook (`nf_confirm`) is classified by the
//! per-CPU `insert_failed`/`chaintoolong` counters around the call.

use crate::uapi;
use crate::wrap::context;
use crate::wrap::fprobe;
use crate::wrap::lock_irq::SpinLockIrq;
use crate::wrap::nfhooks::{self, HookCall, HookFnsProbe, HookWatch};
use crate::wrap::skb::DROP_REASON_NETFILTER_DROP;
use crate::wrap::symbols;
use kernel::prelude::*;
use kernel::static_lock_class;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_mutex, Mutex};

/// Hook calls in progress tracked per CPU (deeper nesting is not attributed).
const STACK: usize = 8;
/// `NF_DROP` verdicts kept per CPU until their skb is freed (the oldest is
/// pushed out).
const VERDICTS: usize = 8;
/// Distinct hook functions probed at most.
const MAX_FUNCS: usize = 64;
const TAG_PLAIN: u32 = 0;
const TAG_CONFIRM: u32 = 1;
const NF_VERDICT_MASK: u32 = 0xff;

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

/// A drop attributed to one hook call.
#[derive(Clone, Copy)]
pub(crate) struct Attribution {
    pub(crate) call: HookCall,
    pub(crate) how: How,
    pub(crate) ct: CtClass,
}

#[derive(Default)]
struct CpuHooks {
    /// Calls in progress, innermost last. A return removes its own call, so
    /// a call whose return was never seen (a probe removed meanwhile) is
    /// only pushed out by newer ones.
    stack: [HookCall; STACK],
    depth: usize,
    /// Calls that returned `NF_DROP` on this CPU, oldest first, whose skb
    /// `nf_hook_slow` is about to free.
    verdicts: [(HookCall, CtClass); VERDICTS],
    n_verdicts: usize,
}

impl CpuHooks {
    fn push(&mut self, call: &HookCall) {
        if self.depth == STACK {
            self.stack.copy_within(1.., 0);
            self.depth -= 1;
        }
        self.stack[self.depth] = *call;
        self.depth += 1;
    }

    fn remove(&mut self, call: &HookCall) {
        if let Some(i) = self.stack[..self.depth].iter().rposition(|c| c == call) {
            self.stack.copy_within(i + 1..self.depth, i);
            self.depth -= 1;
        }
    }

    fn add_verdict(&mut self, call: &HookCall, ct: CtClass) {
        if self.n_verdicts == VERDICTS {
            self.verdicts.copy_within(1.., 0);
            self.n_verdicts -= 1;
        }
        self.verdicts[self.n_verdicts] = (*call, ct);
        self.n_verdicts += 1;
    }

    /// Removes and returns the verdict kept for `skb`.
    fn take_verdict(&mut self, skb: usize) -> Option<(HookCall, CtClass)> {
        let i = self.verdicts[..self.n_verdicts].iter().rposition(|(c, _)| c.skb == skb)?;
        let v = self.verdicts[i];
        self.verdicts.copy_within(i + 1..self.n_verdicts, i);
        self.n_verdicts -= 1;
        Some(v)
    }

    /// The call that dropped `skb` as far as this CPU knows: one in
    /// progress (it frees the skb itself), or one that returned `NF_DROP`.
    fn attribute(&mut self, skb: usize) -> Option<Attribution> {
        if let Some(call) = self.stack[..self.depth].iter().rev().find(|call| call.skb == skb) {
            return Some(Attribution { call: *call, how: How::Freed, ct: 0 });
        }
        let (call, ct) = self.take_verdict(skb)?;
        Some(Attribution { call, how: How::Verdict, ct })
    }
}

/// Probes and per-CPU call tracking.
pub(crate) struct HookTracker {
    // Dropped first: the probes write into `cpus`.
    probes: Pin<KBox<Mutex<Probes>>>,
    cpus: KVec<Pin<KBox<SpinLockIrq<CpuHooks>>>>,
    enabled: Atomic<bool>,
}

#[derive(Default)]
struct Probes {
    live: KVec<HookFnsProbe<HookTracker>>,
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
            cpus.push(KBox::pin_init(SpinLockIrq::new(CpuHooks::default(), c"nfscope_hooks", static_lock_class!()), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            probes: KBox::pin_init(new_mutex!(Probes::default()), GFP_KERNEL)?,
            cpus,
            enabled: Atomic::new(enabled),
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
    /// disabled). Process context; `self` must be pinned where it stays
    /// until dropped (the probes point to it).
    pub(crate) fn rescan(&self) {
        let mut p = self.probes.lock();
        if !self.enabled() {
            let missed: u64 = p.live.iter().map(|p| p.missed()).sum();
            p.missed_before += missed;
            fprobe::release_all(&mut p.live);
            return;
        }
        let mut funcs = [0u64; MAX_FUNCS];
        let n = nfhooks::hook_functions(&mut funcs);
        // The functions not probed yet, with their tags.
        let mut new = [(0usize, 0u32); MAX_FUNCS];
        let mut n_new = 0;
        for &f in &funcs[..n] {
            let f = f as usize;
            if symbols::in_this_module(f as u64) || p.live.iter().any(|p| p.probes(f)) || p.failed.contains(&f) {
                continue;
            }
            let mut buf = [0u8; 64];
            let tag = if symbols::symbol_name(f as u64, &mut buf) == b"nf_confirm" { TAG_CONFIRM } else { TAG_PLAIN };
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
                let mut buf = [0u8; 64];
                let name = core::str::from_utf8(symbols::symbol_name(one[0].0 as u64, &mut buf)).unwrap_or("?");
                pr_warn!("cannot probe netfilter hook {}: {:?}; its drops stay unattributed\n", name, e);
                let _ = p.failed.push(one[0].0, GFP_KERNEL);
            }
        }
    }

    /// Probes `funcs` with one fprobe added to `p.live`.
    fn probe(&self, p: &mut Probes, funcs: &[(usize, u32)]) -> Result {
        // SAFETY: the functions are on netfilter hook lists, so they are
        // `nf_hookfn`s; the probe is dropped with `self.probes`, before
        // `self` goes (field order), and `self` does not move (pinned).
        let probe = unsafe { HookFnsProbe::on_hook_fns(funcs, self)? };
        p.live.push(probe, GFP_KERNEL)?;
        Ok(())
    }

    /// The hook call that dropped `skb`, if a probed hook did: looked for
    /// on this CPU, and for a `NETFILTER_DROP` (`reason`) also on the others
    /// (the freeing task may have moved since the hook returned). Called
    /// from the `kfree_skb` tracepoint; consumes the verdict record.
    pub(crate) fn attribute(&self, skb: usize, reason: u32) -> Option<Attribution> {
        let here = context::cpu() as usize;
        if let Some(a) = self.cpus.get(here).and_then(|c| c.lock().attribute(skb)) {
            return Some(a);
        }
        if reason != DROP_REASON_NETFILTER_DROP {
            return None;
        }
        self.cpus.iter().enumerate().filter(|&(i, _)| i != here).find_map(|(_, c)| c.lock().attribute(skb))
    }
}

impl HookWatch for HookTracker {
    /// Conntrack counters at entry (confirm hook only).
    type Data = (u32, u32);

    fn on_entry(&self, call: &HookCall, tag: u32) -> (u32, u32) {
        let counters = if tag == TAG_CONFIRM {
            // SAFETY: the hook call runs, so its netns is live.
            unsafe { nfhooks::ct_stats(call.net, call.cpu) }
        } else {
            (0, 0)
        };
        if let Some(cpu) = self.cpus.get(call.cpu as usize) {
            let mut c = cpu.lock();
            // The skb is in a hook again: a verdict kept for it is stale
            // (its address was freed and reused).
            c.take_verdict(call.skb);
            c.push(call);
        }
        counters
    }

    fn on_return(&self, call: &HookCall, tag: u32, before: &(u32, u32), verdict: u32) {
        if let Some(cpu) = self.cpus.get(call.cpu as usize) {
            cpu.lock().remove(call);
        }
        if verdict & NF_VERDICT_MASK != uapi::NF_DROP {
            return;
        }
        let ct = if tag == TAG_CONFIRM {
            // SAFETY: the call just returned into `nf_hook_slow`, which still
            // holds the skb and runs in its netns.
            let (insert_failed, chaintoolong) = unsafe { nfhooks::ct_stats(call.net, call.cpu) };
            if chaintoolong != before.1 {
                uapi::CT_DROP_CHAINTOOLONG
            } else if insert_failed != before.0 {
                // SAFETY: as above, the skb is live.
                if unsafe { nfhooks::skb_ct_dying(call.skb) } {
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
        // `nf_hook_slow` frees the skb next, normally on this CPU.
        if let Some(cpu) = self.cpus.get(context::cpu() as usize) {
            cpu.lock().add_verdict(call, ct);
        }
    }
}
