#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: run-uml-test.sh FIRMWARE PROGRAM [ARG...]
# Boot User-mode Linux with FIRMWARE serving its rpmsg device over
# vhost-user, run PROGRAM ARG... inside (see scripts/uml/run.sh).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 FIRMWARE PROGRAM [ARG...]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
fw=$1
prog=$2
shift 2
# quoted for run.sh, which hands the backend command to sh -c
q=$(printf '%s' "$fw" | sed "s/'/'\\\\''/g")
exec "$repo/scripts/uml/run.sh" --timeout 540 \
	--backend "exec '$q' --vhost-user \"\$HIPC_VU_SOCK\"" -- "$prog" "$@"
