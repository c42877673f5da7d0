#!/usr/bin/env bash
# Coverage-guided fuzzing of the code that reads untrusted bytes: shared
# memory (rpmsg, vrings, big-buffer pools, spinlock words, the simulation's
# control page), mailbox hardware the peer also writes, resource tables and
# firmware images, the attach hello, the vhost-user master's messages,
# hipcd's client sockets (endpoint devices, message sockets, big buffers)
# and configuration (libFuzzer, with ASan and UBSan).  Every target is built, run once over
# its committed seed corpus (tests/fuzz/corpus/TARGET, a regression), then
# fuzzed for SECONDS starting from a copy of that corpus in build/fuzz, so
# a run never changes the repository.  One line per target, then a closing
# "N passed, M failed" line (one per target).
#   scripts/fuzz.sh [SECONDS per target] [TARGET...]
#       (default $HIPC_FUZZ_SECONDS, else 15; all targets, as many at a
#       time as there are CPUs, HIPC_FUZZ_JOBS.  CI's section: 13 targets
#       at 15 s plus about 12 s of build each, on 2 CPUs some 3 minutes)
#   scripts/fuzz.sh --soak HOURS [TARGET...]
#       HOURS in all, shared among the targets; what a target finds that
#       adds coverage (new edges) is then merged into tests/fuzz/corpus/TARGET
#       (-merge=1 -use_counters=0) for review and commit.  Ends with a
#       table per target (executions, seconds, corpus files, crashes) and
#       appends the same figures to the ledger.
#   scripts/fuzz.sh --totals
#       The ledger summed per target: runs, executions, seconds, crashes.
# The ledger: ${HIPC_FUZZ_LEDGER:-~/.cache/hipc/fuzz-ledger.tsv}, outside
# the repository, one line per target and run: date (UTC), target,
# executions, seconds, corpus files, crashes, tab-separated.  A soak run
# always appends to it; an ordinary run only when HIPC_FUZZ_LEDGER is set.
# Targets: rpmsg vring bufpool mbox spinlock rsc fwimage hipcd_conf
# vhost_user sim hipcd_clients hipcd_bigbuf net.
set -uo pipefail
cd "$(dirname "$0")/.."
all_targets="rpmsg vring bufpool mbox spinlock rsc fwimage hipcd_conf vhost_user sim
  hipcd_clients hipcd_bigbuf net"
ledger=${HIPC_FUZZ_LEDGER:-$HOME/.cache/hipc/fuzz-ledger.tsv}
if [ "${1:-}" = "--totals" ]; then
  if [ ! -s "$ledger" ]; then
    echo "fuzz: no ledger at $ledger (a --soak run writes it)"
    exit 1
  fi
  # Per target: the runs, their executions and seconds summed, the
  # largest corpus seen, the crashes; then the whole.
  printf "%-14s %6s %14s %10s %7s %8s\n" target runs executions hours corpus crashes
  awk -F'\t' '
    NF >= 4 && $3 ~ /^[0-9]+$/ {
      t = $2; runs[t]++; ex[t] += $3; sec[t] += $4
      if ($5 + 0 > corp[t]) corp[t] = $5 + 0
      cr[t] += $6
    }
    END {
      for (t in ex)
        printf "%-14s %6d %14d %10.2f %7d %8d\n", t, runs[t], ex[t],
          sec[t] / 3600, corp[t], cr[t]
    }' "$ledger" | sort
  awk -F'\t' 'NF >= 4 && $3 ~ /^[0-9]+$/ { T += $3; S += $4; C += $6 }
    END { printf "%-14s %6s %14d %10.2f %7s %8d\n", "total", "", T, S / 3600, "", C }' \
    "$ledger"
  exit 0
fi
soak=0
if [ "${1:-}" = "--soak" ]; then
  soak=1
  shift
  hours=${1:?usage: scripts/fuzz.sh --soak HOURS [TARGET...]}
  shift
fi
if [ $soak -eq 0 ]; then
  secs=${1:-${HIPC_FUZZ_SECONDS:-15}}
  [ $# -gt 0 ] && shift
fi
targets=${*:-$all_targets}
if [ $soak -eq 1 ]; then
  n=$(wc -w <<<"$targets")
  # HOURS of wall time, the targets running $HIPC_FUZZ_JOBS at a time
  j=${HIPC_FUZZ_JOBS:-$(nproc)}
  secs=$(awk -v h="$hours" -v n="$n" -v j="$j" \
    'BEGIN { r = n < j ? 1 : (n + j - 1) / j; printf "%d", h * 3600 / int(r) }')
fi
out=build/fuzz
mkdir -p "$out"
if ! command -v clang >/dev/null; then
  ./scripts/deps.sh fuzz || true
fi

flags="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
core_inc="-Iinclude -Isrc/core"
# fwimage.c and hipc_rsc_print() live in the host lifecycle layer: build it
# with the layers under it, as its CMake target does.
linux_inc="$core_inc -Isrc/rproc/include -Isrc/rproc -Isrc/sim/include -Isrc/sim
  -Isrc/port/linux/include -Isrc/port/linux -D_GNU_SOURCE -DHIPC_BUILDING_LIBRARY"
linux_src="src/rproc/*.c src/sim/*.c src/port/linux/*.c"

build() { # target
  case $1 in
  rpmsg|vring|bufpool|mbox|spinlock)
    clang $flags $core_inc src/core/*.c "tests/fuzz/fuzz_$1.c" -o "$out/fuzz_$1" ;;
  net)
    # the rpmsg-net link's fragments: header-only (hipc/net.h)
    clang $flags $core_inc "tests/fuzz/fuzz_$1.c" -o "$out/fuzz_$1" ;;
  vhost_user)
    # the backend's file is compiled into the target (its readers are
    # static); its mmap() calls go through the target's guarded mapping
    clang $flags $core_inc -Isrc/port/linux/include -Isrc/port/linux \
      -Isrc/vhost-user/include -D_GNU_SOURCE -DHIPC_BUILDING_LIBRARY \
      src/core/*.c src/port/linux/*.c "tests/fuzz/fuzz_$1.c" \
      -o "$out/fuzz_$1" -lpthread ;;
  sim)
    # attach.c and sim_transport.c are compiled into the target; the
    # rest of both halves is linked, every mmap() of a file guarded
    # shellcheck disable=SC2086 # the lists are word lists
    clang $flags $linux_inc -Isrc/remote/include -Isrc/remote \
      -Isrc/vhost-user/include src/core/*.c src/port/linux/*.c src/sim/*.c \
      src/rproc/lifecycle.c src/rproc/pairs.c src/rproc/fwimage.c \
      src/rproc/pools.c src/remote/runtime.c src/remote/transports.c \
      src/remote/vhost_transport.c src/vhost-user/vhost_user.c \
      "tests/fuzz/fuzz_$1.c" -Wl,--wrap=mmap -Wl,--wrap=munmap \
      -o "$out/fuzz_$1" -lpthread ;;
  rsc|fwimage)
    # shellcheck disable=SC2086 # the lists are word lists
    clang $flags $linux_inc src/core/*.c $linux_src "tests/fuzz/fuzz_$1.c" \
      -o "$out/fuzz_$1" -lpthread ;;
  hipcd_conf)
    # the daemon's configuration parser, as hipcd builds it
    clang $flags $core_inc -Itools/hipcd -Isrc/rproc/include -Isrc/sim/include \
      -Isrc/port/linux/include -D_GNU_SOURCE tools/hipcd/conf.c \
      "tests/fuzz/fuzz_$1.c" -o "$out/fuzz_$1" ;;
  hipcd_clients)
    # hipcd's client protocols: its endpoint-device and message-socket
    # files and its loop's watches as hipcd links them; the target plays
    # the loop and the remote
    clang $flags $core_inc -Itools/hipcd -Isrc/rproc/include -Isrc/sim/include \
      -Isrc/port/linux/include -Isrc/client/include -D_GNU_SOURCE \
      src/core/*.c tools/hipcd/epdev.c tools/hipcd/msgsock.c tools/hipcd/rxq.c \
      tools/hipcd/watch.c \
      "tests/fuzz/fuzz_$1.c" -o "$out/fuzz_$1" ;;
  hipcd_bigbuf)
    # hipcd's big-buffer client protocol: its file and the loop's
    # watches as hipcd links them; the target plays the loop, the rproc's
    # pool calls and the remote
    clang $flags $core_inc -Itools/hipcd -Isrc/rproc/include -Isrc/sim/include \
      -Isrc/port/linux/include -Isrc/client/include -D_GNU_SOURCE \
      src/core/*.c tools/hipcd/bigbuf.c tools/hipcd/watch.c \
      "tests/fuzz/fuzz_$1.c" -o "$out/fuzz_$1" ;;
  *) echo "fuzz: unknown target $1"; return 1 ;;
  esac
}

max_len() {
  case $1 in
  fwimage) echo 8192 ;;
  # a few dozen pieces of up to 2 KiB each
  net) echo 32768 ;;
  # a script of a few hundred operations is plenty
  bufpool|mbox|spinlock) echo 1024 ;;
  # scripts of some 15 to 40 client and remote operations: every one
  # is a few socket calls (2 ms an input at 4096 bytes).  Measured over
  # 30 s from the committed seeds, 64 bytes reach the edges that 128 and
  # 4096 do (hipcd_clients 815 of 816, hipcd_bigbuf 1047 of 1044) at 1.5
  # to 3 times the executions; the seeds' longer scripts are still
  # replayed whole
  hipcd_clients|hipcd_bigbuf) echo 64 ;;
  *) echo 4096 ;;
  esac
}

# Targets whose code logs every refusal to stderr: closed for the target
# (libFuzzer's and the sanitizers' reports still come through).
quiet() {
  case $1 in
  vhost_user|sim) echo -close_fd_mask=2 ;;
  esac
}

# ASan's options for a target.  The hipcd targets allocate a connection of
# some kilobytes for every client of every input: with ASan's default
# quarantine (256 MB) each such allocation is fresh memory, page faults
# and all, and a quarter of the target's time.  8 MB still holds
# everything a single input frees, so a use after free within an input
# is still caught.
asan_opts() {
  local o=${ASAN_OPTIONS:-}
  case $1 in
  hipcd_clients|hipcd_bigbuf) o="${o:+$o:}quarantine_size_mb=8" ;;
  esac
  echo "$o"
}

# One target: build, replay its committed seeds, fuzz.  Its report goes to
# $out/result-TARGET (the lines to print, then "pass" or "fail").
one() {
  local t=$1 bin=$out/fuzz_$1 log=$out/fuzz_$1.log seeds=tests/fuzz/corpus/$1
  local work=$out/corpus-$1 res=$out/result-$1 start ok
  rm -f "$out/stats-$t"
  {
  if ! build "$t" >"$out/build-$t.log" 2>&1; then
    cat "$out/build-$t.log"
    echo "fuzz_$t: build failed"
    echo fail; return
  fi
  mkdir -p "$seeds"
  # The committed seeds, each run once: what once passed still passes.
  if ! "$bin" -runs=0 -artifact_prefix="$out/$t-" "$seeds" >"$out/fuzz_$t.regress.log" 2>&1; then
    tail -40 "$out/fuzz_$t.regress.log"
    echo "fuzz_$t: FAILED on the committed corpus"
    echo fail; return
  fi
  rm -rf "$work"
  mkdir -p "$work"
  cp -R "$seeds"/. "$work"/
  start=$(date +%s)
  ok=0
  # shellcheck disable=SC2046 # an optional flag
  ASAN_OPTIONS=$(asan_opts "$t") \
  "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 $(quiet "$t") \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$t-" \
       "$work" >"$log" 2>&1 && ok=1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  # executions, seconds, corpus files, crashes: the table and the ledger
  echo "${execs:-0} $(($(date +%s) - start)) $(ls "$work" | wc -l) $((1 - ok))" \
    >"$out/stats-$t"
  if [ $ok -eq 1 ]; then
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+" "$log" | tail -1)
    echo "fuzz_$t: $(ls "$seeds" | wc -l) seeds replayed; ${execs:-?} executions in ${secs} s (${rate:-?}/s), $cov"
    if [ $soak -eq 1 ]; then
      # Keep only what adds coverage to the committed seeds: new edges,
      # not new hit counts of known ones (-use_counters=0), so the
      # corpus in the repository stays a few dozen files per target.
      "$bin" -merge=1 -use_counters=0 -max_len="$(max_len "$t")" "$seeds" "$work" \
        >"$out/fuzz_$t.merge.log" 2>&1 &&
        echo "fuzz_$t: corpus merged into $seeds ($(ls "$seeds" | wc -l) files)"
    fi
    echo pass
  else
    tail -40 "$log"
    echo "fuzz_$t: FAILED (the input: $out/$t-crash-*, -timeout-*, -leak-*; run $bin on it)"
    echo fail
  fi
  } >"$res" 2>&1
}

# As many targets at once as there are CPUs (HIPC_FUZZ_JOBS): each build
# and each fuzzer is one process.
jobs=${HIPC_FUZZ_JOBS:-$(nproc)}
running=0
for t in $targets; do
  rm -f "$out/result-$t"
  one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
pass=0
fail=0
for t in $targets; do
  if [ "$(tail -1 "$out/result-$t" 2>/dev/null)" = pass ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
  sed '$d' "$out/result-$t" 2>/dev/null
done
echo "$pass passed, $fail failed"

# The figures of this run: a table (soak), a line per target in the ledger
# (soak, or HIPC_FUZZ_LEDGER set).
if [ $soak -eq 1 ] || [ -n "${HIPC_FUZZ_LEDGER:-}" ]; then
  day=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$(dirname "$ledger")"
  [ $soak -eq 1 ] &&
    printf "%-14s %14s %8s %7s %8s\n" target executions seconds corpus crashes
  for t in $targets; do
    [ -s "$out/stats-$t" ] || continue
    read -r ex sec corp cr <"$out/stats-$t"
    [ $soak -eq 1 ] && printf "%-14s %14d %8d %7d %8d\n" "$t" "$ex" "$sec" "$corp" "$cr"
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$day" "$t" "$ex" "$sec" "$corp" "$cr" >>"$ledger"
  done
  echo "fuzz: figures appended to $ledger (scripts/fuzz.sh --totals sums them)"
fi
[ "$fail" -eq 0 ]
