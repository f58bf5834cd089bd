/*
 * stl.c - STL (Cleveland, Cleveland, McRae and Terpenning, "STL: A Seasonal-Trend
 * Decomposition Procedure Based on Loess", Journal of Official Statistics 6, 1990).
 *
 * Each pass of the inner loop, starting from trend T (0 at first):
 *   1. detrend: D = Y - T;
 *   2. smooth each cycle-subseries of D (the values at one position in the cycle) with loess,
 *      extended by one value at each end, giving C over n + 2 period points;
 *   3. low-pass filter C: moving averages of length period, period and 3, then loess;
 *   4. seasonal S = C - low-pass (C's middle n points);
 *   5. trend T = loess of the deseasonalized Y - S.
 * The outer loop then gives each point a robustness weight from its remainder
 * R = Y - S - T, bisquare(|R| / (6 median |R|)), used by the loess of steps 2 and 5 in the
 * following passes.
 *
 * Loess follows the paper's section 2: tricube neighbourhood weights over the span's nearest
 * points (the neighbourhood distance grows by (span - n) / 2 when the span exceeds the series),
 * a local constant or line, and points of zero total weight left unsmoothed. The small
 * thresholds (weights of exactly 1 within 0.001 of the distance, 0 beyond 0.999) are those of
 * the authors' reference implementation, which the statsmodels STL used to check this one
 * (tests/anomaly/reference.py) follows too.
 */
#include "stl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

stl_params stl_periodic_params(size_t n, size_t period) {
    stl_params p = {0};
    p.period = period;
    p.seasonal = 10 * n + 1;
    p.seasonal_degree = 0;
    double t = ceil(1.5 * (double)period / (1.0 - 1.5 / (double)p.seasonal));
    p.trend = (size_t)t;
    p.trend += p.trend % 2 == 0;
    p.trend_degree = 1;
    p.low_pass = period + 1 + (period % 2 == 1); /* the smallest odd number > period */
    p.low_pass_degree = 1;
    p.inner = 1;
    p.outer = 15;
    return p;
}

/* The loess estimate at abscissa xs from the points (j, y[j-1]) with left <= j <= right, in a
 * series of n points (positions are 1-based, as in the paper, so that an extrapolation to
 * the left is at 0). rw: robustness weights or NULL; w: scratch for n weights. False when
 * the neighbourhood has no weight at all. */
static bool loess_at(const double *y, size_t n, size_t span, int degree, double xs, size_t left,
                     size_t right, const double *rw, double *w, double *out) {
    double h = fmax(xs - (double)left, (double)right - xs);
    if (span > n) h += (double)((span - n) / 2);
    double near = 0.001 * h, far = 0.999 * h, total = 0;
    if (degree == 0) {
        /* A local constant is the weighted mean: one pass, without storing the weights. This
         * is the cost of S-H-ESD, whose seasonal spans cover whole subseries (O(n^2 / period)
         * weights per pass). */
        double s = 0;
        for (size_t j = left; j <= right; j++) {
            double r = fabs((double)j - xs), wj;
            if (r > far) continue;
            if (r <= near) {
                wj = 1;
            } else {
                double u = r / h;
                u = 1 - u * u * u;
                wj = u * u * u;
            }
            if (rw) wj *= rw[j - 1];
            total += wj;
            s += wj * y[j - 1];
        }
        if (total <= 0) return false;
        *out = s / total;
        return true;
    }
    for (size_t j = left; j <= right; j++) {
        double r = fabs((double)j - xs), wj = 0;
        if (r <= far) {
            if (r <= near) {
                wj = 1;
            } else {
                double u = r / h;
                u = 1 - u * u * u;
                wj = u * u * u;
            }
            if (rw) wj *= rw[j - 1];
            total += wj;
        }
        w[j - 1] = wj;
    }
    if (total <= 0) return false;
    for (size_t j = left; j <= right; j++)
        w[j - 1] /= total;
    if (h > 0) {
        /* A local line: fold the weighted least-squares slope into the weights. Skipped when
         * the weighted abscissas barely spread (the slope would be ill-determined). */
        double center = 0, spread = 0;
        for (size_t j = left; j <= right; j++)
            center += w[j - 1] * (double)j;
        for (size_t j = left; j <= right; j++) {
            double d = (double)j - center;
            spread += w[j - 1] * d * d;
        }
        if (sqrt(spread) > 0.001 * (double)(n - 1)) {
            double slope = (xs - center) / spread;
            for (size_t j = left; j <= right; j++)
                w[j - 1] *= slope * ((double)j - center) + 1;
        }
    }
    double s = 0;
    for (size_t j = left; j <= right; j++)
        s += w[j - 1] * y[j - 1];
    *out = s;
    return true;
}

/* Loess of y[0..n) at each of its points into ys[0..n), with the span's nearest neighbours. */
static void loess_series(const double *y, size_t n, size_t span, int degree, const double *rw,
                         double *ys, double *w) {
    if (n < 2) {
        ys[0] = y[0];
        return;
    }
    size_t left = 1, right = span >= n ? n : span, half = (span + 1) / 2;
    for (size_t i = 1; i <= n; i++) {
        /* the window slides once the point is past its middle, until it reaches the end */
        if (span < n && i > half && right != n) left++, right++;
        if (!loess_at(y, n, span, degree, (double)i, left, right, rw, w, &ys[i - 1]))
            ys[i - 1] = y[i - 1];
    }
}

/* A local-constant loess whose neighbourhood is the whole series and much wider than it (the
 * cycle-subseries smoother of S-H-ESD: its span, 10 n + 1, is 10 period times a subseries)
 * has for every point the tricube weight (1 - u^3)^3 = 1 - 3u^3 + 3u^6 - u^9 of
 * u = |j - xs| / h (none is beyond 0.999 h), or 1 close to xs. Expanding (j - xs)^m
 * binomially turns each fit into sums of a_j j^l, l <= 9, over ranges of j, which prefix sums
 * give in O(1): a subseries of k points costs O(k) instead of O(k^2), and STL with it
 * O(n (trend + low_pass)) instead of O(n^2 / period). The expansion cancels much in the
 * higher powers, but they are scaled by u^m <= (k / h)^m, about (1 / (5 period))^m, so what
 * that loses is far below the rounding of the fit itself. */
#define WIDE_POWERS 10 /* j^0 .. j^9 */

typedef struct wide_fit {
    size_t k, span;
    /* prefix moments: p[l * (k + 1) + J] = sum over j <= J of a_j j^l, with a_j = rw_j y_j
     * (pv) and rw_j (pw); rw_j = 1 without robustness weights */
    double *pv, *pw;
} wide_fit;

static void wide_prepare(wide_fit *f, const double *y, const double *rw) {
    size_t k = f->k;
    for (int l = 0; l < WIDE_POWERS; l++)
        f->pv[l * (k + 1)] = f->pw[l * (k + 1)] = 0;
    for (size_t j = 1; j <= k; j++) {
        double r = rw ? rw[j - 1] : 1, a = r * y[j - 1], power = 1;
        for (int l = 0; l < WIDE_POWERS; l++) {
            size_t at = (size_t)l * (k + 1) + j;
            f->pv[at] = f->pv[at - 1] + a * power;
            f->pw[at] = f->pw[at - 1] + r * power;
            power *= (double)j;
        }
    }
}

/* Over j in [lo, hi] (1 <= lo <= hi <= k), the sum of a_j (1 - w_j) = a_j (3u^3 - 3u^6 + u^9)
 * with u = |j - xs| / h; side is +1 when all j > xs, -1 when all j < xs. */
static double wide_far_sum(const double *p, size_t k, size_t lo, size_t hi, double xs, double side,
                           double h) {
    double q[WIDE_POWERS], neg_xs[WIDE_POWERS];
    for (int l = 0; l < WIDE_POWERS; l++)
        q[l] = p[(size_t)l * (k + 1) + hi] - p[(size_t)l * (k + 1) + lo - 1];
    neg_xs[0] = 1;
    for (int e = 1; e < WIDE_POWERS; e++)
        neg_xs[e] = neg_xs[e - 1] * -xs;
    static const int powers[3] = {3, 6, 9};
    static const double coef[3] = {3, -3, 1};
    double total = 0;
    for (int t = 0; t < 3; t++) {
        int m = powers[t];
        /* sum of a_j (j - xs)^m = sum over l of C(m, l) (-xs)^(m-l) sum of a_j j^l */
        double d = 0, binom = 1;
        for (int l = 0; l <= m; l++) {
            d += binom * neg_xs[m - l] * q[l];
            binom = binom * (m - l) / (l + 1);
        }
        if (m % 2) d *= side; /* |j - xs|^m = (side (j - xs))^m */
        total += coef[t] * d / pow(h, m);
    }
    return total;
}

/* The fit at xs (an integer, 0..k+1) over all k points: 1, or 0 when they have no weight, or
 * -1 when some point is beyond 0.999 h (then loess_at must do it). */
static int wide_fit_at(const wide_fit *f, double xs, double *out) {
    size_t k = f->k;
    double reach = fmax(xs - 1, (double)k - xs), h = reach + (double)((f->span - k) / 2);
    if (reach > 0.999 * h) return -1;
    double wv = f->pv[k], ww = f->pw[k]; /* the l = 0 sums over all points */
    if (ww <= 0) return 0;               /* robustness weights are >= 0: all are 0 */
    /* the points within 0.001 h of xs weigh 1; the rest, |j - xs| >= gap, get the tricube */
    long x = (long)xs, gap = (long)floor(0.001 * h) + 1;
    if (x - gap >= 1) {
        size_t hi = (size_t)(x - gap);
        wv -= wide_far_sum(f->pv, k, 1, hi, xs, -1, h);
        ww -= wide_far_sum(f->pw, k, 1, hi, xs, -1, h);
    }
    if (x + gap <= (long)k) {
        size_t lo = (size_t)(x + gap);
        wv -= wide_far_sum(f->pv, k, lo, k, xs, 1, h);
        ww -= wide_far_sum(f->pw, k, lo, k, xs, 1, h);
    }
    *out = wv / ww;
    return 1;
}

typedef struct scratch {
    double *cycle;   /* n + 2 period: the smoothed subseries, one cycle beyond each end */
    double *w;       /* n + 2 period: loess weights */
    double *work;    /* n: detrended, then deseasonalized data */
    double *ma1;     /* n + period + 1, then the low-pass result (n) */
    double *ma2;     /* n + 2 */
    double *ma3;     /* n */
    double *sub;     /* k + 2, for the longest subseries k: values, then their fit */
    double *sub_rw;  /* k */
    double *sub_fit; /* k + 2 */
    double *moments; /* 2 WIDE_POWERS (k + 1): the prefix sums of a wide_fit */
} scratch;

/* Step 2: loess of each cycle-subseries of x, extended by one value at each end. */
static void smooth_subseries(const double *x, size_t n, const stl_params *p, const double *rw,
                             scratch *s) {
    size_t np = p->period, ns = p->seasonal;
    for (size_t j = 0; j < np; j++) {
        size_t k = (n - 1 - j) / np + 1;
        for (size_t m = 0; m < k; m++) {
            s->sub[m] = x[m * np + j];
            if (rw) s->sub_rw[m] = rw[m * np + j];
        }
        const double *srw = rw ? s->sub_rw : NULL;
        double *fit = s->sub_fit;
        size_t right = ns < k ? ns : k, left = k >= ns ? k - ns + 1 : 1;
        if (p->seasonal_degree == 0 && ns > k && k >= 2) {
            wide_fit f = {k, ns, s->moments, s->moments + WIDE_POWERS * (k + 1)};
            wide_prepare(&f, s->sub, srw);
            /* fit[m] at xs = m, 0..k+1: the points first, as the extrapolations at 0 and k + 1
             * fall back on the fits next to them */
            for (size_t i = 0; i < k + 2; i++) {
                size_t m = i < k ? i + 1 : i == k ? 0 : k + 1;
                int r = wide_fit_at(&f, (double)m, &fit[m]);
                if (r < 0) r = loess_at(s->sub, k, ns, 0, (double)m, 1, k, srw, s->w, &fit[m]);
                if (r == 0) fit[m] = m == 0 ? fit[1] : m == k + 1 ? fit[k] : s->sub[m - 1];
            }
        } else {
            loess_series(s->sub, k, ns, p->seasonal_degree, srw, fit + 1, s->w);
            if (!loess_at(s->sub, k, ns, p->seasonal_degree, 0, 1, right, srw, s->w, &fit[0]))
                fit[0] = fit[1];
            if (!loess_at(s->sub, k, ns, p->seasonal_degree, (double)(k + 1), left, k, srw, s->w,
                          &fit[k + 1]))
                fit[k + 1] = fit[k];
        }
        for (size_t m = 0; m < k + 2; m++)
            s->cycle[m * np + j] = fit[m];
    }
}

/* Moving average of length len over x[0..n) into out[0..n-len+1), as a running sum. */
static void moving_average(const double *x, size_t n, size_t len, double *out) {
    double v = 0;
    for (size_t i = 0; i < len; i++)
        v += x[i];
    out[0] = v / (double)len;
    for (size_t j = 1; j + len <= n; j++) {
        v = v - x[j - 1] + x[j + len - 1];
        out[j] = v / (double)len;
    }
}

/* One pass of the inner loop: updates seasonal and trend. */
static void inner_pass(const double *y, size_t n, const stl_params *p, const double *rw,
                       double *seasonal, double *trend, scratch *s) {
    size_t np = p->period;
    for (size_t i = 0; i < n; i++)
        s->work[i] = y[i] - trend[i];
    smooth_subseries(s->work, n, p, rw, s);
    /* Step 3: the three moving averages take n + 2 period points back to n; the low-pass
     * loess has no robustness weights. */
    moving_average(s->cycle, n + 2 * np, np, s->ma1);
    moving_average(s->ma1, n + np + 1, np, s->ma2);
    moving_average(s->ma2, n + 2, 3, s->ma3);
    loess_series(s->ma3, n, p->low_pass, p->low_pass_degree, NULL, s->ma1, s->w);
    for (size_t i = 0; i < n; i++) {
        seasonal[i] = s->cycle[np + i] - s->ma1[i];
        s->work[i] = y[i] - seasonal[i];
    }
    loess_series(s->work, n, p->trend, p->trend_degree, rw, trend, s->w);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Robustness weights from the remainders: bisquare(|r| / h) with h six times their median
 * absolute value (with the reference implementation's thresholds near 0 and h). */
static void robustness_weights(const double *y, size_t n, const double *seasonal,
                               const double *trend, double *rw, double *abs_r) {
    for (size_t i = 0; i < n; i++)
        abs_r[i] = fabs(y[i] - (trend[i] + seasonal[i]));
    qsort(abs_r, n, sizeof *abs_r, cmp_double);
    double h = 3 * (abs_r[n / 2] + abs_r[n - n / 2 - 1]); /* 6 x the median */
    for (size_t i = 0; i < n; i++) {
        double r = fabs(y[i] - (trend[i] + seasonal[i]));
        if (r <= 0.001 * h) {
            rw[i] = 1;
        } else if (r <= 0.999 * h) {
            double u = r / h;
            u = 1 - u * u;
            rw[i] = u * u;
        } else {
            rw[i] = 0;
        }
    }
}

bool stl_decompose(const double *y, size_t n, const stl_params *p, double *seasonal,
                   double *trend) {
    size_t np = p->period, k = (n + np - 1) / np;
    size_t total = 2 * (n + 2 * np) + n + (n + np + 1) + (n + 2) + n + (k + 2) + k + (k + 2) +
                   2 * WIDE_POWERS * (k + 1) + n /* rw */ + n /* |remainders| */;
    double *mem = malloc(total * sizeof *mem);
    if (!mem) return false;
    double *q = mem;
    scratch s;
    s.cycle = q, q += n + 2 * np;
    s.w = q, q += n + 2 * np;
    s.work = q, q += n;
    s.ma1 = q, q += n + np + 1;
    s.ma2 = q, q += n + 2;
    s.ma3 = q, q += n;
    s.sub = q, q += k + 2;
    s.sub_rw = q, q += k;
    s.sub_fit = q, q += k + 2;
    s.moments = q, q += 2 * WIDE_POWERS * (k + 1);
    double *rw = q, *abs_r = q + n;
    memset(trend, 0, n * sizeof *trend);
    for (int outer = 0;; outer++) {
        for (int i = 0; i < p->inner; i++)
            inner_pass(y, n, p, outer ? rw : NULL, seasonal, trend, &s);
        if (outer == p->outer) break;
        robustness_weights(y, n, seasonal, trend, rw, abs_r);
    }
    free(mem);
    return true;
}

void stl_make_periodic(double *seasonal, size_t n, size_t period) {
    for (size_t j = 0; j < period && j < n; j++) {
        double sum = 0;
        size_t count = 0;
        for (size_t i = j; i < n; i += period)
            sum += seasonal[i], count++;
        double mean = sum / (double)count;
        for (size_t i = j; i < n; i += period)
            seasonal[i] = mean;
    }
}
