#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# What CI runs for the Cortex-M4 target: install the cross toolchain and
# QEMU if missing, build the cross tree (core, bare-metal port, echo image),
# check hipc's size against cross/size-budget.txt, let hipcctl read the
# image's resource table (when HIPCCTL points at a host build's hipcctl),
# run the core's tests under QEMU.  Every step runs; the exit status is 1 if
# any failed.
#
#   scripts/m4-check.sh [BUILD_DIR]     (default: $HIPC_M4_BUILD or /tmp/build-m4)
#   scripts/m4-check.sh --install-only  (the packages only)
set -u

install_only=
if [ "${1:-}" = --install-only ]; then
	install_only=1
	shift
fi

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${HIPC_M4_BUILD:-/tmp/build-m4}}
jobs=${HIPC_JOBS:-2}
status=0

need=
command -v arm-none-eabi-gcc >/dev/null 2>&1 || need="$need gcc-arm-none-eabi"
[ -e /usr/lib/arm-none-eabi/lib/rdimon.specs ] ||
	[ -e /usr/lib/arm-none-eabi/newlib/rdimon.specs ] ||
	need="$need libnewlib-arm-none-eabi"
command -v qemu-system-arm >/dev/null 2>&1 || need="$need qemu-system-arm"
command -v cmake >/dev/null 2>&1 || need="$need cmake"
if [ -n "$need" ]; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "m4-check: installing$need"
	# $need is a list of package names: split on purpose.
	# shellcheck disable=SC2086
	if ! { $sudo apt-get update -q &&
	       $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need; }; then
		echo "m4-check: could not install$need" >&2
		exit 1
	fi
fi

[ -z "$install_only" ] || exit 0

echo "== configure + build ($build)"
if cmake -S "$root/cross" -B "$build" && cmake --build "$build" -j "$jobs"; then
	echo "== size report"
	cmake --build "$build" --target size-report || status=1
else
	echo "m4-check: cross build failed" >&2
	exit 1
fi

# The host's view of the image: hipcctl from a host build (HIPCCTL, or on
# PATH) must find and accept the resource table.
hipcctl=${HIPCCTL:-$(command -v hipcctl || true)}
if [ -n "$hipcctl" ] && [ -x "$hipcctl" ]; then
	echo "== hipcctl inspect"
	"$hipcctl" inspect "$build/echo-m4.elf" || status=1
else
	echo "== hipcctl inspect: skipped (set HIPCCTL to a host build's hipcctl)"
fi

echo "== tests under QEMU"
"$root/scripts/m4-test.sh" "$build" || status=1

exit $status
