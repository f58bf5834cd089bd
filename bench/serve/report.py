#!/usr/bin/env python3
"""bench/serve/report.py RESULTS PARTS CONNS... - the table of bench/serve/run.sh.

RESULTS has one line per wrk run, "label|conns|req/s|p50 ms|p99 ms|errors", in the order
the targets were measured, once per round. Each row of the table is the median of its
rounds (each figure separately), with its req/s as a fraction of nginx's at the same
connection count; then the issue's targets (#5), met or not."""
import statistics
import sys

results, parts, conns = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
FUNCTIONS = ["sluice hello (command)", "sluice hello (handler)", "sluice pca (command)",
             "sluice pca (handler)"]

runs, order = {}, []
for line in open(results):
    label, c, rps, p50, p99, err = line.strip().split("|")
    if label not in order:
        order.append(label)
    runs.setdefault((label, c), []).append((float(rps), float(p50), float(p99), int(err)))
if "sluice" in parts:  # a function that failed its first request was not measured: "-"
    order += [f for f in FUNCTIONS if f not in order]


def med(label, c):
    """(req/s, p50, p99, errors summed over the rounds), or None."""
    r = runs.get((label, c))
    if not r:
        return None
    return tuple(statistics.median(x[k] for x in r) for k in range(3)) + (sum(x[3] for x in r),)


def ratio(label, c):
    m, n = med(label, c), med("nginx", c)
    return m[0] / n[0] if m and n else None


print(f"{'target':<26} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6}")
for label in order:
    for c in conns:
        m, r = med(label, c), ratio(label, c)
        if not m:
            print(f"{label:<26} {c:>5} {'-':>10} {'-':>8} {'-':>8} {'-':>7} {'-':>6}")
        else:
            print(f"{label:<26} {c:>5} {m[0]:>10.0f} {m[1]:>8.3f} {m[2]:>8.3f} {m[3]:>7} {r:>6.2f}")
print("(ratio: req/s over nginx's at the same connection count; errors: non-2xx answers and")
print(" socket errors, summed over the rounds: a row with errors measured failures)")

print("\nbench-serve: the issue's targets")
if "sluice" not in parts:
    print("  (sluice serve not measured)")
    sys.exit(0)


def target(what, label, c, min_ratio, max_p99=None):
    m, r = med(label, c), ratio(label, c)
    if not m or r is None:
        got, verdict = "", "not measured"
    else:
        ok = r >= min_ratio and (max_p99 is None or m[2] < max_p99) and m[3] == 0
        got = f"{100 * r:.1f}% of nginx" + (f", p99 {m[2]:.2f} ms" if max_p99 else "")
        verdict = "met" if ok else "NOT met"
    print(f"  {what:<42} {got:<32} {verdict}")


# handler hello >= 50% of nginx's req/s and p99 < 2 ms at 64 connections; command hello
# >= 25% of nginx's req/s. The ratios are checked at every connection count.
for c in conns:
    target(f"handler hello >= 50% of nginx, {c} conn", "sluice hello (handler)", c, 0.5)
target("handler hello p99 < 2 ms, 64 conn", "sluice hello (handler)", "64", 0, 2.0)
for c in conns:
    target(f"command hello >= 25% of nginx, {c} conn", "sluice hello (command)", c, 0.25)
n = med("nginx", "64")
if n:
    print(f"  (for scale: nginx's own p99 at 64 connections: {n[2]:.2f} ms)")
