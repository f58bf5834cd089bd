/*
 * tdist.h - Student's t distribution: the quantiles the generalized ESD test needs for its
 * critical values (what R's qt and scipy.stats.t.ppf compute).
 */
#ifndef ANOMALY_TDIST_H
#define ANOMALY_TDIST_H

/* P(T > t) for T ~ Student's t with df > 0 degrees of freedom. */
double t_sf(double t, double df);

/* The quantile: the t with P(T <= t) = p, for 0 < p < 1 and df > 0 (NaN outside). Its tail
 * probability is within ~1e-14 (relative) of the asked one for df up to 1000, ~1e-11 up to
 * df ~ 1e5. */
double t_quantile(double p, double df);

#endif
