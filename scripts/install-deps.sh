#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything nfscope needs to build the test kernel, the module, the CLI
# and to run the VM tests. Idempotent; fast when everything is present.
#
# Debian packages come from the system's own sources (bookworm, bookworm-security)
# only. bindgen-cli and virtme-ng go into the cache directory, pinned.
source "$(dirname "$0")/common.sh"

APT_PACKAGES=(
	# kernel toolchain (rustc-web 1.96 builds Linux 7.2's Rust code)
	rustc-web rust-web-src cargo-web rust-web-clippy rustfmt-web
	clang-19 libclang-19-dev llvm-19 lld-19
	make gcc flex bison bc libelf-dev libssl-dev dwarves cpio xz-utils
	# VM runner (virtme-ng fails silently with exit 255 without udev and kmod)
	qemu-system-x86 udev kmod python3-venv
	# tools the VM scenarios use (the guest sees the host's root over 9p)
	iproute2 iputils-ping nftables conntrack tcpdump util-linux procps libcap2-bin
	# libbpf-rs tracers
	pkg-config zlib1g-dev
	# real servers behind a crafted balancer (TOA scenarios)
	nginx-light
	# a real Prometheus (and promtool) scraping `nfscope exporter`; tshark
	# reading the pcapng of drops
	prometheus
	tshark
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing from apt: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "installing packages needs root: sudo $0"
	export DEBIAN_FRONTEND=noninteractive
	# Packages that bring a service (nginx, prometheus) must not start it on this
	# machine: the scenarios run their own, in the VM.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -qq
	# udev must match the installed systemd; installing both keeps them in step.
	# A postinst that fails on first configuration (seen with systemd's in chroots)
	# leaves packages half-configured; finish them and try once more.
	apt-get install -y -qq --no-install-recommends "${missing[@]}" systemd >/dev/null ||
		{ dpkg --configure -a >/dev/null || true
		  apt-get install -y -qq --no-install-recommends "${missing[@]}" systemd >/dev/null; } ||
		die "apt-get install failed for: ${missing[*]}"
fi

# bindgen-cli: the kernel's Rust build and the module's own bindings need it.
if [ ! -x "$KERNEL_BINDGEN" ] || ! "$KERNEL_BINDGEN" --version | grep -q "$BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION into $BINDGEN_ROOT"
	cargo install --locked --quiet --root "$BINDGEN_ROOT" bindgen-cli --version "=$BINDGEN_VERSION"
fi

# virtme-ng, pinned, in its own venv.
if [ ! -x "$VNG_VENV/bin/vng" ] || ! "$VNG_VENV/bin/vng" --version 2>/dev/null | grep -q "$VNG_VERSION"; then
	log "installing virtme-ng $VNG_VERSION into $VNG_VENV"
	rm -rf "$VNG_VENV"
	/usr/bin/python3 -m venv "$VNG_VENV"
	"$VNG_VENV/bin/pip" install -q "virtme-ng==$VNG_VERSION"
fi
log "dependencies present"
