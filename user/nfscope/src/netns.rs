//! Network namespaces as the CLI meets them: found through /run/netns and
//! the processes living in them, named, and joined by a thread that asks
//! something only that namespace can answer.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// A process living in a namespace: how an operator recognises a container's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub comm: String,
    /// The process's cgroup v2 path (`0::` line), else its first cgroup line's path.
    pub cgroup: String,
}

/// A network namespace and what names it.
#[derive(Debug, Clone, Default)]
pub struct Netns {
    pub inode: u32,
    /// Its `ip netns` name (/run/netns).
    pub name: Option<String>,
    /// The lowest-numbered process in it.
    pub process: Option<Process>,
    /// A file that opens it (/run/netns/NAME or /proc/PID/ns/net).
    pub(crate) path: Option<PathBuf>,
}


/// The namespaces `ip netns` named (/run/netns): inode, name, path.
pub(crate) fn named() -> Vec<(u32, String, PathBuf)> {
    let Ok(dir) = std::fs::read_dir("/run/netns") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| {
            let inode = std::fs::metadata(e.path()).ok()?.ino() as u32;
            Some((inode, e.file_name().to_str()?.to_string(), e.path()))
        })
        .collect()
}

/// Every namespace a process or /run/netns holds, by inode.
pub fn namespaces() -> BTreeMap<u32, Netns> {
    let mut found: BTreeMap<u32, Netns> = BTreeMap::new();
    for (inode, name, path) in named() {
        let ns = found.entry(inode).or_default();
        ns.inode = inode;
        ns.name = Some(name);
        ns.path = Some(path);
    }
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    pids.sort_unstable();
    for pid in pids {
        let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
        // Kernel threads and processes that exit meanwhile have no readable link.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let ns = found.entry(meta.ino() as u32).or_default();
        ns.inode = meta.ino() as u32;
        if ns.process.is_none() {
            ns.process = process(pid);
            ns.path.get_or_insert(path);
        }
    }
    found
}

fn process(pid: u32) -> Option<Process> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?.trim_end().to_string();
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    let path_of = |l: &str| l.splitn(3, ':').nth(2).map(str::to_string);
    let cgroup = cgroups
        .lines()
        .find(|l| l.starts_with("0::"))
        .or_else(|| cgroups.lines().next())
        .and_then(path_of)
        .unwrap_or_default();
    Some(Process { pid, comm, cgroup })
}

/// Runs `f` on a thread that has joined `ns` (needs CAP_SYS_ADMIN); the
/// caller's threads stay where they are. `Ok(None)`: nothing opens the
/// namespace any more (it went away, or only a record knew its inode).
pub fn in_netns<T: Send>(ns: &Netns, f: impl FnOnce() -> T + Send) -> Result<Option<T>> {
    let Some(path) = &ns.path else { return Ok(None) };
    let Ok(file) = std::fs::File::open(path) else { return Ok(None) };
    std::thread::scope(|s| {
        s.spawn(|| -> Result<T> {
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                .with_context(|| format!("joining namespace {} ({}): needs CAP_SYS_ADMIN", ns.inode, path.display()))?;
            Ok(f())
        })
        .join()
        .unwrap_or_else(|_| anyhow::bail!("netns {}: the thread asking it panicked", ns.inode))
    })
    .map(Some)
}
