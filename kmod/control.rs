// SPDX-License-Identifier: GPL-2.0

//! The generic netlink commands: what each one reads or changes in the
//! caller's namespace.

use crate::netns::{netns_count, NetnsState};
use crate::uapi;
use crate::wrap::genetlink::{GenlHandler, Reply, Request};
use crate::MODULE_VERSION;
use kernel::prelude::*;

pub(crate) struct Control;

impl GenlHandler for Control {
    type State = NetnsState;

    fn doit(state: &NetnsState, request: &Request<'_>) -> Result {
        match request.cmd() {
            uapi::CMD_GET_STATUS => get_status(state, request),
            uapi::CMD_SET_CONFIG => set_config(state, request),
            _ => Err(EOPNOTSUPP),
        }
    }
}

fn get_status(state: &NetnsState, request: &Request<'_>) -> Result {
    let mut reply = request.reply()?;
    put_status(state, &mut reply)?;
    reply.send()
}

fn put_status(state: &NetnsState, reply: &mut Reply<'_>) -> Result {
    reply.put_str(uapi::A_MODULE_VERSION, MODULE_VERSION)?;
    reply.put_u32(uapi::A_NETNS_INODE, state.inode())?;
    reply.put_u32(uapi::A_NETNS_COUNT, netns_count())?;
    reply.put_u8(uapi::A_HOOKS_ENABLED, u8::from(state.hooks_enabled()))?;
    reply.put_s32(uapi::A_HOOK_PRIORITY, state.hook_priority())?;
    let counters = reply.nest_start(uapi::A_COUNTERS)?;
    for c in state.counters.snapshot() {
        let counter = reply.nest_start(uapi::A_COUNTER)?;
        reply.put_u8(uapi::COUNTER_A_FAMILY, c.pf)?;
        reply.put_u8(uapi::COUNTER_A_HOOK, c.hooknum as u8)?;
        reply.put_u64(uapi::COUNTER_A_PACKETS, c.packets, uapi::COUNTER_A_PAD)?;
        reply.put_u64(uapi::COUNTER_A_BYTES, c.bytes, uapi::COUNTER_A_PAD)?;
        reply.nest_end(counter);
    }
    reply.nest_end(counters);
    Ok(())
}

/// Applies every configuration attribute present; the policy has already
/// checked their types and ranges. A request with none is an error.
fn set_config(state: &NetnsState, request: &Request<'_>) -> Result {
    let hooks_enabled = request.attr_u8(uapi::A_HOOKS_ENABLED);
    if hooks_enabled.is_none() {
        return Err(request.invalid(c"SET_CONFIG needs a configuration attribute (NFSCOPE_A_HOOKS_ENABLED)"));
    }
    if let Some(enabled) = hooks_enabled {
        state.set_hooks_enabled(enabled != 0);
    }
    Ok(())
}
