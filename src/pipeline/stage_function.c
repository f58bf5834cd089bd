/*
 * stage_function.c - `function`: records through a Wasm function (pfunc.h), per batch (one
 * call with a JSON array of the records; the default) or per record (one call with one JSON
 * object). The answer is JSON: an object, an array of objects, or columns (json_decode.h), and
 * becomes the records that go on; a function may so filter, enrich, split or aggregate.
 * When a call fails (trap, timeout, an error status, an answer that is not JSON), the
 * records it was given go to the dead letter with the reason, and the pipeline goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_decode.h"
#include "pipeline/json_encode.h"
#include "pipeline/pfunc.h"

typedef struct fn_stage {
    sl_stage base;
    sl_pfunc *fn;
    bool per_record;
} fn_stage;

/* Calls the function with text; the decoded answer (records get position pos), or NULL with
 * the reason in err. */
static sl_batch *call(fn_stage *s, const sl_buf *in, const sl_schema *hint, uint64_t pos,
                      sl_error *err) {
    char *out = NULL;
    size_t out_len = 0;
    atomic_fetch_add(&s->base.stats.calls, 1);
    if (!sl_pfunc_call(s->fn, in->data, in->len, &out, &out_len, err)) return NULL;
    sl_error derr;
    sl_batch *b = sl_json_decode(out, out_len, hint, pos, &derr);
    if (!b)
        sl_errorf(err, SL_ERR_ARGUMENT, "the function's answer is not records: %s", derr.message);
    free(out);
    return b;
}

static void dead_all(fn_stage *s, const sl_batch *b, uint32_t from, uint32_t to, const char *why,
                     sl_deadletter *dead) {
    for (uint32_t i = from; i < to; i++)
        sl_deadletter_record(dead, s->base.name, why, b, i);
    atomic_fetch_add(&s->base.stats.errors, to - from);
}

static bool fn_process(sl_stage *st, const sl_batch *b, sl_emit *out, sl_deadletter *dead) {
    fn_stage *s = (fn_stage *)st;
    sl_error e;
    const char *err = e.message;
    sl_buf in = {0};
    if (!b->n) return true;
    if (!s->per_record) {
        if (!sl_json_encode(b, SL_JSON_ARRAY, &in)) return false;
        sl_batch *o = call(s, &in, b->schema, b->pos[b->n - 1], &e);
        sl_buf_free(&in);
        if (!o) {
            dead_all(s, b, 0, b->n, err, dead);
            return true;
        }
        return sl_emit_push(out, o);
    }
    sl_batch *acc = NULL; /* consecutive answers of one schema go into one batch */
    for (uint32_t i = 0; i < b->n; i++) {
        in.len = 0;
        if (!sl_json_encode_record(b, i, &in)) break;
        sl_batch *o = call(s, &in, b->schema, b->pos[i], &e);
        if (!o) {
            dead_all(s, b, i, i + 1, err, dead);
            continue;
        }
        if (acc && !sl_schema_same(acc->schema, o->schema)) {
            sl_emit_push(out, acc);
            acc = NULL;
        }
        if (!acc) {
            acc = o;
            continue;
        }
        for (uint32_t k = 0; k < o->n; k++)
            sl_batch_copy_row(acc, o, k, NULL);
        sl_batch_free(o);
    }
    sl_buf_free(&in);
    return acc ? sl_emit_push(out, acc) : true;
}

static uint64_t fn_held(const sl_stage *s) {
    (void)s;
    return UINT64_MAX;
}

static void fn_free(sl_stage *st) {
    fn_stage *s = (fn_stage *)st;
    sl_pfunc_free(s->fn);
    free(s);
}

static const sl_stage_ops FN_OPS = {"function", fn_process, NULL, fn_held, fn_free};

sl_stage *sl_stage_function_open(const sl_conf_ctx *c, const json_t *section,
                                 const sl_stage_env *env) {
    static const char *const KEYS[] = {"type", "name", "mode", SL_PFUNC_KEYS, NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *mode = ok ? sl_conf_str(c, section, "mode", "batch", &ok) : NULL;
    if (!ok) return NULL;
    if (strcmp(mode, "batch") && strcmp(mode, "record")) {
        sl_conf_fail(c, section, "\"mode\" must be batch or record, not \"%s\"", mode);
        return NULL;
    }
    fn_stage *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &FN_OPS;
    s->per_record = !strcmp(mode, "record");
    if (!(s->fn = sl_pfunc_open(c, section, env))) {
        free(s);
        return NULL;
    }
    return &s->base;
}
