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

#include <linux/types.h>

#define NFSCOPE_GENL_NAME "nfscope"
#define NFSCOPE_GENL_VERSION 2
/* Multicast group for event records (drops, resets). */
#define NFSCOPE_GENL_MCGRP_EVENTS "events"

enum nfscope_cmd {
	NFSCOPE_CMD_UNSPEC,
	/* Module version, configuration and counters of the caller's netns. */
	NFSCOPE_CMD_GET_STATUS,
	/* Change the caller's netns configuration. Needs CAP_NET_ADMIN. */
	NFSCOPE_CMD_SET_CONFIG,
	/* Dump: one message per TOA table entry (NFSCOPE_A_TOA_ENTRY). */
	NFSCOPE_CMD_TOA_GET,
	/* TOA counters (NFSCOPE_A_TOA_STATS), trust list, kinds. */
	NFSCOPE_CMD_TOA_GET_STATS,
	/* Trust TOA from NFSCOPE_A_ADDR/NFSCOPE_A_PREFIX_LEN. CAP_NET_ADMIN. */
	NFSCOPE_CMD_TOA_TRUST_ADD,
	/* Remove that exact prefix from the trust list. CAP_NET_ADMIN. */
	NFSCOPE_CMD_TOA_TRUST_DEL,
	/* Set the layouts (NFSCOPE_A_TOA_LAYOUTS, 0 = none) option kind
	 * NFSCOPE_A_TOA_KIND carries. CAP_NET_ADMIN. */
	NFSCOPE_CMD_TOA_SET_KIND,
	/* Multicast on "events" (init_net listeners, CAP_SYS_ADMIN: records
	 * carry raw kernel addresses): NFSCOPE_A_LOST and NFSCOPE_A_SUPPRESSED
	 * counts first, then any number of NFSCOPE_A_RECORD (struct
	 * nfscope_record) in the order they were made on one CPU. */
	NFSCOPE_CMD_EVENT,
	/* The drop monitor's configuration (NFSCOPE_A_PROBES ...
	 * NFSCOPE_A_STACK_DEPTH) and counters (NFSCOPE_A_DROP_STATS). The
	 * monitor is module-wide: one configuration for all namespaces. */
	NFSCOPE_CMD_DROP_GET_CONFIG,
	/* Replace the drop monitor's configuration: attributes left out take
	 * their defaults. CAP_NET_ADMIN in the initial user namespace. */
	NFSCOPE_CMD_DROP_SET_CONFIG,
	/* Dump: one NFSCOPE_A_DROP_SUM per (netns, kind, reason, location,
	 * hook); from init_net all namespaces, elsewhere the caller's own. */
	NFSCOPE_CMD_DROP_SUMMARY,
	/* Names of code addresses (NFSCOPE_A_ADDRS: up to 32 u64), one
	 * NFSCOPE_A_SYMBOL (%pS) each, in order: how readers of records name
	 * their raw addresses without reading /proc/kallsyms. Initial
	 * namespace's CAP_NET_ADMIN (names tell the kernel's layout). */
	NFSCOPE_CMD_SYMBOLS,
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
	/* nested: enum nfscope_toa_attr, one TOA table entry */
	NFSCOPE_A_TOA_ENTRY,
	/* nested: enum nfscope_toa_stat, each a u64 */
	NFSCOPE_A_TOA_STATS,
	/* nested: NFSCOPE_A_CIDR items */
	NFSCOPE_A_TOA_TRUST,
	/* nested: NFSCOPE_A_ADDR + NFSCOPE_A_PREFIX_LEN */
	NFSCOPE_A_CIDR,
	/* binary: an IPv4 (4 bytes) or IPv6 (16 bytes) address, network order */
	NFSCOPE_A_ADDR,
	/* u8: prefix length (<= 32 or <= 128) */
	NFSCOPE_A_PREFIX_LEN,
	/* u8: a TCP option kind */
	NFSCOPE_A_TOA_KIND,
	/* u32: bitmask of enum nfscope_toa_layout */
	NFSCOPE_A_TOA_LAYOUTS,
	/* nested: NFSCOPE_A_TOA_KIND + NFSCOPE_A_TOA_LAYOUTS, per configured kind */
	NFSCOPE_A_TOA_KIND_MAP,
	/* nested: enum nfscope_drop_attr, one dropped packet */
	NFSCOPE_A_DROP,
	/* u64: records of this CPU lost since the previous delivered event
	 * message from it: its buffer was full, or a message could not be
	 * delivered (a listener with NETLINK_BROADCAST_ERROR set whose socket
	 * was full, or no memory) */
	NFSCOPE_A_LOST,
	/* nested: enum nfscope_drop_attr, one TCP reset the kernel sent
	 * (REASON is enum sk_rst_reason; SADDR/SPORT are the RST's source) */
	NFSCOPE_A_RST,
	/* u32: bitmask of enum nfscope_probe that are on */
	NFSCOPE_A_PROBES,
	/* u8: 1 = send a record per drop to listeners, 0 = summary only */
	NFSCOPE_A_DROP_RECORDS,
	/* Record filters, all must match (absent or 0: any). The summary
	 * counts every drop; filters, sampling and rate select records.
	 * NFSCOPE_A_ADDR/NFSCOPE_A_PREFIX_LEN: source or destination address. */
	NFSCOPE_A_F_NETNS,		/* u32: netns inode */
	NFSCOPE_A_F_L4PROTO,		/* u8: IPPROTO_* */
	NFSCOPE_A_F_PORT,		/* u16: source or destination port */
	/* string: comma-separated reason names (enum skb_drop_reason as the
	 * kernel names them, e.g. "NETFILTER_DROP,NO_SOCKET"); resets are
	 * not filtered by reason */
	NFSCOPE_A_F_REASONS,
	NFSCOPE_A_F_REASONS_EXCLUDE,	/* string: as above, never recorded */
	NFSCOPE_A_F_HOOK,		/* u8: enum nfscope_hook_filter */
	/* u32: record one in N drops that pass the filters (0 or 1: all) */
	NFSCOPE_A_SAMPLE,
	/* u32: at most N records per second per CPU (0: no limit) */
	NFSCOPE_A_RATE,
	/* u8: stack frames per record, 1..16 (default 16) */
	NFSCOPE_A_STACK_DEPTH,
	/* nested: enum nfscope_drop_stat, each a u64 */
	NFSCOPE_A_DROP_STATS,
	/* nested: enum nfscope_sum_attr, one summary line */
	NFSCOPE_A_DROP_SUM,
	/* u64 (events): records left out by sampling or the rate limit on
	 * this CPU since its previous event message (not lost: by config) */
	NFSCOPE_A_SUPPRESSED,
	/* binary (events): one struct nfscope_record */
	NFSCOPE_A_RECORD,
	/* binary: u64 code addresses (NFSCOPE_CMD_SYMBOLS) */
	NFSCOPE_A_ADDRS,
	/* string: function+off/size [module] of one address */
	NFSCOPE_A_SYMBOL,
	/* u16: bytes of each dropped packet sent with its record, from its
	 * network header, 0..NFSCOPE_SNAPLEN_MAX (0, the default: none) */
	NFSCOPE_A_SNAPLEN,
	/* binary (events): the first bytes of a dropped IP packet from its
	 * network header (at most SNAPLEN), right after the NFSCOPE_A_RECORD
	 * it belongs to; absent for resets and for packets not IP */
	NFSCOPE_A_PACKET,
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

/* TOA option layouts (bit numbers in NFSCOPE_A_TOA_LAYOUTS). */
enum nfscope_toa_layout {
	NFSCOPE_TOA_LAYOUT_PORT4,	/* len 8: port, ipv4 */
	NFSCOPE_TOA_LAYOUT_PORT6,	/* len 20: port, ipv6 */
	NFSCOPE_TOA_LAYOUT_CLIENT_VIP4,	/* len 16: cport, cip4, pad, vport, vip4 */
	NFSCOPE_TOA_LAYOUT_ALI_VTOA4,	/* len 20: cport, cip4, vpc, vip4, vport, pad */
	NFSCOPE_TOA_LAYOUT_ALI_VTOA6,	/* len 40: cport, cip6, vpc(3), rsv, vip6 */
	NFSCOPE_TOA_LAYOUT_VPC_ID,	/* len 6: vpc id */
	NFSCOPE_TOA_LAYOUT_CDN,		/* len 7/19: version, ip */
	__NFSCOPE_TOA_LAYOUT_MAX,
};

enum nfscope_toa_attr {
	NFSCOPE_TOA_A_UNSPEC,
	NFSCOPE_TOA_A_PAD,
	/* the connection as the backend sees it */
	NFSCOPE_TOA_A_SADDR,		/* binary, 4 or 16 bytes */
	NFSCOPE_TOA_A_SPORT,		/* u16, host order */
	NFSCOPE_TOA_A_DADDR,		/* binary */
	NFSCOPE_TOA_A_DPORT,		/* u16 */
	/* what the TOA said */
	NFSCOPE_TOA_A_CLIENT_ADDR,	/* binary */
	NFSCOPE_TOA_A_CLIENT_PORT,	/* u16, absent when the format has none */
	NFSCOPE_TOA_A_VIP_ADDR,		/* binary, optional */
	NFSCOPE_TOA_A_VIP_PORT,		/* u16, optional */
	NFSCOPE_TOA_A_VPC_ID,		/* u32, optional */
	NFSCOPE_TOA_A_KIND,		/* u8 */
	NFSCOPE_TOA_A_LEN,		/* u8 */
	NFSCOPE_TOA_A_LAYOUT,		/* u8: enum nfscope_toa_layout */
	NFSCOPE_TOA_A_AGE_MS,		/* u64 */
	__NFSCOPE_TOA_A_MAX,
};

enum nfscope_toa_stat {
	NFSCOPE_TOA_STAT_UNSPEC,
	NFSCOPE_TOA_STAT_PAD,
	/* connections decoded, per layout of their client option */
	NFSCOPE_TOA_STAT_PORT4,
	NFSCOPE_TOA_STAT_PORT6,
	NFSCOPE_TOA_STAT_CLIENT_VIP4,
	NFSCOPE_TOA_STAT_ALI_VTOA4,
	NFSCOPE_TOA_STAT_ALI_VTOA6,
	NFSCOPE_TOA_STAT_CDN,
	NFSCOPE_TOA_STAT_NO_TOA,	/* SYNs that carried no TOA */
	NFSCOPE_TOA_STAT_UNTRUSTED,	/* TOA from a source outside the trust list */
	NFSCOPE_TOA_STAT_MALFORMED,	/* broken option lists or TOA lengths */
	NFSCOPE_TOA_STAT_EVICTED,	/* entries pushed out by a full table */
	NFSCOPE_TOA_STAT_REWRITES,	/* getpeername()/accept() answers rewritten */
	NFSCOPE_TOA_STAT_UNREPRESENTABLE, /* IPv6 client on an IPv4 socket */
	NFSCOPE_TOA_STAT_ENTRIES,	/* entries now */
	NFSCOPE_TOA_STAT_CAPACITY,	/* entries at most */
	NFSCOPE_TOA_STAT_EXPIRED,	/* entries removed as their connection closed */
	__NFSCOPE_TOA_STAT_MAX,
};

/* Version 1 sent records as NFSCOPE_A_DROP/NFSCOPE_A_RST nests of these,
 * with names; since version 2 they are struct nfscope_record. */
enum nfscope_drop_attr {
	NFSCOPE_DROP_A_UNSPEC,
	NFSCOPE_DROP_A_PAD,
	NFSCOPE_DROP_A_TIME_NS,		/* u64: CLOCK_REALTIME */
	NFSCOPE_DROP_A_CPU,		/* u32 */
	NFSCOPE_DROP_A_PID,		/* u32: task running when the skb was freed */
	NFSCOPE_DROP_A_COMM,		/* string */
	NFSCOPE_DROP_A_NETNS,		/* u32: netns inode, 0 if unknown */
	NFSCOPE_DROP_A_IFINDEX,		/* u32, 0 if none */
	NFSCOPE_DROP_A_L3PROTO,		/* u16: ethertype (host order) */
	NFSCOPE_DROP_A_L4PROTO,		/* u8: IPPROTO_*, absent if not IP */
	NFSCOPE_DROP_A_SADDR,		/* binary, 4 or 16 */
	NFSCOPE_DROP_A_DADDR,		/* binary */
	NFSCOPE_DROP_A_SPORT,		/* u16 */
	NFSCOPE_DROP_A_DPORT,		/* u16 */
	NFSCOPE_DROP_A_TCP_FLAGS,	/* u8 */
	NFSCOPE_DROP_A_LEN,		/* u32: skb->len */
	NFSCOPE_DROP_A_REASON,		/* u32: enum skb_drop_reason */
	NFSCOPE_DROP_A_REASON_NAME,	/* string, as the kernel names it */
	NFSCOPE_DROP_A_LOCATION,	/* string: function+off/size [module] */
	NFSCOPE_DROP_A_STACK,		/* nested: NFSCOPE_DROP_A_FRAME strings */
	NFSCOPE_DROP_A_FRAME,		/* string */
	NFSCOPE_DROP_A_TCP_STATE,	/* u8: TCP_* of the socket (RST records) */
	/* nested: enum nfscope_hook_attr, the netfilter hook that dropped it */
	NFSCOPE_DROP_A_HOOK,
	__NFSCOPE_DROP_A_MAX,
};

/* The module's probes (bit numbers in NFSCOPE_A_PROBES). */
enum nfscope_probe {
	NFSCOPE_PROBE_DROP,	/* skb:kfree_skb */
	NFSCOPE_PROBE_RST,	/* tcp:tcp_send_reset */
	NFSCOPE_PROBE_HOOKS,	/* fprobes on netfilter hook functions */
	/* TOA: decoding at LOCAL_IN and the getpeername()/accept() rewrite
	 * (entries already decoded still expire when their sockets close) */
	NFSCOPE_PROBE_TOA,
	__NFSCOPE_PROBE_MAX,
};

enum nfscope_hook_filter {
	NFSCOPE_HOOK_FILTER_ANY,
	/* 1 + NF_INET_*: drops attributed to a hook at that point */
	NFSCOPE_HOOK_FILTER_PRE_ROUTING,
	NFSCOPE_HOOK_FILTER_LOCAL_IN,
	NFSCOPE_HOOK_FILTER_FORWARD,
	NFSCOPE_HOOK_FILTER_LOCAL_OUT,
	NFSCOPE_HOOK_FILTER_POST_ROUTING,
	NFSCOPE_HOOK_FILTER_NETFILTER,	/* attributed to any hook */
	NFSCOPE_HOOK_FILTER_NONE,	/* not attributed to a hook */
	__NFSCOPE_HOOK_FILTER_MAX,
};

/* How a hook dropped a packet. */
enum nfscope_hook_how {
	NFSCOPE_HOOK_HOW_UNSPEC,
	NFSCOPE_HOOK_HOW_FREED,		/* freed it itself (NF_DROP_REASON) */
	NFSCOPE_HOOK_HOW_VERDICT,	/* returned NF_DROP; nf_hook_slow freed it */
};

/* Why conntrack's confirm hook (nf_confirm) dropped a packet. */
enum nfscope_ct_drop {
	NFSCOPE_CT_DROP_NONE,
	/* insert_failed: the entry was killed before it was confirmed
	 * (e.g. by conntrack -F) */
	NFSCOPE_CT_DROP_INSERT_FAILED_DYING,
	/* insert_failed: another entry took the tuple and the clash could
	 * not be resolved */
	NFSCOPE_CT_DROP_INSERT_FAILED_CLASH,
	/* insert_failed: hash chain too long */
	NFSCOPE_CT_DROP_CHAINTOOLONG,
	/* dropped without insert_failed (helper, sequence adjustment) */
	NFSCOPE_CT_DROP_CONFIRM_OTHER,
};

enum nfscope_hook_attr {
	NFSCOPE_HOOK_A_UNSPEC,
	NFSCOPE_HOOK_A_FUNC,		/* string: the hook function */
	NFSCOPE_HOOK_A_PF,		/* u8: NFPROTO_* */
	NFSCOPE_HOOK_A_HOOKNUM,		/* u8: NF_INET_* */
	NFSCOPE_HOOK_A_PRIORITY,	/* s32, absent if the hook is gone */
	NFSCOPE_HOOK_A_HOW,		/* u8: enum nfscope_hook_how */
	NFSCOPE_HOOK_A_TABLE,		/* string: nftables table */
	NFSCOPE_HOOK_A_CHAIN,		/* string: nftables base chain */
	NFSCOPE_HOOK_A_TABLE_FAMILY,	/* u8: NFPROTO_* of the table */
	NFSCOPE_HOOK_A_CT_DROP,		/* u8: enum nfscope_ct_drop */
	__NFSCOPE_HOOK_A_MAX,
};

enum nfscope_drop_stat {
	NFSCOPE_DSTAT_UNSPEC,
	NFSCOPE_DSTAT_PAD,
	NFSCOPE_DSTAT_DROPS,		/* drops seen (kfree_skb, not consumed) */
	NFSCOPE_DSTAT_RSTS,		/* resets seen */
	NFSCOPE_DSTAT_ATTRIBUTED,	/* drops attributed to a netfilter hook */
	NFSCOPE_DSTAT_FILTERED,		/* not recorded: filters */
	NFSCOPE_DSTAT_SUPPRESSED,	/* not recorded: sampling or rate limit */
	NFSCOPE_DSTAT_QUEUED,		/* records queued for listeners */
	NFSCOPE_DSTAT_LOST_RING,	/* records lost: CPU buffer full */
	NFSCOPE_DSTAT_LOST_SEND,	/* records lost: their message was not
					 * delivered to a listener (ENOBUFS) */
	NFSCOPE_DSTAT_SENT,		/* records delivered */
	NFSCOPE_DSTAT_SUMMARY_FULL,	/* drops not in the summary: table full */
	NFSCOPE_DSTAT_HOOK_FUNCS,	/* netfilter hook functions probed */
	NFSCOPE_DSTAT_HOOK_MISSED,	/* hook calls the probes missed */
	__NFSCOPE_DSTAT_MAX,
};

enum nfscope_sum_attr {
	NFSCOPE_SUM_A_UNSPEC,
	NFSCOPE_SUM_A_PAD,
	NFSCOPE_SUM_A_NETNS,		/* u32 */
	NFSCOPE_SUM_A_KIND,		/* u8: 0 drop, 1 reset */
	NFSCOPE_SUM_A_REASON,		/* u32 */
	NFSCOPE_SUM_A_REASON_NAME,	/* string */
	NFSCOPE_SUM_A_LOCATION,		/* string */
	NFSCOPE_SUM_A_HOOK,		/* nested: enum nfscope_hook_attr */
	NFSCOPE_SUM_A_COUNT,		/* u64 */
	__NFSCOPE_SUM_A_MAX,
};

#define NFSCOPE_STACK_MAX 16
#define NFSCOPE_SNAPLEN_MAX 256

enum nfscope_record_kind {
	NFSCOPE_RECORD_DROP,	/* a dropped packet (skb:kfree_skb) */
	NFSCOPE_RECORD_RST,	/* a TCP reset the kernel sent */
};

/* Bits of nfscope_record.flags: which optional fields hold a value. */
#define NFSCOPE_REC_PORTS	0x01	/* sport, dport */
#define NFSCOPE_REC_TCP_FLAGS	0x02	/* tcp_flags (TCP drops) */
#define NFSCOPE_REC_TCP_STATE	0x04	/* tcp_state (RSTs for a socket) */
#define NFSCOPE_REC_HOOK	0x08	/* hook_* (the netfilter hook that dropped it) */
#define NFSCOPE_REC_HOOK_REG	0x10	/* hook_priority (the registration was still there) */
#define NFSCOPE_REC_HOOK_NFT	0x20	/* hook_table, hook_chain, hook_table_family */

/*
 * One drop or reset record (NFSCOPE_A_RECORD), host byte order except the
 * addresses. Code addresses are raw: readers name them from /proc/kallsyms
 * (the module does no symbol lookup per record). For RSTs the source is the
 * resetting side and `location` is the resetting function.
 */
struct nfscope_record {
	__u64 time_ns;		/* CLOCK_REALTIME */
	__u64 location;		/* the freeing call site (drops) */
	__u64 hook_func;	/* the hook function (NFSCOPE_REC_HOOK) */
	__u64 stack[NFSCOPE_STACK_MAX];	/* return addresses, innermost first */
	__u32 cpu;
	__u32 pid;		/* task running when the skb was freed */
	__u32 netns;		/* netns inode, 0 if unknown */
	__u32 ifindex;		/* 0 if none */
	__u32 len;		/* skb->len */
	__u32 reason;		/* enum skb_drop_reason; RSTs: enum sk_rst_reason */
	__s32 hook_priority;
	__u16 l3proto;		/* ethertype */
	__u16 sport;
	__u16 dport;
	__u8 kind;		/* enum nfscope_record_kind */
	__u8 flags;		/* NFSCOPE_REC_* */
	__u8 addr_len;		/* saddr/daddr bytes: 4, 16, or 0 (not IP) */
	__u8 l4proto;		/* IPPROTO_* (addr_len != 0) */
	__u8 tcp_flags;
	__u8 tcp_state;		/* TCP_* of the socket */
	__u8 depth;		/* stack entries used */
	__u8 hook_pf;		/* NFPROTO_* */
	__u8 hook_hooknum;	/* NF_INET_* */
	__u8 hook_how;		/* enum nfscope_hook_how */
	__u8 hook_ct;		/* enum nfscope_ct_drop, 0 if none */
	__u8 hook_table_family;	/* NFPROTO_* of the nftables table */
	__u8 pad[2];		/* zero */
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[16];
	char reason_name[48];	/* as the kernel names the reason */
	char hook_table[32];
	char hook_chain[32];
};

#endif /* _UAPI_NFSCOPE_H */
