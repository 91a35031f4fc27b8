#!/usr/bin/env bash
# Fresh machine to a health report: install dependencies, build, and run
# `clawkeeper health` on the demo instance shipped in demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target clawkeeper >/dev/null
set +e
./build/clawkeeper health --state-dir demo/instance --settings demo/settings.json \
	--log demo/instance/logs/openclaw.log --since all "$@"
rc=$?
echo "(clawkeeper health exited $rc: 0 ok, 2 warning, 1 critical)"
