/*
 * probe.c - exposes the numerical parts of functions/anomaly to tests/anomaly/run.py, built
 * as a WASI command the same way as the function (so it checks the code as the VM runs it):
 *
 *     probe t < "p df" pairs          prints t_quantile(p, df), one per line
 *     probe stl PERIOD < values       prints "seasonal trend" per point (stl_periodic_params,
 *                                     before the seasonal part is made periodic)
 *     probe esd MAX ALPHA DIR < values   prints the indices esd_test flags (DIR both|pos|neg)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esd.h"
#include "stl.h"
#include "tdist.h"

static double *read_values(size_t *n) {
    size_t cap = 1024;
    double *v = malloc(cap * sizeof *v), d;
    *n = 0;
    while (v && scanf("%lf", &d) == 1) {
        if (*n == cap) {
            double *p = realloc(v, (cap *= 2) * sizeof *v);
            if (!p) break;
            v = p;
        }
        v[(*n)++] = d;
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "t")) {
        double p, df;
        while (scanf("%lf %lf", &p, &df) == 2)
            printf("%.17g\n", t_quantile(p, df));
        return 0;
    }
    size_t n;
    if (argc == 3 && !strcmp(argv[1], "stl")) {
        size_t period = (size_t)atol(argv[2]);
        double *y = read_values(&n);
        double *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t);
        stl_params p = stl_periodic_params(n, period);
        if (!y || !s || !t || period < 2 || n < 2 * period || !stl_decompose(y, n, &p, s, t))
            return 1;
        for (size_t i = 0; i < n; i++)
            printf("%.17g %.17g\n", s[i], t[i]);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "esd")) {
        esd_direction dir = !strcmp(argv[4], "pos")   ? ESD_POS
                            : !strcmp(argv[4], "neg") ? ESD_NEG
                                                      : ESD_BOTH;
        double *x = read_values(&n);
        bool *flags = malloc(n ? n : 1);
        if (!x || !flags || esd_test(x, n, (size_t)atol(argv[2]), atof(argv[3]), dir, 0, flags) < 0)
            return 1;
        for (size_t i = 0; i < n; i++)
            if (flags[i]) printf("%zu\n", i);
        return 0;
    }
    fprintf(stderr, "usage: probe t | probe stl PERIOD | probe esd MAX ALPHA DIR\n");
    return 2;
}
