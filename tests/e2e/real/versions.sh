#!/usr/bin/env bash
# The real-version tier: every published OpenClaw line the product must
# handle, each installed (cached) and driven with its own CLI:
#   build   an ordinary instance: `setup` (`--baseline` where the version
#           has it), logging.file and the model chain through
#           `config set --batch-file`, credentials with
#           `models auth paste-api-key` / `paste-token` (stdin);
#   health  `clawkeeper health` (with the version's binary, and from the
#           stores alone) gives every provider the credential status the
#           version's own `models status --json` gives it, and the version
#           `openclaw --version` prints;
#   plan    the config `clawkeeper plan` generates from desired settings
#           passes the version's `config validate`, and its
#           `models status` shows exactly the chain expected in that
#           version's shape;
#   drill   `clawkeeper drill` with that version passes, a real candidate
#           in next=.
# Versions run $CK_E2E_JOBS (default 2) at a time. Loopback only, apart
# from the npm registry for installs not yet cached.
#
#   tests/e2e/real/versions.sh CLAWKEEPER_BIN [SRC_DIR]
# Versions: $CK_E2E_VERSIONS; cache: $CK_OPENCLAW_CACHE (default
# /var/cache/clawkeeper/openclaw); CK_E2E_KEEP=1 keeps the case dirs.
# Exit 0 all passed, 1 any assertion failed (or nothing was tested), 77
# when a version could not be installed because npm is unreachable and
# everything that could be tested passed (the caller decides what a skip
# means; see scripts/test.sh).
set -uo pipefail
ck=$(readlink -f "${1:?usage: versions.sh CLAWKEEPER_BIN [SRC_DIR]}")
src=$(readlink -f "${2:-$(dirname "$0")/../../..}")
cache=${CK_OPENCLAW_CACHE:-/var/cache/clawkeeper/openclaw}
versions=${CK_E2E_VERSIONS:-2026.5.28 2026.6.1 2026.6.35 2026.7.1 2026.7.35 2026.8.2 2026.9.1 2026.9.6}
jobs=${CK_E2E_JOBS:-2}
work=$(mktemp -d /tmp/ck-e2e-versions.XXXXXX)
cleanup() {
	local pid
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${CK_E2E_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/real/versions-lib.sh
. "$src/tests/e2e/real/versions-lib.sh"

suite_t0=$(date +%s)
declare -A oc_cmd
skipped=()
install_failed=()
for v in $versions; do
	t0=$(date +%s)
	out=$(bash "$src/scripts/openclaw-install.sh" "$v" "$cache/$v")
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "$out"
		skipped+=("$v")
	elif [ $rc -ne 0 ]; then
		install_failed+=("$v")
		not_ok "openclaw $v installs (scripts/openclaw-install.sh exit $rc)"
	else
		oc_cmd[$v]=$(printf '%s\n' "$out" | tail -n 1)
		ok "openclaw $v installed or reused in $cache/$v ($(($(date +%s) - t0)) s)"
	fi
done

# Each version in its own case dir and subshell; its lines go to its
# report, printed whole when it ends so parallel versions do not mix.
running=0
for v in $versions; do
	[ -n "${oc_cmd[$v]:-}" ] || continue
	mkdir -p "$work/$v"
	(version_tier "$v" "${oc_cmd[$v]}" "$work/$v") >"$work/$v/report.txt" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

summary=()
for v in $versions; do
	r=$work/$v/report.txt
	[ -n "${oc_cmd[$v]:-}" ] || continue
	echo "== openclaw $v"
	# A version that ran must have said so to the end: a lost or cut
	# report is a failure, never a version quietly left out.
	cat "$r" 2>/dev/null
	p=$(grep -c '^ok:' "$r" 2>/dev/null)
	f=$(grep -c '^NOT OK:' "$r" 2>/dev/null)
	if ! grep -q '^time: ' "$r" 2>/dev/null; then
		echo "NOT OK: openclaw $v: the tier ended without the version's full report"
		f=$((${f:-0} + 1))
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + f))
	summary+=("$(printf '  %-10s %3d ok %3d NOT OK  %s' "$v" "$p" "$f" \
		"$(sed -n 's/^time: //p' "$r" 2>/dev/null)")")
done
echo "== summary ($(($(date +%s) - suite_t0)) s in all, $jobs at a time)"
printf '%s\n' "${summary[@]}"
[ ${#skipped[@]} -gt 0 ] && echo "  SKIPPED (npm unreachable): ${skipped[*]}"
[ ${#install_failed[@]} -gt 0 ] && echo "  not installed: ${install_failed[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -gt 0 ] && exit 1
[ ${#skipped[@]} -gt 0 ] && exit 77
[ ${#oc_cmd[@]} -eq 0 ] && { echo "nothing was tested"; exit 1; }
exit 0
