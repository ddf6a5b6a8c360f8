// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nfscope/status`: module version, this namespace's configuration
//! and hook counters, as a human-readable text.

use crate::counters::{family_name, hook_name};
use crate::netns::{netns_count, NetnsState};
use crate::wrap::procfs::ProcShow;
use crate::{uapi, MODULE_VERSION};
use crate::wrap::compat::{seq_print, SeqFile};

pub(crate) struct StatusFile;

impl ProcShow for StatusFile {
    type State = NetnsState;

    fn show(state: &NetnsState, m: &SeqFile) {
        seq_print!(m, "module_version: {}\n", MODULE_VERSION.to_str().unwrap_or("?"));
        seq_print!(m, "genl_family: nfscope v{}\n", uapi::GENL_VERSION);
        seq_print!(m, "netns_inode: {}\n", state.inode());
        seq_print!(m, "netns_count: {}\n", netns_count());
        seq_print!(m, "hooks_enabled: {}\n", u8::from(state.hooks_enabled()));
        seq_print!(m, "hook_priority: {}\n", state.hook_priority());
        seq_print!(m, "{:<6} {:<13} {:>20} {:>20}\n", "family", "hook", "packets", "bytes");
        for c in state.counters.snapshot() {
            seq_print!(
                m,
                "{:<6} {:<13} {:>20} {:>20}\n",
                family_name(c.pf),
                hook_name(c.hooknum),
                c.packets,
                c.bytes
            );
        }
    }
}
