#!/usr/bin/env bash
# Three server processes on one PostGIS under read load: how long until a write through any of
# them is visible in all three (issue 21, item 6; figures in BENCHMARKS.md, "Three processes,
# one PostGIS"). In one run on a throwaway cluster (tests/run.sh -- …):
#   1. loads N synthetic assets (default 100,000) with `assetmap import --synthetic N`,
#   2. starts three `assetmap serve` on that database on three loopback ports, one after the
#      other (as docs/deployment.md advises), with an admin token and the rate limits raised in
#      a config file, and waits until each has warmed its per-area figures (a background scan
#      of every asset after start, holding the engine's read lock: a change applied meanwhile
#      waits for it, and reads wait behind that change — see BENCHMARKS.md),
#   3. puts each under read load: wrk -t1 -cCONNECTIONS (at nice 5), random
#      `GET /search?lon&lat&sort=distance&radius=50000&limit=20`, for as long as the writes last,
#   4. meanwhile makes W writes (default 300: creates, and replacements `PUT` with `If-Match`),
#      each through the next process in turn, and times each from its acknowledgement until
#      `GET /collections/assets/items/{id}` answers the new version (ETag) on all three
#      (scripts/write_visibility.py: a poller per process, every 2 ms; 5 s = a failure),
#   5. prints p50/p95/p99/max and failures, each process's read throughput during the writes,
#      and each process's `applied_seq` afterwards (equal = the same data).
#
#   bash scripts/bench-multi-process.sh                       # N = 100,000, W = 300
#   N=1000000 W=300 bash scripts/bench-multi-process.sh
#   ASSETMAP_BIN=/path/to/assetmap bash scripts/bench-multi-process.sh   # no cargo build
#
# Knobs (environment): N, W, CONNECTIONS (wrk connections per process, default 16), WARMUP
# (seconds of read load before the first write, default 5), POLL_MS (2), TIMEOUT (5),
# PAUSE_MS (pause between writes, 20), POLL_INTERVAL_SECS (the servers' fallback poll of the
# change feed; unset = the server's default, 1 s), WAIT_FOR_FIGURES (1; 0 = start the load and
# the writes as soon as /health says ok, as a load balancer would), ANALYZE_FEED (0; 1 =
# `ANALYZE asset_changes` after the import, before the servers start — see below), RESULTS_DIR (keep every write's figures,
# visibility.json, the wrk reports and the servers' logs there), ASSETMAP_BIN.
#
# The change feed's catch-up query is a prepared statement on each pooled connection. Started
# before `asset_changes` has statistics (autovacuum analyses it a while after a bulk import),
# PostgreSQL may settle on a generic plan for it that costs tens of milliseconds or more per
# catch-up, for as long as the connection lives; the script says whether the table had been
# analysed when the servers started. ANALYZE_FEED=1 analyses it first.
#
# Statements of the servers' sessions that take 50 ms or more are logged by PostgreSQL with their
# plans (auto_explain, for this database only) and counted at the end; with RESULTS_DIR the
# cluster's log is kept there too.
#
# Loopback only. Every load is bounded: wrk runs at most MAX_LOAD seconds (default 900) and is
# stopped (SIGINT, so it reports) as soon as the writes are done; each write is given TIMEOUT
# seconds. The servers and the cluster are stopped on exit, also on failure or interrupt.
# Needs wrk (installed here if missing and run as root) and python3. Not run by CI.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

if [ "${1:-}" != "--inner" ]; then
    if ! command -v wrk >/dev/null; then
        if [ "$(id -u)" -eq 0 ]; then
            apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
        else
            echo "bench-multi-process.sh: wrk is not installed (apt-get install wrk)" >&2
            exit 1
        fi
    fi
    if [ -z "${ASSETMAP_BIN:-}" ]; then
        cargo build --release -p assetmap-server --bin assetmap
        ASSETMAP_BIN="$REPO_ROOT/target/release/assetmap"
    fi
    [ -x "$ASSETMAP_BIN" ] || { echo "bench-multi-process.sh: $ASSETMAP_BIN is not an executable" >&2; exit 1; }
    # tests/run.sh clears ASSETMAP_* from its environment: hand the binary over explicitly.
    if [ -n "${RESULTS_DIR:-}" ]; then
        mkdir -p "$RESULTS_DIR"
        RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
    fi
    exec bash tests/run.sh -- env ASSETMAP_BIN="$ASSETMAP_BIN" RESULTS_DIR="${RESULTS_DIR:-}" bash "$REPO_ROOT/scripts/bench-multi-process.sh" --inner
fi

N="${N:-100000}"
W="${W:-300}"
CONNECTIONS="${CONNECTIONS:-16}"
WARMUP="${WARMUP:-5}"
POLL_MS="${POLL_MS:-2}"
TIMEOUT="${TIMEOUT:-5}"
PAUSE_MS="${PAUSE_MS:-20}"
MAX_LOAD="${MAX_LOAD:-900}"
BIN="${ASSETMAP_BIN:?}"
PSQL=("$ASSETMAP_TEST_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
WORK="$(mktemp -d)"
SERVER_PIDS=()
WRK_PIDS=()

# Both run from the EXIT trap (shellcheck cannot see that).
# shellcheck disable=SC2317
stop_pid() {
    local pid="$1" sig="$2"
    kill "-$sig" "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${WRK_PIDS[@]}"; do stop_pid "$pid" INT; done
    for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid" TERM; done
    if [ -n "${RESULTS_DIR:-}" ]; then
        cp "$WORK"/*.json "$WORK"/*.out "$WORK"/*.err "$WORK"/*.log "$RESULTS_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# Memory: each process holds every asset (README "Sizing": ~270 MiB + 320 MiB per 100,000,
# more while it loads); the processes start one at a time, so one load peak at once.
need_mib=$(( 3 * (300 + N * 33 / 10000) + 1000 + 2048 ))
avail_mib=$(awk '/^MemAvailable/ {printf "%d", $2/1024}' /proc/meminfo)
echo "memory: $(free -g | awk '/^Mem/ {print $2 " GiB total, " $7 " GiB available"}'); this run needs about $(( need_mib / 1024 )) GiB"
if [ "$avail_mib" -lt "$need_mib" ]; then
    echo "bench-multi-process.sh: not enough memory for three processes at N=$N (need ~$need_mib MiB, $avail_mib MiB available); try a smaller N" >&2
    exit 1
fi

DB="assetmap_bench_multi"
"${PSQL[@]}" "$ASSETMAP_TEST_DATABASE_URL" -c "CREATE DATABASE $DB"
URL="${ASSETMAP_TEST_DATABASE_URL%/*}/$DB"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(load)"
# shellcheck disable=SC2016 # $$…$$ is SQL quoting, not a shell expansion
echo "PostgreSQL: $("${PSQL[@]}" "$URL" -At -c 'SHOW server_version') / PostGIS $("${PSQL[@]}" "$ASSETMAP_TEST_DATABASE_URL" -At -c 'SELECT extversion FROM pg_extension WHERE extname = $$postgis$$')"
echo "assetmap: $BIN ($("$BIN" --version 2>/dev/null || echo 'version unknown'))"
echo "N=$N W=$W CONNECTIONS=$CONNECTIONS (per process) WARMUP=${WARMUP}s POLL_MS=$POLL_MS TIMEOUT=${TIMEOUT}s PAUSE_MS=$PAUSE_MS"

# 1. Load.
echo
echo "--- 1. assetmap import --synthetic $N"
"$BIN" --store "$URL" migrate >/dev/null
t0=$(now)
ASSETMAP_LOG=warn "$BIN" --store "$URL" --data "$REPO_ROOT/data" import --synthetic "$N" >"$WORK/import.out" 2>"$WORK/import.err" ||
    { tail -n 20 "$WORK/import.err" >&2; exit 1; }
t1=$(now)
echo "imported in $(echo "$t1 - $t0" | bc) s; rows: $("${PSQL[@]}" "$URL" -At -c 'SELECT count(*) FROM assets')"
"${PSQL[@]}" "$URL" -c 'VACUUM ANALYZE assets'
if [ "${ANALYZE_FEED:-0}" = 1 ]; then
    "${PSQL[@]}" "$URL" -c 'ANALYZE asset_changes'
fi

# 2. Three servers, one after the other.
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
CONFIG="$WORK/assetmap.toml"
{
    echo "admin_token = \"$TOKEN\""
    echo "# Loopback clients are exempt from rate limits by default; raised anyway, so nothing here throttles."
    echo "rate_limit_reads_per_minute = 1000000"
    echo "rate_limit_writes_per_minute = 1000000"
    if [ -n "${POLL_INTERVAL_SECS:-}" ]; then echo "poll_interval_secs = $POLL_INTERVAL_SECS"; fi
} >"$CONFIG"
# Slow statements of the servers' sessions (the change feed's catch-up above all), with plans.
"${PSQL[@]}" "$URL" -c "ALTER DATABASE $DB SET log_min_duration_statement = 50" \
    -c "ALTER DATABASE $DB SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $DB SET auto_explain.log_min_duration = '50ms'"
PG_LOG="$(dirname "$ASSETMAP_TEST_PGDATA")/postgres.log"
pg_log_from=$(stat -c %s "$PG_LOG" 2>/dev/null || echo 0)
feed_stats() {
    "${PSQL[@]}" "$URL" -At -c "SELECT coalesce(greatest(last_analyze, last_autoanalyze)::text, 'never') FROM pg_stat_user_tables WHERE relname = 'asset_changes'"
}
echo
echo "--- 2. three assetmap serve processes on the same database"
echo "asset_changes last analysed: $(feed_stats) (ANALYZE_FEED=${ANALYZE_FEED:-0}; now $(date -u '+%F %T') UTC)"
PORTS=()
for i in 1 2 3; do
    port=$(free_port)
    t0=$(now)
    ASSETMAP_CONFIG="$CONFIG" ASSETMAP_LOG="warn,assetmap_server::startup=info" "$BIN" --store "$URL" --data "$REPO_ROOT/data" serve --bind "127.0.0.1:$port" \
        >"$WORK/serve$i.out" 2>"$WORK/serve$i.err" &
    SERVER_PIDS+=("$!")
    PORTS+=("$port")
    until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do
        if ! kill -0 "${SERVER_PIDS[-1]}" 2>/dev/null; then
            tail -n 30 "$WORK/serve$i.err" >&2
            exit 1
        fi
        sleep 0.2
    done
    t1=$(now)
    echo "process $i on 127.0.0.1:$port: ready after $(echo "$t1 - $t0" | bc) s, RSS $(rss_mib "${SERVER_PIDS[-1]}") MiB"
done
for i in 1 2 3; do
    [ "${WAIT_FOR_FIGURES:-1}" = 1 ] || { echo "not waiting for the per-area figures (WAIT_FOR_FIGURES=0)"; break; }
    waited=0
    until grep -q 'per-area figures warmed' "$WORK/serve$i.err"; do
        sleep 0.5
        waited=$((waited + 1))
        [ "$waited" -lt 1200 ] || { echo "process $i did not warm its figures within 600 s" >&2; exit 1; }
    done
    echo "process $i: $(grep -m1 'per-area figures warmed' "$WORK/serve$i.err" | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'secs=[0-9.]*' | sed 's/secs=/per-area figures warmed in /') s (in the background, after ready)"
done
# A write needs the token: one refused without it, to be sure the config was read.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/geo+json' -d '{}' "http://127.0.0.1:${PORTS[0]}/collections/assets/items")
[ "$code" = 401 ] || { echo "expected 401 for a write without the token, got $code" >&2; exit 1; }

echo "asset_changes last analysed: $(feed_stats), with the three processes started"

# 3. Read load on each process.
sample="/search?lon=-2.3183&lat=53.4242&sort=distance&radius=50000&limit=20"
for i in 0 1 2; do
    echo "sample on process $((i + 1)): GET $sample -> $(curl -sf "http://127.0.0.1:${PORTS[$i]}$sample" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["features"]), "features")')"
done
echo
echo "--- 3. read load: wrk -t1 -c$CONNECTIONS (nice -n 5) on each process, ${WARMUP} s before the first write (load average $(load))"
for i in 0 1 2; do
    nice -n 5 wrk -t1 -c"$CONNECTIONS" -d"${MAX_LOAD}s" --timeout 10s --latency -s "$REPO_ROOT/scripts/wrk/search-random-points.lua" \
        "http://127.0.0.1:${PORTS[$i]}" -- "$((42 + i))" >"$WORK/wrk$i.out" 2>&1 &
    WRK_PIDS+=("$!")
done
sleep "$WARMUP"

# 4. Writes, timed until visible everywhere.
echo
echo "--- 4. $W writes, each through the next process in turn, timed until visible on all three (load average $(load))"
set +e
python3 "$REPO_ROOT/scripts/write_visibility.py" --ports "$(IFS=,; echo "${PORTS[*]}")" --token "$TOKEN" \
    --writes "$W" --synthetic "$N" --poll-ms "$POLL_MS" --timeout "$TIMEOUT" --pause-ms "$PAUSE_MS" \
    --json "$WORK/visibility.json"
vis_rc=$?
set -e
echo "(load average at the end of the writes: $(load))"
for i in 0 1 2; do
    kill -0 "${WRK_PIDS[$i]}" 2>/dev/null || echo "warning: wrk on process $((i + 1)) ended before the writes did (MAX_LOAD=${MAX_LOAD}s)"
done
for pid in "${WRK_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
for pid in "${WRK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
WRK_PIDS=()

# 5. Read throughput during the test, and whether the three hold the same data.
echo
echo "--- 5. read load during the test (from the start of the load, ${WARMUP} s before the first write, to the end of the writes)"
echo "| process | GET /search req/s | latency p50 | p99 | requests | errors (non-2xx, socket) | RSS after |"
echo "|---|---|---|---|---|---|---|"
for i in 0 1 2; do
    f="$WORK/wrk$i.out"
    rps=$(awk '/^Requests\/sec/ {print $2}' "$f")
    p50=$(awk '$1 == "50%" {print $2}' "$f")
    p99=$(awk '$1 == "99%" {print $2}' "$f")
    reqs=$(awk '/requests in/ {print $1}' "$f")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$f")
    sockerr=$(awk '/Socket errors/ {print $0}' "$f" | sed 's/^ *Socket errors: //')
    echo "| $((i + 1)) (port ${PORTS[$i]}) | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${reqs:-?} | ${non2xx:-0}${sockerr:+; $sockerr} | $(rss_mib "${SERVER_PIDS[$i]}") MiB |"
done
sleep 1.5
echo
for i in 0 1 2; do
    echo "process $((i + 1)) /health: $(curl -s "http://127.0.0.1:${PORTS[$i]}/health" | python3 -c 'import json,sys; h = json.load(sys.stdin); print(h.get("status"), "assets", h.get("assets"), "applied_seq", h.get("applied_seq"))')"
done
echo "latest change in the database: seq $("${PSQL[@]}" "$URL" -At -c 'SELECT max(seq) FROM asset_changes')"
slow="$WORK/postgres-slow.log"
tail -c "+$((pg_log_from + 1))" "$PG_LOG" >"$slow" 2>/dev/null || true
# log_min_duration_statement's lines (auto_explain's, with "plan:", say the same again).
grep 'duration: ' "$slow" | grep -v 'plan:' >"$WORK/slow-statements.log" || true
echo "statements of 50 ms or more in PostgreSQL while the servers ran: $(wc -l <"$WORK/slow-statements.log")," \
    "of which the change feed's catch-up (FROM asset_changes c): $(grep -c 'FROM asset_changes c' "$WORK/slow-statements.log" || true)"
grep -o 'duration: [0-9.]* ms.\{0,90\}' "$WORK/slow-statements.log" | sort -t' ' -k2 -n -r | head -n 5 | sed 's/^/  slowest: /' || true
# shellcheck disable=SC2016 # $1 is PostgreSQL's parameter in a plan, not a shell expansion
echo "generic plans of the catch-up among them (Index Cond: (seq > \$1)): $(grep -cF 'Index Cond: (seq > $1)' "$slow" || true)"
for i in 1 2 3; do
    if grep -qiE 'warn|error' "$WORK/serve$i.err"; then
        echo "process $i logged warnings or errors:"
        grep -iE 'warn|error' "$WORK/serve$i.err" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 5
    fi
done
exit "$vis_rc"
