// SPDX-License-Identifier: GPL-2.0

//! The UAPI constants (`include/uapi/nfscope.h`) under Rust names, so logic code
//! needs no raw bindings.

#![allow(dead_code)]

use crate::bindings as b;

pub(crate) const GENL_VERSION: u32 = b::NFSCOPE_GENL_VERSION;

pub(crate) const CMD_GET_STATUS: u8 = b::NFSCOPE_CMD_GET_STATUS as u8;
pub(crate) const CMD_SET_CONFIG: u8 = b::NFSCOPE_CMD_SET_CONFIG as u8;
pub(crate) const CMD_TOA_GET: u8 = b::NFSCOPE_CMD_TOA_GET as u8;
pub(crate) const CMD_TOA_GET_STATS: u8 = b::NFSCOPE_CMD_TOA_GET_STATS as u8;
pub(crate) const CMD_TOA_TRUST_ADD: u8 = b::NFSCOPE_CMD_TOA_TRUST_ADD as u8;
pub(crate) const CMD_TOA_TRUST_DEL: u8 = b::NFSCOPE_CMD_TOA_TRUST_DEL as u8;
pub(crate) const CMD_TOA_SET_KIND: u8 = b::NFSCOPE_CMD_TOA_SET_KIND as u8;

pub(crate) const A_PAD: u32 = b::NFSCOPE_A_PAD;
pub(crate) const A_MODULE_VERSION: u32 = b::NFSCOPE_A_MODULE_VERSION;
pub(crate) const A_NETNS_INODE: u32 = b::NFSCOPE_A_NETNS_INODE;
pub(crate) const A_HOOKS_ENABLED: u32 = b::NFSCOPE_A_HOOKS_ENABLED;
pub(crate) const A_HOOK_PRIORITY: u32 = b::NFSCOPE_A_HOOK_PRIORITY;
pub(crate) const A_COUNTERS: u32 = b::NFSCOPE_A_COUNTERS;
pub(crate) const A_COUNTER: u32 = b::NFSCOPE_A_COUNTER;
pub(crate) const A_NETNS_COUNT: u32 = b::NFSCOPE_A_NETNS_COUNT;
pub(crate) const A_TOA_ENTRY: u32 = b::NFSCOPE_A_TOA_ENTRY;
pub(crate) const A_TOA_STATS: u32 = b::NFSCOPE_A_TOA_STATS;
pub(crate) const A_TOA_TRUST: u32 = b::NFSCOPE_A_TOA_TRUST;
pub(crate) const A_CIDR: u32 = b::NFSCOPE_A_CIDR;
pub(crate) const A_ADDR: u32 = b::NFSCOPE_A_ADDR;
pub(crate) const A_PREFIX_LEN: u32 = b::NFSCOPE_A_PREFIX_LEN;
pub(crate) const A_TOA_KIND: u32 = b::NFSCOPE_A_TOA_KIND;
pub(crate) const A_TOA_LAYOUTS: u32 = b::NFSCOPE_A_TOA_LAYOUTS;
pub(crate) const A_TOA_KIND_MAP: u32 = b::NFSCOPE_A_TOA_KIND_MAP;

pub(crate) const TOA_A_SADDR: u32 = b::NFSCOPE_TOA_A_SADDR;
pub(crate) const TOA_A_SPORT: u32 = b::NFSCOPE_TOA_A_SPORT;
pub(crate) const TOA_A_DADDR: u32 = b::NFSCOPE_TOA_A_DADDR;
pub(crate) const TOA_A_DPORT: u32 = b::NFSCOPE_TOA_A_DPORT;
pub(crate) const TOA_A_CLIENT_ADDR: u32 = b::NFSCOPE_TOA_A_CLIENT_ADDR;
pub(crate) const TOA_A_CLIENT_PORT: u32 = b::NFSCOPE_TOA_A_CLIENT_PORT;
pub(crate) const TOA_A_VIP_ADDR: u32 = b::NFSCOPE_TOA_A_VIP_ADDR;
pub(crate) const TOA_A_VIP_PORT: u32 = b::NFSCOPE_TOA_A_VIP_PORT;
pub(crate) const TOA_A_VPC_ID: u32 = b::NFSCOPE_TOA_A_VPC_ID;
pub(crate) const TOA_A_KIND: u32 = b::NFSCOPE_TOA_A_KIND;
pub(crate) const TOA_A_LEN: u32 = b::NFSCOPE_TOA_A_LEN;
pub(crate) const TOA_A_LAYOUT: u32 = b::NFSCOPE_TOA_A_LAYOUT;
pub(crate) const TOA_A_AGE_MS: u32 = b::NFSCOPE_TOA_A_AGE_MS;
pub(crate) const TOA_A_PAD: u32 = b::NFSCOPE_TOA_A_PAD;
pub(crate) const TOA_STAT_PAD: u32 = b::NFSCOPE_TOA_STAT_PAD;

pub(crate) const COUNTER_A_PAD: u32 = b::NFSCOPE_COUNTER_A_PAD;
pub(crate) const COUNTER_A_FAMILY: u32 = b::NFSCOPE_COUNTER_A_FAMILY;
pub(crate) const COUNTER_A_HOOK: u32 = b::NFSCOPE_COUNTER_A_HOOK;
pub(crate) const COUNTER_A_PACKETS: u32 = b::NFSCOPE_COUNTER_A_PACKETS;
pub(crate) const COUNTER_A_BYTES: u32 = b::NFSCOPE_COUNTER_A_BYTES;

pub(crate) const NFPROTO_IPV4: u8 = b::NFPROTO_IPV4 as u8;
pub(crate) const NFPROTO_IPV6: u8 = b::NFPROTO_IPV6 as u8;

pub(crate) const A_LOST: u32 = b::NFSCOPE_A_LOST;
pub(crate) const A_RECORD: u32 = b::NFSCOPE_A_RECORD;
pub(crate) const A_ADDRS: u32 = b::NFSCOPE_A_ADDRS;
pub(crate) const A_SYMBOL: u32 = b::NFSCOPE_A_SYMBOL;
pub(crate) const CMD_SYMBOLS: u8 = b::NFSCOPE_CMD_SYMBOLS as u8;

/// `struct nfscope_record`: what listeners get for a drop or reset.
pub(crate) type Record = b::nfscope_record;
pub(crate) const RECORD_DROP: u8 = b::NFSCOPE_RECORD_DROP as u8;
pub(crate) const RECORD_RST: u8 = b::NFSCOPE_RECORD_RST as u8;
pub(crate) const REC_PORTS: u8 = b::NFSCOPE_REC_PORTS as u8;
pub(crate) const REC_TCP_FLAGS: u8 = b::NFSCOPE_REC_TCP_FLAGS as u8;
pub(crate) const REC_TCP_STATE: u8 = b::NFSCOPE_REC_TCP_STATE as u8;
pub(crate) const REC_HOOK: u8 = b::NFSCOPE_REC_HOOK as u8;
pub(crate) const REC_HOOK_REG: u8 = b::NFSCOPE_REC_HOOK_REG as u8;
pub(crate) const REC_HOOK_NFT: u8 = b::NFSCOPE_REC_HOOK_NFT as u8;
/// Frames kept per record.
pub(crate) const STACK_DEPTH: usize = b::NFSCOPE_STACK_MAX as usize;

pub(crate) const NF_DROP: u32 = b::NF_DROP;

pub(crate) const CMD_DROP_GET_CONFIG: u8 = b::NFSCOPE_CMD_DROP_GET_CONFIG as u8;
pub(crate) const CMD_DROP_SET_CONFIG: u8 = b::NFSCOPE_CMD_DROP_SET_CONFIG as u8;
pub(crate) const CMD_DROP_SUMMARY: u8 = b::NFSCOPE_CMD_DROP_SUMMARY as u8;

pub(crate) const A_PROBES: u32 = b::NFSCOPE_A_PROBES;
pub(crate) const A_DROP_RECORDS: u32 = b::NFSCOPE_A_DROP_RECORDS;
pub(crate) const A_F_NETNS: u32 = b::NFSCOPE_A_F_NETNS;
pub(crate) const A_F_L4PROTO: u32 = b::NFSCOPE_A_F_L4PROTO;
pub(crate) const A_F_PORT: u32 = b::NFSCOPE_A_F_PORT;
pub(crate) const A_F_REASONS: u32 = b::NFSCOPE_A_F_REASONS;
pub(crate) const A_F_REASONS_EXCLUDE: u32 = b::NFSCOPE_A_F_REASONS_EXCLUDE;
pub(crate) const A_F_HOOK: u32 = b::NFSCOPE_A_F_HOOK;
pub(crate) const A_SAMPLE: u32 = b::NFSCOPE_A_SAMPLE;
pub(crate) const A_RATE: u32 = b::NFSCOPE_A_RATE;
pub(crate) const A_STACK_DEPTH: u32 = b::NFSCOPE_A_STACK_DEPTH;
pub(crate) const A_SNAPLEN: u32 = b::NFSCOPE_A_SNAPLEN;
pub(crate) const A_PACKET: u32 = b::NFSCOPE_A_PACKET;
pub(crate) const SNAPLEN_MAX: usize = b::NFSCOPE_SNAPLEN_MAX as usize;
pub(crate) const A_DROP_STATS: u32 = b::NFSCOPE_A_DROP_STATS;
pub(crate) const A_DROP_SUM: u32 = b::NFSCOPE_A_DROP_SUM;
pub(crate) const A_SUPPRESSED: u32 = b::NFSCOPE_A_SUPPRESSED;

pub(crate) const PROBE_DROP: u32 = 1 << b::NFSCOPE_PROBE_DROP;
pub(crate) const PROBE_RST: u32 = 1 << b::NFSCOPE_PROBE_RST;
pub(crate) const PROBE_HOOKS: u32 = 1 << b::NFSCOPE_PROBE_HOOKS;
pub(crate) const PROBE_TOA: u32 = 1 << b::NFSCOPE_PROBE_TOA;
pub(crate) const PROBE_ALL: u32 = (1 << b::__NFSCOPE_PROBE_MAX) - 1;

pub(crate) const HOOK_FILTER_ANY: u8 = b::NFSCOPE_HOOK_FILTER_ANY as u8;
pub(crate) const HOOK_FILTER_NETFILTER: u8 = b::NFSCOPE_HOOK_FILTER_NETFILTER as u8;
pub(crate) const HOOK_FILTER_NONE: u8 = b::NFSCOPE_HOOK_FILTER_NONE as u8;
pub(crate) const HOOK_FILTER_MAX: u8 = b::__NFSCOPE_HOOK_FILTER_MAX as u8 - 1;

pub(crate) const HOOK_HOW_FREED: u32 = b::NFSCOPE_HOOK_HOW_FREED;
pub(crate) const HOOK_HOW_VERDICT: u32 = b::NFSCOPE_HOOK_HOW_VERDICT;

pub(crate) const CT_DROP_INSERT_FAILED_DYING: u8 = b::NFSCOPE_CT_DROP_INSERT_FAILED_DYING as u8;
pub(crate) const CT_DROP_INSERT_FAILED_CLASH: u8 = b::NFSCOPE_CT_DROP_INSERT_FAILED_CLASH as u8;
pub(crate) const CT_DROP_CHAINTOOLONG: u8 = b::NFSCOPE_CT_DROP_CHAINTOOLONG as u8;
pub(crate) const CT_DROP_CONFIRM_OTHER: u8 = b::NFSCOPE_CT_DROP_CONFIRM_OTHER as u8;

pub(crate) const HOOK_A_FUNC: u32 = b::NFSCOPE_HOOK_A_FUNC;
pub(crate) const HOOK_A_PF: u32 = b::NFSCOPE_HOOK_A_PF;
pub(crate) const HOOK_A_HOOKNUM: u32 = b::NFSCOPE_HOOK_A_HOOKNUM;
pub(crate) const HOOK_A_PRIORITY: u32 = b::NFSCOPE_HOOK_A_PRIORITY;
pub(crate) const HOOK_A_HOW: u32 = b::NFSCOPE_HOOK_A_HOW;
pub(crate) const HOOK_A_TABLE: u32 = b::NFSCOPE_HOOK_A_TABLE;
pub(crate) const HOOK_A_CHAIN: u32 = b::NFSCOPE_HOOK_A_CHAIN;
pub(crate) const HOOK_A_TABLE_FAMILY: u32 = b::NFSCOPE_HOOK_A_TABLE_FAMILY;
pub(crate) const HOOK_A_CT_DROP: u32 = b::NFSCOPE_HOOK_A_CT_DROP;

pub(crate) const DSTAT_PAD: u32 = b::NFSCOPE_DSTAT_PAD;
pub(crate) const DSTAT_COUNT: usize = b::__NFSCOPE_DSTAT_MAX as usize;
pub(crate) const DSTAT_DROPS: usize = b::NFSCOPE_DSTAT_DROPS as usize;
pub(crate) const DSTAT_RSTS: usize = b::NFSCOPE_DSTAT_RSTS as usize;
pub(crate) const DSTAT_ATTRIBUTED: usize = b::NFSCOPE_DSTAT_ATTRIBUTED as usize;
pub(crate) const DSTAT_FILTERED: usize = b::NFSCOPE_DSTAT_FILTERED as usize;
pub(crate) const DSTAT_SUPPRESSED: usize = b::NFSCOPE_DSTAT_SUPPRESSED as usize;
pub(crate) const DSTAT_QUEUED: usize = b::NFSCOPE_DSTAT_QUEUED as usize;
pub(crate) const DSTAT_LOST_RING: usize = b::NFSCOPE_DSTAT_LOST_RING as usize;
pub(crate) const DSTAT_LOST_SEND: usize = b::NFSCOPE_DSTAT_LOST_SEND as usize;
pub(crate) const DSTAT_SENT: usize = b::NFSCOPE_DSTAT_SENT as usize;
pub(crate) const DSTAT_SUMMARY_FULL: usize = b::NFSCOPE_DSTAT_SUMMARY_FULL as usize;
pub(crate) const DSTAT_HOOK_FUNCS: usize = b::NFSCOPE_DSTAT_HOOK_FUNCS as usize;
pub(crate) const DSTAT_HOOK_MISSED: usize = b::NFSCOPE_DSTAT_HOOK_MISSED as usize;

pub(crate) const SUM_A_PAD: u32 = b::NFSCOPE_SUM_A_PAD;
pub(crate) const SUM_A_NETNS: u32 = b::NFSCOPE_SUM_A_NETNS;
pub(crate) const SUM_A_KIND: u32 = b::NFSCOPE_SUM_A_KIND;
pub(crate) const SUM_A_REASON: u32 = b::NFSCOPE_SUM_A_REASON;
pub(crate) const SUM_A_REASON_NAME: u32 = b::NFSCOPE_SUM_A_REASON_NAME;
pub(crate) const SUM_A_LOCATION: u32 = b::NFSCOPE_SUM_A_LOCATION;
pub(crate) const SUM_A_HOOK: u32 = b::NFSCOPE_SUM_A_HOOK;
pub(crate) const SUM_A_COUNT: u32 = b::NFSCOPE_SUM_A_COUNT;
