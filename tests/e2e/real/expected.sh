#!/usr/bin/env bash
# The generator's expected outputs, checked by the real OpenClaw: for each
# tests/fixtures/generate/<case>/, the target version's own `config
# validate` accepts expected.json byte for byte, and its `models status
# --json` (with --agent for each agent) reads exactly the chain the case's
# `chains` file says the settings ask for, on every surface. expected.json
# is the unit test's (test_generate.c); `chains` is written by hand from
# the settings, so a config OpenClaw reads otherwise than the generator
# meant fails here. The fake openclaw of the fast tier is run beside each
# release on the same files (and on the files changed in ways some
# versions refuse): it must accept, refuse and read exactly as the real
# one does.
#   tests/e2e/real/expected.sh CLAWKEEPER_BIN [SRC_DIR]
# Exits 77 with "SKIPPED: ..." when the npm registry is unreachable.
set -uo pipefail
src=$(readlink -f "${2:-$(dirname "$0")/../../..}")
cache=${CK_OPENCLAW_CACHE:-/var/cache/clawkeeper/openclaw}
work=$(mktemp -d /tmp/ck-e2e-expected.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/e2e/real/lib.sh
. "$src/tests/e2e/real/lib.sh"
suite_t0=$(date +%s)
cases=$src/tests/fixtures/generate

# the JSON document of a CLI's output (banners and warnings before it skipped)
json_part() { sed 's/\x1b\[[0-9;]*m//g' | sed -n '/^[{[]/,$p'; }
valid() { [ "$1" = 0 ] && json_part <<<"$2" | jq -e '.valid == true' >/dev/null; }

declare -A installed mutated
for d in "$cases"/*/; do
	v=$(cat "$d/target")
	[ -n "${installed[$v]:-}" ] && continue
	case $v in
	*-*) continue ;; # a pre-release: not a line this tier installs
	esac
	install_openclaw "$v" || exit 1
	installed[$v]=1
done

for d in "$cases"/*/; do
	name=$(basename "$d")
	v=$(cat "$d/target")
	if [ -z "${installed[$v]:-}" ]; then
		echo "    not checked: $name targets $v, a pre-release this tier does not install"
		continue
	fi
	c=$work/$name
	mkdir -p "$c/home" "$c/state"
	cp "$d/expected.json" "$c/state/openclaw.json"
	chmod 600 "$c/state/openclaw.json"
	run() {
		HOME=$c/home OPENCLAW_STATE_DIR=$c/state OPENCLAW_CONFIG_PATH=$c/state/openclaw.json \
			timeout 300 ${oc_cmd[$v]} "$@" </dev/null
	}
	out=$(run config validate --json 2>&1)
	rc=$?
	check "$name: openclaw $v config validate accepts expected.json (exit $rc)" valid "$rc" "$out"
	[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
	cmp -s "$d/expected.json" "$c/state/openclaw.json" ||
		not_ok "$name: config validate changed the file"
	# the fake openclaw (tests/fake-openclaw) as this version, on the same
	# file: it must accept what the real one accepts and read the same
	# chains, or the fast tier's fake agrees with something OpenClaw does not
	fake() {
		HOME=$c/home OPENCLAW_STATE_DIR=$c/state OPENCLAW_CONFIG_PATH=${FAKE_CONFIG:-$c/state/openclaw.json} \
			FAKE_OPENCLAW_VERSION=$v "$src/tests/fake-openclaw/openclaw" "$@" </dev/null
	}
	fout=$(fake config validate --json 2>/dev/null)
	frc=$?
	check "$name: the fake as $v agrees with the real config validate (real exit $rc, fake $frc)" [ "$frc" = "$rc" ]
	while read -r surface want; do
		case $surface in '#'* | '') continue ;; esac
		args=(models status --json)
		[ "$surface" != - ] && args+=(--agent "$surface")
		out=$(run "${args[@]}" 2>&1)
		got=$(json_part <<<"$out" | jq -r '[.defaultModel] + (.fallbacks // []) | join(" ")' 2>/dev/null)
		check "$name: openclaw $v reads ${surface/#-/the defaults}: ${got:-nothing}" [ "$got" = "$want" ]
		[ "$got" = "$want" ] || {
			echo "    want: $want"
			printf '%s\n' "$out" | grep -v '^ *"' | tail -3 | sed 's/^/    /'
		}
		fgot=$(fake "${args[@]}" 2>/dev/null | jq -r '[.defaultModel] + (.fallbacks // []) | join(" ")' 2>/dev/null)
		check "$name: the fake as $v reads ${surface/#-/the defaults} as the real one does" [ "$fgot" = "$got" ]
		[ "$fgot" = "$got" ] || echo "    fake: $fgot"
	done <"$d/chains"
	# what each version refuses: the same file changed one way at a time,
	# once per version; the fake must refuse exactly what the real one does
	[ -n "${mutated[$v]:-}" ] && continue
	mutated[$v]=1
	for m in '.meta.lastTouchedAt = "2026-11-01T00:00:00.000Z"' \
		'del(.agents.list) | .agents.entries = {main: {}}' \
		'del(.agents.list) | del(.agents.ownership) | .agents.entries = {main: {}, ops: {}}' \
		'.gateway.port = "eighteen"' \
		'.gateway.bind = "everywhere"' \
		'.agents.defaults.model = {primary: "openai/gpt-5.5", fallbacks: [42]}' \
		'.meta.migrations = {modelPolicyAllowlist: true}' \
		'.meta.migrations = {modelPolicyAllowlist: true, utilityModelSeparation: true}'; do
		jq "$m" "$d/expected.json" >"$c/mutated.json"
		mout=$(HOME=$c/home OPENCLAW_STATE_DIR=$c/state OPENCLAW_CONFIG_PATH=$c/mutated.json \
			timeout 300 ${oc_cmd[$v]} config validate --json </dev/null 2>&1)
		mrc=$?
		FAKE_CONFIG=$c/mutated.json fake config validate --json >/dev/null 2>&1
		frc=$?
		check "openclaw $v, $m: the fake's config validate exits as the real one's ($mrc)" [ "$frc" = "$mrc" ]
		[ "$frc" = "$mrc" ] || printf '%s\n' "$mout" | grep -v '^ *"' | tail -3 | sed 's/^/    real: /'
	done
done
echo "real expected configs: $passed passed, $failed failed in $(($(date +%s) - suite_t0)) s"
[ "$failed" -eq 0 ]
