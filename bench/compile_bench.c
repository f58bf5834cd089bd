/* compile_bench.c - decode+validate+compile throughput of libsluice: loads each .wasm file
 * given on the command line and calls sl_module_new (and, for comparison, sl_module_validate)
 * on it repeatedly, reporting MB/s and ms per MB (MB = 10^6 bytes).
 *
 * Usage: compile_bench [-t SECONDS_PER_FILE] FILE.wasm... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned char *load(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Mean seconds per call of sl_module_new (compile=1) or sl_module_validate (compile=0),
 * repeating for at least `budget` seconds and 3 calls. Returns a negative value on error. */
static double measure(sl_engine *engine, const unsigned char *bytes, size_t len, int compile,
                      double budget, sl_error *err) {
    int reps = 0;
    double start = now(), elapsed;
    do {
        if (compile) {
            sl_module *m = sl_module_new(engine, bytes, len, err);
            if (!m) return -1;
            sl_module_free(m);
        } else if (sl_module_validate(engine, bytes, len, err) != SL_OK) {
            return -1;
        }
        reps++;
        elapsed = now() - start;
    } while (elapsed < budget || reps < 3);
    return elapsed / reps;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int main(int argc, char **argv) {
    double budget = 0.25;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        budget = atof(argv[2]);
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: compile_bench [-t SECONDS] FILE.wasm...\n");
        return 2;
    }
    sl_engine *engine = sl_engine_new(NULL);
    if (!engine) {
        fprintf(stderr, "compile_bench: sl_engine_new failed\n");
        return 1;
    }
    printf("%-22s %10s %14s %14s %10s\n", "module", "size KiB", "validate MB/s", "compile MB/s",
           "ms per MB");
    double total_bytes = 0, total_secs = 0;
    int failures = 0;
    for (int i = first; i < argc; i++) {
        size_t len = 0;
        unsigned char *bytes = load(argv[i], &len);
        if (!bytes) {
            fprintf(stderr, "compile_bench: cannot read %s\n", argv[i]);
            failures++;
            continue;
        }
        sl_error err = {0};
        double v = measure(engine, bytes, len, 0, budget / 2, &err);
        double c = v < 0 ? -1 : measure(engine, bytes, len, 1, budget, &err);
        if (c < 0) {
            printf("%-22s %10.1f  ERROR %s: %s\n", base_name(argv[i]), len / 1024.0,
                   sl_status_name(err.status), err.message);
            failures++;
        } else {
            double mb = len / 1e6;
            printf("%-22s %10.1f %14.1f %14.1f %10.2f\n", base_name(argv[i]), len / 1024.0, mb / v,
                   mb / c, c * 1e3 / mb);
            total_bytes += (double)len;
            total_secs += c;
        }
        free(bytes);
    }
    if (total_secs > 0)
        printf("%-22s %10.1f %14s %14.1f %10.2f\n", "all (sum)", total_bytes / 1024.0, "",
               total_bytes / 1e6 / total_secs, total_secs * 1e3 / (total_bytes / 1e6));
    sl_engine_free(engine);
    return failures ? 1 : 0;
}
