#!/usr/bin/env bash
# Coverage-guided fuzzing of the code that reads shared memory (libFuzzer,
# with ASan and UBSan).  Prints a closing "N passed, M failed" line.
#   scripts/fuzz.sh [SECONDS per target]   (default 30)
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build/fuzz
mkdir -p "$out/corpus-rpmsg"
if ! command -v clang >/dev/null; then
  ./scripts/deps.sh fuzz || true
fi
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc/core"
if ! clang $flags src/core/*.c tests/fuzz/fuzz_rpmsg.c -o "$out/fuzz_rpmsg"; then
  echo "fuzz: build failed"; echo "0 passed, 1 failed"; exit 1
fi
if "$out/fuzz_rpmsg" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
     "$out/corpus-rpmsg" >"$out/fuzz_rpmsg.log" 2>&1; then
  grep -E "stat::number_of_executed_units|cov:" "$out/fuzz_rpmsg.log" | tail -2
  echo "1 passed, 0 failed"
else
  tail -40 "$out/fuzz_rpmsg.log"
  echo "0 passed, 1 failed"; exit 1
fi
