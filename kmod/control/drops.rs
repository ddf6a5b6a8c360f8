// SPDX-License-Identifier: GPL-2.0

//! The drop monitor's commands: its configuration (read and replaced
//! whole), counters, the summary (a dump) and naming code addresses.

use crate::drops::config::{bit, REASON_BITS, REASON_WORDS};
use crate::drops::{monitor, Config, HookRecord, SumView};
use crate::headers::{AF_INET, AF_INET6};
use crate::uapi::{self, STACK_DEPTH};
use crate::wrap::genetlink::{Dump, Message, Reply, Request};
use crate::wrap::nfhooks::OPS_NFTABLES;
use crate::wrap::symbols;
use crate::netns::NetnsState;
use kernel::prelude::*;

pub(super) fn get_config(request: &Request<'_>) -> Result {
    let monitor = monitor().ok_or(EAGAIN)?;
    let mut reply = request.reply()?;
    put_config(&mut reply, &monitor.config.load())?;
    let stats = reply.nest_start(uapi::A_DROP_STATS)?;
    for (id, value) in monitor.stats().iter().enumerate().skip(2) {
        reply.put_u64(id as u32, *value, uapi::DSTAT_PAD)?;
    }
    reply.nest_end(stats);
    reply.send()
}

/// `%pS` of each address asked for, in order.
pub(super) fn symbols(request: &Request<'_>) -> Result {
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
        reply.put_bytes_str(uapi::A_SYMBOL, symbols::symbol(u64::from_ne_bytes(word), &mut buf))?;
    }
    reply.send()
}

pub(super) fn set_config(request: &Request<'_>) -> Result {
    let monitor = monitor().ok_or(EAGAIN)?;
    let config = config_from_request(request)?;
    monitor.configure(config)
}

/// One message per summary line, most frequent first; the cursor counts
/// lines sent (the summary is re-merged each round: a best-effort view).
pub(super) fn summary(state: &NetnsState, dump: &mut Dump<'_>) -> Result {
    let monitor = monitor().ok_or(EAGAIN)?;
    let netns = if state.is_init() { 0 } else { state.inode() };
    let lines = monitor.summary(netns)?;
    let skip = dump.cursor() as usize;
    let mut sent = 0;
    for line in lines.iter().skip(skip) {
        if dump.add(|m| put_summary_line(m, &line.view())).is_err() {
            break;
        }
        sent += 1;
    }
    dump.set_cursor((skip + sent) as u64);
    Ok(())
}

/// A summary line.
fn put_summary_line(m: &mut Message, v: &SumView<'_>) -> Result {
    let mut buf = [0u8; 128];
    let nest = m.nest_start(uapi::A_DROP_SUM)?;
    m.put_u32(uapi::SUM_A_NETNS, v.netns)?;
    m.put_u8(uapi::SUM_A_KIND, u8::from(v.rst))?;
    m.put_u32(uapi::SUM_A_REASON, v.reason)?;
    let name = if v.rst { symbols::rst_reason_name(v.reason, &mut buf) } else { symbols::drop_reason_name(v.reason, &mut buf) };
    m.put_bytes_str(uapi::SUM_A_REASON_NAME, name)?;
    m.put_bytes_str(uapi::SUM_A_LOCATION, symbols::symbol(v.location, &mut buf))?;
    if let Some(h) = v.hook() {
        put_hook(m, uapi::SUM_A_HOOK, &h)?;
    }
    m.put_u64(uapi::SUM_A_COUNT, v.count, uapi::SUM_A_PAD)?;
    m.nest_end(nest);
    Ok(())
}

/// The attributed hook call `h` as a nested attribute of `kind`.
fn put_hook(m: &mut Message, kind: u32, h: &HookRecord) -> Result {
    let mut buf = [0u8; 128];
    let nest = m.nest_start(kind)?;
    m.put_bytes_str(uapi::HOOK_A_FUNC, symbols::symbol_name(h.func as u64, &mut buf))?;
    m.put_u8(uapi::HOOK_A_PF, h.pf)?;
    m.put_u8(uapi::HOOK_A_HOOKNUM, h.hooknum)?;
    if h.how != 0 {
        m.put_u8(uapi::HOOK_A_HOW, h.how)?;
    }
    if h.ct != 0 {
        m.put_u8(uapi::HOOK_A_CT_DROP, h.ct)?;
    }
    if let Some(d) = &h.desc {
        m.put_s32(uapi::HOOK_A_PRIORITY, d.priority)?;
        if d.ops_type == OPS_NFTABLES {
            m.put_bytes_str(uapi::HOOK_A_TABLE, d.table())?;
            m.put_bytes_str(uapi::HOOK_A_CHAIN, d.chain())?;
            m.put_u8(uapi::HOOK_A_TABLE_FAMILY, d.table_family)?;
        }
    }
    m.nest_end(nest);
    Ok(())
}

/// The reason named `name` (as the kernel names it), if it is a core reason.
fn reason_by_name(name: &[u8]) -> Option<u32> {
    let mut buf = [0u8; 64];
    (0..symbols::drop_reason_max().min(REASON_BITS)).find(|&r| symbols::drop_reason_name(r, &mut buf) == name)
}

/// Parses a comma-separated list of reason names into a bitmap.
fn parse_reasons(list: &[u8]) -> Option<[u64; REASON_WORDS]> {
    let mut map = [0u64; REASON_WORDS];
    let list = core::str::from_utf8(list).ok()?;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let r = reason_by_name(name.as_bytes())?;
        map[(r / 64) as usize] |= 1 << (r % 64);
    }
    Some(map)
}

/// A configuration from the request's attributes (absent: default). The
/// policy has checked types; values are checked here, and a request with
/// a bad value changes nothing.
fn config_from_request(request: &Request<'_>) -> Result<Config> {
    let mut c = Config::default();
    if let Some(p) = request.attr_u32(uapi::A_PROBES) {
        if p & !uapi::PROBE_ALL != 0 {
            return Err(request.invalid_attr(uapi::A_PROBES, c"unknown probe bit"));
        }
        c.probes = p;
    }
    if let Some(r) = request.attr_u8(uapi::A_DROP_RECORDS) {
        if r > 1 {
            return Err(request.invalid_attr(uapi::A_DROP_RECORDS, c"records must be 0 or 1"));
        }
        c.records = r == 1;
    }
    c.netns = request.attr_u32(uapi::A_F_NETNS).unwrap_or(0);
    c.l4proto = request.attr_u8(uapi::A_F_L4PROTO).unwrap_or(0);
    c.port = request.attr_u16(uapi::A_F_PORT).unwrap_or(0);
    if let Some(addr) = request.attr_bytes(uapi::A_ADDR) {
        let (family, max) = match addr.len() {
            4 => (AF_INET as u8, 32),
            16 => (AF_INET6 as u8, 128),
            _ => return Err(request.invalid_attr(uapi::A_ADDR, c"an address is 4 or 16 bytes")),
        };
        let prefix = request.attr_u8(uapi::A_PREFIX_LEN).unwrap_or(max);
        if prefix > max {
            return Err(request.invalid_attr(uapi::A_PREFIX_LEN, c"prefix longer than the address"));
        }
        c.family = family;
        c.prefix = prefix;
        for (dst, src) in c.addr.iter_mut().zip(addr) {
            *dst = *src;
        }
    } else if request.attr_u8(uapi::A_PREFIX_LEN).is_some() {
        return Err(request.invalid_attr(uapi::A_PREFIX_LEN, c"a prefix length needs NFSCOPE_A_ADDR"));
    }
    if let Some(list) = request.attr_str(uapi::A_F_REASONS) {
        c.reasons = parse_reasons(list).ok_or_else(|| request.invalid_attr(uapi::A_F_REASONS, c"unknown drop reason name"))?;
    }
    if let Some(list) = request.attr_str(uapi::A_F_REASONS_EXCLUDE) {
        c.exclude =
            parse_reasons(list).ok_or_else(|| request.invalid_attr(uapi::A_F_REASONS_EXCLUDE, c"unknown drop reason name"))?;
    }
    if let Some(h) = request.attr_u8(uapi::A_F_HOOK) {
        if h > uapi::HOOK_FILTER_MAX {
            return Err(request.invalid_attr(uapi::A_F_HOOK, c"unknown hook filter"));
        }
        c.hook = h;
    }
    c.sample = request.attr_u32(uapi::A_SAMPLE).unwrap_or(1).max(1);
    c.rate = request.attr_u32(uapi::A_RATE).unwrap_or(0);
    if let Some(d) = request.attr_u8(uapi::A_STACK_DEPTH) {
        if d == 0 || d as usize > STACK_DEPTH {
            return Err(request.invalid_attr(uapi::A_STACK_DEPTH, c"stack depth must be 1..16"));
        }
        c.depth = d;
    }
    if let Some(n) = request.attr_u16(uapi::A_SNAPLEN) {
        if n as usize > uapi::SNAPLEN_MAX {
            return Err(request.invalid_attr(uapi::A_SNAPLEN, c"snaplen must be 0..256"));
        }
        c.snaplen = n;
    }
    Ok(c)
}

fn put_reasons(reply: &mut Reply<'_>, kind: u32, map: &[u64; REASON_WORDS]) -> Result {
    if map.iter().all(|&w| w == 0) {
        return Ok(());
    }
    let mut list = KVec::new();
    let mut buf = [0u8; 64];
    for r in (0..REASON_BITS).filter(|&r| bit(map, r)) {
        if !list.is_empty() {
            list.push(b',', GFP_KERNEL)?;
        }
        list.extend_from_slice(symbols::drop_reason_name(r, &mut buf), GFP_KERNEL)?;
    }
    list.push(0, GFP_KERNEL)?;
    reply.put_bytes(kind, &list)
}

/// Puts `c` as the attributes `config_from_request` reads.
fn put_config(reply: &mut Reply<'_>, c: &Config) -> Result {
    reply.put_u32(uapi::A_PROBES, c.probes)?;
    reply.put_u8(uapi::A_DROP_RECORDS, u8::from(c.records))?;
    reply.put_u32(uapi::A_F_NETNS, c.netns)?;
    reply.put_u8(uapi::A_F_L4PROTO, c.l4proto)?;
    reply.put_u16(uapi::A_F_PORT, c.port)?;
    if c.family != 0 {
        let len = if c.family == AF_INET6 as u8 { 16 } else { 4 };
        reply.put_bytes(uapi::A_ADDR, &c.addr[..len])?;
        reply.put_u8(uapi::A_PREFIX_LEN, c.prefix)?;
    }
    put_reasons(reply, uapi::A_F_REASONS, &c.reasons)?;
    put_reasons(reply, uapi::A_F_REASONS_EXCLUDE, &c.exclude)?;
    reply.put_u8(uapi::A_F_HOOK, c.hook)?;
    reply.put_u32(uapi::A_SAMPLE, c.sample)?;
    reply.put_u32(uapi::A_RATE, c.rate)?;
    reply.put_u8(uapi::A_STACK_DEPTH, c.depth)?;
    reply.put_u16(uapi::A_SNAPLEN, c.snaplen)
}
