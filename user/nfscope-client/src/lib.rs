//! A client for nfscope.ko's generic netlink family `nfscope`.
//!
//! [`Client::connect`] resolves the family; its methods send one command each
//! and decode the reply into plain types. Errors say what to do next.

mod drops;
pub mod kallsyms;
mod netlink;
mod status;
mod toa;

pub use drops::{DropConfig, DropStats, DropStream, SummaryLine, HOOK_FILTERS, PROBE_NAMES};

pub use netlink::{Attrs, NetlinkError};
pub use status::{HookCounter, Status};
pub use toa::{Cidr, ToaEntry, ToaStats};

use netlink::{Attr, GenlSocket};
use nfscope_codec::uapi;

/// What can go wrong talking to the module.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "module not loaded: the kernel has no generic netlink family \"nfscope\" \
         (load it: insmod nfscope.ko, or scripts/build-module.sh to build it)"
    )]
    ModuleNotLoaded,
    #[error("{what} needs CAP_NET_ADMIN in this network namespace (run as root, or grant the capability)")]
    PermissionDenied { what: &'static str },
    #[error("{what} needs CAP_SYS_ADMIN: records carry raw kernel addresses (run as root)")]
    NeedsSysAdmin { what: &'static str },
    #[error("the module rejected {what}: {source}")]
    Rejected { what: &'static str, source: NetlinkError },
    #[error("netlink: {0}")]
    Netlink(#[from] NetlinkError),
    #[error("the module's family speaks version {found}, this nfscope speaks {expected}: use matching module and CLI")]
    VersionMismatch { found: u32, expected: u32 },
}

/// A connection to the module, in the caller's network namespace.
pub struct Client {
    sock: GenlSocket,
    family: u16,
    groups: Vec<(String, u32)>,
}

/// Configuration changes; `None` leaves a setting as it is.
#[derive(Debug, Default, Clone)]
pub struct ConfigChange {
    pub hooks_enabled: Option<bool>,
}

impl Client {
    /// Opens a generic netlink socket and resolves the `nfscope` family.
    pub fn connect() -> Result<Self, Error> {
        let mut sock = GenlSocket::open()?;
        let family = match sock.resolve_family(uapi::family_name()) {
            Ok(f) => f,
            Err(e) if e.errno() == Some(nix::errno::Errno::ENOENT) => return Err(Error::ModuleNotLoaded),
            Err(e) => return Err(e.into()),
        };
        if family.version != uapi::NFSCOPE_GENL_VERSION {
            return Err(Error::VersionMismatch { found: family.version, expected: uapi::NFSCOPE_GENL_VERSION });
        }
        Ok(Self { sock, family: family.id, groups: family.groups })
    }

    /// Turns this connection into a stream of drop events (init_net only;
    /// needs CAP_SYS_ADMIN).
    pub fn drop_events(mut self) -> Result<DropStream, Error> {
        let group = self
            .groups
            .iter()
            .find(|(n, _)| n == "events")
            .map(|(_, id)| *id)
            .ok_or(NetlinkError::Protocol("the family has no \"events\" group".into()))?;
        self.sock.join_group(group).map_err(|e| match e.errno() {
            Some(nix::errno::Errno::EPERM) => Error::NeedsSysAdmin { what: "listening to drop records" },
            _ => classify(e, "listening to drop records"),
        })?;
        // Names come from the module, asked once per address: no
        // /proc/kallsyms to read (seconds on a slow machine; CAP_SYSLOG).
        let mut names = Client::connect()?;
        // Asked now, so that a caller who may not have names hears it here
        // rather than seeing bare addresses.
        names.symbols(&[0])?;
        let symbols = kallsyms::Symbolizer::from_module(names);
        self.sock.set_rcvbuf(8 << 20);
        // Deliveries this socket cannot take are then counted by the module
        // and reported as lost, with their number.
        self.sock.set_broadcast_error()?;
        Ok(DropStream::new(self.sock, self.family, symbols))
    }

    /// The drop monitor's configuration and counters.
    pub fn drop_config(&mut self) -> Result<(DropConfig, DropStats), Error> {
        let replies = self
            .sock
            .request(self.family, uapi::NFSCOPE_CMD_DROP_GET_CONFIG as u8, &[])
            .map_err(|e| classify(e, "DROP_GET_CONFIG"))?;
        let reply = replies.first().ok_or(NetlinkError::Protocol("DROP_GET_CONFIG: no reply".into()))?;
        let stats = netlink::Attrs(reply).require(uapi::NFSCOPE_A_DROP_STATS, "drop stats")?;
        Ok((DropConfig::decode(reply)?, DropStats::decode(stats)?))
    }

    /// Replaces the drop monitor's configuration (needs CAP_NET_ADMIN in
    /// the initial namespace).
    pub fn set_drop_config(&mut self, config: &DropConfig) -> Result<(), Error> {
        let attrs = config.attrs().map_err(|m| Error::Rejected { what: "the drop configuration", source: NetlinkError::Protocol(m) })?;
        self.sock
            .request(self.family, uapi::NFSCOPE_CMD_DROP_SET_CONFIG as u8, &attrs)
            .map_err(|e| classify(e, "changing the drop configuration"))?;
        Ok(())
    }

    /// `%pS` of each address (32 at most), as the module names them.
    pub fn symbols(&mut self, addrs: &[u64]) -> Result<Vec<String>, Error> {
        let bytes: Vec<u8> = addrs.iter().flat_map(|a| a.to_ne_bytes()).collect();
        let replies = self
            .sock
            .request(self.family, uapi::NFSCOPE_CMD_SYMBOLS as u8, &[Attr::bytes(uapi::NFSCOPE_A_ADDRS as u16, &bytes)])
            .map_err(|e| classify(e, "naming kernel addresses"))?;
        let reply = replies.first().ok_or(NetlinkError::Protocol("SYMBOLS: no reply".into()))?;
        let names = netlink::Attrs(reply)
            .iter()
            .filter_map(|a| match a {
                Ok((k, p)) if u32::from(k) == uapi::NFSCOPE_A_SYMBOL => Some(netlink::get_string(p)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if names.len() != addrs.len() {
            return Err(NetlinkError::Protocol(format!("SYMBOLS: {} names for {} addresses", names.len(), addrs.len())).into());
        }
        Ok(names)
    }

    /// The drop summary (all namespaces from init_net, else the caller's).
    pub fn drop_summary(&mut self) -> Result<Vec<SummaryLine>, Error> {
        let msgs = self
            .sock
            .dump(self.family, uapi::NFSCOPE_CMD_DROP_SUMMARY as u8, &[])
            .map_err(|e| classify(e, "DROP_SUMMARY"))?;
        msgs.iter().map(|m| SummaryLine::decode(m).map_err(Error::from)).collect()
    }

    /// Module version, configuration and counters of the caller's namespace.
    pub fn status(&mut self) -> Result<Status, Error> {
        let replies = self
            .sock
            .request(self.family, uapi::NFSCOPE_CMD_GET_STATUS as u8, &[])
            .map_err(|e| classify(e, "GET_STATUS"))?;
        let reply = replies.first().ok_or(NetlinkError::Protocol("GET_STATUS: no reply".into()))?;
        Ok(Status::decode(reply)?)
    }

    /// Changes the caller's namespace configuration (needs CAP_NET_ADMIN).
    pub fn set_config(&mut self, change: &ConfigChange) -> Result<(), Error> {
        let mut attrs = Vec::new();
        if let Some(on) = change.hooks_enabled {
            attrs.push(Attr::u8(uapi::NFSCOPE_A_HOOKS_ENABLED as u16, on.into()));
        }
        self.set_config_raw(&attrs)
    }

    /// The TOA table of the caller's namespace.
    pub fn toa_list(&mut self) -> Result<Vec<ToaEntry>, Error> {
        let msgs = self
            .sock
            .dump(self.family, uapi::NFSCOPE_CMD_TOA_GET as u8, &[])
            .map_err(|e| classify(e, "TOA_GET"))?;
        msgs.iter().map(|m| ToaEntry::decode(m).map_err(Error::from)).collect()
    }

    /// TOA counters, trust list and kinds of the caller's namespace.
    pub fn toa_stats(&mut self) -> Result<ToaStats, Error> {
        let replies = self
            .sock
            .request(self.family, uapi::NFSCOPE_CMD_TOA_GET_STATS as u8, &[])
            .map_err(|e| classify(e, "TOA_GET_STATS"))?;
        let reply = replies.first().ok_or(NetlinkError::Protocol("TOA_GET_STATS: no reply".into()))?;
        Ok(ToaStats::decode(reply)?)
    }

    /// Adds (or with `add == false` removes) a trusted TOA sender prefix
    /// (needs CAP_NET_ADMIN).
    pub fn toa_trust(&mut self, cidr: &Cidr, add: bool) -> Result<(), Error> {
        let (cmd, what) = if add {
            (uapi::NFSCOPE_CMD_TOA_TRUST_ADD, "TOA_TRUST_ADD")
        } else {
            (uapi::NFSCOPE_CMD_TOA_TRUST_DEL, "TOA_TRUST_DEL")
        };
        let attrs = [
            Attr { kind: uapi::NFSCOPE_A_ADDR as u16, payload: cidr.addr_bytes() },
            Attr::u8(uapi::NFSCOPE_A_PREFIX_LEN as u16, cidr.prefix),
        ];
        self.sock.request(self.family, cmd as u8, &attrs).map_err(|e| classify(e, what))?;
        Ok(())
    }

    /// Sets the TOA layouts option `kind` carries (`layouts` by name; empty:
    /// the kind is no longer decoded). Needs CAP_NET_ADMIN.
    pub fn toa_set_kind(&mut self, kind: u8, layouts: &[nfscope_codec::toa::Layout]) -> Result<(), Error> {
        let bits = layouts.iter().fold(0u32, |b, l| b | 1 << (*l as u32));
        let attrs = [
            Attr::u8(uapi::NFSCOPE_A_TOA_KIND as u16, kind),
            Attr::u32(uapi::NFSCOPE_A_TOA_LAYOUTS as u16, bits),
        ];
        self.sock
            .request(self.family, uapi::NFSCOPE_CMD_TOA_SET_KIND as u8, &attrs)
            .map_err(|e| classify(e, "TOA_SET_KIND"))?;
        Ok(())
    }

    /// Sends SET_CONFIG with exactly `attrs`, for tools that test the module's
    /// input checks.
    pub fn set_config_raw(&mut self, attrs: &[Attr]) -> Result<(), Error> {
        self.sock
            .request(self.family, uapi::NFSCOPE_CMD_SET_CONFIG as u8, attrs)
            .map_err(|e| classify(e, "SET_CONFIG"))?;
        Ok(())
    }
}

fn classify(e: NetlinkError, what: &'static str) -> Error {
    match e.errno() {
        Some(nix::errno::Errno::EPERM) => Error::PermissionDenied { what },
        Some(_) => Error::Rejected { what, source: e },
        None => Error::Netlink(e),
    }
}

pub use netlink::Attr as RawAttr;
