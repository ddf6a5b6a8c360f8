// SPDX-License-Identifier: GPL-2.0

//! The generic netlink commands: what each one reads or changes in the
//! caller's namespace.

use crate::drops::monitor;
use crate::netns::{netns_count, NetnsState};
use crate::toa::{Cidr, ConnKey, Entry, STAT_COUNT};
use crate::uapi;
use crate::wrap::genetlink::{Dump, GenlHandler, Message, Reply, Request};
use crate::MODULE_VERSION;
use core::net::IpAddr;
use kernel::prelude::*;
use kernel::time::{Instant, Monotonic};

pub(crate) struct Control;

impl GenlHandler for Control {
    type State = NetnsState;

    fn doit(state: &NetnsState, request: &Request<'_>) -> Result {
        match request.cmd() {
            uapi::CMD_GET_STATUS => get_status(state, request),
            uapi::CMD_SET_CONFIG => set_config(state, request),
            uapi::CMD_TOA_GET_STATS => toa_get_stats(state, request),
            uapi::CMD_TOA_TRUST_ADD => toa_trust_change(state, request, true),
            uapi::CMD_TOA_TRUST_DEL => toa_trust_change(state, request, false),
            uapi::CMD_TOA_SET_KIND => toa_set_kind(state, request),
            uapi::CMD_DROP_GET_CONFIG => drop_get_config(request),
            uapi::CMD_DROP_SET_CONFIG => drop_set_config(request),
            uapi::CMD_SYMBOLS => symbols(request),
            // Genetlink only calls us for the commands the shim registers.
            _ => Err(EINVAL),
        }
    }

    fn dump(state: &NetnsState, dump: &mut Dump<'_>) -> Result {
        match dump.cmd() {
            uapi::CMD_TOA_GET => toa_dump(state, dump),
            uapi::CMD_DROP_SUMMARY => drop_summary(state, dump),
            _ => Err(EINVAL),
        }
    }
}

fn put_addr(m: &mut Message, kind: u32, addr: IpAddr) -> Result {
    match addr {
        IpAddr::V4(a) => m.put_bytes(kind, &a.octets()),
        IpAddr::V6(a) => m.put_bytes(kind, &a.octets()),
    }
}

fn put_toa_entry(m: &mut Message, k: &ConnKey, e: &Entry, now: Instant<Monotonic>) -> Result {
    let nest = m.nest_start(uapi::A_TOA_ENTRY)?;
    m.put_bytes(uapi::TOA_A_SADDR, &k.peer[..k.addr_len()])?;
    m.put_u16(uapi::TOA_A_SPORT, k.peer_port)?;
    m.put_bytes(uapi::TOA_A_DADDR, &k.local[..k.addr_len()])?;
    m.put_u16(uapi::TOA_A_DPORT, k.local_port)?;
    let t = &e.toa;
    put_addr(m, uapi::TOA_A_CLIENT_ADDR, t.client)?;
    if let Some(p) = t.client_port {
        m.put_u16(uapi::TOA_A_CLIENT_PORT, p)?;
    }
    if let Some(v) = t.vip {
        put_addr(m, uapi::TOA_A_VIP_ADDR, v)?;
    }
    if let Some(p) = t.vip_port {
        m.put_u16(uapi::TOA_A_VIP_PORT, p)?;
    }
    if let Some(id) = t.vpc_id {
        m.put_u32(uapi::TOA_A_VPC_ID, id)?;
    }
    m.put_u8(uapi::TOA_A_KIND, t.kind)?;
    m.put_u8(uapi::TOA_A_LEN, t.len)?;
    m.put_u8(uapi::TOA_A_LAYOUT, t.layout as u8)?;
    let age = (now - e.created).as_millis().max(0) as u64;
    m.put_u64(uapi::TOA_A_AGE_MS, age, uapi::TOA_A_PAD)?;
    m.nest_end(nest);
    Ok(())
}

/// One message per entry; the cursor counts entries sent. Entries added or
/// removed between rounds may shift the order: a dump is a best-effort view.
fn toa_dump(state: &NetnsState, dump: &mut Dump<'_>) -> Result {
    let skip = dump.cursor() as usize;
    let now = Instant::<Monotonic>::now();
    let sent = state.toa.for_each_entry(skip, |k, e| dump.add(|m| put_toa_entry(m, k, e, now)));
    dump.set_cursor((skip + sent) as u64);
    Ok(())
}

fn toa_get_stats(state: &NetnsState, request: &Request<'_>) -> Result {
    let mut reply = request.reply()?;
    let stats = reply.nest_start(uapi::A_TOA_STATS)?;
    for (id, value) in state.toa.stats().iter().enumerate().skip(2).take(STAT_COUNT - 2) {
        reply.put_u64(id as u32, *value, uapi::TOA_STAT_PAD)?;
    }
    reply.nest_end(stats);
    let trust = reply.nest_start(uapi::A_TOA_TRUST)?;
    state.toa.for_each_trust(|c| {
        let nest = reply.nest_start(uapi::A_CIDR)?;
        let len = if c.family == crate::toa::AF_INET6 { 16 } else { 4 };
        reply.put_bytes(uapi::A_ADDR, &c.addr[..len])?;
        reply.put_u8(uapi::A_PREFIX_LEN, c.prefix)?;
        reply.nest_end(nest);
        Ok(())
    })?;
    reply.nest_end(trust);
    let kinds = reply.nest_start(uapi::A_TOA_KIND_MAP)?;
    state.toa.for_each_kind(|kind, layouts| {
        let nest = reply.nest_start(uapi::A_TOA_KIND_MAP)?;
        reply.put_u8(uapi::A_TOA_KIND, kind)?;
        reply.put_u32(uapi::A_TOA_LAYOUTS, layouts)?;
        reply.nest_end(nest);
        Ok(())
    })?;
    reply.nest_end(kinds);
    reply.send()
}

fn toa_trust_change(state: &NetnsState, request: &Request<'_>, add: bool) -> Result {
    let Some(addr) = request.attr_bytes(uapi::A_ADDR) else {
        return Err(request.invalid(c"trust changes need NFSCOPE_A_ADDR"));
    };
    let prefix = request.attr_u8(uapi::A_PREFIX_LEN).unwrap_or(if addr.len() == 16 { 128 } else { 32 });
    let cidr = Cidr::new(addr, prefix).map_err(|msg| request.invalid_attr(uapi::A_ADDR, msg))?;
    if add {
        state.toa.trust_add(cidr).map_err(|msg| request.fail(ENOSPC, msg, None))
    } else if state.toa.trust_del(cidr) {
        Ok(())
    } else {
        Err(request.fail(ENOENT, c"that prefix is not in the trust list", Some(uapi::A_ADDR)))
    }
}

fn toa_set_kind(state: &NetnsState, request: &Request<'_>) -> Result {
    let (Some(kind), Some(layouts)) = (request.attr_u8(uapi::A_TOA_KIND), request.attr_u32(uapi::A_TOA_LAYOUTS)) else {
        return Err(request.invalid(c"TOA_SET_KIND needs NFSCOPE_A_TOA_KIND and NFSCOPE_A_TOA_LAYOUTS"));
    };
    state.toa.set_kind(kind, layouts).map_err(|msg| request.invalid_attr(uapi::A_TOA_LAYOUTS, msg))
}

fn get_status(state: &NetnsState, request: &Request<'_>) -> Result {
    let mut reply = request.reply()?;
    put_status(state, &mut reply)?;
    reply.send()
}

fn put_status(state: &NetnsState, reply: &mut Reply<'_>) -> Result {
    reply.put_str(uapi::A_MODULE_VERSION, MODULE_VERSION)?;
    reply.put_u32(uapi::A_NETNS_INODE, state.inode())?;
    reply.put_u32(uapi::A_NETNS_COUNT, netns_count())?;
    reply.put_u8(uapi::A_HOOKS_ENABLED, u8::from(state.hooks_enabled()))?;
    reply.put_s32(uapi::A_HOOK_PRIORITY, state.hook_priority())?;
    let counters = reply.nest_start(uapi::A_COUNTERS)?;
    for c in state.counters.snapshot() {
        let counter = reply.nest_start(uapi::A_COUNTER)?;
        reply.put_u8(uapi::COUNTER_A_FAMILY, c.pf)?;
        reply.put_u8(uapi::COUNTER_A_HOOK, c.hooknum as u8)?;
        reply.put_u64(uapi::COUNTER_A_PACKETS, c.packets, uapi::COUNTER_A_PAD)?;
        reply.put_u64(uapi::COUNTER_A_BYTES, c.bytes, uapi::COUNTER_A_PAD)?;
        reply.nest_end(counter);
    }
    reply.nest_end(counters);
    Ok(())
}

/// Applies the configuration attributes present, after checking all of them:
/// a request with a bad value, or with none, changes nothing. The policy has
/// already checked types and lengths.
fn set_config(state: &NetnsState, request: &Request<'_>) -> Result {
    let hooks_enabled = match request.attr_u8(uapi::A_HOOKS_ENABLED) {
        Some(v @ (0 | 1)) => Some(v == 1),
        Some(_) => return Err(request.invalid_attr(uapi::A_HOOKS_ENABLED, c"hooks_enabled must be 0 or 1")),
        None => None,
    };
    let Some(enabled) = hooks_enabled else {
        return Err(request.invalid(c"SET_CONFIG needs a configuration attribute (NFSCOPE_A_HOOKS_ENABLED)"));
    };
    state.set_hooks_enabled(enabled)
}

fn drop_get_config(request: &Request<'_>) -> Result {
    let monitor = monitor().ok_or(EAGAIN)?;
    let mut reply = request.reply()?;
    crate::dropcfg::put(&mut reply, &monitor.config.load())?;
    let stats = reply.nest_start(uapi::A_DROP_STATS)?;
    for (id, value) in monitor.stats().iter().enumerate().skip(2) {
        reply.put_u64(id as u32, *value, uapi::DSTAT_PAD)?;
    }
    reply.nest_end(stats);
    reply.send()
}

/// `%pS` of each address asked for, in order.
fn symbols(request: &Request<'_>) -> Result {
    let addrs = request.attr_bytes(uapi::A_ADDRS).ok_or_else(|| request.invalid(c"NFSCOPE_A_ADDRS missing"))?;
    if addrs.len() % 8 != 0 {
        return Err(request.invalid_attr(uapi::A_ADDRS, c"not a whole number of u64 addresses"));
    }
    let mut reply = request.reply()?;
    let mut buf = [0u8; 128];
    for a in addrs.chunks_exact(8) {
        let mut word = [0u8; 8];
        for (d, s) in word.iter_mut().zip(a) {
            *d = *s;
        }
        reply.put_bytes_str(uapi::A_SYMBOL, crate::wrap::symbols::symbol(u64::from_ne_bytes(word), &mut buf))?;
    }
    reply.send()
}

fn drop_set_config(request: &Request<'_>) -> Result {
    let monitor = monitor().ok_or(EAGAIN)?;
    let config = crate::dropcfg::from_request(request)?;
    monitor.configure(config)
}

/// One message per summary line, most frequent first; the cursor counts
/// lines sent (the summary is re-merged each round: a best-effort view).
fn drop_summary(state: &NetnsState, dump: &mut Dump<'_>) -> Result {
    let monitor = monitor().ok_or(EAGAIN)?;
    let netns = if state.is_init() { 0 } else { state.inode() };
    let lines = monitor.summary(netns)?;
    let skip = dump.cursor() as usize;
    let mut sent = 0;
    for line in lines.iter().skip(skip) {
        if dump.add(|m| line.view().put(m)).is_err() {
            break;
        }
        sent += 1;
    }
    dump.set_cursor((skip + sent) as u64);
    Ok(())
}
