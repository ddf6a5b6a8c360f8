#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-LINE (the arch-all .deb holding
# linux-source-LINE.tar.xz) and unpack it into the cache.
#
#   scripts/fetch-kernel-source.sh [LINE]     LINE: 7.2 (default) or 6.12
#
# Prints the version and sha256 used; the unpacked tree is
# $NFSCOPE_CACHE/src/<debian version>/linux-source-LINE and the version in use is
# kept in $NFSCOPE_CACHE/src/current-LINE.
#
# 6.12 is in bookworm-security: the system's own apt sources download it.
# 7.2 lives in sid and trixie-backports only. A PRIVATE apt configuration (its own
# sources list, lists and archive dirs) is used for that download: the system's
# apt sources are never touched, so nothing from sid can be installed.
# Versions disappear from the archive; the versions in PREFERRED are tried first,
# then the newest any suite offers.
source "$(dirname "$0")/common.sh"

line=${1:-7.2}
case "$line" in
7.2) PREFERRED=(7.2.13-1) ;;
6.12) PREFERRED=(6.12.117-1~deb12u1) ;;
*) die "unknown kernel line '$line' (7.2 or 6.12)" ;;
esac
pkg=linux-source-$line
SRC_DIR=$NFSCOPE_CACHE/src
current=$SRC_DIR/current-$line
mkdir -p "$SRC_DIR"
# The cache layout before kernel lines had names.
[ "$line" = 7.2 ] && [ ! -f "$current" ] && [ -f "$SRC_DIR/current" ] && cp "$SRC_DIR/current" "$current"

if [ -f "$current" ] && [ -d "$SRC_DIR/$(cat "$current")/$pkg" ]; then
	log "kernel source present: $(cat "$current") ($SRC_DIR/$(cat "$current"))"
	exit 0
fi

apt_dir=$NFSCOPE_CACHE/apt
apt_opts=(-o "APT::Sandbox::User=root")
if [ "$line" = 7.2 ]; then
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/cache"
	cat >"$apt_dir/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
SOURCES
	apt_opts+=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
		-o "Dir::Cache::Archives=$apt_dir/archives" -o "APT::Get::List-Cleanup=false")
	log "reading sid and trixie-backports indexes (private apt configuration)"
	apt-get "${apt_opts[@]}" update -qq >/dev/null || die "apt-get update of the private sources failed"
else
	mkdir -p "$apt_dir/archives"
	apt-cache madison "$pkg" >/dev/null 2>&1 && [ -n "$(apt-cache madison "$pkg")" ] ||
		{ log "reading the system's apt indexes"; apt-get update -qq >/dev/null || die "apt-get update failed"; }
fi

mapfile -t offered < <(apt-cache "${apt_opts[@]}" madison "$pkg" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -Vr)
candidates=("${PREFERRED[@]}" "${offered[@]}")
((${#offered[@]})) || log "no suite offers $pkg right now; trying ${PREFERRED[*]}"

cd "$apt_dir/archives"
for v in "${candidates[@]}"; do
	log "trying $pkg=$v"
	if apt-get "${apt_opts[@]}" download -qq "$pkg=$v" >/dev/null 2>&1; then
		deb=$(ls -t "${pkg}_"*"${v#*:}"*_all.deb | head -n1)
		sha=$(sha256sum "$deb" | cut -d' ' -f1)
		log "using $pkg $v, $deb, sha256 $sha"
		dest=$SRC_DIR/$v
		rm -rf "$dest" && mkdir -p "$dest"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" --wildcards "*/$pkg.tar.xz"
		tar -xJf "$dest/usr/src/$pkg.tar.xz" -C "$dest"
		rm -rf "$dest/usr"
		echo "$v sha256=$sha" >"$dest/VERSION.debian"
		echo "$v" >"$current"
		exit 0
	fi
done
die "no version of $pkg could be downloaded (tried: ${candidates[*]})"
