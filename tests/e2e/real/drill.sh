#!/usr/bin/env bash
# The fallback drill against the real OpenClaw: for each pinned version,
# install it (cached), let it write its own baseline config, add a Codex-
# era chain (openai primary, anthropic/openrouter/ollama fallbacks), check
# the version accepts it (`config validate`), then assert that
#   - `clawkeeper drill` passes on it and walks the chain in order, and
#   - it fails, naming DECISION_NO_FAILOVER, on the stripped config
#     (primary only) the buggy generator produced.
# No network beyond the npm registry: every provider points at the drill's
# loopback stub. Exit 77 (skipped) when the registry cannot be reached.
#
#   tests/e2e/real/drill.sh CLAWKEEPER_BIN [SRC_DIR]
# Versions: $CK_E2E_VERSIONS (default "2026.9.6 2026.5.28"); cache:
# $CK_OPENCLAW_CACHE (default SRC_DIR/build/openclaw-cache).
set -uo pipefail
ck=${1:?usage: drill.sh CLAWKEEPER_BIN [SRC_DIR]}
src=${2:-$(cd "$(dirname "$0")/../../.." && pwd)}
cache=${CK_OPENCLAW_CACHE:-/var/cache/clawkeeper/openclaw}
versions=${CK_E2E_VERSIONS:-2026.9.6 2026.5.28}
passed=0
failed=0
work=$(mktemp -d /tmp/ck-e2e-drill.XXXXXX)
trap 'rm -rf "$work"' EXIT

ok() { echo "ok: $*"; passed=$((passed + 1)); }
not_ok() { echo "NOT OK: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# oc VERSION_DIR ARGS...: the installed openclaw in the case's own env.
oc() {
	local case=$1
	shift
	HOME=$case/home OPENCLAW_STATE_DIR=$case/state \
		OPENCLAW_CONFIG_PATH=$case/state/openclaw.json \
		timeout 300 $openclaw "$@" </dev/null
}

make_case() { # make_case DIR VERSION FALLBACKS_JSON
	local case=$1 version=$2 fallbacks=$3 setup_args=()
	mkdir -p "$case/home" "$case/state" "$case/logs"
	case $version in
	2026.[7-9].* | 2026.1[0-2].* | 202[7-9].*) setup_args=(--baseline) ;;
	esac
	if ! oc "$case" setup "${setup_args[@]}" >"$case/setup.out" 2>&1; then
		echo "openclaw $version setup failed:"
		tail -5 "$case/setup.out"
		return 1
	fi
	# The chain and providers the hosting side generates; providers point
	# at real-looking remote hosts to prove the drill reroutes them all.
	jq --argjson fb "$fallbacks" --arg log "$case/logs/openclaw.log" '
	    .agents.defaults.model = {primary: "openai/gpt-5.5", fallbacks: $fb}
	  | .logging.file = $log
	  | .models.providers.openrouter = {baseUrl: "https://openrouter.invalid/api/v1",
	      api: "openai-completions", apiKey: "sk-or-v1-FAKE-e2e",
	      models: [{id: "meta-llama/llama-3.3-70b-instruct", name: "Llama 3.3 70B"}]}
	  | .models.providers.ollama = {baseUrl: "http://127.0.0.1:9", api: "ollama",
	      apiKey: "ollama-local", models: []}' \
		"$case/state/openclaw.json" >"$case/cfg.json" &&
		mv "$case/cfg.json" "$case/state/openclaw.json"
}

for version in $versions; do
	start=$(date +%s)
	out=$(bash "$src/scripts/openclaw-install.sh" "$version" "$cache/$version")
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "$out"
		exit 77
	fi
	if [ $rc -ne 0 ]; then
		not_ok "openclaw $version installs from npm"
		continue
	fi
	openclaw=$(printf '%s\n' "$out" | tail -n 1)
	ok "openclaw $version installed or reused in $cache/$version ($(($(date +%s) - start)) s)"

	full=$work/$version-full
	stripped=$work/$version-stripped
	make_case "$full" "$version" \
		'["anthropic/claude-sonnet-4-6","openrouter/meta-llama/llama-3.3-70b-instruct","ollama/llama3.1:8b"]' ||
		{ not_ok "openclaw $version writes a baseline config"; continue; }
	make_case "$stripped" "$version" '[]' ||
		{ not_ok "openclaw $version writes a baseline config"; continue; }
	check "openclaw $version accepts the generated config (config validate)" \
		oc "$full" config validate
	before=$(sha256sum "$full/state/openclaw.json")

	t0=$(date +%s)
	"$ck" drill --state-dir "$full/state" --openclaw "$openclaw" --json >"$full/drill.json" 2>"$full/drill.err"
	rc=$?
	secs=$(($(date +%s) - t0))
	jq -r '.message' "$full/drill.json" 2>/dev/null | sed 's/^/    /'
	check "$version: drill passes with 3 fallbacks (exit $rc, $secs s)" [ $rc -eq 0 ]
	check "$version: 4 decision records, in planned order" [ "$(jq -r '[.records[] | .candidate + ">" + .next] | join(" ")' "$full/drill.json")" = \
		"openai/gpt-5.5>anthropic/claude-sonnet-4-6 anthropic/claude-sonnet-4-6>openrouter/meta-llama/llama-3.3-70b-instruct openrouter/meta-llama/llama-3.3-70b-instruct>ollama/llama3.1:8b ollama/llama3.1:8b>none" ]
	check "$version: every candidate was answered by the stub (no network)" \
		[ "$(jq '[.stub_requests[] | select(.method == "POST")] | length' "$full/drill.json")" -ge 4 ]
	check "$version: the instance config is untouched" [ "$before" = "$(sha256sum "$full/state/openclaw.json")" ]
	check "$version: no drill secret in the output" bash -c "! grep -q 'FAKE-drill-key' '$full/drill.json' '$full/drill.err'"

	t0=$(date +%s)
	"$ck" drill --state-dir "$stripped/state" --openclaw "$openclaw" >"$stripped/drill.out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	sed 's/^/    /' "$stripped/drill.out"
	check "$version: drill fails on the stripped chain (exit $rc, $secs s)" [ $rc -eq 1 ]
	check "$version: and says why (DECISION_NO_FAILOVER, next=none)" \
		grep -q 'next=none: the chain has no fallback to fail over to (DECISION_NO_FAILOVER)' "$stripped/drill.out"
	echo "openclaw $version: $(($(date +%s) - start)) s in all"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
