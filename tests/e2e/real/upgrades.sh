#!/usr/bin/env bash
# Upgrade paths on ordinary instances, every step through `clawkeeper
# serve`'s API with the supervise driver running the real gateways: each
# instance is built with its own version's CLI (setup, paste-api-key, a
# second agent, one real turn so a session exists), then upgraded. Each
# path must succeed with exactly one boot of the live gateway in the
# gateway's own log and no reload by the old one, the chain intact as the
# target's own `models status --json` sees it, credentials readable by
# health, and the session kept. 6.1 -> 9.6 is also forced to fail at
# cutover: rolled_back, and every file under the state dir as before.
#
#   tests/e2e/real/upgrades.sh CLAWKEEPER_BIN [SRC_DIR]
# $CK_E2E_PATHS picks paths (default below), e.g. "2026.6.1:2026.9.6".
set -uo pipefail
ck=$(readlink -f "${1:?usage: upgrades.sh CLAWKEEPER_BIN [SRC_DIR]}")
src=$(readlink -f "${2:-$(dirname "$0")/../../..}")
cache=${CK_OPENCLAW_CACHE:-/var/cache/clawkeeper/openclaw}
paths=${CK_E2E_PATHS:-2026.6.1:2026.9.6 2026.5.28:2026.6.1 2026.6.1:2026.8.2 2026.6.1:2026.7.35 2026.5.28:2026.9.6 2026.7.35:2026.9.6}
work=$(mktemp -d /tmp/ck-e2e-upgrades.XXXXXX)
cases=()
cleanup() {
	local c
	for c in "${cases[@]}"; do stop_case "$c"; done
	[ -n "${CK_E2E_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/real/lib.sh
. "$src/tests/e2e/real/lib.sh"
suite_t0=$(date +%s)

# The cron job "nightly" is made without fallbacks of its own; the
# settings give it one, which the upgrade writes wherever the target keeps
# jobs (the target's doctor moves 5.28's jobs.json into its database).
SETTINGS='{"primary": "openai/gpt-5.5",
 "fallbacks": ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"],
 "cron": {"nightly": {"fallbacks": ["openrouter/meta-llama/llama-3.3-70b-instruct"]}}}'
NIGHTLY='{"name": "nightly", "schedule": {"kind": "every", "everyMs": 86400000},
 "sessionTarget": "isolated", "wakeMode": "now", "delivery": {"mode": "none"},
 "payload": {"kind": "agentTurn", "message": "nightly report", "model": "anthropic/claude-sonnet-4-6"}}'
ROUTES='{"/openai": "401", "/anthropic": "ok", "/openrouter": "ok", "/ollama": "401"}'
OWN_RUNTIME='.agents.defaults.models["openai/gpt-5.5"] = {agentRuntime: {id: "openclaw"}}'
SECOND='{id: "second", model: {primary: "anthropic/claude-sonnet-4-6",
	fallbacks: ["openrouter/meta-llama/llama-3.3-70b-instruct"]}}'

oc_in() { # oc_in CASE ARGS < stdin
	local case=$1
	shift
	HOME=$case/home OPENCLAW_STATE_DIR=$case/state \
		OPENCLAW_CONFIG_PATH=$case/state/openclaw.json \
		timeout 300 "$case/releases/current/bin/openclaw" "$@"
}

# Files of the state dir with their sha256. A running gateway appends to
# its logs, re-locks, and writes its databases (6.1 rewrites
# state/openclaw.sqlite as it runs), so those are compared by the agent
# itself (every file, with the gateway stopped: rollback.trees[].sha256
# and .verified); the test compares everything else on its own.
state_sums() {
	(cd "$1/state" && find . -type f ! -path './logs/*' ! -path './tmp/*' ! -name '*.lock' \
		! -name '*.sqlite' ! -name '*.sqlite-*' -print0 | sort -z | xargs -0 sha256sum)
}

# build CASE VERSION PORT: an ordinary instance of VERSION, served.
build() {
	local c=$1 v=$2 port=$3 p
	cases+=("$c")
	make_instance "$c" "$v" || { not_ok "$v: openclaw setup"; return 1; }
	oc "$c" config set logging.file "$c/logs/openclaw.log" >/dev/null 2>&1
	for p in openai anthropic openrouter; do
		echo "sk-FAKE-$p-$RANDOM$RANDOM" | oc_in "$c" models auth paste-api-key --provider "$p" \
			>"$c/paste-$p.out" 2>&1 || { not_ok "$v: paste-api-key --provider $p"; return 1; }
	done
	start_stub "$c" "$ROUTES"
	# A second agent with its own chain, in the shape this version writes.
	# Token auth, so the CLI's turn may talk to the gateway (6.1's setup
	# leaves none: "gateway agent requires credentials").
	point_at_stub "$c" '.agents.defaults.model = {primary: "openai/gpt-5.5",
	    fallbacks: ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]} | '"$OWN_RUNTIME"' |
	  .gateway.auth = (.gateway.auth // {mode: "token", token: "FAKE-gateway-token-e2e"}) |
	  if (.agents.entries | type) == "object" then .agents.entries.second = ('"$SECOND"' | del(.id))
	  else .agents.list = ((.agents.list // [{id: "main", default: true}]) + ['"$SECOND"']) end' \
		"$port" || return 1
	check "$v: accepts the instance config (config validate)" oc "$c" config validate
	serve_config "$c" "$SETTINGS"
	start_serve "$c" || { not_ok "$v: serve starts"; tail -20 "$c/serve.log"; return 1; }
	check "$v: serve runs the real gateway" wait_ready "$port" 240 || return 1
	# A cron job through the gateway method every version has (cron add
	# --fallbacks came with 6.35). First: the CLI's device is paired with
	# the scopes of its first call, and a turn's would not cover cron.add.
	check "$v: a cron job added through the gateway (cron.add)" \
		oc "$c" gateway call cron.add --json --token "$(gw_token "$c")" --params "$NIGHTLY"
	turn "$c" turn0
	check "$v: one real turn before the upgrade (exit $turn_rc, $turn_secs s)" \
		grep -q 'hello from fallback' "$c/turn0.out"
}

gw_token() { jq -r .gateway.auth.token "$1/state/openclaw.json"; }

# The target gateway's own view of the job: `cron list --all --json`.
nightly_of() {
	oc "$1" cron list --all --json --token "$(gw_token "$1")" 2>/dev/null | sed -n '/^[{[]/,$p' |
		jq -c '(if type == "array" then . else .jobs end)[] | select(.name == "nightly") | .payload'
}

# A release directory of TO whose `gateway run` refuses the live state
# only: the rehearsal (on a copy) passes, the cutover fails.
cutover_breaker() {
	local dir=$1 to=$2 live=$3 calls=$4
	write_release "$dir" "$to" "$calls"
	sed -i "2a [ \"\$1 \$2\" = 'gateway run' ] && [ \"\$OPENCLAW_STATE_DIR\" = '$live' ] && { echo 'e2e: this release refuses the live state' >&2; exit 1; }" \
		"$dir/bin/openclaw"
}

upgrade_path() {
	local from=$1 to=$2 c port rec id t0 st sess status runs0
	c=$work/$from-to-$to
	port=$(free_port)
	echo "== $from -> $to"
	build "$c" "$from" "$port" || return 1
	sess=$(find "$c/state/agents/main/sessions" -name '*.jsonl' -printf '%f\n' 2>/dev/null | head -1)
	sess=${sess:0:36} # the session id (a uuid); files add .trajectory etc.
	check "$from: the turn left a session ($sess)" [ -n "$sess" ]
	mkdir -p "$work/dist"
	[ -d "$work/dist/$to" ] || write_release "$work/dist/$to" "$to" "$work/dist-calls.log"

	if [ "$from:$to" = 2026.6.1:2026.9.6 ]; then
		cutover_breaker "$work/dist/$to-breaks" "$to" "$c/state" "$work/dist-calls.log"
		state_sums "$c" >"$c/sums.before"
		rec=$(wait_op "$c" "$(call "$c" --data "{\"target_version\":\"$to\",\"source\":{\"dir\":\"$work/dist/$to-breaks\"}}" \
			-H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)")
		print_steps "$rec"
		check "$from -> $to failing at cutover: rolled_back" [ "$(jq -r .state <<<"$rec")" = rolled_back ]
		check "$from -> $to failing at cutover: the rehearsal had passed" \
			jqe '.steps[] | select(.name == "rehearse") | .state == "done"' <<<"$rec"
		state_sums "$c" >"$c/sums.after"
		check "$from -> $to failing at cutover: sha256 of every file under the state dir as before" \
			diff "$c/sums.before" "$c/sums.after"
		check "$from -> $to failing at cutover: the agent verified every file put back (databases too)" \
			jqe '[.rollback.trees[] | .verified == true and (.sha256 | length == 64)] | all' <<<"$rec"
		check "$from -> $to failing at cutover: identity/device.json kept" \
			grep -q ' ./identity/device.json$' "$c/sums.after"
		check "$from -> $to failing at cutover: the old version answers" wait_ready "$port" 120
		# The release dir named after the version must be the real one now.
		rm -f "$c/releases/$to"
	fi

	# 7.35's state needs 8.2's doctor before 9.6's (agent/compat.c): the
	# waypoint release is present in the releases root, so it is reused.
	if [ "$from:$to" = 2026.7.35:2026.9.6 ]; then
		write_release "$c/releases/2026.8.2" 2026.8.2 "$c/calls.log"
	fi
	runs0=$(grep -c "^gateway run" "$c/calls.log" 2>/dev/null || true)
	t0=$(date +%s)
	id=$(call "$c" --data "{\"target_version\":\"$to\",\"source\":{\"dir\":\"$work/dist/$to\"}}" \
		-H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
	rec=$(wait_op "$c" "$id")
	print_steps "$rec"
	st=$(jq -r .state <<<"$rec")
	check "$from -> $to: $st in $(($(date +%s) - t0)) s: $(jq -r .result.message <<<"$rec" | cut -c1-200)" \
		[ "$st" = succeeded ]
	[ "$st" = succeeded ] || return 1
	check "$from -> $to: op.restarts == 1" [ "$(jq -r .restarts <<<"$rec")" = 1 ]
	if [ "$from:$to" = 2026.7.35:2026.9.6 ]; then
		check "$from -> $to: the state went through 8.2's doctor first" \
			[ "$(jq -r .waypoint <<<"$rec")" = 2026.8.2 ]
		check "$from -> $to: 8.2's doctor ran in the rehearsal and at the cutover" \
			[ "$(grep -c '^doctor --fix' "$c/calls.log")" -ge 2 ]
	fi
	check "$from -> $to: the gateway's own log shows exactly one boot and no reload since the stop" \
		jqe '.boots_seen == {boots: 1, reloads: 0, in_process_restarts: 0}' <<<"$rec"
	check "$from -> $to: timings recorded (doctor, copies, OpenClaw vs agent)" \
		jqe '.timings.doctor_ms > 0 and .timings.agent_ms >= 0 and .timings.openclaw_ms > 0' <<<"$rec"
	jq -c '.timings' <<<"$rec" | sed 's/^/    timings: /'
	status=$(oc "$c" models status --json 2>/dev/null | sed -n '/^{/,$p')
	check "$from -> $to: $to's own models status --json resolves exactly the planned chain" \
		jqe '(.resolvedDefault // .defaultModel) == "openai/gpt-5.5" and .fallbacks ==
		     ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]' <<<"$status"
	check "$from -> $to: the live config keeps the fallbacks in order" \
		jqe '.agents.defaults.model.fallbacks == ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]' \
		"$c/state/openclaw.json"
	check "$from -> $to: the second agent keeps its chain" \
		jqe '[(.agents.list // [])[], ((.agents.entries // {}) | to_entries[] | .value + {id: .key})]
		     | map(select(.id == "second"))[0].model.fallbacks == ["openrouter/meta-llama/llama-3.3-70b-instruct"]' \
		"$c/state/openclaw.json"
	h=$(call "$c" GET '/v1/instance/health?refresh=1')
	# The pasted keys (profile <provider>:manual) read from wherever $to
	# keeps them now, as usable static keys.
	check "$from -> $to: credentials readable: the pasted openai, anthropic, openrouter keys are static (usable)" \
		jqe '[.credentials[] | select((.profile | endswith(":manual")) and .status == "static") | .provider]
		     | sort == ["anthropic", "openai", "openrouter"]' <<<"$h"
	check "$from -> $to: the session is kept ($sess appears in the new state)" \
		grep -rqa "$sess" "$c/state/agents/main"
	check "$from -> $to: the untouched old state is kept aside" \
		[ -d "$(jq -r '.rollback.trees[0].kept' <<<"$rec")" ]
	check "$from -> $to: the drill passed" jqe '.drill.passed == true' <<<"$rec"
	check "$from -> $to: the cron job's chain from the settings was written at the switch" \
		jqe '[.cron_written[] | select(.name == "nightly") | .payload.fallbacks] ==
		     [["openrouter/meta-llama/llama-3.3-70b-instruct"]]' <<<"$rec"
	nightly=$(nightly_of "$c")
	check "$from -> $to: $to's gateway runs cron job nightly with the settings' chain ($nightly)" \
		jqe '.model == "anthropic/claude-sonnet-4-6" and
		     .fallbacks == ["openrouter/meta-llama/llama-3.3-70b-instruct"]' <<<"$nightly"
	check "$from -> $to: health holds the cron chain to the settings (no finding on it)" \
		jqe '[.findings[] | select((.surface | startswith("cron:")) and
		     (.code == "FALLBACKS_STRIPPED" or .code == "CRON_JOB_NOT_FOUND"))] == []' <<<"$h"
}

declare -A want
for p in $paths; do want[${p%%:*}]=1; want[${p##*:}]=1; done
case " $paths " in *" 2026.7.35:2026.9.6 "*) want[2026.8.2]=1 ;; esac
for v in "${!want[@]}"; do install_openclaw "$v" || exit 1; done
for p in $paths; do
	t0=$(date +%s)
	upgrade_path "${p%%:*}" "${p##*:}"
	echo "-- ${p%%:*} -> ${p##*:}: $(($(date +%s) - t0)) s"
	stop_case "$work/${p%%:*}-to-${p##*:}"
done
grep -q FAKE "$work"/*/serve.log 2>/dev/null && not_ok "a secret reached an agent log"
echo "real upgrade paths ($paths): $passed passed, $failed failed in $(($(date +%s) - suite_t0)) s"
[ "$failed" -eq 0 ]
