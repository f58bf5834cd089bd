"""tests/anomaly/reference.py - S-H-ESD (Twitter's AnomalyDetection) written independently of
functions/anomaly, with numpy, scipy (Student's t quantiles) and statsmodels (STL), to check
the function against.

    shesd(y, period, alpha, max_anoms, direction) -> sorted indices of the anomalies

The STL parameters are spelled out, and must be those of stl_periodic_params in
functions/anomaly/stl.c: R's stl(s.window = "periodic", robust = TRUE), i.e. a seasonal
window of 10 n + 1 with degree 0, trend window nextodd(ceil(1.5 period / (1 - 1.5 / (10 n +
1)))) with degree 1, low-pass window the smallest odd number above the period with degree 1
(statsmodels refuses R's choice, the period itself, for an odd period), all jumps 1, 1 inner
and 15 outer iterations; then, as R does for "periodic", the seasonal component is replaced
by its mean at each position of the cycle."""
import math

import numpy as np
from scipy import stats
from statsmodels.tsa.seasonal import STL


def stl_windows(n, period):
    seasonal = 10 * n + 1
    trend = math.ceil(1.5 * period / (1 - 1.5 / seasonal))
    if trend % 2 == 0:
        trend += 1
    low_pass = period + 1 if period % 2 == 0 else period + 2
    return seasonal, trend, low_pass


def stl(y, period):
    """statsmodels' STL with the parameters above: (seasonal, trend), before the seasonal
    component is made periodic."""
    seasonal, trend, low_pass = stl_windows(len(y), period)
    fit = STL(np.asarray(y, float), period=period, seasonal=seasonal, trend=trend,
              low_pass=low_pass, seasonal_deg=0, trend_deg=1, low_pass_deg=1, robust=True,
              seasonal_jump=1, trend_jump=1, low_pass_jump=1).fit(inner_iter=1, outer_iter=15)
    return np.asarray(fit.seasonal), np.asarray(fit.trend)


def periodic_seasonal(y, period):
    s, _ = stl(y, period)
    out = np.empty_like(s)
    for j in range(period):
        out[j::period] = np.mean(s[j::period])
    return out


def mad(x):
    """R's mad(): 1.4826 times the median absolute deviation from the median."""
    return 1.4826 * np.median(np.abs(x - np.median(x)))


def esd(x, max_outliers, alpha, direction, margins=None, zero=0.0):
    """The generalized ESD test on median and MAD, as detect_anoms() in the R package:
    returns the indices of the anomalies (in the order removed). margins, if a list, gets
    R_i - lambda_i of every round. A MAD <= zero ends the test, as R's == 0 does (shesd
    passes 1e-10 max|y|: R's exact test would depend on the last bits of the STL)."""
    x = np.asarray(x, float)
    n = len(x)
    idx = np.arange(n)
    vals = x.copy()
    removed, found = [], 0
    for i in range(1, max_outliers + 1):
        med = np.median(vals)
        if direction == "pos":
            ares = vals - med
        elif direction == "neg":
            ares = med - vals
        else:
            ares = np.abs(vals - med)
        sigma = mad(vals)
        if sigma <= zero:
            break
        ares = ares / sigma
        r = ares.max()
        k = int(np.flatnonzero(ares == r)[0])  # the first of tied points, as which()[1]
        removed.append(int(idx[k]))
        idx = np.delete(idx, k)
        vals = np.delete(vals, k)
        if direction == "both":
            p = 1 - alpha / (2 * (n - i + 1))
        else:
            p = 1 - alpha / (n - i + 1)
        t = stats.t.ppf(p, n - i - 1)
        lam = t * (n - i) / math.sqrt((n - i - 1 + t ** 2) * (n - i + 1))
        if margins is not None:
            margins.append(r - lam)
        if r > lam:
            found = i
    return removed[:found]


def shesd(y, period, alpha=0.05, max_anoms=0.10, direction="both", margins=None):
    y = np.asarray(y, float)
    n = len(y)
    resid = y - periodic_seasonal(y, period) - np.median(y)
    max_outliers = int(math.floor(n * max_anoms))
    return sorted(esd(resid, min(max_outliers, n - 2), alpha, direction, margins,
                      1e-10 * np.max(np.abs(y))))
