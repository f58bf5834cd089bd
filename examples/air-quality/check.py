"""Checks of the air-quality generator's output, run by examples/air-quality/test.sh.

    check.py shape DATA TRUTH INTERVAL       CSV shape, timestamps, ranges; the truth file's shape
    check.py rate TRUTH P                    anomaly starts per reading outside an anomaly ~ P
    check.py anomalies DATA CLEAN TRUTH      injected anomalies vs the same seed without them
    check.py season DATA PERIOD              the daily cycle is there (PERIOD readings a day)
    check.py tcp EXPECTED RECONNECTS FILE... what TCP receivers got vs the stdout stream

Each prints one line of figures and exits 1 with a message on the first failed check.
"""

import csv
import math
import re
import statistics
import sys
from datetime import datetime, timedelta

DATA_HEADER = "timestamp,temperature,humidity,pressure,gas_resistance,air_quality"
TRUTH_HEADER = "timestamp,anomaly,column,event"
COLUMNS = ["temperature", "humidity", "pressure", "gas_resistance", "air_quality"]
DECIMALS = [2, 2, 2, 1, 1]
RANGES = [(-30, 70), (0, 100), (900, 1100), (1e3, 1e7), (0, 500)]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# Smallest injected magnitude per column (generator.c: spike_range, shift_range); gas in ln.
SPIKE_MIN = {"temperature": 4, "humidity": 10, "pressure": 3, "gas_resistance": 0.5}
# Spikes and dips last 1-3 readings, level shifts 20-120, each kind a third of the anomalies.
MEAN_LENGTH = (2 + 2 + 70) / 3
SHIFT_RANGE = {"temperature": (2, 4), "humidity": (5, 10), "pressure": (2, 4),
               "gas_resistance": (0.25, 0.45)}


def fail(msg):
    print(f"test-airquality: FAIL: {sys.argv[1]}: {msg}")
    sys.exit(1)


def read_rows(path, header):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if header is not None:
        if not rows or ",".join(rows[0]) != header:
            fail(f"{path}: the first line is not the header {header!r}")
        rows = rows[1:]
    return rows


def events(truth):
    """Anomalies in the truth file: event number -> (kind, column, [row indices])."""
    found = {}
    for i, (_, kind, col, ev) in enumerate(truth):
        if ev:
            found.setdefault(int(ev), (kind, col, []))[2].append(i)
    return found


def shape(data_path, truth_path, interval):
    data = read_rows(data_path, DATA_HEADER)
    truth = read_rows(truth_path, TRUTH_HEADER)
    interval = timedelta(seconds=int(interval))
    prev = None
    for n, row in enumerate(data, 2):
        if len(row) != 6:
            fail(f"line {n}: {len(row)} columns: {row}")
        if not STAMP.match(row[0]):
            fail(f"line {n}: bad timestamp {row[0]!r}")
        t = datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%SZ")
        if prev is not None and t - prev != interval:
            fail(f"line {n}: {row[0]} does not follow the previous timestamp by {interval}")
        prev = t
        for value, decimals, (lo, hi), name in zip(row[1:], DECIMALS, RANGES, COLUMNS):
            if not re.fullmatch(r"-?\d+\.\d{%d}" % decimals, value):
                fail(f"line {n}: {name} {value!r} is not a number with {decimals} decimals")
            v = float(value)
            if not (math.isfinite(v) and lo <= v <= hi):
                fail(f"line {n}: {name} {value} is outside [{lo}, {hi}]")
    if len(truth) != len(data):
        fail(f"{len(truth)} truth lines for {len(data)} readings")
    kinds = {"spike": (1, 3), "dip": (1, 3), "level_shift": (20, 120)}
    for n, (row, t) in enumerate(zip(data, truth), 2):
        if len(t) != 4 or t[0] != row[0]:
            fail(f"truth line {n} {t} does not match reading {row[0]}")
        if bool(t[1]) != bool(t[2]) or bool(t[1]) != bool(t[3]):
            fail(f"truth line {n}: kind, column and event must be all empty or all set: {t}")
        if t[1] and (t[1] not in kinds or t[2] not in COLUMNS[:4]):
            fail(f"truth line {n}: unknown anomaly {t}")
    evs = events(truth)
    if sorted(evs) != list(range(1, len(evs) + 1)):
        fail("the events are not numbered 1, 2, 3, ...")
    for ev, (kind, col, rows) in evs.items():
        if rows != list(range(rows[0], rows[0] + len(rows))):
            fail(f"event {ev} is not contiguous")
        if any(truth[i][1] != kind or truth[i][2] != col for i in rows):
            fail(f"event {ev} changes kind or column")
        lo, hi = kinds[kind]
        if not (lo <= len(rows) <= hi) and rows[-1] != len(truth) - 1:
            fail(f"event {ev} ({kind}) lasts {len(rows)} readings, not {lo}-{hi}")
    print(f"test-airquality: shape: {len(data)} readings, {len(evs)} anomalies, timestamps {data[0][0]} .. {prev:%Y-%m-%dT%H:%M:%SZ}")


def rate(truth_path, p):
    truth = read_rows(truth_path, TRUTH_HEADER)
    p = float(p)
    starts = free = 0
    prev = ""
    for _, _, _, ev in truth:
        if ev != prev or not ev:  # outside an anomaly, or the first reading of one
            free += 1
            starts += bool(ev)
        prev = ev
    hazard = starts / free
    overall = starts / len(truth)
    print(f"test-airquality: rate: {starts} anomalies in {len(truth)} readings: {hazard:.5f} per reading outside "
          f"an anomaly, {overall:.5f} per reading (--anomaly-rate {p})")
    if abs(hazard - p) > 0.1 * p:
        fail(f"starts per free reading {hazard:.5f} is not within 10% of {p}")
    # An anomaly lasts MEAN_LENGTH readings on average and no other starts inside it, so the
    # share of all readings that start one is p / (1 + p (MEAN_LENGTH - 1)) (README.md).
    want = p / (1 + p * (MEAN_LENGTH - 1))
    if abs(overall - want) > 0.1 * want:
        fail(f"starts per reading {overall:.5f} is not within 10% of {want:.5f}")


def anomalies(data_path, clean_path, truth_path):
    data = read_rows(data_path, None)
    clean = read_rows(clean_path, None)
    truth = read_rows(truth_path, TRUTH_HEADER)
    if len(data) != len(clean) or len(data) != len(truth):
        fail("the runs differ in length")

    def val(row, col):
        v = float(row[1 + COLUMNS.index(col)])
        return math.log(v) if col == "gas_resistance" else v

    # Outside anomalies the stream is exactly the clean one; inside, only the marked column and
    # the index derived from it differ.
    for i, (row, ref, t) in enumerate(zip(data, clean, truth)):
        if not t[1]:
            if row != ref:
                fail(f"reading {i} ({row[0]}) is not anomalous but differs from the clean run")
            continue
        mark = 1 + COLUMNS.index(t[2])
        changed = [COLUMNS[k - 1] for k in range(1, 6) if row[k] != ref[k]]
        if row[mark] == ref[mark] or not set(changed) <= {t[2], "air_quality"}:
            fail(f"reading {i} ({t[1]} in {t[2]}) changed {changed}")

    anomalous = {i for i, t in enumerate(truth) if t[1]}
    checked = 0
    for ev, (kind, col, rows) in events(truth).items():
        if kind == "level_shift":
            # The same offset over the whole shift, within the documented range.
            offsets = [val(data[i], col) - val(clean[i], col) for i in rows
                       if not (col == "humidity" and float(data[i][2]) in (0.0, 100.0))]
            lo, hi = SHIFT_RANGE[col]
            if offsets and not (lo - 0.02 <= abs(statistics.median(offsets)) <= hi + 0.02):
                fail(f"level shift {ev} in {col}: offset {statistics.median(offsets):.3f}")
            continue
        for i in rows:
            # Far from the local median of the surrounding normal readings, in the right direction.
            window = [val(data[j], col) for j in range(max(0, i - 15), min(len(data), i + 16))
                      if j not in anomalous]
            if len(window) < 5:
                continue
            dev = val(data[i], col) - statistics.median(window)
            if kind == "dip":
                dev = -dev
            if col == "humidity" and float(data[i][2]) in (0.0, 100.0):
                continue  # clamped at the physical limit
            if dev < 0.5 * SPIKE_MIN[col]:
                fail(f"{kind} {ev} in {col} at {data[i][0]}: only {dev:.3f} from the local median")
            checked += 1
    if checked < 20:
        fail(f"only {checked} spike/dip readings were checked")
    print(f"test-airquality: anomalies: {len(anomalous)} anomalous readings match the clean run elsewhere; "
          f"{checked} spike/dip readings are far from their local median")


def season(data_path, period):
    data = read_rows(data_path, None)
    period = int(period)
    by_phase = {}
    for i, row in enumerate(data):
        by_phase.setdefault(i % period * 24 // period, []).append(row)

    def mean(hours, k):
        return statistics.mean(float(r[k]) for h in hours for r in by_phase[h])

    afternoon, night = [13, 14, 15, 16], [1, 2, 3, 4]
    dt = mean(afternoon, 1) - mean(night, 1)
    dh = mean(afternoon, 2) - mean(night, 2)
    print(f"test-airquality: season: afternoon - night: {dt:+.2f} degC, {dh:+.2f} %RH")
    if dt < 5 or dh > -15:
        fail("the daily cycle is missing")


def tcp(expected_path, reconnects, *files):
    with open(expected_path, "rb") as f:
        expected = f.read().split(b"\n")
    if expected[0].decode() != DATA_HEADER or expected[-1] != b"":
        fail("the expected stream is not a headed CSV")
    expected = expected[1:-1]
    got, partial = [], 0
    for path in files:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        if lines[-1]:
            partial += 1  # a line cut short by a dead connection: a receiver drops it
        lines = lines[:-1]
        if not lines or lines[0].decode() != DATA_HEADER:
            fail(f"{path}: the connection did not start with the header")
        got += lines[1:]
    # Every line, in order; a line may come again only right after a reconnection (at most one
    # per reconnection: the line in flight).
    j = dups = 0
    for n, line in enumerate(got):
        if j < len(expected) and line == expected[j]:
            j += 1
        elif j > 0 and line == expected[j - 1]:
            dups += 1
        else:
            want = expected[j].decode() if j < len(expected) else "nothing"
            fail(f"received line {n} is {line.decode()!r}, expected {want!r}")
    print(f"test-airquality: tcp: {len(got)} lines over {len(files)} connections: {j} of {len(expected)} "
          f"expected, {dups} duplicated, {partial} cut short")
    if j != len(expected):
        fail(f"{len(expected) - j} lines lost")
    if dups + partial > int(reconnects):
        fail(f"{dups} duplicates and {partial} partial lines for {reconnects} reconnections")


if __name__ == "__main__":
    {"shape": shape, "rate": rate, "anomalies": anomalies, "season": season,
     "tcp": tcp}[sys.argv[1]](*sys.argv[2:])
