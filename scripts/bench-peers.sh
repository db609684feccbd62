#!/usr/bin/env bash
# assetmap beside its peers, in one run (issue 21, item 5), on one throwaway PostgreSQL + PostGIS
# cluster (tests/run.sh -- …) holding N synthetic assets (default 1,000,000, `assetmap import
# --synthetic N`), every figure from the same data in the same run:
#
#   1. vector tiles: random zoom-14 tiles where the data is, assetmap (`assetmap serve` on that
#      database, /collections/assets/tiles/WebMercatorQuad/{z}/{y}/{x}) beside Martin 1.14 serving
#      the same `assets` table, cache off — a table source (every asset in the tile, with the
#      properties assetmap's points carry) and a function source that makes what assetmap's
#      zoom-14 tile holds (8 × 8 clusters with counts and the ABCD mix; an asset alone in its cell
#      as a point); also zoom 16 (every asset, both), where the two hold the same features;
#   2. k-nearest 20: PostGIS's own `ORDER BY geom <-> p LIMIT 20` (pgbench, as
#      scripts/bench-postgis.sh; also re-ranked on the sphere) beside assetmap's
#      `GET /search?lon&lat&sort=distance&limit=20` and the same with words and two filters;
#   3. bbox pages of 20 items (1 km boxes): pygeoapi 0.21 with its PostgreSQL provider on the
#      same table beside assetmap's `/collections/assets/items?bbox=…&limit=20`.
#
# Every load run is `wrk -t2 -c$CONNECTIONS -d${DURATION}s --timeout 10s` with scripts/wrk/pick.lua
# (after an uncounted warm-up of the same, WARMUP seconds, default 3),
# which picks from the same list of tiles, points or boxes in the same seeded order for assetmap
# and its peer. Servers run with their defaults: assetmap's and Martin's one worker per core,
# Martin's pool of 20 connections; pygeoapi under gunicorn, (2 × cores) + 1 sync workers.
#
#   bash scripts/bench-peers.sh                        # N = 1,000,000, 15 s per run
#   N=100000 DURATION=5 bash scripts/bench-peers.sh
#   ASSETMAP_BIN=path/to/assetmap bash scripts/bench-peers.sh   # skip the release build
#
# Needs: wrk, pgbench and ogrinfo (the test cluster's tools), Martin 1.14 ($MARTIN, default
# $PEERS_CACHE/martin/bin/martin, else `martin` on PATH; see the message below for how to build it),
# python3 with venv and pip access to PyPI (pygeoapi goes into a virtual environment under
# $PEERS_CACHE, default /tmp/assetmap-bench-peers, made on the first run). Loopback only; every
# load run is bounded; every server and the cluster are stopped on exit. Not run by CI.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

PEERS_CACHE="${PEERS_CACHE:-/tmp/assetmap-bench-peers}"
PYGEOAPI_VERSION="0.21.*"
PYGEOAPI_VENV="$PEERS_CACHE/pygeoapi-0.21-venv"

if [ "${1:-}" != "--inner" ]; then
    if ! command -v wrk >/dev/null; then
        if [ "$(id -u)" -eq 0 ]; then
            apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
        else
            echo "bench-peers.sh: wrk is not installed (apt-get install wrk)" >&2
            exit 1
        fi
    fi
    if [ -z "${MARTIN:-}" ]; then
        if [ -x "$PEERS_CACHE/martin/bin/martin" ]; then
            MARTIN="$PEERS_CACHE/martin/bin/martin"
        else
            MARTIN="$(command -v martin || true)"
        fi
    fi
    if [ -z "$MARTIN" ] || ! [ -x "$MARTIN" ]; then
        cat >&2 <<EOF
bench-peers.sh: Martin is not installed. Build Martin 1.14 with only its PostgreSQL sources
(a few minutes; newer Martin releases need a newer Rust):
    cargo install martin@1.14.0 --locked --no-default-features --features postgres --root $PEERS_CACHE/martin
then run this again, or point MARTIN at a martin binary: MARTIN=/path/to/martin bash scripts/bench-peers.sh
EOF
        exit 1
    fi
    martin_version="$("$MARTIN" --version)"
    case "$martin_version" in
        *" 1.14."*) ;;
        *) echo "bench-peers.sh: warning: $MARTIN is '$martin_version', not Martin 1.14" >&2 ;;
    esac
    # pygeoapi and what its PostgreSQL provider imports, into a virtual environment kept between
    # runs (made once; pip from PyPI).
    if ! [ -x "$PYGEOAPI_VENV/bin/gunicorn" ] || ! "$PYGEOAPI_VENV/bin/python" -c 'import pygeoapi.provider.sql' 2>/dev/null; then
        echo "bench-peers.sh: installing pygeoapi==$PYGEOAPI_VERSION into $PYGEOAPI_VENV"
        mkdir -p "$PEERS_CACHE"
        python3 -m venv "$PYGEOAPI_VENV"
        "$PYGEOAPI_VENV/bin/pip" install --quiet --disable-pip-version-check \
            "pygeoapi==$PYGEOAPI_VERSION" gunicorn psycopg2-binary GeoAlchemy2 </dev/null
    fi
    if [ -n "${ASSETMAP_BIN:-}" ]; then
        BIN="$ASSETMAP_BIN"
    else
        cargo build --release -p assetmap-server --bin assetmap
        BIN="$REPO_ROOT/target/release/assetmap"
    fi
    # tests/run.sh clears ASSETMAP_* from the environment: the binary goes as an argument.
    exec bash tests/run.sh -- bash "$REPO_ROOT/scripts/bench-peers.sh" --inner "$BIN" "$MARTIN"
fi

BIN="$2"
MARTIN="$3"
N="${N:-1000000}"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
WARMUP="${WARMUP:-3}"
# pygeoapi runs under gunicorn with this many synchronous worker processes: gunicorn's own
# advice for a 2-core machine is (2 × cores) + 1.
PYGEOAPI_WORKERS="${PYGEOAPI_WORKERS:-$(($(nproc) * 2 + 1))}"
PSQL=("$ASSETMAP_TEST_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
PICK="$REPO_ROOT/scripts/wrk/pick.lua"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# Waits until URL answers 2xx, or fails if process PID has gone (its log is shown).
wait_for() {
    local url="$1" pid="$2" log="$3" started=$SECONDS
    until curl -sf -o /dev/null "$url"; do
        if ! kill -0 "$pid" 2>/dev/null || [ $((SECONDS - started)) -gt 600 ]; then
            echo "bench-peers.sh: $url did not answer; log $log:" >&2
            tail -n 40 "$log" >&2
            exit 1
        fi
        sleep 0.2
    done
}

# The figures, one line each: key<TAB>value; printed as a table at the end.
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
record() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }
result() { awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { print v }' "$RESULTS"; }

# One wrk run of pick.lua over LIST with TEMPLATE at BASE; prints wrk's summary and records
# KEY.rps (requests/s), KEY.mbs (MB/s as wrk counts it: bodies and headers) and KEY.errors.
bench() {
    local key="$1" base="$2" list="$3" template="$4" out="$WORK/wrk-$1.out"
    # Warm-up, not counted: every server's workers open their connections and caches first.
    wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s "$PICK" "$base" -- "$list" "$template" >/dev/null
    echo "wrk $key: $base$template (load average before: $(load))"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$PICK" "$base" -- "$list" "$template" >"$out"
    sed -n '/Latency/,/Transfer/p' "$out" | grep -v -E '^ +[0-9]+% ' | grep -E 'Latency|requests in|Socket|Non-2xx|Requests/sec|Transfer' || true
    grep -E '^ +(50|99)% ' "$out" | xargs echo "  latency percentiles:" || true
    record "$key.rps" "$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
    record "$key.mbs" "$(awk '/^Transfer\/sec:/ {
        v = $2; n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; else if (u == "B") n /= 1048576
        printf "%.1f", n }' "$out")"
    record "$key.errors" "$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")"
}

DB="assetmap_bench"
"${PSQL[@]}" "$ASSETMAP_TEST_DATABASE_URL" -c "CREATE DATABASE $DB"
URL="${ASSETMAP_TEST_DATABASE_URL%/*}/$DB"
PG_VERSION="$("${PSQL[@]}" "$URL" -At -c 'SHOW server_version')"
POSTGIS_VERSION="$("${PSQL[@]}" "$ASSETMAP_TEST_DATABASE_URL" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'postgis'")"

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/^Mem:/ { print $2 }') GiB, load average $(load)"
echo "assetmap: $BIN ($("$BIN" --version 2>/dev/null || echo 'version unknown')); this script at git $(git -C "$REPO_ROOT" rev-parse --short HEAD)"
echo "Martin: $MARTIN ($("$MARTIN" --version))"
echo "pygeoapi: $("$PYGEOAPI_VENV/bin/python" -c 'import pygeoapi; print(pygeoapi.__version__)') under gunicorn $("$PYGEOAPI_VENV/bin/gunicorn" --version | awk '{ print $NF }' | tr -d '()'), $PYGEOAPI_WORKERS workers"
echo "PostgreSQL $PG_VERSION / PostGIS $POSTGIS_VERSION; wrk -t2 -c$CONNECTIONS -d${DURATION}s --timeout 10s; N = $N"

# --- The data: N synthetic assets into PostGIS, as scripts/bench-postgis.sh loads them.
echo
echo "--- assetmap import --synthetic $N"
"$BIN" --store "$URL" migrate >/dev/null
ASSETMAP_LOG=warn "$BIN" --store "$URL" --data "$REPO_ROOT/data" import --synthetic "$N" >"$WORK/import.out" 2>"$WORK/import.err" ||
    { cat "$WORK/import.err" >&2; exit 1; }
tail -n 1 "$WORK/import.out" || true
"${PSQL[@]}" "$URL" -c 'VACUUM ANALYZE assets'
echo "rows: $("${PSQL[@]}" "$URL" -At -c 'SELECT count(*) FROM assets'), database $("${PSQL[@]}" "$URL" -At -c "SELECT pg_size_pretty(pg_database_size('$DB'))")"

# Where the synthetic assets lie: assetmap_synthetic::EXTENT, read from the crate's source (the
# data's own extent from PostGIS is printed beside it as a check).
read -r WEST SOUTH EAST NORTH < <(python3 - "$REPO_ROOT/crates/assetmap-synthetic/src/lib.rs" <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
block = re.search(r"pub const EXTENT: Extent = Extent \{(.*?)\};", src, re.S).group(1)
v = dict(re.findall(r"(west|south|east|north):\s*(-?[0-9.]+)", block))
print(v["west"], v["south"], v["east"], v["north"])
EOF
)
echo "synthetic extent (assetmap_synthetic::EXTENT): lon $WEST..$EAST, lat $SOUTH..$NORTH;" \
    "the data's own: $("${PSQL[@]}" "$URL" -At -c 'SELECT round(ST_XMin(e)::numeric, 4) || $$..$$ || round(ST_XMax(e)::numeric, 4) || $$, $$ || round(ST_YMin(e)::numeric, 4) || $$..$$ || round(ST_YMax(e)::numeric, 4) FROM (SELECT ST_Extent(geom) e FROM assets) s')"

# The tiles to ask for at zoom Z: every tile in the extent's tile range holding at least one
# asset, as lines "z x y" (XYZ numbering).
tiles_at() {
    local z="$1"
    "${PSQL[@]}" "$URL" -At -F' ' -v z="$z" -v w="$WEST" -v s="$SOUTH" -v e="$EAST" -v n="$NORTH" >"$WORK/tiles-$z.txt" <<'EOF'
WITH r AS (
    SELECT :z AS z,
           floor((:w + 180) / 360 * 2 ^ :z)::int AS x0,
           floor((:e + 180) / 360 * 2 ^ :z)::int AS x1,
           floor((1 - ln(tan(radians(:n)) + 1 / cos(radians(:n))) / pi()) / 2 * 2 ^ :z)::int AS y0,
           floor((1 - ln(tan(radians(:s)) + 1 / cos(radians(:s))) / pi()) / 2 * 2 ^ :z)::int AS y1
), t AS (
    SELECT DISTINCT
           floor((ST_X(geom) + 180) / 360 * 2 ^ :z)::int AS x,
           floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 2 ^ :z)::int AS y
    FROM assets
)
SELECT r.z, t.x, t.y FROM t, r
WHERE t.x BETWEEN r.x0 AND r.x1 AND t.y BETWEEN r.y0 AND r.y1
ORDER BY t.x, t.y;
EOF
    "${PSQL[@]}" "$URL" -At -v z="$z" -v w="$WEST" -v s="$SOUTH" -v e="$EAST" -v n="$NORTH" <<'EOF'
SELECT 'zoom ' || :z || ': tile range x ' || floor((:w + 180) / 360 * 2 ^ :z)::int || '..' || floor((:e + 180) / 360 * 2 ^ :z)::int
    || ', y ' || floor((1 - ln(tan(radians(:n)) + 1 / cos(radians(:n))) / pi()) / 2 * 2 ^ :z)::int
    || '..' || floor((1 - ln(tan(radians(:s)) + 1 / cos(radians(:s))) / pi()) / 2 * 2 ^ :z)::int;
EOF
    echo "  tiles holding assets (asked at random): $(wc -l <"$WORK/tiles-$z.txt")"
}
tiles_at 14
tiles_at 16

# Points for the k-nearest searches: uniform over the extent (as scripts/wrk/search-random-points.lua).
python3 - "$WEST" "$SOUTH" "$EAST" "$NORTH" >"$WORK/points.txt" <<'EOF'
import random, sys
w, s, e, n = map(float, sys.argv[1:])
r = random.Random(42)
for _ in range(100000):
    print(f"{w + r.random() * (e - w):.6f} {s + r.random() * (n - s):.6f}")
EOF
# 1 km boxes (1 km wide, 1 km high at their centre) centred on randomly chosen assets, over the
# whole extent, as "west,south,east,north".
"${PSQL[@]}" "$URL" -At >"$WORK/boxes.txt" <<'EOF'
SELECT round((ST_X(geom) - 500 / (111320 * cos(radians(ST_Y(geom)))))::numeric, 6) || ',' ||
       round((ST_Y(geom) - 500 / 110574.0)::numeric, 6) || ',' ||
       round((ST_X(geom) + 500 / (111320 * cos(radians(ST_Y(geom)))))::numeric, 6) || ',' ||
       round((ST_Y(geom) + 500 / 110574.0)::numeric, 6)
FROM (SELECT geom FROM assets TABLESAMPLE BERNOULLI (2) REPEATABLE (42) ORDER BY md5(id) LIMIT 20000) s;
EOF
echo "k-nearest points: $(wc -l <"$WORK/points.txt"); 1 km boxes: $(wc -l <"$WORK/boxes.txt")"

# --- The servers: all three on the same database, each on its own loopback port; only one is
# under load at a time.
echo
echo "--- starting assetmap, Martin and pygeoapi on $DB"
AM_PORT="$(free_port)"
ASSETMAP_LOG=warn "$BIN" --store "$URL" --data "$REPO_ROOT/data" serve --bind "127.0.0.1:$AM_PORT" >"$WORK/assetmap.out" 2>"$WORK/assetmap.err" &
PIDS+=("$!")
AM="http://127.0.0.1:$AM_PORT"
started=$SECONDS
wait_for "$AM/health" "${PIDS[-1]}" "$WORK/assetmap.err"
echo "assetmap: ready after $((SECONDS - started)) s, RSS $(ps -o rss= -p "${PIDS[-1]}" | awk '{ printf "%.0f MiB", $1 / 1024 }')"

# Martin's function source: what assetmap's tile holds at zooms below 15 — the tile cut into
# 8 × 8 cells, the statuses the map shows (active, temporarily closed), each cell with assets
# one cluster at their mean position with point_count, point_count_abbreviated and the count
# per ABCD type, or, alone in its cell, the asset as a point with id, name, abcd_type,
# categories (joined by ",") and status; one layer "assets", extent 4096, no buffer. PL/pgSQL,
# so that each of Martin's connections plans the query once; the GiST index finds the tile's
# assets, each projected once, and one GROUP BY makes the cells.
"${PSQL[@]}" "$URL" <<'EOF'
CREATE FUNCTION public.asset_clusters(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
    e geometry := ST_TileEnvelope(z, x, y);
    x0 float8 := ST_XMin(e);
    x1 float8 := ST_XMax(e);
    y0 float8 := ST_YMin(e);
    y1 float8 := ST_YMax(e);
    mvt bytea;
BEGIN
    WITH inside AS MATERIALIZED (
        SELECT a.id, a.name, a.abcd_type, a.categories, a.status, ST_X(m.g) AS px, ST_Y(m.g) AS py
        FROM assets a, LATERAL (SELECT ST_Transform(a.geom, 3857) AS g) m
        WHERE a.geom && ST_Transform(e, 4326)
          AND a.status IN ('active', 'temporarily_closed')
    ), cells AS (
        SELECT count(*) AS n, avg(px) AS mx, avg(py) AS my,
               min(id) AS id, min(name) AS name, min(abcd_type) AS abcd_type,
               min(array_to_string(categories, ',')) AS categories, min(status) AS status,
               count(*) FILTER (WHERE abcd_type = 'association') AS abcd_association,
               count(*) FILTER (WHERE abcd_type = 'institution') AS abcd_institution,
               count(*) FILTER (WHERE abcd_type = 'physical_space') AS abcd_physical_space,
               count(*) FILTER (WHERE abcd_type = 'economy') AS abcd_economy,
               count(*) FILTER (WHERE abcd_type = 'culture') AS abcd_culture
        FROM inside
        WHERE px >= x0 AND px < x1 AND py > y0 AND py <= y1
        GROUP BY floor((px - x0) / (x1 - x0) * 8), floor((y1 - py) / (y1 - y0) * 8)
    )
    SELECT ST_AsMVT(t, 'assets', 4096, 'geom') INTO mvt
    FROM (
        SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.mx, c.my), 3857), e, 4096, 0, false) AS geom,
               CASE WHEN c.n = 1 THEN c.id END AS id,
               CASE WHEN c.n = 1 THEN c.name END AS name,
               CASE WHEN c.n = 1 THEN c.abcd_type END AS abcd_type,
               CASE WHEN c.n = 1 THEN c.categories END AS categories,
               CASE WHEN c.n = 1 THEN c.status END AS status,
               CASE WHEN c.n > 1 THEN true END AS cluster,
               CASE WHEN c.n > 1 THEN c.n END AS point_count,
               CASE WHEN c.n = 1 THEN NULL
                    WHEN c.n >= 10000 THEN ((c.n + 500) / 1000)::text || 'k'
                    WHEN c.n >= 1000 AND (c.n + 50) / 100 % 10 = 0 THEN ((c.n + 50) / 1000)::text || 'k'
                    WHEN c.n >= 1000 THEN ((c.n + 50) / 1000)::text || '.' || ((c.n + 50) / 100 % 10)::text || 'k'
                    ELSE c.n::text END AS point_count_abbreviated,
               CASE WHEN c.n > 1 THEN c.abcd_association END AS abcd_association,
               CASE WHEN c.n > 1 THEN c.abcd_institution END AS abcd_institution,
               CASE WHEN c.n > 1 THEN c.abcd_physical_space END AS abcd_physical_space,
               CASE WHEN c.n > 1 THEN c.abcd_economy END AS abcd_economy,
               CASE WHEN c.n > 1 THEN c.abcd_culture END AS abcd_culture
        FROM cells c
    ) t;
    RETURN mvt;
END
$fn$;
EOF

MARTIN_PORT="$(free_port)"
cat >"$WORK/martin.yaml" <<EOF
listen_addresses: "127.0.0.1:$MARTIN_PORT"
postgres:
  connection_string: "$URL"
  auto_publish: false
  tables:
    assets:
      schema: public
      table: assets
      srid: 4326
      geometry_column: geom
      geometry_type: POINT
      properties:
        id: text
        name: text
        abcd_type: text
        categories: _text
        status: text
  functions:
    asset_clusters:
      schema: public
      function: asset_clusters
EOF
RUST_LOG=warn "$MARTIN" --config "$WORK/martin.yaml" --cache-size 0 >"$WORK/martin.out" 2>"$WORK/martin.err" &
PIDS+=("$!")
MT="http://127.0.0.1:$MARTIN_PORT"
wait_for "$MT/health" "${PIDS[-1]}" "$WORK/martin.err"
echo "Martin: ready (config $WORK/martin.yaml, --cache-size 0), sources: $(curl -sf "$MT/catalog" | python3 -c 'import json, sys; print(", ".join(sorted(json.load(sys.stdin)["tiles"])))')"

PG_PORT="$(free_port)"
DB_HOST="$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p.hostname, p.port, p.username)' "$URL")"
read -r DB_HOSTNAME DB_PORT DB_USER <<<"$DB_HOST"
cat >"$WORK/pygeoapi.yml" <<EOF
server:
  bind:
    host: 127.0.0.1
    port: $PG_PORT
  url: http://127.0.0.1:$PG_PORT
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: en-US
  limits:
    default_items: 20
    max_items: 1000
  map:
    url: https://tile.openstreetmap.org/{z}/{x}/{y}.png
    attribution: OpenStreetMap
logging:
  level: ERROR
metadata:
  identification:
    title: assetmap peers benchmark
    description: the assets table of the assetmap benchmark database
    keywords: [assets]
    keywords_type: theme
    terms_of_service: https://creativecommons.org/licenses/by/4.0/
    url: http://127.0.0.1
  license:
    name: CC-BY 4.0 license
    url: https://creativecommons.org/licenses/by/4.0/
  provider:
    name: assetmap
    url: http://127.0.0.1
  contact:
    name: assetmap
resources:
  assets:
    type: collection
    title: assets
    description: synthetic community assets
    keywords: [assets]
    extents:
      spatial:
        bbox: [$WEST, $SOUTH, $EAST, $NORTH]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        data:
          host: $DB_HOSTNAME
          port: $DB_PORT
          dbname: $DB
          user: $DB_USER
          search_path: [public]
        id_field: id
        table: assets
        geom_field: geom
EOF
export PYGEOAPI_CONFIG="$WORK/pygeoapi.yml" PYGEOAPI_OPENAPI="$WORK/pygeoapi-openapi.yml"
"$PYGEOAPI_VENV/bin/pygeoapi" openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >"$WORK/pygeoapi-openapi.log" 2>&1 ||
    { cat "$WORK/pygeoapi-openapi.log" >&2; exit 1; }
"$PYGEOAPI_VENV/bin/gunicorn" --workers "$PYGEOAPI_WORKERS" --bind "127.0.0.1:$PG_PORT" --log-level warning \
    pygeoapi.flask_app:APP >"$WORK/pygeoapi.out" 2>"$WORK/pygeoapi.err" &
PIDS+=("$!")
PY="http://127.0.0.1:$PG_PORT"
wait_for "$PY/collections/assets?f=json" "${PIDS[-1]}" "$WORK/pygeoapi.err"
echo "pygeoapi: ready (config $WORK/pygeoapi.yml, gunicorn --workers $PYGEOAPI_WORKERS, sync workers)"

# --- 1. Vector tiles.
echo
echo "--- 1. random vector tiles where the data is"
# Features in one tile (GDAL's MVT driver), and its size.
tile_check() {
    local label="$1" url="$2" z="$3" x="$4" y="$5" f="$WORK/check.mvt"
    curl -sf -o "$f" "$url"
    local features=0
    if [ -s "$f" ]; then
        features="$(ogrinfo -ro -al -so -oo "Z=$z" -oo "X=$x" -oo "Y=$y" "$f" 2>/dev/null | awk '/^Feature Count:/ { n += $3 } END { print n + 0 }')"
    fi
    printf '  %-34s %7d bytes, %5d features\n' "$label" "$(stat -c %s "$f")" "$features"
}
for z in 14 16; do
    # The densest tile and one picked at random from the list (the same one for every server).
    densest="$("${PSQL[@]}" "$URL" -At -F' ' -c "SELECT floor((ST_X(geom) + 180) / 360 * 2 ^ $z)::int AS x, floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 2 ^ $z)::int AS y FROM assets GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1")"
    picked="$(python3 -c 'import random, sys; lines = open(sys.argv[1]).read().split("\n")[:-1]; print(random.Random(7).choice(lines).split(" ", 1)[1])' "$WORK/tiles-$z.txt")"
    for xy in "$densest" "$picked"; do
        read -r x y <<<"$xy"
        echo "tile $z/$x/$y ($("${PSQL[@]}" "$URL" -At -c "SELECT count(*) FROM assets WHERE geom && ST_Transform(ST_TileEnvelope($z, $x, $y), 4326)") assets in it):"
        tile_check "assetmap" "$AM/collections/assets/tiles/WebMercatorQuad/$z/$y/$x" "$z" "$x" "$y"
        tile_check "Martin table source" "$MT/assets/$z/$x/$y" "$z" "$x" "$y"
        if [ "$z" -lt 15 ]; then
            tile_check "Martin function source (clusters)" "$MT/asset_clusters/$z/$x/$y" "$z" "$x" "$y"
        fi
    done
done
bench tiles14.assetmap "$AM" "$WORK/tiles-14.txt" "/collections/assets/tiles/WebMercatorQuad/{1}/{3}/{2}"
bench tiles14.martin_table "$MT" "$WORK/tiles-14.txt" "/assets/{1}/{2}/{3}"
bench tiles14.martin_function "$MT" "$WORK/tiles-14.txt" "/asset_clusters/{1}/{2}/{3}"
bench tiles16.assetmap "$AM" "$WORK/tiles-16.txt" "/collections/assets/tiles/WebMercatorQuad/{1}/{3}/{2}"
bench tiles16.martin_table "$MT" "$WORK/tiles-16.txt" "/assets/{1}/{2}/{3}"

# --- 2. k-nearest 20.
echo
echo "--- 2. k-nearest 20: PostGIS (pgbench) and assetmap (wrk), random points over the extent"
LON_SPAN="$(awk -v a="$WEST" -v b="$EAST" 'BEGIN { printf "%.6f", b - a }')"
LAT_SPAN="$(awk -v a="$SOUTH" -v b="$NORTH" 'BEGIN { printf "%.6f", b - a }')"
cat >"$WORK/knn.sql" <<EOF
\\set lon $WEST + random(0, 1000000) / 1000000.0 * $LON_SPAN
\\set lat $SOUTH + random(0, 1000000) / 1000000.0 * $LAT_SPAN
SELECT id FROM assets ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 20;
EOF
# The same re-ranked on the sphere, as assetmap answers (bench-postgis.sh's knn_sphere.sql).
head -n 2 "$WORK/knn.sql" >"$WORK/knn_sphere.sql"
cat >>"$WORK/knn_sphere.sql" <<'EOF'
SELECT id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, false) AS d
FROM (SELECT id, geom FROM assets ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 100) c
ORDER BY d LIMIT 20;
EOF
for script in knn knn_sphere; do
    echo "pgbench -n -M prepared -c $CONNECTIONS -j 2 -T $DURATION -f $script.sql (load average before: $(load)):"
    "$ASSETMAP_TEST_PG_BIN/pgbench" -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$WORK/$script.sql" "$URL" >"$WORK/pgbench.out" 2>&1 ||
        { cat "$WORK/pgbench.out" >&2; exit 1; }
    grep -E "latency average|^tps" "$WORK/pgbench.out"
    record "$script.pgbench" "$(awk '/^tps/ { print $3 }' "$WORK/pgbench.out")"
done
SEARCH="/search?lon={1}&lat={2}&sort=distance&radius=50000&limit=20"
WORDS="/search?lon={1}&lat={2}&q=gardening&cost=low&age=72&radius=2000&sort=distance&limit=20"
for path in "$SEARCH" "$WORDS"; do
    read -r lon lat < <(head -n 1 "$WORK/points.txt")
    sample="${path/\{1\}/$lon}"
    sample="${sample/\{2\}/$lat}"
    echo "sample: GET $sample -> $(curl -sf "$AM$sample" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["features"]), "features")')"
done
bench knn.assetmap "$AM" "$WORK/points.txt" "$SEARCH"
bench knn_words.assetmap "$AM" "$WORK/points.txt" "$WORDS"

# --- 3. bbox pages.
echo
echo "--- 3. 1 km bbox pages of 20 items: pygeoapi and assetmap"
box="$(head -n 1 "$WORK/boxes.txt")"
for u in "$AM/collections/assets/items?bbox=$box&limit=20" "$PY/collections/assets/items?bbox=$box&limit=20&f=json"; do
    curl -sf -o "$WORK/page.json" "$u"
    echo "sample: GET $u -> $(stat -c %s "$WORK/page.json") bytes, $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["features"]), "features, numberMatched", d.get("numberMatched"))' "$WORK/page.json")"
done
echo "  (PostGIS: $("${PSQL[@]}" "$URL" -At -c "SELECT count(*) FROM assets WHERE geom && ST_MakeEnvelope($box, 4326)") assets in that box)"
bench bbox.assetmap "$AM" "$WORK/boxes.txt" "/collections/assets/items?bbox={1}&limit=20"
bench bbox.pygeoapi "$PY" "$WORK/boxes.txt" "/collections/assets/items?bbox={1}&limit=20&f=json"

# --- The table.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }'; }
# row FIGURE ASSETMAP-KEY PEER-KEY [DECIMALS]
row() {
    local a p
    a="$(result "$2")"
    p="$(result "$3")"
    [ -n "$a" ] && [ -n "$p" ] || return 0
    awk -v f="$1" -v a="$a" -v p="$p" -v r="$(ratio "$a" "$p")" -v d="${4:-0}" \
        'BEGIN { printf "| %s | %.*f | %.*f | %s× |\n", f, d, a, d, p, r }'
}
# verdict WHAT ASSETMAP-KEY PEER-KEY TARGET
verdict() {
    local r
    r="$(ratio "$(result "$2")" "$(result "$3")")"
    if awk -v r="$r" -v t="$4" 'BEGIN { exit !(r >= t) }'; then
        echo "  $1: ${r}× (target ≥ $4×): met"
    else
        echo "  $1: ${r}× (target ≥ $4×): NOT met"
    fi
}
echo
echo "--- Figures (N = $N, wrk -t2 -c$CONNECTIONS -d${DURATION}s --timeout 10s; PostgreSQL $PG_VERSION, PostGIS $POSTGIS_VERSION)"
echo "| figure | assetmap | peer | ratio |"
echo "|---|---|---|---|"
row "z14 tiles/s, Martin table source (every asset)" tiles14.assetmap.rps tiles14.martin_table.rps
row "z14 MB/s, Martin table source" tiles14.assetmap.mbs tiles14.martin_table.mbs 1
row "z14 tiles/s, Martin function source (assetmap's clusters)" tiles14.assetmap.rps tiles14.martin_function.rps
row "z14 MB/s, Martin function source" tiles14.assetmap.mbs tiles14.martin_function.mbs 1
row "z16 tiles/s, Martin table source (every asset, both)" tiles16.assetmap.rps tiles16.martin_table.rps
row "z16 MB/s, Martin table source" tiles16.assetmap.mbs tiles16.martin_table.mbs 1
row "k-nearest 20: /search sort=distance req/s vs pgbench tps" knn.assetmap.rps knn.pgbench
row "k-nearest 20 with words and two filters req/s vs pgbench tps" knn_words.assetmap.rps knn.pgbench
row "k-nearest 20: /search sort=distance req/s vs pgbench on the sphere tps" knn.assetmap.rps knn_sphere.pgbench
row "1 km bbox pages of 20 per s, pygeoapi" bbox.assetmap.rps bbox.pygeoapi.rps
row "1 km bbox pages MB/s, pygeoapi" bbox.assetmap.mbs bbox.pygeoapi.mbs 1
echo
echo "errors (non-2xx + socket errors) per run: $(awk -F'\t' '$1 ~ /\.errors$/ { sub(/\.errors$/, "", $1); printf "%s%s %s", sep, $1, $2; sep = ", " }' "$RESULTS")"
echo "issue 21's targets:"
verdict "z14 tiles/s over Martin (table source)" tiles14.assetmap.rps tiles14.martin_table.rps 2
verdict "z14 tiles/s over Martin (function source)" tiles14.assetmap.rps tiles14.martin_function.rps 2
verdict "/search sort=distance over pgbench k-nearest" knn.assetmap.rps knn.pgbench 3
verdict "with words and filters over pgbench k-nearest" knn_words.assetmap.rps knn.pgbench 2
