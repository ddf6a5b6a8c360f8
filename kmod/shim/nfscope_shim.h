/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of nfscope.ko, fixed-width types only. It holds what C must do:
 * - wrappers around static inline kernel helpers and macros whose fields
 *   Rust cannot reach through bindgen's layouts (struct net and struct sock
 *   are opaque to it; accessor macros such as sk_dport, the fprobe register
 *   accessors, which differ between kernel lines);
 * - what C macros must declare: the module parameters, the generic netlink
 *   family with its attribute policy and multicast group, the reset reason
 *   names (DEFINE_RST_REASON), the drain's delayed work;
 * - RCU read sections and nofault reads, copying out plain values: the
 *   namespaces (a Rust visitor decides), a hook list's registrations (a Rust
 *   picker chooses; the shim copies the chosen one's priority and nft chain
 *   names), a drop reason's name from its subsystem's list, a device's
 *   namespace and index.
 * Decisions are Rust's: which commands exist and who may send them, which
 * hook registration a call belongs to, where an skb or a socket is, what a
 * v4-mapped connection is, what a drop means. Kernel functions and variables
 * that are exported (nla_put, _raw_spin_lock_bh, jiffies, ...) Rust calls
 * directly, and it reads sk_buff, genl_info and netlink_callback fields
 * through bindgen's layouts.
 *
 * bindgen reads this header (through bindings_helper.h) to give the Rust side
 * these prototypes.
 */
#ifndef NFSCOPE_SHIM_H
#define NFSCOPE_SHIM_H

#include <linux/types.h>
#include <linux/version.h>

struct net;
struct sk_buff;
struct genl_info;
struct proc_dir_entry;

/* netns */
void *nfscope_net_generic(const struct net *net, u32 id);
u32 nfscope_net_inum(const struct net *net);
struct proc_dir_entry *nfscope_net_proc_dir(const struct net *net);

/* sockets: a TCP/UDP socket's connection */
struct nfscope_sock_tuple {
	u8 family;		/* sk_family */
	u8 protocol;		/* IPPROTO_* */
	u8 net_refcnt;		/* the socket holds a reference on its netns */
	u8 full;		/* a full socket (not request or timewait) */
	u32 netns_inum;		/* inode of the socket's netns */
	u8 state;		/* TCP_* */
	u16 peer_port;		/* host order */
	u16 local_port;		/* host order */
	u8 peer_addr4[4];	/* IPv4 (AF_INET, or IPv4-mapped AF_INET6) */
	u8 local_addr4[4];
	u8 peer_addr6[16];	/* AF_INET6 */
	u8 local_addr6[16];
};
struct sock;
struct net *nfscope_sock_net(const struct sock *sk);
struct net *nfscope_sock_tuple(const struct sock *sk, struct nfscope_sock_tuple *t);

/* tracepoints: waits until no probe runs any more */
void nfscope_tracepoint_synchronize_unregister(void);

/*
 * fprobes: a probed call's argument n and return value, the missed count.
 * Handlers get the call's registers as struct ftrace_regs since Linux 6.14,
 * as struct pt_regs before; nfscope_fprobe_regs names the line's type.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
struct ftrace_regs;
typedef struct ftrace_regs nfscope_fprobe_regs;
#else
struct pt_regs;
typedef struct pt_regs nfscope_fprobe_regs;
#endif
u64 nfscope_fregs_arg(nfscope_fprobe_regs *fregs, u32 n);
s64 nfscope_fregs_return_value(nfscope_fprobe_regs *fregs);

/* netfilter hooks: who is registered where (IPv4 and IPv6 hooks) */
void nfscope_for_each_net(void (*visit)(const struct net *net, void *data), void *data);
/* a probed nf_hookfn(priv, skb, state) call, read from its registers at once */
struct nfscope_hook_args {
	u64 priv;
	u64 skb;
	const struct net *net;
	u64 jiffies;
	u32 cpu;
	u8 pf;
	u8 hooknum;
};
void nfscope_hook_args(nfscope_fprobe_regs *fregs, struct nfscope_hook_args *a);
struct nfscope_hook_desc {
	s32 priority;
	u8 ops_type;		/* enum nf_hook_ops_type */
	u8 table_family;	/* NFPROTO_* of the nftables table */
	char table[32];		/* nftables base chains only, truncated */
	char chain[32];
};
typedef bool (*nfscope_hook_pick_t)(void *data, u64 fn, u64 priv);
bool nfscope_hook_find(const struct net *net, u8 pf, u8 hooknum, nfscope_hook_pick_t pick,
		       void *data, struct nfscope_hook_desc *d);
/* conntrack */
void nfscope_ct_stats(const struct net *net, u32 cpu, u32 *insert_failed, u32 *chaintoolong);
bool nfscope_skb_ct_dying(const struct sk_buff *skb);

/* context of the current CPU and task */
u32 nfscope_cpu(void);
/* sleeps about usecs microseconds (process context) */
void nfscope_fsleep(u32 usecs);

/* what a freed skb says about itself */
bool nfscope_skb_dev_place(const struct sk_buff *skb, u32 *netns, u32 *ifindex);
/* the kernel's drop and reset reason names into buf */
void nfscope_drop_reason_name(u32 reason, char *buf, u32 len);
void nfscope_rst_reason_name(u32 reason, char *buf, u32 len);
bool nfscope_addr_in_module(u64 addr);

/* deferred work: one delayed work item running fn in process context */
int nfscope_drain_init(void (*fn)(void *data), void *data);
void nfscope_drain_schedule(u32 msecs);
void nfscope_drain_cancel_sync(void);

/* events: multicast to the "events" group of init_net */
bool nfscope_events_have_listeners(void);
int nfscope_event_send(struct sk_buff *skb);

/* the module parameters, as loaded (read-only after load) */
#define NFSCOPE_TOA_TRUST_LEN 1024
extern u8 nfscope_param_enable;
extern s32 nfscope_param_hook_priority;
extern u32 nfscope_param_drop_ring_records;
extern u32 nfscope_param_toa_table_size;
extern char nfscope_param_toa_trust[NFSCOPE_TOA_TRUST_LEN];

/*
 * generic netlink: the family, its attribute policy and multicast group are
 * tables in the shim (NLA_POLICY_* macros); its commands, who may send each
 * and which a dump answers, come from Rust at registration.
 */
enum nfscope_cmd_perm {
	NFSCOPE_PERM_ANYONE,
	NFSCOPE_PERM_NETNS_ADMIN,	/* CAP_NET_ADMIN in the caller's netns */
	NFSCOPE_PERM_INIT_ADMIN,	/* CAP_NET_ADMIN in the initial netns */
};
struct nfscope_cmd_spec {
	u8 cmd;
	u8 perm;			/* enum nfscope_cmd_perm */
	bool dump;
};
typedef int (*nfscope_genl_doit_t)(struct sk_buff *skb, struct genl_info *info);
struct netlink_callback;
typedef int (*nfscope_genl_dumpit_t)(struct sk_buff *skb, struct netlink_callback *cb);
int nfscope_genl_register(nfscope_genl_doit_t doit, nfscope_genl_dumpit_t dumpit,
			  const struct nfscope_cmd_spec *cmds, u32 n);
void nfscope_genl_unregister(void);

/* Messages: *hdr receives the genetlink header; Rust ends them (sets the
 * length) before sending. Replies have NLMSG_GOODSIZE bytes of room. */
struct sk_buff *nfscope_genl_msg_new(u32 size, u32 portid, u32 seq, u8 cmd, void **hdr);
struct sk_buff *nfscope_genl_reply_new(struct genl_info *info, void **hdr);
int nfscope_genl_reply_send(struct sk_buff *skb, struct genl_info *info);
void nfscope_genl_msg_free(struct sk_buff *skb);
/* Dumps: messages are NLM_F_MULTI, of the command being dumped. */
void *nfscope_dump_msg_start(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* NFSCOPE_SHIM_H */
