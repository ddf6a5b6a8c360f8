//! `nfscope toa ...`: the module's TOA table, counters and trust list, and
//! offline decoding of captures.

use crate::output::json_line;
use anyhow::{Context, Result};
use clap::Subcommand;
use nfscope_capture::{decode_toa, read_capture, toa_filter};
use nfscope_client::{Cidr, Client};
use nfscope_codec::toa::KindTable;
use std::io::Write;
use std::net::IpAddr;

#[derive(Subcommand)]
pub enum ToaCommand {
    /// Connections whose client came in a TOA, in this network namespace.
    List {
        #[arg(long)]
        json: bool,
    },
    /// TOA counters: decoded per format, untrusted, malformed, evicted, rewrites.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// The balancers trusted to send TOA (empty: everyone is).
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Which TCP option kinds carry which TOA layouts, in this namespace.
    Kind {
        #[command(subcommand)]
        command: KindCommand,
    },
    /// Decode the TOA of every TCP packet of a pcap or pcapng capture.
    Decode {
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Print a tcpdump expression matching packets whose TOA carries a client.
    Filter {
        /// CLIENT, CLIENT:PORT or [V6]:PORT
        #[arg(value_parser = crate::args::toa_client)]
        client: (IpAddr, Option<u16>),
        /// Option kind(s) to match (default: 254 and 200 for IPv4, 253 and 254 for IPv6).
        #[arg(long = "kind")]
        kinds: Vec<u8>,
    },
}

#[derive(Subcommand)]
pub enum KindCommand {
    /// Let KIND carry these layouts (comma-separated: port4, port6,
    /// client-vip4, ali-vtoa4, ali-vtoa6, vpc-id, cdn; "none" stops decoding
    /// KIND). Needs CAP_NET_ADMIN.
    Set {
        kind: u8,
        #[arg(value_parser = crate::args::layouts)]
        layouts: crate::args::Layouts,
    },
    /// Show every kind that carries TOA.
    List,
}

#[derive(Subcommand)]
pub enum TrustCommand {
    /// Trust TOA from this prefix (needs CAP_NET_ADMIN).
    Add {
        #[arg(value_parser = crate::args::trust_cidr)]
        cidr: Cidr,
    },
    /// Stop trusting exactly this prefix (needs CAP_NET_ADMIN).
    Del {
        #[arg(value_parser = crate::args::trust_cidr)]
        cidr: Cidr,
    },
    /// Show the trust list.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn endpoint(addr: IpAddr, port: Option<u16>) -> String {
    match (addr, port) {
        (IpAddr::V6(a), Some(p)) => format!("[{a}]:{p}"),
        (a, Some(p)) => format!("{a}:{p}"),
        (a, None) => a.to_string(),
    }
}

pub fn run(cmd: ToaCommand, out: &mut impl Write) -> Result<()> {
    match cmd {
        ToaCommand::List { json } => {
            let entries = Client::connect()?.toa_list()?;
            if json {
                for e in &entries {
                    json_line(out, "toa_entry", e)?;
                }
            } else {
                writeln!(out, "{:<46} {:<46} {:<46} {:<11} {:>8} {:>9}", "PEER (BALANCER)", "LOCAL", "CLIENT", "FORMAT", "KIND/LEN", "AGE_MS")?;
                for e in &entries {
                    writeln!(
                        out,
                        "{:<46} {:<46} {:<46} {:<11} {:>8} {:>9}",
                        endpoint(e.peer_addr, Some(e.peer_port)),
                        endpoint(e.local_addr, Some(e.local_port)),
                        endpoint(e.client_addr, e.client_port),
                        e.format,
                        format!("{}/{}", e.kind, e.len),
                        e.age_ms
                    )?;
                }
            }
        }
        ToaCommand::Stats { json } => {
            let s = Client::connect()?.toa_stats()?;
            if json {
                json_line(out, "toa_stats", &s)?;
            } else {
                for (name, v) in &s.counters {
                    writeln!(out, "{name:<22} {v}")?;
                }
                let trust = s.trust.iter().map(ToString::to_string).collect::<Vec<_>>();
                writeln!(out, "trust: {}", if trust.is_empty() { "(empty: every sender is trusted)".into() } else { trust.join(" ") })?;
                for (kind, layouts) in &s.kinds {
                    writeln!(out, "kind {kind}: {}", layouts.join(", "))?;
                }
            }
        }
        ToaCommand::Trust { command } => match command {
            TrustCommand::Add { cidr } => Client::connect()?.toa_trust(&cidr, true)?,
            TrustCommand::Del { cidr } => Client::connect()?.toa_trust(&cidr, false)?,
            TrustCommand::List { json } => {
                let s = Client::connect()?.toa_stats()?;
                if json {
                    json_line(out, "toa_trust", &serde_json::json!({ "trust": s.trust }))?;
                } else {
                    for c in &s.trust {
                        writeln!(out, "{c}")?;
                    }
                }
            }
        },
        ToaCommand::Kind { command } => match command {
            KindCommand::Set { kind, layouts } => Client::connect()?.toa_set_kind(kind, &layouts.0)?,
            KindCommand::List => {
                for (kind, layouts) in Client::connect()?.toa_stats()?.kinds {
                    writeln!(out, "{kind:>3} {}", layouts.join(","))?;
                }
            }
        },
        ToaCommand::Decode { file, json } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let packets = read_capture(&bytes).with_context(|| format!("{} is not a readable capture", file.display()))?;
            let kinds = KindTable::default();
            for r in packets.iter().filter_map(|p| decode_toa(p, &kinds)) {
                if json {
                    json_line(out, "toa_decoded", &r)?;
                } else {
                    writeln!(
                        out,
                        "#{} {} > {} kind {} len {} {}: client {}{}",
                        r.packet,
                        endpoint(r.saddr, Some(r.sport)),
                        endpoint(r.daddr, Some(r.dport)),
                        r.kind,
                        r.len,
                        r.format,
                        endpoint(r.client_addr, r.client_port),
                        r.vip_addr.map(|v| format!(" vip {}", endpoint(v, r.vip_port))).unwrap_or_default()
                    )?;
                }
            }
        }
        ToaCommand::Filter { client: (addr, port), kinds } => {
            let f = toa_filter(addr, port, &kinds);
            eprintln!("nfscope: {}", f.explanation);
            writeln!(out, "{}", f.expression)?;
        }
    }
    Ok(())
}
