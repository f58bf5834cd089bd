/*
 * diff_runner.c - runs one module file in Sluice and prints the transcript of harness.h
 * (the same format as run-node.mjs prints for V8), for tests/fuzz/diff.sh.
 *
 *   diff-runner [-e] module.wasm      -e: explicit bounds checks instead of guard pages
 *
 * Exit status 0 whatever the module does; 2 for usage or I/O errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(buf, cap);
            if (!p) break;
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    bool explicit_checks = false;
    int i = 1;
    if (i < argc && strcmp(argv[i], "-e") == 0) {
        explicit_checks = true;
        i++;
    }
    if (i + 1 != argc) {
        fprintf(stderr, "usage: %s [-e] module.wasm\n", argv[0]);
        return 2;
    }
    size_t len = 0;
    uint8_t *bytes = read_file(argv[i], &len);
    if (!bytes) {
        perror(argv[i]);
        return 2;
    }
    sl_engine *engine =
        sl_engine_new(&(sl_engine_config){.explicit_bounds_checks = explicit_checks});
    if (!engine) {
        free(bytes);
        return 2;
    }
    hx_options opt = {
        .limits = {0}, /* the defaults, close to V8's */
        .fuel = 50 * 1000 * 1000,
        .timeout_ms = 10000,
        .stop_after_inconclusive = true,
    };
    hx_buf out = {0};
    hx_run(engine, bytes, len, &opt, &out);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    hx_buf_free(&out);
    sl_engine_free(engine);
    free(bytes);
    return 0;
}
