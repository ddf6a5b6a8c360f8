#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-7.2 (the arch-all .deb holding linux-source-7.2.tar.xz)
# and unpack it into the cache. Prints the version and sha256 used.
#
# The package lives in sid and trixie-backports only. A PRIVATE apt configuration
# (its own sources list, lists and archive dirs) is used for the download: the
# system's apt sources are never touched, so nothing from sid can be installed.
# Versions disappear from sid; the newest 7.2.x any suite offers is taken, and the
# versions in PREFERRED are tried first.
source "$(dirname "$0")/common.sh"

PREFERRED=(7.2.13-1)
SRC_DIR=$NFSCOPE_CACHE/src
mkdir -p "$SRC_DIR"

if [ -f "$SRC_DIR/current" ] && [ -d "$SRC_DIR/$(cat "$SRC_DIR/current")/linux-source-7.2" ]; then
	log "kernel source present: $(cat "$SRC_DIR/current") ($SRC_DIR/$(cat "$SRC_DIR/current"))"
	exit 0
fi

apt_dir=$NFSCOPE_CACHE/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
cat >"$apt_dir/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
SOURCES
apt_private=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o "Dir::Cache::Archives=$apt_dir/archives" -o "APT::Get::List-Cleanup=false" -o "APT::Sandbox::User=root")
mkdir -p "$apt_dir/cache"
log "reading sid and trixie-backports indexes (private apt configuration)"
apt-get "${apt_private[@]}" update -qq >/dev/null || die "apt-get update of the private sources failed"

mapfile -t offered < <(apt-cache "${apt_private[@]}" madison linux-source-7.2 | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -Vr)
candidates=("${PREFERRED[@]}" "${offered[@]}")
((${#offered[@]})) || log "no suite offers linux-source-7.2 right now; trying ${PREFERRED[*]}"

cd "$apt_dir/archives"
for v in "${candidates[@]}"; do
	log "trying linux-source-7.2=$v"
	if apt-get "${apt_private[@]}" download -qq "linux-source-7.2=$v" >/dev/null 2>&1; then
		deb=$(ls -t linux-source-7.2_*"${v#*:}"*_all.deb | head -n1)
		sha=$(sha256sum "$deb" | cut -d' ' -f1)
		log "using linux-source-7.2 $v, $deb, sha256 $sha"
		dest=$SRC_DIR/$v
		rm -rf "$dest" && mkdir -p "$dest"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" --wildcards '*/linux-source-7.2.tar.xz'
		tar -xJf "$dest"/usr/src/linux-source-7.2.tar.xz -C "$dest"
		rm -rf "$dest/usr"
		echo "$v sha256=$sha" >"$dest/VERSION.debian"
		echo "$v" >"$SRC_DIR/current"
		exit 0
	fi
done
die "no version of linux-source-7.2 could be downloaded (tried: ${candidates[*]})"
