#!/usr/bin/env bash
# The API over TLS (libmicrohttpd + GnuTLS) with client-certificate
# verification: a client with a certificate from the configured CA gets
# in; one without a certificate, or with a certificate from another CA,
# does not; plain HTTP on the TLS port gets nothing.
#   usage: tls.sh CLAWKEEPER FIXTURES SRC_DIR
set -euo pipefail
BIN=$(readlink -f "$1"); SRC=$(readlink -f "$3")
T=$(mktemp -d /tmp/ck-tls-XXXXXX); PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$T/serve.log" 2>/dev/null; exit 1; }
pass() { echo "ok: $*"; }
command -v openssl >/dev/null || { echo "SKIPPED: no openssl command"; exit 77; }
cd "$T"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ck-test-ca -keyout ca.key -out ca.pem
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rogue-ca -keyout rogue.key -out rogue.pem
cert() { # name issuer-pem issuer-key [san]
	q openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr"
	if [ -n "${4:-}" ]; then printf 'subjectAltName=%s\n' "$4" >"$1.ext"; else : >"$1.ext"; fi
	q openssl x509 -req -in "$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial -days 2 -out "$1.pem" -extfile "$1.ext"
}
cert server ca.pem ca.key "IP:127.0.0.1"
cert client ca.pem ca.key
cert intruder rogue.pem rogue.key
chmod 600 ./*.key
# shellcheck source=tests/lib/port.sh
. "$SRC/tests/lib/port.sh"
PORT=$(free_port)
TOKEN=tls-test-token-$RANDOM$RANDOM
printf '%s' "$TOKEN" >token; chmod 600 token
cat >agent.json <<JSON
{"listen": "127.0.0.1:$PORT",
 "tls": {"cert": "$T/server.pem", "key": "$T/server.key", "client_ca": "$T/ca.pem"},
 "tokens": [{"name": "t", "sha256": "$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)", "scope": "read"}],
 "instance": {"state_dir": "$SRC/demo/instance", "log_file": "$SRC/demo/instance/logs/openclaw.log"}}
JSON
chmod 600 agent.json # the agent refuses a config others can read
"$BIN" serve --config agent.json >serve.log 2>&1 &
PID=$!
U=https://127.0.0.1:$PORT
for _ in $(seq 1 50); do
	curl -s --cacert ca.pem --cert client.pem --key client.key "$U/v1/agent" >/dev/null 2>&1 && break
	sleep 0.1
done
out=$(curl -sS --cacert ca.pem --cert client.pem --key client.key -H "Authorization: Bearer $TOKEN" "$U/v1/instance/health") \
	|| fail "client with a CA-issued certificate could not call the API"
jq -e '.version == "2026.6.1" and (.findings | length > 0)' <<<"$out" >/dev/null || fail "health over TLS: $out"
pass "a client certificate from the configured CA gets the health report over TLS"
# Each refusal is checked against a server that still answers: the agent
# is alive and the good client still gets 200 right after it.
still_serving() {
	kill -0 "$PID" 2>/dev/null || fail "$1: the agent is gone"
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.pem --cert client.pem --key client.key "$U/v1/agent")" = 200 ] ||
		fail "$1: the good client no longer gets 200"
}
# refused WHAT CURL_ARGS...: a failed handshake (curl 35/56/58) or 403 forbidden
refused() {
	local what=$1 rc code body
	shift
	set +e
	body=$(curl -s -w '\n%{http_code}' --max-time 5 "$@" "$U/v1/agent")
	rc=$?
	set -e
	code=${body##*$'\n'}
	case "$rc:$code" in
	35:* | 56:* | 58:*) pass "$what: refused in the handshake (curl exit $rc)" ;;
	0:403) jq -e '.error.code == "forbidden"' <<<"${body%$'\n'*}" >/dev/null ||
		fail "$what: 403 without the forbidden error: ${body%$'\n'*}"
		pass "$what: 403 forbidden" ;;
	*) fail "$what: curl exit $rc, HTTP $code" ;;
	esac
	still_serving "$what"
}
still_serving "the good client"
if "$BIN" call --agent "$U" --cacert ca.pem --token-file token GET /v1/agent >/dev/null 2>&1; then
	fail "a client without a certificate got in (clawkeeper call)"
fi
still_serving "clawkeeper call without a certificate"
refused "a client without a certificate" --cacert ca.pem
refused "a certificate from another CA" --cacert ca.pem --cert intruder.pem --key intruder.key
set +e
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/v1/agent")
rc=$?
set -e
[ "$code" != 200 ] || fail "plain HTTP on the TLS port answered 200"
still_serving "plain HTTP"
pass "plain HTTP on the TLS port gets no answer (curl exit $rc, HTTP $code); the agent still serves TLS"
grep -q "$TOKEN" serve.log && fail "the token reached the log"
echo "tls: all assertions passed"
