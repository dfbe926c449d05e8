#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the official webhook libraries for the interop consumers from
# package-lock.json. Idempotent: skips npm when node_modules already
# matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"
. ../npm-setup.sh

npm_setup stripe svix standardwebhooks @octokit/webhooks-methods \
    @slack/bolt @shopify/shopify-api
