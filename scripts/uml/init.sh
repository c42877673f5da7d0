#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# PID 1 inside User-mode Linux (started by scripts/uml/run.sh): mount what a
# test needs, run $HIPC_UML_OUT/cmd, leave its status, output and the
# kernel log in $HIPC_UML_OUT (a read-write hostfs mount of the host's
# directory), power off.  The kernel passes HIPC_UML_OUT from its command
# line as an environment variable.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
out=$HIPC_UML_OUT

say() { echo "hipc-uml: $*" > /dev/console 2>/dev/null || echo "hipc-uml: $*"; }

poweroff_now() {
	sync
	echo o > /proc/sysrq-trigger
	# sysrq is asynchronous: do not let init exit (that would panic)
	while :; do sleep 60; done
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
# writable scratch space; the host's / (and /tmp) stay read-only
mount -t tmpfs -o mode=1777 run /run
mkdir -p /run/tmp
chmod 1777 /run/tmp

if [ -z "$out" ] || ! mount -t hostfs -o "$out" hipc-out "$out"; then
	say "cannot mount the output directory '$out' read-write"
	poweroff_now
fi

cd "$out" || poweroff_now
say "running $out/cmd"
TMPDIR=/run/tmp HOME=/run/tmp sh "$out/cmd" > "$out/test.log" 2>&1
status=$?
dmesg > "$out/dmesg.txt" 2>&1
echo "$status" > "$out/status"
sync
say "HIPC-UML-EXIT $status"
umount "$out" 2>/dev/null
poweroff_now
