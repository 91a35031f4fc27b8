#!/usr/bin/env bash
# Every command the binary lists answers --help with its usage on stdout
# (exit 0), refuses an unknown option with its usage on stderr (exit 64),
# and the binary itself: no command, an unknown one, --version.
#   usage: usage.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1")
fail() { echo "FAIL: $*"; exit 1; }
set +e
out=$("$BIN" 2>&1); rc=$?
set -e
[ "$rc" = 64 ] && grep -q "^usage: clawkeeper <command>" <<<"$out" || fail "no command: exit $rc: $out"
set +e
out=$("$BIN" frobnicate 2>&1); rc=$?
set -e
[ "$rc" = 64 ] && grep -q "unknown command 'frobnicate'" <<<"$out" || fail "an unknown command: exit $rc: $out"
[ "$("$BIN" --version)" = "$("$BIN" version)" ] && grep -qE '^clawkeeper [0-9]+\.[0-9]+\.[0-9]+$' <<<"$("$BIN" --version)" ||
	fail "--version: $("$BIN" --version)"
cmds=$("$BIN" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ "$(wc -l <<<"$cmds")" -ge 15 ] || fail "--help lists $(wc -l <<<"$cmds") commands: $cmds"
n=0
for c in $cmds; do
	# settings and operations take a verb first
	case $c in settings) pre=(settings get) ;; operations) pre=(operations list) ;; *) pre=("$c") ;; esac
	set +e
	out=$("$BIN" "${pre[@]}" --help 2>/dev/null); rc=$?
	set -e
	[ "$rc" = 0 ] && grep -qi "usage: clawkeeper $c" <<<"$out" || fail "$c --help: exit $rc: $out"
	set +e
	err=$("$BIN" "${pre[@]}" --no-such-option 2>&1 >/dev/null); rc=$?
	set -e
	[ "$rc" = 64 ] || fail "$c --no-such-option: exit $rc, want 64: $err"
	n=$((n + 1))
done
echo "ok: $n commands each answer --help (exit 0, their usage) and refuse an unknown option (exit 64); no command and an unknown one exit 64"
