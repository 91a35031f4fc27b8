#!/usr/bin/env bash
# The contract: real responses of every route of a serving agent (the
# fake openclaw behind it, tests/e2e/fake/lib.sh), success and error
# forms, recorded and validated against api/openapi.yaml's documented
# statuses, content types and schemas by tests/contract/validate-responses.js
# (ajv, JSON Schema 2020-12). Every operation of the spec must be called.
# The validator's npm packages are cached outside the checkout in
# $CK_NPM_TOOLS (default /var/cache/clawkeeper/npm-tools).
#   usage: responses.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
. "$3/tests/e2e/fake/lib.sh"

TOOLS=${CK_NPM_TOOLS:-/var/cache/clawkeeper/npm-tools}
if [ ! -d "$TOOLS/node_modules/ajv" ] || [ ! -d "$TOOLS/node_modules/yaml" ]; then
	mkdir -p "$TOOLS"
	npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error ajv@8.17.1 yaml@2.8.1 >/dev/null ||
		fail "npm install ajv yaml into $TOOLS failed: the contract cannot be checked"
fi

# a read-scope token beside lib.sh's operate one
RTOKEN=ck-test-read-token-$RANDOM$RANDOM
jq --arg h "$(printf '%s' "$RTOKEN" | sha256sum | cut -d' ' -f1)" '.tokens += [{name: "ro", sha256: $h, scope: "read"}]' \
	"$T/agent.json" >"$T/agent.json.new" && mv "$T/agent.json.new" "$T/agent.json" && chmod 600 "$T/agent.json"
start_serve || fail "serve did not start"

REC=$T/records.jsonl
: >"$REC"
# rec WHAT METHOD ROUTE PATH [curl args...]: one request, recorded
rec() {
	local what=$1 method=$2 route=$3 path=$4
	shift 4
	local how=(-X "$method")
	[ "$method" = HEAD ] && how=(--head)
	curl -s --unix-socket "$T/agent.sock" "${how[@]}" -D "$T/h" -o "$T/b" "$@" "http://localhost$path" ||
		fail "$what: curl failed"
	local status ct
	status=$(awk 'NR == 1 {print $2}' "$T/h")
	ct=$(tr -d '\r' <"$T/h" | sed -n 's/^[Cc]ontent-[Tt]ype: //p' | tail -1)
	jq -cn --arg m "$method" --arg r "$route" --argjson s "$status" --arg c "$ct" --rawfile b "$T/b" --arg w "$what" \
		'{method: $m, route: $r, status: $s, content_type: $c, body: $b, what: $w}' >>"$REC"
	LAST_STATUS=$status
}
OP=(-H "Authorization: Bearer $TOKEN")
RO=(-H "Authorization: Bearer $RTOKEN")
J=(-H 'Content-Type: application/json')

rec "open" GET /v1/agent /v1/agent
rec "HEAD" HEAD /v1/agent /v1/agent
rec "no credentials" GET /v1/instance/health /v1/instance/health
rec "read scope" GET /v1/instance/health /v1/instance/health "${RO[@]}"
rec "refresh=2" GET /v1/instance/health '/v1/instance/health?refresh=2' "${RO[@]}"
rec "live config" GET /v1/instance/config /v1/instance/config "${RO[@]}"
rec "decisions" GET /v1/instance/decisions /v1/instance/decisions "${RO[@]}"
rec "limit=0" GET /v1/instance/decisions '/v1/instance/decisions?limit=0' "${RO[@]}"
rec "since=soon" GET /v1/instance/decisions '/v1/instance/decisions?since=soon' "${RO[@]}"
rec "settings" GET /v1/instance/settings /v1/instance/settings "${RO[@]}"
etag=$(tr -d '\r' <"$T/h" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
body=$(cat "$T/b")
rec "read scope may not write" PUT /v1/instance/settings /v1/instance/settings "${RO[@]}" "${J[@]}" --data "$body"
rec "no If-Match" PUT /v1/instance/settings /v1/instance/settings "${OP[@]}" "${J[@]}" --data "$body"
rec "stale If-Match" PUT /v1/instance/settings /v1/instance/settings "${OP[@]}" "${J[@]}" -H 'If-Match: "0"' --data "$body"
rec "malformed JSON" PUT /v1/instance/settings /v1/instance/settings "${OP[@]}" "${J[@]}" -H "If-Match: $etag" --data '{"primary":'
rec "invalid settings" PUT /v1/instance/settings /v1/instance/settings "${OP[@]}" "${J[@]}" -H "If-Match: $etag" --data '{"primary": 42}'
rec "text/plain" PUT /v1/instance/settings /v1/instance/settings "${OP[@]}" -H 'Content-Type: text/plain' -H "If-Match: $etag" --data "$body"
rec "compare-and-set" PUT /v1/instance/settings /v1/instance/settings "${OP[@]}" "${J[@]}" -H "If-Match: $etag" --data "$body"
[ "$LAST_STATUS" = 200 ] || fail "the settings PUT with the current ETag got $LAST_STATUS"
rec "plan" POST /v1/instance/config/plan /v1/instance/config/plan "${RO[@]}" "${J[@]}" --data '{}'
rec "plan, bad settings" POST /v1/instance/config/plan /v1/instance/config/plan "${RO[@]}" "${J[@]}" --data '{"settings": {"primary": 1}}'
rec "plan, not an object" POST /v1/instance/config/plan /v1/instance/config/plan "${RO[@]}" "${J[@]}" --data '[]'
rec "regenerate, read scope" POST /v1/regenerate /v1/regenerate "${RO[@]}" "${J[@]}" --data '{}'
rec "regenerate" POST /v1/regenerate /v1/regenerate "${OP[@]}" "${J[@]}" -H 'Idempotency-Key: c-1' --data '{}'
id=$(jq -r .id "$T/b")
rec "one while it runs" GET '/v1/operations/{id}' "/v1/operations/$id" "${RO[@]}"
rec "a second operation" POST /v1/upgrades /v1/upgrades "${OP[@]}" "${J[@]}" --data '{"target_version": "2026.9.6"}'
rec "same key, other body" POST /v1/regenerate /v1/regenerate "${OP[@]}" "${J[@]}" -H 'Idempotency-Key: c-1' --data '{"drill": false}'
wait_op "$id" >/dev/null
rec "ended" GET '/v1/operations/{id}' "/v1/operations/$id" "${RO[@]}"
rec "no such operation" GET '/v1/operations/{id}' /v1/operations/op-20260101T000000Z-00000000 "${RO[@]}"
rec "journal" GET /v1/operations /v1/operations "${RO[@]}"
rec "upgrade, bad version" POST /v1/upgrades /v1/upgrades "${OP[@]}" "${J[@]}" --data '{"target_version": "nope"}'
rec "regenerate, unknown parameter" POST /v1/regenerate /v1/regenerate "${OP[@]}" "${J[@]}" --data '{"dril": true}'
[ "$LAST_STATUS" = 400 ] && jq -e '.error.message == "dril: unknown field"' "$T/b" >/dev/null ||
	fail "an unknown operation parameter: $LAST_STATUS $(cat "$T/b")"
rec "import, size not a size" POST /v1/imports /v1/imports "${OP[@]}" "${J[@]}" --data '{"url": "https://x.invalid/a.tgz", "sha256": "00", "size": -1}'
[ "$LAST_STATUS" = 400 ] && jq -e '.error.message | startswith("size: expected an integer 1..")' "$T/b" >/dev/null ||
	fail "an import size of -1: $LAST_STATUS $(cat "$T/b")"
rec "upgrade" POST /v1/upgrades /v1/upgrades "${OP[@]}" "${J[@]}" --data '{"target_version": "2026.9.6"}'
wait_op "$(jq -r .id "$T/b")" >/dev/null
printf 'not an archive\n' >"$T/junk.tar.gz"
rec "import, an upload" POST /v1/imports /v1/imports "${OP[@]}" -H 'Content-Type: application/gzip' --data-binary "@$T/junk.tar.gz"
wait_op "$(jq -r .id "$T/b")" >/dev/null
rec "import, url without sha256" POST /v1/imports /v1/imports "${OP[@]}" "${J[@]}" --data '{"url": "https://example.invalid/x.tar.gz"}'
rec "import, text/plain" POST /v1/imports /v1/imports "${OP[@]}" -H 'Content-Type: text/plain' --data 'x'
rec "metrics" GET /metrics /metrics "${RO[@]}"
rec "another method" DELETE /v1/agent /v1/agent "${OP[@]}"

node_path=$TOOLS/node_modules
NODE_PATH=$node_path node "$SRC/tests/contract/validate-responses.js" "$SRC/api/openapi.yaml" "$REC" || fail "responses differ from api/openapi.yaml"
