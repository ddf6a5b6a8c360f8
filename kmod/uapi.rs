// SPDX-License-Identifier: GPL-2.0

//! The UAPI constants (`include/uapi/nfscope.h`) under Rust names, so logic code
//! needs no raw bindings.

#![allow(dead_code)]

use crate::bindings as b;

pub(crate) const GENL_VERSION: u32 = b::NFSCOPE_GENL_VERSION;

pub(crate) const CMD_GET_STATUS: u8 = b::NFSCOPE_CMD_GET_STATUS as u8;
pub(crate) const CMD_SET_CONFIG: u8 = b::NFSCOPE_CMD_SET_CONFIG as u8;

pub(crate) const A_PAD: u32 = b::NFSCOPE_A_PAD;
pub(crate) const A_MODULE_VERSION: u32 = b::NFSCOPE_A_MODULE_VERSION;
pub(crate) const A_NETNS_INODE: u32 = b::NFSCOPE_A_NETNS_INODE;
pub(crate) const A_HOOKS_ENABLED: u32 = b::NFSCOPE_A_HOOKS_ENABLED;
pub(crate) const A_HOOK_PRIORITY: u32 = b::NFSCOPE_A_HOOK_PRIORITY;
pub(crate) const A_COUNTERS: u32 = b::NFSCOPE_A_COUNTERS;
pub(crate) const A_COUNTER: u32 = b::NFSCOPE_A_COUNTER;
pub(crate) const A_NETNS_COUNT: u32 = b::NFSCOPE_A_NETNS_COUNT;

pub(crate) const COUNTER_A_PAD: u32 = b::NFSCOPE_COUNTER_A_PAD;
pub(crate) const COUNTER_A_FAMILY: u32 = b::NFSCOPE_COUNTER_A_FAMILY;
pub(crate) const COUNTER_A_HOOK: u32 = b::NFSCOPE_COUNTER_A_HOOK;
pub(crate) const COUNTER_A_PACKETS: u32 = b::NFSCOPE_COUNTER_A_PACKETS;
pub(crate) const COUNTER_A_BYTES: u32 = b::NFSCOPE_COUNTER_A_BYTES;

pub(crate) const NFPROTO_IPV4: u8 = b::NFPROTO_IPV4 as u8;
pub(crate) const NFPROTO_IPV6: u8 = b::NFPROTO_IPV6 as u8;
