#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: with-hipcd.sh HIPCD FIRMWARE REMOTES -- COMMAND [ARG...]
# Runs hipcd in a private run directory with REMOTES (a comma-separated
# list of names) each booting FIRMWARE, waits until each has its
# rpmsg_ctrl, runs COMMAND with HIPC_RUN_DIR set, stops the daemon and
# removes everything, whatever COMMAND did.  Exits with COMMAND's status.
# HIPC_CONF_EXTRA: lines added to each remote's section.  The directory
# holding the run directory is 0711, so other users may be tried.
set -u
hipcd=$1 fw=$2 remotes=$3
shift 3
[ "${1:-}" = "--" ] && shift
dir=$(mktemp -d /tmp/hipc-client.XXXXXX) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
chmod 711 "$dir"
mkdir -m 700 "$dir/run"
for r in $(echo "$remotes" | tr ',' ' '); do
	printf '[%s]\nfirmware = %s\n%b\n' "$r" "$fw" "${HIPC_CONF_EXTRA:-}"
done > "$dir/hipcd.conf"
"$hipcd" -c "$dir/hipcd.conf" -r "$dir/run" 2> "$dir/hipcd.log" &
pid=$!
for r in $(echo "$remotes" | tr ',' ' '); do
	i=0
	while [ ! -S "$dir/run/$r/rpmsg_ctrl" ]; do
		i=$((i + 1))
		if [ $i -gt 1000 ]; then
			echo "with-hipcd.sh: $r: no rpmsg_ctrl after 10 s" >&2
			cat "$dir/hipcd.log" >&2
			exit 1
		fi
		sleep 0.01
	done
done
HIPC_RUN_DIR=$dir/run "$@"
status=$?
[ $status -eq 0 ] || cat "$dir/hipcd.log" >&2
exit $status
