//! Drop and reset reason names, read from the running kernel's BTF
//! (`enum skb_drop_reason`, `enum sk_rst_reason`): whatever this kernel
//! defines, named as the kernel names them (`NO_SOCKET`, not
//! `SKB_DROP_REASON_NO_SOCKET`).

use crate::{Error, Result};
use libbpf_rs::btf::types::Enum;
use libbpf_rs::btf::Btf;
use std::collections::BTreeMap;

pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

#[derive(Debug, Default, Clone)]
pub struct Reasons {
    pub drop: BTreeMap<u32, String>,
    pub rst: BTreeMap<u32, String>,
}

impl Reasons {
    pub fn from_vmlinux() -> Result<Self> {
        if !std::path::Path::new(VMLINUX_BTF).exists() {
            return Err(Error::NoBtf { path: VMLINUX_BTF });
        }
        let btf = Btf::from_path(VMLINUX_BTF).map_err(Error::bpf(format!("reading {VMLINUX_BTF}")))?;
        let drop = enum_names(&btf, "skb_drop_reason", &["SKB_DROP_REASON_", "SKB_"])?;
        let rst = enum_names(&btf, "sk_rst_reason", &["SK_RST_REASON_"])?;
        Ok(Self { drop, rst })
    }

    pub fn drop_name(&self, v: u32) -> String {
        self.drop.get(&v).cloned().unwrap_or_else(|| format!("REASON_{v}"))
    }

    pub fn rst_name(&self, v: u32) -> String {
        self.rst.get(&v).cloned().unwrap_or_else(|| format!("REASON_{v}"))
    }

    /// The value of a drop reason given by name (with or without the
    /// `SKB_DROP_REASON_` prefix, any case) or number.
    pub fn drop_value(&self, name: &str) -> Result<u32> {
        if let Ok(n) = name.parse() {
            return Ok(n);
        }
        let want = name.trim_start_matches("SKB_DROP_REASON_").to_ascii_uppercase();
        self.drop.iter().find(|(_, n)| **n == want).map(|(v, _)| *v).ok_or_else(|| {
            Error::Invalid(format!("this kernel has no drop reason {name:?} (enum skb_drop_reason in its BTF)"))
        })
    }
}

fn enum_names(btf: &Btf, name: &str, prefixes: &[&str]) -> Result<BTreeMap<u32, String>> {
    let e: Enum = btf
        .type_by_name(name)
        .ok_or_else(|| Error::Invalid(format!("the kernel's BTF has no enum {name}")))?;
    Ok(e.iter()
        .filter_map(|m| {
            let full = m.name?.to_str()?;
            let short = prefixes.iter().find_map(|p| full.strip_prefix(p)).unwrap_or(full);
            Some((u32::try_from(m.value).ok()?, short.to_string()))
        })
        .collect())
}
