// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nfscope/drops`: the drop monitor's counters and this
//! namespace's drop summary, most frequent first.

use crate::drops::{monitor, SumView};
use crate::netns::NetnsState;
use crate::uapi;
use crate::wrap::procfs::ProcShow;
use core::fmt;
use kernel::seq_file::SeqFile;
use kernel::seq_print;

pub(crate) struct DropsFile;

struct Line<'a>(SumView<'a>);

impl kernel::fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

const STAT_NAMES: [(usize, &str); 12] = [
    (uapi::DSTAT_DROPS, "drops"),
    (uapi::DSTAT_RSTS, "resets"),
    (uapi::DSTAT_ATTRIBUTED, "attributed"),
    (uapi::DSTAT_FILTERED, "filtered"),
    (uapi::DSTAT_SUPPRESSED, "suppressed"),
    (uapi::DSTAT_QUEUED, "queued"),
    (uapi::DSTAT_LOST_RING, "lost_ring"),
    (uapi::DSTAT_LOST_SEND, "lost_send"),
    (uapi::DSTAT_SENT, "sent"),
    (uapi::DSTAT_SUMMARY_FULL, "summary_full"),
    (uapi::DSTAT_HOOK_FUNCS, "hook_funcs"),
    (uapi::DSTAT_HOOK_MISSED, "hook_missed"),
];

impl ProcShow for DropsFile {
    type State = NetnsState;

    fn show(state: &NetnsState, m: &SeqFile) {
        let Some(monitor) = monitor() else {
            seq_print!(m, "drop monitor not started\n");
            return;
        };
        let stats = monitor.stats();
        seq_print!(m, "# module-wide:");
        for (id, name) in STAT_NAMES {
            seq_print!(m, " {}={}", name, stats[id]);
        }
        seq_print!(m, "\n# netns {}: count reason location [hook]\n", state.inode());
        match monitor.summary(state.inode()) {
            Ok(lines) => {
                for line in &lines {
                    seq_print!(m, "{:>12} {}\n", line.view().count, Line(line.view()));
                }
            }
            Err(_) => seq_print!(m, "# out of memory\n"),
        }
    }
}
