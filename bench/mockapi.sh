#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Mock API throughput against the anchors, measured in one run on
# loopback: the same ~2 KB JSON from nginx (static file), WireMock 3
# standalone (stub, default journal) and `hookreplay serve` (a recorded
# API interaction), each loaded by wrk with keep-alive; then RSS of
# hookreplay across 1,000,000 requests with the journal on.
#
#   bench/mockapi.sh [BUILD_DIR]     (default: build)
#
# Env: ANCHORS (a prepared copy of shared/anchors; else one is copied
# into a temp folder and set up), DUR=10 REPS=3 CONNS=64 WM_WARMUP=40
# TOTAL=1000000 SRV_CPU=0 CLI_CPU=1. Ports 18080 (nginx), 18082
# (WireMock), 18086 (hookreplay), all on 127.0.0.1. Every server is
# stopped by its PID; the whole run is bounded (under 10 minutes).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
# Absolute: the servers are started from other folders.
BUILD=$(cd "${1:-$SRC/build}" && pwd)
HR=$BUILD/hookreplay
DUR=${DUR:-10}; REPS=${REPS:-3}; CONNS=${CONNS:-64}; WM_WARMUP=${WM_WARMUP:-40}
TOTAL=${TOTAL:-1000000}; SRV_CPU=${SRV_CPU:-0}; CLI_CPU=${CLI_CPU:-1}
SHARED_ANCHORS=${SHARED_ANCHORS:-$SRC/../shared/anchors}
[ -x "$HR" ] || { echo "build hookreplay first ($HR)" >&2; exit 2; }

if [ -z "${ANCHORS:-}" ]; then
  ANCHORS=$(mktemp -d)/anchors
  cp -r "$SHARED_ANCHORS" "$ANCHORS"
  chmod -R u+w "$ANCHORS"
  (cd "$ANCHORS" && ./setup.sh)
fi
cd "$ANCHORS"
mkdir -p data wm/mappings wm/__files run logs
node gen.js >/dev/null
WORK=$(mktemp -d)
EVENTS_PATH='/v1/events?limit=100&starting_after=evt_000123'
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WMJAR=$(ls "$ANCHORS"/node_modules/wiremock/build/wiremock-standalone-*.jar | head -1)
mkdir -p run logs

# A cassette whose one API interaction is the anchors' 2 KB list.
node -e '
const fs = require("fs");
const body = fs.readFileSync(process.argv[1], "utf8");
const hdr = {hookreplay: "cassette", version: 1,
             endpoints: {e: {profile: "standard-webhooks"}}};
const api = {seq: 1, at_ms: 0, kind: "api", endpoint: "e",
  request: {method: "GET", path: "/v1/events",
            query: "limit=100&starting_after=evt_000123", headers: [],
            body: ""},
  response: {status: 200, ms: 1,
             headers: [["Content-Type", "application/json"]], body}};
fs.writeFileSync(process.argv[2],
                 JSON.stringify(hdr) + "\n" + JSON.stringify(api) + "\n");
' data/events.json "$WORK/bench.ndjson"
cat > "$WORK/scenario.json" <<JSON
{"hookreplay": "scenario", "version": 1, "cassette": "bench.ndjson",
 "targets": {"e": {"url": "http://127.0.0.1:9/"}},
 "api": {"listen": "127.0.0.1:18086", "journal": "journal.ndjson"}}
JSON

SRV_PID=""
stop_server() {
  [ -n "$SRV_PID" ] || return 0
  kill -TERM "$SRV_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SRV_PID" 2>/dev/null || true
  wait "$SRV_PID" 2>/dev/null || true
  SRV_PID=""
}
trap stop_server EXIT

wait_http() {
  for _ in $(seq 1 300); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.2
  done
  echo "server at $1 did not come up" >&2; return 1
}

# wrk_rps NAME URL -> prints the median req/s of REPS runs
wrk_rps() {
  local name=$1 url=$2 r all=""
  for rep in $(seq 1 "$REPS"); do
    r=$(taskset -c "$CLI_CPU" wrk -t1 -c"$CONNS" -d"${DUR}s" --latency \
        -s lua/get.lua "$url" | sed -n 's/^RESULT rps=\([0-9.]*\).*/\1/p')
    echo "  $name rep $rep: $r req/s" >&2
    all="$all $r"
  done
  echo "$all" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

echo "== nginx (static file, 1 worker, cpu $SRV_CPU)"
sed -e "s#@ROOT@#$ANCHORS#g; s#@RUN@#$ANCHORS/run#g; s#@PORT@#18080#g" \
  conf/nginx.conf.in > run/nginx.conf
taskset -c "$SRV_CPU" "$NGINX" -c "$ANCHORS/run/nginx.conf" -g 'daemon off;' \
  > logs/nginx.log 2>&1 &
SRV_PID=$!
wait_http "http://127.0.0.1:18080$EVENTS_PATH"
taskset -c "$CLI_CPU" wrk -t1 -c"$CONNS" -d3s -s lua/get.lua \
  "http://127.0.0.1:18080$EVENTS_PATH" >/dev/null
NGINX_RPS=$(wrk_rps nginx "http://127.0.0.1:18080$EVENTS_PATH")
stop_server

echo "== WireMock standalone (default journal, cpu $SRV_CPU, ${WM_WARMUP}s warm-up)"
taskset -c "$SRV_CPU" java -jar "$WMJAR" --port 18082 --bind-address 127.0.0.1 \
  --root-dir "$ANCHORS/wm" --disable-banner > logs/wm.log 2>&1 &
SRV_PID=$!
wait_http "http://127.0.0.1:18082/__admin/health"
taskset -c "$CLI_CPU" wrk -t1 -c"$CONNS" -d"${WM_WARMUP}s" -s lua/get.lua \
  "http://127.0.0.1:18082$EVENTS_PATH" >/dev/null
WM_RPS=$(wrk_rps wiremock "http://127.0.0.1:18082$EVENTS_PATH")
stop_server

echo "== hookreplay serve (recorded interaction, journal on, cpu $SRV_CPU)"
(cd "$WORK" && exec taskset -c "$SRV_CPU" "$HR" serve scenario.json \
   --summary summary.json > serve.out 2> serve.err) &
SRV_PID=$!
wait_http "http://127.0.0.1:18086$EVENTS_PATH"
curl -s "http://127.0.0.1:18086$EVENTS_PATH" | cmp - data/events.json
taskset -c "$CLI_CPU" wrk -t1 -c"$CONNS" -d3s -s lua/get.lua \
  "http://127.0.0.1:18086$EVENTS_PATH" >/dev/null
HR_RPS=$(wrk_rps hookreplay "http://127.0.0.1:18086$EVENTS_PATH")
stop_server

echo "== hookreplay RSS across $TOTAL requests (journal on)"
rm -f "$WORK/journal.ndjson"
(cd "$WORK" && exec taskset -c "$SRV_CPU" "$HR" serve scenario.json \
   --summary summary.json > serve.out 2> serve.err) &
SRV_PID=$!
wait_http "http://127.0.0.1:18086$EVENTS_PATH"
RSS_START=$(awk '/^VmRSS:/{print $2}' /proc/$SRV_PID/status)
LINE_BYTES=$(head -1 "$WORK/journal.ndjson" 2>/dev/null | wc -c)
[ "$LINE_BYTES" -gt 0 ] || LINE_BYTES=110
# wrk has no request count: run it long and stop it (SIGINT, by PID) once
# the journal holds TOTAL lines; 240 s bounds the phase.
taskset -c "$CLI_CPU" wrk -t1 -c"$CONNS" -d240s -s lua/get.lua \
  "http://127.0.0.1:18086$EVENTS_PATH" > "$WORK/rss.wrk" &
WRK_PID=$!
RSS_MAX=0
while kill -0 "$WRK_PID" 2>/dev/null; do
  r=$(awk '/^VmRSS:/{print $2}' /proc/$SRV_PID/status)
  [ "$r" -gt "$RSS_MAX" ] && RSS_MAX=$r
  size=$(stat -c %s "$WORK/journal.ndjson")
  [ $((size / LINE_BYTES)) -ge "$TOTAL" ] && kill -INT "$WRK_PID" 2>/dev/null
  sleep 0.5
done
wait "$WRK_PID" || true
HWM=$(awk '/^VmHWM:/{print $2}' /proc/$SRV_PID/status)
stop_server
LINES=$(wc -l < "$WORK/journal.ndjson")
CALLS=$(node -p 'require(process.argv[1]).calls' "$WORK/summary.json")

echo
echo "RESULT nginx_rps=$NGINX_RPS wiremock_rps=$WM_RPS hookreplay_rps=$HR_RPS"
awk -v h="$HR_RPS" -v w="$WM_RPS" -v n="$NGINX_RPS" 'BEGIN {
  printf "RATIO hookreplay/wiremock=%.2f (need >= 10) hookreplay/nginx=%.2f (need >= 0.5)\n", h / w, h / n }'
echo "RSS start=${RSS_START} kB max_sampled=${RSS_MAX} kB VmHWM=${HWM} kB (need < 32768 kB) journal_lines=$LINES calls=$CALLS"
rm -rf "$WORK"
