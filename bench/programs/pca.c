/* pca.c - principal component analysis: the covariance matrix of generated points, then its
 * eigenvalues and eigenvectors by the cyclic Jacobi rotation method. Runs a 2-D case and an
 * n-D case: f64 reductions over long arrays, then many small dense rotations.
 * Usage: pca [POINTS] [DIMS] [REPEAT]   (defaults 50000 48 8) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x853c49e6748fea9bull;
static double uniform(void) { /* [0,1) from a 64-bit LCG's top 53 bits */
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}
/* Roughly normal: sum of 4 uniforms, centred (no libm transcendental functions, so results
 * are bit-identical across C libraries). */
static double gauss(void) {
    return (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.7;
}

/* points: n rows of d columns. cov: d x d. */
static void covariance(const double *pts, int n, int d, double *mean, double *cov) {
    memset(mean, 0, sizeof(double) * (size_t)d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mean[j] += pts[(size_t)i * d + j];
    for (int j = 0; j < d; j++)
        mean[j] /= n;
    memset(cov, 0, sizeof(double) * (size_t)d * (size_t)d);
    double *row = malloc(sizeof(double) * (size_t)d);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            row[j] = pts[(size_t)i * d + j] - mean[j];
        for (int a = 0; a < d; a++) {
            double ra = row[a];
            double *ca = cov + (size_t)a * d;
            for (int b = a; b < d; b++)
                ca[b] += ra * row[b];
        }
    }
    free(row);
    for (int a = 0; a < d; a++)
        for (int b = a; b < d; b++) {
            cov[(size_t)a * d + b] /= (n - 1);
            cov[(size_t)b * d + a] = cov[(size_t)a * d + b];
        }
}

/* Cyclic Jacobi: diagonalises the symmetric d x d matrix `a` in place (eigenvalues end on the
 * diagonal), accumulating the rotations in `v` (eigenvectors in columns). Returns sweeps. */
static int jacobi(double *a, double *v, int d) {
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            v[(size_t)i * d + j] = i == j;
    int sweep;
    for (sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++)
                off += a[(size_t)p * d + q] * a[(size_t)p * d + q];
        if (off < 1e-22) break;
        for (int p = 0; p < d; p++) {
            for (int q = p + 1; q < d; q++) {
                double apq = a[(size_t)p * d + q];
                if (fabs(apq) < 1e-300) continue;
                double app = a[(size_t)p * d + p], aqq = a[(size_t)q * d + q];
                /* Choose the rotation angle that zeroes a[p][q]: t = tan(theta) is the smaller
                 * root of t^2 + 2 t theta - 1 = 0, theta = (aqq - app) / (2 apq). */
                double theta = (aqq - app) / (2 * apq);
                double t = 1 / (fabs(theta) + sqrt(theta * theta + 1));
                if (theta < 0) t = -t;
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < d; k++) { /* columns p, q */
                    double akp = a[(size_t)k * d + p], akq = a[(size_t)k * d + q];
                    a[(size_t)k * d + p] = c * akp - s * akq;
                    a[(size_t)k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) { /* rows p, q */
                    double apk = a[(size_t)p * d + k], aqk = a[(size_t)q * d + k];
                    a[(size_t)p * d + k] = c * apk - s * aqk;
                    a[(size_t)q * d + k] = s * apk + c * aqk;
                }
                a[(size_t)p * d + q] = a[(size_t)q * d + p] = 0;
                for (int k = 0; k < d; k++) {
                    double vkp = v[(size_t)k * d + p], vkq = v[(size_t)k * d + q];
                    v[(size_t)k * d + p] = c * vkp - s * vkq;
                    v[(size_t)k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    return sweep;
}

/* Generates points from a few latent factors plus noise, runs PCA, prints the leading
 * components. */
static void run(int n, int d, int repeat, int verbose) {
    double *pts = malloc(sizeof(double) * (size_t)n * (size_t)d);
    double *mean = malloc(sizeof(double) * (size_t)d);
    double *cov = malloc(sizeof(double) * (size_t)d * (size_t)d);
    double *v = malloc(sizeof(double) * (size_t)d * (size_t)d);
    int nf = d < 3 ? 1 : 3;
    double *load = malloc(sizeof(double) * (size_t)nf * (size_t)d);
    int *order = malloc(sizeof(int) * (size_t)d);
    double check = 0;
    int sweeps = 0;
    for (int r = 0; r < repeat; r++) {
        for (int f = 0; f < nf * d; f++)
            load[f] = uniform() * 2 - 1;
        for (int i = 0; i < n; i++) {
            double z[3];
            for (int f = 0; f < nf; f++)
                z[f] = gauss() * (3.0 - f);
            for (int j = 0; j < d; j++) {
                double x = 0.3 * gauss() + 0.1 * j;
                for (int f = 0; f < nf; f++)
                    x += z[f] * load[(size_t)f * d + j];
                pts[(size_t)i * d + j] = x;
            }
        }
        covariance(pts, n, d, mean, cov);
        double tr = 0;
        for (int j = 0; j < d; j++)
            tr += cov[(size_t)j * d + j];
        sweeps += jacobi(cov, v, d);
        /* Sort eigenvalue indices descending (selection sort; d is small). */
        for (int j = 0; j < d; j++)
            order[j] = j;
        for (int a = 0; a < d; a++)
            for (int b = a + 1; b < d; b++)
                if (cov[(size_t)order[b] * d + order[b]] > cov[(size_t)order[a] * d + order[a]]) {
                    int t = order[a];
                    order[a] = order[b];
                    order[b] = t;
                }
        double top = cov[(size_t)order[0] * d + order[0]];
        /* Sign-normalise the first eigenvector (largest component positive). */
        int big = 0;
        for (int k = 1; k < d; k++)
            if (fabs(v[(size_t)k * d + order[0]]) > fabs(v[(size_t)big * d + order[0]])) big = k;
        double sign = v[(size_t)big * d + order[0]] < 0 ? -1 : 1;
        check += top / tr + sign * v[order[0]];
        if (verbose && r == repeat - 1) {
            printf("pca n=%d d=%d: trace=%.6f explained=%.6f eig:", n, d, tr, top / tr);
            for (int j = 0; j < d && j < 4; j++)
                printf(" %.6f", cov[(size_t)order[j] * d + order[j]]);
            printf(" v1[0..2]:");
            for (int k = 0; k < d && k < 3; k++)
                printf(" %.6f", sign * v[(size_t)k * d + order[0]]);
            printf("\n");
        }
    }
    printf("pca n=%d d=%d repeat=%d: sweeps=%d check=%.9f\n", n, d, repeat, sweeps, check);
    free(pts);
    free(mean);
    free(cov);
    free(v);
    free(load);
    free(order);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 50000;
    int d = argc > 2 ? atoi(argv[2]) : 48;
    int repeat = argc > 3 ? atoi(argv[3]) : 8;
    if (n < 3) n = 3;
    if (d < 2) d = 2;
    run(n, 2, repeat, 1);
    run(n, d, repeat, 1);
    return 0;
}
