#!/usr/bin/env bash
# The main job: build hipc, boot the echo firmware as a separate process and
# print round-trip latency, message rate and doorbell counts per mode.
# Extra arguments go to hipc-ping (see: build/release/bench/ping/hipc-ping -h).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh host
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc)" --target hipc-ping hipc-fw-echo-evt >/dev/null
exec build/release/bench/ping/hipc-ping "$@"
