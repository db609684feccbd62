#!/usr/bin/env bash
# Mapped-import benchmark: a council-shaped CSV table of N rows (default 1,000,000; written by
# scripts/council_table.py: BNG coordinates, every tenth row only a postcode, free-text hours)
# imported with scripts/council_table.toml into a new GeoPackage store, then imported again
# over itself (every record unchanged) and with one row in ten renamed (changed). Prints a
# Markdown table for BENCHMARKS.md ("## Mapped import").
#
#   bash scripts/bench-import.sh [N]
#   ASSETMAP_BIN=/path/to/assetmap bash scripts/bench-import.sh [N]   # another build, side by side
#
# Uses a release build (`cargo build --release -p assetmap-server`); time and peak memory come
# from GNU time (`/usr/bin/time -v`, package `time`). Needs no database server.
set -euo pipefail

N="${1:-1000000}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y --no-install-recommends time </dev/null >/dev/null
    else
        echo "bench-import.sh: GNU time is missing: sudo apt-get install -y time" >&2
        exit 1
    fi
fi
if [ -n "${ASSETMAP_BIN:-}" ]; then
    BIN="$ASSETMAP_BIN"
else
    cargo build --release -p assetmap-server
    BIN="$REPO_ROOT/target/release/assetmap"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 scripts/council_table.py "$N" > "$WORK/table.csv"
# One row in ten renamed, for the changed run.
python3 - "$WORK/table.csv" "$WORK/changed.csv" <<'PY'
import sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for i, line in enumerate(src):
        if i > 0 and i % 10 == 1:
            ref, name, rest = line.split(",", 2)
            line = f"{ref},{name} (renamed),{rest}"
        out.write(line)
PY

run() { # label, table
    local label="$1" table="$2"
    /usr/bin/time -v "$BIN" --store "$WORK/store.gpkg" --data "$REPO_ROOT/data" import \
        --file "$table" --mapping scripts/council_table.toml --report json \
        >"$WORK/report.json" 2>"$WORK/time.txt"
    local secs rss
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = 0; for (i = 1; i <= length(t); i++) s = s * 60 + t[i]; print s}' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$WORK/time.txt")
    python3 - "$WORK/report.json" "$label" "$secs" "$rss" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
label, secs, rss, n = sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
print(f"| {label} | {n:,} rows in {secs:.1f} s = **{n / secs:,.0f} rows/s** | "
      f"{r['new']:,} new, {r['changed']:,} changed, {r['unchanged']:,} unchanged, {r['rejected']:,} rejected | {rss} MiB |")
PY
}

echo "| run | time | outcome | peak memory |"
echo "|---|---|---|---|"
run "first import into a new GeoPackage" "$WORK/table.csv"
run "the same table again (nothing to write)" "$WORK/table.csv"
run "one row in ten renamed" "$WORK/changed.csv"
ls -l "$WORK/store.gpkg" | awk '{printf "store file: %.0f MB\n", $5 / 1e6}'
