#!/usr/bin/env bash
# Export benchmark: `assetmap export` of N synthetic assets (default 1,000,000) from PostGIS to
# GeoJSON, CSV and GeoPackage, beside `ogr2ogr` exporting the same rows from the same table,
# in one run on this machine. Prints a Markdown table for BENCHMARKS.md ("## Exports").
#
#   bash scripts/bench-export.sh [N]
#
# It runs itself under `bash tests/run.sh -- …`, which installs PostGIS and GDAL if missing,
# starts a throwaway PostgreSQL + PostGIS cluster and removes it afterwards. Uses a release
# build (`cargo build --release -p assetmap-server`). Time and peak memory (maximum resident
# set size) come from GNU time (`/usr/bin/time -v`, package `time`).
set -euo pipefail

N="${1:-1000000}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

if [ -z "${ASSETMAP_TEST_DATABASE_URL:-}" ]; then
    exec bash tests/run.sh -- bash "$REPO_ROOT/scripts/bench-export.sh" "$N"
fi
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y --no-install-recommends time </dev/null >/dev/null
    else
        echo "bench-export.sh: GNU time is missing: sudo apt-get install -y time" >&2
        exit 1
    fi
fi

cargo build --release -p assetmap-server
BIN="$REPO_ROOT/target/release/assetmap"

# A fresh database on the throwaway cluster.
ADMIN="$ASSETMAP_TEST_DATABASE_URL"
if [[ ! "$ADMIN" =~ ^postgres://([^@]+)@([^:/]+):([0-9]+)/(.+)$ ]]; then
    echo "bench-export.sh: cannot read $ADMIN" >&2
    exit 1
fi
PGUSER_="${BASH_REMATCH[1]}" PGHOST_="${BASH_REMATCH[2]}" PGPORT_="${BASH_REMATCH[3]}"
DB="bench_export_$$"
psql "$ADMIN" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
URL="postgres://$PGUSER_@$PGHOST_:$PGPORT_/$DB"
PG="PG:host=$PGHOST_ port=$PGPORT_ user=$PGUSER_ dbname=$DB"

OUT="$(mktemp -d "${TMPDIR:-/tmp}/assetmap-bench-export.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT

echo "loading $N synthetic assets into PostGIS…" >&2
"$BIN" --store "$URL" --data "$REPO_ROOT/data" import --synthetic "$N" >&2
psql "$URL" -q -c "VACUUM ANALYZE assets" >/dev/null
ROWS="$(psql "$URL" -At -c 'SELECT count(*) FROM assets')"
TABLE_MB="$(psql "$URL" -At -c "SELECT round(pg_total_relation_size('assets') / 1048576.0)")"

# Runs a command under GNU time; prints "seconds max_rss_mib file_mib".
measure() {
    local name="$1" file="$2"
    shift 2
    /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 ||
        { cat "$OUT/$name.log" "$OUT/$name.time" >&2; exit 1; }
    local secs rss
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$OUT/$name.time")"
    rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$OUT/$name.time")"
    local size
    size="$(du -sm "$file" | cut -f1)"
    rm -rf "$file"
    echo "$secs $rss $size"
}

row() {
    local tool="$1" format="$2" result="$3"
    local secs rss size
    read -r secs rss size <<<"$result"
    awk -v t="$tool" -v f="$format" -v s="$secs" -v r="$rss" -v z="$size" -v n="$ROWS" \
        'BEGIN { printf "| %s | %s | %.1f | %\047.0f | %s | %s |\n", t, f, s, n / s, r, z }'
}

# Every status, so both tools export every row of the table.
echo "timing…" >&2
declare -A RESULTS
for fmt in geojson csv gpkg; do
    RESULTS["assetmap $fmt"]="$(measure "assetmap-$fmt" "$OUT/a.$fmt" \
        "$BIN" --store "$URL" --data "$REPO_ROOT/data" export --format "$fmt" --layers assets \
        --status active,temporarily_closed,closed --out "$OUT/a.$fmt")"
done
# Text arrays (categories, tags, access, languages) as text; nullable columns (an empty array
# becomes NULL), so every row converts.
OGR=(-mapFieldType StringList=String -forceNullable)
RESULTS["ogr2ogr geojson"]="$(measure ogr-geojson "$OUT/o.geojson" ogr2ogr "${OGR[@]}" -f GeoJSON "$OUT/o.geojson" "$PG" assets)"
RESULTS["ogr2ogr csv"]="$(measure ogr-csv "$OUT/o.csv" ogr2ogr "${OGR[@]}" -f CSV "$OUT/o.csv" "$PG" assets -lco GEOMETRY=AS_XY)"
RESULTS["ogr2ogr gpkg"]="$(measure ogr-gpkg "$OUT/o.gpkg" ogr2ogr "${OGR[@]}" -f GPKG "$OUT/o.gpkg" "$PG" assets)"
RESULTS["ogr2ogr gpkg, no spatial index"]="$(measure ogr-gpkg-noidx "$OUT/p.gpkg" ogr2ogr "${OGR[@]}" -f GPKG "$OUT/p.gpkg" "$PG" assets -lco SPATIAL_INDEX=NO)"

echo
echo "$ROWS assets (PostGIS table with indexes: $TABLE_MB MiB); $(nproc) CPU cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM; $(ogr2ogr --version); $(psql "$URL" -At -c 'SELECT version()' | cut -d, -f1); PostGIS $(psql "$URL" -At -c 'SELECT postgis_lib_version()')"
echo
echo "| tool | format | seconds | features/s | peak memory (MiB) | file (MiB) |"
echo "|---|---|---|---|---|---|"
for fmt in geojson csv gpkg; do
    row "assetmap export" "$fmt" "${RESULTS["assetmap $fmt"]}"
    row "ogr2ogr" "$fmt" "${RESULTS["ogr2ogr $fmt"]}"
done
row "ogr2ogr (-lco SPATIAL_INDEX=NO)" "gpkg" "${RESULTS["ogr2ogr gpkg, no spatial index"]}"
