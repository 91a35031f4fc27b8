#!/usr/bin/env bash
# The API's error codes: the table in docs/api.md is exactly the set of
# codes the sources send (ck_reply_error, and the two built by hand:
# unauthorized beside forbidden in auth.c, method_not_allowed in
# server.c), each with the status the sources send it with.
#   usage: api_errors.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
SRC=$3
fail() { echo "FAIL: $*"; exit 1; }

doc=$(sed -n '/^<!-- errors: begin/,/^<!-- errors: end/p' "$SRC/docs/api.md" |
	sed -n 's/^| `\([a-z_0-9]*\)` | \([0-9 /]*\) |.*/\1 \2/p' | sed 's/ *$//' | sort)
[ "$(wc -l <<<"$doc")" -ge 20 ] || fail "docs/api.md's error table has $(wc -l <<<"$doc") rows: not found or broken"
# code status, for every literal status (a variable status, as in auth.c's
# deny, is listed by hand below).
sent=$( {
	perl -0777 -ne 'while (/ck_reply_error\(\s*[^,]+,\s*(\d+),\s*"([a-z_0-9]+)"/g) { print "$2 $1\n" }' "$SRC"/api/*.c
	perl -0777 -ne 'print "forbidden 403\nunauthorized 401\n" if /status == 403 \? "forbidden" :\s*"unauthorized"/' "$SRC"/api/auth.c
	perl -0777 -ne 'print "method_not_allowed 405\n" if /\\"method_not_allowed\\"/' "$SRC"/api/server.c
} | sort -u)
# one row per code: several statuses joined by " / " in status order
sent=$(awk '{ if ($1 in s) s[$1] = s[$1] " / " $2; else s[$1] = $2 } END { for (c in s) print c, s[c] }' <<<"$sent" | sort)
grep -q '^unauthorized 401$' <<<"$sent" && grep -q '^method_not_allowed 405$' <<<"$sent" ||
	fail "the scan of auth.c/server.c no longer finds unauthorized/method_not_allowed: update it"
if [ "$doc" != "$sent" ]; then
	diff <(printf '%s\n' "$doc") <(printf '%s\n' "$sent") | sed 's/^</docs:/; s/^>/code:/' || true
	fail "docs/api.md's error codes differ from the ones the sources send"
fi
echo "ok: the $(wc -l <<<"$sent") error codes docs/api.md lists are exactly the ones the API sends, with their statuses"
