// SPDX-License-Identifier: GPL-2.0

//! The TOA commands: the table (a dump), counters with the trust list and
//! kind table, trust list changes and kind layouts.

use crate::netns::NetnsState;
use crate::toa::{Cidr, ConnKey, Entry, AF_INET6, STAT_COUNT};
use crate::uapi;
use crate::wrap::genetlink::{Dump, Message, Request};
use core::net::IpAddr;
use kernel::prelude::*;
use crate::wrap::context;

fn put_addr(m: &mut Message, kind: u32, addr: IpAddr) -> Result {
    match addr {
        IpAddr::V4(a) => m.put_bytes(kind, &a.octets()),
        IpAddr::V6(a) => m.put_bytes(kind, &a.octets()),
    }
}

fn put_toa_entry(m: &mut Message, k: &ConnKey, e: &Entry, now_ns: u64) -> Result {
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
    m.put_u64(uapi::TOA_A_AGE_MS, e.age_ms(now_ns), uapi::TOA_A_PAD)?;
    m.nest_end(nest);
    Ok(())
}

/// One message per entry; the cursor counts entries sent. Entries added or
/// removed between rounds may shift the order: a dump is a best-effort view.
pub(super) fn dump(state: &NetnsState, dump: &mut Dump<'_>) -> Result {
    let skip = dump.cursor() as usize;
    let now_ns = context::mono_ns();
    let sent = state.toa.for_each_entry(skip, |k, e| dump.add(|m| put_toa_entry(m, k, e, now_ns)));
    dump.set_cursor((skip + sent) as u64);
    Ok(())
}

pub(super) fn get_stats(state: &NetnsState, request: &Request<'_>) -> Result {
    let mut reply = request.reply()?;
    let stats = reply.nest_start(uapi::A_TOA_STATS)?;
    for (id, value) in state.toa.stats().iter().enumerate().skip(2).take(STAT_COUNT - 2) {
        reply.put_u64(id as u32, *value, uapi::TOA_STAT_PAD)?;
    }
    reply.nest_end(stats);
    let trust = reply.nest_start(uapi::A_TOA_TRUST)?;
    state.toa.for_each_trust(|c| {
        let nest = reply.nest_start(uapi::A_CIDR)?;
        let len = if c.family == AF_INET6 { 16 } else { 4 };
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

pub(super) fn trust_change(state: &NetnsState, request: &Request<'_>, add: bool) -> Result {
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

pub(super) fn set_kind(state: &NetnsState, request: &Request<'_>) -> Result {
    let (Some(kind), Some(layouts)) = (request.attr_u8(uapi::A_TOA_KIND), request.attr_u32(uapi::A_TOA_LAYOUTS)) else {
        return Err(request.invalid(c"TOA_SET_KIND needs NFSCOPE_A_TOA_KIND and NFSCOPE_A_TOA_LAYOUTS"));
    };
    state.toa.set_kind(kind, layouts).map_err(|msg| request.invalid_attr(uapi::A_TOA_LAYOUTS, msg))
}
