#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the JSON Schema validator (ajv) used by the report tests from
# package-lock.json. Idempotent: skips npm when node_modules already
# matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "setup.sh: $tool (Node 20+) needed" >&2; exit 1; }
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
    echo "setup.sh: node 20+ needed, found $(node --version)" >&2
    exit 1
fi

stamp=node_modules/.hookreplay-lock.sha256
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ -f node_modules/ajv/package.json ] && [ -f "$stamp" ] &&
   [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup.sh: node_modules matches package-lock.json"
    exit 0
fi

npm ci --no-audit --no-fund
echo "$want" > "$stamp"
echo "setup.sh: installed"
