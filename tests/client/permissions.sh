#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: permissions.sh CLIENT   (run by with-hipcd.sh, remote m4 in
#                                  group 4242, HIPC_RUN_DIR set)
# Who may reach a remote's interfaces: a member of its group, as another
# user, can; the same user without the group cannot, and neither can
# reach hipcctl's socket.  Needs root (setpriv), as CI has.
set -u
client=$1
run=$HIPC_RUN_DIR
fail() { echo "permissions.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root to switch users"
st=$(stat -c '%a %g' "$run") || fail "no $run"
[ "$st" = "711 $(id -g)" ] || fail "$run: mode/group $st, want 711 $(id -g)"
st=$(stat -c '%a %g' "$run/m4")
[ "$st" = "750 4242" ] || fail "$run/m4: $st, want 750 4242"
st=$(stat -c '%a %g' "$run/m4/rpmsg_ctrl")
[ "$st" = "660 4242" ] || fail "rpmsg_ctrl: $st, want 660 4242"
st=$(stat -c '%a' "$run/hipcd.sock")
[ "$st" = "600" ] || fail "hipcd.sock: $st, want 600"

member="setpriv --reuid=65534 --regid=65534 --groups=4242"
other="setpriv --reuid=65534 --regid=65534 --clear-groups"

$member "$client" -w "$run" -n 1000 m4:rpmsg-client-sample ||
	fail "a member of the remote's group could not use it"
if out=$($other "$client" -w "$run" -n 10 m4:rpmsg-client-sample 2>&1); then
	fail "a user outside the group used the remote: $out"
fi
echo "outside the group: $out"
case $out in
*"permission denied"*) ;;
*) fail "outside the group: '$out', not a permission error" ;;
esac
if $member sh -c "ls '$run'" >/dev/null 2>&1; then
	fail "a group member could list the run directory"
fi
if $member python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])" "$run/hipcd.sock" 2>/dev/null; then
	fail "a group member reached hipcctl's socket"
fi
echo "permissions: ok"
