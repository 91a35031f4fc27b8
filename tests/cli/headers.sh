#!/usr/bin/env bash
# The header layout: include/clawkeeper/ holds one public header per
# module, each named after a source file of common/, agent/ or api/ (or
# the module it fronts: api.h for api/server.c, ollama.h for
# agent/ollama_list.c) and included from outside that file; a header
# beside the sources (agent/, api/, cli/) is private and its first comment
# says so.
#   usage: headers.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
SRC=$(readlink -f "$3"); cd "$SRC"
fail() { echo "FAIL: $*"; exit 1; }
declare -A fronts=([api]=api/server.c [ollama]=agent/ollama_list.c)
n=0
for h in include/clawkeeper/*.h; do
	b=$(basename "$h" .h)
	own=${fronts[$b]:-}
	for d in common agent api; do
		[ -n "$own" ] || { [ -f "$d/$b.c" ] && own=$d/$b.c; } || true
	done
	[ -n "$own" ] || fail "$h: no module of that name in common/, agent/ or api/"
	users=$(grep -l "clawkeeper/$b.h\"" common/*.c agent/*.c api/*.c cli/*.c api/*.h agent/*.h cli/*.h include/clawkeeper/*.h \
		tests/unit/*.c tests/api/*.c tests/fuzz/*.c bench/*.c 2>/dev/null | grep -vx "$own" | grep -vx "$h" || true)
	# public headers include each other by bare name
	[ -n "$users" ] || users=$(grep -l "#include \"$b.h\"" include/clawkeeper/*.h | grep -vx "$h" || true)
	[ -n "$users" ] || fail "$h: only $own includes it: a private header belongs beside its source"
	n=$((n + 1))
done
p=0
for h in agent/*.h api/*.h cli/*.h; do
	head -2 "$h" | grep -qi "private" || fail "$h: a header beside the sources must say it is private in its first comment"
	p=$((p + 1))
done
echo "ok: $n public headers in include/clawkeeper/, each a module's and included beyond it; $p private headers beside their sources, each saying so"
