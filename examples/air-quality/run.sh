#!/usr/bin/env bash
# run.sh - the air-quality example, live: starts `sluice serve` (LISTEN, default
# 127.0.0.1:8080; data in DATA, default ./sluice-data), deploys examples/air-quality/pipeline.yaml
# as a hosted pipeline, streams generated readings into it over TCP (RATE readings per second,
# default 50), and prints the dashboard's address. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LISTEN=${LISTEN:-127.0.0.1:8080}
DATA=${DATA:-sluice-data}
RATE=${RATE:-50}
URL="http://$LISTEN"
[ -x "$BUILD/sluice" ] && [ -f "$BUILD/functions/anomaly.handler.wasm" ] || make -s all
"$BUILD/sluice" serve --listen "$LISTEN" --data "$DATA" &
SERVER=$!
GEN=
trap 'kill $GEN $SERVER 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do curl -s -o /dev/null "$URL/healthz" && break; sleep 0.1; done
TOKEN=$(cat "$DATA/token")
# the hosted copy lives in DATA/pipelines: make the module path absolute
sed "s|module: ../../build/|module: $PWD/$BUILD/|" examples/air-quality/pipeline.yaml > "$DATA/air-quality.yaml"
curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/pipelines/air-quality/stop" > /dev/null || true
curl -sf -X PUT -H "Authorization: Bearer $TOKEN" --data-binary @"$DATA/air-quality.yaml" \
    "$URL/api/pipelines/air-quality" > /dev/null
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/pipelines/air-quality/start" > /dev/null
"$BUILD/examples/air-quality-gen" --connect 127.0.0.1:9000 --interval 3600 --rate "$RATE" \
    --truth "$DATA/air-quality.truth.csv" &
GEN=$!
cat <<MSG

The air-quality pipeline is running:
  dashboard    $URL/dashboard?pipeline=air-quality     (token: $TOKEN)
  console      $URL/
  data         $DATA/pipelines/air-quality.db (SQLite), ground truth in $DATA/air-quality.truth.csv

Press Ctrl-C to stop.
MSG
wait $SERVER
