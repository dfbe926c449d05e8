#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the third-party consumers' packages (the official stripe and
# @octokit/webhooks libraries, and pg) from package-lock.json and checks
# that the installed versions are the pinned ones. Idempotent: skips npm
# when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"
. ../npm-setup.sh

# npm_setup exits when node_modules is current, so the check runs first
# on what is there and again after an install.
check_versions() {
    node -e '
      const fs = require("node:fs");
      const want = require("./package.json").dependencies;
      for (const [name, ver] of Object.entries(want)) {
        const f = "node_modules/" + name + "/package.json";
        const got = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f)).version
                                     : "missing";
        if (got !== ver) {
          console.error("setup.sh: " + name + " " + got + ", want " + ver);
          process.exit(1);
        }
      }'
}

(npm_setup stripe pg @octokit/webhooks)
check_versions
echo "setup.sh: stripe, @octokit/webhooks and pg at their pinned versions"
