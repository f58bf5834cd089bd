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
# shellcheck source=server.sh
. "$HERE/server.sh"
start_server sluice-browser "$OUT/server.log" browser

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
