#!/usr/bin/env bash
# clawkeeper.json(5) documents exactly the fields the agent's config
# reader knows: `clawkeeper config fields --json` prints the reader's own
# tables (common/conftable.c), and each field (section.key) must be a
# documented term of docs/man/clawkeeper.json.5 and the reverse; bounds
# and defaults printed by the reader must appear in the field's text.
# An unknown field in a config is refused, naming its path.
#   usage: conf_fields.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1"); SRC=$(readlink -f "$3")
MAN=$SRC/docs/man/clawkeeper.json.5
fail() { echo "FAIL: $*"; exit 1; }
fields=$("$BIN" config fields --json)
# a field other fields sit under (tls, hmac_keys, gateway.watch) is a
# section of the page, not a term
table=$(jq -r '[.[].path] as $all | $all[] | select(. as $p |
	[$all[] | select(startswith($p + ".") or startswith($p + "[]."))] | length == 0)' <<<"$fields" | sort)
# terms of the man page: the word(s) after each .TP, prefixed by their .SH
man=$(awk '
	/^\.SH / { sec = $2; if (sec == "TOP-LEVEL") sec = ""; if (sec == "hmac_keys" || sec == "tokens") sec = sec "[]"; next }
	/^\.TP/ { tp = 1; next }
	tp && /^\.BR? / {
		line = $0; sub(/^\.BR? /, "", line); gsub(/"[^"]*"/, " ", line)
		n = split(line, w, /[ ,]+/)
		for (i = 1; i <= n; i++) if (w[i] ~ /^[a-z_][a-z0-9_.]*$/) {
			t = w[i]; if (sec != "" && index(t, sec ".") != 1 && index(t, ".") == 0) t = sec "." t
			else if (sec != "" && index(t, ".") == 0) t = sec "." t
			print t
		}
		tp = 0; next }
	{ tp = 0 }' "$MAN" | sort -u)
missing=$(comm -23 <(printf '%s\n' "$table") <(printf '%s\n' "$man"))
extra=$(comm -13 <(printf '%s\n' "$table") <(printf '%s\n' "$man"))
[ -z "$missing" ] || fail "fields the reader knows that clawkeeper.json(5) does not document: $(tr '\n' ' ' <<<"$missing")"
[ -z "$extra" ] || fail "fields clawkeeper.json(5) documents that the reader does not know: $(tr '\n' ' ' <<<"$extra")"
echo "ok: clawkeeper.json(5) documents exactly the $(wc -l <<<"$table") fields of the reader's tables"

# each integer field's text gives the reader's bounds and default
texts=$(awk '
	function flush() { if (term != "") { gsub(/\\-/, "-", body); print term "\t" body } term = ""; body = "" }
	/^\.SH / { flush(); sec = $2; if (sec == "TOP-LEVEL") sec = ""; next }
	/^\.TP/ { flush(); tp = 1; next }
	tp && /^\.BR? / { line = $0; sub(/^\.BR? /, "", line); split(line, w, /[ ",]+/);
		term = (sec != "" && index(w[1], ".") == 0) ? sec "." w[1] : w[1]; tp = 0; next }
	{ tp = 0; if (term != "") body = body " " $0 }
	END { flush() }' "$MAN")
n=0
while IFS=$'\t' read -r path lo hi dflt; do
	text=$(awk -F'\t' -v p="$path" '$1 == p {print $2}' <<<"$texts")
	grep -qF "$lo..$hi" <<<"$text" || fail "clawkeeper.json(5), $path: the reader's bounds $lo..$hi are not in its text: $text"
	if [[ $dflt =~ ^[0-9]+$ ]]; then
		grep -qF "default $dflt" <<<"$text" || fail "clawkeeper.json(5), $path: the reader's default $dflt is not in its text: $text"
	fi
	n=$((n + 1))
done < <(jq -r '.[] | select(.type == "integer") | [.path, .min, .max, (.default | tostring)] | @tsv' <<<"$fields")
echo "ok: the $n integer fields' bounds and defaults in clawkeeper.json(5) are the reader's"

# an unknown field, anywhere, is refused with its path
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
base='{"tokens": [{"name": "t", "sha256": "'"$(printf x | sha256sum | cut -d' ' -f1)"'", "scope": "read"}], "instance": {"state_dir": "/tmp"}}'
for patch in '.limits = {max_bodybytes: 1}' '.gateway = {drivr: "exec"}' '.gateway = {watch: {intervl_ms: 5}}' \
	'.operations = {dril: true}' '.instance.stat_dir = "/x"'; do
	jq "$patch" <<<"$base" >"$T/c.json"; chmod 600 "$T/c.json"
	set +e; out=$("$BIN" config check "$T/c.json" 2>&1); rc=$?; set -e
	key=$(jq -r "$patch | paths(scalars) | map(tostring) | join(\".\")" <<<'{}' | tail -1)
	[ "$rc" = 1 ] && grep -qF "$key: unknown field" <<<"$out" || fail "config with $patch: exit $rc: $out (want '$key: unknown field')"
done
echo "ok: an unknown field in limits, gateway, gateway.watch, operations or instance is refused with its path"
