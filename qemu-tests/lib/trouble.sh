# SPDX-License-Identifier: GPL-2.0
# What in a kernel log fails a VM run (sourced by scripts/vm-run.sh on the
# host and qemu-tests/suite.sh in the guest): the words of the oops and WARN
# paths, KASAN, KFENCE, UBSAN, lockdep and RCU lockdep, debug objects, the
# atomic-sleep and lockup detectors, refcount_t.
NFSCOPE_TROUBLE='BUG:|WARNING:|Oops|Call Trace|KASAN|KFENCE:|UBSAN:|soft lockup|refcount_t'
NFSCOPE_TROUBLE+='|possible recursive locking|circular locking dependency|inconsistent lock state'
NFSCOPE_TROUBLE+='|possible irq lock inversion|suspicious RCU usage|sleeping function called from invalid context'
NFSCOPE_TROUBLE+='|unreferenced object|ODEBUG:'

# The one line of those words that is not trouble: the ORC unwinder's note
# (printk_deferred_once; no WARN(), no backtrace, no taint) when a stack is
# saved in an interrupt that landed in the last instructions of the function
# graph trampoline `return_to_handler` (its `call .Ldo_rop; mov %rdi,(%rsp);
# ret` retpoline, where the next frame the unwinder computes is not above the
# last; seen at return_to_handler+0x46 on the 7.2 debug kernel). That one
# stack trace stops there; nothing else happens. Functions probed by fprobes
# with exit handlers (nfscope's getname probes) return through the
# trampoline, and stacks are saved in interrupts all the time (KASAN and
# kmemleak on the debug kernel, nfscope's kfree_skb probe on every kernel).
NFSCOPE_NOT_TROUBLE='WARNING: stack going in the wrong direction\? at return_to_handler\+'

# Prints the trouble lines of kernel log $1; true if there are any. The lines
# matching NFSCOPE_NOT_TROUBLE are printed to stderr as ignored, with why.
nfscope_trouble() {
	local ignored
	if ignored=$(grep -E "$NFSCOPE_NOT_TROUBLE" "$1"); then
		printf 'ignored (ORC unwinder note on return_to_handler, see qemu-tests/lib/trouble.sh): %s\n' "$ignored" >&2
	fi
	grep -E "$NFSCOPE_TROUBLE" "$1" | grep -vE "$NFSCOPE_NOT_TROUBLE"
}
