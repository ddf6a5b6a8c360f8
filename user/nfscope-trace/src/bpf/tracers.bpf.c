// SPDX-License-Identifier: GPL-2.0
/*
 * nfscope's BPF tracers: a record per real drop (skb:kfree_skb) and per TCP
 * reset the kernel sends (tcp:tcp_send_reset), with a raw kernel stack,
 * filtered here before anything is copied, into one ring buffer. A record
 * that does not fit is counted in `lost` (per CPU) for userspace to report.
 */
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "event.h"

char LICENSE[] SEC("license") = "GPL";

/* Filters, set by userspace before load (0 / empty: any). */
const volatile __u32 f_netns = 0;
const volatile __u8 f_proto = 0;
const volatile __u16 f_port = 0;
/* f_family 4 or 6: f_addr/f_prefix must match the source or destination. */
const volatile __u8 f_family = 0;
const volatile __u8 f_prefix = 0;
const volatile __u8 f_addr[16] = {};
/* Drops only: f_reasons_mode 1: only the f_nreasons drop reasons listed;
 * 2: all but them. */
const volatile __u8 f_reasons_mode = 0;
const volatile __u32 f_nreasons = 0;
const volatile __u32 f_reasons[NFSCOPE_MAX_REASONS] = {};
/* Drops: bytes of the packet to copy into the record (0: none). */
const volatile __u16 f_snaplen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* SKB_NOT_DROPPED_YET and SKB_CONSUMED: frees that are not drops. */
#define SKB_CONSUMED 1

static __always_inline bool reason_selected(__u32 reason)
{
	bool listed = false;

	if (!f_reasons_mode)
		return true;
	for (__u32 i = 0; i < NFSCOPE_MAX_REASONS && i < f_nreasons; i++)
		if (f_reasons[i] == reason)
			listed = true;
	return f_reasons_mode == 1 ? listed : !listed;
}

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* As the module places an skb: the receiving socket's namespace, else its
 * device's, else its socket's (transmit before a device is set). Every read
 * is fault-safe: skb->dev of a queued UDP skb holds scratch data. */
static __always_inline void place(struct event *e, const struct sk_buff *skb, const struct sock *rx_sk)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (rx_sk) {
		e->netns = sock_netns(rx_sk);
		e->ifindex = BPF_CORE_READ(skb, skb_iif);
		return;
	}
	if (dev) {
		struct net *net = BPF_CORE_READ(dev, nd_net.net);

		if (net && !bpf_core_read(&e->netns, sizeof(e->netns), &net->ns.inum) &&
		    !bpf_core_read(&e->ifindex, sizeof(e->ifindex), &dev->ifindex))
			return;
	}
	e->netns = 0;
	e->ifindex = 0;
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (sk)
		e->netns = sock_netns(sk);
}

/* The IP header and the TCP/UDP ports in the skb's linear data. */
static __always_inline void headers(struct event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *nh = head + BPF_CORE_READ(skb, network_header);
	__u8 ip[40];
	__u32 l4 = 0;

	e->l3proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	e->len = BPF_CORE_READ(skb, len);
	if (!head || bpf_probe_read_kernel(ip, 20, nh))
		return;
	if ((ip[0] >> 4) == 4) {
		__u32 ihl = (ip[0] & 0x0f) * 4;
		__u16 frag = ((ip[6] << 8) | ip[7]) & 0x1fff;

		if (ihl < 20)
			return;
		e->family = 4;
		e->proto = ip[9];
		__builtin_memcpy(e->saddr, &ip[12], 4);
		__builtin_memcpy(e->daddr, &ip[16], 4);
		if (!frag)
			l4 = ihl;
	} else if ((ip[0] >> 4) == 6) {
		if (bpf_probe_read_kernel(&ip[20], 20, nh + 20))
			return;
		__u8 next = ip[6];

		e->family = 6;
		__builtin_memcpy(e->saddr, &ip[8], 16);
		__builtin_memcpy(e->daddr, &ip[24], 16);
		/* Up to four extension headers (hop-by-hop, routing,
		 * destination options, fragment); no ports in a fragment
		 * other than the first. */
		l4 = 40;
		for (int i = 0; i < 4; i++) {
			__u8 x[4];

			if (next != 0 && next != 43 && next != 60 && next != 44)
				break;
			if (bpf_probe_read_kernel(x, sizeof(x), nh + l4))
				return;
			if (next == 44) {
				next = x[0];
				l4 = (((x[2] << 8) | x[3]) & 0xfff8) ? 0 : l4 + 8;
				if (!l4)
					break;
			} else {
				next = x[0];
				l4 += (x[1] + 1) * 8;
			}
		}
		e->proto = next;
	} else {
		return;
	}
	if (l4 && (e->proto == 6 || e->proto == 17)) {
		__u8 t[14];

		if (bpf_probe_read_kernel(t, sizeof(t), nh + l4))
			return;
		e->sport = (t[0] << 8) | t[1];
		e->dport = (t[2] << 8) | t[3];
		e->has_ports = 1;
		if (e->proto == 6)
			e->tcp_flags = t[13];
	}
}

static __always_inline bool prefix_match(const __u8 *a)
{
	__u32 bits = f_prefix;

	for (int i = 0; i < 16; i++) {
		__u8 mask;

		if (bits == 0)
			return true;
		mask = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((a[i] ^ f_addr[i]) & mask)
			return false;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return true;
}

static __always_inline bool selected(const struct event *e)
{
	if (f_netns && e->netns != f_netns)
		return false;
	if (f_proto && (!e->family || e->proto != f_proto))
		return false;
	if (f_port && (!e->has_ports || (e->sport != f_port && e->dport != f_port)))
		return false;
	if (f_family && (e->family != f_family || !(prefix_match(e->saddr) || prefix_match(e->daddr))))
		return false;
	return true;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

/* A zeroed record of `kind` in the ring buffer, or NULL (counted lost). */
static __always_inline struct event *reserve(__u32 kind, __u32 reason)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->reason = reason;
	return e;
}

/* As reserve(), with room for the packet's bytes. */
static __always_inline struct event *reserve_pkt(__u32 reason)
{
	struct event_pkt *p = bpf_ringbuf_reserve(&events, sizeof(*p), 0);

	if (!p) {
		count_lost();
		return 0;
	}
	__builtin_memset(&p->e, 0, sizeof(p->e));
	p->caplen = 0;
	p->e.kind = NFSCOPE_EV_DROP;
	p->e.reason = reason;
	return &p->e;
}

/* Up to f_snaplen bytes from the network header, linear data only. */
static __always_inline void capture(struct event_pkt *p, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u32 nh = BPF_CORE_READ(skb, network_header);
	__u32 tail = BPF_CORE_READ(skb, tail);
	__u32 n = tail > nh ? tail - nh : 0;

	if (n > f_snaplen)
		n = f_snaplen;
	if (n > NFSCOPE_SNAPLEN_MAX)
		n = NFSCOPE_SNAPLEN_MAX;
	if (!head || !n || bpf_probe_read_kernel(p->packet, n, head + nh))
		return;
	p->caplen = n;
}

static __always_inline void finish(void *ctx, struct event *e)
{
	e->time_ns = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->stack_bytes = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(nfs_kfree_skb, struct sk_buff *skb, void *location, unsigned int reason, struct sock *rx_sk)
{
	struct event *e;

	if (reason <= SKB_CONSUMED || !reason_selected(reason))
		return 0;
	e = f_snaplen ? reserve_pkt(reason) : reserve(NFSCOPE_EV_DROP, reason);
	if (!e)
		return 0;
	e->location = (__u64)location;
	place(e, skb, rx_sk);
	headers(e, skb);
	if (!selected(e)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	/* The network header is only known to be one for IP packets. */
	if (f_snaplen && e->family)
		capture((struct event_pkt *)e, skb);
	finish(ctx, e);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(nfs_send_reset, struct sock *sk, struct sk_buff *skb, unsigned int reason)
{
	struct event *e;

	/* The reason filters name drop reasons: resets are not filtered by them. */
	e = reserve(NFSCOPE_EV_RST, reason);
	if (!e)
		return 0;
	if (sk)
		e->tcp_state = BPF_CORE_READ(sk, __sk_common.skc_state) | NFSCOPE_STATE_KNOWN;
	if (skb) {
		/* The reset answers skb: the record carries the reset's
		 * direction, the reverse of skb's, and no flags. */
		__u8 tmp[16];
		__u16 port;

		place(e, skb, 0);
		headers(e, skb);
		__builtin_memcpy(tmp, e->saddr, 16);
		__builtin_memcpy(e->saddr, e->daddr, 16);
		__builtin_memcpy(e->daddr, tmp, 16);
		port = e->sport;
		e->sport = e->dport;
		e->dport = port;
		e->tcp_flags = 0;
	}
	if (sk && (!skb || !e->family)) {
		unsigned short family = BPF_CORE_READ(sk, __sk_common.skc_family);

		e->netns = sock_netns(sk);
		e->proto = 6;
		e->has_ports = 1;
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (family == 2) {
			e->family = 4;
			bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
			bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
		} else if (family == 10) {
			e->family = 6;
			bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
			bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
		}
	}
	if (!selected(e)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	finish(ctx, e);
	return 0;
}
