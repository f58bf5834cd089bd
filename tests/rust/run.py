#!/usr/bin/env python3
"""tests/rust/run.py ROOT BUILD CARGO_TARGET_DIR - the Rust ports of hello, pca and anomaly
(BUILD/functions/rust) against the C functions (BUILD/functions): the same request must get
the same answer, byte for byte, as a command under `sluice run`, as a handler module through
the handler driver, through `sluice serve`, and (anomaly) in a window pipeline, whose SQLite
outputs must be equal. Also the SDK's failure paths with the test guest tests/rust/guests
(a panic is a trap answered 500, errors and refused setups keep their status). Ends with
`rust: N passed, N failed`."""
import csv
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT, BUILD, TARGET = sys.argv[1:4]
BUILD = os.path.join(ROOT, BUILD)
SLUICE = os.path.join(BUILD, "sluice")
DRIVER = os.path.join(BUILD, "tests/functions/handler_driver")
C_DIR = os.path.join(BUILD, "functions")
RS_DIR = os.path.join(BUILD, "functions/rust")
passed = failed = 0
started = time.time()


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond


def command(wasm, data, args=(), env=()):
    cmd = [SLUICE, "run"]
    for e in env:
        cmd += ["--env", e]
    p = subprocess.run(cmd + [wasm] + list(args), input=data, capture_output=True, timeout=60)
    return p.returncode, p.stdout


def handler(wasm, data, setup=None):
    """(status, body) of the handler, handling the request twice from one instance."""
    cmd = [DRIVER, "-n", "2"] + (["-s", setup] if setup is not None else []) + [wasm]
    p = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    for line in err.splitlines():
        if line.startswith(("status: ", "setup status: ")):
            return int(line.split()[-1]), p.stdout
    return -1, err.encode()


def both(name, data, what, args=(), setup=None, env=(), exact_errors=True):
    """Run the C and the Rust function NAME as commands and as handlers; check they agree."""
    data = data.encode() if isinstance(data, str) else data
    c = command(os.path.join(C_DIR, name + ".wasm"), data, args, env)
    r = command(os.path.join(RS_DIR, name + ".wasm"), data, args, env)
    if exact_errors or c[0] == 0:
        ok(c == r, f"{name}: {what}: command: C {c[0]} {c[1][:300]!r}\n  vs Rust {r[0]} {r[1][:300]!r}")
    else:
        ok(c[0] == r[0], f"{name}: {what}: command exit: C {c[0]} vs Rust {r[0]} {r[1][:200]!r}")
    if env:
        return c
    ch = handler(os.path.join(C_DIR, name + ".handler.wasm"), data, setup)
    rh = handler(os.path.join(RS_DIR, name + ".handler.wasm"), data, setup)
    if exact_errors or ch[0] < 400:
        ok(ch == rh, f"{name}: {what}: handler: C {ch[0]} {ch[1][:300]!r}\n  vs Rust {rh[0]} {rh[1][:300]!r}")
    else:
        ok(ch[0] == rh[0], f"{name}: {what}: handler status: C {ch[0]} vs Rust {rh[0]} {rh[1][:200]!r}")
    return c


def event(body, query=None):
    return json.dumps({"httpMethod": "POST", "path": "/fn/pca", "headers": {},
                       "queryStringParameters": query, "pathParameters": None, "body": body,
                       "isBase64Encoded": False})


# ---- hello ---------------------------------------------------------------------------------
for data in ['{"key1":"test value 1","key2":"test value 2"}',
             '{"key0":[1,{"x":"}"}],"key2":"b\\"\\\\\\u00e9\\ud83d\\ude00","key1":"a\\n"}',
             '{"key1":"","key2":"\u65e5\u672c"}', ' {"key2":"2", "key1":"1"} ']:
    c = both("hello", data, f"greeting {data[:30]!r}")
    ok(c[0] == 0 and c[1].startswith(b"Hello! "), f"hello: {data[:30]!r} answered {c}")
# Errors: the same status; the Rust port's messages are serde's, not the C function's.
for bad in ['', 'nope', '{"key1":"x"}', '{"key1":"x","key2":1}', '{"key1":"x","key2":"y"} z',
            '{"key1":"\\ud800","key2":"x"}']:
    both("hello", bad, f"bad input {bad[:20]!r}", exact_errors=False)
# The SDK's argument parsing, as the C SDK's: options are accepted, stray arguments refused.
both("hello", '{"key1":"a","key2":"b"}', "options", ["--verbose", "--x=1"])
both("hello", "{}", "a stray argument", ["stray"], exact_errors=False)
both("hello", "{}", "a malformed option", ["---x"], exact_errors=False)

# ---- pca -----------------------------------------------------------------------------------
with open(os.path.join(ROOT, "tests/functions/iris.csv")) as f:
    iris = [[float(x) for x in r[:4]] for r in list(csv.reader(f))[1:]]
rnd = random.Random(20240607)
point_sets = {
    "iris sepal": [r[0:2] for r in iris],
    "iris petal": [r[2:4] for r in iris],
    "random correlated": [(x * 3 + y + 10, x * 0.5 + y * 0.7 - 4)
                          for x, y in ((rnd.gauss(0, 1), rnd.gauss(0, 1)) for _ in range(200))],
    "random uniform": [(rnd.uniform(-1e3, 1e3), rnd.uniform(-1e3, 1e3)) for _ in range(57)],
    "2 points": [(rnd.gauss(0, 1), rnd.gauss(0, 1)) for _ in range(2)],
    "tiny values": [(rnd.gauss(0, 1) * 1e-7, rnd.gauss(0, 1) * 1e-9) for _ in range(20)],
    "huge values": [(rnd.gauss(0, 1) * 1e150, rnd.gauss(0, 1) * 1e140) for _ in range(20)],
    "identical points": [(2, -1)] * 3,
    "a vertical line": [(1, y) for y in range(10)],
    "exact halves": [(0.125, 0.375), (0.625, -0.875), (1.5, 2.5), (3, 3.125)],
}
for name, pts in point_sets.items():
    data = ",".join(repr(float(v)) for p in pts for v in p)
    for query in ({"format": "json"}, None, {"format": "svg"}):
        c = both("pca", event(data, query), f"{name} {query}")
        ok(b'"statusCode":200' in c[1], f"pca: {name}: C answered {c[1][:200]!r}")
both("pca", event("1, 2,\n3,4 , 5,7"), "spaces and newlines")
both("pca", event("+1.5e1,-2E-1,.5,5.,1e0,2"), "number forms")
both("pca", event("format=json\n1,2,3,4,5,7"), "a format=json line")
both("pca", b"format=json\n1, 2,\n3,4 , 5,7\n", "raw input (SLUICE_INPUT_MODE=raw)",
     env=["SLUICE_INPUT_MODE=raw", "SLUICE_OUTPUT_MODE=raw"])
# Errors, with the C function's messages.
for bad in ["", "1,2,3", "1,2", "1,x,3,4", "1,,3,4", "nan,1,2,3", "inf,1,2,3", "0x10,1,2,3",
            "1e999,1,2,3", "1,2,3,4,", "1 2,3,4", "1e308,1e308,-1e308,1,2,3", "x" * 100 + ",1"]:
    c = both("pca", event(bad, {"format": "json"}), f"bad input {bad[:20]!r}")
    ok(b'"statusCode":400' in c[1], f"pca: {bad[:20]!r} should be 400: {c[1][:200]!r}")
both("pca", event("1,2,3,4", {"format": "xml"}), "unknown format")
for bad in ["not json", '{"body":1}', '{"headers":{"a":1}}', '{"isBase64Encoded":true,"body":"!!"}']:
    c = both("pca", bad, f"malformed event {bad!r}", exact_errors=False)
    ok(c[0] == 0 and b'"statusCode":400' in c[1], f"pca: malformed event {bad!r}: {c}")

# ---- anomaly -------------------------------------------------------------------------------
def seasonal(n, period, amp, noise, level, spikes, seed):
    r = random.Random(seed)
    import math
    y = [level + amp * math.sin(2 * math.pi * t / period) + r.gauss(0, noise) for t in range(n)]
    for i in r.sample(range(2, n - 2), spikes):
        y[i] += r.choice([-1, 1]) * r.uniform(5, 10) * noise * 3
    return y


series = [
    ("hourly, two weeks", seasonal(336, 24, 5, 0.5, 20, 6, 1), {"period": 24}),
    ("seed parameters", seasonal(240, 10, 8, 2, 40, 8, 2), {"period": 10, "alpha": 1.0, "max_anoms": 0.5}),
    ("positive only", seasonal(192, 24, 5, 0.5, 20, 5, 3), {"period": "24", "direction": "pos"}),
    ("negative only", seasonal(192, 24, 5, 0.5, 20, 5, 4), {"period": 24, "direction": "neg", "max-anoms": "0.2"}),
    ("odd period", seasonal(63, 7, 3, 0.3, 10, 2, 5), {"period": 7, "alpha": 0.1}),
    ("exactly two periods", seasonal(24, 12, 3, 0.3, 10, 1, 6), {"period": 12}),
    ("integers with ties", [float(round(v)) for v in seasonal(96, 8, 3, 0.7, 10, 4, 7)], {"period": 8}),
    ("long", seasonal(24 * 42, 24, 10, 1.5, 50, 25, 8), {"period": 24, "max_anoms": 0.05}),
    ("constant and a spike", [5.0] * 17 + [9.0] + [5.0] * 42, {"period": 6}),
]
flagged_total = 0
for name, y, params in series:
    cols = {"timestamp": ["t%04d" % i for i in range(len(y))], "air_quality": y,
            "other": [{"i": i} for i in range(len(y))]}
    data = json.dumps(cols)
    args = []
    for k, v in params.items():
        args += ["--" + k, str(v)]
    c = both("anomaly", data, name, args=args, setup=json.dumps(params))
    doc = json.loads(c[1]) if c[0] == 0 else {}
    flagged_total += sum(1 for f in doc.get("is_anomaly", []) if f)
    ok(list(doc) == ["timestamp", "air_quality", "other", "is_anomaly"], f"anomaly: {name}: columns")
print(f"rust: anomaly: C and Rust flag the same {flagged_total} points on {len(series)} series")
both("anomaly", '{"t":[1.50, 1E2, -0.0, "x",1,2,3,4],"air_quality":[1,2,3,4,5,6,7,50],'
     '"is_anomaly":[0,0,0,0,0,0,0,0]}', "passthrough", ["--period", "2", "--alpha", "0.5"],
     setup='{"period":2,"alpha":0.5}')
for bad in ["not json", "[1]", '{"air_quality": [1, 2', '{"air_quality": [1,2], "t": [1]}',
            '{"air_quality": [1,"7",3]}', '{"air_quality": [null]}', '{"pm25": [1]}',
            '{"air_quality": 5}', '{"air_quality": [1], "air_quality": [2]}',
            json.dumps({"air_quality": list(range(40))})]:
    both("anomaly", bad, f"bad input {bad[:30]!r}", ["--period", "24"], setup='{"period":24}')
for args, setup in ((["--period", "1"], '{"period":1}'), (["--period", "24", "--alpha", "0"], '{"period":24,"alpha":0}'),
                    (["--frobnicate", "1"], '{"frobnicate":1}'), ([], "{}"),
                    (["--period", "24", "--direction", "up"], '{"period":24,"direction":"up"}')):
    both("anomaly", "{}", f"refused parameters {args}", args, setup=setup)

# ---- the SDK's failure paths (tests/rust/guests/trapper), for both wasm targets ------------
for target in ("wasm32-unknown-unknown", "wasm32-wasi"):
    wasm = os.path.join(TARGET, target, "release/trapper.wasm")
    t0 = time.time()
    ok(handler(wasm, b"panic") == (500, b""), f"trapper ({target}): a panic is a trap, 500")
    ok(time.time() - t0 < 10, f"trapper ({target}): the panic took {time.time() - t0:.1f} s")
    ok(handler(wasm, b"error") == (503, b"trapper: unavailable, as asked\n"), f"trapper ({target}): error")
    ok(handler(wasm, b"x\x00\xff", '{"prefix":"p:"}') == (200, b"p:x\x00\xff"), f"trapper ({target}): echo")
    ok(handler(wasm, b"", "") == (200, b""), f"trapper ({target}): empty request, no parameters")
    ok(handler(wasm, b"x", '{"refuse":1}') == (422, b"trapper: refused, as asked\n"),
       f"trapper ({target}): refused setup")
    ok(handler(wasm, b"x", "[1]") == (400, b"setup: the parameters are not a JSON object\n"),
       f"trapper ({target}): setup with an array")
for f in ("hello", "pca", "anomaly"):
    inspect = subprocess.run([SLUICE, "inspect", os.path.join(RS_DIR, f + ".handler.wasm")],
                             capture_output=True).stdout
    ok(b"\nimports (0):" in inspect, f"the Rust {f}.handler.wasm imports nothing")

# ---- through sluice serve ------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, data, timeout=30):
    req = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


with tempfile.TemporaryDirectory() as tmp:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([SLUICE, "serve", "--listen", f"127.0.0.1:{port}", "--data",
                               os.path.join(tmp, "data")], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "serve.log"), "w"))
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        env = dict(os.environ, SLUICE_SERVER=url, SLUICE_DATA=os.path.join(tmp, "data"))
        deploys = []
        for lang, d in (("c", C_DIR), ("rs", RS_DIR)):
            deploys += [(f"{lang}-hello", os.path.join(d, "hello.wasm"), []),
                        (f"{lang}-hello-h", os.path.join(d, "hello.handler.wasm"), ["--kind", "handler"]),
                        (f"{lang}-pca", os.path.join(d, "pca.wasm"), ["--input", "event", "--output", "integration"]),
                        (f"{lang}-pca-h", os.path.join(d, "pca.handler.wasm"),
                         ["--kind", "handler", "--input", "event", "--output", "integration"])]
        deploys.append(("rs-trapper", os.path.join(TARGET, "wasm32-unknown-unknown/release/trapper.wasm"),
                        ["--kind", "handler", "--timeout", "5000"]))
        for name, wasm, opts in deploys:
            p = subprocess.run([SLUICE, "deploy", name, wasm] + opts, env=env, capture_output=True)
            ok(p.returncode == 0, f"deploy {name}: {p.stderr[-300:]!r}")
        cases = [("hello", b'{"key1":"test value 1","key2":"test value 2"}'),
                 ("hello", '{"key1":"caf\u00e9","key2":"\\n"}'.encode()),
                 ("pca?format=json", b"5.1,3.5,4.9,3.0,4.7,3.2,4.6,3.1"),
                 ("pca", b"5.1,3.5,4.9,3.0,4.7,3.2,4.6,3.1"),
                 ("pca?format=json", ",".join(repr(v) for p in iris for v in p[:2]).encode()),
                 ("pca?format=json", b"1,2,3"), ("pca?format=xml", b"1,2,3,4")]
        for path, body in cases:
            fn, _, query = path.partition("?")
            for suffix in ("", "-h"):
                q = "?" + query if query else ""
                c = post(f"{url}/fn/c-{fn}{suffix}{q}", body)
                r = post(f"{url}/fn/rs-{fn}{suffix}{q}", body)
                ok(c == r and c[0] in (200, 400), f"serve: {path}{suffix} {body[:30]!r}: C {c[:2]} {c[2][:200]!r}\n  vs Rust {r[:2]} {r[2][:200]!r}")
        t0 = time.time()
        status = post(f"{url}/fn/rs-trapper", b"panic")[0]
        ok(status == 500 and time.time() - t0 < 5, f"serve: a panicking Rust handler is 500 ({status}, {time.time() - t0:.1f} s)")
        again = post(f"{url}/fn/rs-trapper", b"again")
        ok(again[0] == 200 and again[2] == b"again", f"serve: the handler answers after a trap: {again}")
        ok(post(f"{url}/fn/rs-trapper", b"error")[0] == 503, "serve: an Error's status")
    finally:
        server.terminate()
        server.wait(timeout=10)

    # ---- a window pipeline: the C and the Rust anomaly, the same SQLite rows ---------------
    gen = os.path.join(BUILD, "examples/air-quality-gen")
    src = os.path.join(tmp, "aq.csv")
    if os.path.exists(gen):
        with open(src, "w") as f:
            subprocess.run([gen, "--count", "2400", "--rate", "0", "--interval", "3600", "--seed", "11"],
                           stdout=f, check=True)
        columns = "[timestamp:timestamp, temperature:float, humidity:float, pressure:float, gas_resistance:float, air_quality:float]"
    else:
        with open(src, "w") as f:
            for i, v in enumerate(seasonal(2400, 24, 10, 1.5, 50, 60, 9)):
                f.write(f"2026-01-{1 + i // 24 % 28:02d}T{i % 24:02d}:00:00Z,{v}\n")
        columns = "[timestamp:timestamp, air_quality:float]"
    tables = {}
    for lang, d in (("c", C_DIR), ("rs", RS_DIR)):
        yaml = os.path.join(tmp, f"p-{lang}.yaml")
        with open(yaml, "w") as f:
            f.write(f"""name: aq-{lang}
source: {{type: file, path: {src}}}
parser: {{type: csv, columns: {columns}}}
stages:
  - type: window
    size: 240
    slide: 24
    function:
      module: {os.path.join(d, "anomaly.handler.wasm")}
      params: {{period: 24, alpha: 0.05, max_anoms: 0.1, direction: both}}
sinks: [{{type: sqlite, path: {os.path.join(tmp, lang + ".db")}, table: readings}}]
dead_letter: {{path: {os.path.join(tmp, lang + ".dead.jsonl")}}}
""")
        t0 = time.time()
        p = subprocess.run([SLUICE, "pipeline", "run", yaml, "--quiet"], capture_output=True, timeout=300)
        ok(p.returncode == 0, f"pipeline ({lang}): {p.stderr[-300:]!r}")
        db = sqlite3.connect(os.path.join(tmp, lang + ".db"))
        tables[lang] = db.execute("select * from readings order by timestamp").fetchall()
        print(f"rust: pipeline with the {lang} anomaly: {len(tables[lang])} rows, "
              f"{sum(1 for r in tables[lang] if r[-1])} flagged, {time.time() - t0:.1f} s")
    ok(len(tables["c"]) == 2400 and tables["c"] == tables["rs"],
       f"pipeline: the SQLite rows differ ({len(tables['c'])} vs {len(tables['rs'])} rows)")
    ok(any(r[-1] for r in tables["rs"]), "pipeline: some readings flagged")

print(f"rust: {passed} passed, {failed} failed ({time.time() - started:.1f} s)")
sys.exit(1 if failed else 0)
