// SPDX-License-Identifier: GPL-2.0

//! The namespace's status (version, hook counters) and its configuration.

use crate::netns::{netns_count, NetnsState};
use crate::uapi;
use crate::wrap::genetlink::{Reply, Request};
use crate::MODULE_VERSION;
use kernel::prelude::*;

pub(super) fn get_status(state: &NetnsState, request: &Request<'_>) -> Result {
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

/// Applies the configuration attributes present, after checking all of them:
/// a request with a bad value, or with none, changes nothing. The policy has
/// already checked types and lengths.
pub(super) fn set_config(state: &NetnsState, request: &Request<'_>) -> Result {
    let hooks_enabled = match request.attr_u8(uapi::A_HOOKS_ENABLED) {
        Some(v @ (0 | 1)) => Some(v == 1),
        Some(_) => return Err(request.invalid_attr(uapi::A_HOOKS_ENABLED, c"hooks_enabled must be 0 or 1")),
        None => None,
    };
    let Some(enabled) = hooks_enabled else {
        return Err(request.invalid(c"SET_CONFIG needs a configuration attribute (NFSCOPE_A_HOOKS_ENABLED)"));
    };
    state.set_hooks_enabled(enabled)
}
