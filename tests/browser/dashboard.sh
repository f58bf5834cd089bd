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
DATA=$(mktemp -d "${TMPDIR:-/tmp}/sluice-dashboard.XXXXXX")
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
LOG=$OUT/dashboard-server.log
SERVER_PID=

# stop_server: SIGTERM (the server stops its pipelines and finishes what is in progress),
# SIGKILL after 10 s; sets SERVER_RC to its exit status.
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
    echo "dashboard: the server's log (last 30 lines of $LOG):" >&2
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
