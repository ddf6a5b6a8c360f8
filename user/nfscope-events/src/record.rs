//! Drop and reset records, and the names their fields take.

use nfscope_codec::uapi;
use serde::Serialize;
use std::net::IpAddr;
use std::sync::Arc;

/// One dropped packet, as the module saw it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DropRecord {
    pub time_ns: u64,
    pub cpu: u32,
    pub pid: u32,
    pub comm: String,
    /// Inode of the packet's network namespace (0: unknown).
    pub netns: u32,
    pub ifindex: u32,
    /// Ethertype (0 on some transmit paths).
    pub l3proto: u16,
    pub protocol: Option<String>,
    pub saddr: Option<IpAddr>,
    pub daddr: Option<IpAddr>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// TCP flags as tcpdump letters (S, F, R, P, ., U, E, W).
    pub tcp_flags: Option<String>,
    pub len: u32,
    pub reason: u32,
    pub reason_name: String,
    /// The socket's TCP state (reset records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_state: Option<String>,
    pub location: String,
    /// The netfilter hook that dropped the packet, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<Arc<RecordHook>>,
    pub stack: Vec<String>,
    /// The packet's first bytes from its network header, when the watch
    /// asked for them (`snaplen`); not part of the JSON.
    #[serde(skip)]
    pub packet: Option<Vec<u8>>,
}

/// A record's hook: the [`HookInfo`] (what `Deref` gives), with its JSON
/// made once. A storm's records share a few hooks, and serializing the
/// hook again for each record was about a fifth of the CLI's work per
/// record (4,000 of 21,000 instructions, callgrind).
#[derive(Debug)]
pub struct RecordHook {
    info: HookInfo,
    json: Box<serde_json::value::RawValue>,
}

impl RecordHook {
    pub fn new(info: HookInfo) -> Self {
        // Strings, numbers and options only: serializing cannot fail.
        let json = serde_json::value::to_raw_value(&info).expect("a HookInfo serializes");
        Self { info, json }
    }
}

impl std::ops::Deref for RecordHook {
    type Target = HookInfo;
    fn deref(&self) -> &HookInfo {
        &self.info
    }
}

impl PartialEq for RecordHook {
    fn eq(&self, other: &Self) -> bool {
        self.info == other.info
    }
}

impl Eq for RecordHook {}

impl Serialize for RecordHook {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

/// The netfilter hook a drop is attributed to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HookInfo {
    /// The hook function (e.g. `nft_do_chain_inet`, `nf_confirm`).
    pub function: String,
    /// "ipv4" or "ipv6".
    pub family: String,
    /// NF_INET_* name: PRE_ROUTING, LOCAL_IN, FORWARD, LOCAL_OUT, POST_ROUTING.
    pub hook: String,
    /// Priority of the registration (absent if it was gone by then).
    pub priority: Option<i32>,
    /// "freed" (the hook freed the packet) or "verdict" (it returned NF_DROP).
    pub how: Option<String>,
    /// "nftables", "conntrack" or "other".
    pub class: String,
    pub table: Option<String>,
    pub chain: Option<String>,
    /// Family of the nftables table: ip, ip6, inet, ...
    pub table_family: Option<String>,
    /// Conntrack confirm drops: insert_failed_dying, insert_failed_clash,
    /// chaintoolong or confirm.
    pub conntrack: Option<String>,
}

/// The kernel's hook point names (NF_INET_*).
pub fn hook_point_name(h: u8) -> String {
    ["PRE_ROUTING", "LOCAL_IN", "FORWARD", "LOCAL_OUT", "POST_ROUTING"]
        .get(h as usize)
        .map_or_else(|| format!("HOOK_{h}"), |n| (*n).to_string())
}

/// The kernel's names of `NFPROTO_*` families, as nft names table families.
pub fn nfproto_name(pf: u8) -> String {
    match pf {
        1 => "inet".into(),
        2 => "ip".into(),
        3 => "arp".into(),
        5 => "netdev".into(),
        7 => "bridge".into(),
        10 => "ip6".into(),
        n => format!("pf{n}"),
    }
}

/// The parts of a hook attribution, as the module reports them (a record's
/// hook fields, or a summary line's hook nest).
pub struct HookParts {
    pub function: String,
    /// `NFPROTO_*`.
    pub pf: u8,
    /// `NF_INET_*`.
    pub hooknum: u8,
    pub priority: Option<i32>,
    /// `enum nfscope_hook_how`.
    pub how: Option<u8>,
    pub table: Option<String>,
    pub chain: Option<String>,
    /// `NFPROTO_*` of the nftables table.
    pub table_family: Option<u8>,
    /// `enum nfscope_ct_drop`.
    pub ct: Option<u8>,
}

impl HookInfo {
    /// Names the parts.
    pub fn from_parts(p: HookParts) -> Self {
        let conntrack = p.ct.map(|c| {
            match c as u32 {
                uapi::NFSCOPE_CT_DROP_INSERT_FAILED_DYING => "insert_failed_dying",
                uapi::NFSCOPE_CT_DROP_INSERT_FAILED_CLASH => "insert_failed_clash",
                uapi::NFSCOPE_CT_DROP_CHAINTOOLONG => "chaintoolong",
                _ => "confirm",
            }
            .to_string()
        });
        let class = if p.table.is_some() {
            "nftables"
        } else if conntrack.is_some() || p.function.starts_with("nf_confirm") || p.function.contains("conntrack") {
            "conntrack"
        } else {
            "other"
        };
        Self {
            class: class.into(),
            family: if p.pf == 10 { "ipv6".into() } else { "ipv4".into() },
            hook: hook_point_name(p.hooknum),
            priority: p.priority,
            how: p.how.map(|h| if h as u32 == uapi::NFSCOPE_HOOK_HOW_FREED { "freed".to_string() } else { "verdict".to_string() }),
            chain: p.chain,
            table_family: p.table_family.map(nfproto_name),
            table: p.table,
            conntrack,
            function: p.function,
        }
    }
}


/// What a drop stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropEvent {
    Drop(DropRecord),
    /// A TCP reset the kernel sent (same fields; `reason` is an
    /// `enum sk_rst_reason`, source = the resetting side).
    Rst(DropRecord),
    /// The kernel lost this many records (buffer full, or not delivered).
    KernelLost(u64),
    /// This many records were left out by sampling or the rate limit.
    Suppressed(u64),
    /// The socket's buffer overflowed: an unknown number of events is gone.
    SocketOverrun,
}

/// The names records give IP protocols.
pub fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmpv6".into(),
        n => format!("ip-proto-{n}"),
    }
}

/// tcpdump's letters for TCP flags.
pub fn tcp_flags_text(f: u8) -> String {
    let mut s = String::new();
    for (bit, c) in [(0x02, 'S'), (0x01, 'F'), (0x04, 'R'), (0x08, 'P'), (0x20, 'U'), (0x40, 'E'), (0x80, 'W')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    if f & 0x10 != 0 {
        s.push('.');
    }
    s
}

/// The kernel's TCP state names.
pub fn tcp_state_name(s: u8) -> String {
    const NAMES: [&str; 13] = [
        "", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
        "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
    ];
    NAMES.get(s as usize).filter(|n| !n.is_empty()).map_or_else(|| format!("STATE_{s}"), |n| (*n).to_string())
}

