#!/usr/bin/env bash
# Line and branch coverage of hipc from whatever ran in a build configured
# with -DHIPC_COVERAGE=ON (scripts/test.sh's release flavour is).
#
#   scripts/coverage.sh BUILD_DIR
#
# Reads the .gcda counters the tests left, writes BUILD_DIR/coverage.info,
# an HTML report in BUILD_DIR/coverage-html/index.html and a summary per
# area in BUILD_DIR/coverage.txt (also printed).  Areas:
#   core    src/core: the freestanding core, every trust check
#   linux   src/{rproc,sim,port/linux,remote,bigbuf,client,vhost-user}
#   hipcd   tools/hipcd
# The closing line is "N passed, M failed": one check per floor below, so
# a change that drops the core's coverage fails CI.  The floors sit a
# little under today's figures (docs/testing.md); raise them as tests
# grow.
set -uo pipefail

build=${1:?usage: scripts/coverage.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
out=$build/coverage.txt

# area: path globs (relative to the repository), line floor %, branch floor %
areas=(
	"core|src/core/*|97|84"
	"linux|src/rproc/* src/sim/* src/port/linux/* src/remote/* src/bigbuf/* src/client/* src/vhost-user/*|82|62"
	"hipcd|tools/hipcd/*|83|69"
)

for tool in lcov genhtml; do
	command -v "$tool" >/dev/null ||
		{ echo "coverage: $tool not found (scripts/deps.sh installs lcov)"; echo "0 passed, 1 failed"; exit 1; }
done
if ! find "$build" -name '*.gcda' -print -quit | grep -q .; then
	echo "coverage: no counters in $build (configure with -DHIPC_COVERAGE=ON and run the tests first)"
	echo "0 passed, 1 failed"
	exit 1
fi

rc=(--rc lcov_branch_coverage=1)
info=$build/coverage.info
lcov "${rc[@]}" --quiet --capture --directory "$build" --base-directory "$root" \
	--no-external --output-file "$info.raw" 2>"$build/coverage.log" ||
	{ tail -5 "$build/coverage.log"; echo "coverage: lcov --capture failed"; echo "0 passed, 1 failed"; exit 1; }
# Tests, benchmarks, tools other than hipcd and the firmwares are not what
# is measured: they are what measures.
lcov "${rc[@]}" --quiet --extract "$info.raw" "$root/src/*" "$root/tools/hipcd/*" \
	--output-file "$info" 2>>"$build/coverage.log"

pass=0
fail=0
: >"$out"
printf '%-6s %8s %16s %8s %16s\n' area lines "(hit/found)" branches "(hit/found)" | tee -a "$out"
for a in "${areas[@]}"; do
	IFS='|' read -r name globs lfloor bfloor <<<"$a"
	pats=()
	for g in $globs; do pats+=("$root/$g"); done
	lcov "${rc[@]}" --quiet --extract "$info" "${pats[@]}" --output-file "$build/coverage-$name.info" \
		2>>"$build/coverage.log"
	# LH/LF, BRH/BRF summed over the area's files
	read -r lh lf bh bf < <(awk -F: '
		/^LH:/ { lh += $2 } /^LF:/ { lf += $2 }
		/^BRH:/ { bh += $2 } /^BRF:/ { bf += $2 }
		END { print lh + 0, lf + 0, bh + 0, bf + 0 }' "$build/coverage-$name.info")
	lp=$(awk -v h="$lh" -v f="$lf" 'BEGIN { printf "%.1f", f ? 100 * h / f : 0 }')
	bp=$(awk -v h="$bh" -v f="$bf" 'BEGIN { printf "%.1f", f ? 100 * h / f : 0 }')
	printf '%-6s %7s%% %16s %7s%% %16s\n' "$name" "$lp" "($lh/$lf)" "$bp" "($bh/$bf)" | tee -a "$out"
	for check in "lines $lp $lfloor" "branches $bp $bfloor"; do
		read -r what got floor <<<"$check"
		if awk -v g="$got" -v f="$floor" 'BEGIN { exit !(g >= f) }'; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "coverage: $name $what $got% is under its floor of $floor%" | tee -a "$out"
		fi
	done
done

# Per file, least covered first: where tests are missing.
echo "least covered files (lines):" >>"$out"
lcov "${rc[@]}" --list "$info" 2>/dev/null | awk -F'|' '/%/ { print $2 "|" $1 }' |
	sort -n | head -15 | sed 's/^/  /' >>"$out"

genhtml "${rc[@]}" --quiet --branch-coverage --output-directory "$build/coverage-html" \
	--prefix "$root" "$info" >>"$build/coverage.log" 2>&1 ||
	echo "coverage: genhtml failed (the figures above stand; see $build/coverage.log)"
echo "report: $build/coverage-html/index.html, summary: $out"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
