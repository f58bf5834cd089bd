#!/usr/bin/env bash
# Several pipelines hosted by one `sluice serve`, fed at once (issue 11; mk/race.mk):
#     bash tests/race/run.sh BUILD        (BUILD: build, build/tsan, ...)
# Starts BUILD/sluice serve on a free loopback port with a fresh data directory, PUTs and
# starts five pipelines through /api/pipelines — two with tcp sources (two senders each,
# lines split across reads), one with an http source (POST /ingest/NAME on the server's
# port, two clients), two with file sources following files that grow while they run —
# feeds them all at the same time with distinct tagged records (NAME,SEQ,PAYLOAD), each into
# its own file sink, while reading their counters (/api/pipelines, /metrics), then stops them and checks (tests/race/race.py) that every sink holds
# exactly its own records: all, none twice, none from another pipeline, none corrupt.
# A sixth pipeline writes to an http sink that is down for its first second: the sink's
# retries and error are in the counters read meanwhile.
# RACE_RECORDS (200000) sets the records per tcp pipeline; the http and file ones get half.
# RACE_WAIT (20) is how many seconds without progress count as stuck.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 BUILD" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
SLUICE=$BUILD/sluice
N=${RACE_RECORDS:-200000}
HALF=$((N / 2))
WAIT=${RACE_WAIT:-20}
PY=$(python3 -c 'import sys; print(sys.executable)')
RACE="$PY -S $ROOT/tests/race/race.py"
[[ -x $SLUICE ]] || { echo "test-race: missing $SLUICE (run make test-race)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/sluice-race.XXXXXX")
DATA=$W/data
LOG=$W/server.log
SERVER_PID=
STARTED=$(date +%s.%N)
PEER_PID=
cleanup() {
    [[ -z $PEER_PID ]] || kill "$PEER_PID" 2>/dev/null || true
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$W"
}
trap cleanup EXIT
die() {
    echo "FAIL $*"
    echo "---- server log (tail)"
    tail -n 40 "$LOG" 2>/dev/null || true
    exit 1
}

# distinct free ports: the server's and one per tcp source
ports=$("$PY" -S -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
read -r PORT TCP1 TCP2 PEER <<<"$ports"
BASE=http://127.0.0.1:$PORT

mkdir -p "$DATA"
"$SLUICE" serve --listen "127.0.0.1:$PORT" --data "$DATA" --threads 2 2>"$LOG" >"$W/server.out" &
SERVER_PID=$!
up=0
for _ in $(seq 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" || true) == 200 ]]; then
        up=1
        break
    fi
    sleep 0.05
done
[[ $up == 1 ]] || die "the server did not answer GET /healthz"
TOKEN=$(tr -d '\n' <"$DATA/token")

# api METHOD PATH [CURL ARGS...]: fails the test unless the answer is 2xx
api() {
    local m=$1 p=$2 code
    shift 2
    code=$(curl -s -o "$W/answer" -w '%{http_code}' --max-time 60 -X "$m" \
        -H "Authorization: Bearer $TOKEN" "$@" "$BASE$p" || true)
    [[ $code == 2?? ]] || die "$m $p: $code $(head -c 300 "$W/answer" 2>/dev/null)"
}

# NAME SOURCE-YAML [SINK-YAML]: a pipeline into $W/NAME.jsonl (or SINK)
pipeline() {
    cat >"$W/$1.yaml" <<YAML
name: $1
source: $2
parser: {type: csv, columns: [pid:string, seq:int, payload:string]}
sinks: [${3:-"{type: file, path: $W/$1.jsonl, fsync: false}"}]
dead_letter: {path: $W/$1.dead.jsonl}
linger: 20ms
YAML
    api PUT "/api/pipelines/$1" --data-binary @"$W/$1.yaml"
}
: >"$W/file1.csv"
: >"$W/file2.csv"
pipeline tcp1 "{type: tcp, listen: 127.0.0.1:$TCP1}"
pipeline tcp2 "{type: tcp, listen: 127.0.0.1:$TCP2}"
pipeline http1 "{type: http}"
pipeline file1 "{type: file, path: $W/file1.csv, follow: true, poll: 10ms}"
pipeline file2 "{type: file, path: $W/file2.csv, follow: true, poll: 10ms}"
pipeline flaky "{type: http}" "{type: http, url: \"http://127.0.0.1:$PEER/in\"}"
NAMES=(tcp1 tcp2 http1 file1 file2)
for p in "${NAMES[@]}" flaky; do api POST "/api/pipelines/$p/start"; done

# wait for the listeners: the tcp ports accept, /ingest/http1 answers (a GET is refused)
for _ in $(seq 200); do
    "$PY" -S -c "
import socket, sys
for p in sys.argv[1:]: socket.create_connection(('127.0.0.1', int(p)), timeout=1).close()" \
        "$TCP1" "$TCP2" 2>/dev/null &&
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/ingest/http1") == 405 ]] && break
    sleep 0.05
done
# those probe connections sent nothing: they add no records

SPECS=("tcp:tcp1:$N:$TCP1:$W/tcp1.jsonl" "tcp:tcp2:$N:$TCP2:$W/tcp2.jsonl"
    "http:http1:$HALF:$PORT:$W/http1.jsonl" "file:file1:$HALF:$W/file1.csv:$W/file1.jsonl"
    "file:file2:$HALF:$W/file2.csv:$W/file2.jsonl")
$RACE poll "$PORT" "$TOKEN" "$W/stop-polling" &
POLLER=$!
$RACE peer "$PEER" 1 2>"$W/peer.log" &
PEER_PID=$!
seq 1 1000 | sed 's/.*/flaky,&,x/' >"$W/flaky.csv"
code=$(curl -s -o "$W/answer" -w '%{http_code}' --data-binary @"$W/flaky.csv" "$BASE/ingest/flaky" || true)
[[ $code == 202 ]] || die "POST /ingest/flaky: $code $(head -c 300 "$W/answer")"
$RACE feed "${SPECS[@]}" || die "feeding the pipelines"

# every sink reaches its count, or nothing moves for $WAIT s
want=$((2 * N + 3 * HALF))
last=-1 still=0
while :; do
    have=0
    for p in "${NAMES[@]}"; do
        [[ -f $W/$p.jsonl ]] && have=$((have + $(wc -l <"$W/$p.jsonl")))
    done
    ((have >= want)) && break
    if ((have == last)); then
        still=$((still + 1))
        ((still >= WAIT * 10)) && { echo "test-race: stuck at $have of $want records"; break; }
    else
        last=$have still=0
    fi
    sleep 0.1
done
# the flaky sink: its records in, after a retry whose error the counters show
for _ in $(seq 100); do
    api GET /api/pipelines/flaky
    "$PY" -S -c '
import json, sys
s = json.load(open(sys.argv[1]))["stats"]["sinks"][0]
sys.exit(0 if s["records"] == 1000 else 1)' "$W/answer" && break
    sleep 0.1
done
if "$PY" -S -c '
import json, sys
s = json.load(open(sys.argv[1]))["stats"]["sinks"][0]
assert s["records"] == 1000 and s["retries"] >= 2 and "connect" in s["last_error"], s' "$W/answer"; then
    echo "ok   flaky: 1000 records through an http sink after retries, its error in the counters"
else
    echo "FAIL flaky: $(head -c 400 "$W/answer")"
    bad=1
fi
touch "$W/stop-polling"
wait "$POLLER" || bad=1
for p in "${NAMES[@]}" flaky; do api POST "/api/pipelines/$p/stop"; done
kill "$PEER_PID"
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
[[ $rc == 0 ]] || die "the server exited with status $rc"
if grep -q 'WARNING: ThreadSanitizer' "$LOG"; then die "ThreadSanitizer reports in the server's log"; fi
for p in "${NAMES[@]}"; do
    if [[ -s $W/$p.dead.jsonl ]]; then
        echo "FAIL $p: $(wc -l <"$W/$p.dead.jsonl") dead letters, e.g. $(head -c 200 "$W/$p.dead.jsonl")"
        bad=1
    fi
done
$RACE verify "${SPECS[@]}" || bad=1
secs=$("$PY" -S -c "import time; print(round(time.time() - $STARTED, 1))")
if [[ ${bad:-0} == 1 ]]; then
    echo "test-race: FAILED ($secs s)"
    exit 1
fi
echo "test-race: passed: $want records into 5 pipelines at once, each sink exactly its own ($secs s)"
