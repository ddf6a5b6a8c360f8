#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Not a test (it crashes the guest): shows that re-creating a kretprobe on a
# function after an earlier kretprobe on it fired and was removed ends in a
# call to address 0 at the function's entry, with no nfscope code involved
# (tracefs kprobe events only). This is the crash behind "do not reload
# nfscope.ko" in the README: the module's return probes (inet_getname, the
# netfilter hook functions) meet it on reload.
#   scripts/vm-run.sh out/vm/kretprobe qemu-tests/manual/kretprobe-reregister.sh
# Seen with the test kernel (7.2.13, GCC, kprobes on ftrace) under QEMU TCG:
#   BUG: kernel NULL pointer dereference ... RIP: 0010:0x0
#   inet_getname+0x9 / do_getsockname / __sys_getsockname
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
T=/sys/kernel/tracing
# Steps go to the kernel log too: the console loses stdout when the guest dies.
mark() { step "$*"; echo "repro: $*" >/dev/kmsg; }
getsockname() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname())'; }

mark "a return probe on inet_getname, fired, removed"
echo 'r:r1 inet_getname' >>$T/kprobe_events
echo 1 >$T/events/kprobes/r1/enable
getsockname
echo 0 >$T/events/kprobes/r1/enable
echo '-:r1' >>$T/kprobe_events
mark "first probe removed; calling inet_getname without a probe"
getsockname

mark "the same probe again: the next call crashes"
echo 'r:r1 inet_getname' >>$T/kprobe_events
echo 1 >$T/events/kprobes/r1/enable
mark "calling inet_getname with the second probe"
getsockname
echo "no crash: the kernel does not have the problem"
