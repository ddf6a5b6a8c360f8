//! The `nfscope` command: thin glue from subcommands to `nfscope-client` and
//! to output formats.

mod conntrack;
mod drops;
mod output;
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
        /// Which records: drops, resets (TCP RSTs the kernel sends), or both.
        #[arg(long, value_enum, default_value = "all")]
        kind: RecordKind,
        /// Stop after this many records.
        #[arg(long)]
        count: Option<u64>,
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
        /// Only this namespace: an inode, a name in /run/netns, or a path.
        #[arg(long)]
        netns: Option<String>,
        /// Seconds between refreshes.
        #[arg(long, default_value = "2")]
        interval: f64,
        /// Stop after this many refreshes.
        #[arg(long)]
        count: Option<u64>,
        /// Lines shown at most.
        #[arg(long, default_value = "20")]
        limit: usize,
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
        /// Print deltas every SECONDS (default 1 when given without a value).
        #[arg(long, num_args = 0..=1, default_missing_value = "1")]
        watch: Option<f64>,
        /// With --watch: stop after this many intervals.
        #[arg(long)]
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
        Command::Drops { command: DropsCommand::Watch { json, kind, count, filters } } => {
            let (d, r) = (!matches!(kind, RecordKind::Rst), !matches!(kind, RecordKind::Drop));
            drops::watch(&mut std::io::stdout().lock(), json, &filters, d, r, count)?;
        }
        Command::Drops { command: DropsCommand::Top { json, netns, interval, count, limit } } => {
            let netns = netns.as_deref().map(drops::netns_inode).transpose()?;
            drops::top(&mut std::io::stdout().lock(), json, netns, drops::interval(interval)?, count, limit)?;
        }
        Command::Drops { command: DropsCommand::Config { json, set } } => {
            drops::config(&mut std::io::stdout().lock(), json, &set)?;
        }
        Command::Conntrack { command: ConntrackCommand::Stats { json, watch, count } } => {
            let watch = watch.map(std::time::Duration::from_secs_f64);
            conntrack::stats(&mut std::io::stdout().lock(), json, watch, count)?;
        }
        Command::Toa { command } => toa::run(command, &mut std::io::stdout().lock())?,
        Command::Trace { command } => trace::run(command, &mut std::io::stdout().lock())?,
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
