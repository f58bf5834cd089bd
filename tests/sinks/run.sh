#!/usr/bin/env bash
# Runs the sink tests (tests/sinks/*.c): tests/sinks/run.sh BIN [ARGS...]
#
# Starts a throwaway PostgreSQL cluster for the postgres tests: initdb in a temp dir, a
# server on a free loopback port (trust auth, user "sluice"), stopped and removed at the end,
# also on failure or interrupt. PostgreSQL refuses to run as root, so as root the server runs
# as the `postgres` user (or `nobody` when there is none). The tests get
#   SLUICE_PG_URL  the server's URL
#   SLUICE_PG_CTL  a script: `$SLUICE_PG_CTL stop` (fast shutdown) / `$SLUICE_PG_CTL start`
# Without PostgreSQL's server binaries (PG_BIN, else /usr/lib/postgresql/*/bin) the postgres
# tests are skipped, unless SLUICE_REQUIRE_PG=1.
set -euo pipefail

bin=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
export SLUICE_SINKS_PEER="$here/peer.py"

pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
tmp=""
run_as=()

cleanup() {
    if [[ -n "$tmp" ]]; then
        if [[ -f "$tmp/data/postmaster.pid" ]]; then
            "${run_as[@]}" "$pg_bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_pg() {
    if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" || ! -x "$pg_bin/pg_ctl" ]]; then
        return 1
    fi
    tmp=$(mktemp -d /tmp/sluice-pg-XXXXXX)
    if [[ $(id -u) == 0 ]]; then
        local user=postgres
        id -u postgres >/dev/null 2>&1 || user=nobody
        chown "$user" "$tmp"
        if command -v runuser >/dev/null; then
            run_as=(runuser -u "$user" --)
        else
            run_as=(setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups)
        fi
    else
        run_as=(env)
    fi
    # The server's user must reach the directory; cd somewhere it may read, too.
    chmod 755 "$tmp"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (cd / && "${run_as[@]}" "$pg_bin/initdb" -D "$tmp/data" -U sluice --auth=trust --no-locale \
        -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1) || {
        cat "$tmp/initdb.log" >&2
        echo "run.sh: initdb failed" >&2
        exit 1
    }
    cat >"$tmp/pgctl" <<EOF
#!/bin/sh
# $tmp/pgctl start|stop
cd /
case "\$1" in
start) exec ${run_as[*]} "$pg_bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 \\
        -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ;;
stop) exec ${run_as[*]} "$pg_bin/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >/dev/null ;;
*) echo "usage: \$0 start|stop" >&2; exit 2 ;;
esac
EOF
    chmod 755 "$tmp/pgctl"
    "$tmp/pgctl" start || {
        cat "$tmp/server.log" >&2
        echo "run.sh: the PostgreSQL server did not start" >&2
        exit 1
    }
    export SLUICE_PG_URL="postgres://sluice@127.0.0.1:$port/postgres"
    export SLUICE_PG_CTL="$tmp/pgctl"
}

if ! start_pg; then
    if [[ "${SLUICE_REQUIRE_PG:-0}" == 1 ]]; then
        echo "run.sh: no PostgreSQL server binaries (install postgresql, or set PG_BIN)" >&2
        exit 1
    fi
    echo "run.sh: no PostgreSQL server binaries: the postgres tests are skipped" >&2
fi

status=0
"$bin" "$@" || status=$?
if [[ $status != 0 && -n "$tmp" && -f "$tmp/server.log" ]]; then
    echo "--- PostgreSQL server log (last lines) ---" >&2
    tail -n 20 "$tmp/server.log" >&2
fi
exit $status
