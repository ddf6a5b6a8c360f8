#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The test command: install what is missing, build the test kernels (cached):
# main (Linux 7.2), debug (7.2 with KASAN, lockdep, ...) and 6.12 (the LTS
# line), the module for each (clippy-clean) and the CLI, run the host tests,
# then every VM scenario on the main and 6.12 kernels and the core set on the
# debug kernel (scripts/vm-test.sh says which). Any failure fails the run.
source "$(dirname "$0")/common.sh"
cd "$NFSCOPE_ROOT"
start=$SECONDS

"$NFSCOPE_ROOT/scripts/install-deps.sh"
# Every test kernel: main and 6.12 (all scenarios), debug (KASAN, KFENCE,
# lockdep, kmemleak, UBSAN, debug objects; NFSCOPE_DEBUG_TESTS scenarios).
kernels=${NFSCOPE_KERNELS:-main debug 6.12}
mkdir -p "$NFSCOPE_ROOT/out"
for flavour in $kernels; do
	KDIR=$("$NFSCOPE_ROOT/scripts/build-kernel.sh" "$flavour" | tail -n1)
	log "building nfscope.ko for the $flavour kernel with CLIPPY=1 (warnings fail the build)"
	clippy_log=$NFSCOPE_ROOT/out/module-build-$flavour.log
	make -s -C kmod KDIR="$KDIR" clean >/dev/null 2>&1 || true
	KDIR=$KDIR "$NFSCOPE_ROOT/scripts/build-module.sh" CLIPPY=1 >"$clippy_log" 2>&1 ||
		{ cat "$clippy_log" >&2; die "module build for the $flavour kernel failed"; }
	if grep -E '^(warning|error)|: (warning|error):' "$clippy_log" >&2; then
		die "the module build (CLIPPY=1, $flavour kernel) printed warnings; full log: $clippy_log"
	fi
done

log "building the CLI and running host tests"
cargo build --release --locked
# --release: reuses the build above instead of compiling everything again for debug.
cargo test --workspace --locked --release
log "fuzzing the TOA codec: 10 million mutated option lists (scripts/fuzz-toa.sh adds cargo fuzz)"
cargo run --release --locked -q -p nfscope-codec --example fuzz_toa -- 10000000

log "running VM scenarios on the $kernels kernel(s)"
NFSCOPE_KERNELS=$kernels "$NFSCOPE_ROOT/scripts/vm-test.sh"
log "all tests passed in $((SECONDS - start)) s"
