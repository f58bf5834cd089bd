#!/usr/bin/env bash
# diff.sh - differential fuzzing of Sluice against node's V8.
#
#   diff.sh [-t SECONDS] [-s SEED]     generate random modules with binaryen's `wasm-opt -ttf`
#                                      for SECONDS (default 60) and compare the two engines
#   diff.sh --replay FILE.wasm...      compare the engines on the given modules
#   -m DIR                             every 4th module is instead a random file of DIR,
#                                      e.g. fuzz_module's working corpus: mutated modules
#                                      that test decoding and validation against V8's
#
# Each module runs in $DIFF_RUNNER (tests/fuzz/diff_runner.c; guard pages and explicit bounds
# checks alternate) and in tests/fuzz/run-node.mjs; both print a transcript (format in
# tests/fuzz/harness.h) of validation, instantiation, every export's result or trap, every
# host-import call with its arguments, and a hash of every exported memory. The transcripts
# must be equal up to the first inconclusive line (call stack exhausted, out of fuel, timeout,
# or a resource limit), after which the engines may legitimately diverge.
#
# Mismatches are saved as $FUZZ_BUILD/findings/diff-*.wasm with both transcripts next to them.
# Exit status: 0 no mismatch, 1 mismatches, 2 setup problem.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
DIFF_RUNNER=${DIFF_RUNNER:-build/tests/fuzz-diff-runner}
NODE=${NODE:-node}
WASM_OPT=${WASM_OPT:-wasm-opt}
# Features Sluice implements and that binaryen 108 emits in a form V8 accepts. (Its
# reference-types output predates the final proposal, e.g. funcref as a subtype of externref,
# which both engines rightly reject, so it is left out.)
TTF_FEATURES=(--mvp-features --enable-mutable-globals --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue)
# NaN payloads are nondeterministic in wasm, and a NaN stored to memory changes the memory
# hash and every later load: --denan makes the generated code replace NaNs by 0.
# Half the modules also go through binaryen's optimizer (a fixed level or a random pass
# pipeline), which produces denser code: br_table, select, fused loops, fewer locals.
OPT_CHOICES=("" "" "-O2" "--fuzz-passes")

seconds=60
seed=$$
mutants=
replay=()
while (($#)); do
  case $1 in
  -t) seconds=$2; shift 2 ;;
  -s) seed=$2; shift 2 ;;
  -m) mutants=$2; shift 2 ;;
  --replay) shift; replay=("$@"); break ;;
  *) echo "usage: $0 [-t SECONDS] [-s SEED] [-m DIR] | --replay FILE.wasm..." >&2; exit 2 ;;
  esac
done

for tool in "$DIFF_RUNNER" "$NODE"; do
  command -v "$tool" >/dev/null || { echo "diff: $tool is missing" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$FUZZ_BUILD/findings"

# The line number of the first inconclusive line of transcript $1, or a huge number.
first_inconclusive() {
  awk '/^(exhausted|fuel|timeout)$/ || /^instantiate (exhausted|fuel|timeout|limit|nomem)$/ ||
       (/^module / && $2 != "ok" && $2 != "invalid") { print NR; found = 1; exit }
       END { if (!found) print 1000000000 }' "$1"
}

# compare NAME MODULE [-e]: run both engines; 0 when they agree.
compare() {
  local name=$1 wasm=$2 mode=${3:-}
  local a=$tmp/sluice.txt b=$tmp/v8.txt
  local st=0
  timeout 60 "$DIFF_RUNNER" ${mode:+"$mode"} "$wasm" >"$a" 2>"$tmp/sluice.err" || st=$?
  if ((st != 0)); then
    echo "diff: FINDING: $name: the Sluice runner failed (status $st):" >&2
    tail -n 20 "$tmp/sluice.err" >&2
    save "$name" "$wasm" "$a" /dev/null
    return 1
  fi
  # Where Sluice ran out of fuel, V8 would most likely spin forever: stop it at that call.
  local ia ib n max_calls=
  ia=$(first_inconclusive "$a")
  if sed -n "${ia}p" "$a" | grep -qE '^instantiate (fuel|timeout)$'; then
    inconclusive=$((inconclusive + 1)) # the start function spins: nothing to compare
    return 0
  fi
  if sed -n "${ia}p" "$a" | grep -qE '^(fuel|timeout)$'; then
    max_calls=$(head -n "$ia" "$a" | grep -c '^call ' || true)
    max_calls=$((max_calls - 1))
  fi
  if ! timeout 20 "$NODE" "$here/run-node.mjs" "$wasm" ${max_calls:+"$max_calls"} >"$b" 2>"$tmp/v8.err"; then
    echo "diff: $name: node failed, skipped:" >&2
    tail -n 5 "$tmp/v8.err" >&2
    return 0
  fi
  ib=$(first_inconclusive "$b")
  n=$((ia < ib ? ia : ib))
  if ! cmp -s <(head -n $((n - 1)) "$a") <(head -n $((n - 1)) "$b"); then
    echo "diff: FINDING: $name: Sluice${mode:+ ($mode)} and V8 disagree (first differing lines):" >&2
    diff <(head -n $((n - 1)) "$a") <(head -n $((n - 1)) "$b") | head -n 12 | sed 's/^/    /' >&2 || true
    save "$name" "$wasm" "$a" "$b"
    return 1
  fi
  ((n < 1000000000)) && inconclusive=$((inconclusive + 1))
  return 0
}

save() {
  local name=$1 wasm=$2 a=$3 b=$4
  local base
  base=$FUZZ_BUILD/findings/diff-$(basename "$name" .wasm)
  cp "$wasm" "$base.wasm"
  cp "$a" "$base.sluice.txt"
  cp "$b" "$base.v8.txt"
  echo "    saved: $base.wasm (.sluice.txt, .v8.txt)" >&2
}

failures=0 total=0 inconclusive=0
if ((${#replay[@]})); then
  for f in "${replay[@]}"; do
    total=$((total + 1))
    compare "$(basename "$f")" "$f" || failures=$((failures + 1))
    compare "$(basename "$f")" "$f" -e || failures=$((failures + 1))
  done
  echo "diff: replayed $total modules against V8: $failures mismatches"
  ((failures == 0)) || exit 1
  exit 0
fi

command -v "$WASM_OPT" >/dev/null || { echo "diff: $WASM_OPT is missing" >&2; exit 2; }
mutant_files=()
if [[ -n $mutants && -d $mutants ]]; then
  mapfile -t mutant_files < <(find "$mutants" -maxdepth 1 -type f)
fi
RANDOM=$seed
start=$SECONDS
while ((SECONDS - start < seconds)); do
  total=$((total + 1))
  name=s$seed-$total
  if ((${#mutant_files[@]} && total % 4 == 0)); then
    f=${mutant_files[(RANDOM * 32768 + RANDOM) % ${#mutant_files[@]}]}
    compare "mutant-$(basename "$f")" "$f" || failures=$((failures + 1))
    continue
  fi
  head -c $((256 + RANDOM % 8192)) /dev/urandom >"$tmp/in.bin"
  passes=${OPT_CHOICES[RANDOM % ${#OPT_CHOICES[@]}]}
  # shellcheck disable=SC2086 # $passes is zero or one word
  if ! "$WASM_OPT" "$tmp/in.bin" -ttf "${TTF_FEATURES[@]}" $passes --denan -o "$tmp/$name.wasm" \
    >/dev/null 2>"$tmp/opt.err"; then
    echo "diff: wasm-opt failed, skipped" >&2
    continue
  fi
  mode=
  ((total % 2)) || mode=-e
  compare "$name" "$tmp/$name.wasm" "$mode" || failures=$((failures + 1))
  rm -f "$tmp/$name.wasm"
done
elapsed=$((SECONDS - start))
echo "diff: $total random modules in ${elapsed}s against V8: $failures mismatches," \
  "$inconclusive with an inconclusive tail (stack/fuel)"
((failures == 0)) || exit 1
