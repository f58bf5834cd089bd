#!/usr/bin/env python3
"""Feeds and checks the pipelines of tests/race/run.sh (issue 11).

    race.py feed    SPEC...   send every pipeline its records, all at once
    race.py poll    PORT TOKEN STOPFILE   read the pipelines' counters (GET /api/pipelines,
                              /metrics) as the console does, until STOPFILE exists
    race.py peer    PORT DELAY   after DELAY seconds, answer every POST on PORT with 200
    race.py verify  SPEC...   check every pipeline's sink holds exactly its own records

A SPEC is KIND:NAME:N:TARGET:SINK, KIND one of
    tcp   TARGET is PORT: two connections, in chunks that split lines anywhere
    http  TARGET is the server's PORT: POST /ingest/NAME, bodies of whole lines, two clients
    file  TARGET is a path the pipeline follows: appended to in chunks while it runs
and SINK the pipeline's file sink (JSON lines).

Record i of pipeline NAME is the CSV line "NAME,i,PAYLOAD" where PAYLOAD depends on both
(and varies in length), so a record that crossed to another pipeline, lost bytes or took
some of another record's shows up as foreign or corrupt, not only as a wrong count.
"""
import http.client
import json
import os
import socket
import sys
import threading
import time
import zlib


def payload(name, i):
    h = zlib.crc32(f"{name}/{i}".encode())
    return f"{h:08x}" * (1 + h % 4)


def lines(name, lo, hi):
    return "".join(f"{name},{i},{payload(name, i)}\n" for i in range(lo, hi)).encode()


def parse_spec(s):
    kind, name, n, target, sink = s.split(":", 4)
    return kind, name, int(n), target, sink


def halves(n):
    return [(0, n // 2), (n // 2, n)]


def feed_tcp(name, n, port, errors):
    def one(lo, hi):
        try:
            data = lines(name, lo, hi)
            s = socket.create_connection(("127.0.0.1", int(port)), timeout=120)
            # chunk sizes that never line up with records: partial lines at every read
            k, step = 0, 1
            while k < len(data):
                size = 4093 + (step * 7919) % 60000
                s.sendall(data[k : k + size])
                k += size
                step += 1
            s.shutdown(socket.SHUT_WR)
            s.recv(1)  # the source closes once it has read everything
            s.close()
        except OSError as e:
            errors.append(f"{name}: tcp sender: {e}")

    return [threading.Thread(target=one, args=h) for h in halves(n)]


def feed_http(name, n, port, errors):
    def one(lo, hi):
        try:
            c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
            for k in range(lo, hi, 2000):
                body = lines(name, k, min(hi, k + 2000))
                for attempt in range(50):
                    c.request("POST", f"/ingest/{name}", body=body)
                    r = c.getresponse()
                    answer = r.read()
                    if r.status == 202:
                        break
                    if r.status != 503 or attempt == 49:
                        errors.append(f"{name}: POST /ingest: {r.status} {answer[:200]!r}")
                        return
                    time.sleep(0.1)
            c.close()
        except OSError as e:
            errors.append(f"{name}: http sender: {e}")

    return [threading.Thread(target=one, args=h) for h in halves(n)]


def feed_file(name, n, path, errors):
    def one():
        try:
            with open(path, "ab") as f:
                for k in range(0, n, 5000):
                    f.write(lines(name, k, min(n, k + 5000)))
                    f.flush()
                    time.sleep(0.005)  # the source reads while the file grows
        except OSError as e:
            errors.append(f"{name}: file writer: {e}")

    return [threading.Thread(target=one)]


def poll(port, token, stopfile):
    """Reads the counters the pipelines' threads update, while they run."""
    polls, errors = 0, []
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
        while not os.path.exists(stopfile):
            for path, auth in (("/api/pipelines", True), ("/metrics", False)):
                c.request("GET", path, headers={"Authorization": f"Bearer {token}"} if auth else {})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(f"GET {path}: {r.status}")
                    return
            polls += 1
            time.sleep(0.02)
        c.close()
    except OSError as e:
        errors.append(f"stats poller: {e}")
    if not polls:
        errors.append("stats poller: no poll finished")
    print(f"race: read the counters {polls} times while the pipelines ran")
    for e in errors:
        print(f"FAIL {e}")
    return not errors


def peer(port, delay):
    """An http sink's destination that is down for its first DELAY seconds."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    time.sleep(float(delay))
    ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


def feed(specs):
    errors, threads = [], []
    kinds = {"tcp": feed_tcp, "http": feed_http, "file": feed_file}
    for kind, name, n, target, _ in specs:
        threads += kinds[kind](name, n, target, errors)
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(s[2] for s in specs)
    print(f"race: fed {total} records to {len(specs)} pipelines in {time.time() - t0:.1f} s")
    for e in errors:
        print(f"FAIL {e}")
    return not errors


def verify(specs):
    ok = True
    names = {s[1] for s in specs}
    for _, name, n, _, sink in specs:
        seen = bytearray(n)
        dupes = foreign = corrupt = 0
        examples = []
        try:
            f = open(sink, "rb")
        except OSError as e:
            print(f"FAIL {name}: {e}")
            ok = False
            continue
        with f:
            for raw in f:
                try:
                    r = json.loads(raw)
                    pid, i, p = r["pid"], r["seq"], r["payload"]
                except (ValueError, KeyError, TypeError):
                    corrupt += 1
                    examples.append(raw[:120])
                    continue
                if pid != name:
                    foreign += 1
                    if pid not in names or not (isinstance(i, int) and p == payload(pid, i)):
                        corrupt += 1
                    examples.append(raw[:120])
                elif not (isinstance(i, int) and 0 <= i < n) or p != payload(name, i):
                    corrupt += 1
                    examples.append(raw[:120])
                elif seen[i]:
                    dupes += 1
                else:
                    seen[i] = 1
        missing = n - sum(seen)
        if missing or dupes or foreign or corrupt:
            ok = False
            print(
                f"FAIL {name}: of {n} records {missing} missing, {dupes} twice; "
                f"{foreign} from another pipeline, {corrupt} corrupt"
            )
            for e in examples[:3]:
                print(f"       e.g. {e!r}")
        else:
            print(f"ok   {name}: its {n} records, each once, nothing else")
    return ok


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("feed", "verify", "poll", "peer"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "peer":
        peer(*sys.argv[2:4])
    if sys.argv[1] == "poll":
        sys.exit(0 if poll(*sys.argv[2:5]) else 1)
    specs = [parse_spec(s) for s in sys.argv[2:]]
    sys.exit(0 if (feed if sys.argv[1] == "feed" else verify)(specs) else 1)
