#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the JSON Schema validator (ajv) used by the report tests from
# package-lock.json. Idempotent: skips npm when node_modules already
# matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"
. ../npm-setup.sh

npm_setup ajv
