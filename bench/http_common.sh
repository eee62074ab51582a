# Shared by bench/http.sh and bench/load.sh (sourced, not run): the dataset, the
# server, the URL mix of the public pages and the API calls they make, the wrk Lua
# script and the server-time percentiles.
#
# Server time: every response carries `Server-Timing: app;dur=<ms>` (fangkong.api.timing);
# with FANGKONG_TIMING_LOG set each server process also logs (unix time, ms) pairs in
# memory and appends them to <dir>/timing-<pid>.tsv every 2,048 responses and at
# shutdown. The scripts read those files after stopping the server and keep the
# responses logged during the measured wrk run. This costs the server one list append
# per request; parsing the header in a wrk Lua response() callback instead would make
# wrk parse every response's headers in Lua, on the same two cores as the server.

BIN=.venv/bin
OUT="${FANGKONG_BENCH_OUT:-bench/out}"   # FANGKONG_BENCH_OUT: an absolute path (tests)

need_wrk() {
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
}

# prepare_dataset national|small|demo: sets FANGKONG_DATABASE_URL (builds the data once).
# small: the national dataset of Hubei and Yunnan only (for tests; same paths).
prepare_dataset() {
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd)
  export FANGKONG_VAR_DIR="$OUT/http_var"
  case "$1" in
    national)
      export FANGKONG_DATABASE_URL="sqlite:///$OUT/national.db"
      "$BIN/python" bench/national_dataset.py --database-url "$FANGKONG_DATABASE_URL" >&2
      ;;
    small)
      export FANGKONG_DATABASE_URL="sqlite:///$OUT/national_small.db"
      "$BIN/python" bench/national_dataset.py --database-url "$FANGKONG_DATABASE_URL" \
        --provinces 420000,530000 >&2
      ;;
    demo)
      export FANGKONG_DATABASE_URL="sqlite:///$OUT/http_demo.db"
      "$BIN/fangkong" demo --no-serve >/dev/null   # idempotent: loads the 2020 data once
      ;;
    *) echo "unknown dataset $1 (national, small or demo)" >&2; exit 2 ;;
  esac
}

# start_server PORT WORKERS LOGDIR: serves in the background (SERVER = its pid).
start_server() {
  local port=$1 workers=$2 logdir=$3
  rm -rf "$logdir"
  mkdir -p "$logdir"
  FANGKONG_TIMING_LOG="$(cd "$logdir" && pwd)" FANGKONG_WORKERS="$workers" \
    "$BIN/fangkong" serve --host 127.0.0.1 --port "$port" --no-access-log --backlog 4096 \
    --keep-alive 30 >"$logdir/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$logdir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "the server did not start" >&2
  cat "$logdir/server.log" >&2
  exit 1
}

# stop_server: SIGTERM, so that every worker flushes its timing log at shutdown.
stop_server() {
  if [ -n "${SERVER:-}" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  SERVER=
}

# busiest_regions: the province with the most cases, its prefecture with the most and
# that prefecture's county with the most (national dataset: Yunnan, Dali, Jianchuan).
busiest_regions() {
  "$BIN/python" - <<'PYEOF'
import os

from sqlalchemy import func, select

from fangkong.store import models as m
from fangkong.store.db import make_engine

D, R = m.DailyReportRow, m.RegionRow
engine = make_engine(os.environ["FANGKONG_DATABASE_URL"])
chosen, parent = [], "CN"
with engine.connect() as conn:
    for _ in range(3):
        row = conn.execute(
            select(D.region_code)
            .join(R, R.region_code == D.region_code)
            .where(R.parent_code == parent)
            .group_by(D.region_code)
            .order_by(func.sum(D.new_confirmed).desc(), D.region_code)
            .limit(1)
        ).first()
        if row is None:
            break
        chosen.append(row[0])
        parent = row[0]
print(" ".join(chosen))
PYEOF
}

# public_paths PORT DATASET: the public pages and, as the browser would, the API calls
# each page makes (read from the rendered pages: data-url and data-* attributes).
public_paths() {
  local port=$1 dataset=$2 regions
  if [ "$dataset" != demo ]; then
    regions=$(busiest_regions)
  else
    regions="420000 420100"   # Hubei and Wuhan (bundled 2020 data)
  fi
  local base="http://127.0.0.1:$port"
  local page
  echo "/zh/"
  echo "/en/"
  page=$(curl -fs "$base/zh/")
  echo "$page" | grep -o 'data-risk-url="[^"]*"' | sed -E 's/^data-risk-url="(.*)"$/\1/; s/&amp;/\&/g'
  echo "$page" | grep -o 'data-response-url="[^"]*"' | sed -E 's/^data-response-url="(.*)"$/\1/; s/&amp;/\&/g'
  for code in $regions; do
    echo "/zh/region/$code"
    echo "/en/region/$code"
    page=$(curl -fs "$base/zh/region/$code")
    echo "$page" | grep -o 'data-url="[^"]*"' | sed -E 's/^data-url="(.*)"$/\1/; s/&amp;/\&/g'
    local day
    day=$(echo "$page" | grep -o 'data-date="[0-9-]*"' | head -1 | sed -E 's/.*"(.*)"/\1/')
    [ -n "$day" ] && echo "/api/v1/risk/regions/$code/history?until=$day"
    echo "/api/v1/response/regions/$code"
    echo "/api/v1/opendata/region/$code.json"
  done
  echo "/zh/world"
  echo "/api/v1/opendata/overview.json"
  echo "/api/v1/opendata/world.json"
  local last
  last=$(echo "$regions" | awk '{print $NF}')
  page=$(curl -fs "$base/zh/region/$last")
  echo "$page" | grep -o 'href="/api/v1/opendata/daily_reports.csv[^"]*"' | head -1 \
    | sed -E 's/^href="(.*)"$/\1/; s/&amp;/\&/g'
}

# warm PORT PATHS_FILE: request every path once (the first view computes its read
# model) and print the server time of that first view; every answer must be 200.
warm() {
  local port=$1 file=$2 code headers
  while read -r p; do
    headers=$(curl -s -o /dev/null -D - --max-time 600 "http://127.0.0.1:$port$p")
    code=$(echo "$headers" | head -1 | awk '{print $2}')
    if [ "$code" != 200 ]; then echo "warm-up: $p answered $code" >&2; exit 1; fi
    echo "  first view $(echo "$headers" | tr -d '\r' | sed -n 's/^server-timing: app;dur=//Ip') ms  $p"
  done <"$file"
}

# warm_workers PORT LUA: wrk passes with 64 connections until a pass has no slow
# answer, so that every server process has built its caches (each process keeps its
# own; connections land on either process).
warm_workers() {
  local port=$1 lua=$2 result max
  for _ in $(seq 1 20); do
    result=$(wrk -t1 -c64 -d3s --timeout 60s -s "$lua" "http://127.0.0.1:$port" | grep '^RESULT')
    max=$(field max_ms "$result")
    awk -v m="$max" 'BEGIN { exit !(m < 500) }' && return 0
  done
  echo "warm-up: answers still slow after 20 passes (max $max ms)" >&2
}

# write_lua PATHS_FILE LUA [AUTH_PATHS_FILE TOKEN]: wrk script requesting the paths
# round-robin (one counter per wrk thread), authenticated paths
# with `Authorization: Bearer TOKEN`. done() prints one RESULT line.
write_lua() {
  local file=$1 lua=$2 auth_file=${3:-} token=${4:-}
  {
    echo "local paths = {"
    while read -r p; do printf '  {"%s", false},\n' "$p"; done <"$file"
    if [ -n "$auth_file" ]; then
      while read -r p; do printf '  {"%s", true},\n' "$p"; done <"$auth_file"
    fi
    echo "}"
    echo "local token = \"$token\""
    cat <<'LUAEOF'
local requests = {}
local counter = 0
function init(args)
  for k, item in ipairs(paths) do
    local headers = {}
    if item[2] then headers["Authorization"] = "Bearer " .. token end
    requests[k] = wrk.format("GET", item[1], headers)
  end
end
function request()
  counter = counter + 1
  return requests[counter % #requests + 1]
end
function done(summary, latency, requests_)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "errors=%d status=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status + e.connect + e.read + e.write + e.timeout,
    e.status, e.connect, e.read, e.write, e.timeout))
end
LUAEOF
  } >"$lua"
}

# server_percentiles LOGDIR FROM TO: p50/p95/p99 of the server time of the responses
# logged between the unix times FROM and TO (one SERVER line).
server_percentiles() {
  "$BIN/python" - "$1" "$2" "$3" <<'PYEOF'
import sys
from pathlib import Path

import numpy as np

folder, start, end = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
values = []
for path in sorted(folder.glob("timing-*.tsv")):
    for line in path.read_text(encoding="ascii").splitlines():
        at, ms = line.split("\t")
        if start <= float(at) <= end:
            values.append(float(ms))
if not values:
    print("SERVER responses=0 p50_ms=nan p95_ms=nan p99_ms=nan")
else:
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    print(f"SERVER responses={len(values)} p50_ms={p50:.2f} p95_ms={p95:.2f} p99_ms={p99:.2f}")
PYEOF
}

# field NAME LINE: the value of NAME=value in a RESULT/SERVER line.
field() {
  echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
