#!/usr/bin/env bash
# make test-native: `sluice compile` and `sluice run --tier native` end to end (docs/native.md):
# results equal the interpreter's, traps keep their exit code and message, an endless loop
# stops at --timeout in native code, mixed tiers (a function left on the interpreter calls
# and is called by native ones), and a corrupted cache entry is refused and recompiled.
# Usage: run.sh BUILD_DIR   (needs wat2wasm)
set -uo pipefail
build=${1:-build}
sluice=$build/sluice
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SLUICE_CACHE=$tmp/cache
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "test-native: $1: expected [$2], got [$3]"; fi
}

cat >"$tmp/m.wat" <<'WAT'
(module
  (table 1 funcref) (elem (i32.const 0) $twice)
  (memory 1)
  (func $twice (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  ;; memory.fill keeps this one on the interpreter (for now): it calls native code and is
  ;; called by it
  (func $interp (param i32) (result i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
    (call $fib (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0))))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "mixed") (param i32) (result i32) (call $interp (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "grow") (result i32) (drop (memory.grow (i32.const 2))) (i32.store (i32.const 131072) (i32.const 7)) (i32.load (i32.const 131072))))
WAT
wat2wasm "$tmp/m.wat" -o "$tmp/m.wasm" || exit 1

for tier in interp native; do
  check "$tier fib" 6765 "$($sluice run --tier $tier --invoke fib "$tmp/m.wasm" 20 2>&1)"
  check "$tier mixed" 6765 "$($sluice run --tier $tier --invoke mixed "$tmp/m.wasm" 10 2>&1)"
  check "$tier grow" 7 "$($sluice run --tier $tier --invoke grow "$tmp/m.wasm" 2>&1)"
  out=$($sluice run --tier $tier --invoke div "$tmp/m.wasm" 1 0 2>&1); code=$?
  check "$tier div by zero" "128 integer divide by zero" "$code $(echo "$out" | grep -o 'integer divide by zero' | head -1)"
  out=$($sluice run --tier $tier --invoke div "$tmp/m.wasm" -2147483648 -1 2>&1); code=$?
  check "$tier overflow" "128 integer overflow" "$code $(echo "$out" | grep -o 'integer overflow' | head -1)"
  out=$($sluice run --tier $tier --invoke oob "$tmp/m.wasm" 65534 2>&1); code=$?
  check "$tier out of bounds" "128 out of bounds memory access" "$code $(echo "$out" | grep -o 'out of bounds memory access' | head -1)"
  start=$(date +%s%N)
  out=$($sluice run --tier $tier --timeout 100 --invoke spin "$tmp/m.wasm" 2>&1); code=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  check "$tier timeout" "128 time limit" "$code $(echo "$out" | grep -o 'time limit' | head -1)"
  [ "$ms" -lt 2000 ] || { fail=$((fail + 1)); echo "test-native: $tier timeout took $ms ms"; }
done

# WASI from native code: the host sees the calling instance's memory; proc_exit's code.
cat >"$tmp/w.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from native\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 3))))
WAT
wat2wasm "$tmp/w.wat" -o "$tmp/w.wasm" || exit 1
out=$($sluice run --tier native "$tmp/w.wasm"); code=$?
check "native WASI" "3 hi from native" "$code $out"

# the mixed case is mixed: one function on the interpreter
check "one function interpreted" 1 "$($build/sluice-compile -v "$tmp/m.wasm" -o "$tmp/v.cwasm" 2>&1 | grep -c ': interpreter (')"

# sluice compile writes FILE.cwasm
$sluice compile "$tmp/m.wasm" -o "$tmp/m.cwasm" && [ -s "$tmp/m.cwasm" ] && pass=$((pass + 1)) ||
  { fail=$((fail + 1)); echo "test-native: sluice compile wrote nothing"; }

# A corrupted cache entry is refused (never run) and replaced.
entry=$(ls "$SLUICE_CACHE"/*.cwasm | head -1)
printf '\xff\xff\xff\xff' | dd of="$entry" bs=1 seek=200 conv=notrunc status=none
out=$($sluice run --tier native --invoke fib "$tmp/m.wasm" 20 2>/dev/null)
check "corrupt entry recompiled" 6765 "$out"
truncate -s 100 "$entry"
check "truncated entry recompiled" 6765 "$($sluice run --tier native --invoke fib "$tmp/m.wasm" 20 2>/dev/null)"

echo "test-native: $pass passed, $fail failed"
[ "$fail" = 0 ]
