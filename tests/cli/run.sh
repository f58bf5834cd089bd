#!/usr/bin/env bash
# tests/cli/run.sh BUILD - the client commands (deploy, functions, versions, alias, invoke, logs,
# stats, config, delete) against a real `sluice serve` on a free port with a fresh data directory.
# Run by `make test-cli` (also under ASan: the caller passes ASAN_OPTIONS in the environment).
set -u

BUILD=${1:?usage: tests/cli/run.sh BUILD}
SLUICE=$BUILD/sluice
FN=$BUILD/functions
for f in "$SLUICE" "$BUILD/sluice-net" "$FN/hello.wasm" "$FN/echo.wasm"; do
    [[ -e $f ]] || { echo "test-cli: $f is missing (make all)" >&2; exit 1; }
done

START=$(date +%s%N)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-cli.XXXXXX")
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
DATA=$TMP/data

# The commands find the server and token through the environment unless a test says otherwise.
unset SLUICE_TOKEN
export SLUICE_SERVER=$URL SLUICE_DATA=$DATA

"$SLUICE" serve --listen "127.0.0.1:$PORT" --data "$DATA" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for ((i = 0; i < 200; i++)); do
    [[ $(curl -s --max-time 1 "$URL/healthz" 2>/dev/null) == ok* ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "test-cli: the server exited at start:" >&2
        cat "$TMP/server.log" >&2
        SERVER_PID=
        exit 1
    fi
    sleep 0.05
done
[[ $(curl -s --max-time 1 "$URL/healthz") == ok* ]] || {
    echo "test-cli: the server did not answer /healthz on $URL" >&2
    exit 1
}

FAILS=0 TESTS=0
OUT=$TMP/out ERR=$TMP/err
fail() {
    FAILS=$((FAILS + 1))
    echo "FAIL: $CURRENT: $*" >&2
    echo "  stdout: $(head -c 2000 "$OUT")" >&2
    echo "  stderr: $(head -c 2000 "$ERR")" >&2
}
# run RC ARGS...: runs `sluice ARGS...` (stdin from /dev/null unless redirected by the caller),
# expecting exit code RC.
run() {
    local want=$1
    shift
    CURRENT="sluice $*"
    TESTS=$((TESTS + 1))
    "$SLUICE" "$@" >"$OUT" 2>"$ERR"
    local rc=$?
    [[ $rc == "$want" ]] || fail "exit $rc, wanted $want"
}
# out_has REGEX / err_has REGEX: the last command's stdout / stderr matches (grep -E).
out_has() { grep -Eq -- "$1" "$OUT" || fail "stdout lacks /$1/"; }
err_has() { grep -Eq -- "$1" "$ERR" || fail "stderr lacks /$1/"; }
out_is() { [[ $(cat "$OUT") == "$1" ]] || fail "stdout is not '$1'"; }

# --- usage errors (127), help (0) ---
run 127 deploy
err_has 'missing argument'
run 127 deploy hello "$FN/hello.wasm" --bogus
err_has "unknown option '--bogus'"
run 127 deploy hello "$FN/hello.wasm" --timeout 12x
err_has 'bad --timeout'
run 127 deploy hello "$FN/hello.wasm" --kind daemon
run 127 deploy hello "$FN/hello.wasm" --env NOEQUALS
run 127 deploy hello "$TMP/missing.wasm"
err_has 'cannot read'
run 127 functions extra
run 127 logs hello --limit -3
run 127 invoke
run 127 invoke hello --header 'no colon'
run 127 versions hello --server
err_has 'needs a value'
run 0 deploy --help
out_has '^usage: sluice deploy NAME FILE.wasm'
out_has -- '--keep-state'
run 0 invoke -h
out_has '^usage: sluice invoke'
# every command and subcommand: --help and -h print the usage on stdout and exit 0, and a
# usage error is still 127
for cmd in run validate inspect serve deploy functions versions alias invoke logs stats delete \
    config pipeline "pipeline run" "pipeline check"; do
    for h in --help -h; do
        # shellcheck disable=SC2086 # "pipeline run" is two words
        run 0 $cmd $h
        out_has '^usage: sluice'
        [[ -s $ERR ]] && fail "the usage went to stderr too"
    done
done
run 0 --help
out_has '^usage: sluice <command>'
for cmd in validate inspect pipeline "pipeline run"; do
    # shellcheck disable=SC2086
    run 127 $cmd
    err_has 'usage: sluice'
done

# --- no token: says which file it tried and what else would do ---
run 127 functions --data "$TMP/nowhere"
err_has "$TMP/nowhere/token"
err_has 'SLUICE_TOKEN'

# --- deploy ---
SHA='[0-9a-f]{12}'
run 0 deploy hello "$FN/hello.wasm"
out_has "^deployed hello $SHA \(new version\), latest -> $SHA\$"
V1=$(awk '{print $3}' "$OUT")
run 0 deploy hello "$FN/hello.wasm"
out_is "deployed hello $V1 (unchanged), latest -> $V1"
# the same module with another config is refused
run 1 deploy hello "$FN/hello.wasm" --timeout 1234
err_has '409'
# the token from --token and SLUICE_TOKEN too
TOKEN=$(cat "$DATA/token")
run 0 functions --data "$TMP/nowhere" --token "$TOKEN"
SLUICE_TOKEN=$TOKEN run 0 functions --data "$TMP/nowhere"

# --- invoke ---
BODY='{"key1":"a","key2":"b"}'
run 0 invoke hello --data "$BODY"
out_is 'Hello! a, b'
printf '%s' "$BODY" >"$TMP/body.json"
run 0 invoke hello --data "@$TMP/body.json"
out_is 'Hello! a, b'
run 0 invoke hello --data - <"$TMP/body.json"
out_is 'Hello! a, b'
run 0 invoke "hello@$V1" -d "$BODY" -i
out_is 'Hello! a, b'
err_has '^HTTP/1.1 200'
err_has "^X-Sluice-Version: $V1"
run 1 invoke hello --data 'not json'
err_has '500'

# --- functions, versions ---
run 0 functions
out_has '^NAME +VERSIONS +LATEST +CREATED'
out_has "^hello +1 +$V1 "
run 0 functions --json
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["functions"][0]["name"] == "hello"' "$OUT" ||
    fail "--json is not the server's JSON"
run 0 versions hello
out_has '^SHA +SIZE +CREATED +ALIASES +KIND'
out_has "^$V1 +[0-9]+ .* latest +command\$"

# --- a second version (echo, event mode), aliases ---
run 0 deploy hello "$FN/echo.wasm" --input event --output integration --alias canary
out_has "^deployed hello $SHA \(new version\), latest -> $SHA, canary -> $SHA\$"
V2=$(awk '{print $3}' "$OUT")
[[ $V2 != "$V1" ]] || fail "the second version has the first one's SHA"
run 0 alias hello prod "$V1"
out_is "hello@prod -> $V1"
run 0 invoke hello@prod --data "$BODY"
out_is 'Hello! a, b'
run 0 invoke hello --path 'a/b c?view=parsed' --data hi -X PUT -H 'X-Test: 42'
out_has '"method":"PUT"'
out_has '"proxy":"a/b c"'
out_has '"body":"hi"'
out_has '"X-Test":"42"'
run 0 versions hello
out_has "^$V2 .* canary, latest "
out_has "^$V1 .* prod "
run 1 alias hello prod ffffffffff
err_has '404'

# --- modes come from the module (its sluice.fn section) ---
PCA_POINTS='1,2,3,4,5,7,2,1,0,0'
run 0 deploy pca "$FN/pca.wasm"
run 0 versions pca --json
python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["versions"][0]
c = v["config"]
assert (c["kind"], c["input"], c["output"]) == ("command", "event", "integration"), c
assert v["declared"] == {"kind": "command", "input": "event", "output": "integration"}, v
' "$OUT" || fail "pca was not deployed with the modes it declares"
# the gateway answers the SVG itself, not an integration JSON (or a 400 in one) wrapped in a 200
curl -s -o "$TMP/pca.svg" -D "$TMP/pca.h" -d "$PCA_POINTS" "$URL/fn/pca"
CURRENT="curl /fn/pca"
head -c 4 "$TMP/pca.svg" | grep -q '<svg' || fail "/fn/pca did not answer an SVG: $(head -c 200 "$TMP/pca.svg")"
grep -qi '^content-type: image/svg+xml' "$TMP/pca.h" || fail "/fn/pca is not image/svg+xml"
# and a bad body gets the function's own 400
[[ $(curl -s -o /dev/null -w '%{http_code}' -d 'x' "$URL/fn/pca") == 400 ]] ||
    fail "/fn/pca with a bad body is not a 400"
run 0 deploy echo "$FN/echo.handler.wasm"
run 0 invoke echo --data hi --path 'p?q=1'
out_has '^\{"httpMethod":"POST"'
out_has '"body":"hi"'
grep -q '"statusCode"' "$OUT" && fail "echo's answer is still an integration JSON"
run 0 versions echo
out_has " latest +handler\$"
# an explicit flag that agrees is fine; one that contradicts is a 400 saying what the module
# declares, and nothing is stored
run 0 deploy pca "$FN/pca.wasm" --input event --kind command
out_has '\(unchanged\)'
run 1 deploy pca "$FN/pca.wasm" --input raw
err_has '400'
err_has 'pca.wasm declares kind "command", input "event" and output "integration" \(its sluice.fn section\); the requested input "raw" contradicts it'
run 1 deploy pca2 "$FN/pca.wasm" --kind handler --output raw
err_has 'the requested kind "handler" and output "raw" contradict it'
run 1 versions pca2
err_has '404'
run 1 config pca --output raw
err_has '400'
err_has 'declares kind "command", input "event" and output "integration"'
# a module without the section keeps the defaults, and takes any modes
wat2wasm - -o "$TMP/plain.wasm" <<'WAT' || fail "wat2wasm"
(module (memory (export "memory") 1) (func (export "_start")))
WAT
run 0 deploy plain "$TMP/plain.wasm"
run 0 versions plain --json
python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["versions"][0]
c = v["config"]
assert (c["kind"], c["input"], c["output"]) == ("command", "raw", "raw"), c
assert v["declared"] is None, v
' "$OUT" || fail "a module without sluice.fn did not keep raw/raw"
run 0 deploy plain2 "$TMP/plain.wasm" --input event --output integration
# the Rust ports declare their modes too (not their kind: docs/abi.md)
if [[ -e $FN/rust/pca.handler.wasm ]]; then
    run 0 deploy rpca "$FN/rust/pca.handler.wasm" --kind handler
    run 0 invoke rpca --data "$PCA_POINTS"
    out_has '^<svg'
fi

# --- binary-safe bodies (echo in raw mode answers the body) ---
head -c 4096 /dev/urandom >"$TMP/blob"
printf 'x\0y\r\n\0' >>"$TMP/blob"
run 0 deploy raw "$FN/echo.wasm" --env SLUICE_INPUT_MODE=raw --env SLUICE_OUTPUT_MODE=raw
run 0 invoke raw --data "@$TMP/blob"
cmp -s "$OUT" "$TMP/blob" || fail "the body did not come back byte for byte"

# --- what a guest writes to stderr shows under its log line ---
wat2wasm tests/cli/stderr.wat -o "$TMP/stderr.wasm" || fail "wat2wasm tests/cli/stderr.wat"
run 0 deploy noisy "$TMP/stderr.wasm"
run 0 invoke noisy
out_is 'out'
run 0 logs noisy
out_has ' 200  ok '
grep -A2 ' 200  ok ' "$OUT" | tail -2 | diff - <(printf '    first line\n    second line\n') >/dev/null ||
    fail "the guest's stderr is not under its log line, indented"

# --- config ---
run 0 config hello@prod
out_has "^hello@$V1 \(aliases: prod\)"
out_has '^  timeout_ms +10000$'
run 0 config hello@prod --timeout 500 --env A=1 --env B=2 --cors '*'
out_has '^updated '
out_has '^  timeout_ms +500$'
out_has '^  env +A=1, B=2$'
run 0 config "hello@$V1" --json
python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))["config"]; assert c["timeout_ms"] == 500 and c["cors"] == ["*"], c' "$OUT" ||
    fail "the config did not change"
run 127 config hello --memory lots

# --- logs, stats ---
run 0 logs hello
[[ $(grep -Ec "  200  ok " "$OUT") -ge 5 ]] || fail "fewer than 5 ok invocations logged"
out_has ' 500  exit '
run 0 logs hello --limit 2
[[ $(grep -Ec '^[0-9]{4}-' "$OUT") == 2 ]] || fail "--limit 2 did not give 2 entries"
run 0 stats hello
out_has '^invocations +[0-9]+'
out_has 'exit 1'

# --- errors from the server ---
run 1 functions --token 0000
err_has '401'
run 1 versions nosuch
err_has '404'
run 1 invoke nosuch
err_has '404'

# --- delete ---
run 0 delete hello
out_is 'deleted hello'
run 1 invoke hello --data "$BODY"
err_has '404'
run 0 functions
grep -q '^hello ' "$OUT" && fail "hello is still listed"

# --- the server gone: exit 2 with the URL ---
kill "$SERVER_PID"
wait "$SERVER_PID"
SERVER_RC=$?
SERVER_PID=
[[ $SERVER_RC == 0 ]] || {
    CURRENT="sluice serve"
    fail "the server exited with $SERVER_RC"
    tail -20 "$TMP/server.log" >&2
}
run 2 functions
err_has "$URL/api/functions"
run 2 invoke hello
err_has "$URL/fn/hello"

ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
if ((FAILS)); then
    echo "test-cli: $FAILS of $TESTS checks failed (server log: see above)" >&2
    exit 1
fi
printf 'test-cli: %d commands passed in %d.%02d s\n' "$TESTS" $((ELAPSED_MS / 1000)) $((ELAPSED_MS % 1000 / 10))
