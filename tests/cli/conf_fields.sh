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

# every refusal names the field and why, and `config check` lists them all
printf '%064x' 7 >"$T/k.key"; chmod 600 "$T/k.key"
printf 'abcd\n' >"$T/short.key"; chmod 600 "$T/short.key"
printf '%064x' 7 >"$T/open.key"; chmod 644 "$T/open.key"
mkdir -p "$T/dir.key"
bad_conf() { # JQ-PATCH WANT
	jq "$1" <<<"$base" >"$T/c.json"; chmod 600 "$T/c.json"
	set +e; out=$("$BIN" config check "$T/c.json" 2>&1); rc=$?; set -e
	[ "$rc" = 1 ] && grep -qF -- "$2" <<<"$out" || fail "config with $1: exit $rc: $out (want '$2')"
	nbad=$((nbad + 1))
}
nbad=0
bad_conf '.listen = "unix:relative.sock"' "listen: unix socket path must be absolute"
bad_conf '.listen = "127.0.0.1:99999"' 'listen: bad port in "127.0.0.1:99999"'
bad_conf '.listen = "nocolon"' 'listen: expected host:port or unix:/path, got "nocolon"'
bad_conf '.tls = "yes"' "tls: expected an object"
bad_conf '.tls = {cert: "/c.pem"}' "tls: cert and key go together"
bad_conf '.tls = {client_ca: "/ca.pem"}' "tls.client_ca: needs tls.cert and tls.key"
bad_conf '.tls = {cert: ""}' "tls.cert: expected a non-empty path"
bad_conf ".hmac_keys = [{id: \"a\", file: \"$T/k.key\"}, {id: \"b\", file: \"$T/k.key\"}, {id: \"c\", file: \"$T/k.key\"}]" \
	"hmac_keys: expected an array of at most 2 keys"
bad_conf '.hmac_keys = ["x"]' "hmac_keys[0]: expected an object"
bad_conf '.hmac_keys = [{id: "a"}]' "hmac_keys[0]: needs id and file"
bad_conf ".hmac_keys = [{id: \"a\", file: \"$T/k.key\"}, {id: \"a\", file: \"$T/k.key\"}]" 'hmac_keys[1].id: duplicate key id "a"'
bad_conf ".hmac_keys = [{id: \"a\", file: \"$T/short.key\"}]" "expected 64 to 128 hex digits"
bad_conf ".hmac_keys = [{id: \"a\", file: \"$T/open.key\"}]" "key files must be 0600"
bad_conf ".hmac_keys = [{id: \"a\", file: \"$T/dir.key\"}]" "not a regular file"
bad_conf ".hmac_keys = [{id: \"a\", file: \"$T/none.key\"}]" "No such file or directory"
bad_conf '.tokens = "t"' "tokens: expected an array of at most 64 tokens"
bad_conf '.tokens = [7]' "tokens[0]: expected an object"
bad_conf '.tokens = [{sha256: ("0" * 64), scope: "read"}]' "tokens[0].name: required"
bad_conf '.tokens = [{name: "t", sha256: "ABC", scope: "read"}]' "tokens[0].sha256: expected 64 lowercase hex digits"
bad_conf '.tokens = [{name: "t", sha256: ("0" * 64), scope: "admin"}]' 'tokens[0].scope: expected "read" or "operate"'
bad_conf '.tokens = []' "hmac_keys, tokens: none configured"
bad_conf '.instance = []' "instance: expected an object"
bad_conf '.instance = {config_path: "/x.json"}' "instance.state_dir: required"
bad_conf 'del(.instance)' "instance: required (instance.state_dir at least)"
bad_conf '.refresh_interval_s = 0' "refresh_interval_s: expected an integer 1..86400"
bad_conf '.operations = {install: "npm i openclaw"}' "operations.install: expected a command template containing {version}"
bad_conf '.operations = {drill: "yes"}' "operations.drill: expected true or false"
bad_conf '.gateway = {driver: "docker"}' 'gateway.driver: expected "supervise", "systemd" or "exec"'
bad_conf '.gateway = {watch: {burst: 0}}' "gateway.watch.burst: expected an integer 1..64"
printf '{"instance": {"state_dir": "/tmp"},' >"$T/c.json"; chmod 600 "$T/c.json"
set +e; out=$("$BIN" config check "$T/c.json" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -qE "c\.json:1:[0-9]+: " <<<"$out" || fail "malformed JSON: exit $rc: $out"
printf '[1]' >"$T/c.json"; chmod 600 "$T/c.json"
set +e; out=$("$BIN" config check "$T/c.json" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -qF "agent config: expected a JSON object" <<<"$out" || fail "a non-object config: exit $rc: $out"
jq '.tokens = [] | .tls = {cert: "/c.pem"} | .limits = {max_body_bytes: 0}' <<<"$base" >"$T/c.json"; chmod 600 "$T/c.json"
set +e; out=$("$BIN" config check "$T/c.json" 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && [ "$(grep -c . <<<"$out")" -ge 2 ] || fail "several problems: exit $rc, want each named: $out"
echo "ok: $nbad bad configs each refused with the field and the reason; malformed JSON with line and column; several problems listed at once"
