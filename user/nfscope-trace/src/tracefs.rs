//! Kernel trace events under tracefs: their enable switch and filter. The
//! kernel keeps them after this process exits.

use crate::{Error, Result};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The events `nfscope trace list` always shows. Any other `group:event`
/// under tracefs can be toggled too.
pub const MANAGED: [&str; 4] = ["skb:kfree_skb", "tcp:tcp_send_reset", "tcp:tcp_receive_reset", "sock:inet_sock_set_state"];

/// Where tracefs is mounted: /sys/kernel/tracing, or wherever /proc/mounts
/// says (the old /sys/kernel/debug/tracing included).
pub fn root() -> Result<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, dir, fstype) = (f.next()?, f.next()?, f.next()?);
            (fstype == "tracefs").then(|| PathBuf::from(dir))
        })
        .collect();
    // The standard place first (also when /proc/mounts is not readable).
    dirs.sort_by_key(|d| d != Path::new("/sys/kernel/tracing"));
    if dirs.is_empty() {
        dirs.push("/sys/kernel/tracing".into());
    }
    for dir in &dirs {
        match std::fs::metadata(dir.join("events")) {
            Ok(m) if m.is_dir() => return Ok(dir.clone()),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                return Err(Error::MissingCapability {
                    what: format!("tracefs at {}", dir.display()),
                    caps: "root (read and write access to tracefs)",
                })
            }
            _ => {}
        }
    }
    Err(Error::TracefsNotMounted)
}

/// `group:event` → its directory, if this kernel has it.
pub fn event_dir(root: &Path, name: &str) -> Option<PathBuf> {
    let (group, event) = name.split_once(':')?;
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok(group) || !ok(event) {
        return None;
    }
    let dir = root.join("events").join(group).join(event);
    dir.join("enable").is_file().then_some(dir)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventState {
    pub enabled: bool,
    /// The event's filter ("none" is shown as None).
    pub filter: Option<String>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(Error::io(format!("reading {}", path.display())))
}

fn write(path: &Path, value: &str, what: &str) -> Result<()> {
    std::fs::write(path, value).map_err(|e| match e.kind() {
        ErrorKind::PermissionDenied => Error::MissingCapability {
            what: what.into(),
            caps: "write access to tracefs (root; files there are owned by root)",
        },
        ErrorKind::InvalidInput => Error::Invalid(format!(
            "the kernel rejected {value:?} for {what} (fields: {})",
            path.with_file_name("format").display()
        )),
        _ => Error::Io { what: format!("writing {}", path.display()), source: e },
    })
}

pub fn state(dir: &Path) -> Result<EventState> {
    let enabled = read(&dir.join("enable"))?.trim() != "0";
    let filter = read(&dir.join("filter"))?.trim().to_string();
    Ok(EventState { enabled, filter: (filter != "none" && !filter.is_empty()).then_some(filter) })
}

/// Sets the filter (None clears it), then the switch.
pub fn apply(dir: &Path, name: &str, s: &EventState) -> Result<()> {
    write(&dir.join("filter"), s.filter.as_deref().unwrap_or("0"), &format!("the filter of {name}"))?;
    write(&dir.join("enable"), if s.enabled { "1" } else { "0" }, &format!("switching {name}"))
}
