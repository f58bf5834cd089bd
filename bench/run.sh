#!/usr/bin/env bash
# run.sh - Sluice benchmarks (see bench/README.md).
#
#   bash bench/run.sh           full run: build, verify, time; print the tables
#   bash bench/run.sh --smoke   tiny sizes, native vs sluice outputs must match; no timing
#
# Environment: BUILD (build), BENCH_CC (gcc), WASM_CC (clang), WASM_CFLAGS, BENCH_RUNS (3),
# BENCH_ONLY="fib sort" (subset of programs), BENCH_TIMEOUT (seconds per run, 600),
# BENCH_NODE=0 (skip the node column), BENCH_HELLO_RUNS (200).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench
SLUICE=$BUILD/sluice
LIB=$BUILD/libsluice.a
BENCH_CC=${BENCH_CC:-gcc}
WASM_CC=${WASM_CC:-clang}
WASM_CFLAGS=${WASM_CFLAGS:---target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all}
RUNS=${BENCH_RUNS:-3}
TIMEOUT=${BENCH_TIMEOUT:-600}
HELLO_RUNS=${BENCH_HELLO_RUNS:-200}
HOST_CFLAGS=(-std=gnu17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE)

MODE=full
case "${1:-}" in
--smoke) MODE=smoke ;;
"") ;;
*)
    echo "usage: $0 [--smoke]" >&2
    exit 2
    ;;
esac

PROGRAMS=(fib nbody sieve sha256 matmul sort json pca mixmark)
if [[ -n ${BENCH_ONLY:-} ]]; then read -r -a PROGRAMS <<<"$BENCH_ONLY"; fi

# Arguments for the smoke test: small but still exercising every code path.
declare -A SMOKE_ARGS=(
    [fib]="22" [nbody]="2000 6" [sieve]="200000 2" [sha256]="2" [matmul]="40"
    [sort]="20000 4" [json]="2 16" [pca]="500 10 2" [mixmark]="20"
)

mkdir -p "$OUT/native" "$OUT/wasm" "$OUT/out" "$OUT/tools"

# Rebuild `out` from `src` when it is missing or older than the source (or this script).
stale() { [[ ! -e $1 || $2 -nt $1 || bench/run.sh -nt $1 ]]; }

build_programs() {
    local p src pids=()
    for p in "${PROGRAMS[@]}"; do
        src=bench/programs/$p.c
        [[ -f $src ]] || {
            echo "bench: no such program: $p" >&2
            exit 2
        }
        if stale "$OUT/native/$p" "$src"; then
            "$BENCH_CC" "${HOST_CFLAGS[@]}" "$src" -o "$OUT/native/$p" -lm &
            pids+=($!)
        fi
        if stale "$OUT/wasm/$p.wasm" "$src"; then
            # shellcheck disable=SC2086 # WASM_CFLAGS is a list of flags
            "$WASM_CC" $WASM_CFLAGS -Wall -Wextra -Werror "$src" -o "$OUT/wasm/$p.wasm" -lm &
            pids+=($!)
        fi
        # Two compilers at a time: the machine is shared.
        if ((${#pids[@]} >= 2)); then
            for pid in "${pids[@]}"; do wait "$pid"; done
            pids=()
        fi
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
}

build_tools() {
    if stale "$OUT/tools/timeit" bench/timeit.c; then
        "$BENCH_CC" "${HOST_CFLAGS[@]}" bench/timeit.c -o "$OUT/tools/timeit"
    fi
    if stale "$OUT/native/hello" bench/hello.c; then
        "$BENCH_CC" "${HOST_CFLAGS[@]}" bench/hello.c -o "$OUT/native/hello"
    fi
    if stale "$OUT/wasm/hello.wasm" bench/hello.c; then
        # shellcheck disable=SC2086
        "$WASM_CC" $WASM_CFLAGS -Wall -Wextra -Werror bench/hello.c -o "$OUT/wasm/hello.wasm"
    fi
    local t
    for t in compile_bench instantiate_bench; do
        if stale "$OUT/tools/$t" bench/$t.c || [[ $LIB -nt $OUT/tools/$t ]]; then
            "$BENCH_CC" "${HOST_CFLAGS[@]}" -Iinclude bench/$t.c "$LIB" -o "$OUT/tools/$t" \
                -lm -pthread
        fi
    done
    # A large module for the compile benchmark: ~3000 generated functions, ~1 MB of wasm.
    if stale "$OUT/wasm/bigmod.wasm" bench/gen_bigmod.awk; then
        echo "bench: building the large generated module (takes a while, once)"
        awk -v N=3000 -f bench/gen_bigmod.awk >"$OUT/tools/bigmod.c"
        # shellcheck disable=SC2086
        "$WASM_CC" ${WASM_CFLAGS/-O2/-O1} "$OUT/tools/bigmod.c" -o "$OUT/wasm/bigmod.wasm"
    fi
}

# ---- Smoke test: correctness only ------------------------------------------------------------

if [[ $MODE == smoke ]]; then
    build_programs
    fails=0
    for p in "${PROGRAMS[@]}"; do
        read -r -a args <<<"${SMOKE_ARGS[$p]:-}"
        exp=$OUT/out/$p.smoke.native
        got=$OUT/out/$p.smoke.sluice
        "$OUT/native/$p" "${args[@]}" >"$exp"
        status=0
        timeout 60 "$SLUICE" run "$OUT/wasm/$p.wasm" "${args[@]}" >"$got" 2>"$got.err" || status=$?
        if ((status != 0)); then
            echo "bench-smoke: $p: sluice exited with status $status: $(head -c 300 "$got.err")"
            fails=$((fails + 1))
        elif ! cmp -s "$exp" "$got"; then
            echo "bench-smoke: $p: output mismatch (args: ${args[*]})"
            diff "$exp" "$got" | head -10 | sed 's/^/    /'
            fails=$((fails + 1))
        fi
    done
    if ((fails)); then
        echo "bench-smoke: $fails of ${#PROGRAMS[@]} programs failed"
        exit 1
    fi
    echo "bench-smoke: ${#PROGRAMS[@]} programs match between native and sluice"
    exit 0
fi

# ---- Full benchmark ----------------------------------------------------------------------------

build_programs
build_tools
TIMEIT=$OUT/tools/timeit

HAVE_NODE=0
if [[ ${BENCH_NODE:-1} != 0 ]] && command -v node >/dev/null 2>&1; then HAVE_NODE=1; fi
NODE=(node --no-warnings bench/node-wasi.mjs)

# time_cmd NAME RUNS CMD... -> sets T_MIN and T_MEAN, or T_FAIL; output in $OUT/out/NAME
time_cmd() {
    local name=$1 runs=$2
    shift 2
    local res
    T_FAIL=""
    res=$("$TIMEIT" -n "$runs" -t "$TIMEOUT" -o "$OUT/out/$name" -e "$OUT/out/$name.err" -- "$@") ||
        true
    if [[ $res == FAIL* ]]; then
        T_FAIL=${res#FAIL }
        T_MIN="-" T_MEAN="-"
    else
        read -r T_MIN T_MEAN <<<"$res"
    fi
}

secs() { awk -v t="$1" 'BEGIN { if (t == "-") print "-"; else printf "%.3f", t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f", a / b }'; }

echo "Sluice benchmarks: best of $RUNS wall-clock runs per program (seconds)"
echo "native: $BENCH_CC -O2 | wasm: $WASM_CC $WASM_CFLAGS | sluice: $SLUICE run$(
    ((HAVE_NODE)) && echo " | node $(node --version) node:wasi"
)"
echo
fmt="%-9s %9s %9s %7s %9s %7s  %s\n"
# shellcheck disable=SC2059
printf "$fmt" program "native s" "sluice s" ratio "node s" ratio check
# shellcheck disable=SC2059
printf "$fmt" --------- --------- --------- ------- --------- ------- -----
sl_ratios=() node_ratios=() problems=()
for p in "${PROGRAMS[@]}"; do
    time_cmd "$p.native" "$RUNS" "$OUT/native/$p"
    if [[ -n $T_FAIL ]]; then
        problems+=("$p: native run failed ($T_FAIL)")
        continue
    fi
    tn=$T_MIN
    time_cmd "$p.sluice" "$RUNS" "$SLUICE" run "$OUT/wasm/$p.wasm"
    ts=$T_MIN check=ok
    if [[ -n $T_FAIL ]]; then
        check="sluice FAILED"
        problems+=("$p: sluice run failed ($T_FAIL): $(head -c 300 "$OUT/out/$p.sluice.err")")
    elif ! cmp -s "$OUT/out/$p.native" "$OUT/out/$p.sluice"; then
        check="sluice MISMATCH"
        problems+=("$p: sluice output differs from native:
$(diff "$OUT/out/$p.native" "$OUT/out/$p.sluice" | head -10)")
        ts="-"
    fi
    rs=$(ratio "$ts" "$tn")
    [[ $rs != - ]] && sl_ratios+=("$rs")
    tnode="-" rnode="-"
    if ((HAVE_NODE)); then
        time_cmd "$p.node" "$RUNS" "${NODE[@]}" "$OUT/wasm/$p.wasm"
        tnode=$T_MIN
        if [[ -n $T_FAIL ]]; then
            check+=", node FAILED"
            tnode="-"
        elif ! cmp -s "$OUT/out/$p.native" "$OUT/out/$p.node"; then
            check+=", node MISMATCH"
            tnode="-"
        fi
        rnode=$(ratio "$tnode" "$tn")
        [[ $rnode != - ]] && node_ratios+=("$rnode")
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$p" "$(secs "$tn")" "$(secs "$ts")" "$rs" "$(secs "$tnode")" "$rnode" "$check"
done

geomean() { if (($#)); then printf "%s\n" "$@" | awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }'; else echo "-"; fi; }
# shellcheck disable=SC2059
printf "$fmt" --------- --------- --------- ------- --------- ------- -----
# shellcheck disable=SC2059
printf "$fmt" "geomean" "" "" "$(geomean "${sl_ratios[@]}")" "" \
    "$( ((HAVE_NODE)) && geomean "${node_ratios[@]}" || echo -)" \
    "(${#sl_ratios[@]} sluice, ${#node_ratios[@]} node ratios)"
echo "ratio = runtime time / native time (lower is better; 1.00 = native speed)"

echo
echo "== (a) decode + validate + compile throughput (sl_module_new, in-process) =="
wasms=()
for p in "${PROGRAMS[@]}" hello bigmod; do wasms+=("$OUT/wasm/$p.wasm"); done
"$OUT/tools/compile_bench" "${wasms[@]}" || problems+=("compile_bench failed")

echo
echo "== (b) instantiate + call, in-process =="
"$OUT/tools/instantiate_bench" "$OUT/wasm/hello.wasm" || problems+=("instantiate_bench failed")

echo
echo "== (c) whole-process hello world (mean of $HELLO_RUNS runs, best in brackets) =="
time_cmd hello.native "$HELLO_RUNS" "$OUT/native/hello"
hn_mean=$T_MEAN hn_min=$T_MIN
time_cmd hello.sluice "$HELLO_RUNS" "$SLUICE" run "$OUT/wasm/hello.wasm"
if [[ -n $T_FAIL ]]; then
    problems+=("hello: sluice run failed ($T_FAIL)")
elif ! cmp -s "$OUT/out/hello.native" "$OUT/out/hello.sluice"; then
    problems+=("hello: sluice output differs from native")
fi
hs_mean=$T_MEAN hs_min=$T_MIN
ms() { awk -v t="$1" 'BEGIN { if (t == "-") print "-"; else printf "%.2f ms", t * 1000 }'; }
printf "%-26s %10s  (%s)\n" "native hello" "$(ms "$hn_mean")" "$(ms "$hn_min")"
printf "%-26s %10s  (%s)  %sx native\n" "sluice run hello.wasm" "$(ms "$hs_mean")" \
    "$(ms "$hs_min")" "$(ratio "$hs_mean" "$hn_mean")"
if ((HAVE_NODE)); then
    time_cmd hello.node 20 "${NODE[@]}" "$OUT/wasm/hello.wasm"
    printf "%-26s %10s  (%s)  %sx native  [20 runs]\n" "node node-wasi hello.wasm" \
        "$(ms "$T_MEAN")" "$(ms "$T_MIN")" "$(ratio "$T_MEAN" "$hn_mean")"
fi

echo
echo "== (d) cost of the interrupt/fuel polls (loop heads, calls): sluice vs a build without them =="
NOPOLL=$BUILD/nopoll/sluice
if [[ -x $NOPOLL ]]; then
    printf "%-9s %12s %12s %9s\n" program "polls s" "no polls s" overhead
    for p in fib sieve matmul sha256 sort; do
        [[ " ${PROGRAMS[*]} " == *" $p "* ]] || continue
        time_cmd "$p.poll" "$RUNS" "$SLUICE" run "$OUT/wasm/$p.wasm"
        tp=$T_MIN
        time_cmd "$p.nopoll" "$RUNS" "$NOPOLL" run "$OUT/wasm/$p.wasm"
        tq=$T_MIN
        printf "%-9s %12s %12s %9s\n" "$p" "$(secs "$tp")" "$(secs "$tq")" \
            "$(awk -v a="$tp" -v b="$tq" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%+.1f%%", (a / b - 1) * 100 }')"
    done
    echo "The no-poll build is compiled separately, and GCC allocates registers differently for the"
    echo "whole interpreter function: a row can move by more than the polls cost, either way. A poll"
    echo "itself is one load, a test and a not-taken branch per loop iteration or call."
else
    echo "(no $NOPOLL: run through 'make bench')"
fi

if ((${#problems[@]})); then
    echo
    echo "PROBLEMS:"
    printf -- "- %s\n" "${problems[@]}"
    exit 1
fi
