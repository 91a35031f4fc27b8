# Helpers for the real-OpenClaw scenarios (sourced by scenarios.sh): one
# instance per case dir, releases as wrapper scripts that log every call
# (so restarts are counted from what OpenClaw saw), the loopback stub
# provider, and `clawkeeper serve` driven through its signed API.
# Needs: $ck (clawkeeper), $src, $work, $cache.

# shellcheck source=tests/lib/port.sh
. "$src/tests/lib/port.sh"
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
not_ok() { echo "NOT OK: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
jqe() { jq -e "$@" >/dev/null; }
note() { echo "    $*"; }
nocolor() { sed 's/\x1b\[[0-9;]*m//g'; }

# install VERSION -> sets oc_cmd[VERSION]; exits 77 when npm is unreachable
declare -A oc_cmd
install_openclaw() {
	local version=$1 out rc t0
	t0=$(date +%s)
	out=$(bash "$src/scripts/openclaw-install.sh" "$version" "$cache/$version")
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "$out"
		exit 77
	fi
	if [ $rc -ne 0 ]; then
		not_ok "openclaw $version installs from npm"
		return 1
	fi
	oc_cmd[$version]=$(printf '%s\n' "$out" | tail -n 1)
	ok "openclaw $version installed or reused in $cache/$version ($(($(date +%s) - t0)) s)"
}

# write_release DIR VERSION CALLS_LOG [HOOK]: DIR/bin/openclaw runs the
# cached VERSION and appends its argv to CALLS_LOG. HOOK=broken-gateway
# makes `gateway run` exit 1 (the rollback scenario's test hook) and
# --version report DIR's own name as the version.
write_release() {
	local dir=$1 version=$2 calls=$3 hook=${4:-}
	mkdir -p "$dir/bin"
	{
		echo '#!/bin/sh'
		echo "printf '%s @%s\\n' \"\$*\" \"\$OPENCLAW_STATE_DIR\" >>'$calls'"
		if [ "$hook" = broken-gateway ]; then
			echo "case \"\$1 \$2\" in"
			echo "'--version '*) echo 'OpenClaw $(basename "$dir") (e2ehook)'; exit 0 ;;"
			echo "'gateway run') echo 'e2e hook: this release refuses to start' >&2; exit 1 ;;"
			echo "esac"
		fi
		echo "exec ${oc_cmd[$version]} \"\$@\""
	} >"$dir/bin/openclaw"
	chmod 755 "$dir/bin/openclaw"
}

# An instance: case dir with home/, state/, logs/, releases/, calls.log.
# oc CASE ARGS: the instance's current release in the instance env.
oc() {
	local case=$1
	shift
	HOME=$case/home OPENCLAW_STATE_DIR=$case/state \
		OPENCLAW_CONFIG_PATH=$case/state/openclaw.json \
		timeout 300 "$case/releases/current/bin/openclaw" "$@" </dev/null
}

make_instance() { # make_instance CASE VERSION
	local case=$1 version=$2 setup_args=()
	mkdir -p "$case/home" "$case/state" "$case/logs" "$case/releases" "$case/work"
	write_release "$case/releases/$version" "$version" "$case/calls.log"
	ln -sfn "$version" "$case/releases/current"
	case $version in
	2026.[7-9].* | 2026.1[0-2].* | 202[7-9].*) setup_args=(--baseline) ;;
	esac
	if ! oc "$case" setup "${setup_args[@]}" >"$case/setup.out" 2>&1; then
		tail -5 "$case/setup.out"
		return 1
	fi
}

# start_stub CASE ROUTES_JSON: the provider stub; sets stub_port.
start_stub() {
	local case=$1
	printf '%s\n' "$2" >"$case/stub-routes.json"
	node "$src/tests/e2e/real/stub.js" "$case/stub.port" "$case/stub-requests.jsonl" \
		"$case/stub-routes.json" &
	echo $! >"$case/stub.pid"
	for _ in $(seq 1 50); do
		[ -s "$case/stub.port" ] && break
		sleep 0.1
	done
	stub_port=$(cat "$case/stub.port")
}

# point_at_stub CASE JQ_FILTER: sets the chain (the filter), and points
# every provider at the stub on loopback; the gateway on its own port,
# bound to loopback (in a container 9.6 otherwise binds 0.0.0.0 and
# refuses to start without auth).
point_at_stub() {
	local case=$1 filter=$2 port=$3
	jq --arg b "http://127.0.0.1:$stub_port" --arg log "$case/logs/openclaw.log" \
		--argjson port "$port" '
	  def m(id; name): [{id: id, name: name, input: ["text"], contextWindow: 32000, maxTokens: 4096}];
	  .models.providers = {
	      openai: {baseUrl: ($b + "/openai/v1"), api: "openai-completions",
	               apiKey: "sk-FAKE-e2e-openai", models: m("gpt-5.5"; "GPT-5.5")},
	      anthropic: {baseUrl: ($b + "/anthropic"), api: "anthropic-messages",
	               apiKey: "sk-ant-FAKE-e2e", models: m("claude-sonnet-4-6"; "Claude Sonnet 4.6")},
	      openrouter: {baseUrl: ($b + "/openrouter/v1"), api: "openai-completions",
	               apiKey: "sk-or-v1-FAKE-e2e",
	               models: m("meta-llama/llama-3.3-70b-instruct"; "Llama 3.3 70B")},
	      ollama: {baseUrl: ($b + "/ollama"), api: "ollama", apiKey: "ollama-local",
	               models: m("llama3.1:8b"; "Llama 3.1 8B")}}
	  | .logging.file = $log
	  | .gateway.port = $port | .gateway.bind = "loopback"
	  | '"$filter" "$case/state/openclaw.json" >"$case/cfg.json" &&
		mv "$case/cfg.json" "$case/state/openclaw.json" &&
		chmod 600 "$case/state/openclaw.json"
}

# serve_config CASE SETTINGS_JSON: token, settings and agent.json.
serve_config() {
	local case=$1 token
	token=ck-e2e-real-$RANDOM$RANDOM$RANDOM
	printf '%s' "$token" >"$case/token"
	chmod 600 "$case/token"
	printf '%s\n' "$2" >"$case/settings.json"
	cat >"$case/agent.json" <<JSON
{
  "listen": "unix:$case/agent.sock",
  "tokens": [{"name": "e2e", "sha256": "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)", "scope": "operate"}],
  "instance": {"state_dir": "$case/state", "config_path": "$case/state/openclaw.json",
               "openclaw_bin": "$case/releases/current/bin/openclaw",
               "settings_path": "$case/settings.json", "log_file": "$case/logs/openclaw.log"},
  "journal_dir": "$case/journal",
  "operations": {"work_dir": "$case/work", "releases_root": "$case/releases", "drill": true,
                 "min_free_mb": 1, "ready_timeout_ms": 180000},
  "gateway": {"driver": "supervise", "ready_timeout_ms": 180000,
              "output": "$case/logs/gateway.out"}
}
JSON
	chmod 600 "$case/agent.json" # the agent refuses a config others can read
}

call() { # call CASE ARGS...
	local case=$1
	shift
	"$ck" call --agent "unix:$case/agent.sock" --token-file "$case/token" "$@"
}

start_serve() { # start_serve CASE: HOME is the instance's, so is the gateway's
	local case=$1
	HOME=$case/home "$ck" serve --config "$case/agent.json" >>"$case/serve.log" 2>&1 &
	echo $! >"$case/serve.pid"
	for _ in $(seq 1 300); do
		[ -S "$case/agent.sock" ] && call "$case" GET /v1/agent >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$case/serve.pid")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_case() { # stops what the case started: serve (and its gateway), stub
	local case=$1 pid
	for f in serve stub; do
		[ -f "$case/$f.pid" ] || continue
		pid=$(cat "$case/$f.pid")
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
		rm -f "$case/$f.pid"
	done
	# a supervised gateway left behind by a failed run
	[ -f "$case/work/gateway.pid" ] && kill -- -"$(cut -d" " -f1 "$case/work/gateway.pid")" 2>/dev/null
	return 0
}

wait_ready() { # wait_ready PORT SECONDS
	local code
	for _ in $(seq 1 $(($2 * 2))); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")
		[ "$code" = 200 ] && return 0
		sleep 0.5
	done
	return 1
}

wait_op() { # wait_op CASE ID -> the final record on stdout
	local rec state
	for _ in $(seq 1 1800); do
		rec=$(call "$1" GET "/v1/operations/$2")
		state=$(jq -r .state <<<"$rec")
		case "$state" in succeeded | failed | rolled_back)
			echo "$rec"
			return 0
			;;
		esac
		sleep 0.5
	done
	echo "$rec"
	return 1
}

# Boots on the live state dir (a rehearsal boots the target on a copy).
gateway_runs() { grep -c "^gateway run.* @$1/state\$" "$1/calls.log" 2>/dev/null || true; }
has_finding() { # has_finding HEALTH_JSON CODE [SEVERITY]
	jq -e --arg c "$2" --arg s "${3:-}" \
		'[.. | objects | select(.code? == $c and ($s == "" or .severity == $s))] | length > 0' \
		<<<"$1" >/dev/null
}
print_steps() { jq -r '.steps[] | "    step \(.name): \(.state) \(.message // "")"' <<<"$1" | cut -c1-220; }

# turn CASE NAME: one real agent turn through the running gateway
# (9.6 refuses --local while a gateway owns the state dir).
turn() {
	local case=$1 name=$2 t0
	t0=$(date +%s)
	oc "$case" agent --agent main --message hi >"$case/$name.out" 2>"$case/$name.err"
	turn_rc=$?
	turn_secs=$(($(date +%s) - t0))
}
