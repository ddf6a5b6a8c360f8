/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of nfscope.ko, fixed-width types only:
 * - wrappers around static inline kernel helpers and macro-built kernel APIs
 *   that Rust cannot call directly (most of it);
 * - what C macros must declare: the module parameters, the generic netlink
 *   family's attribute policy and multicast group (NLA_POLICY_*), the reset
 *   reason names (DEFINE_RST_REASON), the drain's delayed work;
 * - walks of kernel lists under RCU or with nofault reads, copying out plain
 *   values: the functions on the IPv4/IPv6 hook lists of every namespace,
 *   one hook's registration and nft chain names, a drop reason's name from
 *   its subsystem's list, a device's namespace and index.
 * Decisions are Rust's: which commands exist and who may send them, where an
 * skb or a socket is, what a v4-mapped connection is, what a drop means.
 *
 * bindgen reads this header (through bindings_helper.h) to give the Rust side
 * these prototypes.
 */
#ifndef NFSCOPE_SHIM_H
#define NFSCOPE_SHIM_H

#include <linux/spinlock_types.h>
#include <linux/types.h>
#include <linux/version.h>

struct net;
struct sk_buff;
struct seq_file;
struct genl_info;
struct nlattr;
struct proc_dir_entry;

/* netns */
void *nfscope_net_generic(const struct net *net, u32 id);
u32 nfscope_net_inum(const struct net *net);
bool nfscope_net_is_init(const struct net *net);
struct proc_dir_entry *nfscope_net_proc_dir(const struct net *net);
struct net *nfscope_seq_file_single_net(struct seq_file *seq);

/* sk_buff */
u32 nfscope_skb_len(const struct sk_buff *skb);
/* skb->data; the headroom before it and the linear bytes from it */
const u8 *nfscope_skb_linear(const struct sk_buff *skb, u32 *before, u32 *headlen);
s32 nfscope_skb_network_offset(const struct sk_buff *skb);
u32 nfscope_skb_tailroom(const struct sk_buff *skb);

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
struct socket;
struct sock;
struct sock *nfscope_socket_sk(const struct socket *sock);
struct net *nfscope_sock_tuple(const struct sock *sk, struct nfscope_sock_tuple *t);

/* locks taken in softirq and process context */

void nfscope_spin_lock_bh(spinlock_t *lock);
void nfscope_spin_unlock_bh(spinlock_t *lock);
int nfscope_spin_trylock_bh(spinlock_t *lock);

/* tracepoints by name (for those not exported as register_trace_*) */
struct tracepoint;
struct tracepoint *nfscope_tracepoint_find(const char *name);
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
struct fprobe;
u64 nfscope_fregs_arg(nfscope_fprobe_regs *fregs, u32 n);
s64 nfscope_fregs_return_value(nfscope_fprobe_regs *fregs);
u64 nfscope_nf_hook_slow_addr(void);
u64 nfscope_fprobe_nmissed(const struct fprobe *fp);

/* netfilter hooks: who is registered where (IPv4 and IPv6 hooks) */
u32 nfscope_hook_functions(u64 *fns, u32 max);
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
bool nfscope_hook_describe(const struct net *net, u8 pf, u8 hooknum, u64 fn,
			   u64 priv, struct nfscope_hook_desc *d);
/* conntrack */
void nfscope_ct_stats(const struct net *net, u32 cpu, u32 *insert_failed, u32 *chaintoolong);
bool nfscope_skb_ct_dying(const struct sk_buff *skb);

/* interrupt-safe locks (tracepoints may fire in hard interrupts) */
unsigned long nfscope_spin_lock_irqsave(spinlock_t *lock);
void nfscope_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

/* context of the current CPU and task */
u32 nfscope_cpu(void);
u32 nfscope_nr_cpu_ids(void);
u32 nfscope_current_pid(void);
void nfscope_current_comm(char comm[16]);
u64 nfscope_real_time_ns(void);
u64 nfscope_mono_ns(void);
/* sleeps about usecs microseconds (process context) */
void nfscope_fsleep(u32 usecs);
unsigned long nfscope_jiffies(void);
unsigned long nfscope_hz(void);

/* what a freed skb says about itself */
bool nfscope_skb_dev_place(const struct sk_buff *skb, u32 *netns, u32 *ifindex);
u32 nfscope_skb_iif(const struct sk_buff *skb);
u32 nfscope_skb_sk_netns(const struct sk_buff *skb);
u32 nfscope_sock_netns(const struct sock *sk);
u16 nfscope_skb_protocol(const struct sk_buff *skb);
/* "%pS" of addr into buf; the kernel's drop reason name into buf */
void nfscope_format_symbol(char *buf, u32 len, u64 addr);
void nfscope_format_symbol_name(char *buf, u32 len, u64 addr);
void nfscope_drop_reason_name(u32 reason, char *buf, u32 len);
u32 nfscope_drop_reason_max(void);
void nfscope_rst_reason_name(u32 reason, char *buf, u32 len);
bool nfscope_addr_in_module(u64 addr);

/* deferred work: one delayed work item running fn in process context */
int nfscope_drain_init(void (*fn)(void *data), void *data);
void nfscope_drain_schedule(u32 msecs);
void nfscope_drain_cancel_sync(void);

/* events: multicast to the "events" group of init_net */
bool nfscope_events_have_listeners(void);
struct sk_buff *nfscope_event_new(u32 size, void **hdr);
int nfscope_event_send(struct sk_buff *skb, void *hdr);

/* the module parameters, as loaded (read-only after load) */
struct nfscope_params {
	u8 enable;
	s32 hook_priority;
	u32 drop_ring_records;
	u32 toa_table_size;
	const char *toa_trust;
};
void nfscope_params(struct nfscope_params *p);

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

u8 nfscope_genl_cmd(const struct genl_info *info);
struct net *nfscope_genl_net(const struct genl_info *info);
const struct nlattr *nfscope_genl_attr(const struct genl_info *info, u32 type);
u32 nfscope_nla_len(const struct nlattr *nla);
const void *nfscope_nla_data(const struct nlattr *nla);
void nfscope_genl_set_err_msg(struct genl_info *info, const char *msg,
			      const struct nlattr *bad_attr);

u8 nfscope_nla_get_u8(const struct nlattr *nla);
u32 nfscope_nla_get_u32(const struct nlattr *nla);

/* Replies: *hdr receives the genetlink header to pass to send. */
struct sk_buff *nfscope_genl_reply_new(struct genl_info *info, void **hdr);
int nfscope_genl_reply_send(struct sk_buff *skb, void *hdr, struct genl_info *info);
void nfscope_genl_msg_free(struct sk_buff *skb);
/* Dumps: the cursor is cb->args[0]; messages are NLM_F_MULTI. */
struct net *nfscope_dump_net(struct netlink_callback *cb);
u8 nfscope_dump_cmd(struct netlink_callback *cb);
u64 nfscope_dump_cursor(struct netlink_callback *cb);
void nfscope_dump_set_cursor(struct netlink_callback *cb, u64 cursor);
void *nfscope_dump_msg_start(struct sk_buff *skb, struct netlink_callback *cb);
void nfscope_dump_msg_end(struct sk_buff *skb, void *hdr);
void nfscope_dump_msg_cancel(struct sk_buff *skb, void *hdr);
int nfscope_nla_put_u8(struct sk_buff *skb, u32 type, u8 value);
int nfscope_nla_put_u16(struct sk_buff *skb, u32 type, u16 value);
int nfscope_nla_put(struct sk_buff *skb, u32 type, u32 len, const void *data);
int nfscope_nla_put_u32(struct sk_buff *skb, u32 type, u32 value);
int nfscope_nla_put_s32(struct sk_buff *skb, u32 type, s32 value);
int nfscope_nla_put_u64(struct sk_buff *skb, u32 type, u64 value, u32 pad);
int nfscope_nla_put_string(struct sk_buff *skb, u32 type, const char *value);
struct nlattr *nfscope_nla_nest_start(struct sk_buff *skb, u32 type);
void nfscope_nla_nest_end(struct sk_buff *skb, struct nlattr *nest);

#endif /* NFSCOPE_SHIM_H */
