#!/usr/bin/env bash
# Configure and build one flavour into build/<name>.
# Usage: scripts/build.sh NAME [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "build/$name" -j"$(nproc)" >/dev/null
