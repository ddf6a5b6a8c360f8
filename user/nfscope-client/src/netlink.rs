//! Generic netlink over a raw `NETLINK_GENERIC` socket: message encoding,
//! attribute parsing, acks with extended error messages (extack).

use nix::errno::Errno;
use nix::sys::socket::{
    bind, recv, send, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use std::os::fd::{AsRawFd, OwnedFd};

const NLMSG_HDRLEN: usize = 16;
const GENL_HDRLEN: usize = 4;
const NLA_HDRLEN: usize = 4;

const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 0x2;
const NLMSG_DONE: u16 = 0x3;
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLA_TYPE_MASK: u16 = !(0x8000 | 0x4000);

const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

/// A netlink failure: an errno from the kernel (with its extack message when it
/// sent one), a socket error, or a message that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    #[error("{errno}{}", .message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kernel { errno: Errno, message: Option<String> },
    #[error("socket: {0}")]
    Socket(Errno),
    #[error("malformed netlink message: {0}")]
    Protocol(String),
}

impl NetlinkError {
    /// The kernel's or the socket's errno, if the failure has one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Self::Kernel { errno, .. } | Self::Socket(errno) => Some(*errno),
            Self::Protocol(_) => None,
        }
    }
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// An attribute to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub kind: u16,
    pub payload: Vec<u8>,
}

impl Attr {
    pub fn u8(kind: u16, v: u8) -> Self {
        Self { kind, payload: vec![v] }
    }
    pub fn u32(kind: u16, v: u32) -> Self {
        Self { kind, payload: v.to_ne_bytes().to_vec() }
    }
    pub fn u16(kind: u16, v: u16) -> Self {
        Self { kind, payload: v.to_ne_bytes().to_vec() }
    }
    pub fn bytes(kind: u16, v: &[u8]) -> Self {
        Self { kind, payload: v.to_vec() }
    }
    pub fn string(kind: u16, s: &str) -> Self {
        let mut payload = s.as_bytes().to_vec();
        payload.push(0);
        Self { kind, payload }
    }
}

/// Encodes one generic netlink request.
fn encode(family: u16, cmd: u8, version: u8, seq: u32, attrs: &[Attr], flags: u16) -> Vec<u8> {
    let mut buf = vec![0u8; NLMSG_HDRLEN];
    buf.extend_from_slice(&[cmd, version, 0, 0]);
    for a in attrs {
        let len = NLA_HDRLEN + a.payload.len();
        buf.extend_from_slice(&(len as u16).to_ne_bytes());
        buf.extend_from_slice(&a.kind.to_ne_bytes());
        buf.extend_from_slice(&a.payload);
        buf.resize(align4(buf.len()), 0);
    }
    let len = buf.len() as u32;
    buf[0..4].copy_from_slice(&len.to_ne_bytes());
    buf[4..6].copy_from_slice(&family.to_ne_bytes());
    buf[6..8].copy_from_slice(&flags.to_ne_bytes());
    buf[8..12].copy_from_slice(&seq.to_ne_bytes());
    buf
}

/// Attributes of a message or nest, by type (nested flag masked off).
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'a>(pub &'a [u8]);

impl<'a> Attrs<'a> {
    /// Every attribute as (type, payload); fails on a length that overruns.
    pub fn iter(&self) -> impl Iterator<Item = Result<(u16, &'a [u8]), NetlinkError>> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest.len() < NLA_HDRLEN {
                return None;
            }
            let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
            let kind = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
            if len < NLA_HDRLEN || len > rest.len() {
                rest = &[];
                return Some(Err(NetlinkError::Protocol(format!("attribute {kind} has length {len}"))));
            }
            let payload = &rest[NLA_HDRLEN..len];
            rest = rest.get(align4(len)..).unwrap_or(&[]);
            Some(Ok((kind, payload)))
        })
    }

    /// Attribute `kind`, which the message must have (`what` names it in the error).
    pub fn require(&self, kind: u32, what: &str) -> Result<&'a [u8], NetlinkError> {
        self.get(kind as u16)?.ok_or_else(|| NetlinkError::Protocol(format!("the module's message lacks {what}")))
    }

    pub fn get(&self, kind: u16) -> Result<Option<&'a [u8]>, NetlinkError> {
        for a in self.iter() {
            let (k, p) = a?;
            if k == kind {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }
}

/// Attributes of a nest read once into a table by type, for nests read
/// attribute by attribute (records: one pass instead of one per field).
/// Types of `N` and above are ignored; a repeated type keeps its first.
pub struct AttrTable<'a, const N: usize>([Option<&'a [u8]>; N]);

impl<'a, const N: usize> AttrTable<'a, N> {
    pub fn new(attrs: Attrs<'a>) -> Result<Self, NetlinkError> {
        let mut t = [None; N];
        for a in attrs.iter() {
            let (k, p) = a?;
            if let Some(slot @ None) = t.get_mut(k as usize) {
                *slot = Some(p);
            }
        }
        Ok(Self(t))
    }

    pub fn get(&self, kind: u32) -> Result<Option<&'a [u8]>, NetlinkError> {
        Ok(self.0.get(kind as usize).copied().flatten())
    }

    /// Attribute `kind`, which the nest must have (`what` names it in the error).
    pub fn require(&self, kind: u32, what: &str) -> Result<&'a [u8], NetlinkError> {
        self.get(kind)?.ok_or_else(|| NetlinkError::Protocol(format!("the module's message lacks {what}")))
    }
}

pub fn get_u8(p: &[u8]) -> Result<u8, NetlinkError> {
    p.first().copied().ok_or_else(|| NetlinkError::Protocol("short u8 attribute".into()))
}

pub fn get_u16(p: &[u8]) -> Result<u16, NetlinkError> {
    Ok(u16::from_ne_bytes(fixed(p)?))
}

pub fn get_u32(p: &[u8]) -> Result<u32, NetlinkError> {
    Ok(u32::from_ne_bytes(fixed(p)?))
}

pub fn get_s32(p: &[u8]) -> Result<i32, NetlinkError> {
    Ok(i32::from_ne_bytes(fixed(p)?))
}

pub fn get_u64(p: &[u8]) -> Result<u64, NetlinkError> {
    Ok(u64::from_ne_bytes(fixed(p)?))
}

pub fn get_string(p: &[u8]) -> Result<String, NetlinkError> {
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    String::from_utf8(p[..end].to_vec()).map_err(|_| NetlinkError::Protocol("string is not UTF-8".into()))
}

fn fixed<const N: usize>(p: &[u8]) -> Result<[u8; N], NetlinkError> {
    p.get(..N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| NetlinkError::Protocol(format!("attribute shorter than {N} bytes")))
}

/// One message of a reply: a generic netlink payload (attributes after the
/// genetlink header), or the final ack.
#[derive(Debug)]
enum Message<'a> {
    Genl { attrs: Attrs<'a> },
    Ack,
    Done,
}

/// Splits a datagram into messages; an error ack becomes `Err`.
fn parse_messages(buf: &[u8], seq: u32) -> Result<Vec<Message<'_>>, NetlinkError> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        let flags = u16::from_ne_bytes([rest[6], rest[7]]);
        let msg_seq = u32::from_ne_bytes(rest[8..12].try_into().unwrap());
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(NetlinkError::Protocol(format!("message length {len} of {}", rest.len())));
        }
        let body = &rest[NLMSG_HDRLEN..len];
        rest = rest.get(align4(len)..).unwrap_or(&[]);
        if msg_seq != seq {
            continue;
        }
        match kind {
            NLMSG_ERROR => {
                let code = i32::from_ne_bytes(fixed(body)?);
                if code == 0 {
                    out.push(Message::Ack);
                    continue;
                }
                // With NETLINK_CAP_ACK only the request's header is echoed;
                // extack attributes follow it.
                let message = if flags & NLM_F_ACK_TLVS != 0 {
                    let tlvs = body.get(4 + NLMSG_HDRLEN..).unwrap_or(&[]);
                    Attrs(tlvs).get(NLMSGERR_ATTR_MSG)?.map(get_string).transpose()?
                } else {
                    None
                };
                return Err(NetlinkError::Kernel { errno: Errno::from_raw(-code), message });
            }
            NLMSG_DONE => out.push(Message::Done),
            _ => {
                if body.len() < GENL_HDRLEN {
                    return Err(NetlinkError::Protocol("short genetlink header".into()));
                }
                out.push(Message::Genl { attrs: Attrs(&body[GENL_HDRLEN..]) });
            }
        }
    }
    Ok(out)
}

/// Turns on a `SOL_NETLINK` boolean option; kernels without it ignore the failure.
fn set_netlink_flag(fd: &OwnedFd, option: libc::c_int) {
    let on: libc::c_int = 1;
    // SAFETY: `fd` is an open socket; `on` is a valid `int` of the size passed.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_NETLINK,
            option,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

/// A resolved family.
pub struct Family {
    pub id: u16,
    pub version: u32,
    /// Multicast groups: (name, id).
    pub groups: Vec<(String, u32)>,
}

/// A `NETLINK_GENERIC` socket that sends requests and collects their replies.
pub struct GenlSocket {
    fd: OwnedFd,
    seq: u32,
}

impl GenlSocket {
    pub fn open() -> Result<Self, NetlinkError> {
        let fd = socket(AddressFamily::Netlink, SockType::Raw, SockFlag::SOCK_CLOEXEC, SockProtocol::NetlinkGeneric)
            .map_err(NetlinkError::Socket)?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0)).map_err(NetlinkError::Socket)?;
        // Error messages (extack) and short acks; old kernels ignore these.
        set_netlink_flag(&fd, libc::NETLINK_EXT_ACK);
        set_netlink_flag(&fd, libc::NETLINK_CAP_ACK);
        Ok(Self { fd, seq: std::process::id().wrapping_mul(7919) })
    }

    pub fn resolve_family(&mut self, name: &str) -> Result<Family, NetlinkError> {
        let replies = self.request_version(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, &[Attr::string(CTRL_ATTR_FAMILY_NAME, name)])?;
        let attrs = replies.first().ok_or_else(|| NetlinkError::Protocol("no GETFAMILY reply".into()))?;
        let attrs = Attrs(attrs);
        let id = attrs.get(CTRL_ATTR_FAMILY_ID)?.map(get_u16).transpose()?;
        let version = attrs.get(CTRL_ATTR_VERSION)?.map(get_u32).transpose()?;
        let mut groups = Vec::new();
        if let Some(nest) = attrs.get(CTRL_ATTR_MCAST_GROUPS)? {
            for item in Attrs(nest).iter() {
                let g = Attrs(item?.1);
                if let (Some(name), Some(gid)) = (g.get(CTRL_ATTR_MCAST_GRP_NAME)?, g.get(CTRL_ATTR_MCAST_GRP_ID)?) {
                    groups.push((get_string(name)?, get_u32(gid)?));
                }
            }
        }
        match (id, version) {
            (Some(id), Some(version)) => Ok(Family { id, version, groups }),
            _ => Err(NetlinkError::Protocol("GETFAMILY reply lacks id or version".into())),
        }
    }

    /// Sends one request and returns the attribute payloads of its replies.
    pub fn request(&mut self, family: u16, cmd: u8, attrs: &[Attr]) -> Result<Vec<Vec<u8>>, NetlinkError> {
        self.request_version(family, cmd, nfscope_codec::uapi::NFSCOPE_GENL_VERSION as u8, attrs)
    }

    /// Joins multicast group `group` (needs the group's permission, e.g. CAP_NET_ADMIN).
    pub fn join_group(&mut self, group: u32) -> Result<(), NetlinkError> {
        // SAFETY: `fd` is an open socket; `group` is a valid `u32` of the size passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_NETLINK,
                libc::NETLINK_ADD_MEMBERSHIP,
                (&group as *const u32).cast(),
                std::mem::size_of::<u32>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(NetlinkError::Socket(Errno::last()));
        }
        Ok(())
    }

    /// Makes multicast deliveries that overflow this socket fail in the
    /// sender (`NETLINK_BROADCAST_ERROR`), so the module counts them as lost.
    pub fn set_broadcast_error(&mut self) -> Result<(), NetlinkError> {
        let on: libc::c_int = 1;
        // SAFETY: `fd` is an open socket; `on` is a valid `int` of the size passed.
        let rc = unsafe {
            libc::setsockopt(self.fd.as_raw_fd(), libc::SOL_NETLINK, libc::NETLINK_BROADCAST_ERROR, (&on as *const libc::c_int).cast(), 4)
        };
        if rc != 0 {
            return Err(NetlinkError::Socket(Errno::last()));
        }
        Ok(())
    }

    /// Makes receives give up after `t` (`EAGAIN`), so a reader can look
    /// at other things (signals) between messages.
    pub fn set_recv_timeout(&mut self, t: std::time::Duration) -> Result<(), NetlinkError> {
        let tv = libc::timeval { tv_sec: t.as_secs() as libc::time_t, tv_usec: t.subsec_micros() as libc::suseconds_t };
        // SAFETY: `fd` is an open socket; `tv` is a valid `timeval` of the size passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(NetlinkError::Socket(Errno::last()));
        }
        Ok(())
    }

    /// Asks for a receive buffer of `bytes` (best effort; root may exceed rmem_max).
    pub fn set_rcvbuf(&mut self, bytes: usize) {
        let v = bytes as libc::c_int;
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            // SAFETY: `fd` is an open socket; `v` is a valid `int` of the size passed.
            let rc = unsafe {
                libc::setsockopt(self.fd.as_raw_fd(), libc::SOL_SOCKET, opt, (&v as *const libc::c_int).cast(), 4)
            };
            if rc == 0 {
                break;
            }
        }
    }

    /// The receive buffer's size, as the kernel accounts it (the most the
    /// socket holds unread).
    pub fn rcvbuf(&self) -> Result<usize, NetlinkError> {
        nix::sys::socket::getsockopt(&self.fd, nix::sys::socket::sockopt::RcvBuf).map_err(NetlinkError::Socket)
    }

    /// Receives one datagram of multicast messages for `family`: each
    /// message's attribute payload. `Err(Socket(ENOBUFS))`: messages were
    /// lost because the socket buffer overflowed.
    /// The datagram's length comes with them.
    pub fn recv_multicast(&mut self, family: u16, buf: &mut [u8]) -> Result<(Vec<Vec<u8>>, usize), NetlinkError> {
        let n = recv(self.fd.as_raw_fd(), buf, MsgFlags::empty()).map_err(NetlinkError::Socket)?;
        let mut out = Vec::new();
        let mut rest = &buf[..n];
        while rest.len() >= NLMSG_HDRLEN {
            let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
            let kind = u16::from_ne_bytes([rest[4], rest[5]]);
            if len < NLMSG_HDRLEN || len > rest.len() {
                return Err(NetlinkError::Protocol(format!("message length {len} of {}", rest.len())));
            }
            if kind == family && len >= NLMSG_HDRLEN + GENL_HDRLEN {
                out.push(rest[NLMSG_HDRLEN + GENL_HDRLEN..len].to_vec());
            }
            rest = rest.get(align4(len)..).unwrap_or(&[]);
        }
        Ok((out, n))
    }

    /// Sends a dump request and returns the attribute payloads of every message.
    pub fn dump(&mut self, family: u16, cmd: u8, attrs: &[Attr]) -> Result<Vec<Vec<u8>>, NetlinkError> {
        let version = nfscope_codec::uapi::NFSCOPE_GENL_VERSION as u8;
        self.exchange(family, cmd, version, attrs, NLM_F_REQUEST | NLM_F_DUMP)
    }

    fn request_version(&mut self, family: u16, cmd: u8, version: u8, attrs: &[Attr]) -> Result<Vec<Vec<u8>>, NetlinkError> {
        self.exchange(family, cmd, version, attrs, NLM_F_REQUEST | NLM_F_ACK)
    }

    fn exchange(&mut self, family: u16, cmd: u8, version: u8, attrs: &[Attr], flags: u16) -> Result<Vec<Vec<u8>>, NetlinkError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let msg = encode(family, cmd, version, seq, attrs, flags);
        send(self.fd.as_raw_fd(), &msg, MsgFlags::empty()).map_err(NetlinkError::Socket)?;
        let mut replies = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty()).map_err(NetlinkError::Socket)?;
            for m in parse_messages(&buf[..n], seq)? {
                match m {
                    Message::Genl { attrs, .. } => replies.push(attrs.0.to_vec()),
                    Message::Ack | Message::Done => return Ok(replies),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encoding_pads_attributes() {
        let m = encode(0x20, 2, 1, 7, &[Attr::u8(4, 1), Attr::string(2, "ab")], NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(m.len(), 16 + 4 + 8 + 8);
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()) as usize, m.len());
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 0x20);
        assert_eq!(u16::from_ne_bytes([m[6], m[7]]), NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(&m[16..20], &[2, 1, 0, 0]);
        // u8 attribute: len 5, type 4, value, 3 bytes of padding
        assert_eq!(&m[20..28], &[5, 0, 4, 0, 1, 0, 0, 0]);
        assert_eq!(&m[28..36], &[7, 0, 2, 0, b'a', b'b', 0, 0]);
    }

    #[test]
    fn attributes_reject_overruns() {
        let bad = [9u8, 0, 1, 0, 0, 0, 0, 0];
        assert!(Attrs(&bad).get(1).is_err());
        let short = [3u8, 0, 1, 0];
        assert!(Attrs(&short).get(1).is_err());
    }

    fn error_ack(seq: u32, code: i32, msg: Option<&str>) -> Vec<u8> {
        let mut body = code.to_ne_bytes().to_vec();
        body.extend_from_slice(&[0u8; NLMSG_HDRLEN]);
        let mut flags = 0;
        if let Some(msg) = msg {
            flags |= NLM_F_ACK_TLVS;
            let a = Attr::string(NLMSGERR_ATTR_MSG, msg);
            body.extend_from_slice(&((4 + a.payload.len()) as u16).to_ne_bytes());
            body.extend_from_slice(&a.kind.to_ne_bytes());
            body.extend_from_slice(&a.payload);
            body.resize(align4(body.len()), 0);
        }
        let mut m = ((NLMSG_HDRLEN + body.len()) as u32).to_ne_bytes().to_vec();
        m.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn error_acks_carry_errno_and_extack_message() {
        let m = error_ack(5, -22, Some("integer out of range"));
        match parse_messages(&m, 5) {
            Err(NetlinkError::Kernel { errno, message }) => {
                assert_eq!(errno, Errno::EINVAL);
                assert_eq!(message.as_deref(), Some("integer out of range"));
            }
            other => panic!("expected a kernel error, got {other:?}"),
        }
        assert!(matches!(parse_messages(&error_ack(5, 0, None), 5).unwrap()[..], [Message::Ack]));
        // Messages of other sequence numbers are not ours.
        assert!(parse_messages(&error_ack(4, -1, None), 5).unwrap().is_empty());
    }
}
