# shellcheck shell=bash
# The per-version half of the real-version tier (sourced by versions.sh):
# version_tier VERSION OPENCLAW_CMD CASE_DIR builds one instance with the
# version's own CLI and prints one ok:/NOT OK: line per assertion and a
# final "time:" line. Needs: $ck (clawkeeper).
# shellcheck disable=SC2154 # ck is versions.sh's

passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
not_ok() { echo "NOT OK: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...: the command's status, too
	local what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		not_ok "$what"
		return 1
	fi
}
jqe() { jq -e "$@" >/dev/null 2>&1; }
note() { sed 's/\x1b\[[0-9;]*m//g; s/^/    /' | cut -c1-240; }
# The JSON object a command printed, without banner or warning lines.
json_of() { sed 's/\x1b\[[0-9;]*m//g' "$1" | sed -n '/^{/,$p'; }

# ver_ge A B: version A is B or later (release versions only).
ver_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]; }

# A provider's credential status as `models status --json` derives it
# (fixtures README): auth.oauth.providers[].status; a provider the chain
# uses without any credential is in missingProvidersInUse (5.28-7.35) or,
# from 2026.8, a modelRouteIssues entry of kind "indeterminate" (9.6 s0
# fixture: `models status --check` counts it as missing, exit 1).
OC_PROVIDERS='.auth as $a
  | ([$a.oauth.providers[]? | {key: .provider, value: .status}] | from_entries)
  | reduce (($a.missingProvidersInUse // [])[]) as $m (.; .[$m] = "missing")
  | reduce (($a.modelRouteIssues // [])[] | select(.kind == "indeterminate") | .provider) as $m
      (.; if has($m) then . else .[$m] = "missing" end)'
# clawkeeper's: the worst of the provider's effective profiles, else the
# worst of all of them; a provider with none is "missing" (inline keys in
# openclaw.json are not profiles and not counted).
CK_PROVIDERS='[.credentials[] | select(.provider != null)] | group_by(.provider)
  | map({key: .[0].provider, value: (
      {"static": 0, "ok": 1, "expiring": 2, "expired": 3} as $rank
      | [.[] | select(.profile != null and .source != "openclaw.json")] as $prof
      | if ($prof | length) == 0 then
          (if any(.[]; .status == "missing") then "missing" else "none" end)
        else
          ([$prof[] | select(.effective)] | if length > 0 then . else $prof end)
          | (map($rank[.credential_status] // 0) | max) as $w
          | ["static", "ok", "expiring", "expired"][$w]
        end)}) | from_entries'

ANTHROPIC=anthropic/claude-sonnet-4-6
OPENROUTER=openrouter/meta-llama/llama-3.3-70b-instruct

version_tier() {
	local v=$1 cmd=$2 c=$3
	local t0 t_build t_health t_plan t_drill
	t0=$(date +%s)
	# oc_in STATE_DIR ARGS...: the version's CLI on that state dir; the
	# caller gives stdin.
	oc_in() {
		local st=$1
		shift
		# shellcheck disable=SC2086 # $cmd is "node openclaw.mjs"
		HOME=$c/home OPENCLAW_STATE_DIR=$st OPENCLAW_CONFIG_PATH=$st/openclaw.json \
			timeout 300 $cmd "$@"
	}
	mkdir -p "$c/home" "$c/state" "$c/logs"
	build_instance "$v" "$c" || { echo "time: $(($(date +%s) - t0)) s (build failed)"; return; }
	t_build=$(($(date +%s) - t0))

	t0=$(date +%s)
	health_checks "$v" "$c"
	t_health=$(($(date +%s) - t0))

	t0=$(date +%s)
	plan_checks "$v" "$c"
	t_plan=$(($(date +%s) - t0))

	t0=$(date +%s)
	drill_checks "$v" "$c"
	t_drill=$(($(date +%s) - t0))
	echo "time: $((t_build + t_health + t_plan + t_drill)) s (build $t_build, health $t_health," \
		"plan+validate $t_plan, drill $t_drill)"
}

# An ordinary instance, made the way a self-hoster makes one: openai with
# an API key (static), openrouter with a token expiring in 12 h
# (expiring), anthropic in the chain without any credential (missing).
build_instance() {
	local v=$1 c=$2 setup_args=() rc
	key_openai=sk-FAKE-versions-openai-$RANDOM$RANDOM
	key_openrouter=sk-or-v1-FAKE-versions-$RANDOM$RANDOM
	# `setup --baseline` where the version has it (2026.7.1 on), plain
	# `setup` before: the baseline either way.
	oc_in "$c/state" setup --help </dev/null >"$c/setup-help.out" 2>&1
	if grep -q -- '--baseline' "$c/setup-help.out"; then
		setup_args=(--baseline)
	fi
	oc_in "$c/state" setup "${setup_args[@]}" </dev/null >"$c/setup.out" 2>&1
	rc=$?
	check "$v: openclaw setup ${setup_args[*]:-(plain)} (exit $rc)" [ $rc -eq 0 ] ||
		{ note <"$c/setup.out"; return 1; }
	# One config write for both paths: each write costs the version's
	# start-up (9.6's `models set` takes ~20 s offline, config set ~5 s).
	jq -n --arg log "$c/logs/openclaw.log" --arg a "$ANTHROPIC" --arg o "$OPENROUTER" '[
	    {path: "logging.file", value: $log},
	    {path: "agents.defaults.model",
	     value: {primary: "openai/gpt-5.5", fallbacks: [$a, $o]}}]' >"$c/batch.json"
	oc_in "$c/state" config set --batch-file "$c/batch.json" </dev/null >"$c/batch.out" 2>&1
	rc=$?
	check "$v: config set --batch-file logging.file and the chain (exit $rc)" [ $rc -eq 0 ] ||
		{ note <"$c/batch.out"; return 1; }
	printf '%s\n' "$key_openai" |
		oc_in "$c/state" models auth paste-api-key --provider openai >"$c/paste-openai.out" 2>&1
	rc=$?
	check "$v: models auth paste-api-key --provider openai (exit $rc)" [ $rc -eq 0 ] ||
		note <"$c/paste-openai.out"
	printf '%s\n' "$key_openrouter" |
		oc_in "$c/state" models auth paste-token --provider openrouter --expires-in 12h \
			>"$c/paste-openrouter.out" 2>&1
	rc=$?
	check "$v: models auth paste-token --provider openrouter --expires-in 12h (exit $rc)" \
		[ $rc -eq 0 ] || note <"$c/paste-openrouter.out"
	oc_in "$c/state" models status --json </dev/null >"$c/status.raw" 2>"$c/status.err"
	json_of "$c/status.raw" >"$c/status.json"
	oc_ref=$(jq -cS "$OC_PROVIDERS" "$c/status.json" 2>/dev/null)
	check "$v: the instance is as built: models status --json says $oc_ref" \
		[ "$oc_ref" = '{"anthropic":"missing","openai":"static","openrouter":"expiring"}' ]
	return 0 # the comparisons below still say what each side gave
}

health_checks() {
	local v=$1 c=$2 rc got want_v have_v
	HOME=$c/home "$ck" health --json --state-dir "$c/state" --config "$c/state/openclaw.json" \
		--openclaw "$cmd" >"$c/health.json" 2>"$c/health.err"
	rc=$?
	check "$v: clawkeeper health --openclaw runs (exit $rc: 0 ok, 1 critical, 2 warning)" \
		[ $rc -le 2 ] || note <"$c/health.err"
	got=$(jq -cS "$CK_PROVIDERS" "$c/health.json" 2>/dev/null)
	check "$v: health's credential status per provider equals models status --json ($got)" \
		same_map "$got" "$oc_ref" || echo "    models status: $oc_ref"
	want_v=$(oc_in "$c/state" --version </dev/null 2>/dev/null |
		sed -n 's/^OpenClaw \([^ ]*\) .*/\1/p')
	have_v=$(jq -r '"\(.version) (from \(.version_source))"' "$c/health.json" 2>/dev/null)
	check "$v: health reports version $have_v; openclaw --version says $want_v" \
		[ "$have_v" = "$want_v (from openclaw --version)" -a "$want_v" = "$v" ]

	# No binary: the stores as they are on disk (DESIGN: read read-only).
	HOME=$c/home "$ck" health --json --state-dir "$c/state" --config "$c/state/openclaw.json" \
		>"$c/health-files.json" 2>"$c/health-files.err"
	got=$(jq -cS "$CK_PROVIDERS" "$c/health-files.json" 2>/dev/null)
	check "$v: health without a binary (the stores on disk) agrees too ($got)" \
		same_map "$got" "$oc_ref" ||
		jq -r '.credentials[] | "    \(.provider) \(.profile) \(.status) \(.source)"' \
			"$c/health-files.json"
	check "$v: no credential in health's output" \
		not_grep "$key_openai" "$key_openrouter" "$c/health.json" "$c/health-files.json"
}

# same_map A B: two non-empty JSON objects, equal.
same_map() { [ -n "$2" ] && [ "$2" != "{}" ] && [ "$1" = "$2" ]; }
not_grep() { ! grep -q -F -e "$1" -e "$2" "${@:3}"; }

plan_ok() { # plan_ok RC WANT_RC PLAN VERSION SHAPE
	[ "$1" -eq "$2" ] && jq -e --arg v "$4" --arg s "$5" \
		'.target_version == $v and .shape == $s' "$3" >/dev/null
}
valid_ok() { [ "$1" -eq 0 ] && json_of "$2" | jq -e '.valid == true' >/dev/null; }

plan_checks() {
	local v=$1 c=$2 rc want_rc shape primary fallbacks g
	g=$c/generated
	# The defaults' chain across three providers, and one agent of its own
	# (the instance has only the implicit "main" so far).
	jq -n --arg a "$ANTHROPIC" --arg o "$OPENROUTER" '{primary: "openai-codex/gpt-5.5",
	    fallbacks: [$a, $o], agents: {ops: {primary: $a, fallbacks: [$o]}}}' >"$c/settings.json"
	# What the version writes (DESIGN, fixtures): from 2026.5.30 a Codex
	# primary is openai/gpt-5.5 and every provider keeps its fallbacks;
	# before, a Codex agent cannot drive another provider, so the
	# generator leaves those out and says so.
	if ver_ge "$v" 2026.5.30; then
		shape=unified want_rc=0 primary=openai/gpt-5.5
		fallbacks=$(jq -cn --arg a "$ANTHROPIC" --arg o "$OPENROUTER" '[$a, $o]')
	else
		shape=legacy want_rc=2 primary=openai-codex/gpt-5.5 fallbacks='[]'
	fi
	HOME=$c/home "$ck" plan --settings "$c/settings.json" --state-dir "$c/state" \
		--config "$c/state/openclaw.json" --openclaw "$cmd" --no-fetch --show-config --json \
		>"$c/plan.json" 2>"$c/plan.err"
	rc=$?
	check "$v: clawkeeper plan generates for $(jq -r '"\(.target_version), \(.shape)"' \
		"$c/plan.json" 2>/dev/null) shape (exit $rc, want $want_rc)" \
		plan_ok $rc $want_rc "$c/plan.json" "$v" "$shape" || note <"$c/plan.err"
	if [ "$shape" = legacy ]; then
		check "$v: and names both fallbacks it leaves out (LEGACY_RUNTIME_DROPS_FALLBACKS)" \
			jqe --arg a "$ANTHROPIC" --arg o "$OPENROUTER" '[.plan[]
			  | select(.code == "LEGACY_RUNTIME_DROPS_FALLBACKS") | .ref] | sort == ([$a, $o] | sort)' \
			"$c/plan.json"
	fi
	# The generated config in a copy of the instance's state.
	cp -a "$c/state" "$g"
	jq '.config' "$c/plan.json" >"$g/openclaw.json" 2>/dev/null
	chmod 600 "$g/openclaw.json"
	oc_in "$g" config validate --json </dev/null >"$g.validate.raw" 2>&1
	rc=$?
	check "$v: openclaw config validate --json accepts the generated config (exit $rc)" \
		valid_ok $rc "$g.validate.raw" || note <"$g.validate.raw"
	oc_in "$g" models status --json </dev/null >"$g.status.raw" 2>"$g.status.err"
	json_of "$g.status.raw" >"$g.status.json"
	check "$v: its models status: the default agent is still main, chain exactly $primary + $fallbacks" \
		jqe --arg p "$primary" --argjson f "$fallbacks" '.defaultModel == $p and
		  .fallbacks == $f and (.agentDir | endswith("/agents/main/agent"))' "$g.status.json" ||
		jq -c '{agentDir, defaultModel, fallbacks}' "$g.status.json" 2>&1 | note
	oc_in "$g" models status --agent ops --json </dev/null >"$g.ops.raw" 2>"$g.ops.err"
	json_of "$g.ops.raw" >"$g.ops.json"
	check "$v: models status --agent ops: exactly $ANTHROPIC + [$OPENROUTER]" \
		jqe --arg a "$ANTHROPIC" --arg o "$OPENROUTER" \
		'.defaultModel == $a and .fallbacks == [$o]' "$g.ops.json" ||
		jq -c '{agentDir, defaultModel, fallbacks}' "$g.ops.json" 2>&1 | note
}

drill_ok() { [ "$1" -eq 0 ] && jq -e '.passed == true' "$2" >/dev/null; }

drill_checks() {
	local v=$1 c=$2 rc dir chain walk walked before posts
	# The drill proves the generated chain fails over; on the legacy shape
	# that chain has no fallback left (the plan said why), so there the
	# drill runs on the instance's own chain.
	dir=$c/generated
	if [ "$(jq '.fallbacks | length' "$dir.status.json" 2>/dev/null || echo 0)" = 0 ]; then
		dir=$c/state
	fi
	chain=$(jq -c '.agents.defaults.model | [.primary] + .fallbacks' "$dir/openclaw.json")
	before=$(sha256sum "$dir/openclaw.json")
	HOME=$c/home "$ck" drill --state-dir "$dir" --openclaw "$cmd" --json \
		>"$c/drill.json" 2>"$c/drill.err"
	rc=$?
	check "$v: clawkeeper drill on the $(basename "$dir") config passes (exit $rc): $(jq -r \
		.message "$c/drill.json" 2>/dev/null)" drill_ok $rc "$c/drill.json" || note <"$c/drill.err"
	walk=$(jq -rn --argjson ch "$chain" \
		'[range($ch | length) | "\($ch[.])>\($ch[. + 1] // "none")"] | join(" ")')
	walked=$(jq -r '[.records[] | .candidate + ">" + .next] | join(" ")' "$c/drill.json" 2>/dev/null)
	check "$v: the decision log walks the chain, a real candidate in next= ($walked)" \
		[ -n "$walked" -a "$walked" = "$walk" ]
	posts=$(jq '[.stub_requests[] | select(.method == "POST")] | length' "$c/drill.json" 2>/dev/null)
	check "$v: every candidate was answered by the drill's stub (${posts:-no} requests)" \
		[ "${posts:-0}" -ge "$(jq length <<<"$chain")" ]
	check "$v: the drilled config is untouched" [ "$before" = "$(sha256sum "$dir/openclaw.json")" ]
}
