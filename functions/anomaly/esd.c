/*
 * esd.c - the generalized ESD test on the median and MAD.
 *
 * Done naively, each of up to n/2 rounds computes a median and a MAD of what is left: O(n^2).
 * But the point removed is always the largest or the smallest one left, so with the values
 * sorted once, what is left is a contiguous range [lo, hi) of the sorted array: the median is
 * read off its middle, and the MAD is a selection in two sorted sequences (the distances
 * below the median, increasing downwards, and above it, increasing upwards), found by binary
 * search. Each round is then O(log n) (plus the few ties at an end).
 */
#include "esd.h"

#include <math.h>
#include <stdlib.h>

#include "tdist.h"

typedef struct point {
    double v;
    size_t index; /* in x */
} point;

static int cmp_point(const void *a, const void *b) {
    const point *p = a, *q = b;
    if (p->v != q->v) return p->v < q->v ? -1 : 1;
    return (p->index > q->index) - (p->index < q->index);
}

/* The sorted values of [lo, hi) seen as two sequences of distances from med, both
 * increasing: below[t] = med - a[mid - 1 - t] for t < mid - lo, above[t] = a[mid + t] - med
 * for t < hi - mid (a[mid - 1] <= med <= a[mid]). */
typedef struct split {
    const point *a;
    size_t lo, mid, hi;
    double med;
} split;

static double below(const split *s, size_t t) {
    return s->med - s->a[s->mid - 1 - t].v;
}
static double above(const split *s, size_t t) {
    return s->a[s->mid + t].v - s->med;
}

/* The k-th smallest (from 0) of the union of both distance sequences: the i smallest of
 * "below" and k + 1 - i of "above" make up the k + 1 smallest for exactly the i where
 * neither side's last taken exceeds the other side's first left out. */
static double kth_distance(const split *s, size_t k) {
    size_t nb = s->mid - s->lo, na = s->hi - s->mid;
    size_t lo = k + 1 > na ? k + 1 - na : 0, hi = k + 1 < nb ? k + 1 : nb;
    for (;;) {
        size_t i = lo + (hi - lo) / 2, j = k + 1 - i;
        if (i < nb && j > 0 && above(s, j - 1) > below(s, i))
            lo = i + 1; /* takes too few from below */
        else if (i > 0 && j < na && below(s, i - 1) > above(s, j))
            hi = i - 1; /* takes too many */
        else if (i == 0)
            return above(s, j - 1);
        else if (j == 0)
            return below(s, i - 1);
        else
            return fmax(below(s, i - 1), above(s, j - 1));
    }
}

/* The median and MAD (x 1.4826, R's mad) of the sorted a[lo, hi). */
static void median_mad(const point *a, size_t lo, size_t hi, double *median, double *mad) {
    size_t m = hi - lo, mid = lo + m / 2;
    double med = m % 2 ? a[mid].v : (a[mid - 1].v + a[mid].v) / 2;
    split s = {a, lo, mid, hi, med};
    double dev = kth_distance(&s, (m - 1) / 2);
    if (m % 2 == 0) dev = (dev + kth_distance(&s, m / 2)) / 2;
    *median = med;
    *mad = 1.4826 * dev;
}

/* Among the points equal to the end value a[at] (at = lo or hi - 1), move the earliest in
 * time to a[at], where it is removed: R's S-H-ESD takes the first of tied points. */
static void earliest_to_end(point *a, size_t lo, size_t hi, size_t at) {
    size_t best = at;
    if (at == lo) {
        for (size_t t = lo + 1; t < hi && a[t].v == a[at].v; t++)
            if (a[t].index < a[best].index) best = t;
    } else {
        for (size_t t = at; t-- > lo && a[t].v == a[at].v;)
            if (a[t].index < a[best].index) best = t;
    }
    point tmp = a[at];
    a[at] = a[best];
    a[best] = tmp;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bool esd_median(const double *x, size_t n, double *median) {
    double *c = malloc(n * sizeof *c);
    if (!c) return false;
    for (size_t i = 0; i < n; i++)
        c[i] = x[i];
    qsort(c, n, sizeof *c, cmp_double);
    *median = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return true;
}

long esd_test(const double *x, size_t n, size_t max_outliers, double alpha, esd_direction dir,
              double zero, bool *is_anomaly) {
    for (size_t i = 0; i < n; i++)
        is_anomaly[i] = false;
    if (n < 3) return 0;
    if (max_outliers > n - 2) max_outliers = n - 2;
    if (max_outliers == 0) return 0;
    point *a = malloc(n * sizeof *a);
    size_t *removed = malloc(max_outliers * sizeof *removed);
    if (!a || !removed) {
        free(a);
        free(removed);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (point){x[i], i};
    qsort(a, n, sizeof *a, cmp_point);
    size_t lo = 0, hi = n;
    long found = 0;
    for (size_t i = 1; i <= max_outliers; i++) {
        double med, mad;
        median_mad(a, lo, hi, &med, &mad);
        if (mad <= zero) break; /* what is left is mostly one value: no scale to test with */
        double r_top = (a[hi - 1].v - med) / mad, r_bottom = (med - a[lo].v) / mad;
        bool top = dir == ESD_POS;
        if (dir == ESD_BOTH) {
            if (r_top != r_bottom) {
                top = r_top > r_bottom;
            } else { /* as far from the median on both sides: the earliest of all goes */
                earliest_to_end(a, lo, hi, lo);
                earliest_to_end(a, lo, hi, hi - 1);
                top = a[hi - 1].index < a[lo].index;
            }
        }
        earliest_to_end(a, lo, hi, top ? hi - 1 : lo);
        double r = top ? r_top : r_bottom;
        removed[i - 1] = top ? a[--hi].index : a[lo++].index;
        /* The critical value for the i-th largest of n - i + 1 points: two-sided unless a
         * direction is given. */
        double left = (double)(n - i + 1), df = (double)(n - i - 1);
        double p = dir == ESD_BOTH ? 1 - alpha / (2 * left) : 1 - alpha / left;
        double t = t_quantile(p, df);
        double lambda = t * (double)(n - i) / sqrt((df + t * t) * left);
        if (r > lambda) found = (long)i;
    }
    for (long i = 0; i < found; i++)
        is_anomaly[removed[i]] = true;
    free(a);
    free(removed);
    return found;
}
