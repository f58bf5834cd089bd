#!/usr/bin/env bash
# examples/air-quality/test.sh GEN - tests of the air-quality generator (build/examples/
# air-quality-gen): options, determinism, the CSV and truth shapes, the anomaly rate, that the
# injected anomalies are really there, the daily cycle, pacing, and the TCP mode against python
# receivers that die or stop mid-stream. Run by `make test-airquality`; about 10 s.
set -u

GEN=${1:?usage: examples/air-quality/test.sh GEN}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECK="python3 $HERE/check.py"
[[ -x $GEN ]] || { echo "test-airquality: $GEN is missing (make all)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-airq.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "test-airquality: FAIL: $*" >&2
    exit 1
}
step() { echo "test-airquality: $*"; }

# ---- Options ----
"$GEN" --help | grep -q -- '--anomaly-rate' || fail "--help does not list the options"
for bad in "--count x" "--count -1" "--rate -1" "--interval 0" "--period 1" "--seed 1x" \
    "--anomaly-rate 1.5" "--start 2026-02-30T00:00:00Z" "--start 2026-01-01" "--bogus" "extra"; do
    # shellcheck disable=SC2086 # the options are meant to split
    "$GEN" $bad --count 1 >/dev/null 2>&1
    [[ $? == 2 ]] || fail "'$bad' should be rejected with status 2"
done
"$GEN" --count 0 --header --rate 0 >"$TMP/empty" || fail "--count 0 failed"
[[ $(cat "$TMP/empty") == timestamp,* && $(wc -l <"$TMP/empty") == 1 ]] ||
    fail "--count 0 --header should print only the header"
step "options: ok"

# ---- Determinism: the same seed gives the same bytes, another seed others ----
run() { "$GEN" --rate 0 --count 20000 "$@"; }
run --seed 42 --header --truth "$TMP/t1" >"$TMP/d1" || fail "generator failed"
run --seed 42 --header --truth "$TMP/t2" >"$TMP/d2" || fail "generator failed"
run --seed 43 --header --truth "$TMP/t3" >"$TMP/d3" || fail "generator failed"
if ! cmp -s "$TMP/d1" "$TMP/d2" || ! cmp -s "$TMP/t1" "$TMP/t2"; then
    fail "seed 42 twice: different output"
fi
cmp -s "$TMP/d1" "$TMP/d3" && fail "seeds 42 and 43: the same output"
step "determinism: ok"

# ---- Shape: 6 columns of numbers, timestamps --interval apart (across a leap day and a new
# year here), and a truth line for each reading ----
$CHECK shape "$TMP/d1" "$TMP/t1" 60 || exit 1
"$GEN" --rate 0 --count 30000 --interval 17 --start 2028-02-28T23:59:50Z --seed 9 --header \
    --anomaly-rate 0.05 --truth "$TMP/t4" >"$TMP/d4" || fail "generator failed"
$CHECK shape "$TMP/d4" "$TMP/t4" 17 || exit 1
"$GEN" --rate 0 --count 2 --start 2026-12-31T23:59:00Z | cut -d, -f1 | tr '\n' ' ' |
    grep -qx '2026-12-31T23:59:00Z 2027-01-01T00:00:00Z ' || fail "the new year is wrong"

# ---- The anomaly rate over a long run, and the anomalies against the same seed without ----
"$GEN" --rate 0 --count 300000 --seed 5 --truth "$TMP/t5" >"$TMP/d5" || fail "generator failed"
$CHECK rate "$TMP/t5" 0.01 || exit 1
"$GEN" --rate 0 --count 50000 --seed 6 --anomaly-rate 0.05 --truth "$TMP/t6" >"$TMP/d6" ||
    fail "generator failed"
$CHECK rate "$TMP/t6" 0.05 || exit 1
"$GEN" --rate 0 --count 50000 --seed 6 --anomaly-rate 0 --truth "$TMP/c6" >"$TMP/clean6" ||
    fail "generator failed"
if tail -n +2 "$TMP/c6" | grep -qv ',,,$'; then fail "--anomaly-rate 0 still marks anomalies"; fi
$CHECK anomalies "$TMP/d6" "$TMP/clean6" "$TMP/t6" || exit 1

# ---- The daily cycle: by the clock, and with --period ----
"$GEN" --rate 0 --count 43200 --anomaly-rate 0 --seed 8 >"$TMP/d7" || fail "generator failed"
$CHECK season "$TMP/d7" 1440 || exit 1
"$GEN" --rate 0 --count 4800 --anomaly-rate 0 --seed 8 --period 48 >"$TMP/d8" ||
    fail "generator failed"
$CHECK season "$TMP/d8" 48 || exit 1

# ---- Pacing: 21 readings at 100/s take 0.2 s ----
t0=$(date +%s%N)
"$GEN" --count 21 --rate 100 >/dev/null || fail "generator failed"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms >= 195 && ms < 2000)) || fail "21 readings at --rate 100 took $ms ms"
step "pacing: 21 readings at --rate 100 in $ms ms"

# For the record, not a check: machines differ.
t0=$(date +%s%N)
"$GEN" --rate 0 --count 2000000 >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
step "speed: 2000000 readings to /dev/null in $ms ms ($((2000000000 / (ms > 0 ? ms : 1))) lines/s)"

# ---- TCP ----
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listen() { # listen NAME MODE [LINES]: starts a receiver, waits until it listens
    python3 "$HERE/listener.py" "$PORT" "$TMP/$1" "$2" "${3:-0}" 2>>"$TMP/listener.err" &
    LPID=$!
    PIDS+=("$LPID")
    for ((i = 0; i < 200; i++)); do
        [[ -e $TMP/$1.ready ]] && return
        sleep 0.02
    done
    fail "the receiver $1 did not start"
}
lines_in() { cat "$TMP/$1".[0-9]* 2>/dev/null | wc -l; }

# Nobody listening: a clear message and status 1 after --connect-timeout.
PORT=$(free_port)
t0=$(date +%s%N)
"$GEN" --connect "127.0.0.1:$PORT" --connect-timeout 1 --count 5 2>"$TMP/refused.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $rc == 1 ]] || fail "--connect to a closed port: status $rc, not 1"
grep -q "cannot connect to 127.0.0.1:$PORT within 1 s" "$TMP/refused.err" ||
    fail "--connect to a closed port said: $(cat "$TMP/refused.err")"
((ms >= 900 && ms < 3000)) || fail "--connect-timeout 1 gave up after $ms ms"
step "tcp: no receiver: status 1 after $ms ms: $(cat "$TMP/refused.err")"

# A stream of 900 lines at 300/s. The first receiver dies abruptly (SIGKILL) after 200 lines,
# the second is stopped with SIGTERM after 200 more and half-closes, the third takes the rest;
# between them the generator finds nobody for a while and retries.
ARGS=(--count 900 --seed 11 --header --anomaly-rate 0.02)
"$GEN" "${ARGS[@]}" --rate 0 >"$TMP/expected" || fail "generator failed"
listen r1 kill 200
"$GEN" "${ARGS[@]}" --rate 300 --connect "127.0.0.1:$PORT" 2>"$TMP/gen.err" &
GPID=$!
PIDS+=("$GPID")
{ wait "$LPID"; } 2>/dev/null # bash would report the SIGKILL
sleep 0.3
listen r2 graceful
for ((i = 0; i < 500 && $(lines_in r2) < 200; i++)); do sleep 0.02; done
kill -TERM "$LPID"
wait "$LPID"
sleep 0.3
listen r3 plain
wait "$GPID" || fail "the generator failed: $(cat "$TMP/gen.err")"
wait "$LPID"
[[ $(grep -c '^air-quality-gen: reconnected' "$TMP/gen.err") == 2 ]] ||
    fail "expected two reconnections; the generator said: $(cat "$TMP/gen.err")"
sed 's/^/test-airquality:   generator: /' "$TMP/gen.err"
# shellcheck disable=SC2046 # the connection files, in order
$CHECK tcp "$TMP/expected" 2 $(ls "$TMP"/r1.[0-9]* "$TMP"/r2.[0-9]* "$TMP"/r3.[0-9]*) || exit 1

echo "test-airquality: passed"
