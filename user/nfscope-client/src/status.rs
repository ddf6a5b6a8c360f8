//! GET_STATUS replies.

use crate::netlink::{get_s32, get_string, get_u32, get_u64, get_u8, Attrs, NetlinkError};
use nfscope_codec::uapi;
use serde::Serialize;

/// Packets and bytes the module's hook saw at one (family, hook point).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HookCounter {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// The hook point's kernel name, e.g. `LOCAL_IN`.
    pub hook: String,
    pub packets: u64,
    pub bytes: u64,
}

/// The module's view of the caller's network namespace.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub module_version: String,
    pub netns_inode: u32,
    /// Namespaces the module holds state for.
    pub netns_count: u32,
    pub hooks_enabled: bool,
    pub hook_priority: i32,
    pub counters: Vec<HookCounter>,
}

/// `NFPROTO_*` as nfscope names it.
pub fn family_name(pf: u8) -> String {
    match pf {
        2 => "ipv4".into(),
        10 => "ipv6".into(),
        n => format!("pf{n}"),
    }
}

/// `NF_INET_*` as the kernel names it.
pub fn hook_name(hook: u8) -> String {
    ["PRE_ROUTING", "LOCAL_IN", "FORWARD", "LOCAL_OUT", "POST_ROUTING"]
        .get(hook as usize)
        .map_or_else(|| format!("hook{hook}"), |s| (*s).to_string())
}

impl Status {
    /// Decodes the attributes of a GET_STATUS reply.
    pub fn decode(payload: &[u8]) -> Result<Self, NetlinkError> {
        let a = Attrs(payload);
        let mut counters = Vec::new();
        if let Some(nest) = a.get(uapi::NFSCOPE_A_COUNTERS as u16)? {
            for item in Attrs(nest).iter() {
                let (kind, payload) = item?;
                if u32::from(kind) != uapi::NFSCOPE_A_COUNTER {
                    continue;
                }
                let c = Attrs(payload);
                counters.push(HookCounter {
                    family: family_name(get_u8(c.require(uapi::NFSCOPE_COUNTER_A_FAMILY, "family")?)?),
                    hook: hook_name(get_u8(c.require(uapi::NFSCOPE_COUNTER_A_HOOK, "hook")?)?),
                    packets: get_u64(c.require(uapi::NFSCOPE_COUNTER_A_PACKETS, "packets")?)?,
                    bytes: get_u64(c.require(uapi::NFSCOPE_COUNTER_A_BYTES, "bytes")?)?,
                });
            }
        }
        Ok(Self {
            module_version: get_string(a.require(uapi::NFSCOPE_A_MODULE_VERSION, "module version")?)?,
            netns_inode: get_u32(a.require(uapi::NFSCOPE_A_NETNS_INODE, "netns inode")?)?,
            netns_count: get_u32(a.require(uapi::NFSCOPE_A_NETNS_COUNT, "netns count")?)?,
            hooks_enabled: get_u8(a.require(uapi::NFSCOPE_A_HOOKS_ENABLED, "hooks enabled")?)? != 0,
            hook_priority: get_s32(a.require(uapi::NFSCOPE_A_HOOK_PRIORITY, "hook priority")?)?,
            counters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::Attr;

    fn put(buf: &mut Vec<u8>, a: &Attr) {
        buf.extend_from_slice(&((4 + a.payload.len()) as u16).to_ne_bytes());
        buf.extend_from_slice(&a.kind.to_ne_bytes());
        buf.extend_from_slice(&a.payload);
        buf.resize((buf.len() + 3) & !3, 0);
    }

    fn u64_attr(kind: u32, v: u64) -> Attr {
        Attr { kind: kind as u16, payload: v.to_ne_bytes().to_vec() }
    }

    #[test]
    fn decodes_a_status_reply() {
        let mut counter = Vec::new();
        put(&mut counter, &Attr::u8(uapi::NFSCOPE_COUNTER_A_FAMILY as u16, 10));
        put(&mut counter, &Attr::u8(uapi::NFSCOPE_COUNTER_A_HOOK as u16, 1));
        put(&mut counter, &u64_attr(uapi::NFSCOPE_COUNTER_A_PACKETS, 42));
        put(&mut counter, &u64_attr(uapi::NFSCOPE_COUNTER_A_BYTES, 4200));
        let mut counters = Vec::new();
        put(&mut counters, &Attr { kind: uapi::NFSCOPE_A_COUNTER as u16 | 0x8000, payload: counter });
        let mut msg = Vec::new();
        put(&mut msg, &Attr::string(uapi::NFSCOPE_A_MODULE_VERSION as u16, "0.1.0"));
        put(&mut msg, &Attr::u32(uapi::NFSCOPE_A_NETNS_INODE as u16, 4026531840));
        put(&mut msg, &Attr::u32(uapi::NFSCOPE_A_NETNS_COUNT as u16, 3));
        put(&mut msg, &Attr::u8(uapi::NFSCOPE_A_HOOKS_ENABLED as u16, 1));
        put(&mut msg, &Attr { kind: uapi::NFSCOPE_A_HOOK_PRIORITY as u16, payload: (-5i32).to_ne_bytes().to_vec() });
        put(&mut msg, &Attr { kind: uapi::NFSCOPE_A_COUNTERS as u16 | 0x8000, payload: counters });

        let s = Status::decode(&msg).unwrap();
        assert_eq!(s.module_version, "0.1.0");
        assert_eq!(s.netns_inode, 4026531840);
        assert_eq!(s.netns_count, 3);
        assert!(s.hooks_enabled);
        assert_eq!(s.hook_priority, -5);
        assert_eq!(
            s.counters,
            vec![HookCounter { family: "ipv6".into(), hook: "LOCAL_IN".into(), packets: 42, bytes: 4200 }]
        );
    }

    #[test]
    fn a_reply_missing_fields_is_an_error() {
        let mut msg = Vec::new();
        put(&mut msg, &Attr::string(uapi::NFSCOPE_A_MODULE_VERSION as u16, "0.1.0"));
        assert!(Status::decode(&msg).is_err());
    }
}
