//! nfscope's event schema: the records every producer makes (the module's
//! drop and reset records through the netlink client, the BPF tracers'
//! events) and the one JSON writer every `--json` output goes through. Data
//! only: how records are shown to people is the CLI's (`nfscope::output`).

mod json;
mod record;

pub use json::{json_line, JSON_SCHEMA};
pub use record::{
    hook_point_name, nfproto_name, proto_name, tcp_flags_text, tcp_state_name, DropEvent, DropRecord, HookInfo, HookParts, RecordHook,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_carries_schema_and_type_around_the_body() {
        #[derive(serde::Serialize)]
        struct Body {
            count: u32,
        }
        let mut out = Vec::new();
        json_line(&mut out, "lost", &Body { count: 3 }).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\"schema\":1,\"type\":\"lost\",\"count\":3}\n");
    }

    #[test]
    fn field_names() {
        assert_eq!(tcp_flags_text(0x12), "S.");
        assert_eq!(tcp_flags_text(0x19), "FP.");
        assert_eq!(tcp_flags_text(0), "");
        assert_eq!(tcp_state_name(1), "ESTABLISHED");
        assert_eq!(tcp_state_name(0), "STATE_0");
        assert_eq!(tcp_state_name(99), "STATE_99");
        assert_eq!((proto_name(17), proto_name(58), proto_name(132)), ("udp".into(), "icmpv6".into(), "ip-proto-132".into()));
        assert_eq!((hook_point_name(4), hook_point_name(7)), ("POST_ROUTING".into(), "HOOK_7".into()));
        assert_eq!((nfproto_name(1), nfproto_name(10), nfproto_name(4)), ("inet".into(), "ip6".into(), "pf4".into()));
    }
}
