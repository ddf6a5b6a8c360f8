# SPDX-License-Identifier: GPL-2.0
# Shared settings for nfscope's scripts. Sourced, never run.
#
# Everything the build caches lives outside the repository, under $NFSCOPE_CACHE
# (default ~/.cache/nfscope), so a fresh clone reuses a kernel built earlier.

set -euo pipefail

NFSCOPE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NFSCOPE_CACHE=${NFSCOPE_CACHE:-$HOME/.cache/nfscope}
mkdir -p "$NFSCOPE_CACHE"

# The kernel is built with Debian's rustc-web: rustup's rustc comes first in PATH
# but has no rust-src, and the module must be built by the very rustc that built
# the kernel (E0514 otherwise).
KERNEL_RUSTC=/usr/bin/rustc
BINDGEN_VERSION=0.72.1
BINDGEN_ROOT=$NFSCOPE_CACHE/bindgen-$BINDGEN_VERSION
KERNEL_BINDGEN=$BINDGEN_ROOT/bin/bindgen
VNG_VERSION=1.42
VNG_VENV=$NFSCOPE_CACHE/vng-$VNG_VERSION
# C compiler of the test kernel: gcc (Debian's 12; builds the kernel much
# faster than clang here) or clang (clang-19, LLVM=-19). bindgen always uses
# libclang-19; with gcc, the kernel and the module filter the GCC-only flags.
KERNEL_CC=${NFSCOPE_KERNEL_CC:-gcc}

# make variables every kernel or module build needs; $1: gcc or clang.
kernel_make_vars() {
	[ "${1:-$KERNEL_CC}" = clang ] && echo LLVM=-19
	printf '%s\n' "RUSTC=$KERNEL_RUSTC" "BINDGEN=$KERNEL_BINDGEN" \
		"HOSTRUSTC=$KERNEL_RUSTC" "RUSTFMT=/usr/bin/rustfmt" "CLIPPY_DRIVER=/usr/bin/clippy-driver"
}

# module_path KDIR: where scripts/build-module.sh keeps the module built for
# the kernel tree KDIR (one per kernel release, so flavours do not clash).
module_path() { echo "$NFSCOPE_ROOT/out/modules/$(cat "$1/include/config/kernel.release")/nfscope.ko"; }

log() { printf '[nfscope] %s\n' "$*" >&2; }
die() { printf '[nfscope] error: %s\n' "$*" >&2; exit 1; }
