// SPDX-License-Identifier: GPL-2.0

//! nfscope.ko: makes packet drops and load-balancer client addresses (TOA)
//! visible. This root wires the parts together. One place per concept:
//! `drops/` (drop and reset records, summary, hook attribution), `toa/`
//! (client addresses), `netns.rs` (what each namespace keeps), `control/`
//! (the generic netlink commands), `proc/` (the procfs text); `wrap/` holds
//! the safe wrappers of C facilities.

use core::ffi::CStr;
use kernel::prelude::*;

mod bindings;
mod control;
mod counters;
mod drops;
mod headers;
mod netns;
mod proc;
mod sort;
mod toa;
#[allow(dead_code, unreachable_pub)]
#[path = "codec/src/toa.rs"]
mod toa_codec;
mod uapi;
mod wrap;

use control::Control;
use drops::DropMonitor;
use wrap::work::DelayedWork;
use netns::{Defaults, NetnsState};
use wrap::genetlink::FamilyRegistration;
use wrap::getname::GetnameProbe;
use wrap::net::Net;
use wrap::pernet::{PernetId, PernetRegistration, PernetState, Registered};
use wrap::tracepoint::{probe_inet_sock_set_state, probe_kfree_skb, probe_tcp_send_reset, TracepointProbe};

/// The module's version, reported over netlink and in procfs.
pub(crate) const MODULE_VERSION: &CStr = c"0.1.0";

// The parameters and the author line are declared in the C shim (see
// `wrap::params`), so that this block is the same on every kernel line.
module! {
    type: Nfscope,
    name: "nfscope",
    description: "nfscope: packet drop attribution and TOA client addresses",
    license: "GPL",
}

struct Nfscope {
    // Dropped in declaration order. The drop producers and the drain first,
    // so no event is sent through the family while it is being unregistered;
    // then everything that looks up per-namespace state (requests, probes)
    // before that state; the drop monitor last, as netlink requests and
    // proc files use it (`drops::monitor`).
    _kfree_skb: TracepointProbe,
    _tcp_send_reset: TracepointProbe,
    _drain: DelayedWork<DropMonitor>,
    _genl: FamilyRegistration<Control>,
    _getname4: GetnameProbe<NetnsState>,
    _getname6: GetnameProbe<NetnsState>,
    _sock_state: TracepointProbe,
    _pernet: PernetRegistration<NetnsState>,
    _drops: Pin<KBox<DropMonitor>>,
}

impl kernel::Module for Nfscope {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let params = wrap::params::get();
        let enable = params.enable;
        if enable > 1 {
            pr_err!("enable={} is invalid: use 0 or 1\n", enable);
            return Err(EINVAL);
        }
        if let Err(item) = toa::default_trust() {
            pr_err!("toa_trust: '{}' is not an address or prefix (or more than 64 given)\n", item);
            return Err(EINVAL);
        }
        let toa_capacity = params.toa_table_size;
        if toa_capacity == 0 {
            pr_err!("toa_table_size must be at least 1\n");
            return Err(EINVAL);
        }
        netns::set_defaults(Defaults {
            hooks_enabled: enable == 1,
            hook_priority: params.hook_priority,
            toa_capacity,
        });
        let ring_records = params.drop_ring_records;
        if !(16..=1 << 20).contains(&ring_records) {
            pr_err!("drop_ring_records={} is invalid: use 16..1048576\n", ring_records);
            return Err(EINVAL);
        }
        // Created first and dropped last (see `Nfscope`).
        let drops = KBox::pin(DropMonitor::new(ring_records as usize)?, GFP_KERNEL)?;
        // SAFETY: pinned, and dropped after everything that calls
        // `drops::monitor()` (`_drops` is the last field of `Nfscope`).
        unsafe { drops::MONITOR.publish(drops.as_ref()) };
        drops.hooks.rescan();
        let drops_ptr: *const DropMonitor = &*drops;
        let pernet = PernetRegistration::<NetnsState>::new()?;
        // SAFETY: `_sock_state` is declared before `_pernet` in `Nfscope`, so
        // it is dropped first.
        let sock_state = unsafe { probe_inet_sock_set_state(pernet.registered())? };
        // SAFETY: as for `sock_state`.
        let getname6 = unsafe { GetnameProbe::on_getname(c"inet6_getname", pernet.registered())? };
        // SAFETY: as for `sock_state`.
        let getname4 = unsafe { GetnameProbe::on_getname(c"inet_getname", pernet.registered())? };
        // SAFETY: `_drain` is declared before `_drops` in `Nfscope` (and
        // created after it here), so it is dropped (cancelled, waiting for a
        // running pass) before the monitor;
        // nothing else uses the shim's work item.
        let drain = unsafe { DelayedWork::start(drops_ptr, 100)? };
        // SAFETY: `_kfree_skb` is declared before `_drops`, so the probe is
        // unregistered (waiting for running calls) before the monitor goes.
        let kfree_skb = unsafe { probe_kfree_skb(drops_ptr)? };
        // SAFETY: as for `_kfree_skb`.
        let tcp_send_reset = unsafe { probe_tcp_send_reset(drops_ptr)? };
        // SAFETY: `_genl` is declared before `_pernet` in `Nfscope`, so it is
        // dropped first.
        let genl = unsafe { FamilyRegistration::<Control>::new(pernet.registered())? };
        pr_info!("nfscope {} loaded\n", MODULE_VERSION.to_str().unwrap_or("?"));
        Ok(Self {
            _kfree_skb: kfree_skb,
            _tcp_send_reset: tcp_send_reset,
            _drain: drain,
            _genl: genl,
            _getname4: getname4,
            _getname6: getname6,
            _sock_state: sock_state,
            _pernet: pernet,
            _drops: drops,
        })
    }
}

/// A namespace's state is built from the module's defaults, then its proc
/// directory and hooks are installed. Wired here, where both `netns` and
/// `proc` (whose files read the state) are known.
impl PernetState for NetnsState {
    fn id() -> &'static PernetId {
        NetnsState::id()
    }

    fn new(net: &Net) -> Result<Self> {
        NetnsState::new(net)
    }

    fn attach(&self, net: &Net, attached: Registered<'_, Self>) -> Result {
        self.install(net, proc::dir(net, attached)?, attached)
    }
}
