#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz the TOA codec (kmod/codec/src/toa.rs, which the module compiles too):
#   1. coverage-guided: cargo fuzz (libFuzzer + AddressSanitizer) for
#      FUZZ_RUNS inputs (default 10 million);
#   2. the std-only mutational driver (examples/fuzz_toa.rs), same count.
# Either fails the script on a panic or a broken invariant. cargo fuzz needs
# nightly features; the stable toolchain provides them with RUSTC_BOOTSTRAP=1.
source "$(dirname "$0")/common.sh"
cd "$NFSCOPE_ROOT"
runs=${FUZZ_RUNS:-10000000}
cargo_fuzz=$NFSCOPE_CACHE/cargo-fuzz/bin/cargo-fuzz
if [ ! -x "$cargo_fuzz" ]; then
	log "installing cargo-fuzz 0.13.2 into $NFSCOPE_CACHE/cargo-fuzz"
	cargo install --locked --quiet --root "$NFSCOPE_CACHE/cargo-fuzz" cargo-fuzz --version =0.13.2
fi
log "cargo fuzz: $runs inputs"
(cd kmod/codec && RUSTC_BOOTSTRAP=1 "$cargo_fuzz" run toa -- -runs="$runs" -max_len=40 2>&1 | tail -n 3)
log "std mutational driver: $runs inputs"
cargo run --release --locked -q -p nfscope-codec --example fuzz_toa -- "$runs"
