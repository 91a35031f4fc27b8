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
	ca-certificates curl openssl nodejs npm wrk nginx-light jq time \
	dpkg-dev ansible >/dev/null
