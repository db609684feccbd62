#!/usr/bin/env bash
# Abuse run of POST /suggestions (issue 18): one address floods suggestions while readers search.
# Measures /search latency (wrk --latency, p50/p99) alone, then during the flood, and counts the
# flood's answers by status (202 kept, 429 over the hourly budget); then checks how many
# suggestions the store kept. Release build, bundled Trafford data, loopback only; the server it
# starts is stopped on exit.
#
#   bash scripts/load-suggestion-flood.sh
#
# Environment: DURATION (15s), PORT (18743), PER_HOUR (10: the suggestion budget per address).
# Needs wrk (Debian package wrk).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
DURATION="${DURATION:-15s}"
PORT="${PORT:-18743}"
PER_HOUR="${PER_HOUR:-10}"
TOKEN="flood-check-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
command -v wrk >/dev/null || { echo "load-suggestion-flood.sh: install wrk (apt-get install wrk)" >&2; exit 1; }

cargo build --release -p assetmap-server --bin assetmap
BIN="$REPO_ROOT/target/release/assetmap"
WORK="$(mktemp -d)"
PID=""
cleanup() {
    [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT

# Loopback is rate-limited like any address here (the flood comes from 127.0.0.1); reads and
# the general write budget are unlimited, so the suggestion budget is what answers the flood
# and readers are never throttled.
ASSETMAP_LOG=warn ASSETMAP_ADMIN_TOKEN="$TOKEN" ASSETMAP_RATE_LIMIT_LOOPBACK=1 \
ASSETMAP_RATE_LIMIT_READS_PER_MINUTE=0 ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE=0 \
ASSETMAP_SUGGESTIONS_PER_HOUR="$PER_HOUR" \
    "$BIN" --store "$WORK/flood.gpkg" --data "$REPO_ROOT/data" serve --bind "127.0.0.1:$PORT" \
    >"$WORK/out" 2>"$WORK/err" &
PID=$!
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 1; done

BASE="http://127.0.0.1:$PORT"
SEARCH="$BASE/search?postcode=M33%207XY&q=singing&radius=3000&limit=20"
ASSET=$(curl -sf "$BASE/collections/assets/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')

echo "=== /search alone (wrk -t1 -c16 -d$DURATION)"
wrk -t1 -c16 -d"$DURATION" --latency "$SEARCH" | sed -n '/Latency/,/Requests\/sec/p'

echo
echo "=== /search while one address sends 1,000 suggestions, one after another (wrk -t1 -c16)"
python3 - "$PORT" "$ASSET" >"$WORK/thousand" <<'PY' &
import http.client, json, sys, time, collections
port, asset = int(sys.argv[1]), sys.argv[2]
body = json.dumps({"kind": "change", "asset": asset, "note": "The group now meets on Tuesday evenings at 7pm."})
conn = http.client.HTTPConnection("127.0.0.1", port)
counts = collections.Counter()
time.sleep(2)  # let the readers' run settle first
start = time.monotonic()
for _ in range(1000):
    conn.request("POST", "/suggestions", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    counts[r.status] += 1
took = time.monotonic() - start
print(f"1,000 suggestions in {took:.2f} s: " + ", ".join(f"{n} × {s}" for s, n in sorted(counts.items())))
PY
THOUSAND=$!
wrk -t1 -c16 -d"$DURATION" --latency "$SEARCH" | sed -n '/Latency/,/Requests\/sec/p'
wait "$THOUSAND"
cat "$WORK/thousand"

echo
echo "=== /search during a flood of POST /suggestions from the same address, as fast as it goes (wrk -t1 -c16 for each)"
ASSET="$ASSET" wrk -t1 -c16 -d"$DURATION" -s scripts/wrk/suggest-flood.lua "$BASE/suggestions" >"$WORK/flood" &
FLOOD=$!
wrk -t1 -c16 -d"$DURATION" --latency "$SEARCH" | sed -n '/Latency/,/Requests\/sec/p'
wait "$FLOOD"
echo
echo "--- the flood"
grep -E "requests in|Requests/sec|flood status" "$WORK/flood"

KEPT=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/suggestions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["waiting"])')
echo
echo "suggestions kept: $KEPT (budget $PER_HOUR an hour per address)"
echo "server RSS after: $(ps -o rss= -p "$PID" | awk '{printf "%.0f MB", $1/1024}')"
