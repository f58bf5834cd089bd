#!/usr/bin/env python3
"""A TCP proxy to PostgreSQL that loses the answer to the first COMMIT (test_postgres.c).

Usage: pgproxy.py PORTFILE TARGET_PORT  -- listens on 127.0.0.1 (a free port, written to
PORTFILE) and relays every connection to 127.0.0.1:TARGET_PORT. The first time a client sends
the simple query "COMMIT", the proxy passes it on, waits until the server has surely
committed, then closes both sides without relaying the answer, and creates PORTFILE.dropped.
"""
import os
import socket
import sys
import threading
import time

COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # a Query message: type, length 4 + 7, text
armed = threading.Event()
armed.set()


def relay(src, dst, watch, both, marker, mute):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if watch and COMMIT in data and armed.is_set():
                armed.clear()
                mute.set()  # the server's answers go no further
                dst.sendall(data)
                time.sleep(0.3)
                open(marker, "w").close()
                break
            if not mute.is_set():
                dst.sendall(data)
    except OSError:
        pass
    for s in both:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def main():
    portfile, target = sys.argv[1], int(sys.argv[2])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(lsock.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        client, _ = lsock.accept()
        server = socket.create_connection(("127.0.0.1", target))
        both = (client, server)
        marker, mute = portfile + ".dropped", threading.Event()
        for args in ((client, server, True), (server, client, False)):
            threading.Thread(target=relay, args=args + (both, marker, mute), daemon=True).start()


if __name__ == "__main__":
    main()
