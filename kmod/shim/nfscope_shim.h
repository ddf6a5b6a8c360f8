/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C half of nfscope.ko: wrappers around static inline kernel helpers and
 * macro-built kernel APIs that Rust cannot call directly, plus the generic
 * netlink family's static tables. No logic lives here; fixed-width types only.
 *
 * bindgen reads this header (through bindings_helper.h) to give the Rust side
 * these prototypes.
 */
#ifndef NFSCOPE_SHIM_H
#define NFSCOPE_SHIM_H

#include <linux/types.h>

struct net;
struct sk_buff;
struct seq_file;
struct genl_info;
struct nlattr;
struct proc_dir_entry;

/* netns */
void *nfscope_net_generic(const struct net *net, u32 id);
u32 nfscope_net_inum(const struct net *net);
struct proc_dir_entry *nfscope_net_proc_dir(const struct net *net);
struct net *nfscope_seq_file_single_net(struct seq_file *seq);

/* sk_buff */
u32 nfscope_skb_len(const struct sk_buff *skb);

/* generic netlink: the family, its ops and policy are tables in the shim */
typedef int (*nfscope_genl_doit_t)(struct sk_buff *skb, struct genl_info *info);
int nfscope_genl_register(nfscope_genl_doit_t doit);
void nfscope_genl_unregister(void);

u8 nfscope_genl_cmd(const struct genl_info *info);
struct net *nfscope_genl_net(const struct genl_info *info);
const struct nlattr *nfscope_genl_attr(const struct genl_info *info, u32 type);
void nfscope_genl_set_err_msg(struct genl_info *info, const char *msg,
			      const struct nlattr *bad_attr);

u8 nfscope_nla_get_u8(const struct nlattr *nla);
u32 nfscope_nla_get_u32(const struct nlattr *nla);

/* Replies: *hdr receives the genetlink header to pass to send. */
struct sk_buff *nfscope_genl_reply_new(struct genl_info *info, void **hdr);
int nfscope_genl_reply_send(struct sk_buff *skb, void *hdr, struct genl_info *info);
void nfscope_genl_msg_free(struct sk_buff *skb);
int nfscope_nla_put_u8(struct sk_buff *skb, u32 type, u8 value);
int nfscope_nla_put_u32(struct sk_buff *skb, u32 type, u32 value);
int nfscope_nla_put_s32(struct sk_buff *skb, u32 type, s32 value);
int nfscope_nla_put_u64(struct sk_buff *skb, u32 type, u64 value, u32 pad);
int nfscope_nla_put_string(struct sk_buff *skb, u32 type, const char *value);
struct nlattr *nfscope_nla_nest_start(struct sk_buff *skb, u32 type);
void nfscope_nla_nest_end(struct sk_buff *skb, struct nlattr *nest);

#endif /* NFSCOPE_SHIM_H */
