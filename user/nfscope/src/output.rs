//! How results are printed: tables for people, JSON lines for programs. Every
//! JSON object carries `schema` (bumped on incompatible changes) and `type`.

use nfscope_client::Status;
use serde::Serialize;
use std::io::{self, Write};

/// Version of the JSON output's shape.
pub const JSON_SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    schema: u32,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes one JSON line.
pub fn json_line<T: Serialize>(out: &mut impl Write, kind: &str, body: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Envelope { schema: JSON_SCHEMA, kind, body })?;
    writeln!(out)
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
    fn status_table_has_a_row_per_counter() {
        let mut buf = Vec::new();
        status_table(&mut buf, &sample()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("hooks: enabled (priority -2147483648)"));
        assert!(text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["ipv4", "LOCAL_IN", "3", "180"]));
    }
}
