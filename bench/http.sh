#!/usr/bin/env bash
# HTTP benchmark of the public API: serves the demo database with `fangkong serve`
# (one uvicorn process) and drives it with wrk (Debian package `wrk`) over a mix of
# public endpoints, requested round-robin. Prints wrk's report per run and ends with
#   metric http_public_rps N    (requests per second over the mix)
#   metric http_p95_ms N        (95th percentile latency, milliseconds, client side)
# Usage: bench/http.sh [duration_seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-15}"
CONNECTIONS="${2:-32}"
OUT=bench/out
PORT="${FANGKONG_BENCH_PORT:-18765}"
BIN=.venv/bin
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

export FANGKONG_DATABASE_URL="sqlite:///$PWD/$OUT/http_demo.db"
export FANGKONG_VAR_DIR="$PWD/$OUT/http_var"
"$BIN/fangkong" demo --no-serve >/dev/null   # idempotent: loads the bundled 2020 data once

"$BIN/fangkong" serve --host 127.0.0.1 --port "$PORT" >"$OUT/http_server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done

PATHS=(
  "/api/v1/opendata/overview.json"
  "/api/v1/opendata/overview.json?date=2020-02-12"
  "/api/v1/opendata/region/420000.json"
  "/api/v1/opendata/region/420000.json?date=2020-02-05"
  "/api/v1/opendata/world.json"
  "/api/v1/opendata/daily_reports.csv?source=canghailan&region_code=420000"
  "/api/v1/regions/420000/daily?from=2020-01-20&to=2020-03-01"
)
for p in "${PATHS[@]}"; do   # warm the read-model cache (the first view computes)
  curl -fs -o /dev/null "http://127.0.0.1:$PORT$p"
done

LUA="$OUT/http_mix.lua"
{
  echo "local paths = {"
  for p in "${PATHS[@]}"; do echo "  \"$p\","; done
  cat <<'LUAEOF'
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p95_ms=%.2f p50_ms=%.2f errors=%d\n",
    summary.requests / seconds, latency:percentile(95) / 1000, latency:percentile(50) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
LUAEOF
} >"$LUA"

REPORT=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "http://127.0.0.1:$PORT")
echo "$REPORT"
RESULT=$(echo "$REPORT" | grep '^RESULT')
RPS=$(echo "$RESULT" | sed -E 's/.*rps=([0-9.]+).*/\1/')
P95=$(echo "$RESULT" | sed -E 's/.*p95_ms=([0-9.]+).*/\1/')
echo "metric http_public_rps $RPS"
echo "metric http_p95_ms $P95"
