"""A TCP receiver for examples/air-quality/test.sh.

    listener.py PORT PREFIX MODE [LINES]

Accepts connections on 127.0.0.1:PORT and writes the bytes of connection n, unchanged, to
PREFIX.n as they arrive (unbuffered, so nothing received is lost when the process dies).
PREFIX.ready appears once it listens. MODE says how it ends:

    kill      SIGKILLs itself right after it has received LINES lines: an abrupt death
    graceful  on SIGTERM, closes the listening socket, half-closes the connection (shutdown
              SHUT_WR), reads to EOF, exits: how a receiver stops without losing a line. The
              listening socket goes first: the kernel accepts connections into its backlog and
              acknowledges data on them, which would be lost when the process exits.
    plain     exits when a connection reaches EOF (the generator finished)
"""

import os
import signal
import socket
import sys

port, prefix, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 0

stopping = False


def on_term(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
open(prefix + ".ready", "w").close()

lines = 0
n = 0
while True:
    conn, _ = srv.accept()
    n += 1
    out = os.open(f"{prefix}.{n}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    conn.settimeout(0.05)  # to notice SIGTERM while no data comes
    half_closed = False
    while True:
        if stopping and not half_closed:
            srv.close()
            conn.shutdown(socket.SHUT_WR)
            half_closed = True
        try:
            data = conn.recv(65536)
        except socket.timeout:
            continue
        except ConnectionError:
            break
        if not data:
            break
        os.write(out, data)
        lines += data.count(b"\n")
        if mode == "kill" and lines >= limit:
            os.kill(os.getpid(), signal.SIGKILL)
    conn.close()
    os.close(out)
    if mode == "plain" or half_closed:
        sys.exit(0)
