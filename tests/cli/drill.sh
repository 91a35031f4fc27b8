#!/usr/bin/env bash
# `clawkeeper drill` on a copy of an instance, with the fake openclaw
# (tests/fake-openclaw) that logs decisions as the real 6.1 does: the
# chain walked candidate by candidate through the stub provider, each
# request at its provider's path; a candidate the stub lets answer ends
# the walk; a chain with no fallback fails naming DECISION_NO_FAILOVER;
# the instance is not touched.
#   usage: drill.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1"); FIX=$(readlink -f "$2")/openclaw; SRC=$(readlink -f "$3")
T=$(mktemp -d /tmp/ck-drill-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }
export FAKE_OPENCLAW_LOG=$T/calls.log

S=$T/state; mkdir -p "$S/agents/main/agent"
jq --arg log "$T/oc.log" '.agents.defaults.model = {primary: "openai/gpt-5.5",
	fallbacks: ["anthropic/claude-sonnet-4-6", "openrouter/meta-llama/llama-3.3-70b-instruct"]} | .logging.file = $log' \
	"$FIX/2026.6.1/config/openclaw.json" >"$S/openclaw.json"
printf '#!/bin/sh\nFAKE_OPENCLAW_VERSION=2026.6.1 exec %s "$@"\n' "$SRC/tests/fake-openclaw/openclaw" >"$T/oc"
chmod 755 "$T/oc"
tree() { (cd "$S" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
before=$(tree)

out=$("$BIN" drill --state-dir "$S" --openclaw "$T/oc" --json)
jq -e '.passed == true and .version == "2026.6.1" and .exit_code == 1' <<<"$out" >/dev/null || fail "drill: $(jq -c '{passed, version, exit_code, message}' <<<"$out")"
jq -e '[.records[] | {candidate, next}] == [
	{candidate: "openai/gpt-5.5", next: "anthropic/claude-sonnet-4-6"},
	{candidate: "anthropic/claude-sonnet-4-6", next: "openrouter/meta-llama/llama-3.3-70b-instruct"},
	{candidate: "openrouter/meta-llama/llama-3.3-70b-instruct", next: "none"}]' <<<"$out" >/dev/null ||
	fail "drill: records $(jq -c '[.records[] | {candidate, next}]' <<<"$out")"
jq -e '[.stub_requests[] | {path, model, status}] == [
	{path: "/openai/v1/chat/completions", model: "gpt-5.5", status: 401},
	{path: "/anthropic/v1/messages", model: "claude-sonnet-4-6", status: 401},
	{path: "/openrouter/v1/chat/completions", model: "meta-llama/llama-3.3-70b-instruct", status: 401}]' <<<"$out" >/dev/null ||
	fail "drill: stub requests $(jq -c .stub_requests <<<"$out")"
[ "$(tree)" = "$before" ] || fail "drill: the instance changed"
pass "drill: the config's three-model chain walked in order, each request at its provider's stub path, every next= the planned candidate; instance untouched"

out=$("$BIN" drill --state-dir "$S" --openclaw "$T/oc" --stub /anthropic=ok --json)
jq -e '.passed == true and .exit_code == 0 and ([.stub_requests[].status] == [401, 200])' <<<"$out" >/dev/null ||
	fail "drill --stub /anthropic=ok: $(jq -c '{passed, exit_code, stub_requests}' <<<"$out")"
pass "drill --stub /anthropic=ok: the walk ends at the candidate that answered (401 then 200), the turn succeeds"

out=$("$BIN" drill --state-dir "$S" --openclaw "$T/oc" --chain openai/gpt-5.5,openrouter/meta-llama/llama-3.3-70b-instruct --json || true)
jq -e '.passed == false' <<<"$out" >/dev/null || fail "drill --chain other than the config's: $(jq -c '{passed, message}' <<<"$out")"
pass "drill --chain that is not the config's: fails ($(jq -r .message <<<"$out" | cut -c1-100))"

jq '.agents.defaults.model = {primary: "openai/gpt-5.5"}' "$S/openclaw.json" >"$T/one.json"
set +e; out=$("$BIN" drill --state-dir "$S" --config "$T/one.json" --openclaw "$T/oc"); rc=$?; set -e
[ "$rc" = 1 ] && grep -q "next=none: the chain has no fallback to fail over to (DECISION_NO_FAILOVER)" <<<"$out" ||
	fail "a chain with no fallback: exit $rc: $out"
pass "a chain with no fallback: exit 1, DECISION_NO_FAILOVER named"

set +e; out=$("$BIN" drill --state-dir "$T/nowhere" --openclaw "$T/oc" 2>&1); rc=$?; set -e
[ "$rc" = 3 ] || fail "drill of a missing state dir: exit $rc: $out"
set +e; "$BIN" drill --bogus >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 64 ] || fail "drill --bogus: exit $rc"
[ "$(tree)" = "$before" ] || fail "the instance changed"
pass "a missing state dir exits 3, a bad option 64; the instance never changed"
