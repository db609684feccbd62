#!/usr/bin/env bash
# HTTP load run of a typical coordinator search (`GET /search`) with wrk, against a release
# build, on the bundled Trafford data and on a synthetic set (1,000,000 assets by default).
#
#   bash scripts/load-search.sh                 # both datasets
#   bash scripts/load-search.sh trafford        # only the bundled data
#   SYNTHETIC_N=200000 bash scripts/load-search.sh synthetic
#
# Loopback only; each wrk run is bounded (DURATION, default 15s) and the servers it starts are
# stopped on exit. Needs `wrk` (Debian package wrk; installed here if missing and run as root).
# Environment: DURATION (15s), THREADS (2), CONNECTIONS (32), SYNTHETIC_N (1000000),
# PORT_TRAFFORD (18741), PORT_SYNTHETIC (18742), KEEP_STORE=1 to keep the synthetic store.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

DURATION="${DURATION:-15s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
SYNTHETIC_N="${SYNTHETIC_N:-1000000}"
PORT_TRAFFORD="${PORT_TRAFFORD:-18741}"
PORT_SYNTHETIC="${PORT_SYNTHETIC:-18742}"
WHICH="${1:-all}"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "load-search.sh: wrk is not installed (apt-get install wrk)" >&2
        exit 1
    fi
fi

cargo build --release -p assetmap-server --bin assetmap
BIN="$REPO_ROOT/target/release/assetmap"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP_STORE:-0}" = 1 ]; then
        echo "stores kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Starts the server on a loopback port with a store under $WORK and waits until it answers.
start() {
    local name="$1" port="$2"
    shift 2
    ASSETMAP_LOG=warn "$BIN" --store "$WORK/$name.gpkg" --data "$REPO_ROOT/data" serve \
        --bind "127.0.0.1:$port" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    PIDS+=("$!")
    local started=$SECONDS
    until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do
        if [ $((SECONDS - started)) -gt 1800 ]; then
            echo "load-search.sh: the $name server did not start; see $WORK/$name.err" >&2
            exit 1
        fi
        sleep 1
    done
    echo "$name server up on port $port after $((SECONDS - started)) s (RSS $(ps -o rss= -p "${PIDS[-1]}" | awk '{printf "%.0f MB", $1/1024}'))"
}

# One wrk run: prints the request, one sample response's size and count, and wrk's summary.
run() {
    local port="$1" path="$2"
    local url="http://127.0.0.1:$port$path"
    local features
    features=$(curl -sf "$url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))')
    echo
    echo "--- GET $path  ($features features)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" | sed -n '/Latency/,/Transfer/p'
}

# A typical coordinator search: a 20-minute walk, two interests, aged 72, 20 results; on the
# synthetic set also "free or low cost" (the Trafford sources rarely record cost, so there the
# cost filter would leave nothing).
TYPICAL='q=gardening%20singing&walk_minutes=20&age=72&limit=20'

if [ "$WHICH" = all ] || [ "$WHICH" = trafford ]; then
    start trafford "$PORT_TRAFFORD"
    run "$PORT_TRAFFORD" "/search?postcode=M33%207AA&$TYPICAL"
    run "$PORT_TRAFFORD" "/search?postcode=M33%207AA&q=library&sort=distance&limit=5"
    run "$PORT_TRAFFORD" "/search?postcode=M33%207AA&category=health_services&open_at=2025-06-01T11:00&radius=3000"
fi

if [ "$WHICH" = all ] || [ "$WHICH" = synthetic ]; then
    # The synthetic towns have no bundled postcodes: search at Sale's centre by lon/lat.
    start synthetic "$PORT_SYNTHETIC" --synthetic "$SYNTHETIC_N"
    run "$PORT_SYNTHETIC" "/search?lon=-2.3183&lat=53.4242&$TYPICAL&cost=low"
    run "$PORT_SYNTHETIC" "/search?lon=-2.3183&lat=53.4242&q=chess&radius=2000&cost=low&age=72"
    run "$PORT_SYNTHETIC" "/search?lon=-2.2426&lat=53.4808&q=meet%20other%20dads&radius=2000&cost=low&age=40"
fi
