#!/usr/bin/env bash
# PostGIS figures for BENCHMARKS.md, in one run on a throwaway cluster (tests/run.sh -- …):
#   1. bulk load of N synthetic assets (default 1,000,000) with `assetmap import --synthetic N`
#      (binary COPY, one transaction),
#   2. cold start of `assetmap serve` on that database: seconds until it answers, resident memory,
#      building the engine from the rows (and writing its snapshot), then again from the snapshot,
#   3. pgbench tps of PostGIS's own k-nearest query (20 nearest by `ORDER BY geom <-> p`, and
#      the same re-ranked on the sphere), beside the same question answered by assetmap over
#      HTTP (`GET /search?lon&lat&sort=distance&limit=20`) with wrk, from the same random points;
#      then searches with words and two filters from random points, the three alternated twice
#      (`/health` is no HTTP floor
#      here: it asks PostGIS for its latest change; the floor is measured on the GeoPackage store.)
#
#   bash scripts/bench-postgis.sh            # N = 1,000,000
#   N=200000 DURATION=10 bash scripts/bench-postgis.sh
#   ROUNDS=4 bash scripts/bench-postgis.sh   # step 3 alternated four times (default 2)
#
# Loopback only; every load run is bounded (DURATION seconds, default 15); the server and the
# cluster are stopped on exit. Needs wrk and pgbench (installed here if missing and run as root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

if [ "${1:-}" != "--inner" ]; then
    if ! command -v wrk >/dev/null; then
        if [ "$(id -u)" -eq 0 ]; then
            apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
        else
            echo "bench-postgis.sh: wrk is not installed (apt-get install wrk)" >&2
            exit 1
        fi
    fi
    cargo build --release -p assetmap-server --bin assetmap
    exec bash tests/run.sh -- bash "$REPO_ROOT/scripts/bench-postgis.sh" --inner
fi

N="${N:-1000000}"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/assetmap"
PSQL=("$ASSETMAP_TEST_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

DB="assetmap_bench"
"${PSQL[@]}" "$ASSETMAP_TEST_DATABASE_URL" -c "CREATE DATABASE $DB"
URL="${ASSETMAP_TEST_DATABASE_URL%/*}/$DB"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(load)"
echo "PostgreSQL: $("${PSQL[@]}" "$URL" -At -c 'SHOW server_version') / PostGIS $("${PSQL[@]}" "$ASSETMAP_TEST_DATABASE_URL" -At -c 'SELECT extversion FROM pg_extension WHERE extname = $$postgis$$')"

# 1. Bulk load through the CLI.
echo
echo "--- 1. assetmap import --synthetic $N"
"$BIN" --store "$URL" migrate >/dev/null
t0=$(now)
ASSETMAP_LOG=info "$BIN" --store "$URL" --data "$REPO_ROOT/data" import --synthetic "$N" >"$WORK/import.out" 2>"$WORK/import.err"
t1=$(now)
tail -n 3 "$WORK/import.out" || true
grep -h "bulk load committed" "$WORK/import.err" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 1 || true
echo "import wall time (generating the assets included): $(echo "$t1 - $t0" | bc) s; load average $(load)"
echo "rows: $("${PSQL[@]}" "$URL" -At -c 'SELECT count(*) FROM assets'), database size $("${PSQL[@]}" "$URL" -At -c "SELECT pg_size_pretty(pg_database_size('$DB'))")"
"${PSQL[@]}" "$URL" -c 'VACUUM ANALYZE assets'
# The import's pages written out now, not by a checkpoint in the middle of a load run.
"${PSQL[@]}" "$URL" -c 'CHECKPOINT'

# 2. Cold start, twice: the first builds the engine from every row and writes its snapshot
# (a local file, as each PostGIS server process would name its own), the second reads it.
echo
echo "--- 2. cold start: assetmap serve on $N assets in PostGIS"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
start_server() {
    local t0 t1
    t0=$(now)
    ASSETMAP_LOG=info ASSETMAP_ENGINE_SNAPSHOT="$WORK/engine" "$BIN" --store "$URL" --data "$REPO_ROOT/data" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVER_PID=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$PORT/health"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$WORK/serve.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    t1=$(now)
    echo "$1: ready (GET /health answers) after $(echo "$t1 - $t0" | bc) s; RSS $(ps -o rss= -p "$SERVER_PID" | awk '{printf "%.0f MiB", $1/1024}'); load average $(load)"
    grep -h "engine loaded\|engine snapshot" "$WORK/serve.err" | sed 's/\x1b\[[0-9;]*m//g; s/^.*INFO //' || true
}
start_server "no snapshot yet (engine built from the store, then its snapshot written)"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server "from the snapshot"

# 3. k-nearest: PostGIS (pgbench) and assetmap (wrk), random points over the synthetic extent.
cat >"$WORK/knn.sql" <<'EOF'
\set lon -3.0 + random(0, 1100000) / 1000000.0
\set lat 53.2 + random(0, 500000) / 1000000.0
SELECT id FROM assets ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 20;
EOF
cat >"$WORK/knn_sphere.sql" <<'EOF'
\set lon -3.0 + random(0, 1100000) / 1000000.0
\set lat 53.2 + random(0, 500000) / 1000000.0
SELECT id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, false) AS d
FROM (SELECT id, geom FROM assets ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 100) c
ORDER BY d LIMIT 20;
EOF
echo
echo "--- 3. k-nearest 20, $CONNECTIONS connections, ${DURATION} s each (client and server share the cores)"
sample="/search?lon=-2.3183&lat=53.4242&sort=distance&radius=50000&limit=20"
echo "sample: GET $sample -> $(curl -sf "http://127.0.0.1:$PORT$sample" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["features"]), "features")')"
pgbench_tps() {
    "$ASSETMAP_TEST_PG_BIN/pgbench" -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$WORK/$1.sql" "$URL" 2>&1 |
        grep -E "latency average|^tps" || true
}
# Random points over the extent; the arguments after the URL: seed and query (none: nearest first).
wrk_search() {
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$REPO_ROOT/scripts/wrk/search-random-points.lua" "http://127.0.0.1:$PORT" "$@" | sed -n '/Latency/,/Transfer/p'
}
# Alternated, ROUNDS times (default 2), so that a slow moment of the machine falls on both sides.
for round in $(seq 1 "${ROUNDS:-2}"); do
    echo "round $round: pgbench knn.sql (load average $(load)):"
    pgbench_tps knn
    echo "round $round: wrk GET /search nearest first (load average $(load)):"
    wrk_search
    echo "round $round: wrk GET /search with words and two filters (load average $(load)):"
    wrk_search -- 42 'radius=2000&limit=20&q=gardening&cost=low&age=72'
done
echo "pgbench knn_sphere.sql (load average $(load)):"
pgbench_tps knn_sphere
