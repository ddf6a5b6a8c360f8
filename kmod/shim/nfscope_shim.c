// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of nfscope.ko's Rust code: see nfscope_shim.h for what is here
 * and why.
 */
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/fprobe.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <net/dropreason.h>
#include <net/rstreason.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_tables.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "../include/uapi/nfscope.h"
#include "nfscope_shim.h"

void *nfscope_net_generic(const struct net *net, u32 id)
{
	return net_generic(net, id);
}

u32 nfscope_net_inum(const struct net *net)
{
	return net->ns.inum;
}

struct proc_dir_entry *nfscope_net_proc_dir(const struct net *net)
{
	return net->proc_net;
}

struct net *nfscope_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

struct net *nfscope_sock_tuple(const struct sock *sk, struct nfscope_sock_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->protocol = sk->sk_protocol;
	t->net_refcnt = sk->sk_net_refcnt;
	t->full = sk_fullsock(sk);
	t->netns_inum = sock_net(sk)->ns.inum;
	t->state = sk->sk_state;
	t->peer_port = ntohs(sk->sk_dport);
	/* Full sockets: not sk_num, which inet_put_port() zeroes before the
	 * TCP_CLOSE tracepoint. Request and timewait sockets have no inet_sport. */
	t->local_port = t->full ? ntohs(inet_sk(sk)->inet_sport) : sk->sk_num;
	t->family = sk->sk_family;
	/* An IPv6 socket talking IPv4 (v4-mapped) has these too. */
	memcpy(t->peer_addr4, &sk->sk_daddr, 4);
	memcpy(t->local_addr4, &sk->sk_rcv_saddr, 4);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		memcpy(t->peer_addr6, &sk->sk_v6_daddr, 16);
		memcpy(t->local_addr6, &sk->sk_v6_rcv_saddr, 16);
	}
#endif
	return sock_net(sk);
}

void nfscope_tracepoint_synchronize_unregister(void)
{
	tracepoint_synchronize_unregister();
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define nfscope_regs_arg(regs, n) ftrace_regs_get_argument(regs, n)
#define nfscope_regs_ret(regs) ftrace_regs_get_return_value(regs)
#else
#define nfscope_regs_arg(regs, n) regs_get_kernel_argument(regs, n)
#define nfscope_regs_ret(regs) regs_return_value(regs)
#endif

void nfscope_hook_args(nfscope_fprobe_regs *fregs, struct nfscope_hook_args *a)
{
	const struct nf_hook_state *state = (void *)nfscope_regs_arg(fregs, 2);

	a->priv = nfscope_regs_arg(fregs, 0);
	a->skb = nfscope_regs_arg(fregs, 1);
	a->net = state->net;
	a->pf = state->pf;
	a->hooknum = state->hook;
	a->cpu = raw_smp_processor_id();
	a->jiffies = jiffies;
}

static struct nf_hook_entries __rcu **nfscope_hook_heads(struct net *net, u8 pf)
{
	switch (pf) {
	case NFPROTO_IPV4:
		return net->nf.hooks_ipv4;
#if IS_ENABLED(CONFIG_IPV6)
	case NFPROTO_IPV6:
		return net->nf.hooks_ipv6;
#endif
	default:
		return NULL;
	}
}

/* visit(net, data) for every netns, under RCU: visit must not sleep. */
void nfscope_for_each_net(void (*visit)(const struct net *net, void *data), void *data)
{
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net)
		visit(net, data);
	rcu_read_unlock();
}

/* The registrations on (pf, hooknum) of net in order, under RCU: pick(data,
 * fn, priv) for each until it returns true; then *d describes that one (its
 * priority, and for an nftables base chain its table and chain). False if
 * none was picked. */
bool nfscope_hook_find(const struct net *net, u8 pf, u8 hooknum, nfscope_hook_pick_t pick,
		       void *data, struct nfscope_hook_desc *d)
{
	struct nf_hook_entries __rcu **heads = nfscope_hook_heads((struct net *)net, pf);
	const struct nf_hook_entries *e;
	const struct nf_hook_ops *ops;
	const struct nft_chain *chain;
	bool found = false;
	u32 i;

	memset(d, 0, sizeof(*d));
	if (!heads || hooknum >= NF_INET_NUMHOOKS)
		return false;
	rcu_read_lock();
	e = rcu_dereference(heads[hooknum]);
	for (i = 0; e && i < e->num_hook_entries; i++) {
		if (!pick(data, (u64)(unsigned long)e->hooks[i].hook, (u64)(unsigned long)e->hooks[i].priv))
			continue;
		ops = nf_hook_entries_get_hook_ops(e)[i];
		d->priority = ops->priority;
		d->ops_type = ops->hook_ops_type;
		chain = ops->priv;
		if (ops->hook_ops_type == NF_HOOK_OP_NF_TABLES && chain) {
			d->table_family = chain->table->family;
			strscpy(d->table, chain->table->name, sizeof(d->table));
			strscpy(d->chain, chain->name, sizeof(d->chain));
		}
		found = true;
		break;
	}
	rcu_read_unlock();
	return found;
}

/* This CPU's conntrack counters of net that a failed confirm increments. */
void nfscope_ct_stats(const struct net *net, u32 cpu, u32 *insert_failed, u32 *chaintoolong)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	const struct ip_conntrack_stat *st = per_cpu_ptr(net->ct.stat, cpu);

	*insert_failed = READ_ONCE(st->insert_failed);
	*chaintoolong = READ_ONCE(st->chaintoolong);
#else
	*insert_failed = 0;
	*chaintoolong = 0;
#endif
}

/* The skb's conntrack entry is being destroyed (killed before it was confirmed). */
bool nfscope_skb_ct_dying(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	return ct && nf_ct_is_dying(ct);
#else
	return false;
#endif
}

u64 nfscope_fregs_arg(nfscope_fprobe_regs *fregs, u32 n)
{
	return nfscope_regs_arg(fregs, n);
}

s64 nfscope_fregs_return_value(nfscope_fprobe_regs *fregs)
{
	return nfscope_regs_ret(fregs);
}

void nfscope_fsleep(u32 usecs)
{
	fsleep(usecs);
}

u32 nfscope_cpu(void)
{
	return raw_smp_processor_id();
}

/* The namespace and index of skb->dev, read without faulting: the dev field
 * of an skb queued on a socket may hold scratch data (UDP's dev_scratch) or
 * a device that is gone. False if it cannot be read. */
bool nfscope_skb_dev_place(const struct sk_buff *skb, u32 *netns, u32 *ifindex)
{
	const struct net_device *dev = skb->dev;
	struct net *net;
	int idx;

	if (!dev || get_kernel_nofault(net, &dev->nd_net.net) || !net ||
	    get_kernel_nofault(*netns, &net->ns.inum) ||
	    get_kernel_nofault(idx, &dev->ifindex))
		return false;
	*ifindex = idx;
	return true;
}

/* As drop_monitor names reasons: through the subsystem's registered list. */
void nfscope_drop_reason_name(u32 reason, char *buf, u32 len)
{
	u32 subsys = u32_get_bits(reason, SKB_DROP_REASON_SUBSYS_MASK);
	u32 code = reason & ~SKB_DROP_REASON_SUBSYS_MASK;
	const struct drop_reason_list *list;

	rcu_read_lock();
	list = subsys < SKB_DROP_REASON_SUBSYS_NUM ?
		rcu_dereference(drop_reasons_by_subsys[subsys]) : NULL;
	if (list && code < list->n_reasons && list->reasons[code])
		strscpy(buf, list->reasons[code], len);
	else
		snprintf(buf, len, "REASON_%u", reason);
	rcu_read_unlock();
}

#define NFSCOPE_RST_NAME(r) [SK_RST_REASON_##r] = #r,
static const char * const nfscope_rst_names[] = {
	DEFINE_RST_REASON(NFSCOPE_RST_NAME, NFSCOPE_RST_NAME)
};

void nfscope_rst_reason_name(u32 reason, char *buf, u32 len)
{
	if (reason < ARRAY_SIZE(nfscope_rst_names) && nfscope_rst_names[reason])
		strscpy(buf, nfscope_rst_names[reason], len);
	else
		snprintf(buf, len, "RST_REASON_%u", reason);
}

bool nfscope_addr_in_module(u64 addr)
{
	return within_module((unsigned long)addr, THIS_MODULE);
}

static void (*nfscope_drain_fn)(void *data);
static void *nfscope_drain_data;

static void nfscope_drain_work_fn(struct work_struct *work)
{
	nfscope_drain_fn(nfscope_drain_data);
}

static DECLARE_DELAYED_WORK(nfscope_drain_work, nfscope_drain_work_fn);

int nfscope_drain_init(void (*fn)(void *data), void *data)
{
	nfscope_drain_fn = fn;
	nfscope_drain_data = data;
	return 0;
}

void nfscope_drain_schedule(u32 msecs)
{
	schedule_delayed_work(&nfscope_drain_work, msecs_to_jiffies(msecs));
}

void nfscope_drain_cancel_sync(void)
{
	cancel_delayed_work_sync(&nfscope_drain_work);
}

/*
 * Module parameters and the author line: C macros, the same on every kernel
 * line (Linux 6.12's Rust `module!` has neither `params` nor `authors`).
 * Rust checks the values at load (wrap/params.rs, nfscope_main.rs).
 */
MODULE_AUTHOR("nfscope developers");

u8 nfscope_param_enable = 1;
module_param_named(enable, nfscope_param_enable, byte, 0444);
MODULE_PARM_DESC(enable, "Hooks do their work in new network namespaces (0 or 1; runtime: nfscope config)");

s32 nfscope_param_hook_priority = INT_MIN;
module_param_named(hook_priority, nfscope_param_hook_priority, int, 0444);
MODULE_PARM_DESC(hook_priority, "Netfilter priority of nfscope's hooks (default NF_IP_PRI_FIRST)");

u32 nfscope_param_drop_ring_records = 4096;
module_param_named(drop_ring_records, nfscope_param_drop_ring_records, uint, 0444);
MODULE_PARM_DESC(drop_ring_records,
		 "Drop records buffered per CPU between drains (16..1048576; a full buffer loses records, counted)");

u32 nfscope_param_toa_table_size = 65536;
module_param_named(toa_table_size, nfscope_param_toa_table_size, uint, 0444);
MODULE_PARM_DESC(toa_table_size, "Most TOA entries kept per netns; when full the smallest key is evicted");

char nfscope_param_toa_trust[NFSCOPE_TOA_TRUST_LEN];
module_param_string(toa_trust, nfscope_param_toa_trust, sizeof(nfscope_param_toa_trust), 0444);
MODULE_PARM_DESC(toa_trust, "Trusted TOA senders in every netns: comma-separated CIDRs (empty: trust all)");

static const struct nla_policy nfscope_policy[NFSCOPE_A_MAX + 1] = {
	/* Values are checked in Rust: range failures here would be -ERANGE. */
	[NFSCOPE_A_HOOKS_ENABLED] = { .type = NLA_U8 },
	[NFSCOPE_A_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[NFSCOPE_A_PREFIX_LEN] = { .type = NLA_U8 },
	[NFSCOPE_A_TOA_KIND] = { .type = NLA_U8 },
	[NFSCOPE_A_TOA_LAYOUTS] = { .type = NLA_U32 },
	[NFSCOPE_A_PROBES] = { .type = NLA_U32 },
	[NFSCOPE_A_DROP_RECORDS] = { .type = NLA_U8 },
	[NFSCOPE_A_F_NETNS] = { .type = NLA_U32 },
	[NFSCOPE_A_F_L4PROTO] = { .type = NLA_U8 },
	[NFSCOPE_A_F_PORT] = { .type = NLA_U16 },
	[NFSCOPE_A_F_REASONS] = { .type = NLA_NUL_STRING, .len = 2048 },
	[NFSCOPE_A_F_REASONS_EXCLUDE] = { .type = NLA_NUL_STRING, .len = 2048 },
	[NFSCOPE_A_F_HOOK] = { .type = NLA_U8 },
	[NFSCOPE_A_SAMPLE] = { .type = NLA_U32 },
	[NFSCOPE_A_RATE] = { .type = NLA_U32 },
	[NFSCOPE_A_STACK_DEPTH] = { .type = NLA_U8 },
	[NFSCOPE_A_SNAPLEN] = { .type = NLA_U16 },
	[NFSCOPE_A_ADDRS] = { .type = NLA_BINARY, .len = 32 * sizeof(u64) },
};

static const struct genl_multicast_group nfscope_mcgrps[] = {
	/* Records carry raw kernel addresses: CAP_SYS_ADMIN, not CAP_NET_ADMIN. */
	{ .name = NFSCOPE_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_SYS_ADMIN },
};

/* Filled from Rust's command list by nfscope_genl_register(). */
static struct genl_small_ops nfscope_ops[NFSCOPE_CMD_MAX];

static struct genl_family nfscope_family = {
	.name = NFSCOPE_GENL_NAME,
	.version = NFSCOPE_GENL_VERSION,
	.maxattr = NFSCOPE_A_MAX,
	.policy = nfscope_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = nfscope_ops,
	.resv_start_op = NFSCOPE_CMD_MAX + 1,
	.mcgrps = nfscope_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nfscope_mcgrps),
};

int nfscope_genl_register(nfscope_genl_doit_t doit, nfscope_genl_dumpit_t dumpit,
			  const struct nfscope_cmd_spec *cmds, u32 n)
{
	static const u8 flags[] = {
		[NFSCOPE_PERM_ANYONE] = 0,
		[NFSCOPE_PERM_NETNS_ADMIN] = GENL_UNS_ADMIN_PERM,
		[NFSCOPE_PERM_INIT_ADMIN] = GENL_ADMIN_PERM,
	};
	u32 i;

	if (n > ARRAY_SIZE(nfscope_ops))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (cmds[i].perm >= ARRAY_SIZE(flags))
			return -EINVAL;
		nfscope_ops[i] = (struct genl_small_ops) {
			.cmd = cmds[i].cmd,
			.flags = flags[cmds[i].perm],
			.doit = cmds[i].dump ? NULL : doit,
			.dumpit = cmds[i].dump ? dumpit : NULL,
		};
	}
	nfscope_family.n_small_ops = n;
	return genl_register_family(&nfscope_family);
}

bool nfscope_events_have_listeners(void)
{
	return genl_has_listeners(&nfscope_family, &init_net, 0);
}

/* A new message of our family with room for size bytes of attributes;
 * *hdr receives its genetlink header. */
struct sk_buff *nfscope_genl_msg_new(u32 size, u32 portid, u32 seq, u8 cmd, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(size, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, portid, seq, &nfscope_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/* Consumes skb, an ended message. -ESRCH: nobody listens. */
int nfscope_event_send(struct sk_buff *skb)
{
	return genlmsg_multicast_netns(&nfscope_family, &init_net, skb, 0, 0, GFP_KERNEL);
}

void *nfscope_dump_msg_start(struct sk_buff *skb, struct netlink_callback *cb)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &nfscope_family, NLM_F_MULTI, genl_dumpit_info(cb)->op.cmd);
}

void nfscope_genl_unregister(void)
{
	genl_unregister_family(&nfscope_family);
}

struct sk_buff *nfscope_genl_reply_new(struct genl_info *info, void **hdr)
{
	return nfscope_genl_msg_new(NLMSG_GOODSIZE, info->snd_portid, info->snd_seq,
				    info->genlhdr->cmd, hdr);
}

int nfscope_genl_reply_send(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

void nfscope_genl_msg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}
