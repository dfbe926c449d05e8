# SPDX-License-Identifier: MIT
# Sourced by the setup.sh scripts of the test folders that need Node
# packages: checks for Node 20+ and installs the current folder's
# node_modules from its package-lock.json, skipping npm when they
# already match the lock file.

# npm_setup MODULE...: installs unless every MODULE is present and the
# stamp says node_modules came from this package.json and lock file.
npm_setup() {
    local tool major stamp want m present=yes

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
    for m in "$@"; do
        [ -f "node_modules/$m/package.json" ] || present=no
    done
    if [ "$present" = yes ] && [ -f "$stamp" ] &&
       [ "$(cat "$stamp")" = "$want" ]; then
        echo "setup.sh: node_modules matches package-lock.json"
        exit 0
    fi

    npm ci --no-audit --no-fund
    echo "$want" > "$stamp"
    echo "setup.sh: installed"
}
