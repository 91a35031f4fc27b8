#!/usr/bin/env bash
# Line coverage of the product's code by the ctest suite (unit, API, CLI
# and fake end-to-end tests; the real-OpenClaw tier runs outside ctest):
# builds build-cov with gcc --coverage, runs ctest there (extra arguments
# go to ctest), then prints each source file's lines executed, a figure
# per layer (common/, agent/, api/, cli/) and the total, worst first.
#   usage: scripts/coverage.sh [CTEST_ARGS...]
#   env:   COVERAGE_DIR (default build-cov), COVERAGE_REPORT_ONLY=1 (report
#          the last run again, nothing built or run), COVERAGE_MIN_TOTAL and
#          COVERAGE_MIN_FACE (percent; when set, the script fails if the
#          total, or cli/ or api/, is below them)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${COVERAGE_DIR:-build-cov}
JOBS=$(nproc)
rc=0
if [ "${COVERAGE_REPORT_ONLY:-0}" != 1 ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DCK_COVERAGE=ON >/dev/null
	cmake --build "$B" -j"$JOBS"
	find "$B" -name '*.gcda' -delete
	set +e
	ctest --test-dir "$B" --output-on-failure -j"$JOBS" "$@"
	rc=$?
	set -e
fi

# gcov per source file: "File 'path'" then "Lines executed:P% of N".
report=$B/coverage.txt
: >"$report"
for lib in ck_common:common ck_agent:agent ck_api:api clawkeeper:cli; do
	obj=$B/CMakeFiles/${lib%%:*}.dir/${lib#*:}
	[ -d "$obj" ] || continue
	for src in "${lib#*:}"/*.c; do
		# CMake names objects x.c.o, so gcov finds x.c.gcno/x.c.gcda from
		# it; a file no test ran has no .gcda: every line of it missed
		gcov -n -o "$obj/$(basename "$src").o" "$src" 2>/dev/null | awk -v f="$src" '
			$0 ~ "^File .*"f"'"'"'$" {hit=1; next}
			hit && /^Lines executed/ {
				split($0, a, /[:% ]+/); pct = a[3]; n = $NF
				printf "%s %d %d\n", f, int(pct * n / 100 + 0.5), n; exit }' >>"$report" || true
	done
done
awk '
	{ f[$1] = $2 " " $3; d = $1; sub(/\/.*/, "", d); de[d] += $2; dn[d] += $3; te += $2; tn += $3 }
	END {
		printf "%-34s %7s %7s %7s\n", "file", "lines", "missed", "cover"
		for (k in f) { split(f[k], v, " "); pct[k] = v[2] ? 100 * v[1] / v[2] : 100; n[k] = v[2]; e[k] = v[1] }
		# worst first
		cnt = 0; for (k in pct) keys[++cnt] = k
		for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++)
			if (pct[keys[j]] < pct[keys[i]]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
		for (i = 1; i <= cnt; i++) { k = keys[i]; printf "%-34s %7d %7d %6.1f%%\n", k, n[k], n[k] - e[k], pct[k] }
		print ""
		for (d in dn) printf "%-34s %7d %7d %6.1f%%\n", d "/", dn[d], dn[d] - de[d], 100 * de[d] / dn[d]
		printf "%-34s %7d %7d %6.1f%%\n", "total", tn, tn - te, 100 * te / tn
	}' "$report" | tee "$B/coverage-summary.txt"

[ "$rc" = 0 ] || { echo "coverage: ctest failed (exit $rc)"; exit "$rc"; }
below=0
check_min() { # NAME MIN
	local got
	got=$(awk -v k="$1" '$1 == k {sub(/%/, "", $4); print $4}' "$B/coverage-summary.txt")
	if awk -v g="$got" -v m="$2" 'BEGIN {exit !(g < m)}'; then
		echo "coverage: $1 is $got%, below the required $2%"; below=1
	fi
}
[ -n "${COVERAGE_MIN_TOTAL:-}" ] && check_min total "$COVERAGE_MIN_TOTAL"
if [ -n "${COVERAGE_MIN_FACE:-}" ]; then check_min cli/ "$COVERAGE_MIN_FACE"; check_min api/ "$COVERAGE_MIN_FACE"; fi
exit "$below"
