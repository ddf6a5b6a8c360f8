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

pub(crate) const A_DROP: u32 = b::NFSCOPE_A_DROP;
pub(crate) const A_LOST: u32 = b::NFSCOPE_A_LOST;
pub(crate) const DROP_A_PAD: u32 = b::NFSCOPE_DROP_A_PAD;
pub(crate) const DROP_A_TIME_NS: u32 = b::NFSCOPE_DROP_A_TIME_NS;
pub(crate) const DROP_A_CPU: u32 = b::NFSCOPE_DROP_A_CPU;
pub(crate) const DROP_A_PID: u32 = b::NFSCOPE_DROP_A_PID;
pub(crate) const DROP_A_COMM: u32 = b::NFSCOPE_DROP_A_COMM;
pub(crate) const DROP_A_NETNS: u32 = b::NFSCOPE_DROP_A_NETNS;
pub(crate) const DROP_A_IFINDEX: u32 = b::NFSCOPE_DROP_A_IFINDEX;
pub(crate) const DROP_A_L3PROTO: u32 = b::NFSCOPE_DROP_A_L3PROTO;
pub(crate) const DROP_A_L4PROTO: u32 = b::NFSCOPE_DROP_A_L4PROTO;
pub(crate) const DROP_A_SADDR: u32 = b::NFSCOPE_DROP_A_SADDR;
pub(crate) const DROP_A_DADDR: u32 = b::NFSCOPE_DROP_A_DADDR;
pub(crate) const DROP_A_SPORT: u32 = b::NFSCOPE_DROP_A_SPORT;
pub(crate) const DROP_A_DPORT: u32 = b::NFSCOPE_DROP_A_DPORT;
pub(crate) const DROP_A_TCP_FLAGS: u32 = b::NFSCOPE_DROP_A_TCP_FLAGS;
pub(crate) const DROP_A_LEN: u32 = b::NFSCOPE_DROP_A_LEN;
pub(crate) const DROP_A_REASON: u32 = b::NFSCOPE_DROP_A_REASON;
pub(crate) const DROP_A_REASON_NAME: u32 = b::NFSCOPE_DROP_A_REASON_NAME;
pub(crate) const DROP_A_LOCATION: u32 = b::NFSCOPE_DROP_A_LOCATION;
pub(crate) const DROP_A_STACK: u32 = b::NFSCOPE_DROP_A_STACK;
pub(crate) const DROP_A_FRAME: u32 = b::NFSCOPE_DROP_A_FRAME;
pub(crate) const A_RST: u32 = b::NFSCOPE_A_RST;
pub(crate) const DROP_A_TCP_STATE: u32 = b::NFSCOPE_DROP_A_TCP_STATE;
