/*
 * handler_driver.c - runs a handler module (docs/abi.md) the way the gateway does, for the
 * function tests (tests/functions, tests/anomaly). It reads the
 * request from stdin, instantiates MODULE.wasm (with WASI linked, null stdio, for modules
 * that import it), calls _initialize and sluice_init when exported, then, with -s, passes
 * JSON to sluice_setup (through sluice_alloc, as a request), takes a snapshot, and per
 * request restores it and calls sluice_alloc / copy / sluice_handle. It prints the response
 * bytes on stdout and "status: N" on stderr (a trap is reported as "trap: ..." and status
 * 500, as the gateway answers it). A refused setup prints its message on stdout and
 * "setup status: N" on stderr, and handles no request.
 *
 *     handler_driver [-n COUNT] [-s JSON] MODULE.wasm < request > response
 *
 * With -n the request is handled COUNT times and every response must be the same as the
 * first. Exits 1 on a host-side error (unreadable module, missing export, a response outside
 * memory), else 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"
#include "sluice_wasi.h"

static uint8_t *read_all(FILE *f, size_t *len) {
    size_t cap = 65536, n = 0;
    uint8_t *data = malloc(cap);
    if (!data) return NULL;
    for (;;) {
        if (n == cap) {
            uint8_t *p = realloc(data, cap *= 2);
            if (!p) {
                free(data);
                return NULL;
            }
            data = p;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

typedef struct result {
    int32_t status;
    uint8_t *body; /* malloc'd */
    size_t len;
} result;

/* One call of `entry` (sluice_handle, or sluice_setup) on req, as the ABI makes it.
 * Returns 0, or 1 on a host-side error (message printed). */
static int call_once(sl_store *store, sl_instance *inst, const char *entry, const uint8_t *req,
                     size_t req_len, result *out) {
    sl_error err;
    sl_val arg = {.type = SL_I32, .of.i32 = (int32_t)req_len}, ret[1];
    out->body = NULL;
    out->len = 0;
    sl_status st = sl_call(inst, "sluice_alloc", &arg, 1, ret, 1, &err);
    if (st == SL_ERR_TRAP) goto trap;
    if (st != SL_OK) {
        fprintf(stderr, "handler_driver: sluice_alloc: %s\n", err.message);
        return 1;
    }
    uint32_t ptr = (uint32_t)ret[0].of.i32;
    if (ptr == 0) { /* the module could not allocate: the gateway answers 500 */
        fprintf(stderr, "sluice_alloc(%zu) returned 0\n", req_len);
        out->status = 500;
        return 0;
    }
    sl_memory *mem = NULL;
    sl_extern ext;
    if (sl_instance_export(inst, "memory", &ext) && ext.kind == SL_EXTERN_MEMORY)
        mem = ext.of.memory;
    if (!mem) {
        fprintf(stderr, "handler_driver: the module exports no \"memory\"\n");
        return 1;
    }
    if (!sl_memory_write(mem, ptr, req, req_len)) {
        fprintf(stderr, "handler_driver: sluice_alloc returned %u, outside memory\n", ptr);
        return 1;
    }
    sl_val args[2] = {{.type = SL_I32, .of.i32 = (int32_t)ptr},
                      {.type = SL_I32, .of.i32 = (int32_t)req_len}};
    st = sl_call(inst, entry, args, 2, ret, 1, &err);
    if (st == SL_ERR_TRAP) goto trap;
    if (st != SL_OK) {
        fprintf(stderr, "handler_driver: %s: %s\n", entry, err.message);
        return 1;
    }
    /* sluice_setup's 0 means accepted; sluice_handle's means 200 */
    out->status = ret[0].of.i32 == 0 && strcmp(entry, "sluice_setup") ? 200 : ret[0].of.i32;
    sl_val rp[1], rl[1];
    if ((st = sl_call(inst, "sluice_response_ptr", NULL, 0, rp, 1, &err)) != SL_OK ||
        (st = sl_call(inst, "sluice_response_len", NULL, 0, rl, 1, &err)) != SL_OK) {
        if (st == SL_ERR_TRAP) goto trap;
        fprintf(stderr, "handler_driver: response: %s\n", err.message);
        return 1;
    }
    uint32_t rptr = (uint32_t)rp[0].of.i32, rlen = (uint32_t)rl[0].of.i32;
    out->body = malloc(rlen ? rlen : 1);
    if (!out->body) {
        fprintf(stderr, "handler_driver: out of memory\n");
        return 1;
    }
    if (!sl_memory_read(mem, rptr, out->body, rlen)) {
        fprintf(stderr, "handler_driver: response [%u, +%u) is outside memory\n", rptr, rlen);
        free(out->body);
        out->body = NULL;
        return 1;
    }
    out->len = rlen;
    return 0;
trap:
    fprintf(stderr, "trap: %s\n", err.message);
    out->status = 500;
    (void)store;
    return 0;
}

int main(int argc, char **argv) {
    int count = 1, ai = 1;
    const char *setup = NULL;
    for (; ai + 1 < argc; ai += 2) {
        if (!strcmp(argv[ai], "-n"))
            count = atoi(argv[ai + 1]);
        else if (!strcmp(argv[ai], "-s"))
            setup = argv[ai + 1];
        else
            break;
    }
    if (argc != ai + 1 || count < 1) {
        fprintf(stderr, "usage: handler_driver [-n COUNT] [-s JSON] MODULE.wasm < request\n");
        return 1;
    }
    size_t req_len = 0, wasm_len = 0;
    uint8_t *req = read_all(stdin, &req_len), *wasm = NULL;
    FILE *f = fopen(argv[ai], "rb");
    if (f) {
        wasm = read_all(f, &wasm_len);
        fclose(f);
    }
    if (!req || !wasm) {
        fprintf(stderr, "handler_driver: cannot read %s\n", req ? argv[ai] : "the request");
        free(req);
        free(wasm);
        return 1;
    }
    int rc = 1;
    sl_error err;
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *module = engine ? sl_module_new(engine, wasm, wasm_len, &err) : NULL;
    sl_wasi_config cfg = {0};
    sl_wasi *wasi = module ? sl_wasi_new(&cfg, &err) : NULL;
    sl_linker *linker = wasi ? sl_linker_new(engine) : NULL;
    sl_store *store = linker ? sl_store_new(engine, NULL) : NULL;
    sl_instance *inst = NULL;
    sl_snapshot *snap = NULL;
    result first = {0}, again = {0}, conf = {0};
    if (!store) {
        fprintf(stderr, "handler_driver: %s: %s\n", argv[ai],
                module ? "setup failed" : err.message);
        goto done;
    }
    sl_store_set_timeout(store, 10000);
    sl_wasi_link(wasi, linker);
    if (!(inst = sl_instantiate(store, module, linker, &err))) {
        fprintf(stderr, "handler_driver: instantiate: %s\n", err.message);
        goto done;
    }
    for (const char *const *name = (const char *const[]){"_initialize", "sluice_init", NULL}; *name;
         name++) {
        if (!sl_instance_func(inst, *name)) continue;
        if (sl_call(inst, *name, NULL, 0, NULL, 0, &err) != SL_OK) {
            fprintf(stderr, "handler_driver: %s: %s\n", *name, err.message);
            goto done;
        }
    }
    if (setup) {
        if (!sl_instance_func(inst, "sluice_setup")) {
            fprintf(stderr, "handler_driver: the module exports no sluice_setup\n");
            goto done;
        }
        if (call_once(store, inst, "sluice_setup", (const uint8_t *)setup, strlen(setup), &conf))
            goto done;
        if (conf.status != 0) {
            if (conf.len) fwrite(conf.body, 1, conf.len, stdout);
            fprintf(stderr, "setup status: %d\n", (int)conf.status);
            rc = 0;
            goto done;
        }
    }
    /* As the gateway does: every request starts from the state after initialization. */
    if (!(snap = sl_snapshot_take(inst, &err))) {
        fprintf(stderr, "handler_driver: snapshot: %s\n", err.message);
        goto done;
    }
    if (call_once(store, inst, "sluice_handle", req, req_len, &first)) goto done;
    for (int i = 1; i < count; i++) {
        if (sl_snapshot_restore(inst, snap, &err) != SL_OK) {
            fprintf(stderr, "handler_driver: restore: %s\n", err.message);
            goto done;
        }
        if (call_once(store, inst, "sluice_handle", req, req_len, &again)) goto done;
        bool same = again.status == first.status && again.len == first.len &&
                    (!again.len || !memcmp(again.body, first.body, again.len));
        free(again.body);
        again.body = NULL;
        if (!same) {
            fprintf(stderr, "handler_driver: request %d answered differently\n", i + 1);
            goto done;
        }
    }
    if (first.len) fwrite(first.body, 1, first.len, stdout);
    fprintf(stderr, "status: %d\n", (int)first.status);
    rc = 0;
done:
    free(first.body);
    free(again.body);
    free(conf.body);
    sl_snapshot_free(snap);
    sl_store_free(store);
    sl_linker_free(linker);
    sl_wasi_free(wasi);
    sl_module_free(module);
    sl_engine_free(engine);
    free(req);
    free(wasm);
    return rc;
}
