//! How results are printed: tables and text for people, JSON lines for
//! programs. Every JSON line goes through `nfscope_events::json_line`
//! (re-exported here), which gives each object `schema` (bumped on
//! incompatible changes) and `type`.

use nfscope_client::Status;
pub use nfscope_events::json_line;
use nfscope_events::HookInfo;
use std::io::{self, Write};

/// A hook attribution in one line:
/// `ipv4 LOCAL_IN prio 0 nft inet t/input (nft_do_chain_inet, freed)`.
pub fn hook_text(h: &HookInfo) -> String {
    let mut s = format!("{} {}", h.family, h.hook);
    if let Some(p) = h.priority {
        s += &format!(" prio {p}");
    }
    if let (Some(t), Some(c)) = (&h.table, &h.chain) {
        s += &format!(" nft {} {t}/{c}", h.table_family.as_deref().unwrap_or("?"));
    }
    if let Some(ct) = &h.conntrack {
        s += &format!(" conntrack {ct}");
    }
    s += &format!(" ({}{})", h.function, h.how.as_ref().map(|h| format!(", {h}")).unwrap_or_default());
    s
}

pub fn status_json(out: &mut impl Write, s: &Status) -> io::Result<()> {
    json_line(out, "status", s)
}

pub fn status_table(out: &mut impl Write, s: &Status) -> io::Result<()> {
    writeln!(out, "nfscope module {}, netns {} ({} namespaces tracked)", s.module_version, s.netns_inode, s.netns_count)?;
    writeln!(
        out,
        "hooks: {} (priority {})",
        if s.hooks_enabled { "enabled" } else { "disabled" },
        s.hook_priority
    )?;
    writeln!(out, "{:<6} {:<13} {:>14} {:>16}", "FAMILY", "HOOK", "PACKETS", "BYTES")?;
    for c in &s.counters {
        writeln!(out, "{:<6} {:<13} {:>14} {:>16}", c.family, c.hook, c.packets, c.bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nfscope_client::HookCounter;

    fn sample() -> Status {
        Status {
            module_version: "0.1.0".into(),
            netns_inode: 4026531840,
            netns_count: 2,
            hooks_enabled: true,
            hook_priority: i32::MIN,
            counters: vec![HookCounter { family: "ipv4".into(), hook: "LOCAL_IN".into(), packets: 3, bytes: 180 }],
        }
    }

    #[test]
    fn status_json_is_one_line_with_schema() {
        let mut buf = Vec::new();
        status_json(&mut buf, &sample()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["type"], "status");
        assert_eq!(v["hooks_enabled"], true);
        assert_eq!(v["counters"][0]["hook"], "LOCAL_IN");
        assert_eq!(v["counters"][0]["packets"], 3);
    }

    #[test]
    fn a_hook_reads_as_one_line() {
        let h = nfscope_events::HookInfo::from_parts(nfscope_events::HookParts {
            function: "nft_do_chain_inet".into(),
            pf: 2,
            hooknum: 1,
            priority: Some(-150),
            how: Some(nfscope_codec::uapi::NFSCOPE_HOOK_HOW_VERDICT as u8),
            table: Some("early".into()),
            chain: Some("input".into()),
            table_family: Some(1),
            ct: None,
        });
        assert_eq!(hook_text(&h), "ipv4 LOCAL_IN prio -150 nft inet early/input (nft_do_chain_inet, verdict)");
        let ct = nfscope_events::HookInfo::from_parts(nfscope_events::HookParts {
            function: "nf_confirm".into(),
            pf: 10,
            hooknum: 4,
            priority: None,
            how: None,
            table: None,
            chain: None,
            table_family: None,
            ct: Some(nfscope_codec::uapi::NFSCOPE_CT_DROP_INSERT_FAILED_CLASH as u8),
        });
        assert_eq!(hook_text(&ct), "ipv6 POST_ROUTING conntrack insert_failed_clash (nf_confirm)");
    }

    #[test]
    fn status_table_has_a_row_per_counter() {
        let mut buf = Vec::new();
        status_table(&mut buf, &sample()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("hooks: enabled (priority -2147483648)"));
        assert!(text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["ipv4", "LOCAL_IN", "3", "180"]));
    }
}
