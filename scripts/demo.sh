#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up and runs the main job: dependencies, build, `hookreplay demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target hookreplay
./build/hookreplay demo "$@"
