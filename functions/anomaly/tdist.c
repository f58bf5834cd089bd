/*
 * tdist.c - Student's t distribution through the regularized incomplete beta function:
 *
 *     P(T > t) = I_x(df/2, 1/2) / 2    with x = df / (df + t^2), for t >= 0,
 *
 * with I_x(a, b) evaluated by its continued fraction (Abramowitz & Stegun 26.5.8) and the
 * quantile found by a bracketed, safeguarded Newton iteration on t.
 */
#include "tdist.h"

#include <float.h>
#include <math.h>

/* The Stirling series of log Gamma(z) past its leading terms: sum B_2k / (2k (2k-1) z^(2k-1)),
 * to the z^-7 term (its error is below 1e-21 for z >= 100). */
static double stirling_tail(double z) {
    double r = 1 / z, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)));
}

/* log B(a, 1/2) = log Gamma(a) + log Gamma(1/2) - log Gamma(a + 1/2), the normalization of the
 * t distribution with 2a degrees of freedom. For large a, lgamma(a) - lgamma(a + 1/2) would
 * cancel most of two numbers of size a log a (losing ~1e-11 of the tail probability at
 * df ~ 1e5): there the difference comes from the Stirling series, with its leading terms
 * (a + 1/2 - 1/2) log(a + 1/2) - (a - 1/2) log a - 1/2 folded into 1/2 log a + a log1p(1/(2a))
 * - 1/2. */
static double log_beta_half(double a) {
    const double log_sqrt_pi = 0.57236494292470008707; /* log Gamma(1/2) */
    if (a < 100) return lgamma(a) + log_sqrt_pi - lgamma(a + 0.5);
    double diff = 0.5 * log(a) + (a * log1p(0.5 / a) - 0.5) + stirling_tail(a + 0.5) -
                  stirling_tail(a); /* log Gamma(a + 1/2) - log Gamma(a) */
    return log_sqrt_pi - diff;
}

/* The continued fraction of I_x(a, b), evaluated with the modified Lentz method: x^a (1-x)^b /
 * (a B(a,b)) times it is I_x(a, b). It converges quickly for x < (a+1)/(a+b+2); the caller
 * uses the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise. y is 1 - x, passed separately
 * because the caller knows it more accurately than 1 - x would give. */
static double beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double f = d;
    /* Terms grow with sqrt(max(a, b)) near the mean: ample for df up to ~10^8. */
    for (int m = 1; m <= 20000; m++) {
        /* the even term d_{2m}, then the odd one d_{2m+1} */
        double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1 + num * d;
        c = 1 + num / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        f *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        d = 1 + num * d;
        c = 1 + num / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double step = d * c;
        f *= step;
        if (fabs(step - 1) < 1e-16) break;
    }
    return f;
}

/* I_x(a, b) with y = 1 - x; log_x and log_y their logarithms (again from the caller, who can
 * compute them without cancellation) and log_b = log B(a, b). */
static double inc_beta(double a, double b, double x, double y, double log_x, double log_y,
                       double log_b) {
    if (x <= 0) return 0;
    if (y <= 0) return 1;
    double front = exp(a * log_x + b * log_y - log_b);
    if (x < (a + 1) / (a + b + 2)) return front * beta_cf(a, b, x) / a;
    return 1 - front * beta_cf(b, a, y) / b;
}

double t_sf(double t, double df) {
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return t > 0 ? 0 : 1;
    double t2 = t * t;
    /* x = df/(df+t^2) and y = t^2/(df+t^2) both computed directly: for small t, y would
     * lose its digits as 1 - x, and for large t, x as 1 - y. */
    double x = df / (df + t2), y = t2 / (df + t2);
    double log_x = -log1p(t2 / df), log_y = log(t2) - log(df + t2);
    if (isinf(t2)) x = df / t2, y = 1, log_x = log(df) - log(t2), log_y = 0; /* |t| > ~1e154 */
    double upper = 0.5 * inc_beta(df / 2, 0.5, x, y, log_x, log_y, log_beta_half(df / 2));
    /* upper is P(T > |t|) */
    return t >= 0 ? upper : 1 - upper;
}

/* The density of T at t. */
static double t_pdf(double t, double df) {
    return exp(-log_beta_half(df / 2) - 0.5 * log(df) - (df + 1) / 2 * log1p(t * t / df));
}

double t_quantile(double p, double df) {
    if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
    if (p == 0.5) return 0;
    /* Solve P(T > t) = q for t > 0 in the upper half; the lower half is its mirror. For
     * p > 0.5, 1 - p is exact (Sterbenz), so nothing is lost forming q. */
    double q = p > 0.5 ? 1 - p : p;
    double sign = p > 0.5 ? 1 : -1;
    /* Bracket the root: t_sf is decreasing, and 0.5 at 0 (> q). Doubling reaches even the
     * heavy tails of df ~ 1 (t ~ 1e12 for q ~ 1e-12) in a few dozen steps. */
    double lo = 0, hi = 1;
    while (t_sf(hi, df) > q) {
        lo = hi;
        hi *= 2;
        if (isinf(hi)) return sign * INFINITY;
    }
    /* Newton on f(t) = t_sf(t) - q, whose derivative is -pdf(t). f is convex for t > 0, so
     * from a point left of the root Newton never overshoots; still, every step is checked
     * against the bracket, and falls back to bisection (geometric while the bracket spans
     * orders of magnitude) when it would leave it or when the density underflows. */
    double t = lo > 0 ? lo : hi / 2;
    for (int iter = 0; iter < 400; iter++) {
        double f = t_sf(t, df) - q;
        if (f == 0) return sign * t;
        if (f > 0)
            lo = t;
        else
            hi = t;
        double pdf = t_pdf(t, df), next = pdf > 0 ? t + f / pdf : NAN;
        if (!(next > lo && next < hi))
            next = lo > 0 && hi / lo > 4 ? sqrt(lo * hi) : lo + (hi - lo) / 2;
        if (fabs(next - t) <= 4 * DBL_EPSILON * t || hi - lo <= 4 * DBL_EPSILON * hi) {
            t = next;
            break;
        }
        t = next;
    }
    return sign * t;
}
