#!/usr/bin/env python3
"""Malformed HTTP for tests/http/run.sh: `raw.py PORT CASE` sends the bytes of CASE on a fresh
connection and prints what came back: the status codes of the responses, space-separated
("400", "200 200"), or "closed" when the server closed the connection without a response,
or "timeout" when it neither answered nor closed within 5 s (2 s after a half-close)."""
import re
import socket
import sys
import time

HOST = "127.0.0.1"
EOF = None  # in a case: the client shuts down its sending side here


def cases():
    big = b"a" * 100_000
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
    return {
        # a request line that is not one
        "garbage_line": [b"GARBAGE\r\n\r\n"],
        "binary": [bytes(range(256)) + b"\r\n\r\n"],
        "no_version": [b"GET /healthz\r\nHost: x\r\n\r\n"],
        "bad_version": [b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"],
        # a header without a colon
        "header_no_colon": [b"GET /healthz HTTP/1.1\r\nHost: x\r\nThisHeaderHasNoColon\r\n\r\n"],
        # one 100 KB header, and 10000 small ones
        "huge_header": [b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n"],
        "many_headers": [b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"],
        # Content-Length larger than the body, then the client stops sending (half-close)
        "short_body": [b"POST /fn/hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"key1\":", EOF],
        "bad_length": [b"POST /fn/hello HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"],
        "negative_length": [b"POST /fn/hello HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"],
        # a body far beyond the limit, announced and not sent: refused from the headers
        "huge_length": [b"POST /fn/hello HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"],
        "bad_chunked": [b"POST /fn/hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"ZZZ\r\nnot hex\r\n0\r\n\r\n"],
        # the request line only, then the client closes
        "partial": [b"GET /healthz HTTP/1.1\r\n", EOF],
        # two requests in one packet: both answered, in order
        "pipelined": [b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
        "http10": [b"GET /healthz HTTP/1.0\r\n\r\n"],
    }


def statuses(data):
    # every status line, also one that follows a body directly (pipelined responses)
    return [m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)]


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    chunks = cases()[name]
    # 5 s for the first bytes; 2 s once the client has half-closed (nothing more can come)
    s = socket.create_connection((HOST, port), timeout=2 if EOF in chunks else 5)
    try:
        for c in chunks:
            try:
                if c is EOF:
                    s.shutdown(socket.SHUT_WR)
                else:
                    s.sendall(c)
            except OSError:
                break  # the server may refuse before we are done sending
        # Until the server pauses for 0.5 s after its first bytes, or closes.
        data = b""
        timed_out = False
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                timed_out = not data
                break
            except OSError:
                break
            if not d:
                break
            data += d
            s.settimeout(0.5)
        st = statuses(data)
        if st:
            print(" ".join(st))
        else:
            print("timeout" if timed_out else "closed")
    finally:
        s.close()


if __name__ == "__main__":
    main()
