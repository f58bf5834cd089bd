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
# The ports carry the sluice.fn section in both kinds, in the format the C SDK writes: the
# modes (no kind: docs/abi.md), and the reader of sluice serve takes it (tests/cli deploys one).
declared() { "$ROOT/$BUILD/sluice" inspect "$1" | sed -n 's/^sluice\.fn: //p'; }
for f in pca.wasm pca.handler.wasm hello.wasm hello.handler.wasm; do
    case $f in
    pca*) want='{"v":1,"input":"event","output":"integration"}' ;;
    *) want='{"v":1,"input":"raw","output":"raw"}' ;;
    esac
    got=$(declared "$ROOT/$BUILD/functions/rust/$f")
    if [ "$got" = "$want" ]; then
        echo "rust: $f declares $want"
    else
        echo "FAIL: rust: $f: sluice.fn is '$got', wanted '$want'"
        fail=1
    fi
done
# ... and the C pca says the same modes
case $(declared "$ROOT/$BUILD/functions/pca.wasm") in
'{"v":1,"input":"event","output":"integration"}{"v":1,"kind":"command"}') ;;
*) echo "FAIL: rust: the C pca.wasm does not declare the modes the Rust port does"; fail=1 ;;
esac
[ "$fail" = 0 ] || { echo "rust: 0 passed, 1 failed"; exit 1; }
exec python3 "$ROOT/tests/rust/run.py" "$ROOT" "$BUILD" "$CARGO_TARGET_DIR"
