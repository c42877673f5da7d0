#!/usr/bin/env bash
# The main job: build hipc and run hipc-bench's short default suite, the
# seeds' STM32MP1 benchmark (header + blocks, the remote answers the byte
# count) over every path hipc offers, beside a UNIX socket pair and a pipe
# and this machine's own limits, measured in the same run.  Prints the
# table and the path of the plot.  Extra arguments go to hipc-bench (see
# build/release/tools/hipc-bench/hipc-bench --help); hipc-ping, the older
# latency/rate/doorbell tool, is still built: --ping runs it instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh host
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
if [ "${1:-}" = "--ping" ]; then
  shift
  cmake --build build/release -j"$(nproc)" --target hipc-ping hipc-fw-echo-evt >/dev/null
  exec build/release/bench/ping/hipc-ping "$@"
fi
cmake --build build/release -j"$(nproc)" --target hipc-bench hipcd hipc-fw-bench >/dev/null
plot=build/hipc-bench.png
exec build/release/tools/hipc-bench/hipc-bench --count 20 --plot "$plot" "$@"
