/* instantiate_bench.c - the per-request cost of running a small module in-process: with one
 * compiled sl_module, repeat sl_store_new + sl_instantiate + a call + sl_store_free and
 * report the mean per iteration. Then the same for a WASI command module (hello.wasm), with
 * a fresh WASI context and linker per iteration and stdout captured in memory.
 *
 * Usage: instantiate_bench [-n ITERATIONS] [HELLO_WASI.wasm] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice.h"
#if __has_include("sluice_wasi.h")
#include "sluice_wasi.h"
#define HAVE_WASI 1
#endif

/* (module (memory (export "memory") 1)
 *         (data (i32.const 0) "hello, world\n")
 *         (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)) */
static const unsigned char hello_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* magic, version */
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, /* type: (i32 i32) -> i32 */
    0x03, 0x02, 0x01, 0x00,                               /* func: 1 of type 0 */
    0x05, 0x03, 0x01, 0x00, 0x01,                         /* memory: min 1 page */
    0x07, 0x10, 0x02,                                     /* export: 2 entries */
    0x06, 'm',  'e',  'm',  'o',  'r',  'y',  0x02, 0x00, /* "memory" memory 0 */
    0x03, 'a',  'd',  'd',  0x00, 0x00,                   /* "add" func 0 */
    0x0a, 0x09, 0x01, 0x07, 0x00,                         /* code: 1 body, no locals */
    0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,                   /* local.get 0 1, i32.add */
    0x0b, 0x13, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x0d,       /* data: active at 0 */
    'h',  'e',  'l',  'l',  'o',  ',',  ' ',  'w',  'o',  'r', 'l', 'd', '\n',
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *what, const sl_error *err) {
    fprintf(stderr, "instantiate_bench: %s failed: %s: %s\n", what, sl_status_name(err->status),
            err->message);
    return 1;
}

static int bench_plain(sl_engine *engine, int iterations) {
    sl_error err = {0};
    sl_module *m = sl_module_new(engine, hello_module, sizeof hello_module, &err);
    if (!m) return fail("sl_module_new(hello)", &err);
    double best = 1e300;
    for (int round = 0; round < 3; round++) {
        double start = now();
        for (int i = 0; i < iterations; i++) {
            sl_store *store = sl_store_new(engine, NULL);
            sl_instance *inst = store ? sl_instantiate(store, m, NULL, &err) : NULL;
            if (!inst) return fail("sl_instantiate", &err);
            sl_val args[2] = {{.type = SL_I32, .of.i32 = i}, {.type = SL_I32, .of.i32 = 1}};
            sl_val res;
            if (sl_call(inst, "add", args, 2, &res, 1, &err) != SL_OK) return fail("add", &err);
            if (res.of.i32 != i + 1) {
                fprintf(stderr, "instantiate_bench: add(%d, 1) returned %d\n", i, res.of.i32);
                return 1;
            }
            sl_store_free(store);
        }
        double per = (now() - start) / iterations;
        if (per < best) best = per;
    }
    printf("instantiate+call (plain module, %zu bytes): %.2f us per iteration (best of 3 x %d)\n",
           sizeof hello_module, best * 1e6, iterations);

    /* The warm alternative: one instance, its snapshot restored before every call. */
    sl_store *store = sl_store_new(engine, NULL);
    sl_instance *inst = store ? sl_instantiate(store, m, NULL, &err) : NULL;
    sl_snapshot *snap = inst ? sl_snapshot_take(inst, &err) : NULL;
    if (!snap) return fail("sl_snapshot_take", &err);
    best = 1e300;
    for (int round = 0; round < 3; round++) {
        double start = now();
        for (int i = 0; i < iterations; i++) {
            if (sl_snapshot_restore(inst, snap, &err) != SL_OK) return fail("restore", &err);
            sl_val args[2] = {{.type = SL_I32, .of.i32 = i}, {.type = SL_I32, .of.i32 = 1}};
            sl_val res;
            if (sl_call(inst, "add", args, 2, &res, 1, &err) != SL_OK) return fail("add", &err);
        }
        double per = (now() - start) / iterations;
        if (per < best) best = per;
    }
    printf("snapshot restore+call (same module, 1-page memory): %.2f us per iteration\n",
           best * 1e6);
    sl_snapshot_free(snap);
    sl_store_free(store);
    sl_module_free(m);
    return 0;
}

#ifdef HAVE_WASI
static int bench_wasi(sl_engine *engine, const char *path, int iterations) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "instantiate_bench: cannot open %s\n", path);
        return 1;
    }
    static unsigned char bytes[4 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    sl_error err = {0};
    sl_module *m = sl_module_new(engine, bytes, len, &err);
    if (!m) return fail("sl_module_new(wasi hello)", &err);
    const char *argv[] = {"hello.wasm"};
    double best = 1e300;
    for (int round = 0; round < 3; round++) {
        double start = now();
        for (int i = 0; i < iterations; i++) {
            sl_wasi_config cfg = {0};
            cfg.argv = argv;
            cfg.argc = 1;
            cfg.stdio[1] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = 1 << 16};
            sl_wasi *wasi = sl_wasi_new(&cfg, &err);
            if (!wasi) return fail("sl_wasi_new", &err);
            sl_linker *linker = sl_linker_new(engine);
            if (!linker || sl_wasi_link(wasi, linker) != SL_OK) {
                fprintf(stderr, "instantiate_bench: sl_wasi_link failed\n");
                return 1;
            }
            sl_store *store = sl_store_new(engine, NULL);
            sl_instance *inst = store ? sl_instantiate(store, m, linker, &err) : NULL;
            if (!inst) return fail("sl_instantiate(wasi)", &err);
            sl_status st = sl_call(inst, "_start", NULL, 0, NULL, 0, &err);
            if (st != SL_OK && !(st == SL_ERR_EXIT && err.exit_code == 0))
                return fail("_start", &err);
            size_t outlen = 0;
            const uint8_t *out = sl_wasi_output(wasi, 1, &outlen);
            if (!out || outlen != 13 || memcmp(out, "hello, world\n", 13) != 0) {
                fprintf(stderr, "instantiate_bench: unexpected WASI output (%zu bytes)\n", outlen);
                return 1;
            }
            sl_store_free(store);
            sl_linker_free(linker);
            sl_wasi_free(wasi);
        }
        double per = (now() - start) / iterations;
        if (per < best) best = per;
    }
    printf("instantiate+_start (WASI hello, %zu bytes, fresh sl_wasi + linker each time): %.2f us "
           "per iteration (best of 3 x %d)\n",
           len, best * 1e6, iterations);
    sl_module_free(m);
    return 0;
}
#endif

int main(int argc, char **argv) {
    int iterations = 20000, i = 1;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        iterations = atoi(argv[2]);
        i = 3;
    }
    if (iterations < 1) iterations = 1;
    sl_engine *engine = sl_engine_new(NULL);
    if (!engine) return 1;
    int rc = bench_plain(engine, iterations);
    if (!rc && i < argc) {
#ifdef HAVE_WASI
        rc = bench_wasi(engine, argv[i], iterations / 4 ? iterations / 4 : 1);
#else
        printf("instantiate+_start (WASI): skipped, sluice_wasi.h not available\n");
#endif
    }
    sl_engine_free(engine);
    return rc;
}
