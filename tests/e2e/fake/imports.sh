#!/usr/bin/env bash
# One-click import through the real HTTP API: the real OpenClaw 2026.9.6
# backup archives (full and --only-config) uploaded as the request body,
# installed with one restart, paths remapped, credentials intact; and every
# bad archive (traversal, truncated gzip, not an archive, checksum
# mismatch, a download cut off mid-way) refused with the cause named and
# the live instance left exactly as it was.
#   usage: imports.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BK=$FIX/2026.9.6/backup
FULL=$(ls "$BK"/full/*.tar.gz); ONLY=$(ls "$BK"/only-config/*.tar.gz)
# the running gateway appends to its own log files; everything else must stay
tree_sha() { (cd "$S" && find . -type f -not -name '*.log' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }
upload() { # file [key] -> operation record (202 body)
	local args=(--data "@$1" -H 'Content-Type: application/gzip')
	[ -n "${2:-}" ] && args+=(-H "Idempotency-Key: $2")
	call "${args[@]}" POST /v1/imports
}
refused() { # record-json want-substring what [final state, default failed]
	local rec state msg
	local oid; oid=$(jq -r .id <<<"$1"); [ "$oid" != null ] || fail "$3: no operation: $1"
	rec=$(wait_op "$oid")
	state=$(jq -r .state <<<"$rec"); msg=$(jq -r .result.message <<<"$rec")
	[ "$state" = "${4:-failed}" ] || fail "$3: state $state ($msg)"
	grep -qiF -- "$2" <<<"$msg" || fail "$3: message does not name the cause ($2): $msg"
	[ "$(tree_sha)" = "$before" ] || fail "$3: the live state changed"
	[ -z "$(ls -d "$S".import-* 2>/dev/null)" ] || fail "$3: staging left behind"
	pass "$3: refused ($msg); live state untouched, no staging left"
}

# The test's file server is plain http on loopback; production refuses it.
jq '.operations.allow_http = true' "$T/agent.json" >"$T/agent.json.new" && mv "$T/agent.json.new" "$T/agent.json"
chmod 600 "$T/agent.json"   # serve refuses a config others can read
start_serve || fail "serve did not start"

# --- on the 6.1 host, a 9.6 archive is refused before anything is
# installed: no older release reads a newer config or state
before=$(tree_sha)
refused "$(upload "$FULL")" "the archive was made by OpenClaw 2026.9.6, newer than this host's 2026.6.1" \
	"a 2026.9.6 archive on a 2026.6.1 host"
stop_serve

# A 2026.9.6 host: the archives are 9.6's, and no older release reads a
# 9.6 config (the real 6.1's config validate of it: "meta: Invalid input",
# "agents: Invalid input"; the fake refuses the same). The live config is
# then one 9.6 accepts (its doctor drops meta.lastTouchedAt).
ln -sfn 2026.9.6 "$T/releases/current"
jq 'del(.meta.lastTouchedAt)' "$S/openclaw.json" >"$S/openclaw.json.new" && mv "$S/openclaw.json.new" "$S/openclaw.json"
chmod 600 "$S/openclaw.json"

start_serve || fail "serve did not start on the 9.6 host"

# --- bad archives first, while the instance is the original one
before=$(tree_sha)
printf 'this is not an archive\n' >"$T/junk.tar.gz"
refused "$(upload "$T/junk.tar.gz")" "archive" "a file that is not a tar.gz"
refused "$(upload "$BK/broken/truncated-openclaw-backup.tar.gz")" "truncated" "the real truncated backup"
# A path traversal entry, written by node's own tar-less gzip of a raw ustar.
node -e '
const zlib = require("zlib"), fs = require("fs");
function hdr(name, size) {
  const b = Buffer.alloc(512);
  b.write(name, 0); b.write("0000644\0", 100); b.write("0000000\0", 108); b.write("0000000\0", 116);
  b.write(size.toString(8).padStart(11, "0") + "\0", 124); b.write("00000000000\0", 136);
  b.write("        ", 148); b.write("0", 156); b.write("ustar\0", 257); b.write("00", 263);
  let sum = 0; for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return b;
}
const body = Buffer.from("{\"pwned\":true}\n");
const pad = Buffer.alloc(512 - body.length);
fs.writeFileSync(process.argv[1], zlib.gzipSync(Buffer.concat([hdr(".openclaw/../../escape.json", body.length), body, pad, Buffer.alloc(1024)])));
' "$T/traversal.tar.gz"
refused "$(upload "$T/traversal.tar.gz")" ".." "an entry with a .. path"
[ ! -e "$T/escape.json" ] && [ ! -e "$(dirname "$S")/escape.json" ] || fail "traversal wrote outside staging"

# --- hostile links, built here from the real backup: the extractor's
# archive-root check passes (a) and (c); only the installed subtree counts.
# The "other tenant" is an instance beside this one, reachable from
# $S/agents/main/agent with four "..".
mkdir -p "$T/other-tenant/agents/main/agent"
printf '{"version":1,"profiles":{"othertenant:leak":{"type":"api_key","provider":"othertenant","key":"sk-OTHER-TENANT-FAKE-0000"}}}\n' \
	>"$T/other-tenant/agents/main/agent/auth-profiles.json"
hostile() { # name -> prints a fresh copy of the backup's tree; echo its state dir path
	rm -rf "$T/h"; mkdir -p "$T/h"; tar -xzf "$FULL" -C "$T/h"
	hroot=$(ls "$T/h"); hstate=$T/h/$hroot/payload/posix$(jq -r .paths.stateDir "$T/h/$hroot/manifest.json")
}
pack() { tar -czf "$1" -C "$T/h" "$hroot"; }
hostile
ln -sf ../../../../other-tenant/agents/main/agent/auth-profiles.json "$hstate/agents/main/agent/auth-profiles.json"
pack "$T/link-rel.tar.gz"
refused "$(upload "$T/link-rel.tar.gz")" "entry '$hroot/payload/posix" "(a) a relative symlink out of the installed state dir (inside the archive root)"
refused "$(upload "$T/link-rel.tar.gz")" "agents/main/agent/auth-profiles.json': symlink leads out of the installed tree (it points to '../../../../other-tenant" "(a) names the entry and its target"
hostile
ln -sf /etc/passwd "$hstate/agents/main/agent/auth-profiles.json"
pack "$T/link-abs.tar.gz"
refused "$(upload "$T/link-abs.tar.gz")" "agents/main/agent/auth-profiles.json': symlink to an absolute path (/etc/passwd)" "(b) an absolute symlink"
hostile
mkdir -p "$T/h/$hroot/payload/posix/elsewhere"
printf '{"version":1,"profiles":{}}\n' >"$T/h/$hroot/payload/posix/elsewhere/auth-profiles.json"
ln -f "$T/h/$hroot/payload/posix/elsewhere/auth-profiles.json" "$hstate/agents/main/agent/auth-profiles.json"
# the file outside the subtree first, so the one inside is the hardlink entry
(cd "$T/h" && { echo "$hroot/payload/posix/elsewhere/auth-profiles.json"; find "$hroot" ! -path "$hroot/payload/posix/elsewhere*" | sort; } \
	| tar -czf "$T/link-hard.tar.gz" --no-recursion -T -)
tar -tvzf "$T/link-hard.tar.gz" >"$T/link-hard.list"
grep -q "agents/main/agent/auth-profiles.json link to" "$T/link-hard.list" || fail "(c) the archive holds no hardlink entry"
refused "$(upload "$T/link-hard.tar.gz")" "agents/main/agent/auth-profiles.json': hard link to a file outside the installed tree" "(c) a hardlink to a file outside the installed state dir"
# (d) links that each look fine where they are staged but lead out
# together once the workspace sits inside the state dir: caught by the
# check of the live state dir after install, and rolled back.
hostile
ln -s . "$hstate/b"; ln -s ../b/.. "$hstate/workspace/up"
pack "$T/link-chain.tar.gz"
refused "$(upload "$T/link-chain.tar.gz")" "workspace/up: symlink resolves out of the installed tree through other links" \
	"(d) a chain of links out of the installed state dir" rolled_back
rm -rf "$T/h"

# --- downloads: checksum mismatch and a connection cut off mid-way
mkdir -p "$T/www"; cp "$FULL" "$T/www/full.tar.gz"
node "$SRC/tests/e2e/fake/http-server.js" "$T/www" "$T/www.requests" >"$T/www.port" &
WWW=$!   # cleanup stops it
for _ in $(seq 1 50); do [ -s "$T/www.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/www.port"); SUM=$(sha256sum "$FULL" | cut -d' ' -f1); SIZE=$(stat -c %s "$FULL")
rec=$(call --data "{\"url\":\"http://127.0.0.1:$PORT/file/full.tar.gz\",\"sha256\":\"$(printf '0%.0s' $(seq 64))\"}" \
	-H 'Content-Type: application/json' POST /v1/imports)
refused "$rec" "SHA-256 mismatch" "a download whose checksum does not match"
rec=$(call --data "{\"url\":\"http://127.0.0.1:$PORT/cut/full.tar.gz\",\"sha256\":\"$SUM\",\"size\":$SIZE}" \
	-H 'Content-Type: application/json' POST /v1/imports)
refused "$rec" "download" "a download cut off mid-way"
# production's default (no allow_http): a plain-http URL is refused before
# any connection, with the same file that downloads fine over http above
stop_serve
jq '.operations.allow_http = false' "$T/agent.json" >"$T/agent.json.new" && mv "$T/agent.json.new" "$T/agent.json"
chmod 600 "$T/agent.json"
start_serve || fail "serve did not start without allow_http"
: >"$T/www.requests"
rec=$(call --data "{\"url\":\"http://127.0.0.1:$PORT/file/full.tar.gz\",\"sha256\":\"$SUM\",\"size\":$SIZE}" \
	-H 'Content-Type: application/json' POST /v1/imports)
refused "$rec" "only https:// URLs are accepted" "a plain-http URL without operations.allow_http"
[ ! -s "$T/www.requests" ] || fail "the http URL was contacted: $(cat "$T/www.requests")"
stop_serve
jq '.operations.allow_http = true' "$T/agent.json" >"$T/agent.json.new" && mv "$T/agent.json.new" "$T/agent.json"
chmod 600 "$T/agent.json"
start_serve || fail "serve did not start again"

# --- the real full backup, uploaded: one restart, remapped, credentials intact
runs0=$(gateway_runs)
rec=$(upload "$FULL" imp-1); id=$(jq -r .id <<<"$rec")
again=$(upload "$FULL" imp-1 | jq -r .id)
[ "$again" = "$id" ] || fail "retried upload with the same Idempotency-Key gave $again, want $id"
rec=$(wait_op "$id")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "full import: $(jq -c '{state,result,steps}' <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 1 ] || fail "full import: restarts $(jq .restarts <<<"$rec")"
[ $(( $(gateway_runs) - runs0 )) = 1 ] || fail "full import: $(( $(gateway_runs) - runs0 )) gateway starts"
pass "full 2026.9.6 backup uploaded and installed with exactly one restart; a retried upload returned the same operation"
mkdir -p "$T/x"; tar -xzf "$FULL" -C "$T/x"
root=$(ls "$T/x"); src_state=$(jq -r .paths.stateDir "$T/x/$root/manifest.json")
for f in state/openclaw.sqlite agents/main/agent/openclaw-agent.sqlite; do
	member="$T/x/$root/payload/posix$src_state/$f"
	[ -f "$member" ] || continue
	cmp -s "$member" "$S/$f" || fail "full import: $f differs from the archive"
	[ "$(stat -c %a "$S/$f")" = 600 ] || fail "full import: $f mode $(stat -c %a "$S/$f")"
	pass "full import: $f byte-identical to the archive, mode 0600"
done
ws=$(jq -r .agents.defaults.workspace "$S/openclaw.json")
case "$ws" in "$S"/*) ;; *) fail "full import: workspace still $ws" ;; esac
grep -qF "$src_state" "$S/openclaw.json" && fail "full import: the old state dir path is still in openclaw.json"
jq -e '.import.remaps | length > 0' <<<"$rec" >/dev/null || fail "full import: no remaps reported"
jq -e '.import.agents | index("main")' <<<"$rec" >/dev/null || fail "full import: agents not reported"
jq -e '.import.warnings | length > 0' <<<"$rec" >/dev/null || fail "full import: the loopback providers were not warned about"
jq -e '.agents.defaults.model.fallbacks == ["anthropic/claude-sonnet-4-6","openrouter/meta-llama/llama-3.3-70b-instruct"]' "$S/openclaw.json" >/dev/null \
	|| fail "full import: chain after regenerate $(jq -c .agents.defaults.model "$S/openclaw.json")"
[ -d "$S.pre-import-$id" ] || fail "full import: the previous state was not kept"
jq -e --argjson p "$GW_PORT" '.gateway.port == $p' "$S/openclaw.json" >/dev/null \
	|| fail "full import: gateway settings not the host's: $(jq -c .gateway "$S/openclaw.json")"
jq -e --argjson gw "$(jq -c .gateway "$S.pre-import-$id/openclaw.json")" '.gateway == $gw' "$S/openclaw.json" >/dev/null \
	|| fail "full import: the gateway section is not wholly the host's: $(jq -c .gateway "$S/openclaw.json")"
jq -e --arg log "$(jq -r .logging.file "$S.pre-import-$id/openclaw.json")" '.logging.file == $log' "$S/openclaw.json" >/dev/null \
	|| fail "full import: logging.file is not the host's: $(jq -c .logging "$S/openclaw.json")"
jq -e '.import.replaced_from_archive | index("gateway.mode") and index("logging.file")' <<<"$rec" >/dev/null \
	|| fail "full import: the report does not name what it replaced: $(jq -c .import.replaced_from_archive <<<"$rec")"
pass "full import: paths rewritten into $S, agents/remaps/warnings reported, chain regenerated from the settings, the host's gateway port kept, previous state kept"
if grep -q FAKE <<<"$rec"; then fail "a secret appears in the operation record"; fi

# --- the config-only backup on top
rec=$(wait_op "$(upload "$ONLY" | jq -r .id)")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "config-only import: $(jq -c '{state,result}' <<<"$rec")"
pass "config-only 2026.9.6 backup imported"

# --- the agent contacts no address an archive names: the archive's
# providers point at a loopback recorder (with a metadata-style path and
# query), and the recorder must see nothing from the import
node -e '
const http = require("http"), fs = require("fs"); const log = process.argv[1];
const s = http.createServer((req, res) => { fs.appendFileSync(log, req.method + " " + req.url + "\n");
  res.writeHead(200, {"Content-Type": "application/json"}); res.end("{\"models\":[{\"name\":\"leak-token\"}]}"); });
s.listen(0, "127.0.0.1", () => console.log(s.address().port));' "$T/recorder.log" >"$T/recorder.port" &
REC=$!
for _ in $(seq 1 50); do [ -s "$T/recorder.port" ] && break; sleep 0.1; done
bait="http://127.0.0.1:$(cat "$T/recorder.port")/latest/meta-data/iam?x="
hostile
jq --arg u "$bait" '.models.providers |= map_values(.baseUrl = $u)' "$hstate/openclaw.json" >"$T/h.json" \
	&& cat "$T/h.json" >"$hstate/openclaw.json"
pack "$T/bait.tar.gz"; rm -rf "$T/h"
# an ollama fallback in the host's settings: generate would ask the
# provider's listing at its baseUrl, were it not an import
cp "$T/settings.json" "$T/settings.json.keep"
jq '.fallbacks += ["ollama/llama3.1:8b"]' "$T/settings.json.keep" >"$T/settings.json"
rec=$(wait_op "$(upload "$T/bait.tar.gz" | jq -r .id)")
cat "$T/settings.json.keep" >"$T/settings.json"
kill "$REC" 2>/dev/null || true
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "bait import: $(jq -c '{state,result}' <<<"$rec")"
[ ! -s "$T/recorder.log" ] || fail "the agent contacted an address from the archive: $(cat "$T/recorder.log")"
if grep -q leak-token <<<"$rec"; then fail "a remote answer reached the record"; fi
pass "an archive whose providers point at a loopback recorder (metadata-style path): imported, and the recorder saw no request"
# --- killed mid-import: the next agent puts the previous state back
# Before "stop" nothing live was touched (failed); from it on the step
# decides a rollback (docs/api.md).
for step in stage snapshot stop install generate switch start verify; do
	case $step in stage | snapshot) want=failed ;; *) want=rolled_back ;; esac
	stop_serve
	before=$(tree_sha)
	CK_TEST_CRASH_AT=$step start_serve || fail "$step: serve did not start"
	crash_pid=$SERVE_PID
	id=$(upload "$FULL" | jq -r .id)
	await_hook_death "$crash_pid" "$step: the agent"
	SERVE_PID=""
	start_serve || fail "$step: the agent did not come back"
	rec=$(wait_op "$id"); state=$(jq -r .state <<<"$rec")
	[ "$state" = "$want" ] || fail "$step: state $state, expected $want: $(jq -c .result <<<"$rec")"
	[ "$(tree_sha)" = "$before" ] || fail "$step: $state but the state dir differs from before"
	[ -z "$(ls -d "$S".import-* 2>/dev/null)" ] || fail "$step: staging left behind"
	pass "killed at '$step' of an import: settled as $state, state dir byte-identical to before"
done
stop_serve
grep -q FAKE "$T/serve.log" && fail "a secret reached the agent log"
echo "imports: all assertions passed"
