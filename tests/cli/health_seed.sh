#!/usr/bin/env bash
# The seed scenario of the field failure, diagnosed through the CLI on
# each version's real files: a Codex-primary chain whose cross-provider
# fallbacks were stripped (FALLBACKS_STRIPPED), its decision log
# (DECISION_NO_FAILOVER), and an expired Codex OAuth login
# (CREDENTIAL_EXPIRED with the re-auth command). No secret may show.
set -euo pipefail
BIN=$1 FIX=$2/openclaw
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

cat >"$T/settings.json" <<'JSON'
{"primary": "openai-codex/gpt-5.5",
 "fallbacks": ["anthropic/claude-sonnet-4-6",
               "openrouter/meta-llama/llama-3.3-70b-instruct",
               "ollama/llama3.1:8b"]}
JSON

# stripped_config SRC PRIMARY > DST: the real config of that version with
# the chain the buggy generator left behind.
stripped_config() {
	jq --arg p "$2" '.agents.defaults.model = {primary: $p}' "$1"
}

check() { # version dir
	local v=$1 d=$2 out rc
	set +e
	out=$("$BIN" health --state-dir "$d" --settings "$T/settings.json" \
		--log "$d/logs/openclaw.log" --since all --json)
	rc=$?
	set -e
	[ "$rc" = 1 ] || fail "$v: exit $rc, want 1 (critical)"
	echo "$out" | jq -e . >/dev/null || fail "$v: output is not JSON"
	echo "$out" | jq -e '.status == "critical"' >/dev/null || fail "$v: status not critical"
	echo "$out" | jq -e --arg v "$v" '.version == $v' >/dev/null || fail "$v: version"
	local stripped
	stripped=$(echo "$out" | jq -r '.findings[] | select(.code=="FALLBACKS_STRIPPED" and .severity=="critical" and .surface=="defaults") | .message')
	[ -n "$stripped" ] || fail "$v: no critical FALLBACKS_STRIPPED on defaults"
	for want in anthropic/claude-sonnet-4-6 openrouter/meta-llama/llama-3.3-70b-instruct ollama/llama3.1:8b; do
		grep -qF "$want" <<<"$stripped" || fail "$v: FALLBACKS_STRIPPED does not name $want: $stripped"
	done
	pass "$v: FALLBACKS_STRIPPED names all three missing fallbacks"
	echo "$out" | jq -e '[.findings[] | select(.code=="DECISION_NO_FAILOVER" and .severity=="critical")] | length == 1' >/dev/null \
		|| fail "$v: no DECISION_NO_FAILOVER"
	pass "$v: decision log gives DECISION_NO_FAILOVER (critical)"
	echo "$out" | jq -e '[.findings[] | select(.code=="CREDENTIAL_EXPIRED" and (.message|test("openai-codex")) and (.fix|test("openclaw models auth login --provider openai-codex")))] | length >= 1' >/dev/null \
		|| fail "$v: no CREDENTIAL_EXPIRED for openai-codex with the re-auth command: $(echo "$out" | jq -c '[.findings[]|select(.code|test("CREDENTIAL"))]')"
	echo "$out" | jq -e '[.credentials[] | select(.provider=="openai-codex" and .status=="expired")] | length >= 1' >/dev/null \
		|| fail "$v: openai-codex credential not expired"
	pass "$v: expired openai-codex OAuth gives CREDENTIAL_EXPIRED with the re-auth command"
	if grep -q FAKE <<<"$out"; then fail "$v: a secret appears in the output"; fi
	pass "$v: no secret in the output"
	# The human output says the same and leaks nothing either.
	set +e
	out=$("$BIN" health --state-dir "$d" --settings "$T/settings.json" --log "$d/logs/openclaw.log" --since all)
	set -e
	grep -q FALLBACKS_STRIPPED <<<"$out" || fail "$v: human output lacks FALLBACKS_STRIPPED"
	if grep -q FAKE <<<"$out"; then fail "$v: a secret appears in the human output"; fi
}

for v in 2026.5.28 2026.6.1; do
	d=$T/$v; mkdir -p "$d/agents/main/agent" "$d/logs"
	# The buggy generator wrote the unified form whatever the version.
	stripped_config "$FIX/$v/config/openclaw.json" openai/gpt-5.5 >"$d/openclaw.json"
	cp "$FIX/$v/auth/s2-oauth-expired/auth-profiles.json" "$d/agents/main/agent/"
	cp "$FIX/$v/decision/b-primary-fails-no-fallbacks/file-log.jsonl" "$d/logs/openclaw.log"
	check "$v" "$d"
done

# Before 2026.5.30 a Codex primary that lost its other-provider fallbacks
# is what the legacy runtime forces: said as a warning, never silent.
d=$T/legacy; mkdir -p "$d/agents/main/agent" "$d/logs"
stripped_config "$FIX/2026.5.28/config/openclaw.json" openai-codex/gpt-5.5 >"$d/openclaw.json"
set +e
out=$("$BIN" health --state-dir "$d" --settings "$T/settings.json" --log "$d/logs/openclaw.log" --json)
set -e
msg=$(echo "$out" | jq -r '.findings[] | select(.code=="LEGACY_RUNTIME_DROPS_FALLBACKS" and .severity=="warning") | .message')
for want in anthropic/claude-sonnet-4-6 openrouter/meta-llama/llama-3.3-70b-instruct ollama/llama3.1:8b; do
	grep -qF "$want" <<<"$msg" || fail "legacy: LEGACY_RUNTIME_DROPS_FALLBACKS does not name $want: $msg"
done
pass "2026.5.28 Codex primary: LEGACY_RUNTIME_DROPS_FALLBACKS names the fallbacks the runtime cannot drive"

# 2026.9.6 keeps the store in state/openclaw.sqlite (config_machine_state).
v=2026.9.6; d=$T/$v; mkdir -p "$d/state" "$d/logs"
stripped_config "$FIX/$v/config/openclaw.json" openai/gpt-5.5 >"$d/openclaw.json"
cp "$FIX/$v/decision/b-primary-fails-no-fallbacks/file-log.jsonl" "$d/logs/openclaw.log"
store=$(jq -c . "$FIX/2026.6.1/auth/s2-oauth-expired/auth-profiles.json")
sqlite3 "$d/state/openclaw.sqlite" <<SQL
CREATE TABLE config_machine_state (state_key TEXT PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
INSERT INTO config_machine_state VALUES ('authProfiles.store', '$store', 1795467000000);
INSERT INTO config_machine_state VALUES ('auth.sharedStore', '{"location":"state-db"}', 1795467000000);
SQL
check "$v" "$d"
echo "health_seed: all assertions passed"
