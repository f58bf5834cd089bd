#!/usr/bin/env bash
# bench/serve/run.sh - HTTP benchmarks of `sluice serve` (bench/serve/README.md). Figures,
# not pass/fail: a run fails only when something cannot be built or started.
#
#   bash bench/serve/run.sh
#
# (a) the HTTP libraries alone (bench/serve/httplib: libmicrohttpd and libh2o, each answering
#     on its network threads or handing requests to worker threads, as sluice must) and
#     nginx answering `return 200`, (b) `sluice serve` running the example functions; each
#     measured with wrk at 1 and 64 connections, in one table with the ratio to nginx.
#
# Environment: BUILD (build), CC (cc), BENCH_SECONDS (5, per wrk run), BENCH_ROUNDS (3: the
# table shows the median of the rounds),
# BENCH_SERVE_PARTS ("libs sluice": either or both; nginx is always measured),
# BENCH_SERVE_THREADS (passed to `sluice serve --threads` when set),
# BENCH_SERVE_KEEP=1 (keep the temp directory: configs, logs, the server's data).
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
OUT=$BUILD/bench/serve
DURATION=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
PARTS=${BENCH_SERVE_PARTS:-libs sluice}
CONNS=(1 64)
SLUICE=$BUILD/sluice

for tool in wrk nginx curl python3 pkg-config; do
    command -v "$tool" >/dev/null || {
        echo "bench-serve: $tool not found (make bench-serve installs it)" >&2
        exit 2
    }
done

mkdir -p "$OUT" "$BUILD/tmp"
TMP=$(mktemp -d "$(realpath "$BUILD/tmp")/bench-serve.XXXXXX")
PIDS=()

# Every process started here is stopped on the way out, however the script ends.
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
    if [[ ${BENCH_SERVE_KEEP:-0} == 1 ]]; then
        echo "bench-serve: kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback port (the kernel picks it; it is free again when the snippet exits).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until URL answers 200 (10 s at most); PID must stay alive meanwhile.
wait_ready() {
    local url=$1 pid=$2 i
    for ((i = 0; i < 200; i++)); do
        curl -sf -o /dev/null --max-time 1 "$url" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# ---- Building the library programs --------------------------------------------------------

stale() { [[ ! -e $1 || $2 -nt $1 || bench/serve/run.sh -nt $1 ]]; }
HOST_CFLAGS=(-std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -pthread)
build_httplib() {
    if stale "$OUT/mhd" bench/serve/httplib/mhd.c; then
        # shellcheck disable=SC2046 # pkg-config prints a list of flags
        "$CC" "${HOST_CFLAGS[@]}" bench/serve/httplib/mhd.c -o "$OUT/mhd" \
            $(pkg-config --cflags --libs libmicrohttpd)
    fi
    if stale "$OUT/h2o" bench/serve/httplib/h2o.c; then
        # shellcheck disable=SC2046
        "$CC" "${HOST_CFLAGS[@]}" bench/serve/httplib/h2o.c -o "$OUT/h2o" \
            $(pkg-config --cflags --libs libh2o-evloop)
    fi
}

# ---- Measuring ------------------------------------------------------------------------------

# The targets: a label, a URL and, for a POST, the body's file and type. Every server is
# started first and stays up (idle) while the others are measured; then each round runs wrk
# against every target in turn, so that drift in the machine's speed (it is shared) hits all
# of them alike, and the report takes the median of the rounds.
LABELS=() URLS=() BODIES=() TYPES=()
add_target() { # add_target LABEL URL [BODY_FILE TYPE]
    LABELS+=("$1") URLS+=("$2") BODIES+=("${3:-}") TYPES+=("${4:-}")
}

# Turn wrk's report into "req/s p50 p99 errors" (latencies in ms; errors: non-2xx/3xx
# responses plus socket errors).
parse_wrk() {
    awk '
    function ms(v) {
        if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
        if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
        if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
        if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
        return -1
    }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ {
        for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0
    }
    END { printf "%s %.3f %.3f %d\n", rps == "" ? "-" : rps, p50, p99, err }'
}

# measure I ROUND: wrk against target I at each connection count; lines in $RESULTS.
RESULTS=$TMP/results
: >"$RESULTS"
measure() {
    local i=$1 label=${LABELS[$1]} c threads args out rps p50 p99 err
    for c in "${CONNS[@]}"; do
        threads=$((c < 2 ? c : 2)) # wrk needs at least one connection per thread
        args=(-t"$threads" -c"$c" -d"${DURATION}s" --latency --timeout 5s)
        [[ -n ${BODIES[$i]} ]] && args+=(-s "$POST_LUA")
        out=$TMP/wrk.out
        # A pause first: wrk stops with up to 64 requests still queued in the server, and
        # they must not count against the next run (they cost ~100 ms for pca).
        sleep 1
        if ! BODY_FILE=${BODIES[$i]} BODY_TYPE=${TYPES[$i]} wrk "${args[@]}" "${URLS[$i]}" \
            >"$out" 2>&1; then
            echo "bench-serve: wrk failed for $label at $c connections:" >&2
            sed 's/^/    /' "$out" >&2
            continue
        fi
        read -r rps p50 p99 err < <(parse_wrk <"$out")
        echo "$label|$c|$rps|$p50|$p99|$err" >>"$RESULTS"
        printf 'bench-serve: round %s: %-24s c=%-3s %10s req/s  p50 %7s ms  p99 %7s ms%s\n' \
            "$2" "$label" "$c" "$rps" "$p50" "$p99" "$([[ $err != 0 ]] && echo "  ($err errors)")"
    done
}

# A wrk script that POSTs the file BODY_FILE (read once per wrk thread).
POST_LUA=$TMP/post.lua
cat >"$POST_LUA" <<'EOF'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("BODY_TYPE") or "application/octet-stream"
EOF

HELLO_BODY=$TMP/hello.json
printf '%s' '{"key1":"test value 1","key2":"test value 2"}' >"$HELLO_BODY"
# The iris sepal pairs (length, width), as tests/functions/run.py's "iris sepal" case.
IRIS_BODY=$TMP/iris.txt
python3 - tests/functions/iris.csv >"$IRIS_BODY" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
sys.stdout.write(",".join(f"{r[0]},{r[1]}" for r in rows))
EOF

# ---- nginx --------------------------------------------------------------------------------

start_nginx() {
    local port=$1 dir=$TMP/nginx
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "hello\n"; }
    }
}
EOF
    # -e: the error log from the start (the default one, /var/log/nginx, may not be writable).
    nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" -g 'daemon off;' \
        >"$dir/logs/stdout" 2>&1 &
    PIDS+=($!)
    wait_ready "http://127.0.0.1:$port/" "$!" || {
        echo "bench-serve: nginx did not start:" >&2
        cat "$dir/logs/error.log" "$dir/logs/stdout" >&2
        exit 1
    }
}

port=$(free_port)
start_nginx "$port"
add_target nginx "http://127.0.0.1:$port/"

# ---- (a) the HTTP libraries alone ---------------------------------------------------------

if [[ " $PARTS " == *" libs "* ]]; then
    build_httplib
    for mode in "mhd direct" "mhd suspend" "mhd suspend turbo" "h2o direct" "h2o handoff"; do
        read -r -a cmd <<<"$mode"
        port=$(free_port)
        "$OUT/${cmd[0]}" "$port" "${cmd[@]:1}" &
        PIDS+=($!)
        wait_ready "http://127.0.0.1:$port/" "$!" || {
            echo "bench-serve: $mode did not start" >&2
            exit 1
        }
        add_target "lib: $mode" "http://127.0.0.1:$port/"
    done
fi

# ---- (b) sluice serve ---------------------------------------------------------------------

api() { # api METHOD PATH [curl args...]: prints the status; the body goes to $TMP/api.out
    local method=$1 path=$2
    shift 2
    curl -sS -o "$TMP/api.out" -w '%{http_code}' -X "$method" \
        -H "Authorization: Bearer $TOKEN" "$SL_URL$path" "$@"
}

deploy() { # deploy NAME FILE QUERY
    local status
    status=$(api POST "/api/functions/$1/versions?$3" -H 'Content-Type: application/wasm' \
        --data-binary "@$2") || status=000
    if [[ $status != 200 && $status != 201 ]]; then
        echo "bench-serve: deploying $1 ($2, $3) answered $status: $(head -c 300 "$TMP/api.out")" >&2
        return 1
    fi
}

# add_fn LABEL NAME BODY_FILE TYPE WANT: one request first, whose answer must be 200 and
# contain WANT; a function that fails it is not measured (its rows say "-").
add_fn() {
    local status
    status=$(curl -sS -o "$TMP/check.out" -w '%{http_code}' -X POST -H "Content-Type: $4" \
        --data-binary "@$3" "$SL_URL/fn/$2") || status=000
    if [[ $status != 200 ]] || ! grep -qF -- "$5" "$TMP/check.out"; then
        echo "bench-serve: /fn/$2 answered $status: $(head -c 300 "$TMP/check.out")" >&2
        return 0
    fi
    add_target "$1" "$SL_URL/fn/$2" "$3" "$4"
}

SL_PID=
if [[ " $PARTS " == *" sluice "* ]]; then
    FN=$BUILD/functions
    for f in "$SLUICE" "$BUILD/sluice-net" "$FN/hello.wasm" "$FN/hello.handler.wasm" \
        "$FN/pca.wasm" "$FN/pca.handler.wasm"; do
        [[ -e $f ]] || {
            echo "bench-serve: $f is missing (run make all)" >&2
            exit 1
        }
    done
    port=$(free_port)
    SL_URL=http://127.0.0.1:$port
    DATA=$TMP/data
    mkdir -p "$DATA"
    args=(serve --listen "127.0.0.1:$port" --data "$DATA")
    [[ -n ${BENCH_SERVE_THREADS:-} ]] && args+=(--threads "$BENCH_SERVE_THREADS")
    "$SLUICE" "${args[@]}" >"$TMP/serve.log" 2>&1 &
    SL_PID=$!
    PIDS+=("$SL_PID")
    if ! wait_ready "$SL_URL/healthz" "$SL_PID" || [[ ! -s $DATA/token ]]; then
        echo "bench-serve: sluice serve did not start (or made no $DATA/token):" >&2
        tail -20 "$TMP/serve.log" >&2
        exit 1
    fi
    TOKEN=$(<"$DATA/token")
    deploy hello "$FN/hello.wasm" "kind=command" || true
    deploy hello-handler "$FN/hello.handler.wasm" "kind=handler" || true
    deploy pca "$FN/pca.wasm" "kind=command&input=event&output=integration" || true
    deploy pca-handler "$FN/pca.handler.wasm" "kind=handler&input=event&output=integration" || true

    add_target "sluice /healthz" "$SL_URL/healthz"
    HELLO_WANT="Hello! test value 1, test value 2"
    add_fn "sluice hello (command)" hello "$HELLO_BODY" application/json "$HELLO_WANT"
    add_fn "sluice hello (handler)" hello-handler "$HELLO_BODY" application/json "$HELLO_WANT"
    add_fn "sluice pca (command)" pca "$IRIS_BODY" text/plain 'class="eigenvector"'
    add_fn "sluice pca (handler)" pca-handler "$IRIS_BODY" text/plain 'class="eigenvector"'
fi

# ---- Measuring and the report ---------------------------------------------------------------

# Other work on the machine (the cores are shared with wrk already) makes the figures noisy:
# say so when the load is high before the first run.
read -r load _ </proc/loadavg
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench-serve: note: load average $load before the run: other work will skew the figures"
fi
for ((round = 1; round <= ROUNDS; round++)); do
    for i in "${!LABELS[@]}"; do measure "$i" "$round"; done
done
if [[ -n $SL_PID ]] && ! kill -0 "$SL_PID" 2>/dev/null; then
    echo "bench-serve: sluice serve died during the run:" >&2
    tail -20 "$TMP/serve.log" >&2
fi

echo
echo "bench-serve: wrk, ${DURATION} s per run, median of $ROUNDS round(s), on $(nproc) cores" \
    "shared by wrk and the servers"
python3 bench/serve/report.py "$RESULTS" "$PARTS" "${CONNS[@]}"
