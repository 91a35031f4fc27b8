#!/usr/bin/env bash
# The route table (api/routes.c) is the contract's source: api/openapi.yaml
# documents exactly its (method, path) pairs, with `security: []` on the
# open route(s) only, and docs/api.md's route table lists the same pairs
# with the same scopes.
#   usage: api_routes.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
SRC=$3
fail() { echo "FAIL: $*"; exit 1; }

# "METHOD path scope" from the table
routes=$(perl -0777 -ne 'while (/\{\s*"(GET|PUT|POST|DELETE|PATCH)",\s*"([^"]+)",\s*\w+,\s*CK_SCOPE_(\w+)/g) { print "$1 $2 \L$3\n" }' \
	"$SRC/api/routes.c" | sed 's/ none$/ open/' | sort)
[ "$(wc -l <<<"$routes")" -ge 10 ] || fail "the scan of api/routes.c found $(wc -l <<<"$routes") routes: the pattern broke"

# "METHOD path open|auth" from the spec: paths at indent 2, methods at 4,
# an operation's own `security: []` at 6
spec=$(awk '
	function flush() { if (m != "") print toupper(m), p, (open ? "open" : "auth"); m = "" }
	/^  \/[^ ]*:$/ { flush(); p = substr($1, 1, length($1) - 1); next }
	/^    (get|put|post|delete|patch):$/ { flush(); m = substr($1, 1, length($1) - 1); open = 0; next }
	/^      security: \[\]$/ { open = 1; next }
	/^[a-z]/ { flush(); p = "" }
	END { flush() }' "$SRC/api/openapi.yaml" | sort)
diff <(awk '{print $1, $2}' <<<"$routes") <(awk '{print $1, $2}' <<<"$spec") >/dev/null || {
	diff <(awk '{print $1, $2}' <<<"$routes") <(awk '{print $1, $2}' <<<"$spec") | sed 's/^</routes.c:/; s/^>/openapi:/' || true
	fail "api/openapi.yaml's paths differ from the route table"
}
diff <(awk '{print $1, $2, ($3 == "open" ? "open" : "auth")}' <<<"$routes") <(printf '%s\n' "$spec") >/dev/null ||
	fail "open routes differ: table $(awk '$3 == "open"' <<<"$routes" | tr '\n' ';'), spec $(awk '$3 == "open"' <<<"$spec" | tr '\n' ';')"
echo "ok: api/openapi.yaml documents exactly the $(wc -l <<<"$routes") routes of api/routes.c, open ones marked security: []"

# docs/api.md: | METHOD | `path[?query]` | scope | ...
docs=$(sed -n 's/^| \(GET\|PUT\|POST\|DELETE\|PATCH\) | `\([^`[]*\)[^`]*` | \([a-z]*\) |.*/\1 \2 \3/p' "$SRC/docs/api.md" | sort)
if [ "$docs" != "$routes" ]; then
	diff <(printf '%s\n' "$routes") <(printf '%s\n' "$docs") | sed 's/^</routes.c:/; s/^>/docs:/' || true
	fail "docs/api.md's route table differs from api/routes.c (method, path, scope)"
fi
echo "ok: docs/api.md's route table has the same $(wc -l <<<"$docs") routes and scopes"

# Every route has its command: docs/api.md's command column names one
# the binary knows (its --help exits 0), for every row.
BIN=$1
missing=$(sed -n 's/^| \(GET\|PUT\|POST\|DELETE\|PATCH\) | `\([^`]*\)` | [a-z]* | \(.*\)$/\2 \3/p' "$SRC/docs/api.md" |
	awk '$2 !~ /^`clawkeeper/ {print $1}')
[ -z "$missing" ] || fail "docs/api.md: routes with no command: $missing"
n=0
while read -r cmd; do
	# shellcheck disable=SC2086
	"$BIN" $cmd --help >/dev/null 2>&1 || fail "docs/api.md names '$cmd', and '$BIN $cmd --help' fails"
	n=$((n + 1))
done < <(sed -n 's/^| \(GET\|PUT\|POST\|DELETE\|PATCH\) | `[^`]*` | [a-z]* | `clawkeeper \([^`]*\)` |.*/\2/p' "$SRC/docs/api.md")
[ "$n" = "$(wc -l <<<"$routes")" ] || fail "docs/api.md: $n commands for $(wc -l <<<"$routes") routes"
echo "ok: each of the $n routes names a command the binary has"
