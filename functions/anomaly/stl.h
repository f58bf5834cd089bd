/*
 * stl.h - STL, the seasonal-trend decomposition by loess of Cleveland, Cleveland, McRae and
 * Terpenning (1990), with every smoother evaluated at every point (jumps of 1).
 */
#ifndef ANOMALY_STL_H
#define ANOMALY_STL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct stl_params {
    size_t period;       /* observations per cycle, >= 2 */
    size_t seasonal;     /* span of the cycle-subseries loess (odd, >= 3) */
    size_t trend;        /* span of the trend loess (odd, >= 3) */
    size_t low_pass;     /* span of the low-pass loess (odd, >= 3) */
    int seasonal_degree; /* 0 (local constant) or 1 (local line), for each smoother */
    int trend_degree;
    int low_pass_degree;
    int inner; /* passes of the inner loop per outer iteration */
    int outer; /* robustness iterations (0: no robustness weights) */
} stl_params;

/* The parameters S-H-ESD uses for n observations: R's stl(x, s.window = "periodic",
 * robust = TRUE), i.e. a seasonal span of 10n+1 with degree 0, trend span
 * nextodd(ceil(1.5 period / (1 - 1.5 / (10n+1)))) with degree 1, 1 inner and 15 outer
 * iterations; the low-pass span is the smallest odd number above the period (R's for an
 * even period; for an odd one R takes the period itself). */
stl_params stl_periodic_params(size_t n, size_t period);

/* Decompose y[0..n) (n >= 2 periods) into seasonal[0..n) and trend[0..n) (the remainder is
 * y - seasonal - trend). Returns false when out of memory. */
bool stl_decompose(const double *y, size_t n, const stl_params *p, double *seasonal, double *trend);

/* Replace seasonal[0..n) by its mean over each position in the cycle, as R's stl does for
 * s.window = "periodic", which makes the seasonal component exactly periodic. */
void stl_make_periodic(double *seasonal, size_t n, size_t period);

#endif
