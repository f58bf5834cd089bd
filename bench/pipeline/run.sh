#!/usr/bin/env bash
# bench/pipeline/run.sh - throughput and latency of `sluice pipeline run` next to a plain C
# program doing the same parse and write, measured in the same run (bench/pipeline/README.md).
# Figures, not pass/fail: a run fails only when something cannot be built or started, or
# records go missing.
#
#   make bench-pipeline            # builds everything, then runs this
#   bash bench/pipeline/run.sh     # after make all build/bench/pipeline/{baseline,load}
#
# (a) tcp -> csv -> identity.handler.wasm (batch mode) -> file sink (JSON lines)
# (b) tcp -> csv -> window (240/24) -> anomaly.handler.wasm -> sqlite sink
# each next to bench/pipeline/baseline.c (the same CSV parse, the same JSON lines / SQLite
# transactions, no engine, no Wasm, no window), driven by bench/pipeline/load.c.
#
# Environment (defaults keep a run under ~3 minutes on the 2-core VM):
#   BUILD (build)
#   BENCH_PIPELINE_PARTS ("a b")           which paths to measure
#   BENCH_PIPELINE_A_COUNT (2000000)       records per throughput run of (a)
#   BENCH_PIPELINE_A_ROUNDS (3)            throughput rounds of (a); the table shows the median
#   BENCH_PIPELINE_A_RATE (10000)          records/s sent in the latency run of (a) ...
#   BENCH_PIPELINE_A_LAT_COUNT (50000)     ... and how many (5 s)
#   BENCH_PIPELINE_B_COUNT (24000)         records per throughput run of (b) (one round)
#   BENCH_PIPELINE_B_RATE (200)            records/s sent in the latency run of (b) ...
#   BENCH_PIPELINE_B_LAT_COUNT (3000)      ... and how many (15 s; the first window, 240
#                                          records, is left out of the percentiles)
#   BENCH_PIPELINE_FSYNC (true)            the file sink's fsync (and the baseline's fdatasync)
#   BENCH_PIPELINE_BATCH (unset: 1024)     batch_size of the pipelines and the baseline
#   BENCH_PIPELINE_KEEP=1                  keep the temp directory (pipelines, sinks, logs)
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench/pipeline
PARTS=${BENCH_PIPELINE_PARTS:-a b}
A_COUNT=${BENCH_PIPELINE_A_COUNT:-2000000}
A_ROUNDS=${BENCH_PIPELINE_A_ROUNDS:-3}
A_RATE=${BENCH_PIPELINE_A_RATE:-10000}
A_LAT_COUNT=${BENCH_PIPELINE_A_LAT_COUNT:-50000}
B_COUNT=${BENCH_PIPELINE_B_COUNT:-24000}
B_RATE=${BENCH_PIPELINE_B_RATE:-200}
B_LAT_COUNT=${BENCH_PIPELINE_B_LAT_COUNT:-3000}
FSYNC=${BENCH_PIPELINE_FSYNC:-true}
BATCH=${BENCH_PIPELINE_BATCH:-}
WIN_SIZE=240 WIN_SLIDE=24

SLUICE=$BUILD/sluice
FN=$BUILD/functions
GEN=$BUILD/examples/air-quality-gen
BASELINE=$OUT/baseline
LOAD=$OUT/load
ANOMALY=$FN/anomaly.handler.wasm

for f in "$SLUICE" "$BUILD/sluice-net" "$FN/identity.handler.wasm" "$GEN" "$BASELINE" "$LOAD"; do
    [[ -x $f || -f $f ]] || {
        echo "bench-pipeline: $f is missing (make bench-pipeline builds it)" >&2
        exit 2
    }
done
command -v python3 >/dev/null || {
    echo "bench-pipeline: python3 not found" >&2
    exit 2
}
if [[ " $PARTS " == *" b "* && ! -f $ANOMALY ]]; then
    echo "bench-pipeline: note: $ANOMALY does not exist (yet): skipping (b) window -> anomaly"
    PARTS=${PARTS//b/}
fi

mkdir -p "$OUT" "$BUILD/tmp"
TMP=$(mktemp -d "$(realpath "$BUILD/tmp")/bench-pipeline.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
    if [[ ${BENCH_PIPELINE_KEEP:-0} == 1 ]]; then
        echo "bench-pipeline: kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
sqlite_count() { # sqlite_count DB TABLE
    python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from \"%s\"' % sys.argv[2]).fetchone()[0])" "$1" "$2" 2>/dev/null || echo 0
}
count_lines() { if [[ -f $1 ]]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# Records a window stage has emitted after n records in (the first window at WIN_SIZE, then
# one every WIN_SLIDE); the rest come out when the pipeline is stopped.
window_emitted() {
    local n=$1
    if ((n < WIN_SIZE)); then echo 0; else echo $((WIN_SIZE + (n - WIN_SIZE) / WIN_SLIDE * WIN_SLIDE)); fi
}

# ---- The input ------------------------------------------------------------------------------

# The generator's readings, once per size (kept in $OUT): the sender only copies bytes.
INPUT_COUNT=$A_COUNT
((B_COUNT > INPUT_COUNT)) && INPUT_COUNT=$B_COUNT
INPUT=$OUT/air-quality-$INPUT_COUNT.csv
if [[ ! -s $INPUT || $(count_lines "$INPUT") != "$INPUT_COUNT" || $GEN -nt $INPUT ]]; then
    echo "bench-pipeline: generating $INPUT_COUNT readings into $INPUT"
    "$GEN" --count "$INPUT_COUNT" --rate 0 >"$INPUT.tmp"
    mv "$INPUT.tmp" "$INPUT"
fi

# ---- Pipelines --------------------------------------------------------------------------------

COLUMNS='[timestamp:timestamp, temperature:float, humidity:float, pressure:float, gas_resistance:float, air_quality:float]'

write_pipeline() { # write_pipeline a|b DIR PORT
    local dir=$2 port=$3
    if [[ $1 == a ]]; then
        cat >"$dir/pipeline.yaml" <<YAML
name: bench-identity
source: {type: tcp, listen: 127.0.0.1:$port}
parser:
  type: csv
  columns: $COLUMNS
stages:
  - type: function
    module: $(realpath "$FN/identity.handler.wasm")
sinks:
  - {type: file, path: out.jsonl, fsync: $FSYNC}
dead_letter: {path: dead.jsonl}
${BATCH:+batch_size: $BATCH}
YAML
    else
        cat >"$dir/pipeline.yaml" <<YAML
name: bench-anomaly
source: {type: tcp, listen: 127.0.0.1:$port}
parser:
  type: csv
  columns: $COLUMNS
stages:
  - type: window
    size: $WIN_SIZE
    slide: $WIN_SLIDE
    function:
      module: $(realpath "$ANOMALY")
      params: {period: 24, alpha: 0.05, max_anoms: 0.1}
sinks:
  - {type: sqlite, path: out.db, table: readings}
dead_letter: {path: dead.jsonl}
${BATCH:+batch_size: $BATCH}
YAML
    fi
}

RESULTS=$TMP/results
: >"$RESULTS"
RUN=0

# measure PATH WHO MODE COUNT: one run of sluice or the baseline (WHO) for path a or b, MODE
# throughput or latency; appends "path|who|mode|key=value..." to $RESULTS.
measure() {
    local path=$1 who=$2 mode=$3 count=$4
    RUN=$((RUN + 1))
    local dir=$TMP/run$RUN port pid out expect sink stats
    mkdir -p "$dir"
    port=$(free_port)
    expect=$count
    [[ $path == b && $who == sluice ]] && expect=$(window_emitted "$count")
    if [[ $path == a ]]; then sink="file:$dir/out.jsonl"; else sink="sqlite:$dir/out.db:readings"; fi
    if [[ $who == sluice ]]; then
        write_pipeline "$path" "$dir" "$port"
        "$SLUICE" pipeline run "$dir/pipeline.yaml" 2>"$dir/stderr" &
    elif [[ $path == a ]]; then
        "$BASELINE" file "127.0.0.1:$port" "$dir/out.jsonl" --batch "${BATCH:-1024}" \
            --fsync "$([[ $FSYNC == true ]] && echo 1 || echo 0)" 2>"$dir/stderr" &
    else
        "$BASELINE" sqlite "127.0.0.1:$port" "$dir/out.db" readings --batch "${BATCH:-1024}" 2>"$dir/stderr" &
    fi
    pid=$!
    PIDS+=("$pid")
    local args=(--connect "127.0.0.1:$port" --input "$INPUT" --count "$count" --expect "$expect"
        --sink "$sink")
    if [[ $mode == throughput ]]; then
        args+=(--pid "$pid")
    elif [[ $path == a ]]; then
        args+=(--rate "$A_RATE")
    else
        args+=(--rate "$B_RATE" --skip "$([[ $who == sluice ]] && echo $WIN_SIZE || echo 0)")
    fi
    local ok=1
    out=$("$LOAD" "$mode" "${args[@]}") || ok=0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || ok=0
    if ((!ok)); then
        echo "bench-pipeline: $path $who $mode failed: $out" >&2
        tail -5 "$dir/stderr" >&2
        return 1
    fi
    # every record arrived: the sink's own count, and sluice's counters (its last stderr line)
    local got
    if [[ $path == a ]]; then got=$(count_lines "$dir/out.jsonl"); else got=$(sqlite_count "$dir/out.db" readings); fi
    stats=$(tail -1 "$dir/stderr")
    if [[ $got != "$count" ]]; then
        echo "bench-pipeline: $path $who $mode: the sink holds $got records, $count were sent" >&2
        return 1
    fi
    if [[ $who == sluice ]] && ! python3 - "$stats" "$count" <<'PY'; then
import json, sys
s, n = json.loads(sys.argv[1]), int(sys.argv[2])
bad = [f"{k}={v}" for k, v in [("source.records", s["source"]["records"]), ("sink.records", s["sinks"][0]["records"])] if v != n]
if s["dead_letters"] or s["source"]["bad"]: bad.append(f"dead_letters={s['dead_letters']}")
if bad: sys.exit("counters: " + ", ".join(bad))
PY
        echo "bench-pipeline: $path $who $mode: counters do not add up: $stats" >&2
        return 1
    fi
    echo "$path|$who|$mode|$out" >>"$RESULTS"
    printf 'bench-pipeline: (%s) %-8s %-10s %s\n' "$path" "$who" "$mode" "$out"
}

read -r load _ </proc/loadavg
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench-pipeline: note: load average $load before the run: other work will skew the figures"
fi
start=$(date +%s)
if [[ " $PARTS " == *" a "* ]]; then
    for ((r = 1; r <= A_ROUNDS; r++)); do
        measure a baseline throughput "$A_COUNT"
        measure a sluice throughput "$A_COUNT"
    done
    measure a baseline latency "$A_LAT_COUNT"
    measure a sluice latency "$A_LAT_COUNT"
fi
if [[ " $PARTS " == *" b "* ]]; then
    measure b baseline throughput "$B_COUNT"
    measure b sluice throughput "$B_COUNT"
    measure b baseline latency "$B_LAT_COUNT"
    measure b sluice latency "$B_LAT_COUNT"
fi

echo
echo "bench-pipeline: $(nproc) cores shared by the sender, the watcher and the receiver;" \
    "$(($(date +%s) - start)) s; file sink fsync: $FSYNC; batch_size ${BATCH:-1024}"
python3 - "$RESULTS" "$A_RATE" "$B_RATE" <<'PY'
import statistics, sys

rows = {}
for line in open(sys.argv[1]):
    path, who, mode, kv = line.rstrip("\n").split("|", 3)
    d = dict(x.split("=") for x in kv.split())
    rows.setdefault((path, who, mode), []).append({k: float(v) for k, v in d.items()})
rates = {"a": sys.argv[2], "b": sys.argv[3]}
names = {
    ("a", "baseline"): "(a) plain C: csv -> JSON lines file",
    ("a", "sluice"): "(a) sluice: csv -> identity.wasm -> file",
    ("b", "baseline"): "(b) plain C: csv -> sqlite (no window)",
    ("b", "sluice"): "(b) sluice: csv -> window -> anomaly.wasm -> sqlite",
}

def tput(path, who):
    runs = rows.get((path, who, "throughput"))
    if not runs:
        return None
    r = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]  # the median run
    return {"records": r["records"], "seconds": r["seconds"], "rps": r["records"] / r["seconds"],
            "pcpu": r["records"] / r["cpu"] if r.get("cpu") else float("nan"), "n": len(runs)}

def lat(path, who):
    runs = rows.get((path, who, "latency"))
    return runs[0] if runs else None

hdr = ("path", "records", "seconds", "records/s", "rec/s per CPU-s", "p50 ms", "p99 ms",
       "x base rec/s", "x base per CPU")
table = []
for path in ("a", "b"):
    base = tput(path, "baseline")
    for who in ("baseline", "sluice"):
        t, l = tput(path, who), lat(path, who)
        if not t:
            continue
        ratio = lambda k: f"{t[k] / base[k]:.3g}" if base and who != "baseline" else "1" if base else "-"
        table.append((names[(path, who)], f"{t['records']:.0f}", f"{t['seconds']:.2f}",
                      f"{t['rps']:,.0f}", f"{t['pcpu']:,.0f}",
                      f"{l['p50_ms']:.1f}" if l else "-", f"{l['p99_ms']:.1f}" if l else "-",
                      ratio("rps"), ratio("pcpu")))
if not table:
    sys.exit("bench-pipeline: nothing measured")
w = [max(len(str(r[i])) for r in table + [hdr]) for i in range(len(hdr))]
fmt = lambda r: "  ".join(str(c).ljust(w[0]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))
print(fmt(hdr))
print("  ".join("-" * x for x in w))
for r in table:
    print(fmt(r))
print()
print("records/s: records over the wall time from the first byte sent to the last record in the")
print("sink (median of %s round(s) for (a)); per CPU-s: records over the receiver's user+sys time;"
      % (tput("a", "sluice") or {"n": 0})["n"])
print("p50/p99: send-to-sink latency at a fixed rate (a: %s/s, b: %s/s) in a separate run."
      % (rates["a"], rates["b"]))
s, b = tput("a", "sluice"), tput("a", "baseline")
if s and b:
    print()
    print("targets (issue #6), identity path:")
    met = lambda ok: "met" if ok else "NOT met"
    print(f"  >= 1,000,000 records/s per core:      {s['pcpu']:>12,.0f} per CPU-second  {met(s['pcpu'] >= 1e6)}")
    print(f"  >= 50% of the plain-C baseline:       {s['rps'] / b['rps']:>12.0%} of its records/s       "
          f"{met(s['rps'] >= 0.5 * b['rps'])}")
    print(f"                                        {s['pcpu'] / b['pcpu']:>12.0%} of its records per CPU-s "
          f"{met(s['pcpu'] >= 0.5 * b['pcpu'])}")
PY
