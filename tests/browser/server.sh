# server.sh - sourced by the browser tests (run.sh, dashboard.sh): starts `sluice serve` on a
# free loopback port with a fresh data folder and stops it at the end, whatever happens.
#   start_server PREFIX LOG LABEL   sets DATA, PORT, URL, LOG, SERVER_PID, TOKEN
#   stop_server                     SIGTERM, SIGKILL after 10 s; sets SERVER_RC
# Expects SLUICE, ROOT and a fail() function from the caller.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=
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

server_cleanup() {
  local rc=$?
  stop_server
  rm -rf "$DATA"
  if [ $rc -ne 0 ] && [ -s "$LOG" ]; then
    echo "$SERVER_LABEL: the server's log (last 30 lines of $LOG):" >&2
    tail -n 30 "$LOG" >&2
  fi
  exit $rc
}

start_server() {
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  LOG=$2
  SERVER_LABEL=$3
  PORT=$(free_port)
  URL=http://127.0.0.1:$PORT
  trap server_cleanup EXIT
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
}
