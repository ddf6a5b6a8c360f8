// SPDX-License-Identifier: GPL-2.0

//! What nfscope keeps in each network namespace: configuration, hook counters,
//! TOA state, the netfilter hooks and the `/proc/net/nfscope` directory (its
//! files are in `proc/`; the root wires the two together at namespace set-up).

use crate::counters::HookCounters;
use crate::drops::toa_probe_on;
use crate::toa::{default_trust, ToaState};
use crate::wrap::getname::GetnameHook;
use crate::wrap::net::Net;
use crate::wrap::netfilter::{HookSet, PacketHook, Packet, Verdict};
use crate::wrap::pernet::{PernetId, Registered};
use crate::wrap::procfs::ProcDir;
use crate::wrap::sock::SockTuple;
use crate::wrap::tracepoint::SockStateHook;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering::{self, Relaxed}};
use kernel::prelude::*;
use crate::wrap::compat::SetOnce;

/// Module-wide settings new namespaces start from (module parameters).
pub(crate) struct Defaults {
    pub(crate) hooks_enabled: bool,
    pub(crate) hook_priority: i32,
    pub(crate) toa_capacity: u32,
}

static DEFAULT_HOOKS_ENABLED: AtomicBool = AtomicBool::new(true);
static HOOK_PRIORITY: AtomicI32 = AtomicI32::new(i32::MIN);
static TOA_CAPACITY: AtomicU32 = AtomicU32::new(65536);
/// Namespaces that currently have a [`NetnsState`].
static NETNS_COUNT: AtomicU32 = AtomicU32::new(0);
static NETNS_ID: PernetId = PernetId::new();

/// Sets the defaults; called once, before the per-namespace state is registered.
pub(crate) fn set_defaults(defaults: Defaults) {
    DEFAULT_HOOKS_ENABLED.store(defaults.hooks_enabled, Relaxed);
    HOOK_PRIORITY.store(defaults.hook_priority, Relaxed);
    TOA_CAPACITY.store(defaults.toa_capacity, Relaxed);
}

pub(crate) fn netns_count() -> u32 {
    NETNS_COUNT.load(Relaxed)
}

/// The state of one network namespace.
pub(crate) struct NetnsState {
    // Dropped in declaration order: hooks and views go before the data they read.
    hooks: SetOnce<HookSet>,
    proc: SetOnce<ProcDir>,
    inode: u32,
    is_init: bool,
    hook_priority: i32,
    /// Read at every hook point of every packet: a `core` atomic (one
    /// load), where the kernel crate's is a call into C.
    hooks_enabled: AtomicBool,
    pub(crate) counters: HookCounters,
    pub(crate) toa: ToaState,
}

impl NetnsState {
    pub(crate) fn inode(&self) -> u32 {
        self.inode
    }

    /// Whether this is the initial namespace (which sees module-wide data).
    pub(crate) fn is_init(&self) -> bool {
        self.is_init
    }

    pub(crate) fn hook_priority(&self) -> i32 {
        self.hook_priority
    }

    pub(crate) fn hooks_enabled(&self) -> bool {
        self.hooks_enabled.load(Ordering::Relaxed)
    }

    /// Starts or stops counting. The points other than LOCAL_IN (TOA's)
    /// are hooked only while counting. Process context.
    pub(crate) fn set_hooks_enabled(&self, enabled: bool) -> Result {
        let hooks = self.hooks.as_ref().ok_or(EAGAIN)?;
        hooks.set_all_points(enabled, || self.hooks_enabled.store(enabled, Ordering::Relaxed))
    }
}

impl NetnsState {
    /// Where the kernel keeps this state's id (`PernetState::id`).
    pub(crate) fn id() -> &'static PernetId {
        &NETNS_ID
    }

    /// The state of `net`, from the module-wide defaults. Process context.
    pub(crate) fn new(net: &Net) -> Result<Self> {
        // Checked at module load, so this only fails on allocation.
        let trust = default_trust().map_err(|_| EINVAL)?;
        let toa = ToaState::new(&trust, TOA_CAPACITY.load(Relaxed) as usize)?;
        NETNS_COUNT.fetch_add(1, Relaxed);
        Ok(Self {
            hooks: SetOnce::new(),
            proc: SetOnce::new(),
            inode: net.inode(),
            is_init: net.is_init(),
            hook_priority: HOOK_PRIORITY.load(Relaxed),
            hooks_enabled: AtomicBool::new(DEFAULT_HOOKS_ENABLED.load(Relaxed)),
            counters: HookCounters::new(),
            toa,
        })
    }

    /// Keeps `proc` (the namespace's `/proc/net/nfscope`), then registers the
    /// netfilter hooks. Once the state is at its final address
    /// (`PernetState::attach`). Process context.
    pub(crate) fn install(&self, net: &Net, proc: ProcDir, attached: Registered<'_, Self>) -> Result {
        self.proc.populate(proc);
        self.hooks.populate(HookSet::new::<Self>(net, self.hook_priority, self.hooks_enabled(), attached)?);
        Ok(())
    }
}

impl PacketHook for NetnsState {
    /// Counting obeys `hooks_enabled`; TOA decoding (LOCAL_IN only) obeys
    /// the module-wide TOA probe switch.
    fn on_packet(&self, packet: &Packet<'_>) -> Verdict {
        if self.hooks_enabled() {
            self.counters.record(packet.pf(), packet.hooknum(), packet.skb().len());
        }
        if packet.hooknum() == crate::wrap::netfilter::LOCAL_IN && toa_probe_on() {
            self.toa.on_packet(packet);
        }
        Verdict::Accept
    }
}

impl GetnameHook for NetnsState {
    fn on_getname(&self, sock: &SockTuple, addr: &mut [u8], _peer: i32) {
        if toa_probe_on() {
            self.toa.on_getname(sock, addr);
        }
    }
}

impl SockStateHook for NetnsState {
    fn on_sock_state(&self, sock: &SockTuple, _old: i32, new: i32) {
        self.toa.on_sock_state(sock, new);
    }
}

impl Drop for NetnsState {
    fn drop(&mut self) {
        NETNS_COUNT.fetch_sub(1, Relaxed);
    }
}
