//! Drop events multicast by the module.

use crate::kallsyms::{AddrHasher, Symbolizer};
use crate::netlink::{get_s32, get_string, get_u16, get_u32, get_u64, get_u8, Attr, AttrTable, Attrs, GenlSocket, NetlinkError};
use nfscope_codec::uapi;
use nfscope_events::{proto_name, tcp_flags_text, tcp_state_name, DropEvent, DropRecord, HookInfo, HookParts, RecordHook};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ffi::c_char;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

fn ip(p: &[u8]) -> Option<IpAddr> {
    match p.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(p).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(p).ok()?)),
        _ => None,
    }
}

/// Decodes a `struct nfscope_record` (`NFSCOPE_A_RECORD`), naming its code
/// addresses with `names`. Returns the record and whether it is a reset.
pub fn record_from_wire(bytes: &[u8], names: &mut RecordNames) -> Result<(DropRecord, bool), NetlinkError> {
    if bytes.len() < std::mem::size_of::<uapi::nfscope_record>() {
        return Err(NetlinkError::Protocol(format!("record of {} bytes: too short", bytes.len())));
    }
    // SAFETY: `bytes` holds at least a record, read without alignment;
    // every bit pattern is a valid `nfscope_record` (integers and arrays
    // of integers only).
    let w: uapi::nfscope_record = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
    let has = |flag: u32| w.flags as u32 & flag != 0;
    let rst = w.kind as u32 == uapi::NFSCOPE_RECORD_RST;
    let ip = match w.addr_len {
        4 | 16 => Some(w.l4proto),
        _ => None,
    };
    let addr = |a: &[u8; 16]| ip.and_then(|_| self::ip(&a[..w.addr_len as usize]));
    let depth = (w.depth as usize).min(w.stack.len());
    let hook = has(uapi::NFSCOPE_REC_HOOK).then(|| names.hook(&w));
    let symbols = &mut names.symbols;
    let r = DropRecord {
        time_ns: w.time_ns,
        cpu: w.cpu,
        pid: w.pid,
        comm: c_string(&w.comm),
        netns: w.netns,
        ifindex: w.ifindex,
        l3proto: w.l3proto,
        protocol: ip.map(proto_name),
        saddr: addr(&w.saddr),
        daddr: addr(&w.daddr),
        sport: has(uapi::NFSCOPE_REC_PORTS).then_some(w.sport),
        dport: has(uapi::NFSCOPE_REC_PORTS).then_some(w.dport),
        tcp_flags: has(uapi::NFSCOPE_REC_TCP_FLAGS).then(|| tcp_flags_text(w.tcp_flags)),
        len: w.len,
        reason: w.reason,
        reason_name: c_string(&w.reason_name),
        tcp_state: has(uapi::NFSCOPE_REC_TCP_STATE).then(|| tcp_state_name(w.tcp_state)),
        location: symbols.format(w.location),
        hook,
        stack: w.stack[..depth].iter().map(|&a| symbols.format(a)).collect(),
        packet: None,
    };
    Ok((r, rst))
}

/// Decodes an `enum nfscope_hook_attr` nest (summary lines).
pub fn decode_hook(nest: &[u8]) -> Result<HookInfo, NetlinkError> {
    let a = AttrTable::<32>::new(Attrs(nest))?;
    let opt = |k: u32| a.get(k);
    Ok(HookInfo::from_parts(HookParts {
        function: get_string(a.require(uapi::NFSCOPE_HOOK_A_FUNC, "hook function")?)?,
        pf: get_u8(a.require(uapi::NFSCOPE_HOOK_A_PF, "hook pf")?)?,
        hooknum: get_u8(a.require(uapi::NFSCOPE_HOOK_A_HOOKNUM, "hook number")?)?,
        priority: opt(uapi::NFSCOPE_HOOK_A_PRIORITY)?.map(get_s32).transpose()?,
        how: opt(uapi::NFSCOPE_HOOK_A_HOW)?.map(get_u8).transpose()?,
        table: opt(uapi::NFSCOPE_HOOK_A_TABLE)?.map(get_string).transpose()?,
        chain: opt(uapi::NFSCOPE_HOOK_A_CHAIN)?.map(get_string).transpose()?,
        table_family: opt(uapi::NFSCOPE_HOOK_A_TABLE_FAMILY)?.map(get_u8).transpose()?,
        ct: opt(uapi::NFSCOPE_HOOK_A_CT_DROP)?.map(get_u8).transpose()?,
    }))
}

/// A NUL-padded name field as a string (bytes up to the first NUL).
fn c_string(field: &[c_char]) -> String {
    // SAFETY: `c_char` and `u8` have the same size and alignment; the bytes
    // are `field`'s, borrowed for as long.
    let bytes = unsafe { std::slice::from_raw_parts(field.as_ptr().cast::<u8>(), field.len()) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// What a record's hook fields hold, as a cache key.
#[derive(PartialEq, Eq)]
struct HookKey {
    func: u64,
    flags: u8,
    pf: u8,
    hooknum: u8,
    how: u8,
    ct: u8,
    table_family: u8,
    priority: i32,
    table: [c_char; 32],
    chain: [c_char; 32],
}

impl Hash for HookKey {
    /// The function and registration tell hooks apart; the names rarely do.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let small = u64::from(self.flags) | u64::from(self.pf) << 8 | u64::from(self.hooknum) << 16 | u64::from(self.how) << 24;
        state.write_u64(self.func ^ (u64::from(self.priority as u32) << 32 | small).rotate_left(17) ^ u64::from(self.ct));
    }
}

/// Names for records: code addresses through a [`Symbolizer`], and hook
/// attributions built once per distinct hook (a storm's records share a
/// few).
pub struct RecordNames {
    pub symbols: Symbolizer,
    hooks: HashMap<HookKey, Arc<RecordHook>, BuildHasherDefault<AddrHasher>>,
}

/// Distinct hooks cached at most (then the cache starts over).
const HOOKS_MAX: usize = 4096;

impl RecordNames {
    pub fn new(symbols: Symbolizer) -> Self {
        Self { symbols, hooks: HashMap::default() }
    }

    /// The hook a record (with `NFSCOPE_REC_HOOK`) is attributed to.
    fn hook(&mut self, w: &uapi::nfscope_record) -> Arc<RecordHook> {
        let has = |flag: u32| w.flags as u32 & flag != 0;
        let key = HookKey {
            func: w.hook_func,
            flags: w.flags & (uapi::NFSCOPE_REC_HOOK_REG | uapi::NFSCOPE_REC_HOOK_NFT) as u8,
            pf: w.hook_pf,
            hooknum: w.hook_hooknum,
            how: w.hook_how,
            ct: w.hook_ct,
            table_family: w.hook_table_family,
            priority: w.hook_priority,
            table: w.hook_table,
            chain: w.hook_chain,
        };
        if let Some(h) = self.hooks.get(&key) {
            return Arc::clone(h);
        }
        let nft = has(uapi::NFSCOPE_REC_HOOK_NFT);
        let hook = Arc::new(RecordHook::new(HookInfo::from_parts(HookParts {
            function: self.symbols.format_name(w.hook_func),
            pf: w.hook_pf,
            hooknum: w.hook_hooknum,
            priority: has(uapi::NFSCOPE_REC_HOOK_REG).then_some(w.hook_priority),
            how: (w.hook_how != 0).then_some(w.hook_how),
            table: nft.then(|| c_string(&w.hook_table)),
            chain: nft.then(|| c_string(&w.hook_chain)),
            table_family: nft.then_some(w.hook_table_family),
            ct: (w.hook_ct != 0).then_some(w.hook_ct),
        })));
        if self.hooks.len() >= HOOKS_MAX {
            self.hooks.clear();
        }
        self.hooks.insert(key, Arc::clone(&hook));
        hook
    }
}

/// Events from the module's "events" group. A message carries any number
/// of records, after the loss and suppression counts it reports.
pub struct DropStream {
    sock: GenlSocket,
    family: u16,
    buf: Vec<u8>,
    received: Received,
    names: RecordNames,
    /// Bytes of datagrams received so far.
    bytes: u64,
}

/// The messages last received (attribute payloads), read one event at a
/// time: a message's 42 records decoded at once kept some 800 strings
/// alive together, past what the allocator's per-thread caches hold, and
/// the listener spent a fifth of its time per record more than the BPF
/// tracer's, in malloc's slow paths (qemu-tests/manual/profile-drops.sh).
#[derive(Default)]
struct Received {
    msgs: Vec<Vec<u8>>,
    /// The message being read, and the offset of its next attribute.
    msg: usize,
    off: usize,
}

/// The bytes an attribute with `payload` takes, padding included.
fn attr_span(payload: &[u8]) -> usize {
    (4 + payload.len() + 3) & !3
}

impl Received {
    fn new(msgs: Vec<Vec<u8>>) -> Self {
        Self { msgs, msg: 0, off: 0 }
    }

    /// Whether attributes are left to read.
    fn has_more(&self) -> bool {
        self.msgs.get(self.msg).is_some_and(|m| self.off < m.len()) || self.msgs.len() > self.msg + 1
    }

    /// The next event; `None` when every message was read. A malformed
    /// attribute fails, and the rest of its message is skipped.
    fn next(&mut self, names: &mut RecordNames) -> Option<Result<DropEvent, NetlinkError>> {
        loop {
            let m = self.msgs.get(self.msg)?;
            let (kind, payload) = match Attrs(m.get(self.off..).unwrap_or(&[])).iter().next() {
                None => {
                    (self.msg, self.off) = (self.msg + 1, 0);
                    continue;
                }
                Some(Err(e)) => {
                    (self.msg, self.off) = (self.msg + 1, 0);
                    return Some(Err(e));
                }
                Some(Ok(a)) => a,
            };
            self.off += attr_span(payload);
            let decoded = match u32::from(kind) {
                uapi::NFSCOPE_A_LOST => return Some(get_u64(payload).map(DropEvent::KernelLost)),
                uapi::NFSCOPE_A_SUPPRESSED => return Some(get_u64(payload).map(DropEvent::Suppressed)),
                uapi::NFSCOPE_A_RECORD => record_from_wire(payload, names),
                // Packet bytes are read with the record before them (below).
                _ => continue,
            };
            let (mut record, rst) = match decoded {
                Ok(d) => d,
                Err(e) => return Some(Err(e)),
            };
            if let Some(Ok((kind, bytes))) = Attrs(m.get(self.off..).unwrap_or(&[])).iter().next() {
                if u32::from(kind) == uapi::NFSCOPE_A_PACKET {
                    self.off += attr_span(bytes);
                    if !rst {
                        record.packet = Some(bytes.to_vec());
                    }
                }
            }
            return Some(Ok(if rst { DropEvent::Rst(record) } else { DropEvent::Drop(record) }));
        }
    }
}

impl DropStream {
    pub(crate) fn new(sock: GenlSocket, family: u16, symbols: Symbolizer) -> Self {
        Self { sock, family, buf: vec![0; 1 << 17], received: Received::default(), names: RecordNames::new(symbols), bytes: 0 }
    }

    /// Whether events already read wait to be taken (the next one will
    /// not block).
    pub fn has_pending(&self) -> bool {
        self.received.has_more()
    }

    /// Bytes of datagrams received so far.
    pub fn bytes_received(&self) -> u64 {
        self.bytes
    }

    /// The most the socket holds unread, in bytes: a reader that received
    /// this many more has read everything the socket held before.
    pub fn capacity(&self) -> Result<u64, NetlinkError> {
        Ok(self.sock.rcvbuf()? as u64)
    }

    /// Makes [`DropStream::next_event`] return `Ok(None)` after `t` without events.
    pub fn set_timeout(&mut self, t: std::time::Duration) -> Result<(), NetlinkError> {
        self.sock.set_recv_timeout(t)
    }

    /// The next event; `None` if the timeout (if set) passed first.
    pub fn next_event_timeout(&mut self) -> Result<Option<DropEvent>, NetlinkError> {
        match self.next_event() {
            // The timeout passed, or a signal arrived (the caller looks).
            Err(e) if matches!(e.errno(), Some(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR)) => Ok(None),
            r => r.map(Some),
        }
    }

    /// The next event (blocks, unless a timeout is set).
    pub fn next_event(&mut self) -> Result<DropEvent, NetlinkError> {
        loop {
            if let Some(event) = self.received.next(&mut self.names) {
                return event;
            }
            let (msgs, n) = match self.sock.recv_multicast(self.family, &mut self.buf) {
                Err(e) if e.errno() == Some(nix::errno::Errno::ENOBUFS) => return Ok(DropEvent::SocketOverrun),
                r => r?,
            };
            self.bytes += n as u64;
            self.received = Received::new(msgs);
        }
    }
}

/// The drop monitor's module-wide configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DropConfig {
    /// Probes on: any of "drop", "rst", "hooks", "toa".
    pub probes: Vec<String>,
    /// Send a record per drop (false: summary only).
    pub records: bool,
    /// Record filters (None: any).
    pub netns: Option<u32>,
    pub protocol: Option<u8>,
    pub addr: Option<(IpAddr, u8)>,
    pub port: Option<u16>,
    pub reasons: Vec<String>,
    pub exclude_reasons: Vec<String>,
    /// `enum nfscope_hook_filter` by name: any, PRE_ROUTING..POST_ROUTING,
    /// netfilter, none.
    pub hook: String,
    /// One record per `sample` matching drops.
    pub sample: u32,
    /// Records per second per CPU at most (0: no limit).
    pub rate: u32,
    pub stack_depth: u8,
    /// Bytes of each dropped IP packet sent with its record (0: none).
    #[serde(default)]
    pub snaplen: u16,
}

pub const PROBE_NAMES: [&str; 4] = ["drop", "rst", "hooks", "toa"];
pub const HOOK_FILTERS: [&str; 8] =
    ["any", "PRE_ROUTING", "LOCAL_IN", "FORWARD", "LOCAL_OUT", "POST_ROUTING", "netfilter", "none"];

impl Default for DropConfig {
    fn default() -> Self {
        Self {
            probes: PROBE_NAMES.iter().map(|s| s.to_string()).collect(),
            records: true,
            netns: None,
            protocol: None,
            addr: None,
            port: None,
            reasons: vec![],
            exclude_reasons: vec![],
            hook: "any".into(),
            sample: 1,
            rate: 0,
            stack_depth: 16,
            snaplen: 0,
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

impl DropConfig {
    pub(crate) fn decode(m: &[u8]) -> Result<Self, NetlinkError> {
        let a = Attrs(m);
        let opt = |k: u32| a.get(k as u16);
        let bits = get_u32(a.require(uapi::NFSCOPE_A_PROBES, "probes")?)?;
        let addr = match opt(uapi::NFSCOPE_A_ADDR)? {
            Some(p) => Some((
                ip(p).ok_or(NetlinkError::Protocol("bad filter address".into()))?,
                get_u8(a.require(uapi::NFSCOPE_A_PREFIX_LEN, "prefix")?)?,
            )),
            None => None,
        };
        let hook = get_u8(a.require(uapi::NFSCOPE_A_F_HOOK, "hook filter")?)?;
        Ok(Self {
            probes: PROBE_NAMES.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, n)| n.to_string()).collect(),
            records: get_u8(a.require(uapi::NFSCOPE_A_DROP_RECORDS, "records")?)? == 1,
            netns: Some(get_u32(a.require(uapi::NFSCOPE_A_F_NETNS, "netns")?)?).filter(|&n| n != 0),
            protocol: Some(get_u8(a.require(uapi::NFSCOPE_A_F_L4PROTO, "protocol")?)?).filter(|&n| n != 0),
            addr,
            port: Some(get_u16(a.require(uapi::NFSCOPE_A_F_PORT, "port")?)?).filter(|&n| n != 0),
            reasons: opt(uapi::NFSCOPE_A_F_REASONS)?.map(get_string).transpose()?.map(|s| split_list(&s)).unwrap_or_default(),
            exclude_reasons: opt(uapi::NFSCOPE_A_F_REASONS_EXCLUDE)?
                .map(get_string)
                .transpose()?
                .map(|s| split_list(&s))
                .unwrap_or_default(),
            hook: HOOK_FILTERS.get(hook as usize).map_or_else(|| format!("{hook}"), |s| s.to_string()),
            sample: get_u32(a.require(uapi::NFSCOPE_A_SAMPLE, "sample")?)?,
            rate: get_u32(a.require(uapi::NFSCOPE_A_RATE, "rate")?)?,
            stack_depth: get_u8(a.require(uapi::NFSCOPE_A_STACK_DEPTH, "stack depth")?)?,
            snaplen: opt(uapi::NFSCOPE_A_SNAPLEN)?.map(get_u16).transpose()?.unwrap_or(0),
        })
    }

    /// The attributes of `NFSCOPE_CMD_DROP_SET_CONFIG`; `Err` names a bad value.
    pub(crate) fn attrs(&self) -> Result<Vec<Attr>, String> {
        let mut bits = 0u32;
        for p in &self.probes {
            let i = PROBE_NAMES.iter().position(|n| n == p).ok_or_else(|| format!("unknown probe {p:?} (known: {})", PROBE_NAMES.join(", ")))?;
            bits |= 1 << i;
        }
        let hook = HOOK_FILTERS
            .iter()
            .position(|h| h.eq_ignore_ascii_case(&self.hook))
            .ok_or_else(|| format!("unknown hook filter {:?} (known: {})", self.hook, HOOK_FILTERS.join(", ")))?;
        let mut v = vec![
            Attr::u32(uapi::NFSCOPE_A_PROBES as u16, bits),
            Attr::u8(uapi::NFSCOPE_A_DROP_RECORDS as u16, self.records.into()),
            Attr::u32(uapi::NFSCOPE_A_F_NETNS as u16, self.netns.unwrap_or(0)),
            Attr::u8(uapi::NFSCOPE_A_F_L4PROTO as u16, self.protocol.unwrap_or(0)),
            Attr::u16(uapi::NFSCOPE_A_F_PORT as u16, self.port.unwrap_or(0)),
            Attr::u8(uapi::NFSCOPE_A_F_HOOK as u16, hook as u8),
            Attr::u32(uapi::NFSCOPE_A_SAMPLE as u16, self.sample),
            Attr::u32(uapi::NFSCOPE_A_RATE as u16, self.rate),
            Attr::u8(uapi::NFSCOPE_A_STACK_DEPTH as u16, self.stack_depth),
            Attr::u16(uapi::NFSCOPE_A_SNAPLEN as u16, self.snaplen),
        ];
        if let Some((a, p)) = self.addr {
            let bytes = match a {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            v.push(Attr::bytes(uapi::NFSCOPE_A_ADDR as u16, &bytes));
            v.push(Attr::u8(uapi::NFSCOPE_A_PREFIX_LEN as u16, p));
        }
        if !self.reasons.is_empty() {
            v.push(Attr::string(uapi::NFSCOPE_A_F_REASONS as u16, &self.reasons.join(",")));
        }
        if !self.exclude_reasons.is_empty() {
            v.push(Attr::string(uapi::NFSCOPE_A_F_REASONS_EXCLUDE as u16, &self.exclude_reasons.join(",")));
        }
        Ok(v)
    }
}

/// The drop monitor's counters (module-wide).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DropStats {
    pub drops: u64,
    pub resets: u64,
    pub attributed: u64,
    pub filtered: u64,
    pub suppressed: u64,
    pub queued: u64,
    pub lost_ring: u64,
    pub lost_send: u64,
    pub sent: u64,
    pub summary_full: u64,
    pub hook_funcs: u64,
    pub hook_missed: u64,
}

impl DropStats {
    pub(crate) fn decode(nest: &[u8]) -> Result<Self, NetlinkError> {
        let a = Attrs(nest);
        let g = |k: u32| -> Result<u64, NetlinkError> { a.get(k as u16)?.map(get_u64).transpose().map(|v| v.unwrap_or(0)) };
        Ok(Self {
            drops: g(uapi::NFSCOPE_DSTAT_DROPS)?,
            resets: g(uapi::NFSCOPE_DSTAT_RSTS)?,
            attributed: g(uapi::NFSCOPE_DSTAT_ATTRIBUTED)?,
            filtered: g(uapi::NFSCOPE_DSTAT_FILTERED)?,
            suppressed: g(uapi::NFSCOPE_DSTAT_SUPPRESSED)?,
            queued: g(uapi::NFSCOPE_DSTAT_QUEUED)?,
            lost_ring: g(uapi::NFSCOPE_DSTAT_LOST_RING)?,
            lost_send: g(uapi::NFSCOPE_DSTAT_LOST_SEND)?,
            sent: g(uapi::NFSCOPE_DSTAT_SENT)?,
            summary_full: g(uapi::NFSCOPE_DSTAT_SUMMARY_FULL)?,
            hook_funcs: g(uapi::NFSCOPE_DSTAT_HOOK_FUNCS)?,
            hook_missed: g(uapi::NFSCOPE_DSTAT_HOOK_MISSED)?,
        })
    }
}

/// One line of the drop summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SummaryLine {
    pub netns: u32,
    /// "drop" or "rst".
    pub kind: String,
    pub reason: u32,
    pub reason_name: String,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<HookInfo>,
    pub count: u64,
}

impl SummaryLine {
    pub(crate) fn decode(m: &[u8]) -> Result<Self, NetlinkError> {
        let nest = Attrs(m).require(uapi::NFSCOPE_A_DROP_SUM, "summary line")?;
        let a = Attrs(nest);
        Ok(Self {
            netns: get_u32(a.require(uapi::NFSCOPE_SUM_A_NETNS, "netns")?)?,
            kind: if get_u8(a.require(uapi::NFSCOPE_SUM_A_KIND, "kind")?)? == 1 { "rst".into() } else { "drop".into() },
            reason: get_u32(a.require(uapi::NFSCOPE_SUM_A_REASON, "reason")?)?,
            reason_name: get_string(a.require(uapi::NFSCOPE_SUM_A_REASON_NAME, "reason name")?)?,
            location: get_string(a.require(uapi::NFSCOPE_SUM_A_LOCATION, "location")?)?,
            hook: a.get(uapi::NFSCOPE_SUM_A_HOOK as u16)?.map(decode_hook).transpose()?,
            count: get_u64(a.require(uapi::NFSCOPE_SUM_A_COUNT, "count")?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_like_tcpdump() {
        assert_eq!(tcp_flags_text(0x02), "S");
        assert_eq!(tcp_flags_text(0x12), "S.");
        assert_eq!(tcp_flags_text(0x14), "R.");
        assert_eq!(tcp_flags_text(0x18), "P.");
    }

    #[test]
    fn wire_records_decode_with_names() {
        use crate::kallsyms::{Symbolizer, Symbols};
        let mut names = RecordNames::new(Symbolizer::new(Symbols::parse(
            "ffffffff81000000 T nf_hook_slow\nffffffff81000100 T nft_do_chain_inet\nffffffff81000200 T ip_local_deliver\nffffffff82000000 B _end\n",
        )));
        // SAFETY: integers and arrays of integers: all zeroes is a valid record.
        let mut w: uapi::nfscope_record = unsafe { std::mem::zeroed() };
        w.kind = uapi::NFSCOPE_RECORD_DROP as u8;
        w.location = 0xffffffff81000042;
        w.stack[..2].copy_from_slice(&[0xffffffff81000042, 0xffffffff81000210]);
        w.depth = 2;
        w.addr_len = 4;
        w.l4proto = 17;
        w.saddr[..4].copy_from_slice(&[198, 18, 1, 1]);
        w.daddr[..4].copy_from_slice(&[198, 18, 1, 2]);
        w.dport = 7777;
        w.flags = (uapi::NFSCOPE_REC_PORTS | uapi::NFSCOPE_REC_HOOK | uapi::NFSCOPE_REC_HOOK_REG | uapi::NFSCOPE_REC_HOOK_NFT) as u8;
        w.hook_func = 0xffffffff81000100;
        (w.hook_pf, w.hook_hooknum, w.hook_how, w.hook_priority) = (2, 1, uapi::NFSCOPE_HOOK_HOW_VERDICT as u8, -150);
        w.hook_table_family = 1;
        for (d, c) in w.hook_table.iter_mut().zip(b"early") {
            *d = *c as _;
        }
        for (d, c) in w.reason_name.iter_mut().zip(b"NETFILTER_DROP") {
            *d = *c as _;
        }
        // SAFETY: a record is plain data; its bytes are what the module sends.
        let bytes = unsafe { std::slice::from_raw_parts((&w as *const uapi::nfscope_record).cast::<u8>(), std::mem::size_of_val(&w)) };
        let (r, rst) = record_from_wire(bytes, &mut names).unwrap();
        assert!(!rst);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(r.location, "nf_hook_slow+0x42/0x100");
        assert_eq!(r.stack, ["nf_hook_slow+0x42/0x100", "ip_local_deliver+0x10/0xfffe00"]);
        assert_eq!((r.protocol.as_deref(), r.saddr, r.dport, r.sport), (Some("udp"), Some("198.18.1.1".parse().unwrap()), Some(7777), Some(0)));
        assert_eq!((r.reason_name.as_str(), r.tcp_flags, r.tcp_state), ("NETFILTER_DROP", None, None));
        let h = r.hook.unwrap();
        assert_eq!((h.family.as_str(), h.hook.as_str(), h.priority, h.how.as_deref()), ("ipv4", "LOCAL_IN", Some(-150), Some("verdict")));
        assert_eq!((h.table.as_deref(), h.chain.as_deref(), h.table_family.as_deref()), (Some("early"), Some(""), Some("inet")));
        assert_eq!((h.function.as_str(), h.class.as_str()), ("nft_do_chain_inet", "nftables"));
        // Its JSON, made once, is the HookInfo's.
        let info: &HookInfo = &h;
        assert_eq!(serde_json::to_string(&*h).unwrap(), serde_json::to_string(info).unwrap());
        assert!(json.contains(r#""hook":{"function":"nft_do_chain_inet","family":"ipv4""#), "{json}");
        assert!(record_from_wire(&bytes[..100], &mut names).is_err());
        // The same hook again: built once, shared.
        let (again, _) = record_from_wire(bytes, &mut names).unwrap();
        assert!(Arc::ptr_eq(again.hook.as_ref().unwrap(), &h));
        w.hook_chain[0] = b'x' as _;
        // SAFETY: as above.
        let other = unsafe { std::slice::from_raw_parts((&w as *const uapi::nfscope_record).cast::<u8>(), std::mem::size_of_val(&w)) };
        let (r2, _) = record_from_wire(other, &mut names).unwrap();
        assert_eq!(r2.hook.as_ref().unwrap().chain.as_deref(), Some("x"));
    }

    /// One attribute as the module puts it: header, payload, padding.
    fn attr(kind: u32, payload: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&(kind as u16).to_ne_bytes());
        a.extend_from_slice(payload);
        a.resize(attr_span(payload), 0);
        a
    }

    #[test]
    fn received_messages_read_one_event_at_a_time() {
        use crate::kallsyms::{Symbolizer, Symbols};
        let mut names = RecordNames::new(Symbolizer::new(Symbols::parse("ffffffff81000000 T nf_hook_slow\nffffffff82000000 B _end\n")));
        // SAFETY: integers and arrays of integers: all zeroes is a valid record.
        let mut w: uapi::nfscope_record = unsafe { std::mem::zeroed() };
        w.kind = uapi::NFSCOPE_RECORD_DROP as u8;
        w.location = 0xffffffff81000010;
        // SAFETY: a record is plain data; its bytes are what the module sends.
        let drop = unsafe { std::slice::from_raw_parts((&w as *const uapi::nfscope_record).cast::<u8>(), std::mem::size_of_val(&w)) }.to_vec();
        w.kind = uapi::NFSCOPE_RECORD_RST as u8;
        // SAFETY: as above.
        let rst = unsafe { std::slice::from_raw_parts((&w as *const uapi::nfscope_record).cast::<u8>(), std::mem::size_of_val(&w)) }.to_vec();
        let first = [
            attr(uapi::NFSCOPE_A_LOST, &7u64.to_ne_bytes()),
            attr(uapi::NFSCOPE_A_RECORD, &drop),
            attr(uapi::NFSCOPE_A_PACKET, &[0x45, 0, 0]),
            attr(uapi::NFSCOPE_A_RECORD, &drop),
            attr(999, b"unknown"),
            attr(uapi::NFSCOPE_A_RECORD, &rst),
        ]
        .concat();
        // A record, then an attribute whose length overruns the message.
        let mut second = [attr(uapi::NFSCOPE_A_RECORD, &drop), attr(uapi::NFSCOPE_A_SUPPRESSED, &3u64.to_ne_bytes())].concat();
        second.extend_from_slice(&[200, 0, 1, 0]);
        let third = attr(uapi::NFSCOPE_A_SUPPRESSED, &2u64.to_ne_bytes());
        let mut rx = Received::new(vec![first, second, third]);
        let mut next = || rx.next(&mut names);
        assert_eq!(next().unwrap().unwrap(), DropEvent::KernelLost(7));
        // The packet bytes right after a record are its own.
        let Some(Ok(DropEvent::Drop(r))) = next() else { panic!("a drop record") };
        assert_eq!((r.location.as_str(), r.packet.as_deref()), ("nf_hook_slow+0x10/0x1000000", Some(&[0x45, 0, 0][..])));
        let Some(Ok(DropEvent::Drop(r))) = next() else { panic!("a drop record") };
        assert_eq!(r.packet, None);
        assert!(matches!(next(), Some(Ok(DropEvent::Rst(_)))));
        assert!(matches!(next(), Some(Ok(DropEvent::Drop(_)))));
        assert_eq!(next().unwrap().unwrap(), DropEvent::Suppressed(3));
        assert!(next().unwrap().is_err(), "an overrunning attribute fails");
        // The rest of that message is skipped; the next one is read.
        assert_eq!(next().unwrap().unwrap(), DropEvent::Suppressed(2));
        assert!(next().is_none());
        assert!(!rx.has_more());
    }

    #[test]
    fn config_round_trips_through_attributes() {
        let c = DropConfig {
            probes: vec!["drop".into(), "hooks".into()],
            records: false,
            netns: Some(4026531840),
            protocol: Some(17),
            addr: Some(("198.18.0.0".parse().unwrap(), 15)),
            port: Some(5353),
            reasons: vec!["NETFILTER_DROP".into(), "NO_SOCKET".into()],
            exclude_reasons: vec!["OTHERHOST".into()],
            hook: "LOCAL_IN".into(),
            sample: 10,
            rate: 100,
            stack_depth: 8,
            snaplen: 96,
        };
        let mut msg = Vec::new();
        for a in c.attrs().unwrap() {
            let len = 4 + a.payload.len();
            msg.extend_from_slice(&(len as u16).to_ne_bytes());
            msg.extend_from_slice(&a.kind.to_ne_bytes());
            msg.extend_from_slice(&a.payload);
            msg.resize((msg.len() + 3) & !3, 0);
        }
        assert_eq!(DropConfig::decode(&msg).unwrap(), c);
    }

    #[test]
    fn bad_config_values_are_named() {
        let c = DropConfig { probes: vec!["kprobe".into()], ..Default::default() };
        assert!(c.attrs().unwrap_err().contains("kprobe"));
        let c = DropConfig { hook: "INPUT".into(), ..Default::default() };
        assert!(c.attrs().unwrap_err().contains("INPUT"));
    }
}
