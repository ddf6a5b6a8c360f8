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
use crate::wrap::genetlink::{Command, Dump, GenlHandler, Permission, Request};
use kernel::prelude::*;

pub(crate) struct Control;

const fn command(cmd: u8, permission: Permission, dump: bool) -> Command {
    Command { cmd, permission, dump }
}

impl GenlHandler for Control {
    type State = NetnsState;

    /// Who may do what: reading is anyone's; changing a namespace's state
    /// needs `CAP_NET_ADMIN` there; the drop monitor is module-wide, so its
    /// configuration and the symbol lookup (kernel addresses) need it in the
    /// initial namespace.
    const COMMANDS: &'static [Command] = &[
        command(uapi::CMD_GET_STATUS, Permission::Anyone, false),
        command(uapi::CMD_SET_CONFIG, Permission::NetnsAdmin, false),
        command(uapi::CMD_TOA_GET, Permission::Anyone, true),
        command(uapi::CMD_TOA_GET_STATS, Permission::Anyone, false),
        command(uapi::CMD_TOA_TRUST_ADD, Permission::NetnsAdmin, false),
        command(uapi::CMD_TOA_TRUST_DEL, Permission::NetnsAdmin, false),
        command(uapi::CMD_TOA_SET_KIND, Permission::NetnsAdmin, false),
        command(uapi::CMD_DROP_GET_CONFIG, Permission::Anyone, false),
        command(uapi::CMD_DROP_SET_CONFIG, Permission::InitAdmin, false),
        command(uapi::CMD_DROP_SUMMARY, Permission::Anyone, true),
        command(uapi::CMD_SYMBOLS, Permission::InitAdmin, false),
    ];

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
            // Genetlink only calls us for the commands in `COMMANDS`.
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
