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

# Renders one page and fails on console messages or a missing string.
check_page() {
    local page=$1 name=$2
    shift 2
    [ -s "$page" ] || { echo "render_check: no $page" >&2; exit 1; }
    load "$page" "$work/$name.dom" "$work/$name.log"
    found=$(console_lines "$work/$name.log")
    if [ -n "$found" ]; then
        echo "render_check: console messages while rendering $page:" >&2
        echo "$found" >&2
        exit 1
    fi
    for want in "$@"; do
        grep -qF "$want" "$work/$name.dom" ||
            { echo "render_check: $name page lacks '$want'" >&2; exit 1; }
    done
    if grep -q 'not measured in this run' "$work/$name.dom"; then
        echo "render_check: $name page has a chart not measured" >&2
        exit 1
    fi
}

# The naive consumer: never consistent, so the curve, the deadline and
# the objects it left wrong; the correct one: the API calls it made.
check_page "$work/demo/naive/report.html" naive \
    'hookreplay reliability report' '<svg' 'Ack latency' \
    'Deliveries and retries over time' \
    'aria-label="inconsistent objects over time"' 'deadline 5 s</text>' \
    'Objects left wrong (4)' 'Events never applied (5)'
check_page "$work/demo/correct/report.html" correct \
    'aria-label="inconsistent objects over time"' \
    'aria-label="API calls over time"' 'Retry-After honoured' \
    '/v1/events</td>'
page="$work/demo/naive/report.html"

# Full-page screenshots: the pages are about 3400 px tall.
shoot() {
    chrome --window-size=1200,3600 --hide-scrollbars \
        --screenshot="$artifacts/$2" "file://$1" \
        >/dev/null 2>"$work/shot.log"
    if [ "$(head -c 8 "$artifacts/$2" | od -An -tx1 | tr -d ' \n')" \
         != 89504e470d0a1a0a ] ||
       [ "$(stat -c %s "$artifacts/$2")" -lt 20000 ]; then
        echo "render_check: no usable screenshot $2" >&2
        cat "$work/shot.log" >&2
        exit 1
    fi
}
shoot "$page" report.png
shoot "$work/demo/correct/report.html" report-correct.png
echo "render_check: reports rendered without console messages;" \
     "screenshots $artifacts/report.png, $artifacts/report-correct.png"
