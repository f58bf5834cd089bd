/* matmul.c - dense double-precision matrix multiply C = A * B (i-k-j order, plus a blocked
 * transpose-free second pass): f64 multiply-add throughput and memory streaming.
 * Usage: matmul [N]   (default 800) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void multiply(int n, const double *a, const double *b, double *c) {
    memset(c, 0, sizeof(double) * (size_t)n * (size_t)n);
    for (int i = 0; i < n; i++) {
        double *ci = c + (size_t)i * n;
        for (int k = 0; k < n; k++) {
            double aik = a[(size_t)i * n + k];
            const double *bk = b + (size_t)k * n;
            for (int j = 0; j < n; j++)
                ci[j] += aik * bk[j];
        }
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 800;
    if (n < 1) n = 1;
    size_t nn = (size_t)n * (size_t)n;
    double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b);
    double *c = malloc(nn * sizeof *c), *d = malloc(nn * sizeof *d);
    if (!a || !b || !c || !d) return 1;
    uint32_t x = 12345;
    for (size_t i = 0; i < nn; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (double)((x >> 16) % 2001) / 1000.0 - 1.0;
        x = x * 1103515245u + 12345u;
        b[i] = (double)((x >> 16) % 2001) / 1000.0 - 1.0;
    }
    multiply(n, a, b, c); /* C = A B */
    multiply(n, c, a, d); /* D = (A B) A */
    double trace = 0, sum = 0, sumabs = 0;
    for (int i = 0; i < n; i++)
        trace += d[(size_t)i * n + i];
    for (size_t i = 0; i < nn; i++) {
        sum += d[i];
        sumabs += d[i] < 0 ? -d[i] : d[i];
    }
    printf("matmul n=%d: trace=%.6f sum=%.6f sumabs=%.6f c[last]=%.9f\n", n, trace, sum, sumabs,
           c[nn - 1]);
    free(a);
    free(b);
    free(c);
    free(d);
    return 0;
}
