#!/usr/bin/env bash
# Installs the Debian packages clawkeeper builds, tests and benchmarks with.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential cmake pkg-config clang libclang-rt-14-dev \
	libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev \
	libcmocka-dev libarchive-dev libsystemd-dev libsqlite3-dev sqlite3 \
	ca-certificates curl openssl wrk nginx-light jq time \
	dpkg-dev ansible >/dev/null
# Node (the fake openclaw, the test stubs, the OpenAPI linter): a machine
# may already carry its own build (nodesource ships npm inside nodejs, and
# Debian's npm package then conflicts), so install only what is missing.
if ! command -v node >/dev/null 2>&1; then
	$SUDO apt-get install -y -qq --no-install-recommends nodejs >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
	$SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
