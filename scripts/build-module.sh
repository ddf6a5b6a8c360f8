#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build kmod/nfscope.ko against the test kernel (or KDIR=... your own Rust-enabled
# kernel build tree, built by the same rustc and bindgen). Extra arguments go to
# make, e.g. CLIPPY=1. Prints the module's path as its last line.
source "$(dirname "$0")/common.sh"

if [ -z "${KDIR:-}" ]; then
	KDIR=$("$NFSCOPE_ROOT/scripts/build-kernel.sh" | tail -n1)
fi
[ -f "$KDIR/Module.symvers" ] || die "KDIR=$KDIR is not a built kernel tree (no Module.symvers)"
grep -q '^CONFIG_RUST=y' "$KDIR/.config" || die "KDIR=$KDIR was not built with CONFIG_RUST=y"

# Build with the compiler that built the kernel tree.
cc=gcc
grep -q '^CONFIG_CC_IS_CLANG=y' "$KDIR/.config" && cc=clang
mapfile -t mk < <(kernel_make_vars "$cc")
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
make -s -C "$NFSCOPE_ROOT/kmod" KDIR="$KDIR" "${mk[@]}" "$@" >&2
echo "$NFSCOPE_ROOT/kmod/nfscope.ko"
