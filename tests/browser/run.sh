#!/usr/bin/env bash
# Browser tests of the web console (/) and the PCA page (/pca): starts `sluice serve` on a free
# port with a fresh data directory, deploys hello, echo and pca through the API with curl, then
# drives Debian's chromium with playwright-core (tests/browser/run.mjs). Screenshots and the
# server's log go to BUILD/browser/.
#
#   bash tests/browser/run.sh BUILD SLUICE      e.g. build build/sluice, or build/asan build/asan/sluice
#
# Needs tests/browser/node_modules (`npm ci --prefix tests/browser`; `make test-browser` does it).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SLUICE_BINARY" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "$1" && pwd)
SLUICE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
FNDIR=$BUILD/functions
OUT=$BUILD/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

fail() {
  echo "browser: $*" >&2
  exit 1
}
[ -x "$SLUICE" ] || fail "no sluice binary at $SLUICE (make all first)"
for f in hello echo pca; do
  [ -f "$FNDIR/$f.wasm" ] || fail "no $FNDIR/$f.wasm (make all first)"
done
[ -x "$CHROMIUM" ] || fail "no chromium at $CHROMIUM (scripts/install-deps.sh installs it)"
[ -d "$HERE/node_modules/playwright-core" ] || fail "no playwright-core: run npm ci --prefix tests/browser"
command -v curl >/dev/null || fail "curl is missing"

mkdir -p "$OUT"
rm -f "$OUT"/*.png
DATA=$(mktemp -d "${TMPDIR:-/tmp}/sluice-browser.XXXXXX")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
LOG=$OUT/server.log
SERVER_PID=

# stop_server: SIGTERM (the server finishes what is in progress), SIGKILL after 10 s; sets
# SERVER_RC to its exit status.
SERVER_RC=
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  SERVER_RC=0
  wait "$SERVER_PID" 2>/dev/null || SERVER_RC=$?
  SERVER_PID=
}

cleanup() {
  local rc=$?
  stop_server
  rm -rf "$DATA"
  if [ $rc -ne 0 ] && [ -s "$LOG" ]; then
    echo "browser: the server's log (last 30 lines of $LOG):" >&2
    tail -n 30 "$LOG" >&2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$SLUICE" serve --listen "127.0.0.1:$PORT" --data "$DATA" --web "$ROOT/web" >"$LOG" 2>&1 &
SERVER_PID=$!

for i in $(seq 300); do
  if curl -sf -o /dev/null "$URL/healthz"; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at start"
  [ "$i" -lt 300 ] || fail "the server did not answer GET /healthz within 30 s"
  sleep 0.1
done
[ -s "$DATA/token" ] || fail "no token in $DATA/token"
TOKEN=$(cat "$DATA/token")

# deploy NAME QUERY: POST the module as a raw upload; the answer must be 201.
deploy() {
  local code
  code=$(curl -s -o "$OUT/deploy-$1.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/wasm' \
    --data-binary "@$FNDIR/$1.wasm" "$URL/api/functions/$1/versions?$2")
  [ "$code" = 201 ] || fail "deploying $1: status $code: $(cat "$OUT/deploy-$1.json")"
}
deploy hello 'kind=command&input=raw&output=raw'
deploy echo 'kind=command&input=event&output=integration'
deploy pca 'kind=command&input=event&output=integration'
rm -f "$OUT"/deploy-*.json

rc=0
SLUICE_URL=$URL SLUICE_TOKEN=$TOKEN SLUICE_BUILD=$BUILD CHROMIUM=$CHROMIUM node "$HERE/run.mjs" || rc=$?

# The server must still be up, stop cleanly, and (sanitizer builds) have reported nothing.
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died during the tests"
stop_server
[ "$SERVER_RC" = 0 ] || fail "the server exited with status $SERVER_RC on SIGTERM"
if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$LOG"; then
  fail "sanitizer reports in the server's log"
fi
exit $rc
