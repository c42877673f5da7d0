#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build a User-mode Linux kernel with the kernel's own rpmsg stack
# (virtio_rpmsg_bus, rpmsg_ns, rpmsg_char/ctrl, rpmsg_tty) and vhost-user
# devices (virtio_uml), from Debian's linux-source package.
#
# The result is cached outside the work tree, keyed by the source package
# version, the config fragment and our patch; an unchanged key skips the
# build.  Prints the path of the kernel binary on the last line of stdout.
#
# usage: build-kernel.sh [--print-path] [--force]
#   --print-path  only print where the kernel for the current key is (exit 1
#                 if it is not built)
#   --force       rebuild even if the cached kernel matches
# environment:
#   HIPC_CACHE        cache root (default ~/.cache/hipc); the kernel goes
#                     under $HIPC_CACHE/uml
#   HIPC_UML_SERIES   linux-source series to use (default 6.12, falls back
#                     to 6.1 if 6.12 is not available)
#   HIPC_UML_JOBS     make -j (default 2), run under nice -n 10
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HIPC_CACHE:-$HOME/.cache/hipc}/uml
frag=$here/uml-rpmsg.config
patchfile=$here/virtio_uml-defer-irq.patch
jobs=${HIPC_UML_JOBS:-2}
series=${HIPC_UML_SERIES:-6.12}

print_only=0
force=0
for a in "$@"; do
	case $a in
	--print-path) print_only=1 ;;
	--force) force=1 ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "build-kernel.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

log() { echo "build-kernel: $*" >&2; }
die() { echo "build-kernel: error: $*" >&2; exit 1; }

[ -r "$frag" ] || die "missing $frag"
[ -r "$patchfile" ] || die "missing $patchfile"

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		die "need root to run: $*"
	fi
}

pkg_version() {
	# not installed (or unknown) is an empty answer, not an error
	{ dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } |
		awk '$3 == "installed" { print $4 }'
}

apt_updated=0
apt_candidate() {
	local c
	c=$({ apt-cache policy "$1" 2>/dev/null || true; } | awk '/Candidate:/ { print $2 }')
	if { [ -z "$c" ] || [ "$c" = "(none)" ]; } && [ $apt_updated = 0 ]; then
		log "apt-get update (no candidate for $1)"
		as_root apt-get update -qq >&2 || true
		apt_updated=1
		c=$({ apt-cache policy "$1" 2>/dev/null || true; } | awk '/Candidate:/ { print $2 }')
	fi
	[ "$c" = "(none)" ] && c=
	echo "$c"
}

# --- the source package --------------------------------------------------
pkg=linux-source-$series
ver=$(pkg_version "$pkg")
if [ -z "$ver" ] && [ $print_only = 0 ]; then
	if [ -z "$(apt_candidate "$pkg")" ] && [ "$series" = 6.12 ]; then
		log "linux-source-6.12 is not available; falling back to linux-source-6.1"
		series=6.1
		pkg=linux-source-$series
	fi
	ver=$(pkg_version "$pkg")
fi
if [ -z "$ver" ] && [ $print_only = 1 ] && [ "$series" = 6.12 ]; then
	v61=$(pkg_version linux-source-6.1)
	if [ -n "$v61" ]; then
		series=6.1
		pkg=linux-source-6.1
		ver=$v61
	fi
fi
[ -n "$ver" ] || [ $print_only = 0 ] || { log "$pkg not installed"; exit 1; }

# build tools: the kernel's kconfig and build need these
need=()
for p in "$pkg" build-essential flex bison bc xz-utils libelf-dev; do
	[ -n "$(pkg_version "$p")" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ] && [ $print_only = 0 ]; then
	[ -n "$(apt_candidate "${need[0]}")" ] || true
	log "installing ${need[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
		die "apt-get install ${need[*]} failed"
	ver=$(pkg_version "$pkg")
fi
[ -n "$ver" ] || die "$pkg is not installed"

key=$( { echo "$pkg $ver"; cat "$frag"; cat "$patchfile"; } |
	sha256sum | cut -c1-16)
out=$cache/kernel-$key
if [ $print_only = 1 ]; then
	[ -x "$out/linux" ] || { log "no kernel built for key $key"; exit 1; }
	echo "$out/linux"
	exit 0
fi

mkdir -p "$cache"
# one build at a time per cache (CI and a developer's ctest may race)
exec 9>"$cache/.lock"
flock -w 3600 9 || die "cache lock held for an hour: $cache/.lock"

if [ $force = 0 ] && [ -x "$out/linux" ] && [ -f "$out/key" ] &&
   [ "$(cat "$out/key")" = "$key" ]; then
	log "cached: $pkg $ver, key $key ($(grep -h '^build_seconds=' "$out/info" 2>/dev/null | cut -d= -f2) s to build, $(grep -h '^built=' "$out/info" 2>/dev/null | cut -d= -f2))"
	ln -sfn "kernel-$key" "$cache/current"
	echo "$out/linux"
	exit 0
fi

t0=$(date +%s)
tarball=/usr/src/linux-source-$series.tar.xz
[ -r "$tarball" ] || die "$tarball missing (is $pkg installed?)"

# --- unpack once per package version ------------------------------------
src=$cache/src-$ver
if [ ! -f "$src/.unpacked" ]; then
	log "unpacking $tarball into $src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.unpacked"
fi

# --- our patch: revert the one applied before, apply the current one ----
applied=$src/.hipc-applied.patch
if [ -f "$applied" ] && ! cmp -s "$applied" "$patchfile"; then
	log "reverting the previously applied patch"
	patch -d "$src" -p1 -R -s --no-backup-if-mismatch < "$applied" ||
		die "cannot revert the old patch; remove $src and retry"
	rm -f "$applied"
fi
if [ ! -f "$applied" ]; then
	log "applying $(basename "$patchfile")"
	patch -d "$src" -p1 -s --no-backup-if-mismatch --dry-run < "$patchfile" ||
		die "patch does not apply to $pkg $ver"
	patch -d "$src" -p1 -s --no-backup-if-mismatch < "$patchfile"
	cp "$patchfile" "$applied"
fi

# --- configure (out of tree, one build dir per package version) ---------
bld=$cache/build-$ver
mkdir -p "$bld"
kmake() { nice -n 10 make -C "$src" O="$bld" ARCH=um "$@"; }

log "configuring: defconfig + $(basename "$frag")"
kmake -s defconfig >&2
# merge: every option the fragment names replaces whatever defconfig said
opts=$(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1/p' \
	-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set.*/\1/p' "$frag")
cp "$bld/.config" "$bld/.config.defconfig"
for o in $opts; do
	sed -i -e "/^$o=/d" -e "/^# $o is not set/d" "$bld/.config"
done
grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$frag" \
	>> "$bld/.config"
kmake -s olddefconfig >&2

# every option of the fragment must have survived olddefconfig
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$bld/.config" || {
			log "option did not take: $line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$bld/.config" || echo unset))"
			bad=1
		} ;;
	"# CONFIG_"*" is not set"*)
		o=${line#\# }; o=${o%% *}
		if grep -q "^$o=" "$bld/.config"; then
			log "option did not take: $line"
			bad=1
		fi ;;
	esac
done < "$frag"
[ $bad = 0 ] || die "the kernel config does not match $(basename "$frag")"

# --- build ----------------------------------------------------------------
log "building $pkg $ver (ARCH=um, -j$jobs, nice 10)"
tb=$(date +%s)
kmake -j"$jobs" linux >&2 || die "kernel build failed"
te=$(date +%s)

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cp "$bld/linux" "$out.tmp/linux"
cp "$bld/.config" "$out.tmp/config"
echo "$key" > "$out.tmp/key"
{
	echo "package=$pkg"
	echo "version=$ver"
	echo "kernelrelease=$(kmake -s kernelrelease 2>/dev/null || echo unknown)"
	echo "build_seconds=$((te - tb))"
	echo "total_seconds=$((te - t0))"
	echo "jobs=$jobs"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$out.tmp/info"
rm -rf "$out"
mv "$out.tmp" "$out"
ln -sfn "kernel-$key" "$cache/current"
# trees of other package versions are dead weight (about 2 GiB each)
for d in "$cache"/src-* "$cache"/build-*; do
	[ -d "$d" ] || continue
	case ${d##*/} in
	"src-$ver"|"build-$ver") ;;
	*) log "removing stale $d"; rm -rf "$d" ;;
	esac
done
log "built $pkg $ver in $((te - tb)) s (total $((te - t0)) s): $out/linux"
echo "$out/linux"
