//! TOA replies: table entries, counters, the trust list.

use crate::netlink::{get_u16, get_u32, get_u64, get_u8, Attrs, NetlinkError};
use nfscope_codec::toa::Layout;
use nfscope_codec::uapi;
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One connection whose TOA the module holds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ToaEntry {
    /// The connection as the backend sees it (peer = the balancer).
    pub peer_addr: IpAddr,
    pub peer_port: u16,
    pub local_addr: IpAddr,
    pub local_port: u16,
    /// What the TOA said.
    pub client_addr: IpAddr,
    pub client_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip_addr: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<u32>,
    pub kind: u8,
    pub len: u8,
    pub format: String,
    pub age_ms: u64,
}

fn ip(p: &[u8]) -> Result<IpAddr, NetlinkError> {
    match p.len() {
        4 => Ok(IpAddr::from(<[u8; 4]>::try_from(p).unwrap())),
        16 => Ok(IpAddr::from(<[u8; 16]>::try_from(p).unwrap())),
        n => Err(NetlinkError::Protocol(format!("address of {n} bytes"))),
    }
}

/// The layout's name, from its UAPI number.
pub fn layout_name(n: u8) -> String {
    Layout::ALL.get(n as usize).map_or_else(|| format!("layout{n}"), |l| l.name().to_string())
}

impl ToaEntry {
    pub fn decode(payload: &[u8]) -> Result<Self, NetlinkError> {
        let nest = Attrs(payload).require(uapi::NFSCOPE_A_TOA_ENTRY, "a TOA entry")?;
        let a = Attrs(nest);
        let opt_u16 = |k: u32| a.get(k as u16).and_then(|p| p.map(get_u16).transpose());
        Ok(Self {
            peer_addr: ip(a.require(uapi::NFSCOPE_TOA_A_SADDR, "peer")?)?,
            peer_port: get_u16(a.require(uapi::NFSCOPE_TOA_A_SPORT, "peer port")?)?,
            local_addr: ip(a.require(uapi::NFSCOPE_TOA_A_DADDR, "local")?)?,
            local_port: get_u16(a.require(uapi::NFSCOPE_TOA_A_DPORT, "local port")?)?,
            client_addr: ip(a.require(uapi::NFSCOPE_TOA_A_CLIENT_ADDR, "client")?)?,
            client_port: opt_u16(uapi::NFSCOPE_TOA_A_CLIENT_PORT)?,
            vip_addr: a.get(uapi::NFSCOPE_TOA_A_VIP_ADDR as u16)?.map(ip).transpose()?,
            vip_port: opt_u16(uapi::NFSCOPE_TOA_A_VIP_PORT)?,
            vpc_id: a.get(uapi::NFSCOPE_TOA_A_VPC_ID as u16)?.map(get_u32).transpose()?,
            kind: get_u8(a.require(uapi::NFSCOPE_TOA_A_KIND, "kind")?)?,
            len: get_u8(a.require(uapi::NFSCOPE_TOA_A_LEN, "len")?)?,
            format: layout_name(get_u8(a.require(uapi::NFSCOPE_TOA_A_LAYOUT, "layout")?)?),
            age_ms: get_u64(a.require(uapi::NFSCOPE_TOA_A_AGE_MS, "age")?)?,
        })
    }
}

/// An address prefix, e.g. `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn addr_bytes(&self) -> Vec<u8> {
        match self.addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    /// Host bits must be zero; a bare address is a host prefix.
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = a.parse().map_err(|_| format!("'{a}' is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|&n| n <= max).ok_or(format!("'{p}' is not a prefix length (0..={max})"))?,
            None => max,
        };
        let value: u128 = match addr {
            IpAddr::V4(a) => u32::from(a).into(),
            IpAddr::V6(a) => a.into(),
        };
        let host_bits = u32::from(max - prefix);
        let host_mask = if host_bits >= 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
        if value & host_mask != 0 {
            return Err(format!("{s} has host bits set past /{prefix}"));
        }
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// TOA counters (by the module's names), the trust list and the option kinds.
#[derive(Debug, Clone, Serialize)]
pub struct ToaStats {
    pub counters: Vec<(String, u64)>,
    pub trust: Vec<Cidr>,
    /// kind -> layout names
    pub kinds: Vec<(u8, Vec<String>)>,
}

/// Counter names by `enum nfscope_toa_stat`, as procfs prints them.
pub fn stat_name(id: u16) -> String {
    let names = [
        (uapi::NFSCOPE_TOA_STAT_PORT4, "decoded_port4"),
        (uapi::NFSCOPE_TOA_STAT_PORT6, "decoded_port6"),
        (uapi::NFSCOPE_TOA_STAT_CLIENT_VIP4, "decoded_client_vip4"),
        (uapi::NFSCOPE_TOA_STAT_ALI_VTOA4, "decoded_ali_vtoa4"),
        (uapi::NFSCOPE_TOA_STAT_ALI_VTOA6, "decoded_ali_vtoa6"),
        (uapi::NFSCOPE_TOA_STAT_CDN, "decoded_cdn"),
        (uapi::NFSCOPE_TOA_STAT_NO_TOA, "no_toa"),
        (uapi::NFSCOPE_TOA_STAT_UNTRUSTED, "untrusted"),
        (uapi::NFSCOPE_TOA_STAT_MALFORMED, "malformed"),
        (uapi::NFSCOPE_TOA_STAT_EVICTED, "evicted"),
        (uapi::NFSCOPE_TOA_STAT_REWRITES, "getname_rewrites"),
        (uapi::NFSCOPE_TOA_STAT_UNREPRESENTABLE, "unrepresentable"),
        (uapi::NFSCOPE_TOA_STAT_ENTRIES, "entries"),
        (uapi::NFSCOPE_TOA_STAT_CAPACITY, "capacity"),
        (uapi::NFSCOPE_TOA_STAT_EXPIRED, "expired"),
    ];
    names.iter().find(|(n, _)| *n == u32::from(id)).map_or_else(|| format!("stat{id}"), |(_, s)| (*s).to_string())
}

impl ToaStats {
    pub fn decode(payload: &[u8]) -> Result<Self, NetlinkError> {
        let a = Attrs(payload);
        let mut counters = Vec::new();
        if let Some(nest) = a.get(uapi::NFSCOPE_A_TOA_STATS as u16)? {
            for item in Attrs(nest).iter() {
                let (id, p) = item?;
                if u32::from(id) != uapi::NFSCOPE_TOA_STAT_PAD {
                    counters.push((stat_name(id), get_u64(p)?));
                }
            }
        }
        let mut trust = Vec::new();
        if let Some(nest) = a.get(uapi::NFSCOPE_A_TOA_TRUST as u16)? {
            for item in Attrs(nest).iter() {
                let c = Attrs(item?.1);
                trust.push(Cidr {
                    addr: ip(c.require(uapi::NFSCOPE_A_ADDR, "trust address")?)?,
                    prefix: get_u8(c.require(uapi::NFSCOPE_A_PREFIX_LEN, "trust prefix")?)?,
                });
            }
        }
        let mut kinds = Vec::new();
        if let Some(nest) = a.get(uapi::NFSCOPE_A_TOA_KIND_MAP as u16)? {
            for item in Attrs(nest).iter() {
                let k = Attrs(item?.1);
                let kind = get_u8(k.require(uapi::NFSCOPE_A_TOA_KIND, "kind")?)?;
                let bits = get_u32(k.require(uapi::NFSCOPE_A_TOA_LAYOUTS, "layouts")?)?;
                let names = (0..32u8).filter(|b| bits & (1 << b) != 0).map(layout_name).collect();
                kinds.push((kind, names));
            }
        }
        Ok(Self { counters, trust, kinds })
    }

    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_and_reject_host_bits() {
        assert_eq!("10.0.0.0/8".parse::<Cidr>().unwrap().to_string(), "10.0.0.0/8");
        assert_eq!("198.18.2.1".parse::<Cidr>().unwrap().prefix, 32);
        assert_eq!("2001:db8::/32".parse::<Cidr>().unwrap().prefix, 32);
        assert_eq!("::/0".parse::<Cidr>().unwrap().prefix, 0);
        assert!("10.0.0.1/8".parse::<Cidr>().is_err());
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("2001:db8::1/64".parse::<Cidr>().is_err());
        assert!("banana/8".parse::<Cidr>().is_err());
    }
}
