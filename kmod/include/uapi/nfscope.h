/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nfscope's userspace ABI: the generic netlink family "nfscope".
 *
 * This header is the single source of truth. The module's C shim includes it,
 * the module's Rust code and the userspace crates get it through bindgen.
 * Numbers are append-only: never renumber or reuse a value.
 */
#ifndef _UAPI_NFSCOPE_H
#define _UAPI_NFSCOPE_H

#define NFSCOPE_GENL_NAME "nfscope"
#define NFSCOPE_GENL_VERSION 1
/* Multicast group for event records (drops, resets). */
#define NFSCOPE_GENL_MCGRP_EVENTS "events"

enum nfscope_cmd {
	NFSCOPE_CMD_UNSPEC,
	/* Module version, configuration and counters of the caller's netns. */
	NFSCOPE_CMD_GET_STATUS,
	/* Change the caller's netns configuration. Needs CAP_NET_ADMIN. */
	NFSCOPE_CMD_SET_CONFIG,
	__NFSCOPE_CMD_MAX,
};
#define NFSCOPE_CMD_MAX (__NFSCOPE_CMD_MAX - 1)

enum nfscope_attr {
	NFSCOPE_A_UNSPEC,
	NFSCOPE_A_PAD,
	/* string: the module's version */
	NFSCOPE_A_MODULE_VERSION,
	/* u32: inode number of the netns the answer is about */
	NFSCOPE_A_NETNS_INODE,
	/* u8 (0 or 1): whether the netfilter hooks do their work in this netns */
	NFSCOPE_A_HOOKS_ENABLED,
	/* s32: priority the module's netfilter hooks are registered at */
	NFSCOPE_A_HOOK_PRIORITY,
	/* nested: one NFSCOPE_A_COUNTER per (family, hook) */
	NFSCOPE_A_COUNTERS,
	/* nested, inside NFSCOPE_A_COUNTERS: enum nfscope_counter_attr */
	NFSCOPE_A_COUNTER,
	/* u32: network namespaces the module currently has state for */
	NFSCOPE_A_NETNS_COUNT,
	__NFSCOPE_A_MAX,
};
#define NFSCOPE_A_MAX (__NFSCOPE_A_MAX - 1)

enum nfscope_counter_attr {
	NFSCOPE_COUNTER_A_UNSPEC,
	NFSCOPE_COUNTER_A_PAD,
	/* u8: NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10) */
	NFSCOPE_COUNTER_A_FAMILY,
	/* u8: NF_INET_PRE_ROUTING (0) .. NF_INET_POST_ROUTING (4) */
	NFSCOPE_COUNTER_A_HOOK,
	/* u64 */
	NFSCOPE_COUNTER_A_PACKETS,
	/* u64 */
	NFSCOPE_COUNTER_A_BYTES,
	__NFSCOPE_COUNTER_A_MAX,
};
#define NFSCOPE_COUNTER_A_MAX (__NFSCOPE_COUNTER_A_MAX - 1)

#endif /* _UAPI_NFSCOPE_H */
