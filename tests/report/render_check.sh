#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Renders the demo's HTML report in headless Chromium: fails on any
# console message (script errors, Content Security Policy violations,
# blocked loads), checks that the page and its charts rendered, and keeps
# a screenshot as an artifact.
# usage: render_check.sh HOOKREPLAY_BIN ARTIFACT_DIR
set -euo pipefail

bin=${1:?usage: render_check.sh HOOKREPLAY_BIN ARTIFACT_DIR}
artifacts=${2:?usage: render_check.sh HOOKREPLAY_BIN ARTIFACT_DIR}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "render_check: chromium is not installed" \
         "(scripts/deps.sh --test installs it)" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"

# Every flag keeps the browser on this machine and quiet: no updates, no
# sync, no first-run pages, no QUIC, a fresh profile each time.
chrome() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
        --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$work")" "$@"
}

# Loads a page; its DOM goes to $2, the browser's log to $3. Console
# messages (console.*, uncaught errors, CSP reports) are logged as
# ":CONSOLE" lines with --enable-logging=stderr.
load() {
    chrome --enable-logging=stderr --v=0 --dump-dom "file://$1" \
        >"$2" 2>"$3"
}

console_lines() {
    grep -E ':CONSOLE[:(]|Uncaught' "$1" || true
}

# The detector must see errors where there are some, or it proves nothing.
cat >"$work/bad.html" <<'HTML'
<!DOCTYPE html><html><body><p>bad</p>
<script>console.error("render-check-canary"); notDefined();</script>
</body></html>
HTML
load "$work/bad.html" "$work/bad.dom" "$work/bad.log"
if ! console_lines "$work/bad.log" | grep -q render-check-canary; then
    echo "render_check: console errors are not detected; browser log:" >&2
    cat "$work/bad.log" >&2
    exit 1
fi

"$bin" demo --out "$work/demo" --speed 50 >"$work/demo.out"
page="$work/demo/naive/report.html"
[ -s "$page" ] || { echo "render_check: no $page" >&2; exit 1; }

load "$page" "$work/page.dom" "$work/page.log"
found=$(console_lines "$work/page.log")
if [ -n "$found" ]; then
    echo "render_check: console messages while rendering the report:" >&2
    echo "$found" >&2
    exit 1
fi
for want in 'hookreplay reliability report' '<svg' 'Ack latency' \
            'Deliveries and retries over time' 'not measured in this run'; do
    grep -q "$want" "$work/page.dom" ||
        { echo "render_check: rendered page lacks '$want'" >&2; exit 1; }
done

chrome --window-size=1200,2600 --hide-scrollbars \
    --screenshot="$artifacts/report.png" "file://$page" \
    >/dev/null 2>"$work/shot.log"
if [ "$(head -c 8 "$artifacts/report.png" | od -An -tx1 | tr -d ' \n')" \
     != 89504e470d0a1a0a ] ||
   [ "$(stat -c %s "$artifacts/report.png")" -lt 20000 ]; then
    echo "render_check: no usable screenshot" >&2
    cat "$work/shot.log" >&2
    exit 1
fi
echo "render_check: report rendered without console messages;" \
     "screenshot $artifacts/report.png"
