#!/usr/bin/env bash
# Tenant boundary on reads: an instance whose credential stores, state
# database and session locks were swapped for links into another instance
# (planted after the fact, not through an import) is diagnosed without
# reading the other one. `clawkeeper health` names each store as
# unreadable ("resolves outside"), the other tenant's provider and
# profile appear nowhere, and a stale lock reached through a link is
# neither reported nor removed. The same links pointing inside the
# instance are followed.
#   usage: health_confined.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$1 FIX=$2/openclaw
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

# the other tenant, beside this one
O=$T/other/.openclaw
mkdir -p "$O/agents/main/agent" "$O/agents/main/sessions" "$O/state"
printf '{"version":1,"profiles":{"othertenant:leak":{"type":"api_key","provider":"othertenant","key":"sk-OTHER-TENANT-FAKE-0000"}}}\n' \
	>"$O/agents/main/agent/auth-profiles.json"
printf '{"pid":999999,"createdAt":"2020-01-01T00:00:00.000Z"}' >"$O/agents/main/sessions/s.jsonl.lock"
cp "$O/agents/main/agent/auth-profiles.json" "$O/agents/main/agent/auth-state.json"

# this instance: a 6.1 config, its own stores replaced by links out
S=$T/me/.openclaw
mkdir -p "$S/agents/main/agent" "$S/agents/ops/agent" "$S/state" "$S/logs"
cp "$FIX/2026.6.1/config/openclaw.json" "$S/openclaw.json"
ln -s ../../../../../other/.openclaw/agents/main/agent/auth-profiles.json "$S/agents/main/agent/auth-profiles.json"
ln -s "$O/agents/main/agent/auth-state.json" "$S/agents/main/agent/auth-state.json"
ln -s ../../../other/.openclaw/agents/main/agent "$S/agents/ops/agent/x"
ln -s ../../../other/.openclaw/agents/main/sessions "$S/agents/main/sessions"
[ -f "$S/agents/main/agent/auth-profiles.json" ] || fail "the planted link does not resolve"

set +e
out=$("$BIN" health --state-dir "$S" --since all --json 2>"$T/stderr")
set -e
echo "$out" | jq -e . >/dev/null || fail "output is not JSON: $out"
refused=$(echo "$out" | jq -r '.findings[] | select(.code=="CREDENTIAL_STORE_UNREADABLE") | .message')
grep -qF "$S/agents/main/agent/auth-profiles.json: resolves outside $S" <<<"$refused" \
	|| fail "the linked auth-profiles.json is not named as refused: $refused"
pass "a credential store linked out of the state dir is refused, named: $(head -n1 <<<"$refused")"
for leak in othertenant OTHER-TENANT; do
	if grep -q "$leak" <<<"$out" "$T/stderr"; then fail "the other tenant's $leak appears in the health output"; fi
done
pass "the other tenant's provider, profile and key appear nowhere"
if echo "$out" | jq -e '.locks[]? | select(.path | contains("s.jsonl.lock"))' >/dev/null; then
	fail "a lock reached through a link out of the state dir was read"
fi
"$BIN" health --state-dir "$S" --fix-locks --json >/dev/null 2>&1 || true
[ -f "$O/agents/main/sessions/s.jsonl.lock" ] || fail "--fix-locks removed the other tenant's lock"
pass "a sessions dir linked out of the state dir is not scanned, --fix-locks leaves the other tenant's lock"

# the same store linked inside the instance is read
rm "$S/agents/main/agent/auth-profiles.json" "$S/agents/main/agent/auth-state.json"
cp "$FIX/2026.6.1/auth/s1-apikeys/auth-profiles.json" "$S/agents/ops/agent/real-store.json"
ln -s ../../ops/agent/real-store.json "$S/agents/main/agent/auth-profiles.json"
set +e
out=$("$BIN" health --state-dir "$S" --since all --json 2>/dev/null)
set -e
echo "$out" | jq -e '[.credentials[]? | select(.profile=="openai:manual")] | length > 0' >/dev/null \
	|| fail "a store linked within the instance was not read: $(echo "$out" | jq -c '[.findings[] | select(.code|startswith("CREDENTIAL"))]')"
if grep -q FAKE <<<"$out"; then fail "a secret appears in the health output"; fi
pass "a store linked to another place inside the instance is followed"
echo "health_confined: all assertions passed"
