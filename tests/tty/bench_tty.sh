#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TTY figures (a benchmark, not a test): the same programs through
# RUN_DIR/m4/ttyRPMSG0 (hipcd + firmware/tty, echoing) and through a plain
# pty pair with a local echo process (tests/tty/ttyio.py ptyecho, no
# rpmsg), in the same run:
#   - throughput: SIZE_MIB (default 1024) written with dd, read back with
#     head, SHA-256 compared; MB/s each way
#   - round trip of 16 bytes in raw mode: median of 3 runs (each the median
#     of 1000 round trips)
#   - the seeds' block matrix and 32 KiB blocks: ms per block set, median
#     of 3
# Usage: tests/tty/bench_tty.sh BUILD_DIR [SIZE_MIB]
set -euo pipefail
build=$(cd "$1" && pwd)
mib=${2:-1024}
here=$(cd "$(dirname "$0")" && pwd)
ttyio=$here/ttyio.py
dir=$(mktemp -d /tmp/hipc-ttybench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -m 700 "$dir/run"
cat > "$dir/hipcd.conf" <<EOF
[m4]
firmware = $build/firmware/tty/hipc-fw-tty
EOF
HIPC_RUN_DIR=$dir/run "$build/tools/hipcd/hipcd" -c "$dir/hipcd.conf" 2> "$dir/hipcd.log" &
pids+=($!)
python3 "$ttyio" ptyecho "$dir/pty" &
pids+=($!)

wait_link() {
  for _ in $(seq 1000); do
    [ -e "$1" ] && return 0
    sleep 0.01
  done
  echo "no $1" >&2; exit 1
}

# throughput LINK: MB/s each way for $mib MiB
throughput() {
  local l=$1 n=$((mib * 1048576)) t0 t1
  stty -F "$l" raw -echo
  rm -f "$dir/in.fifo"; mkfifo "$dir/in.fifo"
  t0=$(date +%s%N)
  head -c $n < "$l" | sha256sum | cut -d' ' -f1 > "$dir/out.sum" &
  local r=$!
  sha256sum < "$dir/in.fifo" | cut -d' ' -f1 > "$dir/in.sum" &
  local s=$!
  head -c $n /dev/urandom | tee "$dir/in.fifo" | dd of="$l" bs=64K status=none
  wait $s; wait $r
  t1=$(date +%s%N)
  cmp -s "$dir/in.sum" "$dir/out.sum" || { echo "checksums differ" >&2; exit 1; }
  awk -v n=$n -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n / (ns / 1e9) / 1e6 }'
}

median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

latency() {
  local a b c
  a=$(python3 "$ttyio" latency "$1" 1000)
  b=$(python3 "$ttyio" latency "$1" 1000)
  c=$(python3 "$ttyio" latency "$1" 1000)
  median3 "$a" "$b" "$c"
}

tty=$dir/run/m4/ttyRPMSG0
wait_link "$tty"; wait_link "$dir/pty"
echo "throughput, $mib MiB each way (MB/s)"
echo "  ttyRPMSG0   $(throughput "$tty")"
echo "  plain pty   $(throughput "$dir/pty")"
echo "16-byte round trip, raw mode (us, median of 3 x median of 1000)"
echo "  ttyRPMSG0   $(latency "$tty")"
echo "  plain pty   $(latency "$dir/pty")"
echo "block sets (ms per set, median of 3): size count ttyRPMSG0 plain-pty"
python3 "$ttyio" blocks "$tty" 3 > "$dir/b1"
python3 "$ttyio" blocks "$dir/pty" 3 > "$dir/b2"
paste -d' ' "$dir/b1" <(cut -d' ' -f3 "$dir/b2") |
  awk '{ printf "  %6d B x %d  %8.3f  %8.3f\n", $1, $2, $3, $4 }'
echo "hipcd's counters:"
HIPC_RUN_DIR=$dir/run "$build/tools/hipcctl/hipcctl" stats m4 | sed 's/^/  /'
