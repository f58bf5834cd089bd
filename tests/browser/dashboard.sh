#!/usr/bin/env bash
# Browser test of the pipeline dashboard (/dashboard) and the console's Pipelines view: starts
# `sluice serve` on a free port with a fresh data directory, then tests/browser/dashboard.mjs
# PUTs an air-quality pipeline (a TCP source on another free port, CSV, no stages, a sqlite
# sink), feeds it CSV lines over TCP and drives Debian's chromium with playwright-core.
# Screenshots (dashboard*.png, console-pipelines*.png) and the server's log
# (dashboard-server.log) go to BUILD/browser/.
#
#   bash tests/browser/dashboard.sh BUILD SLUICE      e.g. build build/sluice
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
OUT=$BUILD/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

fail() {
  echo "dashboard: $*" >&2
  exit 1
}
[ -x "$SLUICE" ] || fail "no sluice binary at $SLUICE (make all first)"
[ -x "$CHROMIUM" ] || fail "no chromium at $CHROMIUM (scripts/install-deps.sh installs it)"
[ -d "$HERE/node_modules/playwright-core" ] || fail "no playwright-core: run npm ci --prefix tests/browser"
command -v curl >/dev/null || fail "curl is missing"
command -v python3 >/dev/null || fail "python3 is missing"

mkdir -p "$OUT"
rm -f "$OUT"/dashboard*.png "$OUT"/console-pipelines*.png "$OUT"/failed-dashboard*.png "$OUT"/failed-console-pipelines*.png
# shellcheck source=server.sh
. "$HERE/server.sh"
start_server sluice-dashboard "$OUT/dashboard-server.log" dashboard

# Two more free ports: the air-quality pipeline's TCP source, and the one the console uploads.
TCP_PORT=$(free_port)
TCP_PORT2=$(free_port)
while [ "$TCP_PORT2" = "$TCP_PORT" ]; do TCP_PORT2=$(free_port); done

rc=0
SLUICE_URL=$URL SLUICE_TOKEN=$TOKEN SLUICE_BUILD=$BUILD CHROMIUM=$CHROMIUM \
  TCP_PORT=$TCP_PORT TCP_PORT2=$TCP_PORT2 node "$HERE/dashboard.mjs" || rc=$?

# The server must still be up and stop cleanly on SIGTERM (with a pipeline running).
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died during the tests"
stop_server
[ "$SERVER_RC" = 0 ] || fail "the server exited with status $SERVER_RC on SIGTERM"
echo "ok   the server stopped on SIGTERM with status 0"
if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$LOG"; then
  fail "sanitizer reports in the server's log"
fi
exit $rc
