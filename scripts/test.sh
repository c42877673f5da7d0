#!/usr/bin/env bash
# The whole test suite: every flavour hipc is tested in, one closing line.
#   release       all host tests (unit, two-process, bad peer, tools), built
#                 RelWithDebInfo in build/test with gcov counters on
#   coverage      line and branch coverage of what the release section ran
#                 (scripts/coverage.sh: per area, with floors)
#   asan+ubsan    the same, under AddressSanitizer and UndefinedBehaviorSanitizer
#   tsan          the concurrency tests under ThreadSanitizer
#   fuzz          libFuzzer on every reader of untrusted bytes (shared memory,
#                 resource tables, firmware images, vhost-user, hipcd's client
#                 sockets), HIPC_FUZZ_SECONDS (15) per target
#   cortex-m4     the core's tests cross-built and run on an emulated Cortex-M4,
#                 and the echo image's size budget
#   cortex-m7     the same tests on an emulated Cortex-M7, its D-cache on and
#                 the bare-metal port's cache maintenance at every hand-over
#   uml           the real Linux rpmsg drivers (User-mode Linux) against hipc
# Set HIPC_TEST_ONLY="release tsan" to run a subset.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh all

only=${HIPC_TEST_ONLY:-"release coverage asan tsan fuzz cortex-m4 cortex-m7 uml"}
jobs=$(nproc)
total_pass=0
total_fail=0
failed_sections=()

count() { # parse ctest's summary (or a plain "N passed, M failed") from a log
  local log=$1 line
  line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1)
  if [ -z "$line" ]; then
    line=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
    if [ -n "$line" ]; then
      sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"$line"
      return
    fi
    echo "0 1"; return
  fi
  local failed total
  failed=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  echo "$((total - failed)) $failed"
}

section() { # name, then a command that prints ctest output
  local name=$1; shift
  local log="build/test-$name.log"
  mkdir -p build
  echo "=== $name"
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  read -r p f < <(count "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  echo "    $p passed, $f failed ($((SECONDS - t0)) s)"
  if [ "$f" -ne 0 ]; then
    failed_sections+=("$name")
    grep -E "\*\*\*Failed|\*\*\*Timeout|Exception|FAILED|failed" "$log" | head -20 | sed 's/^/    /'
    echo "    full log: $log"
  fi
}

run_flavour() { # build dir name, ctest args, cmake args...
  local name=$1 ctest_args=$2; shift 2
  cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
  cmake --build "build/$name" -j"$jobs" &&
  ctest --test-dir "build/$name" -j"$jobs" --output-on-failure $ctest_args
}

for s in $only; do
  case $s in
  release)
    # build/test, not build/release: the demo's Release tree stays free
    # of coverage counters.  Counters start at zero for each run.
    find build/test -name '*.gcda' -delete 2>/dev/null
    section release run_flavour test "-LE uml" -DHIPC_COVERAGE=ON ;;
  coverage) section coverage ./scripts/coverage.sh build/test ;;
  asan) section asan+ubsan run_flavour asan "-LE uml|slow" -DHIPC_SANITIZE=address,undefined ;;
  tsan) section tsan run_flavour tsan "-L tsan" -DHIPC_SANITIZE=thread ;;
  fuzz) section fuzz ./scripts/fuzz.sh "${HIPC_FUZZ_SECONDS:-15}" ;;
  cortex-m4)
    # inspect the image with the host's hipcctl (built by the release section)
    cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHIPC_COVERAGE=ON >/dev/null &&
      cmake --build build/test -j"$jobs" --target hipcctl >/dev/null
    section cortex-m4 env HIPCCTL="$PWD/build/test/tools/hipcctl/hipcctl" \
      ./scripts/m4-check.sh "$PWD/build/m4" ;;
  cortex-m7)
    section cortex-m7 sh -c './scripts/m4-check.sh --install-only &&
      HIPC_ARM_CPU=cortex-m7 ./scripts/m4-test.sh "$PWD/build/m7"' ;;
  uml) if [ -x scripts/uml/build-kernel.sh ]; then section uml run_flavour test "-L uml" -DHIPC_COVERAGE=ON; fi ;;
  *) echo "unknown section $s"; exit 2 ;;
  esac
done

echo
if [ ${#failed_sections[@]} -ne 0 ]; then echo "failed sections: ${failed_sections[*]}"; fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
