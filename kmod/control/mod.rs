// SPDX-License-Identifier: GPL-2.0

//! The generic netlink commands: what each one reads or changes in the
//! caller's namespace. Netlink encoding is written here only: replies and
//! dumps per concept (`status.rs`, `toa.rs`, `drops.rs`) and the event
//! messages the drop drain sends (`events.rs`).

mod drops;
pub(crate) mod events;
mod status;
mod toa;

use crate::netns::NetnsState;
use crate::uapi;
use crate::wrap::genetlink::{Dump, GenlHandler, Request};
use kernel::prelude::*;

pub(crate) struct Control;

impl GenlHandler for Control {
    type State = NetnsState;

    fn doit(state: &NetnsState, request: &Request<'_>) -> Result {
        match request.cmd() {
            uapi::CMD_GET_STATUS => status::get_status(state, request),
            uapi::CMD_SET_CONFIG => status::set_config(state, request),
            uapi::CMD_TOA_GET_STATS => toa::get_stats(state, request),
            uapi::CMD_TOA_TRUST_ADD => toa::trust_change(state, request, true),
            uapi::CMD_TOA_TRUST_DEL => toa::trust_change(state, request, false),
            uapi::CMD_TOA_SET_KIND => toa::set_kind(state, request),
            uapi::CMD_DROP_GET_CONFIG => drops::get_config(request),
            uapi::CMD_DROP_SET_CONFIG => drops::set_config(request),
            uapi::CMD_SYMBOLS => drops::symbols(request),
            // Genetlink only calls us for the commands the shim registers.
            _ => Err(EINVAL),
        }
    }

    fn dump(state: &NetnsState, dump: &mut Dump<'_>) -> Result {
        match dump.cmd() {
            uapi::CMD_TOA_GET => toa::dump(state, dump),
            uapi::CMD_DROP_SUMMARY => drops::summary(state, dump),
            _ => Err(EINVAL),
        }
    }
}
