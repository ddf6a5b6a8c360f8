#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a Rust-enabled test kernel: `make tinyconfig` + scripts/kconfig/nfscope.config
# (+ the flavour's own fragment), then olddefconfig, then a check that every
# fragment option survived.
#
#   scripts/build-kernel.sh [KERNEL]     KERNEL: main (default), debug or 6.12
#
# main:  Linux 7.2, the main line: the test kernel every scenario runs on.
# debug: the same source and base fragment plus scripts/kconfig/nfscope-debug.config
#        (KASAN, KFENCE, lockdep, kmemleak, UBSAN, debug objects, full preemption).
# 6.12:  Linux 6.12 LTS, the second line, with the base fragment.
# KERNEL may also come from NFSCOPE_KERNEL; "7.2" names main. Each build goes to
# $NFSCOPE_CACHE/kernel/<debian version>[-<flavour>]-<config hash>, reused when
# present. Prints the build directory (KDIR) on stdout as its last line.
source "$(dirname "$0")/common.sh"

flavour=${1:-${NFSCOPE_KERNEL:-main}}
fragments=("$NFSCOPE_ROOT/scripts/kconfig/nfscope.config")
line=7.2
case "$flavour" in
main | 7.2) flavour=main suffix= ;;
6.12) line=6.12 suffix= ;;
debug)
	suffix=-debug
	fragments+=("$NFSCOPE_ROOT/scripts/kconfig/nfscope-debug.config")
	# Linux 7.2's RUST depends on `!KASAN || CC_IS_CLANG`.
	KERNEL_CC=clang
	;;
*) die "unknown kernel '$flavour' (main, debug or 6.12)" ;;
esac

"$NFSCOPE_ROOT/scripts/fetch-kernel-source.sh" "$line" >&2
version=$(cat "$NFSCOPE_CACHE/src/current-$line")
src=$NFSCOPE_CACHE/src/$version/linux-source-$line

# The key covers everything that decides the kernel image: the fragments, the
# toolchain, and how this script configures.
cc_version=$(if [ "$KERNEL_CC" = clang ]; then clang-19 --version; else gcc --version; fi | head -n1)
key=$( { cat "${fragments[@]}"; "$KERNEL_RUSTC" --version; "$KERNEL_BINDGEN" --version
	echo "$cc_version"; echo "config-v1"; } | sha256sum | cut -c1-12)
out=$NFSCOPE_CACHE/kernel/$version$suffix-$key
stamp=$out/.nfscope-built

if [ -f "$stamp" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	log "test kernel ($flavour) cached: $out"
	echo "$out"
	exit 0
fi

mapfile -t mk < <(kernel_make_vars)
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
mkdir -p "$out"
log "configuring $version ($flavour) in $out (tinyconfig + $(basename -a "${fragments[@]}" | paste -sd+))"
make -s -C "$src" O="$out" "${mk[@]}" tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null
make -s -C "$src" O="$out" "${mk[@]}" olddefconfig >&2

# Fail loudly when Kconfig dropped a fragment option (an unmet dependency).
# A later fragment's line overrides an earlier one's.
lost=0
while IFS= read -r line; do
	opt=${line%%=*}
	if ! grep -qxF "$line" "$out/.config"; then
		log "config option lost after olddefconfig: $line (now: $(grep -E "^(# )?$opt[= ]" "$out/.config" || echo absent))"
		lost=1
	fi
done < <(cat "${fragments[@]}" | grep '^CONFIG_' | tac | awk -F= '!seen[$1]++' | tac)
((lost == 0)) || die "the kernel config fragments did not survive olddefconfig (see above)"
"$KERNEL_RUSTC" --version >&2

log "building bzImage and modules ($flavour) with $(nproc) jobs, $cc_version"
start=$SECONDS
make -C "$src" O="$out" "${mk[@]}" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "kernel build failed; full log: $out/build.log"; }
log "kernel ($flavour) built in $((SECONDS - start)) s"
touch "$stamp"
echo "$out"
