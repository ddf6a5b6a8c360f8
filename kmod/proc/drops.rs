// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nfscope/drops`: the drop monitor's counters and this
//! namespace's drop summary, most frequent first.

use crate::counters::{family_name, hook_name};
use crate::drops::{monitor, SumView};
use crate::netns::NetnsState;
use crate::uapi;
use crate::wrap::nfhooks::OPS_NFTABLES;
use crate::wrap::procfs::ProcShow;
use crate::wrap::symbols;
use core::fmt;
use crate::wrap::compat::{self, seq_print, SeqFile};

pub(crate) struct DropsFile;

struct Line<'a>(SumView<'a>);

/// `reason location [hook]`.
impl compat::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.0;
        let mut buf = [0u8; 128];
        let name = if v.rst { symbols::rst_reason_name(v.reason, &mut buf) } else { symbols::drop_reason_name(v.reason, &mut buf) };
        write!(f, "{}{} ", if v.rst { "RST:" } else { "" }, text(name))?;
        write!(f, "{}", text(symbols::symbol(v.location, &mut buf)))?;
        if let Some(h) = v.hook() {
            let func = symbols::symbol_name(h.func as u64, &mut buf);
            write!(f, " hook={}:{}:{}", family_name(h.pf), hook_name(u32::from(h.hooknum)), text(func))?;
            if let Some(d) = &h.desc {
                write!(f, "@{}", d.priority)?;
                if d.ops_type == OPS_NFTABLES {
                    write!(f, " nft={}/{}", text(d.table()), text(d.chain()))?;
                }
            }
            if h.ct != 0 {
                write!(f, " ct={}", ct_drop_name(h.ct))?;
            }
        }
        Ok(())
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

/// Kernel symbol and reason names are ASCII.
fn text(b: &[u8]) -> &str {
    core::str::from_utf8(b).unwrap_or("?")
}

/// How a conntrack confirm drop is classified.
fn ct_drop_name(ct: u8) -> &'static str {
    match ct {
        uapi::CT_DROP_INSERT_FAILED_DYING => "insert_failed(dying)",
        uapi::CT_DROP_INSERT_FAILED_CLASH => "insert_failed(clash)",
        uapi::CT_DROP_CHAINTOOLONG => "insert_failed(chaintoolong)",
        _ => "confirm",
    }
}
