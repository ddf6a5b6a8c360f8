// SPDX-License-Identifier: GPL-2.0
/*
 * Investigation aid for qemu-tests/manual/kprobe-rearm.sh (not part of
 * nfscope): prints the first bytes of inet_getname, the target of the call
 * at its __fentry__ site, and the first bytes there. Load, read dmesg, unload.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/printk.h>
#include <net/inet_common.h>

static char *tag = "";
module_param(tag, charp, 0);

static int __init callsite_init(void)
{
	const u8 *fn = (const u8 *)inet_getname;
	int i;

	pr_info("callsite[%s]: inet_getname at %px: %*ph\n", tag, fn, 16, fn);
	for (i = 0; i < 12; i++) {
		if (fn[i] == 0xe8 || fn[i] == 0xe9) {
			s32 rel = *(const s32 *)(fn + i + 1);
			const u8 *target = fn + i + 5 + rel;

			pr_info("callsite[%s]: +%d %s -> %px %pS: %*ph\n", tag, i,
				fn[i] == 0xe8 ? "call" : "jmp", target, target, 32, target);
			break;
		}
	}
	return 0;
}

static void __exit callsite_exit(void) { }

module_init(callsite_init);
module_exit(callsite_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfscope investigation aid: inet_getname call site");
