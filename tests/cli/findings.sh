#!/usr/bin/env bash
# One registry of finding codes (common/finding.c): the README's table is
# exactly what `clawkeeper findings --markdown` prints, every code the
# sources emit (ck_finding_add, config_health's add, the plan's plan_add)
# is registered, and every registered code is emitted somewhere.
#   usage: findings.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$1 SRC=$3
fail() { echo "FAIL: $*"; exit 1; }

table=$("$BIN" findings --markdown)
readme=$(sed -n '/^<!-- findings: begin/,/^<!-- findings: end/p' "$SRC/README.md" | sed '1d;$d')
[ -n "$readme" ] || fail "README.md has no findings block"
if [ "$readme" != "$table" ]; then
	diff <(printf '%s\n' "$readme") <(printf '%s\n' "$table") | head -20 || true
	fail "README.md's finding table differs from the registry (clawkeeper findings --markdown)"
fi
echo "ok: README's finding table is the registry's ($(grep -c '^| `' <<<"$table") codes)"

registered=$("$BIN" findings --json | jq -r '.[].code' | sort)
[ "$(uniq -d <<<"$registered")" = "" ] || fail "codes registered twice: $(uniq -d <<<"$registered")"
# The first ALL_CAPS literal of each call that adds one.
emitted=$(perl -0777 -ne 'while (/\b(?:ck_finding_add|plan_add|add)\((?:[^;"]|"(?:[^"\\]|\\.)*"(?=[^;]))*?"([A-Z][A-Z0-9]*[A-Z0-9_]{2,})"/g) { print "$1\n" }' \
	"$SRC"/agent/*.c "$SRC"/api/*.c "$SRC"/common/*.c "$SRC"/cli/*.c | sort -u)
[ "$(wc -l <<<"$emitted")" -ge 30 ] || fail "the source scan found only $(wc -l <<<"$emitted") codes: the pattern broke"
unregistered=$(comm -23 <(printf '%s\n' "$emitted") <(printf '%s\n' "$registered"))
[ -z "$unregistered" ] || fail "emitted but not registered: $unregistered"
unused=$(comm -13 <(printf '%s\n' "$emitted") <(printf '%s\n' "$registered"))
[ -z "$unused" ] || fail "registered but never emitted: $unused"
echo "ok: the $(wc -l <<<"$emitted") codes the sources emit are exactly the registered ones"
