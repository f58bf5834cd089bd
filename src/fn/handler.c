/* handler.c - a warm handler instance: snapshot once, restore and call per request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn/handler.h"
#include "sluice_wasi.h"

#include "base/error.h"

struct sl_warm {
    sl_invoke_config cfg;
    bool keep_state, dirty;
    sl_wasi *wasi;
    sl_linker *linker;
    sl_store *store;
    sl_instance *inst;
    sl_snapshot *snap;
    sl_func *alloc, *handle, *resp_ptr, *resp_len;
};

/* The export `name` if it is a function of type `sig` (see sl_functype_parse). */
static sl_func *export_of_type(sl_instance *inst, const char *name, const char *sig) {
    sl_func *f = sl_instance_func(inst, name);
    if (!f) return NULL;
    sl_functype *want = sl_functype_parse(sig);
    const sl_functype *have = sl_func_type(f);
    bool ok = want && want->nparams == have->nparams && want->nresults == have->nresults &&
              memcmp(want->types, have->types, want->nparams + want->nresults) == 0;
    sl_functype_free(want);
    return ok ? f : NULL;
}

void sl_warm_free(sl_warm *w) {
    if (!w) return;
    sl_snapshot_free(w->snap);
    sl_store_free(w->store);
    sl_linker_free(w->linker);
    sl_wasi_free(w->wasi);
    free(w);
}

static sl_status call_i32(sl_warm *w, sl_func *f, const sl_val *args, uint32_t n, uint32_t *out,
                          sl_error *err);

/* Passes the parameters to sluice_setup(ptr, len) -> status; a non-zero status is an error
 * whose message is the function's response. */
static bool setup(sl_warm *w, const char *json, sl_error *err) {
    sl_func *f = export_of_type(w->inst, "sluice_setup", "ii:i");
    if (!f) {
        sl_errorf(err, SL_ERR_LINK,
                  "the function takes no parameters: it does not export sluice_setup "
                  "(i32, i32) -> i32 (docs/abi.md)");
        return false;
    }
    size_t len = strlen(json);
    sl_val a1 = {.type = SL_I32, .of.i32 = (int32_t)len};
    uint32_t ptr = 0, status = 0, rptr = 0, rlen = 0;
    sl_memory *mem = sl_instance_memory(w->inst, 0);
    if (call_i32(w, w->alloc, &a1, 1, &ptr, err) != SL_OK) return false;
    if (!ptr || !sl_memory_write(mem, ptr, json, len)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "the function has no room for its parameters");
        return false;
    }
    sl_val a2[2] = {{.type = SL_I32, .of.i32 = (int32_t)ptr}, a1};
    if (call_i32(w, f, a2, 2, &status, err) != SL_OK) return false;
    if (status == 0) return true;
    char msg[200] = "";
    if (call_i32(w, w->resp_ptr, NULL, 0, &rptr, err) == SL_OK &&
        call_i32(w, w->resp_len, NULL, 0, &rlen, err) == SL_OK) {
        if (rlen >= sizeof msg) rlen = sizeof msg - 1;
        if (!sl_memory_read(mem, rptr, msg, rlen)) rlen = 0;
        msg[rlen] = 0;
        while (rlen && (msg[rlen - 1] == '\n' || msg[rlen - 1] == '\r'))
            msg[--rlen] = 0;
    }
    sl_errorf(err, SL_ERR_ARGUMENT, "the function refused its parameters (%u): %s", status,
              msg[0] ? msg : "no message");
    return false;
}

sl_warm *sl_warm_new(sl_engine *engine, const sl_module *module, const sl_invoke_config *cfg,
                     bool keep_state, sl_error *err) {
    sl_warm *w = calloc(1, sizeof *w);
    if (!w) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->cfg = *cfg;
    w->keep_state = keep_state;
    /* A handler's stdout and stderr are both its log. */
    const char *argv[] = {"function"};
    sl_wasi_config wc = {.argv = argv,
                         .argc = 1,
                         .env = cfg->env,
                         .envc = cfg->envc,
                         .preopens = cfg->preopens,
                         .npreopens = cfg->npreopens};
    wc.stdio[1] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = cfg->max_log};
    wc.stdio[2] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = cfg->max_log};
    sl_store_limits limits = {.max_memory_pages = cfg->memory_mib * 16};
    if (!(w->wasi = sl_wasi_new(&wc, err)) || !(w->linker = sl_linker_new(engine)) ||
        sl_wasi_link(w->wasi, w->linker) != SL_OK || !(w->store = sl_store_new(engine, &limits)) ||
        !(w->inst = sl_instantiate(w->store, module, w->linker, err)))
        goto fail;
    w->alloc = export_of_type(w->inst, "sluice_alloc", "i:i");
    w->handle = export_of_type(w->inst, "sluice_handle", "ii:i");
    w->resp_ptr = export_of_type(w->inst, "sluice_response_ptr", ":i");
    w->resp_len = export_of_type(w->inst, "sluice_response_len", ":i");
    if (!w->alloc || !w->handle || !w->resp_ptr || !w->resp_len ||
        !sl_instance_memory(w->inst, 0)) {
        if (err) {
            sl_errorf(err, SL_ERR_LINK,
                      "not a handler function: it must export memory, sluice_alloc (i32)->i32, "
                      "sluice_handle (i32,i32)->i32, sluice_response_ptr and "
                      "sluice_response_len ()->i32");
        }
        goto fail;
    }
    sl_store_set_timeout(w->store, cfg->timeout_ms);
    static const char *const inits[] = {"_initialize", "sluice_init"};
    for (int i = 0; i < 2; i++) {
        sl_func *f = export_of_type(w->inst, inits[i], "");
        if (f && sl_func_call(w->store, f, NULL, 0, NULL, 0, err) != SL_OK) goto fail;
    }
    if (cfg->setup && !setup(w, cfg->setup, err)) goto fail;
    if (!(w->snap = sl_snapshot_take(w->inst, err))) goto fail;
    return w;
fail:
    sl_warm_free(w);
    return NULL;
}

static sl_status call_i32(sl_warm *w, sl_func *f, const sl_val *args, uint32_t n, uint32_t *out,
                          sl_error *err) {
    sl_val r = {0};
    sl_status st = sl_func_call(w->store, f, args, n, &r, 1, err);
    *out = (uint32_t)r.of.i32;
    return st;
}

sl_invoke_outcome sl_warm_invoke(sl_warm *w, const sl_http_request *req, sl_http_response *res) {
    memset(res, 0, sizeof *res);
    sl_error err = {0};
    if ((!w->keep_state || w->dirty) && sl_snapshot_restore(w->inst, w->snap, &err) != SL_OK) {
        sl_invoke_fail(res, req, 500, SL_INVOKE_ERROR, "cannot reset the function: %s",
                       err.message);
        return res->outcome;
    }
    w->dirty = false;
    sl_wasi_clear_output(w->wasi);
    char *event = w->cfg.input == SL_INPUT_EVENT ? sl_invoke_event_json(req) : NULL;
    const uint8_t *in = event ? (const uint8_t *)event : req->body;
    size_t in_len = event ? strlen(event) : req->body_len;
    sl_memory *mem = sl_instance_memory(w->inst, 0);
    uint8_t *out = NULL;
    uint32_t ptr = 0, status = 0, rptr = 0, rlen = 0;
    sl_status st = SL_OK;
    const char *bad = NULL;

    sl_val a1 = {.type = SL_I32, .of.i32 = (int32_t)in_len};
    if (in_len > UINT32_MAX) bad = "the request is too large";
    if (!bad) st = call_i32(w, w->alloc, &a1, 1, &ptr, &err);
    bool no_room = !bad && st == SL_OK && ptr == 0; /* the ABI's "cannot allocate" */
    if (!bad && st == SL_OK && !no_room && !sl_memory_write(mem, ptr, in, in_len))
        bad = "sluice_alloc returned memory outside the function's memory";
    sl_val a2[2] = {{.type = SL_I32, .of.i32 = (int32_t)ptr}, a1};
    if (no_room) {
        sl_invoke_fail(res, req, 500, SL_INVOKE_ERROR,
                       "the function could not allocate %zu bytes for the request", in_len);
        free(event);
        return res->outcome;
    }
    if (!bad && st == SL_OK) st = call_i32(w, w->handle, a2, 2, &status, &err);
    if (!bad && st == SL_OK) st = call_i32(w, w->resp_ptr, NULL, 0, &rptr, &err);
    if (!bad && st == SL_OK) st = call_i32(w, w->resp_len, NULL, 0, &rlen, &err);
    if (!bad && st == SL_OK && rlen <= w->cfg.max_response) {
        out = malloc(rlen ? rlen : 1);
        if (!out)
            bad = "out of memory";
        else if (!sl_memory_read(mem, rptr, out, rlen))
            bad = "the response lies outside the function's memory";
    }
    size_t log_len = 0;
    const uint8_t *log = sl_wasi_output(w->wasi, 2, &log_len);
    if (!bad && st == SL_OK && status && (status < 100 || status > 599))
        bad = "sluice_handle returned a status that is not an HTTP status";
    if (bad) {
        sl_invoke_fail(res, req, 502, SL_INVOKE_BAD_OUTPUT, "%s", bad);
    } else {
        /* a response over the limit: reported by sl_invoke_finish from its length */
        sl_invoke_finish(&w->cfg, req, st, &err, out, rlen, log, log_len, res);
        if (res->outcome == SL_INVOKE_OK && w->cfg.output == SL_OUTPUT_RAW && status)
            res->status = (int)status;
    }
    if (st != SL_OK) w->dirty = true;
    free(out);
    free(event);
    return res->outcome;
}

uint64_t sl_warm_memory_bytes(const sl_warm *w) {
    sl_memory *mem = sl_instance_memory(w->inst, 0);
    return mem ? sl_memory_size(mem) : 0;
}
