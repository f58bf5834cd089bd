#!/usr/bin/env bash
# tests/wasi/run.sh [SLUICE] [BUILD] - build the WASI guest tests (tests/wasi/*.c) with clang
# for wasm32-wasi into BUILD/tests/wasi, run each under `SLUICE run` with a fresh temporary
# sandbox directory, and check exit codes and output. When node is installed, the stdout of
# the portable tests is also compared with node's own WASI. Ends with
# `wasi: N passed, N failed` and exits non-zero if anything failed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SLUICE=${1:-$ROOT/build/sluice}
BUILD=${2:-$ROOT/build}
OUT=$BUILD/tests/wasi
WASM_CC=${WASM_CC:-clang}
WASM_CFLAGS=${WASM_CFLAGS:---target=wasm32-wasi --sysroot=/usr -O2}
[[ $SLUICE = /* ]] || SLUICE=$PWD/$SLUICE
[[ $OUT = /* ]] || OUT=$PWD/$OUT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}

# ---- build ---------------------------------------------------------------------------------
mkdir -p "$OUT"
for src in "$HERE"/*.c; do
    name=$(basename "$src" .c)
    wasm=$OUT/$name.wasm
    [[ -f $wasm && $wasm -nt $src && $wasm -nt $HERE/check.h ]] && continue
    model=command
    [[ $name = calc ]] && model=reactor
    # shellcheck disable=SC2086
    if ! $WASM_CC $WASM_CFLAGS -mexec-model=$model -Wall -Wextra -Werror -o "$wasm" "$src"; then
        fail "$name: does not compile"
        rm -f "$wasm"
    fi
done

if [[ ! -x $SLUICE ]]; then
    echo "wasi: $SLUICE not built"
    echo "wasi: 0 passed, 1 failed"
    exit 1
fi

NODE=
if command -v node >/dev/null && node -e 'require("node:wasi")' 2>/dev/null; then NODE=node; fi

TMP=$(mktemp -d)
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
BOX=$TMP/box        # the host side: secret.txt and the sandbox/ that is preopened
SANDBOX=$BOX/sandbox

# A fresh host layout for every run: the secret outside, and symlinks that try to reach it.
fresh_sandbox() {
    rm -rf "$BOX"
    mkdir -p "$SANDBOX/sub"
    echo "TOP SECRET" >"$BOX/secret.txt"
    echo "inner" >"$SANDBOX/sub/inner.txt"
    ln -s ../secret.txt "$SANDBOX/link_out"
    ln -s "$BOX/secret.txt" "$SANDBOX/link_abs"
    ln -s / "$SANDBOX/link_root"
    ln -s ../../secret.txt "$SANDBOX/sub/link_up"
    ln -s chain2 "$SANDBOX/chain1"
    ln -s sub/chain3 "$SANDBOX/chain2"
    ln -s ../../secret.txt "$SANDBOX/sub/chain3"
    ln -s .. "$SANDBOX/dirlink_out"
    ln -s ../.. "$SANDBOX/sub/dirlink_up"
    ln -s ../not_there.txt "$SANDBOX/dangling_out"
    ln -s loop2 "$SANDBOX/loop1"
    ln -s loop1 "$SANDBOX/loop2"
    ln -s sub/inner.txt "$SANDBOX/ok_link"
}

# The host side must be untouched after the guest ran.
outside_untouched() {
    [[ $(cat "$BOX/secret.txt") = "TOP SECRET" ]] &&
        [[ $(cd "$BOX" && ls -A | tr '\n' ' ') = "sandbox secret.txt " ]]
}

# run_case NAME WANT_EXIT STDIN_FILE EXPECTED_STDOUT NODE(yes|no) -- RUN_ARGS...
# EXPECTED_STDOUT '*' skips the output check. RUN_ARGS are `sluice run`'s arguments, with
# WASM standing for the test's module.
run_case() {
    local name=$1 want=$2 stdin=$3 expected=$4 node=$5
    shift 6
    local args=() a
    for a in "$@"; do args+=("${a//@WASM@/$OUT/$name.wasm}"); done
    fresh_sandbox
    local got code
    got=$("$SLUICE" run "${args[@]}" <"$stdin" 2>"$TMP/stderr")
    code=$?
    if [[ $code != "$want" ]]; then
        fail "$name: exit code $code, want $want"
        sed 's/^/    /' "$TMP/stderr" | head -20
    elif [[ $expected != '*' && $got != "$expected" ]]; then
        fail "$name: unexpected output"
        diff <(echo "$expected") <(echo "$got") | sed 's/^/    /' | head -20
        sed 's/^/    /' "$TMP/stderr" | head -20
    elif ! outside_untouched; then
        fail "$name: the host outside the sandbox was modified"
    else
        pass
    fi
    if [[ $node = yes && -n $NODE ]]; then
        fresh_sandbox
        local want_node
        want_node=$($NODE --no-warnings "$HERE/node-wasi.mjs" "${args[@]}" <"$stdin" 2>/dev/null)
        if [[ $got = "$want_node" ]]; then
            pass
        elif [[ $want_node = *FAIL* && $got != *FAIL* ]]; then
            # node itself failed the test's own checks (its timing, not ours): nothing to compare
            echo "note: $name: node's WASI failed this test's own checks; comparison skipped"
        else
            fail "$name: stdout differs from node's WASI"
            diff <(echo "$want_node") <(echo "$got") | sed 's/^/    /' | head -20
        fi
    fi
}

# run_cli NAME WANT_EXIT STDERR_PATTERN EXPECTED_STDOUT -- SLUICE_ARGS... (the whole command)
run_cli() {
    local name=$1 want=$2 pattern=$3 expected=$4
    shift 5
    local got code
    got=$("$SLUICE" "$@" </dev/null 2>"$TMP/stderr")
    code=$?
    if [[ $code != "$want" ]]; then
        fail "$name: exit code $code, want $want"
        sed 's/^/    /' "$TMP/stderr" | head -10
    elif [[ -n $pattern ]] && ! grep -qE -- "$pattern" "$TMP/stderr"; then
        fail "$name: stderr does not match /$pattern/"
        sed 's/^/    /' "$TMP/stderr" | head -10
    elif [[ $expected != '*' && $got != "$expected" ]]; then
        fail "$name: unexpected output"
        diff <(echo "$expected") <(echo "$got") | sed 's/^/    /' | head -10
    else
        pass
    fi
}

NULL=/dev/null
printf 'hello\nworld\n' >"$TMP/hello.txt"
printf 'ping\n' >"$TMP/ping.txt"
DIR=(--dir "$SANDBOX::/sandbox")

# ---- guest programs ------------------------------------------------------------------------
run_case args 0 $NULL $'argc=5\nargv[1]=[a]\nargv[2]=[b c]\nargv[3]=[]\nargv[4]=[ünï -x]' yes \
    -- @WASM@ a "b c" "" "ünï -x"
run_case env 0 $NULL $'count=3\n[A=1]\n[B=hello=world]\n[EMPTY=]\nok' yes \
    -- --env A=1 --env B=hello=world --env EMPTY= @WASM@
run_case exit 0 $NULL 'exiting with 0' yes -- @WASM@ 0
run_case exit 7 $NULL 'exiting with 7' yes -- @WASM@ 7
run_case exit 125 $NULL 'exiting with 125' no -- @WASM@ 125
run_case exit 125 $NULL 'exiting with 200' no -- @WASM@ 200
run_case clocks 0 $NULL ok yes -- @WASM@
run_case random 0 $NULL ok yes -- @WASM@
run_case stdio 0 "$TMP/hello.txt" $'read 12 bytes\nHELLO\nWORLD\nraw write\nok' yes -- @WASM@
run_case stdio 0 $NULL $'read 0 bytes\nraw write\nok' yes -- @WASM@
run_case files 0 $NULL $'line: one\nline: two\nok' yes -- "${DIR[@]}" @WASM@
run_case dirs 0 $NULL "$(
    cat <<'EOF'
d: a.txt b.txt sub
d/sub: c.txt deeper
many: 150 entries
d: b.txt moved
d/moved: a2.txt c.txt deeper
d: dirlink hard link moved
d:
ok
EOF
)" yes -- "${DIR[@]}" @WASM@
run_case poll 0 "$TMP/ping.txt" $'stdin: ping\nok' no -- @WASM@
run_case nofs 0 $NULL ok yes -- @WASM@
# stdin as a real pipe: readiness comes from ppoll on the host descriptor
got=$( (sleep 0.2; printf 'ping\n') | "$SLUICE" run "$OUT/poll.wasm" 2>"$TMP/stderr")
if [[ $? = 0 && $got = $'stdin: ping\nok' ]]; then pass; else fail "poll (pipe): got '$got'"; fi
run_case escape 0 $NULL ok no -- "${DIR[@]}" @WASM@ "$BOX/secret.txt"
run_case efault 0 $NULL ok no -- "${DIR[@]}" @WASM@
run_case memlimit 0 $NULL 'alloc ok' yes -- @WASM@ 32
run_case memlimit 0 $NULL 'alloc failed' no -- --max-memory 16 @WASM@ 32

# ---- the CLI -------------------------------------------------------------------------------
C=$OUT/calc.wasm
run_cli trap 128 "^sluice: $OUT/trap.wasm: trap: integer divide by zero\$" 'before the trap' \
    -- run "$OUT/trap.wasm"
run_cli timeout 128 "^sluice: .*spin.wasm: trap: " '' -- run --timeout 200 "$OUT/spin.wasm"
run_cli invoke-add 0 '' 5 -- run --invoke add "$C" 2 3
run_cli invoke-wrap 0 '' -2147483648 -- run --invoke add "$C" 0x7fffffff 1
run_cli invoke-unsigned 0 '' -1 -- run --invoke add "$C" 0xffffffff 0
run_cli invoke-i64 0 '' -48 -- run --invoke mul64 "$C" -3 0x10
run_cli invoke-f64 0 '' 0.3333333333333333 -- run --invoke fdiv "$C" 1 3
run_cli invoke-inf 0 '' $'inf' -- run --invoke fdiv "$C" 1 0
run_cli invoke-ninf 0 '' $'-inf' -- run --invoke fdiv "$C" -1 0
run_cli invoke-nan 0 '' 1 -- run --invoke isnan "$C" nan
run_cli invoke-f32 0 '' 1.5 -- run --invoke half "$C" 3
run_cli invoke-void 0 '' '' -- run --invoke pair "$C"
run_cli invoke-trap 128 'trap: integer divide by zero' '' -- run --invoke div "$C" 1 0
run_cli invoke-arity 127 'takes 2 argument' '' -- run --invoke add "$C" 1
run_cli invoke-badnum 127 'not a valid i32' '' -- run --invoke add "$C" 1 x
run_cli invoke-range 127 'not a valid i32' '' -- run --invoke add "$C" 1 0x100000000
run_cli invoke-missing 126 "no exported function 'nope'" '' -- run --invoke nope "$C"
run_cli no-start 126 'no _start' '' -- run "$C"
run_cli no-file 127 'cannot read' '' -- run "$TMP/does-not-exist.wasm"
printf 'not wasm' >"$TMP/garbage.wasm"
run_cli malformed 126 "^sluice: $TMP/garbage.wasm: " '' -- run "$TMP/garbage.wasm"
run_cli usage-none 127 'no module file' '' -- run
run_cli usage-option 127 "unknown option '--bogus'" '' -- run --bogus "$C"
run_cli usage-dir 127 'cannot open directory' '' -- run --dir "$TMP/nope" "$OUT/args.wasm"
run_cli usage-env 127 'KEY=VALUE' '' -- run --env NOEQUALS "$OUT/args.wasm"
run_cli usage-memory 127 'max-memory' '' -- run --max-memory 0 "$OUT/args.wasm"
run_cli help 0 '' '*' -- --help
run_cli version 0 '' '*' -- --version
run_cli unknown-command 127 'unknown command' '' -- frobnicate

# ---- the embedding API (in-memory stdio, output limits), when built ------------------------
if [[ -x $OUT/api_test ]]; then
    if "$OUT/api_test" "$OUT" >"$TMP/api.out" 2>&1; then
        pass
    else
        fail "api_test"
        sed 's/^/    /' "$TMP/api.out" | head -20
    fi
fi

echo "wasi: $passed passed, $failed failed"
[[ $failed = 0 ]]
