//! tcpdump expressions that match packets by the client in their TOA.
//!
//! pcap filters can only index TCP bytes of IPv4 packets (`tcp[]`), and only
//! at fixed offsets, so the expression matches a TOA that is the **first**
//! TCP option, in the port+address layouts (`len 8` IPv4 client, `len 20`
//! IPv6 client).

use std::net::IpAddr;

/// An expression and what it matches, to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToaFilter {
    pub expression: String,
    pub explanation: String,
}

/// Builds the filter for `client` (and `port`, if given), for option `kinds`
/// (default: 254 and 200 for an IPv4 client, 253 and 254 for IPv6).
pub fn toa_filter(client: IpAddr, port: Option<u16>, kinds: &[u8]) -> ToaFilter {
    let (len, addr_words): (u8, Vec<u32>) = match client {
        IpAddr::V4(a) => (8, vec![u32::from(a)]),
        IpAddr::V6(a) => (20, a.octets().chunks(4).map(|c| u32::from_be_bytes(c.try_into().unwrap())).collect()),
    };
    let kinds: Vec<u8> = if kinds.is_empty() {
        if client.is_ipv4() { vec![254, 200] } else { vec![253, 254] }
    } else {
        kinds.to_vec()
    };
    let kind_test = kinds.iter().map(|k| format!("tcp[20] == {k}")).collect::<Vec<_>>().join(" or ");
    let mut terms = vec![
        "tcp".to_string(),
        // A data offset above 5 words: there are options.
        "(tcp[12] & 0xf0) > 0x50".to_string(),
        format!("({kind_test})"),
        format!("tcp[21] == {len}"),
    ];
    if let Some(p) = port {
        terms.push(format!("tcp[22:2] == {p}"));
    }
    for (i, w) in addr_words.iter().enumerate() {
        terms.push(format!("tcp[{}:4] == 0x{w:08x}", 24 + 4 * i));
    }
    let kinds_text = kinds.iter().map(u8::to_string).collect::<Vec<_>>().join(" or ");
    let who = match port {
        Some(p) if client.is_ipv6() => format!("[{client}]:{p}"),
        Some(p) => format!("{client}:{p}"),
        None => format!("{client} (any port)"),
    };
    ToaFilter {
        expression: terms.join(" and "),
        explanation: format!(
            "matches IPv4 TCP packets whose FIRST option is TOA kind {kinds_text}, length {len}, carrying client {who}; \
             TOA after other options, other layouts, and IPv6 packets are not matched (pcap filters cannot index them)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_client_with_port() {
        let f = toa_filter("10.10.1.1".parse().unwrap(), Some(12345), &[]);
        assert_eq!(
            f.expression,
            "tcp and (tcp[12] & 0xf0) > 0x50 and (tcp[20] == 254 or tcp[20] == 200) and tcp[21] == 8 \
             and tcp[22:2] == 12345 and tcp[24:4] == 0x0a0a0101"
        );
        assert!(f.explanation.contains("FIRST option"));
    }

    #[test]
    fn ipv6_client_any_port_given_kind() {
        let f = toa_filter("2001:db8::42".parse().unwrap(), None, &[253]);
        assert!(f.expression.contains("(tcp[20] == 253) and tcp[21] == 20 and tcp[24:4] == 0x20010db8"));
        assert!(f.expression.ends_with("tcp[36:4] == 0x00000042"));
        assert!(!f.expression.contains("tcp[22:2]"));
    }
}
