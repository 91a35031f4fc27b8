#!/usr/bin/env bash
# Every route has its command: the CLI beside a serving agent (supervise
# driver, fake openclaw) gives what the API gives, byte for byte in JSON,
# and its regenerate/upgrade/import ask that agent (signed with the
# config's HMAC key), show each step as it happens and exit with the
# operation's outcome.
#   usage: cli.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# an HMAC key for the CLI to sign with (the operate token stays for call)
"$BIN" keygen "$T/cli.key" >/dev/null
jq --arg f "$T/cli.key" '.hmac_keys = [{id: "cli", file: $f}]' "$T/agent.json" >"$T/agent.json.new"
mv "$T/agent.json.new" "$T/agent.json"; chmod 600 "$T/agent.json"
# the settings hold a provider key: it must never be printed
SECRET=sk-FAKE-cli-settings-secret-$RANDOM$RANDOM
jq --arg k "$SECRET" '.providers = {stubby: {baseUrl: "http://127.0.0.1:9/v1", apiKey: $k,
	api: "openai-completions", models: [{id: "m1", name: "m1"}]}}' "$T/settings.json" >"$T/s.new"
mv "$T/s.new" "$T/settings.json"; chmod 600 "$T/settings.json"
start_serve || fail "serve did not start"
ck() { "$BIN" "$@"; }
same_json() { # what A B
	[ "$(jq -S . <<<"$2")" = "$(jq -S . <<<"$3")" ] || {
		diff <(jq -S . <<<"$2") <(jq -S . <<<"$3") | head -20; fail "$1: the CLI and the API differ"; }
}
no_secret() { ! grep -qF "$SECRET" <<<"$2" || fail "$1: the provider key was printed"; }

# --- config show = GET /v1/instance/config
cli=$(ck config show --config "$T/agent.json"); api=$(call GET /v1/instance/config)
same_json "config show" "$cli" "$api"
[ "$(jq -r .path <<<"$cli")" = "$S/openclaw.json" ] || fail "config show: path $(jq .path <<<"$cli")"
jq -e '.config.agents.defaults.model == {primary: "openai/gpt-5.5"}' <<<"$cli" >/dev/null ||
	fail "config show: the live chain is $(jq -c .config.agents.defaults.model <<<"$cli")"
pass "config show: the live config as GET /v1/instance/config gives it (path, version $(jq -r .version <<<"$cli"))"

# --- agent = GET /v1/agent; metrics = GET /metrics (asked of the serving agent)
cli=$(ck agent --config "$T/agent.json"); api=$(call GET /v1/agent)
same_json "agent" "$(jq 'del(.uptime_s)' <<<"$cli")" "$(jq 'del(.uptime_s)' <<<"$api")"
jq -e '.name == "clawkeeper" and (.uptime_s | type) == "number"' <<<"$cli" >/dev/null || fail "agent: $cli"
names() { grep -v '^#' | sed 's/[{ ].*//' | sort -u; }
[ "$(ck metrics --config "$T/agent.json" | names)" = "$(call GET /metrics | names)" ] ||
	fail "metrics: the CLI's series differ from the API's"
[ "$(ck metrics --config "$T/agent.json" | names | wc -l)" -ge 10 ] || fail "metrics: $(ck metrics --config "$T/agent.json" | head -5)"
pass "agent and metrics: the serving agent's GET /v1/agent and /metrics ($(ck metrics --config "$T/agent.json" | names | wc -l) series, signed with key cli)"

# --- plan = POST /v1/instance/config/plan (one agent function, ck_plan)
cli=$(ck plan --agent-config "$T/agent.json" --json)
api=$(call --data '{}' POST /v1/instance/config/plan)
same_json "plan" "$cli" "$api"
jq -e '.target_version == "2026.6.1" and .version_source == "openclaw --version" and .shape == "unified"' <<<"$cli" >/dev/null ||
	fail "plan: for $(jq -c '{target_version, version_source, shape}' <<<"$cli"), want the running 6.1"
no_secret "plan" "$cli"
human=$(ck plan --agent-config "$T/agent.json")
grep -q "^Target:  OpenClaw 2026.6.1 (unified provider shape), from openclaw --version" <<<"$human" || fail "plan: $human"
no_secret "plan (text)" "$human"
pass "plan --agent-config: the plan route's document (6.1 from the release, unified shape), and as text"

# --- settings get = GET /v1/instance/settings, the ETag too; secrets fingerprinted
cli=$(ck settings get --config "$T/agent.json" 2>"$T/etag.err")
etag=$(sed -n 's/^etag: //p' "$T/etag.err")
api=$(call --include GET /v1/instance/settings 2>"$T/hdr")
api_etag=$(tr -d '\r' <"$T/hdr" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
same_json "settings get" "$cli" "$api"
[ -n "$etag" ] && [ "$etag" = "$api_etag" ] || fail "settings get: etag '$etag', the API's '$api_etag'"
[ "$etag" = "\"$(sha256sum <"$T/settings.json" | cut -d' ' -f1)\"" ] || fail "settings get: the etag is not the stored bytes' SHA-256"
no_secret "settings get" "$cli$(cat "$T/etag.err")"
fp=$(jq -r .providers.stubby.apiKey <<<"$cli")
[ "$fp" != "$SECRET" ] && [ -n "$fp" ] && [ "$fp" != null ] || fail "settings get: apiKey shown as '$fp'"
pass "settings get: as the API gives them, ETag $etag (the stored bytes' SHA-256), the key shown as $fp"

# --- settings put: compare-and-set; a GET-modify-PUT keeps the secret
jq '.fallbacks = ["anthropic/claude-sonnet-4-6"]' <<<"$cli" >"$T/edited.json"
set +e
out=$(ck settings put --config "$T/agent.json" "$T/edited.json" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "send If-Match" <<<"$out" || fail "settings put without --if-match: exit $rc: $out"
set +e
out=$(ck settings put --config "$T/agent.json" --if-match '"0000"' "$T/edited.json" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "If-Match does not match" <<<"$out" || fail "settings put with a stale ETag: exit $rc: $out"
jq -e '.fallbacks | length == 2' "$T/settings.json" >/dev/null || fail "a refused put changed the settings"
out=$(ck settings put --config "$T/agent.json" --if-match "$etag" "$T/edited.json" 2>"$T/put.err")
no_secret "settings put" "$out$(cat "$T/put.err")"
jq -e '.fallbacks == ["anthropic/claude-sonnet-4-6"]' "$T/settings.json" >/dev/null || fail "settings put: stored $(jq -c .fallbacks "$T/settings.json")"
[ "$(jq -r .providers.stubby.apiKey "$T/settings.json")" = "$SECRET" ] || fail "settings put: the fingerprint replaced the stored key"
new_etag=$(sed -n 's/^etag: //p' "$T/put.err")
[ "$new_etag" = "$(call --include GET /v1/instance/settings 2>&1 >/dev/null | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')" ] ||
	fail "settings put: printed etag $new_etag is not the one the API now gives"
set +e
out=$(ck settings put --config "$T/agent.json" --if-match "$etag" "$T/edited.json" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] || fail "settings put with the ETag it replaced: exit $rc, want 1"
printf '{"primary": "openai-codex/gpt-5.5", "fallbacks": [42]}' >"$T/bad.json"
set +e
out=$(ck settings put --config "$T/agent.json" --if-match '*' "$T/bad.json" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "fallbacks\[0\]" <<<"$out" || fail "settings put of invalid settings: exit $rc: $out"
pass "settings put: refused without If-Match and with a stale ETag (exit 1); with the ETag stored, the stored key kept behind its fingerprint; invalid settings name fallbacks[0]"
# back to the two fallbacks the rest expects
jq '.fallbacks = ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]' "$T/edited.json" >"$T/two.json"
ck settings put --config "$T/agent.json" --if-match '*' "$T/two.json" >/dev/null 2>&1 || fail "settings put back"

# --- regenerate through the serving agent: steps shown as they happen
runs0=$(gateway_runs)
out=$(ck regenerate --config "$T/agent.json" --idempotency-key cli-regen-1); rc=$?
[ "$rc" = 0 ] || fail "regenerate: exit $rc: $out"
id=$(sed -n 's/^operation \(op-[^ ]*\) (regenerate) started by the serving agent.*/\1/p' <<<"$out")
[ -n "$id" ] || fail "regenerate: no start line: $out"
# every step of the record, in its order, shown done with its own time;
# verify (ready, then settle_ms of 1 s) is seen running first
want=$(call GET "/v1/operations/$id" | jq -r '.steps[] | "\(.name) \(.state)"')
shown=$(sed -n 's/^\[ *[0-9.]*s\] \([a-z_]*\) *\(done\|failed\|skipped\) *[0-9.]*s.*/\1 \2/p' <<<"$out")
[ "$shown" = "$want" ] || fail "regenerate: steps shown ($(tr '\n' ' ' <<<"$shown")), the record's ($(tr '\n' ' ' <<<"$want")): $out"
grep -qE "^\[ *[0-9.]+s\] verify +running" <<<"$out" || fail "regenerate: verify was not shown running: $out"
[ "$(grep -c '^\[' <<<"$out")" -le $(( $(wc -l <<<"$want") * 2 )) ] || fail "regenerate: a step was shown twice in one state: $out"
grep -q "^operation $id (regenerate): succeeded, 1 restart(s)" <<<"$out" || fail "regenerate: outcome line: $out"
[ $(( $(gateway_runs) - runs0 )) = 1 ] || fail "regenerate: the gateway started $(( $(gateway_runs) - runs0 )) times"
jq -e '.agents.defaults.model.fallbacks | length == 2' "$S/openclaw.json" >/dev/null || fail "regenerate: chain $(jq -c .agents.defaults.model "$S/openclaw.json")"
pass "regenerate: asked of the serving agent ($id), its $(wc -l <<<"$want") steps shown in order with their times (verify also while running), exit 0, one restart"

# --- operations show/list = GET /v1/operations[/{id}]
same_json "operations show" "$(ck operations show --config "$T/agent.json" --json "$id")" "$(call GET "/v1/operations/$id")"
same_json "operations list" "$(ck operations list --config "$T/agent.json" --json)" "$(call GET /v1/operations)"
shown=$(ck operations show --config "$T/agent.json" "$id")
grep -q "^operation $id (regenerate): succeeded, 1 restart(s)" <<<"$shown" &&
	[ "$(grep -cE '^  [a-z_]+ +(done|skipped) ' <<<"$shown")" = "$(call GET "/v1/operations/$id" | jq '.steps | length')" ] ||
	fail "operations show (text): $shown"
table=$(ck operations list --config "$T/agent.json")
grep -qE "^$id +regenerate +succeeded " <<<"$table" || fail "operations list: no row for $id: $table"
set +e
out=$(ck operations show --config "$T/agent.json" op-20260101T000000Z-00000000 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "no operation op-20260101T000000Z-00000000" <<<"$out" || fail "operations show of an unknown id: exit $rc: $out"
pass "operations show/list: the API's records; an unknown id exits 1 naming it"

# --- an upgrade refused by its rehearsal (failed), and one whose cutover
# fails on the live state (rolled_back): exit 1 each, the step shown
upgrade_fails() { # version want-state failed-step
	local out rc
	set +e
	out=$(ck upgrade --config "$T/agent.json" --to "$1"); rc=$?
	set -e
	[ "$rc" = 1 ] || fail "upgrade to $1: exit $rc: $out"
	grep -qE "^operation op-[^ ]+ \(upgrade\): $2, " <<<"$out" || fail "upgrade to $1: outcome $out"
	grep -qE "^\[ *[0-9.]+s\] $3 +failed" <<<"$out" || fail "upgrade to $1: step $3 not shown failed: $out"
	[ "$(readlink "$T/releases/current")" = 2026.6.1 ] || fail "upgrade to $1: current is $(readlink "$T/releases/current")"
	pass "upgrade to $1: step $3 shown failed, $2, exit 1, 2026.6.1 still current"
}
upgrade_fails 2026.10.1 failed rehearse
upgrade_fails 2026.10.3 rolled_back verify

# --- a second operation while one runs: exit 4
ck upgrade --config "$T/agent.json" --to 2026.9.6 >"$T/up.out" 2>&1 &
up=$!
for _ in $(seq 1 100); do grep -q "started by the serving agent" "$T/up.out" && break; sleep 0.05; done
set +e
out=$(ck regenerate --config "$T/agent.json" 2>&1); rc=$?
set -e
[ "$rc" = 4 ] || fail "regenerate while an upgrade runs: exit $rc, want 4: $out"
wait "$up" || fail "upgrade to 2026.9.6: $(cat "$T/up.out")"
grep -q "(upgrade): succeeded, 1 restart(s)" "$T/up.out" || fail "upgrade: $(cat "$T/up.out")"
pass "an operation while another runs exits 4; the upgrade to 2026.9.6 succeeds with one restart"

# --- bad parameters: exit 64, the field named
set +e
out=$(ck upgrade --config "$T/agent.json" --to not-a-version 2>&1); rc=$?
set -e
[ "$rc" = 64 ] && grep -qi "target_version" <<<"$out" || fail "upgrade --to not-a-version: exit $rc: $out"
pass "an upgrade to a malformed version exits 64 naming target_version"

# --- import: the archive streamed to the serving agent, signed over its
# SHA-256; one restart, the archive's config live
FULL=$(ls "$FIX"/2026.9.6/backup/full/*.tar.gz)
runs0=$(gateway_runs)
set +e
out=$(ck import --config "$T/agent.json" "$FULL"); rc=$?
set -e
[ "$rc" = 0 ] || fail "import: exit $rc: $out"
grep -qE "^\[ *[0-9.]+s\] install +done" <<<"$out" || fail "import: the install step not shown: $out"
grep -q "(import): succeeded, 1 restart(s)" <<<"$out" || fail "import: $out"
[ $(( $(gateway_runs) - runs0 )) = 1 ] || fail "import: the gateway started $(( $(gateway_runs) - runs0 )) times"
id=$(sed -n 's/^operation \(op-[^ ]*\) (import) started.*/\1/p' <<<"$out")
call GET "/v1/operations/$id" | jq -e '.import.agents | index("main")' >/dev/null || fail "import: the record names no agent main"
audit=$(grep '"route":"/v1/imports"' "$T/serve.log" | tail -1)
jq -e '.principal == "key:cli" and .status == 202' <<<"$audit" >/dev/null || fail "import: audit line $audit"
pass "import ARCHIVE: streamed to the serving agent (signed, principal key:cli), install shown, succeeded with one restart"

# --- without a supervising agent (the exec driver: start/stop commands a
# host's own service manager would run), the CLI runs the operation
# itself, shows the same steps and exits with the outcome
stop_serve
cat >"$T/gw-start" <<EOF
#!/bin/sh
setsid "$T/releases/current/bin/openclaw" gateway run </dev/null >>"$T/exec-gw.log" 2>&1 &
echo \$! >"$T/exec-gw.pid"
EOF
cat >"$T/gw-stop" <<EOF
#!/bin/sh
[ -f "$T/exec-gw.pid" ] || exit 0
pid=\$(cat "$T/exec-gw.pid"); kill "\$pid" 2>/dev/null
for i in \$(seq 1 100); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.05; done
rm -f "$T/exec-gw.pid"
EOF
chmod 755 "$T/gw-start" "$T/gw-stop"
printf '#!/bin/sh\n"%s" && exec "%s"\n' "$T/gw-stop" "$T/gw-start" >"$T/gw-restart"; chmod 755 "$T/gw-restart"
jq --arg a "$T/gw-start" --arg o "$T/gw-stop" --arg r "$T/gw-restart" \
	'.gateway = {driver: "exec", start: [$a], stop: [$o], restart: [$r]}' \
	"$T/agent.json" >"$T/agent.json.new" && mv "$T/agent.json.new" "$T/agent.json" && chmod 600 "$T/agent.json"
"$T/gw-start"
runs0=$(gateway_runs)
set +e
out=$(ck regenerate --config "$T/agent.json"); rc=$?
set -e
"$T/gw-stop"
[ "$rc" = 0 ] || fail "regenerate in the foreground (exec driver): exit $rc: $out"
grep -q "^operation op-[^ ]* (regenerate) started$" <<<"$out" || fail "foreground regenerate: start line: $out"
grep -qE "^\[ *[0-9.]+s\] verify +done +[0-9.]+s" <<<"$out" || fail "foreground regenerate: verify not shown: $out"
grep -q "(regenerate): succeeded, 1 restart(s)" <<<"$out" || fail "foreground regenerate: $out"
[ $(( $(gateway_runs) - runs0 )) = 1 ] || fail "foreground regenerate: the gateway started $(( $(gateway_runs) - runs0 )) times"
pass "regenerate in the foreground with the exec driver: steps shown, succeeded, exactly one gateway start"
