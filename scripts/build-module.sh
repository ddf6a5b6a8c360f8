#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build kmod/nfscope.ko against the test kernel (or KDIR=... your own Rust-enabled
# kernel build tree, built by the same rustc and bindgen). Extra arguments go to
# make, e.g. CLIPPY=1. The module is copied to out/modules/<kernel release>/
# (see module_path in common.sh), whose path is the last line printed.
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
# A tree built for another kernel would be linked as it is: start clean.
if [ "$(cat "$NFSCOPE_ROOT/kmod/.kdir" 2>/dev/null)" != "$KDIR" ]; then
	make -s -C "$NFSCOPE_ROOT/kmod" KDIR="$KDIR" "${mk[@]}" clean >/dev/null 2>&1 || true
fi
echo "$KDIR" >"$NFSCOPE_ROOT/kmod/.kdir"
make -s -C "$NFSCOPE_ROOT/kmod" KDIR="$KDIR" "${mk[@]}" "$@" >&2
dest=$(module_path "$KDIR")
mkdir -p "$(dirname "$dest")"
# Replaced in one step: a VM loading the module meanwhile reads the old file
# or the new one, never half of one.
cp "$NFSCOPE_ROOT/kmod/nfscope.ko" "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
echo "$dest"
