#!/usr/bin/env bash
# HTTP benchmark of the public pages and the API calls they make, with `fangkong serve`
# (FANGKONG_WORKERS processes, default 2, access log off) driven by wrk (Debian package
# `wrk`) over keep-alive connections.
#
# Dataset (third argument): `national` (default: bench/national_dataset.py, every county
# of China × 365 days, 1.18 million daily reports, built once into bench/out/national.db)
# or `demo` (the bundled real 2020 data).
#
# The mix, requested round-robin: the overview page (zh, en) and the risk and response
# level layers it fetches; the region pages (zh, en) of a province, a prefecture and a
# county with the R_t, forecast, risk history and response calls their scripts make (the
# URLs are read from the rendered pages); the world page; open-data JSON and the
# county's CSV download. Every path is requested once before the run (the first view
# of a page computes its read model), then wrk warms up in 3-s passes until no answer
# is slow (every worker process has filled its caches), then the measured run.
#
# Prints wrk's report, the client-side p50/p95/p99 (wrk: includes queueing in the
# client and the kernel), the server-side p50/p95/p99 (Server-Timing durations logged
# by the server processes for the responses of the measured run; see
# bench/http_common.sh), and ends with
#   metric http_public_rps N    (requests per second over the mix, wrk)
#   metric http_p95_ms N        (95th percentile of SERVER time, milliseconds)
# Exits 1 when any request failed (socket error or non-2xx/3xx status).
# Usage: bench/http.sh [duration_seconds=30] [connections=32] [national|small|demo]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30}"
CONNECTIONS="${2:-32}"
DATASET="${3:-national}"
WORKERS="${FANGKONG_WORKERS:-2}"
THREADS="${FANGKONG_BENCH_THREADS:-1}"
PORT="${FANGKONG_BENCH_PORT:-18765}"
. bench/http_common.sh
need_wrk
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

prepare_dataset "$DATASET"
LOGDIR="$OUT/http_timing"
trap stop_server EXIT
start_server "$PORT" "$WORKERS" "$LOGDIR"

PATHS="$OUT/http_paths.txt"
public_paths "$PORT" "$DATASET" >"$PATHS"
echo "mix of $(wc -l <"$PATHS") paths ($DATASET dataset, $WORKERS workers, $CONNECTIONS connections)," \
  "server time of each first view (computed by one worker; the zh pages were computed" \
  "just before, when their API calls were read from them):"
warm "$PORT" "$PATHS"
LUA="$OUT/http_mix.lua"
write_lua "$PATHS" "$LUA"
warm_workers "$PORT" "$LUA"

echo "load before the run: $(uptime)"
FROM=$(date +%s.%N)
REPORT=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$LUA" \
  "http://127.0.0.1:$PORT")
TO=$(date +%s.%N)
stop_server
echo "$REPORT"
RESULT=$(echo "$REPORT" | grep '^RESULT')
SERVER_LINE=$(server_percentiles "$LOGDIR" "$FROM" "$TO")
echo "$SERVER_LINE"
echo "client p50 $(field p50_ms "$RESULT") ms, p95 $(field p95_ms "$RESULT") ms, p99 $(field p99_ms "$RESULT") ms"
echo "server p50 $(field p50_ms "$SERVER_LINE") ms, p95 $(field p95_ms "$SERVER_LINE") ms, p99 $(field p99_ms "$SERVER_LINE") ms"
echo "errors $(field errors "$RESULT")"
echo "metric http_public_rps $(field rps "$RESULT")"
echo "metric http_p95_ms $(field p95_ms "$SERVER_LINE")"
[ "$(field errors "$RESULT")" = 0 ]
