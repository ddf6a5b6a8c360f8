/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types the tracers read, declared with only the fields they
 * use. preserve_access_index makes every access a CO-RE relocation: libbpf
 * finds each field by name in the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) at load time, so neither offsets nor a generated
 * vmlinux.h are baked in.
 */
#ifndef NFSCOPE_KERNEL_H
#define NFSCOPE_KERNEL_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

/* UAPI values (include/uapi/linux/bpf.h), stable by definition. */
enum bpf_map_type {
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
};

#define PAI __attribute__((preserve_access_index))

struct ns_common {
	unsigned int inum;
} PAI;

struct net {
	struct ns_common ns;
} PAI;

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	possible_net_t nd_net;
	int ifindex;
} PAI;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} PAI;

/* The anonymous unions and structs of the real sock_common are looked
 * through by name; declaring the members flat is enough. */
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} PAI;

struct sock {
	struct sock_common __sk_common;
} PAI;

struct sk_buff {
	struct net_device *dev;
	struct sock *sk;
	unsigned int len;
	int skb_iif;
	__be16 protocol;
	__u16 transport_header;
	__u16 network_header;
	/* sk_buff_data_t: an offset from head on 64-bit */
	unsigned int tail;
	unsigned char *head;
} PAI;

#endif
