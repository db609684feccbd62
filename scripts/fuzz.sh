#!/usr/bin/env bash
# Fuzzes every parser of outside input: `bash scripts/fuzz.sh [-t SECONDS] [-j JOBS] [TARGET…]`.
#
# The targets are in tests/fuzz (a cargo fuzz crate outside the main workspace; the bodies are
# in tests/fuzz/src/targets.rs). Each target runs for SECONDS (default 60, or $FUZZ_SECONDS)
# of libFuzzer, JOBS targets at a time (default 1, or $FUZZ_JOBS; the machine has 2 cores),
# starting from a copy of its committed seed corpus (tests/fuzz/corpus/<target>/) in a
# temporary folder, so the committed corpus never grows by itself. Without TARGETs, all of
# them run (`cargo fuzz list --fuzz-dir tests/fuzz` names them).
#
# Prints the executions, executions per second and new corpus entries of each target and the
# total executions. Exits non-zero when any target finds a crash (a panic, a failed assertion),
# a hang (one input running longer than 10 s) or an input using more than 2 GiB, and prints
# where the input that did it is: reproduce it with
#   tests/fuzz/target/x86_64-unknown-linux-gnu/release/<target> <input>
# and, once fixed, add the input to tests/fuzz/corpus/<target>/ (the workspace tests replay that
# corpus: tests/tests/fuzz_corpus.rs).
#
# Why `--sanitizer none` (-s none): cargo fuzz builds with AddressSanitizer by default, which
# needs `-Zsanitizer=address`, and the stable compiler (this project's only toolchain) refuses
# every -Z flag. Everything else cargo fuzz passes (`-Cpasses=sancov-module`, the
# `-Cllvm-args=-sanitizer-coverage-*` coverage instrumentation, `--cfg fuzzing`,
# `-Cdebug-assertions`) is stable, so with `-s none` no RUSTC_BOOTSTRAP=1 is needed. Nothing is
# lost that we need: every assetmap crate is safe Rust (`#![forbid(unsafe_code)]`), so memory
# errors are not what there is to find; panics, failed assertions, overflows (debug assertions
# and overflow checks are on), hangs and memory blow-ups are, and libFuzzer catches them all
# without a sanitizer.
set -euo pipefail

SECONDS_EACH="${FUZZ_SECONDS:-60}"
JOBS="${FUZZ_JOBS:-1}"
while getopts "t:j:h" opt; do
    case "$opt" in
        t) SECONDS_EACH="$OPTARG" ;;
        j) JOBS="$OPTARG" ;;
        h)
            sed -n '2,9p' "$0"
            exit 0
            ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
case "$SECONDS_EACH$JOBS" in
    *[!0-9]*) echo "scripts/fuzz.sh: -t and -j take whole numbers" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
FUZZ_DIR=tests/fuzz
# The version this script was written against; it builds on Rust 1.95.
CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo fuzz list --fuzz-dir "$FUZZ_DIR")
fi

echo "building the fuzz targets (release, debug assertions, no sanitizer: see the top of this script)"
cargo fuzz build --sanitizer none --fuzz-dir "$FUZZ_DIR"
BIN_DIR="$FUZZ_DIR/target/x86_64-unknown-linux-gnu/release"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/assetmap-fuzz.XXXXXX")"
echo "working folder: $WORK ($SECONDS_EACH s per target, $JOBS at a time)"

# The libFuzzer dictionary of a target (tests/fuzz/dict/): the words its parser looks for.
dictionary_of() {
    case "$1" in
        asset_draft | import_geojson | opening_times) echo "$FUZZ_DIR/dict/json.dict" ;;
        query_params | search) echo "$FUZZ_DIR/dict/query.dict" ;;
    esac
}

# Runs one target on a copy of its seeds; its log is $WORK/<target>/log.
run_target() {
    local t="$1" dir="$WORK/$1" dict
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp -R "$FUZZ_DIR/corpus/$t/." "$dir/corpus/"
    dict="$(dictionary_of "$t")"
    # -max_len: the JSON bodies need room; -timeout: one input longer than 10 s is a hang;
    # -rss_limit_mb: more than 2 GiB is a memory blow-up.
    "$BIN_DIR/$t" "$dir/corpus" ${dict:+"-dict=$dict"} \
        -max_total_time="$SECONDS_EACH" \
        -max_len=8192 \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" \
        >"$dir/log" 2>&1
}

declare -A PIDS=()
for t in "${TARGETS[@]}"; do
    [ -x "$BIN_DIR/$t" ] || { echo "scripts/fuzz.sh: no target $t" >&2; exit 2; }
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n || true
    done
    echo "fuzzing $t"
    run_target "$t" &
    PIDS[$t]=$!
done

declare -A RC=()
for t in "${TARGETS[@]}"; do
    if wait "${PIDS[$t]}"; then RC[$t]=0; else RC[$t]=$?; fi
done

stat() { # stat NAME LOG: a libFuzzer final statistic, 0 when absent
    local v
    v="$(sed -n "s/^stat::$1: *//p" "$2" | tail -n 1)"
    printf '%s' "${v:-0}"
}

failed=0
total=0
printf '\n%-16s %14s %10s %9s %s\n' target execs "exec/s" "new units" result
for t in "${TARGETS[@]}"; do
    log="$WORK/$t/log"
    execs="$(stat number_of_executed_units "$log")"
    total=$((total + execs))
    found="$(find "$WORK/$t/artifacts" -type f | sort)"
    if [ "${RC[$t]}" -eq 0 ] && [ -z "$found" ]; then
        result=ok
    else
        result="FAILED (exit ${RC[$t]})"
        failed=1
    fi
    printf '%-16s %14s %10s %9s %s\n' "$t" "$execs" "$(stat average_exec_per_sec "$log")" \
        "$(stat new_units_added "$log")" "$result"
done
printf '%-16s %14s\n' total "$total"

if [ "$failed" -ne 0 ]; then
    echo
    for t in "${TARGETS[@]}"; do
        found="$(find "$WORK/$t/artifacts" -type f | sort)"
        [ "${RC[$t]}" -eq 0 ] && [ -z "$found" ] && continue
        echo "---- $t ($WORK/$t/log) ----"
        # The panic message (an assert's says what broke), then libFuzzer's summary.
        grep -A 2 'panicked at' "$WORK/$t/log" | head -n 12 || true
        grep -E '^(SUMMARY|==[0-9]+== ERROR)|Test unit written' "$WORK/$t/log" || true
        for f in $found; do
            echo "$t: input that fails: $f"
            echo "  reproduce: $BIN_DIR/$t $f"
        done
    done
    echo "scripts/fuzz.sh: findings above; the working folder $WORK is kept"
    exit 1
fi
rm -rf "$WORK"
echo "no findings"
