// SPDX-License-Identifier: GPL-2.0

//! nfscope.ko: makes packet drops and load-balancer client addresses (TOA)
//! visible. This root wires the parts together; see `wrap/` for the safe
//! wrappers of C facilities and the other files for the logic.

use kernel::prelude::*;

mod bindings;
mod control;
mod counters;
mod netns;
mod status;
mod uapi;
mod wrap;

use control::Control;
use netns::{Defaults, NetnsState};
use wrap::genetlink::FamilyRegistration;
use wrap::pernet::PernetRegistration;

/// The module's version, reported over netlink and in procfs.
pub(crate) const MODULE_VERSION: &CStr = c"0.1.0";

module! {
    type: Nfscope,
    name: "nfscope",
    authors: ["nfscope developers"],
    description: "nfscope: packet drop attribution and TOA client addresses",
    license: "GPL",
    params: {
        enable: u8 {
            default: 1,
            description: "Hooks do their work in new network namespaces (0 or 1; runtime: nfscope config)",
        },
        hook_priority: i32 {
            default: -2147483648,
            description: "Netfilter priority of nfscope's hooks (default NF_IP_PRI_FIRST)",
        },
    },
}

struct Nfscope {
    // Dropped in declaration order: the family first, so no request can reach
    // per-namespace state that is being torn down.
    _genl: FamilyRegistration<Control>,
    _pernet: PernetRegistration<NetnsState>,
}

impl kernel::Module for Nfscope {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let enable = *module_parameters::enable.value();
        if enable > 1 {
            pr_err!("enable={} is invalid: use 0 or 1\n", enable);
            return Err(EINVAL);
        }
        netns::set_defaults(Defaults {
            hooks_enabled: enable == 1,
            hook_priority: *module_parameters::hook_priority.value(),
        });
        let pernet = PernetRegistration::<NetnsState>::new()?;
        let genl = FamilyRegistration::<Control>::new()?;
        pr_info!("nfscope {} loaded\n", MODULE_VERSION.to_str().unwrap_or("?"));
        Ok(Self { _genl: genl, _pernet: pernet })
    }
}
