//! Parsers for option values: each checks its value completely when the
//! command line is parsed, so a bad number, address or name is refused with
//! a message before anything is done (and nothing later panics on it).

use nfscope_client::{Cidr, HOOK_FILTERS};
use nfscope_codec::toa::Layout;
use std::net::IpAddr;
use std::time::Duration;

/// Longest interval a watch or refresh accepts: a day.
const MAX_SECONDS: f64 = 86_400.0;
/// Shortest: 10 ms (shorter would only spin).
const MIN_SECONDS: f64 = 0.01;

/// A number of seconds (fractions allowed), from 0.01 to 86400.
pub fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&v) {
        return Err(format!("{s} seconds: must be from {MIN_SECONDS} to {MAX_SECONDS}"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// tcp, udp, icmp, icmpv6 or a protocol number (0..255).
pub fn proto(s: &str) -> Result<u8, String> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "icmpv6" => 58,
        n => n.parse().map_err(|_| format!("'{s}' is not tcp, udp, icmp, icmpv6 or a protocol number (0..255)"))?,
    })
}

/// An address, or a prefix ADDR/LEN.
pub fn cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
    let addr: IpAddr = a.parse().map_err(|_| format!("'{a}' is not an IPv4 or IPv6 address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max).ok_or_else(|| format!("'{p}' is not a prefix length (0..{max})"))?,
        None => max,
    };
    Ok((addr, prefix))
}

/// A hook filter: a hook point name, "netfilter", "none" or "any" (any case).
pub fn hook_filter(s: &str) -> Result<String, String> {
    HOOK_FILTERS
        .iter()
        .find(|h| h.eq_ignore_ascii_case(s))
        .map(|h| (*h).to_string())
        .ok_or_else(|| format!("'{s}' is not one of {}", HOOK_FILTERS.join(", ")))
}

/// `--netns`: an inode, a PID (whose namespace is meant), a name in
/// /run/netns or a path; PIDs, names and paths are looked up when used.
pub fn netns(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("an empty namespace: give an inode, a PID, a name in /run/netns or a path".into());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && !matches!(s.parse::<u32>(), Ok(n) if n > 0) {
        return Err(format!("'{s}' is neither a namespace inode nor a PID (1..{})", u32::MAX));
    }
    Ok(s.to_string())
}

/// A BPF ring buffer size in KiB: a power of two from 4 (a page) to 2097152 (2 GiB).
pub fn ring_kib(s: &str) -> Result<u32, String> {
    let v: u32 = s.parse().map_err(|_| format!("'{s}' is not a size in KiB"))?;
    if !v.is_power_of_two() || !(4..=1 << 21).contains(&v) {
        return Err(format!("{v} KiB: the ring buffer size must be a power of two from 4 to 2097152"));
    }
    Ok(v)
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1` or `[2001:db8::1]:80`.
pub fn toa_client(s: &str) -> Result<(IpAddr, Option<u16>), String> {
    if let Ok(a) = s.parse::<IpAddr>() {
        return Ok((a, None));
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Ok((sa.ip(), Some(sa.port())));
    }
    Err(format!("'{s}' is not CLIENT, CLIENT:PORT or [IPV6]:PORT"))
}

/// A trusted prefix (ADDR/LEN, or an address).
pub fn trust_cidr(s: &str) -> Result<Cidr, String> {
    s.parse()
}

/// TOA layouts a kind carries.
#[derive(Clone, Debug)]
pub struct Layouts(pub Vec<Layout>);

/// TOA layouts, comma-separated, or "none".
pub fn layouts(s: &str) -> Result<Layouts, String> {
    if s == "none" {
        return Ok(Layouts(Vec::new()));
    }
    s.split(',').map(|n| Layout::from_name(n.trim()).ok_or_else(|| format!("unknown layout '{n}'"))).collect::<Result<_, _>>().map(Layouts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_refuse_what_duration_cannot_hold() {
        for bad in ["nan", "NaN", "inf", "-inf", "-1", "0", "0.001", "1e300", "86401", "", "1s", "0x10"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(seconds("86400"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn addresses_and_names() {
        assert_eq!(cidr("10.0.0.0/8"), Ok(("10.0.0.0".parse().unwrap(), 8)));
        assert_eq!(cidr("2001:db8::1"), Ok(("2001:db8::1".parse().unwrap(), 128)));
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.256", "x"] {
            assert!(cidr(bad).is_err(), "{bad}");
        }
        assert_eq!(proto("TCP"), Ok(6));
        assert!(proto("256").is_err() && proto("-1").is_err());
        assert_eq!(hook_filter("local_in").as_deref(), Ok("LOCAL_IN"));
        assert!(hook_filter("INPUT").is_err());
        assert!(netns("0").is_err() && netns("4294967296").is_err() && netns("").is_err());
        assert_eq!(netns("blue").as_deref(), Ok("blue"));
        assert!(ring_kib("3").is_err() && ring_kib("4194304").is_err() && ring_kib("2").is_err());
        assert_eq!(ring_kib("8192"), Ok(8192));
    }
}
