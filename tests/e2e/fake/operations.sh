#!/usr/bin/env bash
# Regenerate, upgrade, rollback and crash recovery through the real HTTP
# API of `clawkeeper serve`, against the fake openclaw (tests/fake-openclaw)
# that records every call, so restarts are counted by what the gateway saw,
# not by what the agent says.
#   usage: operations.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_serve || fail "serve did not start"
pass "serve started on a unix socket; it started the supervised gateway"

# --- a second agent on the same instance exits at once, naming the first;
# the first one's gateway, socket and API are untouched
gw_pid=$(cut -d' ' -f1 "$T/work/gateway.pid")
set +e; out=$(timeout 20 "$BIN" serve --config "$T/agent.json" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] || fail "a second agent: exit $rc, want 1: $out"
grep -q "another clawkeeper agent (pid $SERVE_PID) holds $T/work/agent.lock" <<<"$out" \
	|| fail "a second agent does not name the holder: $out"
[ "$(cut -d' ' -f1 "$T/work/gateway.pid")" = "$gw_pid" ] && kill -0 "$gw_pid" \
	|| fail "a second agent touched the first one's gateway (was $gw_pid)"
[ -S "$T/agent.sock" ] && call GET /v1/agent >/dev/null || fail "a second agent took the first one's socket"
pass "a second agent on the same instance exits 1 naming the first (pid $SERVE_PID); gateway $gw_pid and the API untouched"

# --- the plan route: what a regenerate would write, for the running
# release, and nothing written (not the config, not the cron store)
before=$(tree_sha); runs0=$(gateway_runs)
plan=$(call --data '{}' -H 'Content-Type: application/json' POST /v1/instance/config/plan)
[ "$(jq -r .target_version <<<"$plan")" = 2026.6.1 ] || fail "plan: target_version $(jq .target_version <<<"$plan"), want the running 2026.6.1"
jq -e '[.plan[] | select(.surface == "defaults" and .role == "fallback") | .ref] ==
	["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]' <<<"$plan" >/dev/null ||
	fail "plan: fallbacks planned $(jq -c '[.plan[] | select(.role == "fallback")]' <<<"$plan")"
jq -e '[.plan[] | select(.surface == "defaults" and .role == "primary") | {ref, to}] ==
	[{ref: "openai-codex/gpt-5.5", to: "openai/gpt-5.5"}]' <<<"$plan" >/dev/null ||
	fail "plan: primary $(jq -c '[.plan[] | select(.role == "primary")]' <<<"$plan")"
jq -e '[.diff[] | select(.path == "agents.defaults.model.fallbacks")] == [{path: "agents.defaults.model.fallbacks",
	op: "add", to: ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]}]' <<<"$plan" >/dev/null ||
	fail "plan: the diff does not add the fallbacks: $(jq -c .diff <<<"$plan" | cut -c1-300)"
jq -e '[.cron[] | .name] == ["strict"]' <<<"$plan" >/dev/null || fail "plan: cron patches $(jq -c .cron <<<"$plan")"
[ "$(tree_sha)" = "$before" ] && [ "$(gateway_runs)" = "$runs0" ] || fail "plan: it wrote or restarted something"
pass "POST /v1/instance/config/plan: for the running 6.1, the Codex primary as openai/gpt-5.5, both fallbacks, the cron patch for strict; nothing written, no restart"

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
jq -e '.agents.defaults.model.primary == "openai/gpt-5.5"' "$S/openclaw.json" >/dev/null \
	|| fail "regenerate: not the unified shape of the running 6.1: $(jq -c .agents.defaults.model "$S/openclaw.json")"
jq -e '.steps[0].message == "regenerate 2026.6.1 -> 2026.6.1"' <<<"$rec" >/dev/null \
	|| fail "regenerate: version not the release's: $(jq -c '.steps[0]' <<<"$rec")"
jq -e '.drill.passed == true' <<<"$rec" >/dev/null || fail "regenerate: operations.drill is on but $(jq -c .drill <<<"$rec")"
[ ! -e "$T/work/staging/$id" ] || fail "regenerate: staging left behind: $(find "$T/work/staging/$id" | head -3)"
cron=$(sqlite3 "$S/state/openclaw.sqlite" "SELECT payload_fallbacks_json, json_extract(job_json, '$.payload.fallbacks') FROM cron_jobs WHERE name = 'strict'")
[ "$cron" = '["anthropic/claude-sonnet-4-6"]|["anthropic/claude-sonnet-4-6"]' ] \
	|| fail "regenerate: cron job strict has $cron, want the settings' fallback in its column and job_json"
jq -e '[.cron_written[].name] == ["strict"]' <<<"$rec" >/dev/null \
	|| fail "regenerate: cron_written is $(jq -c .cron_written <<<"$rec")"
pass "regenerate: for the running release (6.1, not the config's 5.28): unified shape, exactly one restart, fallbacks back, drill ran, cron job strict given its fallback"

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

# --- a release that cannot boot fails its rehearsal: no downtime at all
before=$(tree_sha); runs0=$(gateway_runs); gw_pid=$(pgrep -f "fake-gateway.js $S/openclaw.json" | head -1)
id=$(call --data '{"target_version":"2026.10.1"}' -H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = failed ] || fail "broken release: $(jq -c '{state,result}' <<<"$rec")"
[ "$(jq -r '.steps[] | select(.name=="rehearse") | .state' <<<"$rec")" = failed ] || fail "broken release: $(jq -c .steps <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 0 ] || fail "broken release: restarts $(jq .restarts <<<"$rec")"
[ $(( $(gateway_runs) - runs0 )) = 0 ] || fail "broken release: the live gateway was started again"
[ "$(pgrep -f "fake-gateway.js $S/openclaw.json" | head -1)" = "$gw_pid" ] || fail "broken release: the live gateway was stopped"
[ "$(tree_sha)" = "$before" ] || fail "broken release: the state dir changed"
[ -z "$(ls -A "$T/work/staging" 2>/dev/null)" ] || fail "broken release: staging left behind: $(ls "$T/work/staging")"
jq -e '.result.message | test("rehearse: openclaw 2026.10.1 on a copy of the state: gateway exited")' <<<"$rec" >/dev/null ||
	fail "broken release: message $(jq .result.message <<<"$rec")"
pass "a release that cannot boot fails in rehearsal: failed, no restart, the live gateway never stopped, state byte-identical"

# --- a failure at cutover rolls back: two starts, every file byte-identical
before=$(tree_sha); runs0=$(gateway_runs)
id=$(call --data '{"target_version":"2026.10.3"}' -H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = rolled_back ] || fail "broken cutover: $(jq -c '{state,result,steps}' <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 2 ] || fail "broken cutover: restarts $(jq .restarts <<<"$rec")"
[ $(( $(gateway_runs) - runs0 )) = 2 ] || fail "broken cutover: $(( $(gateway_runs) - runs0 )) gateway starts"
[ "$(tree_sha)" = "$before" ] || fail "broken cutover: files under the state dir changed"
[ "$(readlink "$T/releases/current")" = 2026.9.6 ] || fail "broken cutover: current -> $(readlink "$T/releases/current")"
jq -e '.result.message | test("verify")' <<<"$rec" >/dev/null || fail "broken cutover: message $(jq .result.message <<<"$rec")"
aside=$(jq -r '.rollback.trees[0].aside' <<<"$rec")
[ -f "$aside/fake-doctor.log" ] || fail "broken cutover: what the new version wrote is not kept at $aside"
pass "failed verify at cutover: rolled_back, two starts in all, sha256 of every file under the state dir as before, old release current, the new version's state kept aside"
m=$(call GET /metrics)
grep -qx 'clawkeeper_operation_restarts_total{kind="upgrade"} 3' <<<"$m" || fail "metrics: $(grep restarts <<<"$m")"
grep -qx 'clawkeeper_operation_restarts_total{kind="regenerate"} 1' <<<"$m" || fail "metrics: $(grep restarts <<<"$m")"
grep -q 'clawkeeper_operations{kind="upgrade",result="rolled_back"} 1' <<<"$m" || fail "metrics: $(grep operations <<<"$m")"
pass "/metrics counts the restarts (upgrade 1+2, regenerate 1) and the rolled-back upgrade"

# --- release sources: a tarball URL checked against its SHA-256, and the
# install command template
mkdir -p "$T/tarball/bin" "$T/www"
printf '#!/bin/sh\nFAKE_OPENCLAW_VERSION=2026.11.1 exec %s "$@"\n' "$FAKE" >"$T/tarball/bin/openclaw"
chmod 755 "$T/tarball/bin/openclaw"
tar -czf "$T/www/r.tar.gz" -C "$T/tarball" bin
node "$SRC/tests/e2e/fake/http-server.js" "$T/www" >"$T/www.port" &
WWW=$!   # cleanup stops it
for _ in $(seq 1 50); do [ -s "$T/www.port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$T/www.port")/file/r.tar.gz
before=$(sha)
id=$(call --data "{\"target_version\":\"2026.11.1\",\"source\":{\"url\":\"$URL\",\"sha256\":\"$(printf 'a%.0s' $(seq 64))\"}}" \
	-H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = failed ] || fail "bad tarball checksum: $(jq -c '{state,result}' <<<"$rec")"
jq -e '.result.message | test("SHA-256 mismatch")' <<<"$rec" >/dev/null || fail "bad checksum message: $(jq .result.message <<<"$rec")"
[ ! -e "$T/releases/2026.11.1" ] && [ "$(sha)" = "$before" ] || fail "bad checksum: something was staged or changed"
pass "release tarball with a wrong SHA-256: failed at stage, nothing unpacked, instance unchanged"
id=$(call --data "{\"target_version\":\"2026.11.1\",\"source\":{\"url\":\"$URL\",\"sha256\":\"$(sha256sum "$T/www/r.tar.gz" | cut -d' ' -f1)\"}}" \
	-H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "tarball upgrade: $(jq -c '{state,result}' <<<"$rec")"
[ "$(readlink "$T/releases/current")" = 2026.11.1 ] || fail "tarball upgrade: current -> $(readlink "$T/releases/current")"
pass "release from a checksummed tarball URL: upgraded to 2026.11.1"
id=$(call --data '{"target_version":"2026.11.2"}' -H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "install-template upgrade: $(jq -c '{state,result}' <<<"$rec")"
grep -qx 2026.11.2 "$T/installs.log" || fail "the install command did not run for 2026.11.2"
[ "$(readlink "$T/releases/current")" = 2026.11.2 ] || fail "install upgrade: current -> $(readlink "$T/releases/current")"
pass "release from the install command template: upgraded to 2026.11.2"

# crashed_upgrade STEP BODY: an agent that dies at STEP's hook runs the
# upgrade BODY; prints the operation id once that agent is gone.
crashed_upgrade() {
	local pid id
	CK_TEST_CRASH_AT=$1 start_serve || fail "$1: serve did not start"
	pid=$SERVE_PID
	id=$(call --data "$2" -H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
	await_hook_death "$pid" "$1: the agent"
	SERVE_PID=""
	echo "$id"
}

# --- crash at every step boundary: the next agent settles the operation
# Each step's outcome is pinned (docs/api.md): before "stop" nothing live
# was touched (failed), from "stop" on a rollback (an unfinished drill has
# not proved failover).
for step in preflight snapshot stage rehearse stop set_aside migrate generate validate locks switch start verify drill; do
	case $step in
	preflight | snapshot | stage | rehearse) want=failed ;;
	*) want=rolled_back ;;
	esac
	stop_serve
	cur=$(readlink "$T/releases/current")
	target=2026.10.2; [ "$cur" = 2026.10.2 ] && target=2026.9.6
	old_sha=$(sha)
	id=$(crashed_upgrade "$step" "{\"target_version\":\"$target\",\"allow_downgrade\":true}")
	start_serve || fail "$step: the agent did not come back"
	rec=$(wait_op "$id")
	state=$(jq -r .state <<<"$rec"); now=$(readlink "$T/releases/current")
	[ "$state" = "$want" ] || fail "$step: state $state, expected $want: $(jq -c .result <<<"$rec")"
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

# --- killed inside the rollback, then again inside the recovery that
# redoes it (the same hook on the next agent): every rollback step can run
# again from the start; a third agent settles it rolled_back, with the
# release and every file under the state dir as before
for step in rollback_restore rollback_start rollback_verify; do
	stop_serve
	cur=$(readlink "$T/releases/current"); old_tree=$(tree_sha)
	id=$(crashed_upgrade "$step" '{"target_version":"2026.10.3","allow_downgrade":true}')
	CK_TEST_CRASH_AT=$step "$BIN" serve --config "$T/agent.json" >>"$T/serve.log" 2>&1 &
	await_hook_death $! "$step: the recovering agent"
	grep -q "operation $id was running when the agent stopped" "$T/serve.log" \
		|| fail "$step: the second agent did not start recovering $id"
	start_serve || fail "$step: the third agent did not come back"
	rec=$(wait_op "$id")
	[ "$(jq -r .state <<<"$rec")" = rolled_back ] || fail "$step twice: $(jq -c '{state,result}' <<<"$rec")"
	[ "$(readlink "$T/releases/current")" = "$cur" ] || fail "$step twice: current -> $(readlink "$T/releases/current"), was $cur"
	[ "$(tree_sha)" = "$old_tree" ] || fail "$step twice: files under the state dir changed"
	pass "killed at '$step' of a rollback and again at '$step' of the recovery redoing it: the third agent settled it rolled_back; release $cur, every file as before"
done
id=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "after the rollback kills, regenerate: $(jq -c '{state,result}' <<<"$rec")"
pass "after the kills inside rollback and recovery, the next operation is accepted and succeeds"
stop_serve
[ ! -e "$T/work/gateway.pid" ] || fail "a clean stop left work/gateway.pid"
# --- SIGTERM during an operation: the agent stops within its grace
# (operations.stop_grace_ms 2000), not after the operation; the next agent
# settles it from the journal
start_serve || fail "sigterm: serve did not start"
before=$(sha)
touch "$S/fake-not-ready"   # verify would wait the whole ready timeout (15 s)
id=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
for _ in $(seq 1 200); do
	[ "$(call GET "/v1/operations/$id" | jq -r '.steps[] | select(.name=="verify") | .state')" = running ] && break
	sleep 0.05
done
t0=$(date +%s%N); kill -TERM "$SERVE_PID"; set +e; wait "$SERVE_PID"; rc=$?; set -e; SERVE_PID=""
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 6000 ] || fail "sigterm during verify: the agent took $ms ms to stop"
[ "$rc" = 0 ] || fail "sigterm during verify: the agent exited $rc (a clean stop is 0)"
grep -q "operation $id still runs after 2000 ms; stopping anyway" "$T/serve.log" || fail "sigterm: not said in the log"
[ "$(jq -r '.state' "$T/journal/$id.json")" = running ] || fail "sigterm: record $(jq -c '{state}' "$T/journal/$id.json")"
rm -f "$S/fake-not-ready"
start_serve || fail "sigterm: serve did not come back"
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = rolled_back ] && [ "$(sha)" = "$before" ] \
	|| fail "sigterm: the next agent settled it as $(jq -c '{state,result}' <<<"$rec")"
pass "SIGTERM during verify: the agent stopped in $ms ms (grace 2000 ms), not after the operation; the next agent rolled it back, files as before"
stop_serve
# --- temp files of interrupted atomic writes go at the next start (ours
# only: <file>.ck-tmp-<12 hex>, a minute old); a fresh one and other names stay
printf '{"secret": 1}' >"$S/openclaw.json.ck-tmp-0123456789ab"; touch -d '-2 min' "$S/openclaw.json.ck-tmp-0123456789ab"
printf x >"$T/journal/op-x.json.ck-tmp-ba9876543210"; touch -d '-2 min' "$T/journal/op-x.json.ck-tmp-ba9876543210"
printf x >"$S/fresh.ck-tmp-aaaaaaaaaaaa"
printf x >"$S/notes.ck-tmp-keep"; touch -d '-2 min' "$S/notes.ck-tmp-keep"
# --- a stale gateway.pid names another process now: it is left alone
setsid sleep 300 &
other=$!
printf '%s 1\n' "$other" >"$T/work/gateway.pid"
start_serve || fail "serve did not start over a stale gateway.pid"
kill -0 "$other" 2>/dev/null || fail "the agent killed process group $other, which a stale gateway.pid named"
kill "$other" 2>/dev/null
[ ! -e "$S/openclaw.json.ck-tmp-0123456789ab" ] && [ ! -e "$T/journal/op-x.json.ck-tmp-ba9876543210" ] \
	|| fail "temp files of interrupted writes were left: $(ls "$S" "$T/journal" | grep ck-tmp)"
[ -e "$S/fresh.ck-tmp-aaaaaaaaaaaa" ] && [ -e "$S/notes.ck-tmp-keep" ] || fail "the sweep removed a file that was not its own old temp file"
rm -f "$S/fresh.ck-tmp-aaaaaaaaaaaa" "$S/notes.ck-tmp-keep"
pass "start: old temp files of interrupted writes removed (beside openclaw.json, in the journal); fresh ones and other names kept"
pass "a stale gateway.pid (same number, another start time) kills nothing; a clean stop removes the file"

# --- the gateway outlives the agent: a killed agent's gateway is adopted
# by the next one (same pid and start time), not restarted
gw=$(cut -d' ' -f1 "$T/work/gateway.pid"); gw_start=$(cut -d' ' -f2 "$T/work/gateway.pid"); runs0=$(gateway_runs)
kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""
start_serve || fail "adopt: serve did not start"
[ "$(cat "$T/work/gateway.pid")" = "$gw $gw_start" ] && kill -0 "$gw" || fail "adopt: gateway.pid now $(cat "$T/work/gateway.pid"), was $gw $gw_start"
[ "$(gateway_runs)" = "$runs0" ] || fail "adopt: the gateway was started again"
grep -q "adopted the gateway an earlier agent started (pid $gw)" "$T/serve.log" || fail "adopt: not said in the log"
[ "$(call GET '/v1/instance/health?refresh=1' | jq -r .gateway.state)" = up ] || fail "adopt: the watch does not see it up"
id=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] && [ "$(jq -r .restarts <<<"$rec")" = 1 ] \
	|| fail "adopt: regenerate over an adopted gateway: $(jq -c '{state,restarts,result}' <<<"$rec")"
! kill -0 "$gw" 2>/dev/null || fail "adopt: the operation's restart left the adopted gateway $gw running"
pass "an agent killed while its gateway serves: the next agent adopts it (pid $gw, same start time, no new boot); a regenerate then restarts it once"
# gateway.keep_running: a clean stop leaves the gateway serving for the next agent
jq '.gateway.keep_running = true' "$T/agent.json" >"$T/agent.json.new" && cat "$T/agent.json.new" >"$T/agent.json" && rm "$T/agent.json.new"
stop_serve; start_serve || fail "keep_running: serve did not start"
gw=$(cut -d' ' -f1 "$T/work/gateway.pid"); runs0=$(gateway_runs)
stop_serve
kill -0 "$gw" && [ "$(cut -d' ' -f1 "$T/work/gateway.pid")" = "$gw" ] || fail "keep_running: a clean stop ended the gateway $gw"
start_serve || fail "keep_running: serve did not come back"
[ "$(cut -d' ' -f1 "$T/work/gateway.pid")" = "$gw" ] && [ "$(gateway_runs)" = "$runs0" ] || fail "keep_running: the next agent did not adopt $gw"
jq '.gateway.keep_running = false' "$T/agent.json" >"$T/agent.json.new" && cat "$T/agent.json.new" >"$T/agent.json" && rm "$T/agent.json.new"
pass "gateway.keep_running: SIGTERM to the agent leaves gateway $gw serving and the next agent adopts it: an agent restart is no downtime"

# --- the watch: a gateway killed while idle is started again, with the
# health report and /metrics saying what happened
health() { call GET '/v1/instance/health?refresh=1'; }
old_gw=$(cut -d' ' -f1 "$T/work/gateway.pid")
kill -KILL -- -"$old_gw"
new_gw=""
for _ in $(seq 1 100); do
	new_gw=$(cut -d' ' -f1 "$T/work/gateway.pid" 2>/dev/null || true)
	[ -n "$new_gw" ] && [ "$new_gw" != "$old_gw" ] && kill -0 "$new_gw" 2>/dev/null && break
	sleep 0.1
done
[ -n "$new_gw" ] && [ "$new_gw" != "$old_gw" ] || fail "watch: the killed gateway ($old_gw) was not started again"
for _ in $(seq 1 50); do [ "$(health | jq -r .gateway.state)" = up ] && break; sleep 0.2; done
h=$(health)
jq -e '.gateway.state == "up" and .gateway.restarts.exited == 1 and .gateway.pid == '"$new_gw"' and
	([.findings[] | select(.code | startswith("GATEWAY_"))] | length) == 0' <<<"$h" >/dev/null \
	|| fail "watch: health after the restart: $(jq -c .gateway <<<"$h")"
m=$(call GET /metrics)
grep -qx 'clawkeeper_gateway_up 1' <<<"$m" && grep -qx 'clawkeeper_gateway_restarts_total{reason="exited"} 1' <<<"$m" \
	|| fail "watch: metrics: $(grep gateway_ <<<"$m")"
pass "watch: a gateway killed while idle ($old_gw) was started again ($new_gw); health up, restarts{exited} 1 in /metrics"

# --- a gateway that keeps exiting: growing delays, then the start limit
# (burst 3 in 60 s), reported and not started again until an operation
touch "$S/fake-gateway-fail"
runs0=$(gateway_runs); log0=$(wc -l <"$T/serve.log")
kill -KILL -- -"$new_gw"
for _ in $(seq 1 150); do [ "$(health | jq -r .gateway.state)" = crash_loop ] && break; sleep 0.2; done
h=$(health)
jq -e '.gateway.state == "crash_loop" and .status == "critical" and
	([.findings[] | select(.code == "GATEWAY_CRASH_LOOP" and .severity == "critical")] | length) == 1' <<<"$h" >/dev/null \
	|| fail "watch: crash loop not reported: $(jq -c '{status, gateway, f: [.findings[].code]}' <<<"$h")"
starts=$(( $(gateway_runs) - runs0 ))
sleep 3
[ $(( $(gateway_runs) - runs0 )) = "$starts" ] || fail "watch: started beyond the limit ($starts, then $(( $(gateway_runs) - runs0 )))"
# The start limit counts every start the watch made in the window: the one
# after the first kill and two now make burst 3. The first kill's exit is
# still one in a row (no run lasted a whole window), so delays go on from
# 300 ms: 600, 1200, then the cap (1200).
[ "$starts" = 2 ] && [ "$(jq .gateway.restarts.exited <<<"$h")" = 3 ] \
	|| fail "watch: $starts starts after the kill, restarts $(jq .gateway.restarts <<<"$h"); want 2 and 3"
delays=$(tail -n +"$((log0 + 1))" "$T/serve.log" | grep -o 'starting it in [0-9]* ms' | awk '{print $4}' | xargs)
[ "$delays" = "600 1200 1200" ] || fail "watch: delays $delays, want 600 1200 1200"
# Into a variable first: under pipefail, grep -q leaving early would make
# curl's next write fail and the pipeline with it.
m=$(call GET /metrics)
grep -qx 'clawkeeper_gateway_crash_loop 1' <<<"$m" || fail "watch: crash loop not in /metrics: $(grep gateway_ <<<"$m")"
pass "watch: a gateway that keeps exiting was started $starts more times with growing delays ($delays ms), then reported as GATEWAY_CRASH_LOOP (critical) and left alone"
rm -f "$S/fake-gateway-fail"
id=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "after a crash loop, regenerate: $(jq -c '{state,result}' <<<"$rec")"
for _ in $(seq 1 50); do [ "$(health | jq -r .gateway.state)" = up ] && break; sleep 0.2; done
[ "$(health | jq -r .gateway.state)" = up ] || fail "after a crash loop, regenerate did not reset the watch: $(health | jq -c .gateway)"
pass "watch: an operation (regenerate) starts the gateway again and resets the start limit"

# --- a gateway that stops answering /readyz (SIGSTOP: its port still
# takes connections, nothing answers) is stopped and started again once
# gateway.watch.unready_ms (4 s) has passed without a 200; from half of
# it on, health says GATEWAY_UNREADY
hung=$(cut -d' ' -f1 "$T/work/gateway.pid")
t0=$(date +%s%N)
kill -STOP "$hung"
seen=""
for _ in $(seq 1 100); do
	h=$(health)
	seen=$(jq -r '.findings[] | select(.code == "GATEWAY_UNREADY" and .severity == "warning") | .message' <<<"$h")
	[ -n "$seen" ] || [ "$(jq -r .gateway.restarts.unready <<<"$h")" = 1 ] && break
	sleep 0.1
done
[ -n "$seen" ] || fail "watch: no GATEWAY_UNREADY while $hung did not answer: $(jq -c '{gateway, f: [.findings[].code]}' <<<"$h")"
for _ in $(seq 1 150); do
	h=$(health)
	[ "$(jq -r .gateway.restarts.unready <<<"$h")" = 1 ] && [ "$(jq -r .gateway.state <<<"$h")" = up ] && break
	sleep 0.2
done
took=$(( ($(date +%s%N) - t0) / 1000000 ))
new_gw=$(cut -d' ' -f1 "$T/work/gateway.pid")
jq -e '.gateway.restarts.unready == 1 and .gateway.state == "up"' <<<"$h" >/dev/null \
	|| fail "watch: a hung gateway was not started again: $(jq -c .gateway <<<"$h")"
[ "$new_gw" != "$hung" ] && ! kill -0 "$hung" 2>/dev/null \
	|| fail "watch: hung gateway $hung still there (now $new_gw)"
[ "$took" -ge 4000 ] || fail "watch: restarted after $took ms, before unready_ms (4000)"
grep -q "has not answered /readyz with 200 for" "$T/serve.log" || fail "watch: the log does not say why it stopped $hung"
m=$(call GET /metrics)
grep -qx 'clawkeeper_gateway_restarts_total{reason="unready"} 1' <<<"$m" \
	|| fail "watch: unready restart not in /metrics: $(grep gateway_ <<<"$m")"
pass "watch: a gateway that stopped answering /readyz ($hung, SIGSTOP) was reported ($seen), stopped and started again ($new_gw) after $took ms; restarts{unready} 1 in /metrics"

# --- a gateway that dies right after its first good /readyz fails the
# verify (operations.settle_ms), not a succeeded operation with no gateway
before=$(sha)
echo 300 >"$S/fake-die-after-ready-ms"
id=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = rolled_back ] || fail "dies after ready: $(jq -c '{state,result,steps}' <<<"$rec")"
jq -e '.steps[] | select(.name == "verify") | .state == "failed" and (.message | test("ready, then exited \\(status 1\\) within 1000 ms"))' <<<"$rec" >/dev/null \
	|| fail "dies after ready: verify $(jq -c '.steps[] | select(.name == "verify")' <<<"$rec")"
[ "$(sha)" = "$before" ] || fail "dies after ready: the files were not restored"
kill -0 "$(cut -d' ' -f1 "$T/work/gateway.pid")" || fail "dies after ready: no gateway after the rollback"
pass "a gateway that exits 300 ms after its first good /readyz fails verify (settle 1000 ms): rolled back, files restored, the old one runs"

# --- a crash loop soon after a cutover (gateway.watch.rollback_window_ms,
# default 10 min) rolls that operation back, once: the release and every
# file as before it, the old gateway running
cur=$(readlink "$T/releases/current"); before=$(tree_sha)
id=$(call --data '{"target_version":"2026.10.4","allow_downgrade":true,"drill":false}' \
	-H 'Content-Type: application/json' POST /v1/upgrades | jq -r .id)
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "crash loop after cutover: the upgrade itself: $(jq -c '{state,result}' <<<"$rec")"
for _ in $(seq 1 400); do
	rec=$(call GET "/v1/operations/$id")
	[ "$(jq -r .state <<<"$rec")" = rolled_back ] && break
	sleep 0.2
done
jq -e '.state == "rolled_back" and (.auto_rollback | test("crash-looped after this operation")) and
	([.steps[] | select(.name | startswith("rollback_")) | .state] == ["done", "done", "done"])' <<<"$rec" >/dev/null \
	|| fail "crash loop after cutover: not rolled back: $(jq -c '{state, auto_rollback, result, steps: [.steps[] | {name, state}]}' <<<"$rec")"
[ "$(readlink "$T/releases/current")" = "$cur" ] || fail "crash loop after cutover: current -> $(readlink "$T/releases/current"), was $cur"
[ "$(tree_sha)" = "$before" ] || fail "crash loop after cutover: files under the state dir differ from before the upgrade"
for _ in $(seq 1 50); do [ "$(health | jq -r .gateway.state)" = up ] && break; sleep 0.2; done
[ "$(health | jq -r .gateway.state)" = up ] || fail "crash loop after cutover: no gateway after the rollback: $(health | jq -c .gateway)"
grep -q "rolled it back, the gateway runs the state from before it" "$T/serve.log" || fail "crash loop after cutover: the log does not say it"
pass "a gateway crash-looping right after a cutover (2026.10.4): the watch rolled that upgrade back once; release $cur, every file as before, the old gateway up"
stop_serve

# --- a journal that cannot be written (a full disk; the test build's hook
# refuses journal writes while $T/journal-full exists): the operation stops
# there, its end is kept and written later, and nothing new starts until
# then; a restart afterwards does not roll it back over newer work
# The status a new regenerate gets, asked until it is 503 (30 s at most).
status_until_503() {
	local code=""
	for _ in $(seq 1 300); do
		code=$(status_of POST /v1/regenerate '{}')
		[ "$code" = 503 ] && break
		sleep 0.1
	done
	echo "$code"
}
export CK_TEST_JOURNAL_FAIL_FILE=$T/journal-full
start_serve || fail "serve with the journal hook did not start"
id=$(call --data '{}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
for _ in $(seq 1 300); do
	st=$(call GET "/v1/operations/$id" | jq -r '[.steps[] | select(.name=="verify" or .name=="drill") | .state] | join(",")')
	case "$st" in running,*|done,running) break ;; esac
	sleep 0.05
done
touch "$T/journal-full"
code=$(status_until_503)
[ "$code" = 503 ] || fail "journal full: a new operation got $code, want 503"
msg=$(call --data '{}' -H 'Content-Type: application/json' POST /v1/regenerate 2>&1 || true)
grep -q "operation $id ended failed but the journal ($T/journal) cannot record it" <<<"$msg" \
	|| fail "journal full: the 503 does not say which operation waits: $msg"
[ "$(jq -r .state "$T/journal/$id.json")" = running ] || fail "journal full: the record was written after all"
rm -f "$T/journal-full"
id2=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
[ -n "$id2" ] && [ "$id2" != null ] || fail "journal writable again: no new operation"
rec=$(jq . "$T/journal/$id.json")
jq -e '.state == "failed" and (.result.rollback_error | test("cannot record"))' <<<"$rec" >/dev/null \
	|| fail "journal writable again: the parked end was not written first: $(jq -c '{state,result}' <<<"$rec")"
rec2=$(wait_op "$id2")
[ "$(jq -r .state <<<"$rec2")" = succeeded ] || fail "after the journal came back: $(jq -c '{state,result}' <<<"$rec2")"
after=$(sha)
stop_serve; start_serve || fail "serve did not restart"
[ "$(sha)" = "$after" ] && [ "$(call GET "/v1/operations/$id" | jq -r .state)" = failed ] \
	|| fail "journal: a restart rolled back over the newer work"
pass "journal full during verify: $id stopped (rollback could not be recorded), new operations 503 until its end was written; then $id2 succeeded and a restart rolled nothing back"

# --- the journal disk fills up as each step of a regenerate starts: the
# operation stops there and its end waits; new operations get 503 until
# the disk is free; then the end is written first (failed or rolled back,
# never running), before the live instance changed the files are as they
# were, the next operation succeeds and a restart changes nothing
stop_serve
for step in preflight snapshot generate validate stop locks switch start verify drill; do
	rm -f "$T/journal-full"
	before=$(sha)
	CK_TEST_JOURNAL_FAIL_AT=$step start_serve || fail "journal full at $step: serve did not start"
	id=$(call --data '{}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
	code=$(status_until_503)
	[ "$code" = 503 ] || fail "journal full at $step: a new operation got $code, want 503"
	[ -e "$T/journal-full" ] || fail "journal full at $step: the hook did not fire"
	case $step in preflight | snapshot | generate | validate)
		[ "$(sha)" = "$before" ] || fail "journal full at $step: the live files changed before the stop" ;;
	esac
	rm -f "$T/journal-full"
	id2=$(call --data '{"drill":false}' -H 'Content-Type: application/json' POST /v1/regenerate | jq -r .id)
	st=$(jq -r .state "$T/journal/$id.json")
	case "$st" in failed | rolled_back) ;; *) fail "journal full at $step: its end on disk is $st" ;; esac
	rec2=$(wait_op "$id2")
	[ "$(jq -r .state <<<"$rec2")" = succeeded ] || fail "journal full at $step, then: $(jq -c '{state,result}' <<<"$rec2")"
	after=$(sha)
	stop_serve; start_serve || fail "journal full at $step: serve did not restart"
	[ "$(sha)" = "$after" ] && [ "$(call GET "/v1/operations/$id" | jq -r .state)" = "$st" ] \
		|| fail "journal full at $step: a restart changed the files or the record"
	stop_serve
	pass "journal full as '$step' starts: $id stopped ($st), 503 until the disk was free, its end written first; $id2 succeeded, a restart changed nothing"
done
start_serve || fail "serve did not start after the journal tests"

# --- an unreadable journal record blocks new operations, naming the file
printf '{"id": "op-broken", "sta' >"$T/journal/op-broken.json"
msg=$(call --data '{}' -H 'Content-Type: application/json' POST /v1/regenerate 2>&1 || true)
grep -q "journal record unreadable: $T/journal/op-broken.json" <<<"$msg" || fail "unreadable record: $msg"
[ "$(status_of POST /v1/regenerate '{}')" = 503 ] || fail "unreadable record: not 503"
rm "$T/journal/op-broken.json"
[ "$(status_of POST /v1/regenerate '{"drill":false}')" = 202 ] || fail "record removed: still refused"
wait_op "$(call GET /v1/operations | jq -r '.operations[0].id')" >/dev/null
pass "an unreadable journal record: operations 503 naming the file until it is moved away"
unset CK_TEST_JOURNAL_FAIL_FILE
stop_serve
grep -q FAKE "$T/serve.log" && fail "a secret reached the agent log"
echo "operations: all assertions passed"
