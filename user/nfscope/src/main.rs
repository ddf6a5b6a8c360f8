//! The `nfscope` command: thin glue from subcommands to `nfscope-client` and
//! to output formats.

mod args;
mod conntrack;
mod drops;
mod exporter;
mod netns;
mod output;
mod pcap;
mod toa;
mod trace;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use nfscope_client::{Client, ConfigChange};

#[derive(Parser)]
#[command(name = "nfscope", version, about = "Why packets die, and who the client really is")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the module's version, configuration and hook counters for this
    /// network namespace.
    Status {
        /// One JSON object (with a schema version) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Packet drops: every kernel drop with its reason, location and stack.
    Drops {
        #[command(subcommand)]
        command: DropsCommand,
    },
    /// Conntrack counters (insert_failed, drop, early_drop ...) per CPU.
    Conntrack {
        #[command(subcommand)]
        command: ConntrackCommand,
    },
    /// TOA: the real clients behind L4 balancers.
    Toa {
        #[command(subcommand)]
        command: toa::ToaCommand,
    },
    /// Tracers: the module's probes, kernel trace events, BPF tracers.
    Trace {
        #[command(subcommand)]
        command: trace::TraceCommand,
    },
    /// Serve the module's counters to Prometheus: drops by namespace,
    /// reason, location and hook; resets; records lost; hook, TOA and
    /// conntrack counters per namespace (run as root in the initial
    /// namespace: it joins each namespace to ask).
    Exporter {
        /// Address and port to serve /metrics on.
        #[arg(long, default_value = "127.0.0.1:9814")]
        listen: std::net::SocketAddr,
        /// Print one exposition to stdout and exit.
        #[arg(long)]
        once: bool,
        /// With --once: the text format (scrapes get what they ask for).
        #[arg(long, value_enum, default_value = "prometheus", requires = "once")]
        format: exporter::Format,
    },
    /// Change this network namespace's configuration (needs CAP_NET_ADMIN).
    Config {
        /// Whether the module's netfilter hooks do their work.
        #[arg(long, value_enum)]
        hooks: Option<OnOff>,
    },
}

#[derive(Subcommand)]
enum DropsCommand {
    /// Stream drop and TCP reset records as they happen (needs CAP_NET_ADMIN
    /// in the initial network namespace; records of every namespace).
    Watch {
        /// JSON lines (schema-versioned) instead of text with indented stacks.
        #[arg(long)]
        json: bool,
        /// Times in text output: local (HH:MM:SS.micro), iso or epoch.
        #[arg(long, value_enum, default_value = "local")]
        time: drops::TimeFormat,
        /// Which records: drops, resets (TCP RSTs the kernel sends), or both.
        #[arg(long, value_enum, default_value = "all")]
        kind: RecordKind,
        /// Stop after this many records.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        #[command(flatten)]
        pcap: pcap::PcapArgs,
        /// Filters are set in the kernel for the duration of the watch (the
        /// previous configuration is restored at exit; needs CAP_NET_ADMIN).
        #[command(flatten)]
        filters: drops::FilterArgs,
    },
    /// The live drop summary: counts per (netns, reason, location, hook),
    /// most frequent first, with the change since the previous interval.
    Top {
        #[arg(long)]
        json: bool,
        /// Only this namespace: an inode, a PID (its namespace), a name in /run/netns, or a path.
        #[arg(long, value_parser = args::netns)]
        netns: Option<String>,
        /// Seconds between refreshes (0.01 to 86400).
        #[arg(long, default_value = "2", value_parser = args::seconds)]
        interval: std::time::Duration,
        /// Stop after this many refreshes.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        /// Lines shown at most.
        #[arg(long, default_value = "20", value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// Sum the lines by one field (most frequent first): reason, hook,
        /// location or netns.
        #[arg(long, value_enum)]
        by: Option<drops::GroupBy>,
    },
    /// Show the drop monitor's configuration and counters; with options,
    /// change it first (module-wide: needs CAP_NET_ADMIN in the initial
    /// namespace). Filters given replace the current ones.
    Config {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        set: drops::ConfigSet,
    },
}

#[derive(Subcommand)]
enum ConntrackCommand {
    /// Per-CPU counters of /proc/net/stat/nf_conntrack in this namespace;
    /// with --watch, deltas every interval. Counters that mean lost packets
    /// (insert_failed, drop, early_drop) are marked with "!".
    Stats {
        #[arg(long)]
        json: bool,
        /// Print deltas every SECONDS (0.01 to 86400; 1 when given without a value).
        #[arg(long, num_args = 0..=1, default_missing_value = "1", value_parser = args::seconds)]
        watch: Option<std::time::Duration>,
        /// With --watch: stop after this many intervals.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RecordKind {
    Drop,
    Rst,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnOff {
    On,
    Off,
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        // A reader that went away (`nfscope ... | head`) is not an error.
        let closed_pipe = e
            .chain()
            .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe));
        if closed_pipe {
            std::process::exit(0);
        }
        eprintln!("nfscope: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Status { json } => {
            let status = Client::connect()?.status()?;
            let mut out = std::io::stdout().lock();
            if json {
                output::status_json(&mut out, &status)?;
            } else {
                output::status_table(&mut out, &status)?;
            }
        }
        Command::Drops { command: DropsCommand::Watch { json, time, kind, count, pcap, filters } } => {
            let (d, r) = (!matches!(kind, RecordKind::Rst), !matches!(kind, RecordKind::Drop));
            let mut format = drops::RecordFormat::new(json, time);
            format.pcap = pcap.create()?;
            let result = drops::watch(&mut std::io::stdout().lock(), &mut format, &filters, d, r, count);
            pcap.finish(format.pcap.as_ref(), result)?;
        }
        Command::Drops { command: DropsCommand::Top { json, netns, interval, count, limit, by } } => {
            let netns = netns.as_deref().map(drops::netns_inode).transpose()?;
            drops::top(&mut std::io::stdout().lock(), json, netns, interval, count, limit as usize, by)?;
        }
        Command::Drops { command: DropsCommand::Config { json, set } } => {
            drops::config(&mut std::io::stdout().lock(), json, &set)?;
        }
        Command::Conntrack { command: ConntrackCommand::Stats { json, watch, count } } => {
            conntrack::stats(&mut std::io::stdout().lock(), json, watch, count)?;
        }
        Command::Toa { command } => toa::run(command, &mut std::io::stdout().lock())?,
        Command::Trace { command } => trace::run(command, &mut std::io::stdout().lock())?,
        Command::Exporter { once: true, format, .. } => exporter::once(&mut std::io::stdout().lock(), format)?,
        Command::Exporter { listen, .. } => exporter::serve(listen)?,
        Command::Config { hooks } => {
            let change = ConfigChange { hooks_enabled: hooks.map(|h| matches!(h, OnOff::On)) };
            if change.hooks_enabled.is_none() {
                anyhow::bail!("nothing to change: pass --hooks on|off");
            }
            Client::connect()?.set_config(&change)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Every leaf command's path (`["drops", "watch"]`) with its options'
    /// long names and its positional argument count.
    fn leaves(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Vec<String>, usize)>) {
        if cmd.has_subcommands() {
            for sub in cmd.get_subcommands() {
                path.push(sub.get_name().to_string());
                leaves(sub, path, out);
                path.pop();
            }
            return;
        }
        let longs = cmd.get_arguments().filter_map(|a| a.get_long()).filter(|l| *l != "help").map(|l| format!("--{l}")).collect();
        let positionals = cmd.get_positionals().count();
        out.push((path.clone(), longs, positionals));
    }

    /// xorshift64*: a deterministic source of choices.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn pick<'a>(&mut self, from: &'a [&'a str]) -> &'a str {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    const VALUES: &[&str] = &[
        "0", "1", "-1", "2", "16", "17", "32", "33", "255", "256", "65535", "65536", "4294967295", "4294967296",
        "18446744073709551615", "18446744073709551616", "-9223372036854775809", "nan", "NaN", "inf", "-inf", "1e308",
        "1e-308", "-0", "0.001", "0.5", "86400", "86401", "1e3", "0x10", " 1", "", " ", "tcp", "udp", "icmpv6", "none",
        "all", "drop", "rst", "hooks", "toa", "drop,rst", ",", ",,", "on", "off", "LOCAL_IN", "local_in", "netfilter",
        "NETFILTER_DROP", "NO_SOCKET,", "10.0.0.0/8", "10.0.0.1/33", "::1", "::/129", "2001:db8::/32", "[::1]:80",
        "1.2.3.4:99999", "1.2.3.4:0", "256.1.1.1", "port4,port6", "cdn", "vpc-id,none", "kfree-skb", "tcp-send-reset",
        "module:drop", "module:nope", "skb:kfree_skb", "/", "/nonexistent/ns", "é", "\u{0}", "-x", "--", "-",
        "--json", "x=y",
    ];

    /// Parses generated argument lists for every command: random options
    /// with numbers (NaN, infinities, negatives, huge), addresses, names and
    /// junk; parsing, value checks and the filter building that follows
    /// must answer with a value or an error, never a panic.
    #[test]
    fn no_argument_list_panics() {
        let mut all = Vec::new();
        leaves(&Cli::command(), &mut Vec::new(), &mut all);
        assert!(all.len() >= 15, "commands found: {}", all.len());
        let long_junk = "9".repeat(5000);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut parsed_ok = 0;
        for round in 0..30_000 {
            let (path, longs, positionals) = &all[round % all.len()];
            let mut argv = vec!["nfscope".to_string()];
            argv.extend(path.iter().cloned());
            for _ in 0..rng.next() % 6 {
                match rng.next() % 8 {
                    0 if *positionals > 0 => argv.push(rng.pick(VALUES).to_string()),
                    1 => argv.push(long_junk.clone()),
                    2 | 3 if !longs.is_empty() => argv.push(format!("{}={}", longs[(rng.next() % longs.len() as u64) as usize], rng.pick(VALUES))),
                    _ if !longs.is_empty() => {
                        argv.push(longs[(rng.next() % longs.len() as u64) as usize].clone());
                        argv.push(rng.pick(VALUES).to_string());
                    }
                    _ => argv.push(rng.pick(VALUES).to_string()),
                }
            }
            let outcome = std::panic::catch_unwind(|| match Cli::try_parse_from(&argv) {
                Ok(cli) => {
                    checks_after_parsing(&cli);
                    true
                }
                Err(e) => {
                    // A refusal names what was wrong.
                    assert!(!e.to_string().is_empty());
                    false
                }
            });
            match outcome {
                Ok(ok) => parsed_ok += usize::from(ok),
                Err(_) => panic!("panicked on {argv:?}"),
            }
        }
        // The generator reaches commands that parse, not only refusals.
        assert!(parsed_ok > 1000, "only {parsed_ok} argument lists parsed");
    }

    /// The work done on parsed values before the kernel is asked anything.
    fn checks_after_parsing(cli: &Cli) {
        let filters = match &cli.command {
            Command::Drops { command: DropsCommand::Watch { filters, .. } } => Some(filters),
            Command::Drops { command: DropsCommand::Config { set, .. } } => Some(&set.filters),
            Command::Trace { command: trace::TraceCommand::Watch { filters, .. } | trace::TraceCommand::Enable { filters, .. } } => Some(filters),
            _ => None,
        };
        if let Some(f) = filters {
            let _ = f.apply(&nfscope_client::DropConfig::default());
        }
    }

    #[test]
    fn bad_numbers_are_refused_with_the_option_named() {
        for (argv, option) in [
            (&["nfscope", "conntrack", "stats", "--watch", "nan"][..], "--watch"),
            (&["nfscope", "conntrack", "stats", "--watch=-1"][..], "--watch"),
            (&["nfscope", "drops", "top", "--interval", "inf"][..], "--interval"),
            (&["nfscope", "drops", "top", "--interval", "1e300"][..], "--interval"),
            (&["nfscope", "drops", "config", "--stack-depth", "17"][..], "--stack-depth"),
            (&["nfscope", "drops", "config", "--sample", "0"][..], "--sample"),
            (&["nfscope", "drops", "watch", "--addr", "10.0.0.0/33"][..], "--addr"),
            (&["nfscope", "trace", "watch", "kfree-skb", "--ring-kib", "3"][..], "--ring-kib"),
            (&["nfscope", "toa", "filter", "1.2.3.4:99999"][..], "CLIENT"),
        ] {
            let e = Cli::try_parse_from(argv).err().unwrap_or_else(|| panic!("{argv:?} was accepted"));
            assert!(e.to_string().contains(option), "{argv:?}: {e}");
        }
    }
}
