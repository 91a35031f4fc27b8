#!/bin/sh
# Lints api/openapi.yaml with Redocly's OpenAPI linter (from npm).
# Usage: tests/api/lint-openapi.sh [repo root]
set -eu
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
# Pinned: later releases drop the Node 20 this machine runs.
exec npx --yes @redocly/cli@2.77.0 lint "$root/api/openapi.yaml"
