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
# With FANGKONG_BENCH_REPORTS_PER_S=N, a reporter stores N daily reports per second
# during the measured run (bench/report_stream.py): every one changes the data version,
# as county reporters do all day; the server's publisher then prepares each new version
# in the background (fangkong.api.warming) while readers get the published one.
#
# After the run, the first views of FANGKONG_BENCH_FIRST_VIEWS (default 120) regions
# drawn at random, mostly counties, nobody requested before (bench/first_views.py): the
# server time of answers computed on demand.
#
# Prints wrk's report, the client-side p50/p95/p99 (wrk: includes queueing in the
# client and the kernel), the server-side p50/p95/p99 (Server-Timing durations logged
# by the server processes for the responses of the measured run; see
# bench/http_common.sh), and ends with
#   metric http_public_rps N    (requests per second over the mix, wrk)
#   metric http_p95_ms N        (95th percentile of SERVER time, milliseconds)
#   metric http_first_view_p50_ms N, metric http_first_view_p95_ms N   (first views)
#   metric http_reports_stored N  (with the report stream: reports stored in the run)
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
REPORTS_PER_S="${FANGKONG_BENCH_REPORTS_PER_S:-0}"
FIRST_VIEW_REGIONS="${FANGKONG_BENCH_FIRST_VIEWS:-120}"
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

STREAM=
if [ "$REPORTS_PER_S" != 0 ]; then   # reporters enter figures during the run
  printf 'stream-password-%s\n' "$RANDOM$RANDOM" | "$BIN/fangkong" user create bench-stream \
    --role reporter --jurisdiction CN --password-stdin >/dev/null 2>&1 || true  # once
  STREAM_TOKEN=$("$BIN/fangkong" user token bench-stream --name stream --expires-days 1 2>/dev/null)
  STREAM_DAY=$(sed -n 's|^/api/v1/risk/regions/[0-9]*/history?until=||p' "$PATHS" | head -1)
  "$BIN/python" bench/report_stream.py "http://127.0.0.1:$PORT" "$STREAM_TOKEN" \
    --per-second "$REPORTS_PER_S" --seconds "$DURATION" --date "$STREAM_DAY" \
    >"$OUT/http_stream.txt" 2>&1 &
  STREAM=$!
fi
echo "load before the run: $(uptime)"
FROM=$(date +%s.%N)
REPORT=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$LUA" \
  "http://127.0.0.1:$PORT")
TO=$(date +%s.%N)
STREAM_OK=0
if [ -n "$STREAM" ]; then
  wait "$STREAM" || STREAM_OK=$?
  cat "$OUT/http_stream.txt"
fi
echo "first views of $FIRST_VIEW_REGIONS regions drawn at random (each answer computed on demand):"
FIRST=$("$BIN/python" bench/first_views.py "http://127.0.0.1:$PORT" --regions "$FIRST_VIEW_REGIONS")
echo "$FIRST" | grep -v '^metric'
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
echo "$FIRST" | grep '^metric'
[ -z "$STREAM" ] || echo "metric http_reports_stored $(sed -n 's/^reports_stored //p' "$OUT/http_stream.txt")"
[ "$(field errors "$RESULT")" = 0 ] && [ "$STREAM_OK" = 0 ]
