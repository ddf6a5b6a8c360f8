#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the Rust-enabled test kernel: `make tinyconfig` + scripts/kconfig/nfscope.config,
# then olddefconfig, then a check that every fragment option survived.
#
# The build goes to $NFSCOPE_CACHE/kernel/<debian version>-<config hash>, reused
# when present. Prints the build directory (KDIR) on stdout as its last line.
source "$(dirname "$0")/common.sh"

"$NFSCOPE_ROOT/scripts/fetch-kernel-source.sh" >&2
version=$(cat "$NFSCOPE_CACHE/src/current")
src=$NFSCOPE_CACHE/src/$version/linux-source-7.2
fragment=$NFSCOPE_ROOT/scripts/kconfig/nfscope.config

# The key covers everything that decides the kernel image: the fragment, the
# toolchain, and how this script configures.
cc_version=$(if [ "$KERNEL_CC" = clang ]; then clang-19 --version; else gcc --version; fi | head -n1)
key=$( { cat "$fragment"; "$KERNEL_RUSTC" --version; "$KERNEL_BINDGEN" --version
	echo "$cc_version"; echo "config-v1"; } | sha256sum | cut -c1-12)
out=$NFSCOPE_CACHE/kernel/$version-$key
stamp=$out/.nfscope-built

if [ -f "$stamp" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	log "test kernel cached: $out"
	echo "$out"
	exit 0
fi

mapfile -t mk < <(kernel_make_vars)
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
mkdir -p "$out"
log "configuring $version in $out (tinyconfig + $(basename "$fragment"))"
make -s -C "$src" O="$out" "${mk[@]}" tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >/dev/null
make -s -C "$src" O="$out" "${mk[@]}" olddefconfig >&2

# Fail loudly when Kconfig dropped a fragment option (an unmet dependency).
lost=0
while IFS= read -r line; do
	case "$line" in CONFIG_*) ;; *) continue ;; esac
	if ! grep -qxF "$line" "$out/.config"; then
		opt=${line%%=*}
		log "config option lost after olddefconfig: $line (now: $(grep -E "^(# )?$opt[= ]" "$out/.config" || echo absent))"
		lost=1
	fi
done <"$fragment"
((lost == 0)) || die "the kernel config fragment did not survive olddefconfig (see above)"
"$KERNEL_RUSTC" --version >&2

log "building bzImage and modules with $(nproc) jobs, $cc_version"
start=$SECONDS
make -C "$src" O="$out" "${mk[@]}" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "kernel build failed; full log: $out/build.log"; }
log "kernel built in $((SECONDS - start)) s"
touch "$stamp"
echo "$out"
