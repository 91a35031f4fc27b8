# A fleet of clawkeeper agents on loopback for the deploy tests, sourced
# by rollout.sh. Each agent gets its own fake instance (state dir from the
# 2026.6.1 fixture, desired settings, releases 2026.6.1 and the target, the
# supervise driver running tests/fake-openclaw) and a TCP port; the setup
# is the one of tests/e2e/fake/operations.sh.
#   needs: BIN FIX FAKE T (set by the caller), jq, node
# shellcheck shell=bash

FLEET_PIDS=()
FLEET_TARGET=2026.9.6

# Bearer token shared by the fleet, scope operate; the agents keep only
# its SHA-256.
fleet_token() {
	FLEET_TOKEN=ck-deploy-FAKE-operate-$RANDOM$RANDOM$RANDOM
	printf '%s' "$FLEET_TOKEN" >"$T/operate.token"
	chmod 600 "$T/operate.token"
	FLEET_TOKEN_SHA=$(printf '%s' "$FLEET_TOKEN" | sha256sum | cut -d' ' -f1)
}

# A release dir whose bin/openclaw is the fake, saying `version`;
# `fail_state` non-empty: its gateway does not start on that (live) state
# dir, so the upgrade's rehearsal on a copy passes and its cutover fails
# verification (rolled_back).
fleet_release() { # dir version [fail_state]
	local env=""
	[ -n "${3:-}" ] && env="FAKE_OPENCLAW_FAIL_ON_STATE=$3"
	mkdir -p "$1/$2/bin"
	printf '#!/bin/sh\nFAKE_OPENCLAW_VERSION=%s %s exec %s "$@"\n' "$2" "$env" "$FAKE" \
		>"$1/$2/bin/openclaw.tmp"
	chmod 755 "$1/$2/bin/openclaw.tmp"
	mv "$1/$2/bin/openclaw.tmp" "$1/$2/bin/openclaw"
}

# Makes the target release of agent i fail (1) or work (0) from now on.
fleet_set_failing() { # i 0|1
	local fail=""
	[ "$2" = 1 ] && fail=$T/a$1/state
	fleet_release "$T/a$1/releases" "$FLEET_TARGET" "$fail"
}

fleet_setup_one() { # i api_port gw_port failing(0|1)
	local d=$T/a$1 s
	s=$d/state
	mkdir -p "$s/agents/main/agent" "$d/logs" "$d/work"
	jq --arg log "$d/logs/openclaw.log" --argjson port "$3" \
		'.agents.defaults.model = {primary: "openai/gpt-5.5"} | .logging.file = $log
		 | .gateway.port = $port | .meta.lastTouchedVersion = "2026.6.1"' \
		"$FIX/2026.6.1/config/openclaw.json" >"$s/openclaw.json"
	chmod 600 "$s/openclaw.json"
	cp "$FIX/2026.6.1/auth/s1-apikeys/auth-profiles.json" "$s/agents/main/agent/"
	cat >"$d/settings.json" <<-'JSON'
	{"primary": "openai-codex/gpt-5.5",
	 "fallbacks": ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]}
	JSON
	fleet_release "$d/releases" 2026.6.1
	fleet_set_failing "$1" "$4"
	ln -s 2026.6.1 "$d/releases/current"
	cat >"$d/agent.json" <<-JSON
	{
	  "instance_id": "claw-ci-$1",
	  "listen": "127.0.0.1:$2",
	  "tokens": [{"name": "rollout", "sha256": "$FLEET_TOKEN_SHA", "scope": "operate"}],
	  "instance": {"state_dir": "$s", "config_path": "$s/openclaw.json",
	               "openclaw_bin": "$d/releases/current/bin/openclaw",
	               "settings_path": "$d/settings.json", "log_file": "$d/logs/openclaw.log"},
	  "journal_dir": "$d/journal",
	  "refresh_interval_s": 3600,
	  "operations": {"work_dir": "$d/work", "releases_root": "$d/releases", "drill": false,
	                 "min_free_mb": 1, "ready_timeout_ms": 15000},
	  "gateway": {"driver": "supervise"}
	}
	JSON
	chmod 600 "$d/agent.json" # the agent refuses a config others can read
	echo "$2" >"$d/api.port"
}

# shellcheck source=tests/lib/port.sh
. "$SRC/tests/lib/port.sh"

# fleet_setup N "i j k" : N agents, those listed have a failing target.
fleet_setup() {
	local n=$1 i failing
	fleet_token
	for i in $(seq -f %02g 1 "$n"); do
		failing=0
		case " $2 " in *" $i "*) failing=1 ;; esac
		fleet_setup_one "$i" "$(free_port)" "$(free_port)" "$failing"
	done
}

fleet_start() { # N
	local i port ok
	for i in $(seq -f %02g 1 "$1"); do
		FAKE_OPENCLAW_LOG=$T/a$i/openclaw-calls.log FAKE_OPENCLAW_READY_AFTER_MS=0 \
			"$BIN" serve --config "$T/a$i/agent.json" >>"$T/a$i/serve.log" 2>&1 &
		FLEET_PIDS+=($!)
	done
	for i in $(seq -f %02g 1 "$1"); do
		port=$(cat "$T/a$i/api.port"); ok=0
		for _ in $(seq 1 100); do
			if curl -fsS "http://127.0.0.1:$port/v1/agent" >/dev/null 2>&1; then
				ok=1; break
			fi
			sleep 0.1
		done
		[ "$ok" = 1 ] || { echo "agent $i did not start:"; tail -n 20 "$T/a$i/serve.log"; return 1; }
	done
}

fleet_stop() {
	local pid i
	for pid in "${FLEET_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${FLEET_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	FLEET_PIDS=()
	# supervised gateways of agents that died without stopping them
	for i in "$T"/a*/work/gateway.pid; do
		[ -f "$i" ] && kill -- -"$(cat "$i")" 2>/dev/null || true
	done
}

# GET on agent i with the fleet token; prints the body.
fleet_get() { # i path
	curl -fsS -H "Authorization: Bearer $FLEET_TOKEN" \
		"http://127.0.0.1:$(cat "$T/a$1/api.port")$2"
}

# Upgrade operations of agent i, oldest first: one JSON object a line.
fleet_upgrades() { # i
	fleet_get "$1" /v1/operations | jq -c '.operations | map(select(.kind == "upgrade")) | sort_by(.created_at) | .[]'
}
