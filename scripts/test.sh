#!/usr/bin/env bash
# The whole suite, from a fresh machine: dependencies, a normal build and
# an ASan+UBSan build each running every ctest test, then every libFuzzer
# target for a bounded time, then the OpenAPI lint.
# FUZZ_SECONDS (default 60) bounds each fuzzer; SKIP_FUZZ=1 skips them;
# SKIP_REAL=1 skips the real-OpenClaw suite, SKIP_DEPLOY=1 the packaging
# and rollout tests.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

if [ "${SKIP_DEPS:-0}" != 1 ]; then bash scripts/deps.sh; fi

step() { printf '\n=== %s ===\n' "$*"; }

step "build (RelWithDebInfo, -Wall -Wextra -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
step "tests"
ctest --test-dir build --output-on-failure -j"$JOBS"

# Real OpenClaw from npm (cached in build/openclaw-cache). Run outside
# ctest so every assertion it prints is in the CI log. Exit 77 from a
# suite means the npm registry is unreachable: it has printed a
# "SKIPPED: npm registry unreachable (...)" line saying so.
if [ "${SKIP_REAL:-0}" != 1 ]; then
	for t in tests/e2e/real/drill.sh tests/e2e/real/scenarios.sh; do
		[ -f "$t" ] || continue
		step "real OpenClaw: $t"
		start=$(date +%s)
		set +e
		bash "$t" build/clawkeeper "$PWD"
		rc=$?
		set -e
		echo "($t took $(( $(date +%s) - start ))s)"
		if [ "$rc" = 77 ]; then
			echo "$t: SKIPPED (see the SKIPPED line above)"
		elif [ "$rc" != 0 ]; then
			echo "$t: FAILED (exit $rc)"
			exit "$rc"
		fi
	done
fi

# Packaging and fleet rollout: the .deb built, installed with dpkg -i and
# removed; the Ansible rollout playbook against 20 agents. Run directly so
# their assertions are in the CI log. SKIP_DEPLOY=1 skips them.
if [ "${SKIP_DEPLOY:-0}" != 1 ]; then
	step "deploy: .deb (cpack, dpkg -i, dpkg -r)"
	bash tests/deploy/deb.sh "$PWD" "$PWD/build/deploy-deb"
	step "deploy: Ansible rollout against 20 agents"
	set +e
	bash tests/deploy/rollout.sh build/clawkeeper tests/fixtures "$PWD"
	rc=$?
	set -e
	if [ "$rc" = 77 ]; then echo "rollout: SKIPPED (see above)"; elif [ "$rc" != 0 ]; then exit "$rc"; fi
fi

step "build with AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCK_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
step "tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j"$JOBS"

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	step "fuzzers (${FUZZ_SECONDS}s each)"
	CC=clang cmake -S . -B build-fuzz -DCK_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j"$JOBS"
	for f in build-fuzz/tests/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f"); name=${name#fuzz_}
		corpus=tests/fuzz/corpus/$name
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
		echo "fuzz $name: seeds $(ls "$work" | wc -l)"
		"$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 "$work" 2>&1 | tail -n 4
		rm -rf "$work"
	done
fi

if [ -x tests/api/lint-openapi.sh ] || [ -f tests/api/lint-openapi.sh ]; then
	step "OpenAPI lint"
	bash tests/api/lint-openapi.sh
fi
step "all passed"
