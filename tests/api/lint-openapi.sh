#!/bin/sh
# Lints api/openapi.yaml with Redocly's OpenAPI linter (from npm).
# Usage: tests/api/lint-openapi.sh [repo root]
set -eu
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
exec npx --yes @redocly/cli@latest lint "$root/api/openapi.yaml"
