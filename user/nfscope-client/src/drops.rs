//! Drop events multicast by the module.

use crate::netlink::{get_string, get_u16, get_u32, get_u64, get_u8, Attrs, GenlSocket, NetlinkError};
use nfscope_codec::uapi;
use serde::Serialize;
use std::net::IpAddr;

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
    pub stack: Vec<String>,
}

/// What a drop stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropEvent {
    Drop(DropRecord),
    /// A TCP reset the kernel sent (same fields; `reason` is an
    /// `enum sk_rst_reason`, source = the resetting side).
    Rst(DropRecord),
    /// The kernel could not buffer this many records (ring full).
    KernelLost(u64),
    /// The socket's buffer overflowed: an unknown number of events is gone.
    SocketOverrun,
}

fn proto_name(p: u8) -> String {
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

fn ip(p: &[u8]) -> Option<IpAddr> {
    match p.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(p).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(p).ok()?)),
        _ => None,
    }
}

impl DropRecord {
    /// Decodes an `NFSCOPE_A_DROP` nest.
    pub fn decode(nest: &[u8]) -> Result<Self, NetlinkError> {
        let a = Attrs(nest);
        let opt = |k: u32| a.get(k as u16);
        let mut stack = Vec::new();
        if let Some(s) = opt(uapi::NFSCOPE_DROP_A_STACK)? {
            for f in Attrs(s).iter() {
                stack.push(get_string(f?.1)?);
            }
        }
        let l4 = opt(uapi::NFSCOPE_DROP_A_L4PROTO)?.map(get_u8).transpose()?;
        Ok(Self {
            time_ns: get_u64(a.require(uapi::NFSCOPE_DROP_A_TIME_NS, "time")?)?,
            cpu: get_u32(a.require(uapi::NFSCOPE_DROP_A_CPU, "cpu")?)?,
            pid: get_u32(a.require(uapi::NFSCOPE_DROP_A_PID, "pid")?)?,
            comm: get_string(a.require(uapi::NFSCOPE_DROP_A_COMM, "comm")?)?,
            netns: get_u32(a.require(uapi::NFSCOPE_DROP_A_NETNS, "netns")?)?,
            ifindex: get_u32(a.require(uapi::NFSCOPE_DROP_A_IFINDEX, "ifindex")?)?,
            l3proto: get_u16(a.require(uapi::NFSCOPE_DROP_A_L3PROTO, "l3proto")?)?,
            protocol: l4.map(proto_name),
            saddr: opt(uapi::NFSCOPE_DROP_A_SADDR)?.and_then(ip),
            daddr: opt(uapi::NFSCOPE_DROP_A_DADDR)?.and_then(ip),
            sport: opt(uapi::NFSCOPE_DROP_A_SPORT)?.map(get_u16).transpose()?,
            dport: opt(uapi::NFSCOPE_DROP_A_DPORT)?.map(get_u16).transpose()?,
            tcp_flags: opt(uapi::NFSCOPE_DROP_A_TCP_FLAGS)?.map(get_u8).transpose()?.map(tcp_flags_text),
            len: get_u32(a.require(uapi::NFSCOPE_DROP_A_LEN, "len")?)?,
            reason: get_u32(a.require(uapi::NFSCOPE_DROP_A_REASON, "reason")?)?,
            reason_name: get_string(a.require(uapi::NFSCOPE_DROP_A_REASON_NAME, "reason name")?)?,
            tcp_state: opt(uapi::NFSCOPE_DROP_A_TCP_STATE)?.map(get_u8).transpose()?.map(tcp_state_name),
            location: get_string(a.require(uapi::NFSCOPE_DROP_A_LOCATION, "location")?)?,
            stack,
        })
    }
}

/// Events from the module's "events" group.
pub struct DropStream {
    sock: GenlSocket,
    family: u16,
    buf: Vec<u8>,
    pending: std::collections::VecDeque<DropEvent>,
}

impl DropStream {
    pub(crate) fn new(sock: GenlSocket, family: u16) -> Self {
        Self { sock, family, buf: vec![0; 1 << 16], pending: Default::default() }
    }

    /// The next event (blocks).
    pub fn next_event(&mut self) -> Result<DropEvent, NetlinkError> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Ok(e);
            }
            let msgs = match self.sock.recv_multicast(self.family, &mut self.buf) {
                Err(e) if e.errno() == Some(nix::errno::Errno::ENOBUFS) => return Ok(DropEvent::SocketOverrun),
                r => r?,
            };
            for m in msgs {
                let a = Attrs(&m);
                if let Some(lost) = a.get(uapi::NFSCOPE_A_LOST as u16)? {
                    self.pending.push_back(DropEvent::KernelLost(get_u64(lost)?));
                }
                if let Some(d) = a.get(uapi::NFSCOPE_A_DROP as u16)? {
                    self.pending.push_back(DropEvent::Drop(DropRecord::decode(d)?));
                }
                if let Some(d) = a.get(uapi::NFSCOPE_A_RST as u16)? {
                    self.pending.push_back(DropEvent::Rst(DropRecord::decode(d)?));
                }
            }
        }
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
}
