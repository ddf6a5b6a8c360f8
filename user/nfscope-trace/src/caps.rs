//! The capabilities this process has, to refuse early with a message that
//! names the missing one instead of a bare EPERM from the kernel.

use crate::{Error, Result};

pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_PERFMON: u32 = 38;
pub const CAP_BPF: u32 = 39;

/// The effective set, from /proc/self/status (all clear if unreadable).
pub fn effective() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("CapEff:"))?;
            u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
        })
        .unwrap_or(0)
}

pub fn has(cap: u32) -> bool {
    effective() & (1u64 << cap) != 0
}

/// Loading and attaching tracing BPF programs: CAP_BPF with CAP_PERFMON, or
/// CAP_SYS_ADMIN.
pub fn require_bpf(what: &str) -> Result<()> {
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        return Ok(());
    }
    Err(Error::MissingCapability { what: what.into(), caps: "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)" })
}
