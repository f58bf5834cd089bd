#!/usr/bin/env bash
# run-example.sh - build the hello function (with the C SDK, sdk/c) for wasm32-wasi and run it with build/sluice,
# feeding it a JSON object on stdin (what `make run` does).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
WASM_CC=${WASM_CC:-clang}
WASM_CFLAGS=${WASM_CFLAGS:---target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all}

mkdir -p "$BUILD/functions"
# shellcheck disable=SC2086
$WASM_CC $WASM_CFLAGS -std=gnu17 -Wall -Wextra -Werror -Isdk/c -o "$BUILD/functions/hello.wasm" \
    functions/hello/hello.c sdk/c/sluice_fn.c

INPUT='{"key1":"test value 1","key2":"test value 2"}'
echo "\$ echo '$INPUT' | $BUILD/sluice run $BUILD/functions/hello.wasm"
echo "$INPUT" | "$BUILD/sluice" run "$BUILD/functions/hello.wasm"
