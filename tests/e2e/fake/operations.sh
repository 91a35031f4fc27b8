#!/usr/bin/env bash
# Regenerate, upgrade, rollback and crash recovery through the real HTTP
# API of `clawkeeper serve`, against the fake openclaw (tests/fake-openclaw)
# that records every call, so restarts are counted by what the gateway saw,
# not by what the agent says.
#   usage: operations.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1"); FIX=$(readlink -f "$2")/openclaw; SRC=$(readlink -f "$3")
FAKE=$SRC/tests/fake-openclaw/openclaw
T=$(mktemp -d /tmp/ck-ops-XXXXXX)
SERVE_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
	# the supervised gateway of a killed agent, if a test failed mid-way
	[ -f "$T/work/gateway.pid" ] && kill -- -"$(cat "$T/work/gateway.pid")" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/serve.log" ] && tail -n 30 "$T/serve.log"; exit 1; }
pass() { echo "ok: $*"; }

GW_PORT=$((20000 + RANDOM % 20000))
export FAKE_OPENCLAW_LOG=$T/openclaw-calls.log
export FAKE_OPENCLAW_READY_AFTER_MS=1200   # like 9.6's startup-sidecars 503s

# --- the instance: the field failure's live config (6.1, chain stripped)
S=$T/state; mkdir -p "$S/agents/main/agent" "$T/logs" "$T/work"
jq --arg log "$T/logs/openclaw.log" --argjson port "$GW_PORT" \
	'.agents.defaults.model = {primary: "openai/gpt-5.5"} | .logging.file = $log
	 | .gateway.port = $port | .meta.lastTouchedVersion = "2026.6.1"' \
	"$FIX/2026.6.1/config/openclaw.json" >"$S/openclaw.json"
chmod 600 "$S/openclaw.json"
cp "$FIX/2026.6.1/auth/s1-apikeys/auth-profiles.json" "$S/agents/main/agent/"
cat >"$T/settings.json" <<'JSON'
{"primary": "openai-codex/gpt-5.5",
 "fallbacks": ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]}
JSON

# --- releases side by side; 2026.10.1 is one whose gateway will not start
release() { # version [extra env]
	mkdir -p "$T/releases/$1/bin"
	printf '#!/bin/sh\nFAKE_OPENCLAW_VERSION=%s %s exec %s "$@"\n' "$1" "${2:-}" "$FAKE" \
		>"$T/releases/$1/bin/openclaw"
	chmod 755 "$T/releases/$1/bin/openclaw"
}
release 2026.6.1; release 2026.9.6; release 2026.10.2
release 2026.10.1 "FAKE_OPENCLAW_GATEWAY_FAIL=1"
ln -s 2026.6.1 "$T/releases/current"

TOKEN=ck-test-operate-token-$RANDOM$RANDOM
printf '%s' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
cat >"$T/agent.json" <<JSON
{
  "listen": "unix:$T/agent.sock",
  "tokens": [{"name": "ci", "sha256": "$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)", "scope": "operate"}],
  "instance": {"state_dir": "$S", "config_path": "$S/openclaw.json",
               "openclaw_bin": "$T/releases/current/bin/openclaw",
               "settings_path": "$T/settings.json", "log_file": "$T/logs/openclaw.log"},
  "journal_dir": "$T/journal",
  "operations": {"work_dir": "$T/work", "releases_root": "$T/releases", "drill": true,
                 "min_free_mb": 1, "ready_timeout_ms": 15000},
  "gateway": {"driver": "supervise"}
}
JSON

call() { "$BIN" call --agent "unix:$T/agent.sock" --token-file "$T/token" "$@"; }
status_of() { # METHOD PATH [BODY] [KEY] -> prints the HTTP status line code
	local args=(--include "$1" "$2")
	[ -n "${3:-}" ] && args+=(--data "$3" -H 'Content-Type: application/json')
	[ -n "${4:-}" ] && args+=(-H "Idempotency-Key: $4")
	{ call "${args[@]}" 2>&1 >/dev/null || true; } | awk 'NR==1 {print $2}'
}
start_serve() {
	"$BIN" serve --config "$T/agent.json" >>"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$T/agent.sock" ] && call GET /v1/agent >/dev/null 2>&1 && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_serve() { kill "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=""; }
wait_op() { # id -> prints the final record
	local rec state
	for _ in $(seq 1 600); do
		rec=$(call GET "/v1/operations/$1")
		state=$(jq -r .state <<<"$rec")
		case "$state" in succeeded|failed|rolled_back) echo "$rec"; return 0 ;; esac
		sleep 0.2
	done
	fail "operation $1 did not end: $rec"
}
gateway_runs() { grep -c '^gateway run' "$FAKE_OPENCLAW_LOG" || true; }
sha() { sha256sum "$S/openclaw.json" "$S/agents/main/agent/auth-profiles.json" | sha256sum | cut -c1-16; }

start_serve || fail "serve did not start"
pass "serve started on a unix socket; it started the supervised gateway"

# --- regenerate: one restart, chain restored
runs0=$(gateway_runs)
body=$(call --data '{}' -H 'Content-Type: application/json' -H 'Idempotency-Key: regen-1' POST /v1/regenerate)
id=$(jq -r .id <<<"$body")
[ "$(jq -r .state <<<"$body")" != null ] || fail "regenerate: no operation in the 202 body"
code=$(status_of POST /v1/upgrades '{"target_version":"2026.9.6"}')
[ "$code" = 409 ] || fail "a second operation while one runs got $code, want 409"
pass "a second operation while one runs gets 409"
again=$(call --data '{}' -H 'Content-Type: application/json' -H 'Idempotency-Key: regen-1' POST /v1/regenerate | jq -r .id)
[ "$again" = "$id" ] || fail "same Idempotency-Key gave $again, want $id"
code=$(status_of POST /v1/regenerate '{"drill":false}' regen-1)
[ "$code" = 422 ] || fail "same key, other body got $code, want 422"
pass "Idempotency-Key: same request returns the same operation, another body gets 422"
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "regenerate: $(jq -c '{state,result}' <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 1 ] || fail "regenerate: restarts $(jq .restarts <<<"$rec")"
[ $(( $(gateway_runs) - runs0 )) = 1 ] || fail "regenerate: the gateway was started $(( $(gateway_runs) - runs0 )) times"
jq -e '.agents.defaults.model.fallbacks == ["anthropic/claude-sonnet-4-6","openrouter/meta-llama/llama-3.3-70b-instruct"]' "$S/openclaw.json" >/dev/null \
	|| fail "regenerate: live chain is $(jq -c .agents.defaults.model "$S/openclaw.json")"
pass "regenerate: succeeded with exactly one gateway restart; the live chain has its fallbacks back"

# --- upgrade: one restart, release switched, drill passed
runs0=$(gateway_runs)
id=$(call --data '{"target_version":"2026.9.6"}' -H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "upgrade: $(jq -c '{state,result,steps}' <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 1 ] || fail "upgrade: restarts $(jq .restarts <<<"$rec")"
[ $(( $(gateway_runs) - runs0 )) = 1 ] || fail "upgrade: $(( $(gateway_runs) - runs0 )) gateway starts"
[ "$(readlink "$T/releases/current")" = 2026.9.6 ] || fail "upgrade: current -> $(readlink "$T/releases/current")"
jq -e '.drill.passed == true' <<<"$rec" >/dev/null || fail "upgrade: drill $(jq -c .drill <<<"$rec")"
grep -q '^config validate' "$FAKE_OPENCLAW_LOG" || fail "upgrade: the target's config validate never ran"
pass "upgrade to 2026.9.6: one restart, current -> 2026.9.6, validated by the target, drill walked the chain"

# --- a failing upgrade rolls back: two restarts, files byte-identical
before=$(sha); runs0=$(gateway_runs)
id=$(call --data '{"target_version":"2026.10.1"}' -H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = rolled_back ] || fail "broken upgrade: $(jq -c '{state,result}' <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 2 ] || fail "broken upgrade: restarts $(jq .restarts <<<"$rec")"
[ $(( $(gateway_runs) - runs0 )) = 2 ] || fail "broken upgrade: $(( $(gateway_runs) - runs0 )) gateway starts"
[ "$(sha)" = "$before" ] || fail "broken upgrade: config or credentials changed"
[ "$(readlink "$T/releases/current")" = 2026.9.6 ] || fail "broken upgrade: current -> $(readlink "$T/releases/current")"
jq -e '.result.message | test("verify")' <<<"$rec" >/dev/null || fail "broken upgrade: message $(jq .result.message <<<"$rec")"
pass "failed verify: rolled_back, two restarts in all, config and credentials byte-identical, old release current"

# --- crash at every step boundary: the next agent settles the operation
for step in preflight snapshot stage generate validate locks switch restart verify drill; do
	stop_serve
	cur=$(readlink "$T/releases/current")
	target=2026.10.2; [ "$cur" = 2026.10.2 ] && target=2026.9.6
	old_sha=$(sha)
	CK_TEST_CRASH_AT=$step start_serve || fail "$step: serve did not start"
	crash_pid=$SERVE_PID
	id=$(call --data "{\"target_version\":\"$target\",\"allow_downgrade\":true}" \
		-H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
	for _ in $(seq 1 300); do kill -0 "$crash_pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$crash_pid" 2>/dev/null && fail "$step: the agent did not die at the hook"
	wait "$crash_pid" 2>/dev/null || true
	SERVE_PID=""
	start_serve || fail "$step: the agent did not come back"
	rec=$(wait_op "$id")
	state=$(jq -r .state <<<"$rec"); now=$(readlink "$T/releases/current")
	[ -d "$T/releases/$now" ] || fail "$step: current -> $now, not a release"
	case "$state" in
	succeeded) [ "$now" = "$target" ] || fail "$step: succeeded but current -> $now" ;;
	failed|rolled_back)
		[ "$now" = "$cur" ] || fail "$step: $state but current -> $now (was $cur)"
		[ "$(sha)" = "$old_sha" ] || fail "$step: $state but the files changed" ;;
	*) fail "$step: state $state" ;;
	esac
	call GET /v1/agent >/dev/null || fail "$step: agent not answering"
	pass "killed at '$step': next start settled it as $state; one release current ($now), files $( [ "$(sha)" = "$old_sha" ] && echo old || echo new)"
done
stop_serve
grep -q FAKE "$T/serve.log" && fail "a secret reached the agent log"
echo "operations: all assertions passed"
