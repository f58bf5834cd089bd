/*
 * sluice-compile - compiles a module to native code (docs/native.md): `sluice compile FILE.wasm
 * [-o FILE.cwasm] [--explicit-bounds] [-O N]`, also what `sluice run --tier native` runs to fill
 * the cache. A program of its own so that only it links LLVM: `sluice` stays static and starts
 * as fast as before (as sluice-net does for the network commands).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "cli/cwasm.h"
#include "compile/native.h"
#include "vm/module.h"
#include "vm/native_abi.h"

static int usage(void) {
    fputs("usage: sluice compile FILE.wasm [-o FILE.cwasm] [-O 0..3] [--explicit-bounds] [-v]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    int level = 2;
    bool explicit_bounds = false, verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "-O") && i + 1 < argc)
            level = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--explicit-bounds"))
            explicit_bounds = true;
        else if (!strcmp(argv[i], "-v"))
            verbose = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' || in)
            return usage();
        else
            in = argv[i];
    }
    if (!in) return usage();
    char *outbuf = NULL;
    if (!out) { /* FILE.wasm -> FILE.cwasm */
        size_t n = strlen(in);
        outbuf = malloc(n + 7);
        memcpy(outbuf, in, n + 1);
        if (n > 5 && !strcmp(outbuf + n - 5, ".wasm")) outbuf[n - 5] = 0;
        strcat(outbuf, ".cwasm");
        out = outbuf;
    }
    sl_error err = {0};
    size_t len;
    char *bytes = sl_read_file(in, 0, &len, &err);
    if (!bytes) {
        fprintf(stderr, "sluice compile: %s\n", err.message);
        return 1;
    }
    sl_engine_config cfg = {.explicit_bounds_checks = explicit_bounds};
    sl_engine *engine = sl_engine_new(&cfg);
    sl_module *m = engine ? sl_module_new(engine, (const uint8_t *)bytes, len, &err) : NULL;
    if (!m) {
        fprintf(stderr, "sluice compile: %s: %s\n", in, engine ? err.message : "out of memory");
        return 1;
    }
    sl_native_options opt = {.opt_level = level, .explicit_bounds = explicit_bounds, .poll = true};
    sl_native_object obj;
    if (sl_native_compile(m, &opt, &obj, &err) != SL_OK) {
        fprintf(stderr, "sluice compile: %s: %s\n", in, err.message);
        return 1;
    }
    for (uint32_t i = 0; verbose && i < obj.nfuncs; i++)
        if (!obj.compiled[i])
            fprintf(stderr, "function %u: interpreter (%s)\n", i + m->nimported_funcs, obj.why[i]);
    sl_cwasm_header h = {.version = SL_CWASM_VERSION,
                         .abi = SL_NATIVE_ABI,
                         .object_len = obj.len,
                         .flags = explicit_bounds ? SL_CWASM_EXPLICIT_BOUNDS : 0};
    memcpy(h.magic, SL_CWASM_MAGIC, 8);
    strncpy(h.compiler, SL_CWASM_LLVM, sizeof h.compiler);
    char hex[SL_SHA256_HEX_LEN + 1];
    sl_error he = {0};
    if (!sl_sha256_hex((const uint8_t *)bytes, len, hex, &he)) {
        fprintf(stderr, "sluice compile: %s\n", he.message);
        return 1;
    }
    memcpy(h.module_sha, hex, SL_SHA256_HEX_LEN);
    size_t total = sizeof h + obj.len + SL_SHA256_HEX_LEN;
    uint8_t *file = malloc(total);
    memcpy(file, &h, sizeof h);
    memcpy(file + sizeof h, obj.bytes, obj.len);
    if (!sl_sha256_hex(file, sizeof h + obj.len, hex, &he)) {
        fprintf(stderr, "sluice compile: %s\n", he.message);
        return 1;
    }
    memcpy(file + sizeof h + obj.len, hex, SL_SHA256_HEX_LEN);
    if (!sl_write_file_atomic(out, file, total, 0644, &err)) {
        fprintf(stderr, "sluice compile: %s\n", err.message);
        return 1;
    }
    if (verbose)
        fprintf(stderr, "%s: %u of %u functions compiled, %zu bytes of object\n", out,
                obj.ncompiled, obj.nfuncs, obj.len);
    sl_native_object_free(&obj);
    free(file);
    free(bytes);
    free(outbuf);
    sl_module_free(m);
    sl_engine_free(engine);
    return 0;
}
