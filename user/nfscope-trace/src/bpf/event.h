/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record the tracers put in the ring buffer. src/event.rs mirrors it
 * (#[repr(C)], size checked at build time): change both together.
 */
#ifndef NFSCOPE_EVENT_H
#define NFSCOPE_EVENT_H

#define NFSCOPE_STACK_MAX 32
#define NFSCOPE_SNAPLEN_MAX 256
#define NFSCOPE_MAX_REASONS 16

enum {
	NFSCOPE_EV_DROP = 0,
	NFSCOPE_EV_RST = 1,
};

/* Set in tcp_state when a socket was there to read it from. */
#define NFSCOPE_STATE_KNOWN 0x80

struct event {
	__u64 time_ns;		/* CLOCK_MONOTONIC */
	__u64 location;		/* drops: the freeing call site */
	__u64 stack[NFSCOPE_STACK_MAX];
	__u32 kind;
	__u32 reason;
	__u32 pid;
	__u32 cpu;
	__u32 netns;
	__u32 ifindex;
	__u32 len;
	__s32 stack_bytes;	/* bpf_get_stack()'s result: bytes, or -errno */
	__u16 l3proto;
	__u16 sport;
	__u16 dport;
	__u8 family;		/* 0: no IP header found; 4 or 6 */
	__u8 proto;
	__u8 tcp_flags;
	__u8 tcp_state;
	__u8 has_ports;
	__u8 pad;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[16];
};

/* A drop record with the packet's first bytes from its network header
 * (the linear part only), when a snaplen is set. */
struct event_pkt {
	struct event e;
	__u32 caplen;
	__u8 packet[NFSCOPE_SNAPLEN_MAX];
};

#endif
