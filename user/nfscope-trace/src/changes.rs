//! What `nfscope trace enable|disable` changed, so it can be shown and
//! undone: the state before the first change, per tracer, kept in
//! /run/nfscope/trace-changes.json (gone at reboot, as the changes are).

use crate::tracefs::EventState;
use crate::{Error, Result};
use nfscope_client::DropConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The state a change replaced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Before {
    Tracefs(EventState),
    /// The module's whole drop configuration (probes and filters).
    Module(DropConfig),
}

/// Keyed by tracer ("module" for all of the module's probes).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Changes(pub BTreeMap<String, Before>);

fn path() -> PathBuf {
    std::env::var_os("NFSCOPE_STATE_DIR").map_or_else(|| PathBuf::from("/run/nfscope"), PathBuf::from).join("trace-changes.json")
}

impl Changes {
    pub fn load() -> Result<Self> {
        let p = path();
        match std::fs::read_to_string(&p) {
            Ok(s) => serde_json::from_str(&s)
                .map_err(|e| Error::Invalid(format!("{} is damaged ({e}); remove it to start afresh", p.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(Error::Io { what: format!("reading {}", p.display()), source: e }),
        }
    }

    pub fn save(&self) -> Result<()> {
        let p = path();
        if self.0.is_empty() {
            return match std::fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Io { what: format!("removing {}", p.display()), source: e }),
                _ => Ok(()),
            };
        }
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        }
        let tmp = p.with_extension("tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Invalid(e.to_string()))?;
        std::fs::write(&tmp, text).map_err(Error::io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, &p).map_err(Error::io(format!("writing {}", p.display())))
    }

    /// Remembers `before` unless an earlier change of `key` is remembered.
    pub fn note(&mut self, key: &str, before: Before) {
        self.0.entry(key.to_string()).or_insert(before);
    }
}
