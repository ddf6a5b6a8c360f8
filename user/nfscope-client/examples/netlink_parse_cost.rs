//! What reading one event message costs: a multicast message of 42 drop
//! records (360-byte `NFSCOPE_A_RECORD` attributes, as the module sends
//! them) through this crate's attribute walk and through neli 0.7, the
//! maintained generic netlink crate with extended ACK support. A benchmark,
//! not a test: prints time per record and the ratio.
//!
//!     cargo run --release -p nfscope-client --example netlink_parse_cost

use neli::genl::Genlmsghdr;
use neli::nl::{NlPayload, Nlmsghdr};
use neli::FromBytes;
use nfscope_client::Attrs;
use std::hint::black_box;
use std::io::Cursor;
use std::time::Instant;

const RECORDS: usize = 42;
const RECORD_BYTES: usize = 360;
const A_RECORD: u16 = nfscope_codec::uapi::NFSCOPE_A_RECORD as u16;

/// nlmsghdr, genlmsghdr, then the records.
fn message() -> Vec<u8> {
    let mut attrs = Vec::new();
    for i in 0..RECORDS {
        attrs.extend_from_slice(&((4 + RECORD_BYTES) as u16).to_ne_bytes());
        attrs.extend_from_slice(&A_RECORD.to_ne_bytes());
        attrs.extend(std::iter::repeat_n(i as u8, RECORD_BYTES));
    }
    let mut m = Vec::new();
    m.extend_from_slice(&((16 + 4 + attrs.len()) as u32).to_ne_bytes());
    m.extend_from_slice(&0x20u16.to_ne_bytes());
    m.extend_from_slice(&[0; 10]);
    m.extend_from_slice(&[7, 2, 0, 0]);
    m.extend_from_slice(&attrs);
    m
}

fn ours(buf: &[u8]) -> u64 {
    Attrs(&buf[20..]).iter().map(|a| a.map_or(0, |(kind, p)| u64::from(kind) + u64::from(p[0]))).sum()
}

fn neli(buf: &[u8]) -> u64 {
    let m: Nlmsghdr<u16, Genlmsghdr<u8, u16>> = Nlmsghdr::from_bytes(&mut Cursor::new(buf)).expect("a well-formed message");
    match m.nl_payload() {
        NlPayload::Payload(g) => g.attrs().iter().map(|a| u64::from(*a.nla_type().nla_type()) + u64::from(a.nla_payload().as_ref()[0])).sum(),
        _ => 0,
    }
}

/// Nanoseconds per record, best of 5 runs of `rounds` messages.
fn per_record(f: fn(&[u8]) -> u64, buf: &[u8], rounds: u32) -> (f64, u64) {
    let mut best = f64::MAX;
    let mut check = 0;
    for _ in 0..5 {
        let start = Instant::now();
        check = (0..rounds).map(|_| f(black_box(buf))).sum();
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(rounds) / RECORDS as f64);
    }
    (best, check)
}

fn main() {
    let buf = message();
    let (a, ca) = per_record(ours, &buf, 20_000);
    let (b, cb) = per_record(neli, &buf, 20_000);
    assert_eq!(ca, cb, "both read the same attributes");
    println!("per record: nfscope-client {a:.1} ns, neli {b:.1} ns: neli/nfscope-client {:.1}", b / a);
}
