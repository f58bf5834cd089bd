#!/usr/bin/env bash
# tests/rust/run.sh BUILD - tests of the Rust SDK (sdk/rust/sluice-fn) and the Rust ports of
# functions/ (mk/rust.mk: make test-rust). Runs the crates' unit tests on the host, builds
# the test guest (tests/rust/guests) for both wasm targets, then tests/rust/run.py, which
# checks that the ports answer as the C functions do. Uses Debian's cargo and rustc, offline
# (each workspace's .cargo/config.toml).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARGO=${CARGO:-/usr/bin/cargo}
export RUSTC=${RUSTC:-/usr/bin/rustc} CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/build/rust-target}
export CARGO_TERM_COLOR=never
fail=0
step() { # step NAME DIR ARGS...: a cargo run whose warnings count as failures
    local name=$1 dir=$2 out
    shift 2
    if ! out=$(cd "$ROOT/$dir" && "$CARGO" "$@" 2>&1); then
        echo "$out" | tail -30
        echo "FAIL: rust: $name"
        fail=1
    elif echo "$out" | grep -q '^warning'; then
        echo "$out" | grep -A8 '^warning'
        echo "FAIL: rust: $name: warnings"
        fail=1
    else
        case "$1" in
        test) echo "rust: $name: $(echo "$out" | grep -E '^test result' | awk '{s += $4} END {print s + 0}') passed" ;;
        *) echo "rust: $name: built" ;;
        esac
    fi
}
start=$(date +%s)
step "sdk unit tests" sdk/rust/sluice-fn test --offline
step "function unit tests" functions/rust test --offline --lib
for t in wasm32-unknown-unknown wasm32-wasi; do
    step "test guest ($t)" tests/rust/guests build --offline --release --target "$t"
done
echo "rust: cargo steps took $(($(date +%s) - start)) s"
[ "$fail" = 0 ] || { echo "rust: 0 passed, 1 failed"; exit 1; }
exec python3 "$ROOT/tests/rust/run.py" "$ROOT" "$BUILD" "$CARGO_TARGET_DIR"
