/*
 * esd.h - the generalized ESD test (Rosner 1983) with the median and the median absolute
 * deviation in place of the mean and the standard deviation, as Twitter's S-H-ESD uses it.
 */
#ifndef ANOMALY_ESD_H
#define ANOMALY_ESD_H

#include <stdbool.h>
#include <stddef.h>

typedef enum esd_direction { ESD_BOTH, ESD_POS, ESD_NEG } esd_direction;

/* Test x[0..n) for up to max_outliers outliers at significance alpha: for i = 1, 2, ...,
 * remove the point farthest from the median of those left (above it for ESD_POS, below for
 * ESD_NEG; the earliest one on ties), with R_i its distance over their MAD (scaled by 1.4826),
 * and compare R_i with the critical value lambda_i from Student's t; the outliers are the
 * first k points removed, k the largest i with R_i > lambda_i. Stops early when the MAD of
 * what is left is 0, or at most `zero` (the rounding noise of x: R tests for exactly 0, but
 * whether a constant series leaves an exactly constant remainder depends on the last bits
 * of the STL's arithmetic). Sets is_anomaly[0..n) and returns k, or -1 when out of memory.
 * max_outliers is cut to n - 2 (lambda_i has n - i - 1 degrees of freedom). */
long esd_test(const double *x, size_t n, size_t max_outliers, double alpha, esd_direction dir,
              double zero, bool *is_anomaly);

/* The median of x[0..n), n >= 1 (the mean of the middle two for an even n). Returns false
 * when out of memory. */
bool esd_median(const double *x, size_t n, double *median);

#endif
