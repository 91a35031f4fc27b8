#!/usr/bin/env bash
# `clawkeeper import-stage`: the real 2026.9.6 `openclaw backup create`
# archive laid out into a staging dir. Expected values come from the
# archive itself (tar), not from the code: every payload file staged byte
# for byte under state/ and workspace/, the config's paths remapped to the
# managed ones given, and the chain the archive's config holds. A bad
# archive is refused naming the cause, and the staging dir is not left.
#   usage: import_stage.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1"); FIX=$(readlink -f "$2")/openclaw
T=$(mktemp -d /tmp/ck-stage-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

FULL=$(ls "$FIX"/2026.9.6/backup/full/*.tar.gz)
mkdir -p "$T/x"; tar -xzf "$FULL" -C "$T/x"
root=$(ls "$T/x"); src=$(jq -r '.paths.stateDir' "$T/x/$root/manifest.json")
pay=$T/x/$root/payload/posix$src

report=$("$BIN" import-stage "$FULL" --staging "$T/stg" --json --state-dir /srv/oc/state --workspace-dir /srv/oc/ws)
# every regular file of the archive's state dir (openclaw.json aside: it
# is rewritten), the workspace inside it staged as workspace/
n=0
while IFS= read -r -d '' f; do
	rel=${f#"$pay"/}
	case "$rel" in
		openclaw.json) continue ;;
		workspace/*) dst=$T/stg/workspace/${rel#workspace/} ;;
		*) dst=$T/stg/state/$rel ;;
	esac
	cmp -s "$f" "$dst" || fail "staged $rel differs from the archive (or is missing at $dst)"
	n=$((n + 1))
done < <(find "$pay" -type f -print0)
[ "$n" -gt 20 ] || fail "only $n files compared: the archive walk broke"
pass "import-stage: all $n payload files staged byte for byte (state/, workspace/)"

# the config: the archive's, with its paths moved to the managed ones
want=$(jq --arg s "$src" 'walk(if type == "string" then
	(if . == "\($s)/workspace" then "/srv/oc/ws"
	 elif startswith("\($s)/") then "/srv/oc/state/" + .[($s | length) + 1:] else . end) else . end)' "$pay/openclaw.json")
got=$(jq . "$T/stg/state/openclaw.json")
[ "$(jq -S .agents <<<"$got")" = "$(jq -S .agents <<<"$want")" ] ||
	fail "staged agents differ from the archive's remapped: $(diff <(jq -S .agents <<<"$want") <(jq -S .agents <<<"$got") | head -10)"
jq -e --arg s "$src" '[.agents | .. | strings | select(startswith($s))] == []' "$T/stg/state/openclaw.json" >/dev/null ||
	fail "the old state dir $src is still in the staged config's agent paths"
jq -e --argjson c "$(jq '.agents.defaults.model' "$pay/openclaw.json")" \
	'.chains[0] == {surface: "defaults", primary: $c.primary, fallbacks: $c.fallbacks}' <<<"$report" >/dev/null ||
	fail "report chain $(jq -c .chains <<<"$report"), the archive's config has $(jq -c .agents.defaults.model "$pay/openclaw.json")"
[ "$(jq -r .runtime_version <<<"$report")" = "$(jq -r .runtimeVersion "$T/x/$root/manifest.json")" ] ||
	fail "report runtime_version $(jq .runtime_version <<<"$report")"
jq -e --arg s "$src" '[.remaps[] | select(.where == "paths.stateDir")] == [{from: $s, to: "/srv/oc/state", where: "paths.stateDir"}]' <<<"$report" >/dev/null ||
	fail "report remaps: $(jq -c .remaps <<<"$report")"
! grep -qE 'sk-[A-Za-z0-9-]{12,}' <<<"$report" || fail "the report holds a key"
pass "import-stage: agents' paths remapped to /srv/oc (state, workspace), chain and runtime $(jq -r .runtime_version <<<"$report") as the archive's manifest and config say, no key in the report"

# the text form, with the archive's limits: one line per remap and per
# warning, the same ones as the report; and limits that refuse it
text=$("$BIN" import-stage "$FULL" --staging "$T/stg-text" --max-entries 1000 --max-bytes 100000000 \
	--max-file-bytes 50000000 --max-ratio 1000)
grep -qx "format: openclaw-backup (OpenClaw 2026.9.6)" <<<"$text" || fail "text: $text"
grep -qx "staged: $T/stg-text/state" <<<"$text" || fail "text: the staged dir: $text"
[ "$(grep -c '^remap: ' <<<"$text")" = "$(jq '.remaps | length' <<<"$report")" ] &&
	[ "$(grep -c '^warning: ' <<<"$text")" = "$(jq '.warnings | length' <<<"$report")" ] ||
	fail "text: $(grep -c '^remap: ' <<<"$text") remaps and $(grep -c '^warning: ' <<<"$text") warnings, the report has $(jq '.remaps | length' <<<"$report") and $(jq '.warnings | length' <<<"$report")"
set +e; out=$("$BIN" import-stage "$FULL" --staging "$T/stg-small" --max-entries 5 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && [ ! -e "$T/stg-small" ] && grep -qi "entries" <<<"$out" || fail "--max-entries 5: exit $rc: $out"
pass "import-stage text: format, staged dir, one line per remap and warning as in the report; --max-entries 5 refuses it"

# refused: not an archive; a member that climbs out; DIR must not exist
printf 'not a tarball\n' >"$T/junk.tar.gz"
set +e; out=$("$BIN" import-stage "$T/junk.tar.gz" --staging "$T/stg-junk" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && [ ! -e "$T/stg-junk" ] || fail "junk archive: exit $rc, staging left: $out"
mkdir -p "$T/evil/.openclaw"; echo '{}' >"$T/evil/.openclaw/openclaw.json"
tar -czf "$T/evil.tar.gz" -C "$T/evil" .openclaw --transform 's|^.openclaw/openclaw.json|.openclaw/../../../etc/x|'
set +e; out=$("$BIN" import-stage "$T/evil.tar.gz" --staging "$T/stg-evil" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && [ ! -e "$T/stg-evil" ] && grep -q '\.\.' <<<"$out" || fail "a member climbing out: exit $rc: $out"
set +e; out=$("$BIN" import-stage "$FULL" --staging "$T/stg" 2>&1); rc=$?; set -e
[ "$rc" != 0 ] && grep -qi "exist" <<<"$out" || fail "an existing staging dir: exit $rc: $out"
pass "import-stage refuses junk, a member with .., and an existing DIR (exit 1, nothing left)"
