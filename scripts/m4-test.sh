#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the Cortex-M4 cross tree and run every test case of every target
# test image under QEMU (mps2-an386, semihosting), one boot per case.
#
#   scripts/m4-test.sh [BUILD_DIR]      (default: $HIPC_M4_BUILD or /tmp/build-m4)
#
# HIPC_ARM_CPU=cortex-m7 configures a new tree for that core instead (an
# existing tree keeps the core it was configured for): mps2-an500, the
# D-cache on and the bare-metal port's cache maintenance in the tests.
#
# Environment: HIPC_QEMU (qemu-system-arm), HIPC_QEMU_MACHINE (default: the
# board the tree was configured for, mps2-an386 for a Cortex-M4),
# HIPC_QEMU_TIMEOUT (seconds per case, 60), HIPC_JOBS (2).
# Closing line: "N passed, M failed"; exit status 1 if M > 0.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${HIPC_M4_BUILD:-/tmp/build-m4}}
qemu=${HIPC_QEMU:-qemu-system-arm}
machine=${HIPC_QEMU_MACHINE:-}
tmo=${HIPC_QEMU_TIMEOUT:-60}
jobs=${HIPC_JOBS:-2}

for tool in arm-none-eabi-gcc "$qemu" cmake timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "m4-test: $tool not found (scripts/m4-check.sh installs the packages)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done

mkdir -p "$build"
cmake -S "$root/cross" -B "$build" ${HIPC_ARM_CPU:+-DHIPC_ARM_CPU=$HIPC_ARM_CPU} >"$build/m4-configure.log" 2>&1 ||
	{ cat "$build/m4-configure.log"; echo "m4-test: configure failed"; echo "0 passed, 1 failed"; exit 1; }
cmake --build "$build" -j "$jobs" >"$build/m4-build.log" 2>&1 ||
	{ tail -n 40 "$build/m4-build.log"; echo "m4-test: build failed"; echo "0 passed, 1 failed"; exit 1; }

# The board matching the core the tree was configured for (mps2-an386 for
# a Cortex-M4), unless overridden.
[ -n "$machine" ] || machine=$(cat "$build/m4-qemu-machine.txt" 2>/dev/null)
[ -n "$machine" ] || machine=mps2-an386
echo "m4-test: booting each case on QEMU $machine"

logs=$build/m4-logs
mkdir -p "$logs"
pass=0
fail=0
failed=

# run IMAGE CASE: boots one image with the case name as argv[1].
run() {
	timeout "$tmo" "$qemu" -M "$machine" -nographic -monitor none \
		-semihosting-config "enable=on,target=native,arg=$1,arg=$2" \
		-kernel "$build/$1.elf" >"$logs/$1.$2.log" 2>&1
}

while read -r image case; do
	[ -n "$image" ] || continue
	run "$image" "$case"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $image.$case"
	else
		fail=$((fail + 1))
		failed="$failed $image.$case"
		if [ $rc -eq 124 ]; then
			why="timed out after ${tmo}s"
		else
			why="exit status $rc"
		fi
		echo "FAIL $image.$case ($why)"
		sed 's/^/    /' "$logs/$image.$case.log" | tail -n 20
	fi
done <"$build/m4-tests.txt"

# The harness itself: a failing CHECK on the target must reach us as exit 1.
run test_m4_smoke expected_failure
rc=$?
if [ $rc -eq 1 ] && grep -q "CHECK_EQ failed" "$logs/test_m4_smoke.expected_failure.log"; then
	pass=$((pass + 1))
	echo "PASS harness.failure_reaches_host"
else
	fail=$((fail + 1))
	failed="$failed harness.failure_reaches_host"
	echo "FAIL harness.failure_reaches_host (exit status $rc, expected 1)"
fi

[ -z "$failed" ] || echo "failed:$failed"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
