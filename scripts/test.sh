#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up and runs every test: dependencies (apt and the npm packages of
# the interop and third-party consumers), a normal build with all tests,
# then an ASan/UBSan build with all tests again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
bash tests/interop/setup.sh
bash tests/report/setup.sh
bash tests/thirdparty/setup.sh
jobs=$(nproc)

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build and test (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHR_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 CK_TIMEOUT_MULTIPLIER=3 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j"$jobs")
