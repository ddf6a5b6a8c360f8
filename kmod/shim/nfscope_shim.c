// SPDX-License-Identifier: GPL-2.0
/*
 * Wrappers for nfscope.ko's Rust code: see nfscope_shim.h. Each function is a
 * one-line call of a static inline helper or macro; the generic netlink tables
 * are declared here because the kernel builds them with macros (NLA_POLICY_*).
 */
#include <linux/netdevice.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
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

struct net *nfscope_seq_file_single_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

u32 nfscope_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

static const struct nla_policy nfscope_policy[NFSCOPE_A_MAX + 1] = {
	/* Values are checked in Rust: range failures here would be -ERANGE. */
	[NFSCOPE_A_HOOKS_ENABLED] = { .type = NLA_U8 },
};

static const struct genl_multicast_group nfscope_mcgrps[] = {
	{ .name = NFSCOPE_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* .doit is filled in by nfscope_genl_register() before registration. */
static struct genl_small_ops nfscope_ops[] = {
	{ .cmd = NFSCOPE_CMD_GET_STATUS },
	{ .cmd = NFSCOPE_CMD_SET_CONFIG, .flags = GENL_UNS_ADMIN_PERM },
};

static struct genl_family nfscope_family = {
	.name = NFSCOPE_GENL_NAME,
	.version = NFSCOPE_GENL_VERSION,
	.maxattr = NFSCOPE_A_MAX,
	.policy = nfscope_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = nfscope_ops,
	.n_small_ops = ARRAY_SIZE(nfscope_ops),
	.resv_start_op = NFSCOPE_CMD_MAX + 1,
	.mcgrps = nfscope_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nfscope_mcgrps),
};

int nfscope_genl_register(nfscope_genl_doit_t doit)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nfscope_ops); i++)
		nfscope_ops[i].doit = doit;
	return genl_register_family(&nfscope_family);
}

void nfscope_genl_unregister(void)
{
	genl_unregister_family(&nfscope_family);
}

u8 nfscope_genl_cmd(const struct genl_info *info)
{
	return info->genlhdr->cmd;
}

struct net *nfscope_genl_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

const struct nlattr *nfscope_genl_attr(const struct genl_info *info, u32 type)
{
	return type <= NFSCOPE_A_MAX ? info->attrs[type] : NULL;
}

void nfscope_genl_set_err_msg(struct genl_info *info, const char *msg,
			      const struct nlattr *bad_attr)
{
	/* NL_SET_ERR_MSG_ATTR() needs a literal; msg is static (Rust c"..."). */
	if (info->extack) {
		info->extack->_msg = msg;
		info->extack->bad_attr = bad_attr;
	}
}

u8 nfscope_nla_get_u8(const struct nlattr *nla)
{
	return nla_get_u8(nla);
}

u32 nfscope_nla_get_u32(const struct nlattr *nla)
{
	return nla_get_u32(nla);
}

struct sk_buff *nfscope_genl_reply_new(struct genl_info *info, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &nfscope_family, 0, info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

int nfscope_genl_reply_send(struct sk_buff *skb, void *hdr, struct genl_info *info)
{
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

void nfscope_genl_msg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

int nfscope_nla_put_u8(struct sk_buff *skb, u32 type, u8 value)
{
	return nla_put_u8(skb, type, value);
}

int nfscope_nla_put_u32(struct sk_buff *skb, u32 type, u32 value)
{
	return nla_put_u32(skb, type, value);
}

int nfscope_nla_put_s32(struct sk_buff *skb, u32 type, s32 value)
{
	return nla_put_s32(skb, type, value);
}

int nfscope_nla_put_u64(struct sk_buff *skb, u32 type, u64 value, u32 pad)
{
	return nla_put_u64_64bit(skb, type, value, pad);
}

int nfscope_nla_put_string(struct sk_buff *skb, u32 type, const char *value)
{
	return nla_put_string(skb, type, value);
}

struct nlattr *nfscope_nla_nest_start(struct sk_buff *skb, u32 type)
{
	return nla_nest_start(skb, type);
}

void nfscope_nla_nest_end(struct sk_buff *skb, struct nlattr *nest)
{
	nla_nest_end(skb, nest);
}
