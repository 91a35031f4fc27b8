#!/usr/bin/env bash
# A state dir that is a mount point (a container volume at ~/.openclaw):
# no rename moves it (EBUSY) and what sits beside it is another
# filesystem. Upgrades and imports swap it by contents, keep what they set
# aside inside it (.clawkeeper.*), and a rollback puts back every byte;
# so does the recovery after a kill between any two moves of a swap.
#   usage: mountpoint.sh CLAWKEEPER FIXTURES SRC_DIR
# Runs in a mount namespace of its own (unshare -m): the tmpfs is never
# seen outside it, and goes with it.
set -euo pipefail
if [ -z "${CK_IN_MOUNT_NS:-}" ]; then
	CK_IN_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

# The instance lib.sh laid out, moved onto a tmpfs mounted at the state dir.
cp -a "$S" "$T/state.orig"
mount -t tmpfs -o mode=0700,size=256m ck-state "$S"
cp -a "$T/state.orig/." "$S/"
unmount_then_cleanup() {
	local rc=$?
	umount -l "$S" 2>/dev/null || true
	set +e
	(exit "$rc")
	cleanup
}
trap unmount_then_cleanup EXIT
mountpoint -q "$S" || fail "the state dir is not a mount point"
if mv "$S" "$S.moved" 2>"$T/mv.err"; then fail "a rename moved the mount point"; fi
grep -q busy "$T/mv.err" || fail "rename of the mount point: $(cat "$T/mv.err"), not EBUSY"

# Every file under the state dir but what the agent keeps aside in it and
# the logs the gateway appends to.
tree_sha() {
	(cd "$S" && find . -path './.clawkeeper.*' -prune -o -type f ! -path './logs/*' ! -name '*.log' -print0 |
		sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
still_mounted() { mountpoint -q "$S" || fail "$1: the state dir is no longer the mount point"; }
post() { call --data "$1" -H 'Content-Type: application/json' POST "$2" | jq -r .id; }
upload() { call --data "@$1" -H 'Content-Type: application/gzip' POST /v1/imports | jq -r .id; }
FULL=$(ls "$FIX"/2026.9.6/backup/full/*.tar.gz)

start_serve || fail "serve did not start"

# --- an upgrade: the state set aside inside the mount, copies at the top
runs0=$(gateway_runs); before=$(tree_sha)
rec=$(wait_op "$(post '{"target_version":"2026.9.6"}' /v1/upgrades)")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "upgrade: $(jq -c '{state,result,steps}' <<<"$rec")"
[ "$(jq -r .restarts <<<"$rec")" = 1 ] && [ $(($(gateway_runs) - runs0)) = 1 ] || fail "upgrade: restarts $(jq .restarts <<<"$rec")"
kept=$(jq -r '.rollback.trees[0].kept' <<<"$rec")
[ "$kept" = "$S/.clawkeeper.pre-upgrade-$(jq -r .id <<<"$rec")" ] || fail "upgrade: kept at $kept"
[ "$( (cd "$kept" && find . -path './.clawkeeper.*' -prune -o -type f ! -path './logs/*' ! -name '*.log' -print0 |
	sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)" = "$before" ] || fail "upgrade: the tree kept aside is not the state before"
still_mounted upgrade
pass "upgrade on a mount-point state dir: succeeded, one restart, the old state kept untouched inside it at $(basename "$kept")"

# --- a failure at cutover: put back by contents, every byte as before
before=$(tree_sha); runs0=$(gateway_runs)
rec=$(wait_op "$(post '{"target_version":"2026.10.3"}' /v1/upgrades)")
[ "$(jq -r .state <<<"$rec")" = rolled_back ] || fail "broken cutover: $(jq -c '{state,result}' <<<"$rec")"
[ "$(tree_sha)" = "$before" ] || fail "broken cutover: files under the state dir changed"
aside=$(jq -r '.rollback.trees[0].aside' <<<"$rec")
[ -f "$aside/fake-doctor.log" ] || fail "broken cutover: what the new version wrote is not kept at $aside"
[ -z "$(ls -d "$S"/.clawkeeper.pre-upgrade-"$(jq -r .id <<<"$rec")"* 2>/dev/null)" ] || fail "broken cutover: the kept tree is still there"
still_mounted "broken cutover"
pass "failed cutover on a mount point: rolled_back, every file as before, the new version's state kept at $(basename "$aside")"

# --- an import: swapped by contents, the previous state kept inside
before=$(tree_sha)
rec=$(wait_op "$(upload "$FULL")")
id=$(jq -r .id <<<"$rec")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "import: $(jq -c '{state,result,steps}' <<<"$rec")"
[ "$(tree_sha)" != "$before" ] || fail "import: the state dir did not change"
prev=$S/.clawkeeper.pre-import-$id
[ "$( (cd "$prev" && find . -path './.clawkeeper.*' -prune -o -type f ! -path './logs/*' ! -name '*.log' -print0 |
	sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)" = "$before" ] || fail "import: $prev is not the state before"
[ -z "$(ls -d "$S"/.clawkeeper.import-* "$S"/.clawkeeper-import 2>/dev/null)" ] || fail "import: staging left: $(ls -a "$S")"
still_mounted import
pass "import on a mount point: succeeded, swapped by contents, the previous state kept at $(basename "$prev")"

# --- killed between two moves of a swap: the next agent puts every byte back
# (the import's install moves the live entries aside, then the staged
# ones in; the upgrade's set-aside moves the live entries into the kept
# tree; the hook kills after the Nth move)
n_live=$(find "$S" -mindepth 1 -maxdepth 1 ! -name '.clawkeeper.*' | wc -l)
kill_mid() { # what N body
	local pid id rec want=rolled_back
	stop_serve
	before=$(tree_sha)
	CK_TEST_MOVE_KILL_AFTER=$2 start_serve || fail "$1 #$2: serve did not start"
	pid=$SERVE_PID
	if [ "$1" = import ]; then id=$(upload "$FULL"); else id=$(post "$3" /v1/upgrades); fi
	await_hook_death "$pid" "$1 #$2: the agent"
	SERVE_PID=""
	start_serve || fail "$1 #$2: the agent did not come back"
	rec=$(wait_op "$id")
	[ "$(jq -r .state <<<"$rec")" = "$want" ] || fail "$1 killed after move $2: $(jq -c '{state,result}' <<<"$rec")"
	[ "$(tree_sha)" = "$before" ] || fail "$1 killed after move $2: the state dir differs from before"
	[ -z "$(ls -d "$S"/.clawkeeper.import-* "$S"/.clawkeeper.*.gone 2>/dev/null)" ] || fail "$1 #$2: left: $(ls -a "$S")"
	still_mounted "$1 #$2"
}
[ "$n_live" -ge 3 ] || fail "too few entries to kill between ($n_live live)"
for n in 1 $((n_live / 2)) "$n_live" $((n_live + 1)) $((n_live + 2)); do
	kill_mid import "$n"
done
pass "import killed after move 1, $((n_live / 2)), $n_live (the last live entry aside), $((n_live + 1)) and $((n_live + 2)) (staged ones in): rolled_back each time, every byte as before"
for n in 1 $((n_live - 1)) "$n_live"; do
	kill_mid upgrade "$n" '{"target_version":"2026.10.2","allow_downgrade":true}'
done
pass "upgrade killed after move 1, $((n_live - 1)) and $n_live of its set-aside: rolled_back each time, every byte as before"

# --- the next operation on that instance still succeeds
rec=$(wait_op "$(post '{"target_version":"2026.10.2","allow_downgrade":true}' /v1/upgrades)")
[ "$(jq -r .state <<<"$rec")" = succeeded ] || fail "after the kills: $(jq -c '{state,result}' <<<"$rec")"
still_mounted "after the kills"
pass "after the kills an upgrade succeeds on the mount point"
stop_serve
grep -q FAKE "$T/serve.log" && fail "a secret reached the agent log"
echo "mountpoint: all assertions passed"
