#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Boot the User-mode Linux kernel from build-kernel.sh with the host's / as
# a read-only root (hostfs), run COMMAND inside it, power off, and exit with
# COMMAND's status.  The run fails as well when the kernel log shows "BUG",
# "WARNING" or "inbound msg too big", or when a backend exits with an error.
#
# usage: run.sh [options] [--] COMMAND [ARG...]
#   --kernel PATH     the UML kernel (default: the cached one for the
#                     current sources; see --build)
#   --build           build the kernel first if it is not cached
#   --timeout SEC     bound on the whole run (default 600)
#   --mem SIZE        guest memory (default 256M)
#   --device SOCK     attach a vhost-user rpmsg device (virtio ID 7) served
#                     on SOCK (repeatable)
#   --backend CMD     start CMD (sh -c) on the host before booting, with
#                     HIPC_VU_SOCK set to a fresh socket path that is then
#                     attached as with --device; it must serve that socket.
#                     Stopped after the run; a non-zero exit fails the run
#   --out DIR         keep the logs here (default: a new temporary directory,
#                     removed on success unless HIPC_UML_KEEP=1)
#   --env NAME        pass the host variable NAME into the guest (repeatable;
#                     HIPC_* variables are always passed)
# COMMAND runs in the current directory (seen read-only), with TMPDIR on a
# tmpfs; it can write into $HIPC_UML_OUT.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel=
build=0
timeout_s=600
mem=256M
out=
devices=()
backends=()
envs=()

die() { echo "run.sh: error: $*" >&2; exit 125; }

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--device) devices+=("$2"); shift 2 ;;
	--backend) backends+=("$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,27p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "no command (see --help)"

if [ -z "$kernel" ]; then
	if [ $build = 1 ]; then
		kernel=$("$here/build-kernel.sh" | tail -n 1)
	else
		kernel=$("$here/build-kernel.sh" --print-path) ||
			die "no UML kernel built: run scripts/uml/build-kernel.sh (or pass --build)"
	fi
fi
[ -x "$kernel" ] || die "kernel $kernel is not executable"

keep=${HIPC_UML_KEEP:-0}
if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/hipc-uml.XXXXXX")
else
	mkdir -p "$out"
	keep=1
	rm -f "$out/status" "$out/dmesg.txt" "$out/test.log" "$out/console.log"
fi
out=$(cd "$out" && pwd)
case $out in
*[[:space:]]*) die "output directory must not contain spaces: $out" ;;
esac

# the command, as the guest's init will run it
{
	echo "cd $(printf '%q' "$PWD") || exit 125"
	for v in $(compgen -e | grep -E '^HIPC_' || true) "${envs[@]}"; do
		[ -n "${!v+x}" ] && echo "export $v=$(printf '%q' "${!v}")"
	done
	echo "export HIPC_UML_OUT=$(printf '%q' "$out")"
	printf 'exec'
	printf ' %q' "$@"
	echo
} > "$out/cmd"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in "${pids[@]}"; do
		kill -KILL -- "-$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

deadline=$(( $(date +%s) + timeout_s ))

# backends first: virtio_uml connects once, at boot
bpids=()
i=0
for b in "${backends[@]}"; do
	sock=$out/vu$i.sock
	rm -f "$sock"
	HIPC_VU_SOCK=$sock setsid sh -c "$b" > "$out/backend$i.log" 2>&1 &
	bpids+=($!)
	pids+=($!)
	while [ ! -S "$sock" ]; do
		kill -0 "${bpids[$i]}" 2>/dev/null ||
			{ cat "$out/backend$i.log" >&2; die "backend $i exited before listening"; }
		[ "$(date +%s)" -lt "$deadline" ] || die "backend $i did not listen on $sock"
		sleep 0.05
	done
	devices+=("$sock")
	i=$((i + 1))
done

args=(mem="$mem" root=/dev/root rootfstype=hostfs rootflags=/ ro
      init="$here/init.sh" con=null con0=fd:0,fd:1 HIPC_UML_OUT="$out")
for d in "${devices[@]}"; do
	args+=("virtio_uml.device=$d:7")
done

t0=$(date +%s.%N)
setsid "$kernel" "${args[@]}" < /dev/null > "$out/console.log" 2>&1 &
upid=$!
pids+=($upid)
timed_out=0
while kill -0 "$upid" 2>/dev/null; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "run.sh: timeout after ${timeout_s}s: killing the guest" >&2
		timed_out=1
		kill -TERM -- "-$upid" 2>/dev/null || true
		sleep 2
		kill -KILL -- "-$upid" 2>/dev/null || true
		break
	fi
	sleep 0.1
done
wait "$upid" 2>/dev/null || true
t1=$(date +%s.%N)

# backends: the guest's disconnect ends them; give them a moment
bstatus=0
i=0
for p in "${bpids[@]}"; do
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM -- "-$p" 2>/dev/null || true
	fi
	st=0
	wait "$p" || st=$?
	if [ $st != 0 ] && [ $st != 143 ]; then
		echo "run.sh: backend $i exited with status $st:" >&2
		tail -n 20 "$out/backend$i.log" >&2
		bstatus=1
	fi
	i=$((i + 1))
done

status=125
if [ -f "$out/status" ]; then
	status=$(cat "$out/status")
elif [ $timed_out = 1 ]; then
	status=124
fi

bad=0
for f in "$out/dmesg.txt" "$out/console.log"; do
	[ -f "$f" ] || continue
	if grep -nE 'BUG|WARNING|inbound msg too big' "$f" > "$out/bad.txt"; then
		echo "run.sh: the kernel log of the guest shows problems ($f):" >&2
		head -n 40 "$out/bad.txt" >&2
		bad=1
		break
	fi
done
[ -f "$out/dmesg.txt" ] || { echo "run.sh: no kernel log collected" >&2; bad=1; }

if [ -f "$out/test.log" ]; then
	cat "$out/test.log"
fi
awk -v a="$t0" -v b="$t1" -v s="$status" \
	'BEGIN { printf "run.sh: guest ran %.1f s, command status %s\n", b - a, s }' >&2

rc=$status
if [ "$rc" = 0 ] && { [ $bad = 1 ] || [ $bstatus = 1 ]; }; then
	rc=1
fi
if [ "$rc" != 0 ] || [ "$keep" = 1 ]; then
	echo "run.sh: logs kept in $out" >&2
	if [ "$rc" != 0 ]; then
		echo "--- console (tail) ---" >&2
		tail -n 30 "$out/console.log" >&2 || true
	fi
else
	rm -rf "$out"
fi
exit "$rc"
