#!/usr/bin/env bash
# The assetmap test command: `bash tests/run.sh` (CI runs it through .ci/run).
#
# 1. installs what is missing (as root; otherwise says what to install),
# 2. starts a throwaway PostgreSQL + PostGIS cluster in a temporary directory on a free loopback
#    port, and exports its URL as ASSETMAP_TEST_DATABASE_URL,
# 3. runs: cargo fmt --check, clippy -D warnings, the module-cycle check,
#    cargo deny (licences, bans, sources), cargo test --workspace (which also rebuilds the
#    bundled dataset from its mapping files and compares it with the committed one), and the
#    browser tests,
# 4. stops the cluster and removes its directory on exit, also on failure or interrupt.
#
# It depends on no server already running and can be run twice in a row, from any directory.
# `bash tests/run.sh -- CMD…` starts the cluster, runs only CMD with the variables below set,
# and stops it (e.g. `bash tests/run.sh -- cargo test -p assetmap-store --test postgis`).
#
# The cluster keeps fsync and synchronous_commit on, as production must. tests/tests/postgis_crash.rs
# kills PostgreSQL (SIGKILL, postmaster and children) in the middle of a stream of writes and
# checks that every write acknowledged with 201 is there after crash recovery, and none half
# there. A killed process does not take the kernel's page cache with it, so this shows that a
# write is acknowledged only once PostgreSQL has committed it to its write-ahead log; it cannot
# show that the disk keeps what fsync flushed through a power cut.
#
# Only this script decides what runs. Before anything else it removes from its environment
# every variable that would change what the tests run or what the servers they start do, and
# says which it removed (names only: values may hold passwords). They are:
#   ASSETMAP_*          all of them: ASSETMAP_SKIP_PERF, ASSETMAP_TEST_BASE_URL and
#                       ASSETMAP_TEST_SYNTHETIC_URL (browser tests skipped or run against
#                       another server), ASSETMAP_BLESS (golden tests rewrite instead of compare),
#                       ASSETMAP_WRITE_BENCHMARKS (rewrites BENCHMARKS.md),
#                       ASSETMAP_GPKG_DURABILITY_CHILD (a store test turns into an endless writer),
#                       and the server's settings (ASSETMAP_CONFIG, _STORE, _BIND, _DATA,
#                       _ADMIN_TOKEN, _BASE_MAP_STYLE, _TITLE, _LOG), which the server processes
#                       started by the tests would inherit;
#   DATABASE_URL        the server's store setting, likewise;
#   PG[A-Z]*            libpq's variables (PGOPTIONS, PGHOST, PGSSLMODE…), read by psql;
#   NODE_OPTIONS, NODE_TEST_CONTEXT
#                       node's test runner can be told to run only some tests
#                       (--test-name-pattern, --test-only) or to report elsewhere;
#   ENGINE_BENCH_N, SEARCH_BENCH_N
#                       sizes of the benchmarks.
# To run something with one of them set, put it in the command: `bash tests/run.sh -- env
# ASSETMAP_BLESS=1 cargo test -p assetmap-tests --test golden`. Skipping a browser test is a
# flag of the browser runner (`node tests/browser/run.mjs --help`), never the environment.
#
# Environment given to the tests (set by this script, whatever was there before):
#   ASSETMAP_TEST_DATABASE_URL  postgres://postgres@127.0.0.1:PORT/assetmap_test (superuser; tests
#                               may create their own databases)
#   ASSETMAP_TEST_PG_CTL        a script taking `stop` or `start` (and any other pg_ctl action)
#                               that controls the throwaway cluster as the right system user, for
#                               the outage tests
#   ASSETMAP_TEST_PGDATA        the cluster's data directory
#   ASSETMAP_TEST_PG_BIN        PostgreSQL's bin directory (psql, pgbench, pg_ctl…)
#   ASSETMAP_CHROMIUM           path of the chromium binary for the browser tests
#   ASSETMAP_TEST_CLIENTS_BIN   the bin directory of a throwaway Python virtual environment with
#                               the pinned clients of tests/clients/requirements.txt
#                               (schemathesis, OWSLib)
set -euo pipefail

# `bash tests/run.sh -- CMD…` runs only CMD against the throwaway cluster.
RUN_ONLY=()
if [ "${1:-}" = "--" ]; then
    shift
    RUN_ONLY=("$@")
fi

# Only this script decides what runs: see the header.
cleared=()
while IFS= read -r name; do
    case "$name" in
        ASSETMAP_* | DATABASE_URL | PG[A-Z]* | NODE_OPTIONS | NODE_TEST_CONTEXT | ENGINE_BENCH_N | SEARCH_BENCH_N)
            cleared+=("$name")
            unset "$name"
            ;;
    esac
done < <(compgen -e)
if [ "${#cleared[@]}" -gt 0 ]; then
    printf 'tests/run.sh: removed from the environment, because they would change what the tests run: %s\n' \
        "${cleared[*]}" >&2
    printf 'tests/run.sh: (see the top of tests/run.sh; to set one on purpose: bash tests/run.sh -- env NAME=VALUE CMD)\n' >&2
fi

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

export CARGO_TERM_COLOR=never
export DEBIAN_FRONTEND=noninteractive

banner() {
    printf '\n==================== %s ====================\n' "$*"
}

die() {
    printf 'tests/run.sh: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------------------------
# 1. Install what is missing, and only that.
# ---------------------------------------------------------------------------------------------
banner "checking the tools the tests need"

APT_UPDATED=0
apt_install() {
    if ! is_root; then
        die "missing: $*. Install them with: sudo apt-get install -y $* (then run bash tests/run.sh again)"
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update
        APT_UPDATED=1
    fi
    apt-get install -y --no-install-recommends "$@" </dev/null
}

# The newest PostgreSQL server installed, e.g. 15 (from /usr/lib/postgresql/*/bin/postgres).
pg_server_major() {
    local v best=""
    for bin in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$bin" ] || continue
        v="$(basename "$(dirname "$(dirname "$bin")")")"
        if [ -z "$best" ] || [ "$v" -gt "$best" ]; then best="$v"; fi
    done
    printf '%s' "$best"
}

PG_MAJOR="$(pg_server_major)"
if [ -z "$PG_MAJOR" ]; then
    echo "no PostgreSQL server found; installing postgresql"
    apt_install postgresql
    PG_MAJOR="$(pg_server_major)"
    [ -n "$PG_MAJOR" ] || die "installed postgresql but found no server under /usr/lib/postgresql/*/bin"
fi
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
echo "PostgreSQL server $PG_MAJOR in $PG_BIN"
# psql, pg_ctl, pgbench… of the same version as the server, for this script and the tests.
export PATH="$PG_BIN:$PATH"

missing=()
if ! ls "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" >/dev/null 2>&1; then
    missing+=("postgresql-$PG_MAJOR-postgis-3")
fi
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The Python clients (schemathesis, OWSLib) go into a throwaway virtual environment.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if [ -f tests/browser/package-lock.json ] && ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt_install "${missing[@]}"
fi
command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH; install Rust (rustup) first"
# cargo-deny checks the dependency tree's licences, banned crates and sources (deny.toml).
# Built from crates.io at a version known to build on the project's Rust (~3 minutes, once).
CARGO_DENY_VERSION=0.20.2
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
    banner "cargo install cargo-deny $CARGO_DENY_VERSION"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked </dev/null
fi
echo "all tools present"

# Room to build and run. From a clean checkout the test build takes about 7.5 GB (its
# target directory at its largest: about 40 test programs of ~140 MB each, without cargo's
# incremental caches, which the line below turns off for this run: a build from scratch has no
# use for them, and they were 1.8 GB more), and the tests about 2 GB of temporary files
# (the PostgreSQL cluster, stores, snapshots). A disk that fills up half way fails tests
# with "database or disk is full" far from the cause: say so first.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
free_mib() { df -Pm "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
BUILT_MIB=0
if [ -d "$TARGET_DIR" ]; then
    BUILT_MIB="$(du -sm "$TARGET_DIR" 2>/dev/null | awk '{ print $1 }')"
fi
# What a build still needs beside what the target directory already holds (at least 2 GB:
# a build over an old one rewrites what changed).
NEED_BUILD_MIB=$((7680 - BUILT_MIB))
[ "$NEED_BUILD_MIB" -ge 2048 ] || NEED_BUILD_MIB=2048
NEED_TMP_MIB=2048
TARGET_FS="$TARGET_DIR"
[ -d "$TARGET_FS" ] || TARGET_FS="$(dirname "$TARGET_FS")"
TMP_FS="${TMPDIR:-/tmp}"
if [ "$(df -P "$TARGET_FS" | awk 'NR == 2 { print $1 }')" = "$(df -P "$TMP_FS" | awk 'NR == 2 { print $1 }')" ]; then
    NEED_BUILD_MIB=$((NEED_BUILD_MIB + NEED_TMP_MIB))
    NEED_TMP_MIB=0
fi
for check in "$TARGET_FS:$NEED_BUILD_MIB:the build (target directory $TARGET_DIR)" \
    "$TMP_FS:$NEED_TMP_MIB:the tests' temporary files (TMPDIR=$TMP_FS)"; do
    IFS=: read -r fs need what <<<"$check"
    [ "$need" -gt 0 ] || continue
    have="$(free_mib "$fs")"
    if [ -n "$have" ] && [ "$have" -lt "$need" ]; then
        die "not enough free disk for $what: $have MB free on $fs, about $need MB needed. Free some space (cargo clean in old target directories, old snapshots) or point CARGO_TARGET_DIR / TMPDIR at a larger disk, then run bash tests/run.sh again"
    fi
done
echo "disk: $(free_mib "$TARGET_FS") MB free for the build, $(free_mib "$TMP_FS") MB for temporary files"

if [ -f tests/browser/package-lock.json ] && [ ! -d tests/browser/node_modules ]; then
    banner "npm ci (tests/browser)"
    # No browser downloads: the tests use the system chromium.
    (cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        npm ci --no-audit --no-fund </dev/null)
fi

# ---------------------------------------------------------------------------------------------
# 2. A throwaway PostgreSQL + PostGIS cluster.
# ---------------------------------------------------------------------------------------------
banner "starting a throwaway PostgreSQL $PG_MAJOR + PostGIS cluster"

# PostgreSQL refuses to run as root: as root, run it as the postgres system user.
PG_OS_USER="$(id -un)"
if is_root; then
    if id postgres >/dev/null 2>&1; then
        PG_OS_USER=postgres
    else
        id assetmap-pg >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin assetmap-pg
        PG_OS_USER=assetmap-pg
    fi
fi
as_pg() {
    if is_root; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/assetmap-pg.XXXXXX")"
PGDATA_DIR="$PG_TMP/data"
PG_SOCK="$PG_TMP/sock"
PG_LOG="$PG_TMP/postgres.log"
PG_CTL_HELPER="$PG_TMP/pg_ctl.sh"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$PG_LOG" ]; then
        echo "--- last lines of the throwaway cluster's log ($PG_LOG) ---" >&2
        tail -n 20 "$PG_LOG" >&2 || true
    fi
    rm -rf "$PG_TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$PG_SOCK"
chmod 0755 "$PG_TMP"
if is_root; then chown -R "$PG_OS_USER" "$PG_TMP"; fi

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "found no free loopback port"
}
PG_PORT="$(free_port)"

as_pg "$PG_BIN/initdb" --pgdata="$PGDATA_DIR" --username=postgres --auth=trust \
    --encoding=UTF8 --no-locale >"$PG_TMP/initdb.log" 2>&1 ||
    { cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }
# Settings go into postgresql.conf so that a stop/start by the outage tests keeps them.
as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# assetmap throwaway test cluster
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 256MB
wal_buffers = 32MB
# Bulk loads of a million assets write more than the default 1 GB of WAL; with room for it
# they are not interrupted by checkpoints. fsync stays on.
max_wal_size = 4GB
log_min_messages = warning
EOF

# pg_ctl for the tests: `ASSETMAP_TEST_PG_CTL stop` / `start`, as the right user.
cat >"$PG_CTL_HELPER" <<EOF
#!/usr/bin/env bash
# Controls the assetmap throwaway test cluster: $PG_CTL_HELPER stop|start|status|restart
set -euo pipefail
action="\${1:?usage: \$0 stop|start|status|restart}"
shift
# Up to 3 minutes: a start after a crash replays the write-ahead log first, which on a busy
# machine has taken more than a minute.
cmd=("$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 180)
case "\$action" in
    stop|restart) cmd+=("\$action" -m fast) ;;
    *) cmd+=("\$action") ;;
esac
if [ "\$(id -u)" -eq 0 ] && [ "$PG_OS_USER" != root ]; then
    exec runuser -u "$PG_OS_USER" -- "\${cmd[@]}" "\$@"
else
    exec "\${cmd[@]}" "\$@"
fi
EOF
chmod 0755 "$PG_CTL_HELPER"

"$PG_CTL_HELPER" start >/dev/null || die "the throwaway cluster did not start (log: $PG_LOG)"

PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE assetmap_test'
"${PSQL[@]}" -d assetmap_test -c 'CREATE EXTENSION postgis'
# Tests that make their own databases copy template1, so give it PostGIS too.
"${PSQL[@]}" -d template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis'
echo "PostGIS: $("${PSQL[@]}" -d assetmap_test -At -c 'SELECT postgis_full_version()' | cut -c1-60)…"

# The Python clients the tests drive (tests/clients/requirements.txt, pinned), in a virtual
# environment inside the cluster's temporary directory: removed with it.
banner "python clients: pip install -r tests/clients/requirements.txt (throwaway venv)"
CLIENTS_VENV="$PG_TMP/clients-venv"
python3 -m venv "$CLIENTS_VENV"
"$CLIENTS_VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/requirements.txt </dev/null
export ASSETMAP_TEST_CLIENTS_BIN="$CLIENTS_VENV/bin"

export ASSETMAP_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/assetmap_test"
export ASSETMAP_TEST_PG_CTL="$PG_CTL_HELPER"
export ASSETMAP_TEST_PGDATA="$PGDATA_DIR"
export ASSETMAP_TEST_PG_BIN="$PG_BIN"
if command -v chromium >/dev/null 2>&1; then
    ASSETMAP_CHROMIUM="$(command -v chromium)"
    export ASSETMAP_CHROMIUM
    export CHROME_PATH="$ASSETMAP_CHROMIUM" PUPPETEER_EXECUTABLE_PATH="$ASSETMAP_CHROMIUM"
fi
echo "ASSETMAP_TEST_DATABASE_URL=$ASSETMAP_TEST_DATABASE_URL"

if [ "${#RUN_ONLY[@]}" -gt 0 ]; then
    # `bash tests/run.sh -- CMD…`: run just CMD against the throwaway cluster (for developers,
    # e.g. `bash tests/run.sh -- cargo test -p assetmap-store --test postgis`).
    banner "running: ${RUN_ONLY[*]}"
    "${RUN_ONLY[@]}"
    exit $?
fi

# ---------------------------------------------------------------------------------------------
# 3. The checks and tests, failing fast.
# ---------------------------------------------------------------------------------------------
banner "cargo fmt --all -- --check"
cargo fmt --all -- --check

banner "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

banner "module cycles: python3 scripts/module-cycles.py"
python3 scripts/module-cycles.py

banner "cargo deny check licenses bans sources (deny.toml)"
cargo deny check --hide-inclusion-graph licenses bans sources

banner "cargo test --workspace"
cargo test --workspace

if [ -f tests/browser/run.mjs ]; then
    banner "browser tests: node tests/browser/run.mjs"
    node tests/browser/run.mjs </dev/null
fi

banner "all checks passed"
