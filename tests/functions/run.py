#!/usr/bin/env python3
"""tests/functions/run.py SLUICE DRIVER FNDIR - tests of the example functions (functions/*)
and the C SDK (sdk/c). Every case runs twice: as a WASI command under `SLUICE run`
(FNDIR/NAME.wasm) and as a handler module through DRIVER (FNDIR/NAME.handler.wasm, handled
twice by one instance, which must answer the same both times); both must give the same
answer. PCA results are compared with numpy. Ends with `functions: N passed, N failed`."""
import base64
import csv
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np

SLUICE, DRIVER, FNDIR = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
INTEGRATION = {"echo", "pca"}  # functions whose declared output mode is integration
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond


class Answer:
    def __init__(self, status, body, headers, raw):
        self.status, self.body, self.headers, self.raw = status, body, headers, raw


def decode(fn, status, out, env):
    """Turn what a function printed into an Answer (status, body bytes, headers)."""
    integration = fn in INTEGRATION
    if env and "SLUICE_OUTPUT_MODE=raw" in env:
        integration = False
    if not integration:
        return Answer(status, out, {}, out)
    try:
        doc = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Answer(-1, b"", {}, out)
    body = doc["body"]
    body = base64.b64decode(body) if doc["isBase64Encoded"] else body.encode("utf-8")
    if status is not None and status != doc["statusCode"]:
        return Answer(-2, body, doc["headers"], out)  # the ABI status must match the JSON
    return Answer(doc["statusCode"], body, doc["headers"], out)


def run_command(fn, data, env=None):
    args = [SLUICE, "run"]
    for e in env or []:
        args += ["--env", e]
    p = subprocess.run(args + [os.path.join(FNDIR, fn + ".wasm")], input=data,
                       capture_output=True, timeout=60)
    if p.returncode not in (0, 1):
        return Answer(-3, p.stderr, {}, p.stdout)
    a = decode(fn, None, p.stdout, env)
    if not (fn in INTEGRATION and not env):
        if a.status is None:  # raw output: only the exit code says whether it failed
            a.status = 200 if p.returncode == 0 else 400
    elif p.returncode != 0:
        a.status = -4
    return a


def run_handler(fn, data):
    p = subprocess.run([DRIVER, "-n", "2", os.path.join(FNDIR, fn + ".handler.wasm")],
                       input=data, capture_output=True, timeout=60)
    if p.returncode != 0:
        return Answer(-3, p.stderr, {}, p.stdout)
    last = p.stderr.decode().strip().splitlines()[-1]
    status = int(last.split(": ")[1])
    a = decode(fn, status, p.stdout, None)
    if fn not in INTEGRATION:
        a.status = status
    return a


def run(fn, data, what):
    """Run as both kinds; returns the command's answer (None if the kinds disagree)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    c, h = run_command(fn, data), run_handler(fn, data)
    # Raw output carries no status in a command: compare only success vs failure then.
    same_status = c.status == h.status if fn in INTEGRATION else (c.status < 400) == (h.status < 400)
    if not ok(same_status and c.raw == h.raw, f"{fn}: {what}: command and handler differ: "
              f"{c.status} {c.raw[:200]!r} vs {h.status} {h.raw[:200]!r}"):
        return None
    return h


def event(body="", query=None, headers=None, **extra):
    ev = {"httpMethod": "POST", "path": "/fn", "headers": headers or {},
          "queryStringParameters": query, "pathParameters": None, "body": body,
          "isBase64Encoded": False,
          "requestContext": {"requestId": "req-1", "sourceIp": "127.0.0.1", "stage": "test",
                             "path": "/fn", "httpMethod": "POST"}}
    ev.update(extra)
    return json.dumps(ev)


# ---- hello ---------------------------------------------------------------------------------
a = run("hello", '{"key1":"test value 1","key2":"test value 2"}', "basic")
ok(a and a.status == 200 and a.body == b"Hello! test value 1, test value 2\n", "hello: basic")
a = run("hello", '{"key0":[1,{"x":"}"}],"key2":"b\\"\\\\\\u00e9\\ud83d\\ude00","key1":"a\\n"}',
        "escapes")
ok(a and a.body == 'Hello! a\n, b"\\\u00e9\U0001F600\n'.encode(), f"hello: escapes: {a and a.body}")
for bad in ['', 'nope', '{"key1":"x"', '{"key1":"x","key2":1}', '{"key1":"x"}',
            '{"key1":"\\ud800","key2":"x"}', '{"key1":"x","key2":"y"} trailing',
            '{"key1":"x",,"key2":"y"}', '{"key1":"x","key2":"y\x01"}', '[' * 200]:
    a = run("hello", bad, f"bad input {bad[:20]!r}")
    ok(a and a.status == 400 and b"hello:" in a.body, f"hello: {bad[:20]!r} should give 400")
# `make run`'s script, once: serve on a free port, deploy the examples, call hello and pca.
with socket.socket() as s_:
    s_.bind(("127.0.0.1", 0))
    port = s_.getsockname()[1]
with tempfile.TemporaryDirectory() as data:
    p = subprocess.run(["bash", os.path.join(ROOT, "scripts/run-example.sh")], cwd=ROOT,
                       capture_output=True, timeout=120,
                       env=dict(os.environ, BUILD=os.path.dirname(FNDIR), RUN_ONCE="1",
                                LISTEN=f"127.0.0.1:{port}", DATA=os.path.join(data, "d")))
out = p.stdout.decode(errors="replace")
ok(p.returncode == 0 and "\nHello! test value 1, test value 2\n" in out and
   '"eigenvalues":[' in out and out.count("deployed ") == 5,
   f"scripts/run-example.sh: {p.stdout[-300:]!r} {p.stderr[-300:]!r}")

# ---- echo ----------------------------------------------------------------------------------
ev = event('line 1\nline "2" \\ \u00e9 \u2028 \x01', query={"a": "1"},
           headers={"X-Test": "v"})
a = run("echo", ev, "event")
ok(a and a.status == 200 and a.body == ev.encode() and
   a.headers.get("Content-Type") == "application/json", "echo: returns the event")
ev = event(base64.b64encode(b"hello world").decode(), isBase64Encoded=True,
           query={"view": "parsed", "q": "x y", "e": ""},
           headers={"Content-Type": "text/plain", "X-Two": "1", "x-two": "2", "N": None},
           pathParameters={"id": "42"})
a = run("echo", ev, "parsed")
want = {"method": "POST", "path": "/fn", "requestId": "req-1", "sourceIp": "127.0.0.1",
        "stage": "test", "isBase64Encoded": True,
        "headers": {"Content-Type": "text/plain", "X-Two": "1", "x-two": "2"},
        "query": {"view": "parsed", "q": "x y", "e": ""}, "pathParameters": {"id": "42"},
        "contentType": "text/plain", "body": "hello world"}
got = a and json.loads(a.body)
ok(got == want, f"echo: parsed view: {got}")
# a body that is not UTF-8 comes back base64-encoded
ev = event(base64.b64encode(b"\xff\x00ok").decode(), isBase64Encoded=True, query={"view": "parsed"})
a = run("echo", ev, "binary body")
ok(a and b'"body":"\\u00ff' not in a.body and b"\xff\\u0000ok" in a.body and
   json.loads(a.raw)["isBase64Encoded"] is True, f"echo: binary body: {a and a.raw[:300]}")
for bad in ["not json", '{"httpMethod":1}', '{"headers":[1]}', '{"headers":{"a":1}}',
            '{"body":"x"', '{"body":"x"} x', '{"isBase64Encoded":true,"body":"!!"}',
            '{"isBase64Encoded":"yes"}', '{"x":' + '[' * 100 + ']' * 100 + '}',
            '{"requestContext":{"requestId":7}}', '{"body":"\\x"}', '{"a":01}', '{"a":1.}',
            '{"a":tru}', "", "{", '{"a"}']:
    a = run("echo", bad, f"bad event {bad[:30]!r}")
    ok(a and a.status == 400 and b"malformed event" in a.body, f"echo: {bad[:30]!r} should be 400")
good = event("x", query={"view": "parsed"})
for cut in range(0, len(good) - 1, 7):
    a = run_handler("echo", good[:cut].encode())
    ok(a.status == 400, f"echo: event cut at {cut} should be 400, got {a.status}")
ok(run("echo", '{}', "empty event").status == 200, "echo: {} is a valid (empty) event")

# ---- pca -----------------------------------------------------------------------------------
def pca_check(name, pts):
    data = ",".join(repr(float(v)) for p in pts for v in p)
    a = run("pca", event(data, query={"format": "json"}), name + " (json)")
    if not ok(a and a.status == 200, f"pca: {name}: status {a and a.status} {a and a.body[:200]}"):
        return
    got = json.loads(a.body)
    x = np.array(pts, dtype=float)
    mean, cov = x.mean(axis=0), np.cov(x.T)
    w, v = np.linalg.eigh(cov)  # ascending
    w, v = w[::-1], v[:, ::-1]
    def close(p, q, tol=1e-9):
        return np.allclose(np.array(p, dtype=float), q, rtol=tol, atol=0)
    ok(got["n"] == len(pts), f"pca: {name}: n")
    ok(close(got["mean"], mean), f"pca: {name}: mean {got['mean']} vs {mean}")
    ok(close(got["covariance"], cov), f"pca: {name}: covariance {got['covariance']} vs {cov}")
    # relative to each eigenvalue, or for one that is (nearly) zero, to the largest
    ok(np.allclose(got["eigenvalues"], w, rtol=1e-9, atol=1e-12 * abs(w[0])), f"pca: {name}: eigenvalues {got['eigenvalues']} vs {w}")
    vecs_ok = True
    for k in range(2):
        g, ref = np.array(got["eigenvectors"][k]), v[:, k]
        ref = ref if np.dot(g, ref) >= 0 else -ref
        vecs_ok &= bool(np.allclose(g, ref, rtol=0, atol=1e-9))
    ok(vecs_ok, f"pca: {name}: eigenvectors {got['eigenvectors']} vs {v.T}")
    # the SVG: one point mark each, two eigenvector segments of lengths in ratio sqrt(l1/l2)
    a = run("pca", event(data), name + " (svg)")
    if not ok(a and a.status == 200 and a.headers.get("Content-Type") == "image/svg+xml",
              f"pca: {name}: svg status"):
        return
    svg = ET.fromstring(a.body)
    ns = "{http://www.w3.org/2000/svg}"
    points = [e for e in svg.iter(ns + "circle") if e.get("class") == "point"]
    ok(len(points) == len(pts), f"pca: {name}: {len(points)} point marks")
    ok(len([e for e in svg.iter(ns + "line") if "axis" in (e.get("class") or "")]) == 2,
       f"pca: {name}: axes")
    lines = [e for e in svg.iter(ns + "line") if e.get("class") == "eigenvector"]
    if ok(len(lines) == 2, f"pca: {name}: two eigenvector lines") and w[1] > 1e-6 * w[0]:
        d = [np.array([float(e.get("x2")) - float(e.get("x1")),
                       float(e.get("y2")) - float(e.get("y1"))]) for e in lines]
        n0, n1 = np.linalg.norm(d[0]), np.linalg.norm(d[1])
        ok(abs(n0 / n1 - np.sqrt(w[0] / w[1])) < 0.02 * np.sqrt(w[0] / w[1]),
           f"pca: {name}: eigenvector lengths {n0}, {n1}")
        ok(abs(np.dot(d[0], d[1])) < 0.02 * n0 * n1, f"pca: {name}: eigenvectors not perpendicular")
        # mean at the start, direction of the first eigenvector (y is flipped in SVG)
        ok(abs(abs(np.dot(d[0] / n0, [v[0, 0], -v[1, 0]])) - 1) < 1e-3, f"pca: {name}: direction")


with open(os.path.join(HERE, "iris.csv")) as f:
    iris = [[float(x) for x in r[:4]] for r in list(csv.reader(f))[1:]]
ok(len(iris) == 150, "iris.csv has 150 rows")
pca_check("iris sepal", [r[0:2] for r in iris])
pca_check("iris petal", [r[2:4] for r in iris])
rng = np.random.default_rng(12345)
pca_check("random correlated", (rng.normal(size=(200, 2)) @ [[3, 1], [0.5, 0.7]] + [10, -4]).tolist())
pca_check("random uniform", rng.uniform(-1e3, 1e3, size=(57, 2)).tolist())
pca_check("random 2 points", rng.normal(size=(2, 2)).tolist())
pca_check("random 3 points", rng.normal(size=(3, 2)).tolist())
a = run("pca", event("2,-1,2,-1,2,-1", query={"format": "json"}), "identical points")
ok(a and a.status == 200 and json.loads(a.body)["eigenvalues"] == [0, 0] and
   json.loads(a.body)["eigenvectors"] == [[1, 0], [0, 1]], f"pca: identical points: {a and a.body}")
a = run("pca", event("2,-1,2,-1,2,-1"), "identical points (svg)")
ok(a and a.status == 200 and a.body.count(b'class="point"') == 3, "pca: identical points (svg)")
# leading "format=json" line, with raw input (a command run with SLUICE_INPUT_MODE=raw)
p = subprocess.run([SLUICE, "run", "--env", "SLUICE_INPUT_MODE=raw", "--env",
                    "SLUICE_OUTPUT_MODE=raw", os.path.join(FNDIR, "pca.wasm")],
                   input=b"format=json\n1, 2,\n3,4 , 5,7\n", capture_output=True)
ok(p.returncode == 0 and json.loads(p.stdout)["mean"] == [3, 13 / 3],
   f"pca: raw input with a format=json line: {p.stdout!r}")
for bad, msg in [("", "no points"), ("1,2,3", "odd number"), ("1,2", "at least 2 points"),
                 ("1,x,3,4", "not a finite"), ("1,,3,4", "not a finite"),
                 ("nan,1,2,3", "not a finite"), ("inf,1,2,3", "not a finite"),
                 ("0x10,1,2,3", "not a finite"), ("1e999,1,2,3", "not a finite"),
                 ("1,2,3,4,", "not a finite"), ("1 2,3,4", "expected a comma"),
                 ("1e308,1e308,-1e308,1,2,3", "too large")]:
    a = run("pca", event(bad, query={"format": "json"}), f"bad input {bad!r}")
    ok(a and a.status == 400 and msg in a.body.decode(), f"pca: {bad!r}: {a and a.body}")
a = run("pca", event("1,2,3,4", query={"format": "xml"}), "bad format")
ok(a and a.status == 400, "pca: format=xml should be 400")

# ---- wordcount -----------------------------------------------------------------------------
def wc_reference(data):
    words, cur = [], bytearray()
    for b in data + b" ":
        if chr(b).isascii() and (chr(b).isalnum() or b == ord("'")) or b >= 0x80:
            cur.append(b + 32 if 65 <= b <= 90 else b)
        elif cur:
            words.append(bytes(cur))
            cur = bytearray()
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {"lines": data.count(b"\n"), "words": len(words), "bytes": len(data),
            "unique": len(counts), "top": [[w.decode(), c] for w, c in top]}


texts = ["", "one", "The cat and the hat.\nThe END\n", "don't stop, DON'T stop\n\n\n",
         "caf\u00e9 CAF\u00e9 na\u00efve \u65e5\u672c \u65e5\u672c\n"]
rnd = random.Random(7)
vocab = ["alpha", "beta", "Gamma", "delta", "x", "y2k", "it's"]
texts.append("\n".join(" ".join(rnd.choice(vocab) for _ in range(rnd.randint(0, 12)))
                       for _ in range(2000)))
for t in texts:
    data = t.encode()
    a = run("wordcount", data, f"text {t[:20]!r}")
    ok(a and a.status == 200 and json.loads(a.body) == wc_reference(data),
       f"wordcount: {t[:20]!r}: {a and a.body[:300]}")

# ---- handler modules import nothing (built with -DSLUICE_NO_WASI_IMPORTS) ---------------------
for fn in ["hello", "echo", "pca", "wordcount"]:
    p = subprocess.run([SLUICE, "inspect", os.path.join(FNDIR, fn + ".handler.wasm")],
                       capture_output=True)
    ok(b"\nimports (0):" in p.stdout, f"{fn}.handler.wasm should import nothing")

# ---- the handler driver itself: traps are 500, host-side errors exit 1 ----------------------
WAT = {
    "trap": '(module (memory (export "memory") 1) (func (export "sluice_alloc") (param i32) '
            '(result i32) i32.const 16) (func (export "sluice_handle") (param i32 i32) '
            '(result i32) unreachable) (func (export "sluice_response_ptr") (result i32) '
            'i32.const 0) (func (export "sluice_response_len") (result i32) i32.const 0))',
    "outside": '(module (memory (export "memory") 1) (func (export "sluice_alloc") (param i32) '
               '(result i32) i32.const 16) (func (export "sluice_handle") (param i32 i32) '
               '(result i32) i32.const 0) (func (export "sluice_response_ptr") (result i32) '
               'i32.const 65530) (func (export "sluice_response_len") (result i32) i32.const 100))',
    "noalloc": '(module (memory (export "memory") 1) (func (export "sluice_alloc") (param i32) '
               '(result i32) i32.const 0) (func (export "sluice_handle") (param i32 i32) '
               '(result i32) i32.const 0) (func (export "sluice_response_ptr") (result i32) '
               'i32.const 0) (func (export "sluice_response_len") (result i32) i32.const 0))',
    "nomemory": '(module (func (export "sluice_alloc") (param i32) (result i32) i32.const 16))',
}
tmp = os.path.join(os.path.dirname(DRIVER), "wat")
os.makedirs(tmp, exist_ok=True)
for name, text in WAT.items():
    with open(os.path.join(tmp, name + ".wat"), "w") as f:
        f.write(text)
    subprocess.run(["wat2wasm", os.path.join(tmp, name + ".wat"), "-o",
                    os.path.join(tmp, name + ".wasm")], check=True)
p = subprocess.run([DRIVER, os.path.join(tmp, "trap.wasm")], input=b"x", capture_output=True)
ok(p.returncode == 0 and b"status: 500" in p.stderr and b"trap: unreachable" in p.stderr,
   f"driver: a trap is status 500: {p.stderr!r}")
p = subprocess.run([DRIVER, os.path.join(tmp, "noalloc.wasm")], input=b"x", capture_output=True)
ok(p.returncode == 0 and b"status: 500" in p.stderr, f"driver: sluice_alloc 0 is 500: {p.stderr!r}")
for name in ["outside", "nomemory", "missing"]:
    p = subprocess.run([DRIVER, os.path.join(tmp, name + ".wasm")], input=b"x", capture_output=True)
    ok(p.returncode == 1 and b"handler_driver:" in p.stderr, f"driver: {name}: {p.stderr!r}")

print(f"functions: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
