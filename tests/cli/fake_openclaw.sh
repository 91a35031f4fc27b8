#!/usr/bin/env bash
# The fake openclaw (tests/fake-openclaw) against what the real releases
# printed (../shared/fixtures/openclaw/<v>/config-json5): `config validate
# --json` of the same invalid JSON5 file gives the same document (issues,
# messages, 9.6's wrapper), path aside; a valid config passes. The real
# tier (tests/e2e/real/expected.sh) runs the fake beside the installed
# releases for the rest (every generator case, every surface).
#   usage: fake_openclaw.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
FIX=$(readlink -f "$2")/openclaw; SRC=$(readlink -f "$3")
FAKE=$SRC/tests/fake-openclaw/openclaw
fail() { echo "FAIL: $*"; exit 1; }
for v in 2026.5.28 2026.6.1 2026.9.6; do
	d=$FIX/$v/config-json5
	set +e
	got=$(FAKE_OPENCLAW_VERSION=$v OPENCLAW_CONFIG_PATH=$d/openclaw-invalid.json5 "$FAKE" config validate --json 2>/dev/null)
	rc=$?
	set -e
	want_rc=$(awk -F'\t' '$1 == "openclaw-invalid.validate-json" {print $2}' "$d/exitcodes.tsv")
	[ "$rc" = "${want_rc:-1}" ] || fail "$v: the fake's config validate exits $rc, the real one ${want_rc:-1}"
	norm='del(.path) | if .error then .error.message |= sub(": .*"; "") else . end'
	if [ "$(jq -S "$norm" <<<"$got")" != "$(jq -S "$norm" "$d/openclaw-invalid.validate-json.stdout")" ]; then
		diff <(jq -S "$norm" "$d/openclaw-invalid.validate-json.stdout") <(jq -S "$norm" <<<"$got") || true
		fail "$v: the fake's config validate --json differs from the real one's"
	fi
	echo "ok: $v: the fake's config validate --json of openclaw-invalid.json5 is the real one's ($(jq -c '[.issues[].path]' <<<"$got"), exit $rc)"
done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
jq '.logging.file = "/tmp/x.log"' "$FIX/2026.6.1/config/openclaw.json" >"$T/ok.json"
FAKE_OPENCLAW_VERSION=2026.6.1 OPENCLAW_CONFIG_PATH=$T/ok.json "$FAKE" config validate --json | jq -e '.valid == true' >/dev/null ||
	fail "the real 6.1 config is refused by the fake"
echo "ok: the real 2026.6.1 config passes the fake's config validate"
