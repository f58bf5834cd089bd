#!/usr/bin/env bash
# run-example.sh - what `make run` does: start `sluice serve` on http://127.0.0.1:8080 (data in
# ./sluice-data, the console on /), deploy the example functions (hello, echo, pca, wordcount,
# and hello as a warm handler: hello-handler), show one call of each, then keep serving until
# Ctrl-C. LISTEN and DATA override the address and the data folder; RUN_ONCE=1 stops the
# server after the demo calls (for tests).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
LISTEN=${LISTEN:-127.0.0.1:8080}
DATA=${DATA:-sluice-data}
URL="http://$LISTEN"
SLUICE="$BUILD/sluice"
FN="$BUILD/functions"

if curl -s -o /dev/null --max-time 1 "$URL/healthz"; then
    echo "run: something already answers on $URL (an earlier make run?). Stop it, or use LISTEN=HOST:PORT make run" >&2
    exit 1
fi

"$SLUICE" serve --listen "$LISTEN" --data "$DATA" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "$URL/healthz" && break
    kill -0 $SERVER 2>/dev/null || { echo "run: sluice serve did not start" >&2; exit 1; }
    sleep 0.1
done

export SLUICE_SERVER="$URL" SLUICE_DATA="$DATA"
"$SLUICE" deploy hello "$FN/hello.wasm"
"$SLUICE" deploy hello-handler "$FN/hello.handler.wasm"
"$SLUICE" deploy echo "$FN/echo.wasm"
"$SLUICE" deploy pca "$FN/pca.wasm" --cors '*'
"$SLUICE" deploy wordcount "$FN/wordcount.wasm"

cat <<MSG

Sluice is serving on $URL
  console      $URL/            (token: $(cat "$DATA/token"))
  PCA page     $URL/pca
  metrics      $URL/metrics

\$ curl -d '{"key1":"test value 1","key2":"test value 2"}' $URL/fn/hello
MSG
curl -s -d '{"key1":"test value 1","key2":"test value 2"}' "$URL/fn/hello"
echo "\$ curl '$URL/fn/pca?format=json' -d '5.1,3.5,4.9,3.0,4.7,3.2,4.6,3.1'"
curl -s "$URL/fn/pca?format=json" -d '5.1,3.5,4.9,3.0,4.7,3.2,4.6,3.1'
echo
if [ "${RUN_ONCE:-}" = 1 ]; then
    exit 0
fi
echo "Press Ctrl-C to stop."
wait $SERVER
