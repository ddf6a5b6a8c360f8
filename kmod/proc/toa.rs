// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nfscope/toa` (the table) and `/proc/net/nfscope/toa_stats`.

use crate::netns::NetnsState;
use crate::toa::{ip_addr, STAT_NAMES};
use crate::wrap::procfs::ProcShow;
use crate::wrap::compat::{self, seq_print, SeqFile};
use core::fmt::{self, Write};
use core::net::IpAddr;
use crate::wrap::context;

/// One line per connection: as the backend sees it, then what the TOA said.
pub(crate) struct ToaFile;

impl ProcShow for ToaFile {
    type State = NetnsState;

    fn show(state: &NetnsState, m: &SeqFile) {
        seq_print!(m, "{:<46} {:<46} {:<46} {:<8} {:>9}\n", "peer", "local", "client", "kind/len", "age_ms");
        let now_ns = context::mono_ns();
        state.toa.for_each_entry(0, |k, e| {
            let t = &e.toa;
            let age = e.age_ms(now_ns);
            let peer = ip_addr(k.family, &k.peer);
            let local = ip_addr(k.family, &k.local);
            // Fixed-width columns from pre-formatted address:port strings.
            seq_print!(m, "{:<46} {:<46} ", Endpoint(peer, Some(k.peer_port)), Endpoint(local, Some(k.local_port)));
            seq_print!(m, "{:<46} {:>3}/{:<4} {:>9}\n", Endpoint(t.client, t.client_port), t.kind, t.len, age);
            Ok(())
        });
    }
}

/// `addr:port`, `[v6]:port`, or a bare address when there is no port;
/// padded like a string.
struct Endpoint(IpAddr, Option<u16>);

impl compat::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = StackBuf { bytes: [0; 64], len: 0 };
        match (self.0, self.1) {
            (IpAddr::V6(a), Some(p)) => write!(buf, "[{a}]:{p}")?,
            (a, Some(p)) => write!(buf, "{a}:{p}")?,
            (a, None) => write!(buf, "{a}")?,
        }
        f.pad(core::str::from_utf8(&buf.bytes[..buf.len]).map_err(|_| fmt::Error)?)
    }
}

/// A small formatting buffer on the stack.
struct StackBuf {
    bytes: [u8; 64],
    len: usize,
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let dst = self.bytes.get_mut(self.len..self.len + s.len()).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// `name value` per counter.
pub(crate) struct ToaStatsFile;

impl ProcShow for ToaStatsFile {
    type State = NetnsState;

    fn show(state: &NetnsState, m: &SeqFile) {
        for (name, value) in STAT_NAMES.iter().zip(state.toa.stats()) {
            if !name.is_empty() {
                seq_print!(m, "{} {}\n", name, value);
            }
        }
    }
}
