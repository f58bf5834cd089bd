#!/usr/bin/env python3
"""A loopback peer for the http and elasticsearch sink tests (tests/sinks/test_http.c).

Usage: peer.py PORTFILE  -- listens on 127.0.0.1 (a free port, written to PORTFILE).

HTTP sink paths (POST; the body is a JSON array, or NDJSON with Content-Type
application/x-ndjson):
  /http/ok     200, stores the records
  /http/flaky  503 to the first request, then like /http/ok
  /http/bad    400 with a JSON error body
  /http/auth   like /http/ok if X-Token is "secret", else 401
Elasticsearch: POST [/PREFIX]/_bulk, checked like the real API (NDJSON, action lines with
_index, a document after each). Per document: "bad": true -> item 400
mapper_parsing_exception; "flaky": true -> item 429 the first time its _id is seen, then
stored. With PREFIX "busy" the first request gets a whole-request 429. With PREFIX "auth",
basic auth elastic:changeme is required.
GET /_test/stats -> what was received, as JSON (records, documents per index and id, how
often each id was offered, and any protocol errors found).
"""
import base64
import json
import os
import sys
import uuid
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

state = {
    "http": {"requests": 0, "records": [], "content_types": [], "headers": []},
    "es": {"requests": 0, "docs": {}, "offered": {}, "queries": [], "actions": []},
    "errors": [],
}
seen_flaky = set()
seen_paths = set()
lock = threading.Lock()  # one thread per connection: sinks keep theirs open


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as curl uses it

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            self.get()

    def do_POST(self):
        with lock:
            self.post()

    def get(self):
        if urlsplit(self.path).path == "/_test/stats":
            self.reply(200, state)
        else:
            self.reply(404, {"error": "no such path"})

    def post(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        url = urlsplit(self.path)
        if url.path.endswith("/_bulk"):
            return self.bulk(url, body)
        return self.http(url.path, body)

    def error(self, msg):
        state["errors"].append(msg)
        self.reply(400, {"error": {"type": "parse_exception", "reason": msg}, "status": 400})

    # ---- http sink ----
    def http(self, path, body):
        h = state["http"]
        h["requests"] += 1
        ctype = self.headers.get("Content-Type", "")
        h["content_types"].append(ctype)
        h["headers"].append({k: v for k, v in self.headers.items()})
        try:
            if ctype == "application/x-ndjson":
                if not body.endswith(b"\n"):
                    return self.error("NDJSON body must end with a newline")
                records = [json.loads(line) for line in body.decode().split("\n")[:-1]]
            else:
                records = json.loads(body)
                if not isinstance(records, list):
                    return self.error("expected a JSON array")
        except ValueError as e:
            return self.error(f"not JSON: {e}")
        if path == "/http/flaky" and path not in seen_paths:
            seen_paths.add(path)
            return self.reply(503, b"try again later", "text/plain")
        if path == "/http/bad":
            return self.reply(400, {"error": "field \"v\" must be a number"})
        if path == "/http/auth" and self.headers.get("X-Token") != "secret":
            return self.reply(401, {"error": "no token"})
        h["records"].extend(records)
        self.reply(200, {"ok": True})

    # ---- elasticsearch _bulk ----
    def bulk(self, url, body):
        es = state["es"]
        es["requests"] += 1
        es["queries"].append(url.query)
        prefix = url.path[: -len("/_bulk")].strip("/")
        if self.headers.get("Content-Type") != "application/x-ndjson":
            return self.error("Content-Type must be application/x-ndjson")
        if prefix == "auth":
            want = "Basic " + base64.b64encode(b"elastic:changeme").decode()
            if self.headers.get("Authorization") != want:
                return self.reply(401, {"error": {"type": "security_exception"}, "status": 401})
        if prefix == "busy" and "busy" not in seen_paths:
            seen_paths.add("busy")
            return self.reply(429, {"error": {"type": "es_rejected_execution_exception"},
                                    "status": 429})
        if not body.endswith(b"\n"):
            return self.error("the bulk request must be terminated by a newline [\\n]")
        lines = body.decode().split("\n")[:-1]
        if len(lines) % 2:
            return self.error("an action line without a document")
        items, errors = [], False
        for i in range(0, len(lines), 2):
            try:
                action, doc = json.loads(lines[i]), json.loads(lines[i + 1])
            except ValueError as e:
                return self.error(f"line {i + 1}: not JSON: {e}")
            if not isinstance(action, dict) or len(action) != 1:
                return self.error(f"line {i + 1}: malformed action")
            op, meta = next(iter(action.items()))
            if op not in ("index", "create") or not isinstance(meta, dict):
                return self.error(f"line {i + 1}: unknown action {op}")
            if not isinstance(meta.get("_index"), str) or set(meta) - {"_index", "_id"}:
                return self.error(f"line {i + 1}: bad metadata {meta}")
            if not isinstance(doc, dict):
                return self.error(f"line {i + 2}: the document must be an object")
            es["actions"].append(action)
            index = meta["_index"]
            doc_id = meta.get("_id") or uuid.uuid4().hex
            key = f"{index}/{doc_id}"
            es["offered"][key] = es["offered"].get(key, 0) + 1
            item = {"_index": index, "_id": doc_id}
            if doc.get("bad"):
                item.update(status=400, error={
                    "type": "mapper_parsing_exception",
                    "reason": "failed to parse field [bad] of type [long]",
                    "caused_by": {"type": "illegal_argument_exception",
                                  "reason": "For input string: \"true\""}})
                errors = True
            elif doc.get("flaky") and key not in seen_flaky:
                seen_flaky.add(key)
                item.update(status=429, error={
                    "type": "es_rejected_execution_exception",
                    "reason": "rejected execution of coordinating operation"})
                errors = True
            elif op == "create" and key in es["docs"]:
                item.update(status=409, error={"type": "version_conflict_engine_exception",
                                               "reason": f"[{doc_id}]: document already exists"})
                errors = True
            else:
                item.update(status=200 if key in es["docs"] else 201, result="created")
                es["docs"][key] = doc
            items.append({op: item})
        self.reply(200, {"took": 1, "errors": errors, "items": items})


def main():
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, sys.argv[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
