/* api_test.c - the WASI embedding API from the host side: in-memory stdin, captured stdout
 * and stderr, the capture limit, and a zeroed config granting nothing. Runs the guest
 * modules run.sh built; argv[1] is their directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"
#include "sluice_wasi.h"

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static uint8_t *load(const char *dir, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    *len = b ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    return b;
}

/* Run `name`'s _start with `cfg`; returns the status and fills *exit_code and *wasi_out
 * (the caller frees it). */
static sl_status run(sl_engine *eng, const char *dir, const char *name, const sl_wasi_config *cfg,
                     int *exit_code, sl_wasi **wasi_out) {
    size_t len;
    uint8_t *bytes = load(dir, name, &len);
    sl_error err = {0};
    *exit_code = -1;
    *wasi_out = NULL;
    if (!bytes) return SL_ERR_ARGUMENT;
    sl_module *m = sl_module_new(eng, bytes, len, &err);
    free(bytes);
    if (!m) return err.status;
    sl_wasi *w = sl_wasi_new(cfg, &err);
    sl_linker *l = sl_linker_new(eng);
    sl_store *s = sl_store_new(eng, NULL);
    sl_status st = SL_ERR_NOMEM;
    if (w && l && s && sl_wasi_link(w, l) == SL_OK) {
        sl_instance *inst = sl_instantiate(s, m, l, &err);
        st = inst ? sl_call(inst, "_start", NULL, 0, NULL, 0, &err) : err.status;
        if (st == SL_ERR_EXIT) *exit_code = err.exit_code;
        if (st == SL_OK) *exit_code = 0;
    }
    sl_store_free(s);
    sl_linker_free(l);
    sl_module_free(m);
    *wasi_out = w;
    return st;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/tests/wasi";
    sl_engine *eng = sl_engine_new(NULL);
    int code;
    sl_wasi *w;

    /* stdin from memory, stdout and stderr captured */
    static const char input[] = "abc\nxyz\n";
    sl_wasi_config cfg = {0};
    cfg.stdio[0] = (sl_wasi_stdio){
        .kind = SL_WASI_STDIO_BUFFER, .data = (const uint8_t *)input, .len = strlen(input)};
    cfg.stdio[1] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = 1 << 20};
    cfg.stdio[2] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER};
    CHECK(run(eng, dir, "stdio", &cfg, &code, &w) == SL_OK && code == 0);
    size_t n;
    const uint8_t *out = sl_wasi_output(w, 1, &n);
    const char want[] = "read 8 bytes\nABC\nXYZ\nraw write\nok\n";
    CHECK(out && n == strlen(want) && !memcmp(out, want, n));
    out = sl_wasi_output(w, 2, &n);
    CHECK(out && n == 20 && !memcmp(out, "this goes to stderr\n", n));
    CHECK(sl_wasi_output(w, 0, &n) == NULL && n == 0);
    sl_wasi_free(w);

    /* the capture limit: writes past it fail, so the guest sees an error */
    static char big[100000];
    memset(big, 'a', sizeof big);
    cfg.stdio[0].data = (const uint8_t *)big;
    cfg.stdio[0].len = sizeof big;
    cfg.stdio[1].max = 1000;
    sl_status st = run(eng, dir, "stdio", &cfg, &code, &w);
    CHECK(st == SL_ERR_EXIT && code == 1);
    out = sl_wasi_output(w, 1, &n);
    CHECK(out && n == 1000);
    sl_wasi_free(w);

    /* nothing granted: no preopens, no env, empty stdin, output discarded */
    sl_wasi_config none = {0};
    CHECK(run(eng, dir, "nofs", &none, &code, &w) == SL_OK && code == 0);
    CHECK(sl_wasi_output(w, 1, &n) == NULL);
    sl_wasi_free(w);

    /* a preopen that does not exist is refused up front */
    sl_error err = {0};
    sl_wasi_preopen bad = {"/nonexistent/dir", "/x"};
    sl_wasi_config badcfg = {.preopens = &bad, .npreopens = 1};
    CHECK(sl_wasi_new(&badcfg, &err) == NULL && err.status == SL_ERR_ARGUMENT);

    sl_engine_free(eng);
    printf("api_test: %s\n", failures ? "FAIL" : "ok");
    return failures != 0;
}
