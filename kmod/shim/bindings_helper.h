/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen generates Rust declarations for (see Kbuild): the kernel APIs
 * nfscope's safe wrappers call, the shim's prototypes and the UAPI.
 */
#include <linux/fprobe.h>
#include <linux/jiffies.h>
#include <linux/sprintf.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/netfilter.h>
#include <linux/proc_fs.h>
#include <linux/skbuff.h>
#include <linux/stacktrace.h>
#include <linux/tracepoint.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "../include/uapi/nfscope.h"
#include "nfscope_shim.h"
