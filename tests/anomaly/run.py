#!/usr/bin/env python3
"""tests/anomaly/run.py SLUICE DRIVER FNDIR PROBE - tests of functions/anomaly (S-H-ESD) and of
the SDK's configuration hook (sl_fn_setup).

Every series runs twice: as a WASI command under `SLUICE run FNDIR/anomaly.wasm --period ...`
and as a handler module (FNDIR/anomaly.handler.wasm) through DRIVER, configured with
sluice_setup and handling the request twice from a snapshot. Both must flag exactly the
points tests/anomaly/reference.py (numpy, scipy, statsmodels) flags, and pass the other
columns through. PROBE (tests/anomaly/probe.c, a WASI command built from the function's
sources) checks the t quantiles against scipy, the STL against statsmodels and the ESD's
tie-breaking on its own. Ends with `anomaly: N passed, N failed`."""
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

SLUICE, DRIVER, FNDIR, PROBE = sys.argv[1:5]
COMMAND = os.path.join(FNDIR, "anomaly.wasm")
HANDLER = os.path.join(FNDIR, "anomaly.handler.wasm")
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


def run_command(args, data, wasm=COMMAND):
    """(exit code, stdout, stderr) of the command with these arguments."""
    p = subprocess.run([SLUICE, "run", wasm] + args, input=data, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def run_handler(setup, data):
    """(status, body, setup refused): the handler configured with the JSON text `setup`."""
    p = subprocess.run([DRIVER, "-n", "2", "-s", setup, HANDLER], input=data,
                       capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        return -1, err.encode(), False
    for line in err.splitlines():
        if line.startswith("setup status: "):
            return int(line.split()[-1]), p.stdout, True
        if line.startswith("status: "):
            return int(line.split()[-1]), p.stdout, False
    return -2, err.encode(), False


def command_args(params, style):
    """params as command arguments: "--max-anoms 0.1" (style 0) or "--max_anoms=0.1" (1)."""
    out = []
    for k, v in params.items():
        if style == 0:
            out += ["--" + k.replace("_", "-"), str(v)]
        else:
            out.append("--%s=%s" % (k, v))
    return out


def flagged(body):
    doc = json.loads(body)
    return doc, [i for i, f in enumerate(doc["is_anomaly"]) if f is True]


# ---- Series against the reference ----------------------------------------------------------

rng = np.random.default_rng(20240601)


def seasonal_series(n, period, amp=5.0, noise=0.5, level=20.0, slope=0.0):
    t = np.arange(n)
    return level + amp * np.sin(2 * np.pi * t / period) + slope * t + rng.normal(0, noise, n)


def inject(y, count, low, high, sign=0):
    pos = rng.choice(np.arange(2, len(y) - 2), count, replace=False)
    for i in pos:
        s = sign or rng.choice([-1, 1])
        y[i] += s * rng.uniform(low, high)
    return sorted(int(i) for i in pos)


series = []  # (name, columns, params)


def add(name, y, params, extra=None):
    cols = {params.get("value", "air_quality"): [float(v) for v in y]}
    cols["timestamp"] = ["2024-01-01T%05d" % i for i in range(len(y))]
    if extra:
        cols.update(extra)
    series.append((name, cols, params))


y = seasonal_series(24 * 14, 24)
inject(y, 5, 6, 10, +1)
add("spikes", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.1, "direction": "both"})
y = seasonal_series(24 * 14, 24)
inject(y, 5, 6, 10, -1)
add("dips (neg)", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.1, "direction": "neg"})
y = seasonal_series(24 * 10, 24)
y[150:] += 8
inject(y, 3, 5, 8)
add("level shift", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.1})
y = seasonal_series(24 * 12, 24, amp=3, noise=1.0, slope=0.01)
inject(y, 6, 5, 9)
add("trend and noise", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.05})
y = seasonal_series(200, 10, amp=8, noise=2.0, level=40)
inject(y, 6, 10, 20)
add("seed parameters", y, {"period": 10, "alpha": 1.0, "max_anoms": 0.5})
y = seasonal_series(24 * 8, 24)
inject(y, 4, 6, 10)
add("mixed (pos)", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.1, "direction": "pos"})
add("mixed (neg)", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.1, "direction": "neg"})
y = seasonal_series(63, 7, noise=0.3)
inject(y, 2, 4, 6)
add("odd period", y, {"period": 7, "alpha": 0.05, "max_anoms": 0.2})
y = seasonal_series(24, 12, noise=0.3)
y[5] += 6
add("exactly two periods", y, {"period": 12, "alpha": 0.05, "max_anoms": 0.2})
y = np.round(10 + 3 * np.sin(2 * np.pi * np.arange(96) / 8) + rng.integers(-1, 2, 96))
y[[20, 44, 68]] += 6
y[[30, 31]] -= 6
add("integer values, ties", y, {"period": 8, "alpha": 0.05, "max_anoms": 0.1})
y = np.full(60, 5.0)
y[17] = 9
add("constant with one spike", y, {"period": 6, "alpha": 0.05, "max_anoms": 0.1})
y = 30 + 4 * np.sin(2 * np.pi * np.arange(240) / 12) + rng.standard_t(3, 240)
add("heavy-tailed noise", y, {"period": 12, "alpha": 0.05, "max_anoms": 0.2})
y = seasonal_series(24 * 42, 24, noise=1.0, slope=0.002)
inject(y, 20, 5, 10)
add("1008 points", y, {"period": 24, "alpha": 0.05, "max_anoms": 0.1})
y = seasonal_series(120, 12)
inject(y, 3, 6, 9)
add("value column pm25", y, {"period": 12, "alpha": 0.05, "max_anoms": 0.1,
                             "value": "pm25"}, {"air_quality": list(range(120))})

smallest_margin = math.inf
agree = 0
for idx, (name, cols, params) in enumerate(series):
    value = params.get("value", "air_quality")
    margins = []
    want = reference.shesd(cols[value], params["period"], params.get("alpha", 0.05),
                           params.get("max_anoms", 0.10), params.get("direction", "both"),
                           margins)
    smallest_margin = min([smallest_margin] + [abs(m) for m in margins])
    data = json.dumps(cols).encode()
    rc, out, err = run_command(command_args(params, idx % 2), data)
    c_ok = ok(rc == 0, "%s: command exit %d: %s %s" % (name, rc, err, out[:200]))
    if c_ok:
        doc, got = flagged(out)
        c_ok = ok(got == want, "%s: command flags %s, reference %s" % (name, got, want))
        ok(list(doc) == list(cols) + ["is_anomaly"] and all(doc[k] == v for k, v in cols.items()),
           "%s: command output columns" % name)
    setup = json.dumps(params if idx % 2 else {k: str(v) for k, v in params.items()})
    status, body, refused = run_handler(setup, data)
    h_ok = ok(status == 200 and not refused, "%s: handler status %d: %s" % (name, status, body[:200]))
    if h_ok:
        doc, got = flagged(body)
        h_ok = ok(got == want, "%s: handler flags %s, reference %s" % (name, got, want))
        ok(body == out, "%s: handler and command answer the same" % name)
    agree += c_ok and h_ok
    print("  %-26s n=%4d period=%2d %-4s flagged %2d %s" % (
        name, len(cols[value]), params["period"], params.get("direction", "both"), len(want),
        "agree" if c_ok and h_ok else "DIFFER"))
print("anomaly: indices agree with the reference on %d of %d series (closest R_i - lambda_i:"
      " %.2g)" % (agree, len(series), smallest_margin))

# The parameters' spellings and types are equivalent.
name, cols, params = series[4]
data = json.dumps(cols).encode()
base = run_command(["--period", "10", "--alpha", "1.0", "--max-anoms", "0.5"], data)[1]
for args in (["--period=10", "--alpha=1", "--max_anoms=0.5"],
             ["--max-anoms", "0.1", "--period", "10", "--alpha", "1", "--max-anoms", "0.5"]):
    ok(run_command(args, data)[1] == base, "command with %s differs" % args)
for setup in ('{"period":10,"alpha":1,"max-anoms":0.5}', '{"period":"10.0","alpha":"1e0",'
              '"max_anoms":"0.5","direction":"both","value":"air_quality"}'):
    ok(run_handler(setup, data)[1] == base, "handler with %s differs" % setup)

# Raw passthrough: the other columns come back byte for byte; an input is_anomaly is replaced.
raw = ('{ "t" : [1.50, 1E2, -0.0, "x\\u00e9"],\n "air_quality":[1,2,3,4,5,6,7,50],'
       '"nested":[{"a":[1,{}]},null,true,[]],"is_anomaly":[0,0,0,0]}').encode()
rc, out, err = run_command(["--period", "2", "--max-anoms", "0.5", "--alpha", "0.5"],
                           raw.replace(b'[1.50, 1E2, -0.0, "x\\u00e9"]',
                                       b'[1.50, 1E2, -0.0, "x\\u00e9",1,2,3,4]')
                           .replace(b'[{"a":[1,{}]},null,true,[]]',
                                    b'[{"a":[1,{}]},null,true,[],5,6,7,8]')
                           .replace(b'"is_anomaly":[0,0,0,0]', b'"is_anomaly":[0,0,0,0,0,0,0,0]'))
ok(rc == 0 and out.startswith(b'{"t":[1.50, 1E2, -0.0, "x\\u00e9",1,2,3,4],"air_quality":'
                              b'[1,2,3,4,5,6,7,50],"nested":[{"a":[1,{}]},null,true,[],5,6,7,8],'
                              b'"is_anomaly":[') and out.count(b"is_anomaly") == 1,
   "passthrough: %s %s" % (out, err))

# ---- The numerical parts on their own (probe.wasm) ----------------------------------------

pairs = [(p, df) for df in (1, 2, 3, 5, 8, 13, 30, 100, 997, 5000, 20000)
         for p in (0.5000001, 0.6, 0.9, 0.975, 0.995, 0.999, 1 - 1e-5, 1 - 2.5e-6, 1 - 1e-9,
                   1 - 1e-12, 0.3, 1e-6)]
rc, out, err = run_command(["t"], "\n".join("%r %r" % pd for pd in pairs).encode(), PROBE)
got = np.array(out.split(), float) if rc == 0 else np.zeros(len(pairs))
want = np.array([stats.t.ppf(p, df) for p, df in pairs])
rel = np.abs(got - want) / np.abs(want)
# scipy's t.ppf is itself only good to ~1e-9 here (its own t.sf says so), so the tight check
# is that the tail probability of the quantile is the one asked for.
tail = np.array([stats.t.sf(abs(v), df) / min(p, 1 - p) - 1 for v, (p, df) in zip(got, pairs)])
ok(len(got) == len(pairs) and rel.max() < 1e-8 and np.abs(tail).max() < 1e-11,
   "t quantiles: max relative difference from scipy %.3g, tail %.3g" % (rel.max(),
                                                                          np.abs(tail).max()))
print("anomaly: t quantiles: %d checked, max relative difference from scipy.stats.t.ppf %.1e"
      % (len(pairs), rel.max()))

# Agreement to ~1e-13 is usual, but STL's thresholds (a robustness weight drops to 0 beyond
# 0.999 h) can turn last-digit differences between two correct implementations into ~1e-9 on
# some series with a short period, hence the looser bound.
worst = 0.0
for n, period in ((240, 24), (21, 10), (77, 7), (600, 12), (40, 2), (99, 3)):
    y = seasonal_series(n, period, noise=1.0, slope=0.02)
    inject(y, 3, 5, 9)
    rc, out, err = run_command(["stl", str(period)], " ".join(repr(float(v)) for v in y).encode(),
                               PROBE)
    s, t = reference.stl(y, period)
    got = np.array(out.split(), float).reshape(-1, 2) if rc == 0 else np.zeros((n, 2))
    diff = max(np.abs(got[:, 0] - s).max(), np.abs(got[:, 1] - t).max())
    worst = max(worst, diff)
    ok(diff < 1e-8, "STL n=%d period=%d: differs from statsmodels by %.3g" % (n, period, diff))
print("anomaly: STL vs statsmodels: max difference %.1e" % worst)

esd_cases = [
    ([0, 1, -1, 2, -2, 9, -9, 0.5, -0.5, 3, -3, 0.25], 4, 0.5, "both"),  # 9 and -9 tie: 9 first
    ([0, 1, -1, 2, -2, -9, 9, 0.5, -0.5, 3, -3, 0.25], 4, 0.5, "both"),
    ([5, 1, 2, 9, 3, 9, 4, 2, 1, 9, 3, 2, 1, 0], 5, 0.9, "pos"),  # tied maxima: earliest first
    ([5, 1, 2, -9, 3, -9, 4, 2, 1, -9, 3, 2, 1, 0], 5, 0.9, "neg"),
    ([1, 1, 1, 1, 1, 1, 1, 9], 3, 0.5, "both"),  # MAD 0: nothing
    (list(rng.normal(0, 1, 300) * np.repeat([1, 8], 150)), 120, 0.05, "both"),
]
for x, m, alpha, direction in esd_cases:
    rc, out, err = run_command(["esd", str(m), repr(alpha), direction],
                               " ".join(repr(float(v)) for v in x).encode(), PROBE)
    got = sorted(int(v) for v in out.split())
    want = sorted(reference.esd(x, m, alpha, direction))
    ok(rc == 0 and got == want, "ESD %s...: %s, reference %s" % (x[:6], got, want))

# ---- Bad input: 400 with a message --------------------------------------------------------

P24 = ["--period", "24"]
bad = [
    (b"not json", "is not a JSON object of columns"),
    (b"[1, 2, 3]", "is not a JSON object of columns"),
    (b'{"air_quality": [1, 2', "is not a JSON object of columns"),
    (json.dumps({"air_quality": list(range(48)), "timestamp": list(range(47))}).encode(),
     'different lengths ("air_quality" has 48 values, "timestamp" has 47)'),
    (json.dumps({"air_quality": list(range(47)) + ["7"]}).encode(),
     'air_quality[47] is not a finite number: "7"'),
    (json.dumps({"air_quality": [None] + list(range(47))}).encode(),
     "air_quality[0] is not a finite number: null"),
    (b'{"air_quality": [1e999' + b", 1" * 47 + b"]}", "air_quality[0] is not a finite number"),
    (json.dumps({"air_quality": list(range(40))}).encode(),
     "need at least 2 periods of data (2 x 24 = 48 values), got 40"),
    (json.dumps({"pm25": list(range(48))}).encode(), 'no column "air_quality" in the input'),
    (json.dumps({"air_quality": 5}).encode(), 'column "air_quality" is not an array'),
    (b'{"air_quality": [1], "air_quality": [2]}', 'column "air_quality" appears twice'),
]
for data, msg in bad:
    rc, out, err = run_command(P24, data)
    ok(rc == 1 and msg in out.decode(), "command on %r: exit %d, %r" % (data[:40], rc, out))
    status, body, refused = run_handler('{"period": 24}', data)
    ok(status == 400 and msg in body.decode(), "handler on %r: %d %r" % (data[:40], status, body))

# ---- Configuration: the SDK's argument parsing and anomaly's checks ------------------------

data = json.dumps(series[0][1]).encode()
refused = [
    ([], "parameter period (observations per seasonal cycle, e.g. --period 24) is required"),
    (["--period", "24", "--alpha", "0"], "parameter alpha must be a number with 0 < alpha <= 1"),
    (["--period", "24", "--max-anoms", "0.7"], "parameter max-anoms must be a number with 0 <"),
    (["--period", "1"], "parameter period must be an integer from 2 to 1000000, got \"1\""),
    (["--period", "2.5"], "parameter period must be an integer"),
    (["--period", "0x10"], "parameter period must be an integer"),
    (["--period"], "parameter period must be an integer from 2 to 1000000, got true"),
    (["--period", "24", "--direction", "up"], "parameter direction must be both, pos or neg"),
    (["--period", "24", "--frobnicate", "1"], 'unknown parameter "frobnicate"'),
    (["--period", "24", "stray"], 'unexpected argument "stray"'),
    (["--period", "24", "-x"], 'unexpected argument "-x"'),
    (["--", "--period", "24"], 'malformed option "--"'),
    (["---period", "24"], 'malformed option "---period"'),
    (["--=24"], 'malformed option "--=24"'),
]
for args, msg in refused:
    rc, out, err = run_command(args, data)
    ok(rc == 2 and msg in err and out == b"", "command %s: exit %d, %r" % (args, rc, err))
for setup, msg in (('{"period": 24, "alpha": 2}', "parameter alpha must be"),
                   ("{}", "parameter period"), ("", "parameter period"),
                   ('{"period": [24]}', "parameter period must be an integer"),
                   ('{"period": 24, "value": ""}', "parameter value must be a column name"),
                   ("[24]", "setup: the parameters are not a JSON object"),
                   ('{"period": 24', "setup: the parameters are not a JSON object")):
    status, body, was_refused = run_handler(setup, data)
    ok(status == 400 and was_refused and msg in body.decode(),
       "handler setup %s: %d %r" % (setup, status, body))
# A function without sl_fn_setup takes any options, but still no stray arguments.
hello = os.path.join(FNDIR, "hello.wasm")
if os.path.exists(hello):
    rc, out, err = run_command(["--verbose", "--x=1"], b'{"key1":"a","key2":"b"}', hello)
    ok(rc == 0 and out == b"Hello! a, b\n", "hello with options: %d %r %r" % (rc, out, err))
    rc, out, err = run_command(["stray"], b"{}", hello)
    ok(rc == 2 and "unexpected argument" in err, "hello with a stray argument: %d %r" % (rc, err))

# ---- Precision and recall on a series with known anomalies ---------------------------------

n, period = 24 * 28, 24
y = seasonal_series(n, period, amp=10, noise=1.5, level=50, slope=0.002)
truth = set(inject(y, 25, 6, 12))
cols = {"air_quality": [float(v) for v in y], "timestamp": list(range(n))}
params = ["--period", "24", "--alpha", "0.05", "--max-anoms", "0.1"]
rc, out, err = run_command(params, json.dumps(cols).encode())
if ok(rc == 0, "precision series: exit %d %s" % (rc, err)):
    got = set(flagged(out)[1])
    tp = len(got & truth)
    precision = tp / len(got) if got else 0.0
    recall = tp / len(truth)
    ok(sorted(got) == reference.shesd(y, period, 0.05, 0.1, "both"),
       "precision series: differs from the reference")
    print("anomaly: %d injected anomalies (6-12 x noise sd 1.5) in %d points: flagged %d, "
          "precision %.2f, recall %.2f" % (len(truth), n, len(got), precision, recall))
    ok(precision >= 0.5 and recall >= 0.5, "precision/recall sanity check")

print("anomaly: %d passed, %d failed (%.1f s)" % (passed, failed, time.time() - started))
sys.exit(1 if failed else 0)
