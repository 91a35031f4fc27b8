#!/usr/bin/env bash
# The fleet rollout playbook (deploy/ansible/rollout.yml) run by real
# Ansible against 20 real agents on loopback, each with its own fake
# instance; some instances' target release fails verification, so their
# upgrade ends rolled_back. What each agent did is read back from its own
# operations journal, not from Ansible's output.
#   usage: rollout.sh CLAWKEEPER FIXTURES SRC_DIR
# Exit 77 (skipped) when Ansible is missing and apt cannot install it.
set -euo pipefail
BIN=$(readlink -f "$1"); FIX=$(readlink -f "$2")/openclaw; SRC=$(readlink -f "$3")
FAKE=$SRC/tests/fake-openclaw/openclaw
PLAYBOOK=$SRC/deploy/ansible/rollout.yml
N=20
TARGET=2026.9.6

if ! command -v ansible-playbook >/dev/null 2>&1; then
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y ansible >/tmp/ck-deploy-apt.log 2>&1 ||
	    ! command -v ansible-playbook >/dev/null 2>&1; then
		echo "SKIPPED: ansible-playbook is missing and 'apt-get install -y ansible' failed" \
		     "(see /tmp/ck-deploy-apt.log)"
		exit 77
	fi
fi
for tool in jq curl node; do
	command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is missing"; exit 77; }
done

T=$(mktemp -d /tmp/ck-rollout-XXXXXX)
# shellcheck source=tests/deploy/fleet.sh
. "$SRC/tests/deploy/fleet.sh"
cleanup() { fleet_stop; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -n "${LAST_LOG:-}" ] && tail -n 40 "$LAST_LOG"; exit 1; }
pass() { echo "ok: $*"; }

# Waves for 20 hosts with serial [1, 10%, 25%, 100%]: 1, 2, 5, the other 12.
WAVE1="01"; WAVE2="02 03"; WAVE3="04 05 06 07 08"
WAVE4="09 10 11 12 13 14 15 16 17 18 19 20"
ALL="$WAVE1 $WAVE2 $WAVE3 $WAVE4"

# Failing targets from the start: the canary, two hosts of wave 3 (2 of 5
# = 40%, over the default 20% budget) and one of wave 4 (1 of 12, within).
fleet_setup "$N" "01 05 07 15"
fleet_start "$N" || fail "the fleet did not start"
pass "$N agents listening on loopback, each with its own fake instance and gateway"

{
	echo "all:"
	echo "  children:"
	echo "    agents:"
	echo "      vars:"
	echo "        clawkeeper_token_file: $T/operate.token"
	echo "      hosts:"
	for i in $ALL; do
		echo "        ck$i:"
		echo "          clawkeeper_url: http://127.0.0.1:$(cat "$T/a$i/api.port")"
	done
} >"$T/inventory.yml"

export ANSIBLE_CONFIG=$SRC/deploy/ansible/ansible.cfg
export ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_HOME=$T/ansible-home

# playbook NAME [ansible-playbook args...]: runs it, RC and SECS set.
playbook() {
	local name=$1 t0 t1
	shift
	LAST_LOG=$T/run-$name.log
	t0=$(date +%s%N)
	RC=0
	ansible-playbook -i "$T/inventory.yml" "$PLAYBOOK" -e target_version=$TARGET \
		-e rollout_poll_delay_s=1 "$@" >"$LAST_LOG" 2>&1 || RC=$?
	t1=$(date +%s%N)
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	echo "   ($name: ansible-playbook exit $RC, wall time ${SECS}s)"
	if grep -qF "$FLEET_TOKEN" "$LAST_LOG"; then
		fail "$name: the bearer token appears in Ansible's output"
	fi
}

# Upgrade operations of host i made by rollout r: "id state created_at" lines.
ops_of() { # i rollout
	fleet_get "$1" /v1/operations | jq -r --arg k "rollout-$2-ck$1" \
		'.operations[] | select(.kind == "upgrade" and .idempotency_key == $k)
		 | "\(.id) \(.state) \(.created_at)"'
}
n_upgrades() { fleet_get "$1" /v1/operations | jq '[.operations[] | select(.kind == "upgrade")] | length'; }
all_op_ids() { local i; for i in $ALL; do echo "$i $(fleet_get "$i" /v1/operations | jq -c '[.operations[].id] | sort')"; done; }
version_of() { fleet_get "$1" '/v1/instance/health?refresh=1' | jq -r .version; }
current_of() { readlink "$T/a$1/releases/current"; }

# --- plan only: every host answers, nothing is touched
playbook plan -e plan_only=true
[ "$RC" = 0 ] || fail "plan-only run exited $RC"
for i in $ALL; do
	grep -q "PLAN ck$i: 2026.6.1 -> $TARGET" "$LAST_LOG" || fail "plan: no plan line for ck$i"
	[ "$(n_upgrades "$i")" = 0 ] || fail "plan: ck$i has an upgrade operation"
	[ "$(current_of "$i")" = 2026.6.1 ] || fail "plan: ck$i current -> $(current_of "$i")"
done
grep -q "agents.defaults.model.fallbacks add" "$LAST_LOG" || fail "plan: the config change is not shown"
pass "plan_only=true: all $N hosts printed their plan and diff; no operation anywhere"

# --- (a) a failing canary stops the rollout before any other host is touched
# (at -vvv, where Ansible prints every module's arguments and results, the
# token must still not show)
playbook canary-fails -e rollout_id=a -vvv
grep -q "Idempotency-Key" "$LAST_LOG" ||
	fail "-vvv output shows no request headers: the token check would prove nothing"
[ "$RC" != 0 ] || fail "a failing canary: ansible-playbook exited 0"
[ "$(ops_of 01 a | awk '{print $2}')" = rolled_back ] || fail "canary: $(ops_of 01 a)"
[ "$(current_of 01)" = 2026.6.1 ] || fail "canary: current -> $(current_of 01) after a rollback"
for i in $WAVE2 $WAVE3 $WAVE4; do
	[ "$(n_upgrades "$i")" = 0 ] || fail "canary failed but ck$i has an upgrade: $(fleet_get "$i" /v1/operations | jq -c .)"
	[ "$(current_of "$i")" = 2026.6.1 ] || fail "canary failed but ck$i current -> $(current_of "$i")"
	grep -q '^config validate' "$T/a$i/openclaw-calls.log" 2>/dev/null &&
		fail "canary failed but ck$i's openclaw ran config validate"
done
pass "(a) the canary rolled back; the rollout stopped there: the other $((N - 1)) hosts have no operation; token not in -vvv output"

# --- (b) a healthy canary: waves in order, stop when the budget is spent
fleet_set_failing 01 0
playbook budget -e rollout_id=b
[ "$RC" != 0 ] || fail "error budget spent: ansible-playbook exited 0"
prev_max=""
for w in "$WAVE1" "$WAVE2" "$WAVE3"; do
	wmin=""; wmax=""
	for i in $w; do
		rec=$(ops_of "$i" b)
		[ "$(wc -l <<<"$rec")" = 1 ] && [ -n "$rec" ] || fail "budget: ck$i has ops '$rec' for rollout b"
		read -r _ state at <<<"$rec"
		want=succeeded; case "$i" in 05|07) want=rolled_back ;; esac
		[ "$state" = "$want" ] || fail "budget: ck$i upgrade $state, want $want"
		{ [ -z "$wmin" ] || [[ "$at" < "$wmin" ]]; } && wmin=$at
		{ [ -z "$wmax" ] || [[ "$at" > "$wmax" ]]; } && wmax=$at
	done
	[ -z "$prev_max" ] || [[ "$prev_max" < "$wmin" ]] ||
		fail "budget: wave [$w] started at $wmin, before the previous wave's last start $prev_max"
	echo "   wave [$w]: created $wmin .. $wmax"
	prev_max=$wmax
done
for i in $WAVE4; do
	[ "$(n_upgrades "$i")" = 0 ] || fail "budget spent in wave 3 but ck$i (wave 4) has an upgrade"
done
for i in 01 02 03 04 06 08; do
	[ "$(version_of "$i")" = "$TARGET" ] || fail "budget: ck$i reports $(version_of "$i")"
done
pass "(b) waves 1, 2, 3 ran in order (created_at); 2 of 5 failed in wave 3 (> 20%) and wave 4 was never touched"

# --- (c) the same rollout again: finished hosts skipped, no new operation
before=$(all_op_ids)
playbook budget-rerun -e rollout_id=b
[ "$RC" != 0 ] || fail "re-run of b: exited 0 though ck05/ck07 still failed"
[ "$(all_op_ids)" = "$before" ] || fail "re-run of b created operations: $(diff <(echo "$before") <(all_op_ids) || true)"
for i in 01 02 03 04 06 08; do
	grep -q "SKIP ck$i: already on $TARGET" "$LAST_LOG" || fail "re-run: ck$i not reported as skipped"
done
pass "(c) re-running rollout b: 6 hosts skipped as already on $TARGET, ck05/ck07 got their rolled_back operation back (Idempotency-Key); no new operation on any host"

# --- the fixed fleet: a new rollout finishes; 1 failure of 12 is within budget
fleet_set_failing 05 0; fleet_set_failing 07 0
playbook full -e rollout_id=d
FULL_SECS=$SECS
[ "$RC" != 0 ] || fail "rollout d: exited 0 though ck15 rolled back"
for i in $ALL; do
	if [ "$i" = 15 ]; then
		[ "$(ops_of 15 d | awk '{print $2}')" = rolled_back ] || fail "d: ck15 $(ops_of 15 d)"
		[ "$(version_of 15)" = 2026.6.1 ] || fail "d: ck15 reports $(version_of 15)"
		continue
	fi
	[ "$(version_of "$i")" = "$TARGET" ] || fail "d: ck$i reports $(version_of "$i")"
done
for i in 01 02 03 04 06 08; do
	[ -z "$(ops_of "$i" d)" ] || fail "d: ck$i was already on the target but got $(ops_of "$i" d)"
done
pass "(b') rollout d: 1 of 12 failed in the last wave (within 20%), the wave finished: 19 hosts on $TARGET, ck15 rolled back"

before=$(all_op_ids)
playbook full-rerun -e rollout_id=d
[ "$(all_op_ids)" = "$before" ] || fail "re-run of d created operations"
[ "$(grep -c "SKIP ck[0-9]*: already on $TARGET" "$LAST_LOG")" = 19 ] ||
	fail "re-run of d: $(grep -c "SKIP ck" "$LAST_LOG") hosts skipped, want 19"
pass "(c') re-running rollout d: 19 hosts skipped, no new operation on any host"

fleet_stop
for i in $ALL; do
	grep -q FAKE "$T/a$i/serve.log" && fail "a secret reached agent ck$i's log"
done
echo "rollout wall time: ${FULL_SECS}s for the full rollout over $N agents (ansible-playbook, waves 1/10%/25%/rest)"
echo "rollout: all assertions passed"
