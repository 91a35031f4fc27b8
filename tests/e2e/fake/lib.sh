# Shared by the tests/e2e/fake/*.sh tests: a managed instance on the fake
# openclaw (tests/fake-openclaw) with releases side by side, an agent
# config for `clawkeeper serve` on a unix socket with an operate token, and
# helpers to call the API and follow operations.
#   source lib.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1"); FIX=$(readlink -f "$2")/openclaw; SRC=$(readlink -f "$3")
FAKE=$SRC/tests/fake-openclaw/openclaw
T=$(mktemp -d /tmp/ck-ops-XXXXXX)
SERVE_PID=""
cleanup() {
	local rc=$?
	# a failure of any kind (a set -e exit too) shows the agent's own words
	if [ "$rc" != 0 ] && [ -z "${CK_FAILED_SHOWN:-}" ] && [ -f "$T/serve.log" ]; then
		echo "--- serve.log (last 60 lines) after exit $rc"; tail -n 60 "$T/serve.log"
	fi
	[ -n "${WWW:-}" ] && kill "$WWW" 2>/dev/null
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
	# the supervised gateway of a killed agent, if a test failed mid-way
	[ -f "$T/work/gateway.pid" ] && kill -- -"$(cut -d" " -f1 "$T/work/gateway.pid")" 2>/dev/null || true
	rm -rf "$T"
	return "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/serve.log" ] && tail -n 30 "$T/serve.log"; CK_FAILED_SHOWN=1; exit 1; }
pass() { echo "ok: $*"; }

# shellcheck source=tests/lib/port.sh
. "$SRC/tests/lib/port.sh"
GW_PORT=$(free_port)
export FAKE_OPENCLAW_LOG=$T/openclaw-calls.log
export FAKE_OPENCLAW_READY_AFTER_MS=1200   # like 9.6's startup-sidecars 503s

# --- the instance: the field failure's live config (6.1, chain stripped),
# last written by 2026.5.28 (as after importing a 5.28 backup into a 6.1
# host): the version that counts is the running release's, 6.1
S=$T/state; mkdir -p "$S/agents/main/agent" "$T/logs" "$T/work"
jq --arg log "$T/logs/openclaw.log" --argjson port "$GW_PORT" \
	'.agents.defaults.model = {primary: "openai/gpt-5.5"} | .logging.file = $log
	 | .gateway.port = $port | .meta.lastTouchedVersion = "2026.5.28"' \
	"$FIX/2026.6.1/config/openclaw.json" >"$S/openclaw.json"
chmod 600 "$S/openclaw.json"
cp "$FIX/2026.6.1/auth/s1-apikeys/auth-profiles.json" "$S/agents/main/agent/"
# 6.1's cron jobs as the real 6.1 gateway wrote them (tests/fixtures/cron),
# keyed to this state dir; the settings give the strict job a fallback.
mkdir -p "$S/state"
sqlite3 "$S/state/openclaw.sqlite" <"$SRC/tests/fixtures/cron/2026.6.1/cron_jobs.sql"
sqlite3 "$S/state/openclaw.sqlite" "UPDATE cron_jobs SET store_key = '$S/cron/jobs.json'"
cat >"$T/settings.json" <<'JSON'
{"primary": "openai-codex/gpt-5.5",
 "fallbacks": ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"],
 "cron": {"strict": {"fallbacks": ["anthropic/claude-sonnet-4-6"]}}}
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
# boots on a copy (the rehearsal), refuses the live state (the cutover)
release 2026.10.3 "FAKE_OPENCLAW_FAIL_ON_STATE=$S"
# passes verify, then every one of its gateways exits 2.5 s after it is
# first ready: a crash loop right after the cutover
release 2026.10.4 "FAKE_OPENCLAW_DIE_AFTER_READY_MS=2500"
ln -s 2026.6.1 "$T/releases/current"

# The install command template's stand-in for npm: lays out a release.
cat >"$T/fake-install" <<SH
#!/bin/sh
mkdir -p "\$1/\$2/bin"
printf '#!/bin/sh\\nFAKE_OPENCLAW_VERSION=%s exec %s "\$@"\\n' "\$2" "$FAKE" >"\$1/\$2/bin/openclaw"
chmod 755 "\$1/\$2/bin/openclaw"
echo "\$2" >>"$T/installs.log"
SH
chmod 755 "$T/fake-install"

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
                 "install": "$T/fake-install {releases} {version}", "allow_http": true,
                 "min_free_mb": 1, "ready_timeout_ms": 15000, "settle_ms": 1000,
                 "stop_grace_ms": 2000},
  "gateway": {"driver": "supervise",
              "stop_timeout_ms": 2000,
              "watch": {"interval_ms": 200, "backoff_ms": 300, "backoff_max_ms": 1200,
                        "burst": 3, "burst_window_ms": 60000, "unready_ms": 4000}}
}
JSON
chmod 600 "$T/agent.json"

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
	# up to 60 s: recovery (a rollback with its one restart) runs before the
	# API answers, and a loaded CI box is slow
	for _ in $(seq 1 600); do
		[ -S "$T/agent.sock" ] && call GET /v1/agent >/dev/null 2>&1 && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_serve() { kill "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=""; }
# await_hook_death PID WHO: PID ends by a test hook's SIGKILL (60 s at most).
await_hook_death() {
	local rc=0
	for _ in $(seq 1 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$1" 2>/dev/null && fail "$2 did not die at the hook"
	wait "$1" 2>/dev/null || rc=$?
	[ "$rc" = 137 ] || fail "$2 exited $rc, not by the hook's SIGKILL"
}
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
# Boots of the live gateway (a rehearsal boots the target on a copy).
gateway_runs() { grep -c "^$S gateway run" "$FAKE_OPENCLAW_LOG.state" || true; }
# Every file under the state dir (logs excepted: the gateway appends).
tree_sha() { (cd "$S" && find . -type f ! -path './logs/*' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }
sha() { sha256sum "$S/openclaw.json" "$S/agents/main/agent/auth-profiles.json" | sha256sum | cut -c1-16; }

