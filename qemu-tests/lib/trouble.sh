# SPDX-License-Identifier: GPL-2.0
# What in a kernel log fails a VM run (sourced by scripts/vm-run.sh on the
# host and qemu-tests/suite.sh in the guest): the words of the oops and WARN
# paths, KASAN, KFENCE, UBSAN, lockdep and RCU lockdep, debug objects, the
# atomic-sleep and lockup detectors, refcount_t.
NFSCOPE_TROUBLE='BUG:|WARNING:|Oops|Call Trace|KASAN|KFENCE:|UBSAN:|soft lockup|refcount_t'
NFSCOPE_TROUBLE+='|possible recursive locking|circular locking dependency|inconsistent lock state'
NFSCOPE_TROUBLE+='|possible irq lock inversion|suspicious RCU usage|sleeping function called from invalid context'
NFSCOPE_TROUBLE+='|unreferenced object|ODEBUG:'
