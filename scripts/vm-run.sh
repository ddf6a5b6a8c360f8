#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel under QEMU (TCG) with virtme-ng and run one guest script.
#
#   scripts/vm-run.sh OUTDIR SCRIPT [ARGS...]
#
# The guest sees the host's root read-only over 9p (so host-installed tools and
# host-built binaries work) and OUTDIR read-write. The guest's console goes to
# OUTDIR/console.log and its dmesg to OUTDIR/dmesg.log. Exits with the script's
# status; fails if the kernel logged trouble (an oops or WARN, KASAN, KFENCE,
# UBSAN, lockdep, a sleep in atomic context, a soft lockup, refcount_t), or if
# the guest did not finish within NFSCOPE_VM_TIMEOUT seconds (default 600).
#
# The kernel: KDIR, or the test kernel of flavour NFSCOPE_KERNEL (main or
# debug, scripts/build-kernel.sh). The module: NFSCOPE_KO, or the one
# scripts/build-module.sh built for that kernel.
source "$(dirname "$0")/common.sh"

[ $# -ge 2 ] || die "usage: $0 OUTDIR SCRIPT [ARGS...]"
out=$(mkdir -p "$1" && cd "$1" && pwd)
script=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift 2
[ -x "$VNG_VENV/bin/vng" ] || die "virtme-ng missing: run scripts/install-deps.sh"
KDIR=${KDIR:-$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)}
ko=${NFSCOPE_KO:-$(module_path "$KDIR")}
[ -f "$ko" ] || die "no module built for $KDIR ($ko): run KDIR=$KDIR scripts/build-module.sh"
timeout_s=${NFSCOPE_VM_TIMEOUT:-600}
cpus=${NFSCOPE_VM_CPUS:-2}
# Extra QEMU options (benchmarks: -icount, see scripts/bench-drops.sh).
qemu_opts=()
[ -n "${NFSCOPE_VM_QEMU_OPTS:-}" ] && qemu_opts=(--qemu-opts "$NFSCOPE_VM_QEMU_OPTS")

rm -f "$out/rc" "$out/dmesg.log" "$out/console.log" "$out/module-ranges" "$out/kmemleak.txt"
# The guest wrapper reads settings from here (OUTDIR is shared with the guest).
printf 'NFSCOPE_KO=%q\n' "$ko" >"$out/env"
# A scenario's own knobs (NFSCOPE_RELOAD_CYCLES=...) reach it too.
for knob in NFSCOPE_RELOAD_CYCLES NFSCOPE_SUITE_SLOWDOWN NFSCOPE_PROFILE_MODES; do
	if [ -n "${!knob:-}" ]; then printf '%s=%q\n' "$knob" "${!knob}" >>"$out/env"; fi
done
args=$(printf ' %q' "$@")
guest_cmd="$(printf %q "$NFSCOPE_ROOT/qemu-tests/guest-wrapper.sh") $(printf %q "$out") $(printf %q "$script")$args"

# vng runs virtme-run by name: its venv must be on PATH.
set +e
PATH=$VNG_VENV/bin:$PATH timeout --kill-after=10 "$timeout_s" \
	vng --run "$KDIR" --disable-kvm --force-9p --cpus "$cpus" --memory 1G "${qemu_opts[@]}" \
	--rwdir "$out" -v -e "$guest_cmd" </dev/null >"$out/console.log" 2>&1
vng_rc=$?
set -e

status=0
if [ "$vng_rc" = 124 ] || [ "$vng_rc" = 137 ]; then
	log "$(basename "$script"): the VM did not finish within ${timeout_s}s (console: $out/console.log)"
	status=1
elif [ ! -f "$out/rc" ]; then
	log "$(basename "$script"): the guest never reported a result (vng exit $vng_rc); last console lines:"
	tail -n 30 "$out/console.log" >&2
	status=1
else
	status=$(cat "$out/rc")
fi

# The dmesg the guest saved, or the console when the guest died first.
scan=$out/dmesg.log
[ -s "$scan" ] || scan=$out/console.log
source "$NFSCOPE_ROOT/qemu-tests/lib/trouble.sh"
if bad=$(nfscope_trouble "$scan"); then
	log "$(basename "$script"): the kernel logged trouble ($scan):"
	printf '%s\n' "$bad" | head -n 20 >&2
	status=1
fi
exit "$status"
