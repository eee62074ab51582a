#!/usr/bin/env bash
# Load test: wrk with 1,000 open keep-alive connections for 60 s against the public
# pages and API calls of bench/http.sh AND authenticated API endpoints (a bearer token
# of a user created with the CLI: who am I, an import report, the response-level
# history, the case list, the reporting deadlines), on `fangkong serve` with
# FANGKONG_WORKERS processes (default 2), listen backlog 4096, access log off.
#
# Every request must succeed: a socket error (connect, read, write, timeout after
# 10 s) or a status >= 400 counts as an error. Prints wrk's report, client-side
# p50/p99 (wrk) and server-side p50/p99 (Server-Timing durations logged by the
# server; see bench/http_common.sh), and ends with
#   metric load_errors N      (failed requests)
#   metric load_p99_ms N      (99th percentile latency seen by the clients, ms)
# Exits 1 when any request failed.
# Usage: bench/load.sh [duration_seconds=60] [connections=1000] [national|small|demo]
set -Eeuo pipefail
# A failing step names itself (set -e alone would end the run without a word).
trap 'echo "bench/load.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
DURATION="${1:-60}"
CONNECTIONS="${2:-1000}"
DATASET="${3:-national}"
WORKERS="${FANGKONG_WORKERS:-2}"
THREADS="${FANGKONG_BENCH_THREADS:-2}"
PORT="${FANGKONG_BENCH_PORT:-18766}"
. bench/http_common.sh
need_wrk
# wrk and the server each hold one descriptor per connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((CONNECTIONS + 256)) ] || {
  echo "ulimit -n $(ulimit -n) is too low for $CONNECTIONS connections" >&2; exit 2; }

prepare_dataset "$DATASET"
USER_NAME=loadtest
printf 'load-test-password-%s\n' "$RANDOM$RANDOM" | "$BIN/fangkong" user create "$USER_NAME" \
  --role epidemiologist --jurisdiction '*' --password-stdin >/dev/null 2>&1 || true  # once
TOKEN=$("$BIN/fangkong" user token "$USER_NAME" --name load-test --expires-days 1 2>/dev/null)

LOGDIR="$OUT/load_timing"
trap stop_server EXIT
start_server "$PORT" "$WORKERS" "$LOGDIR"

PATHS="$OUT/load_public_paths.txt"
AUTH_PATHS="$OUT/load_auth_paths.txt"
public_paths "$PORT" "$DATASET" >"$PATHS"
cat >"$AUTH_PATHS" <<PATHS_EOF
/api/v1/me
/api/v1/imports/1?limit=20
/api/v1/response/history?limit=20
/api/v1/cases?limit=20
/api/v1/timeliness/deadlines
PATHS_EOF
warm "$PORT" "$PATHS" >/dev/null
while read -r p; do   # the token works on every authenticated path
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT$p")
  [ "$code" = 200 ] || { echo "$p answered $code with the token" >&2; exit 1; }
done <"$AUTH_PATHS"
write_lua "$PATHS" "$OUT/load_public.lua"
warm_workers "$PORT" "$OUT/load_public.lua"
LUA="$OUT/load_mix.lua"
write_lua "$PATHS" "$LUA" "$AUTH_PATHS" "$TOKEN"
echo "mix of $(wc -l <"$PATHS") public and $(wc -l <"$AUTH_PATHS") authenticated paths" \
  "($DATASET dataset, $WORKERS workers, $CONNECTIONS connections, ${DURATION} s)"

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
echo "client p50 $(field p50_ms "$RESULT") ms, p99 $(field p99_ms "$RESULT") ms, $(field rps "$RESULT") requests/s"
echo "server p50 $(field p50_ms "$SERVER_LINE") ms, p99 $(field p99_ms "$SERVER_LINE") ms"
echo "metric load_errors $(field errors "$RESULT")"
echo "metric load_p99_ms $(field p99_ms "$RESULT")"
[ "$(field errors "$RESULT")" = 0 ]
