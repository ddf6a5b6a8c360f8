#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Investigation of the kprobe re-arm crash (README, "Reload safety"); not a
# test: it crashes the guest on the affected kernels. Builds nothing: run
#   make -C "$KDIR" M=$PWD/qemu-tests/manual/callsite modules
# first, then
#   scripts/vm-run.sh out/vm/kprobe-rearm qemu-tests/manual/kprobe-rearm.sh
# It arms a tracefs kprobe on inet_getname, fires it, removes it, twice, and
# at each step logs the function's first bytes, where its __fentry__ call
# goes (callsite.ko) and ftrace's view (enabled_functions) to the kernel log.
source "$NFSCOPE_ROOT/qemu-tests/lib.sh"
T=/sys/kernel/tracing
CS=$NFSCOPE_ROOT/qemu-tests/manual/callsite/callsite.ko
mark() { step "$*"; echo "repro: $*" >/dev/kmsg; }
show() {
	insmod "$CS" tag="$1" && rmmod callsite
	sed "s/^/repro[$1] enabled_functions: /" $T/enabled_functions >/dev/kmsg
}
getsockname() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname())'; }
show start
for round in 1 2; do
	mark "round $round: kprobe on inet_getname"
	echo 'p:k1 inet_getname' >>$T/kprobe_events
	show "r$round-created"
	echo 1 >$T/events/kprobes/k1/enable
	show "r$round-enabled"
	mark "round $round: firing"
	getsockname
	echo 0 >$T/events/kprobes/k1/enable
	show "r$round-disabled"
	echo '-:k1' >>$T/kprobe_events
	show "r$round-removed"
done
echo "no crash"
