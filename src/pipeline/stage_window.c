/*
 * stage_window.c - `window`: count windows, optionally one per key, each handed to a function
 * as one columnar batch ({"air_quality":[...],"timestamp":[...]}: the shape the seed's
 * anomaly function takes), as Punch's stateful buffering node does.
 *
 * A window holds the last `size` records of its key. Every `slide` new records (slide =
 * size: tumbling windows) the function gets the whole window and answers the same records,
 * enriched (e.g. with `is_anomaly`). With `emit: new` (the default) only the records no
 * earlier window emitted go on, so each record comes out once, judged with up to `size` of
 * context; the first window of a key emits all of its records. With `emit: all` every window
 * emits everything it holds. At the end of the input (or a graceful stop) a key's records
 * not yet emitted go through the function as a last, partial window; if the function refuses
 * it (too few records for it), they go to the dead letter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/codec.h"
#include "pipeline/pfunc.h"

typedef struct win {
    char *key;
    sl_batch *buf;    /* the last `size` records, oldest first */
    uint32_t pending; /* the newest `pending` records of buf have not been emitted */
    uint32_t since;   /* records added since the last call */
    bool fired;       /* the key had a full window already */
} win;

typedef struct window_stage {
    sl_stage base;
    sl_pfunc *fn;
    uint32_t size, slide;
    bool emit_all;
    char *key; /* field name, or NULL: one window */
    win *wins;
    size_t nwins, cap;
} window_stage;

static win *find_win(window_stage *s, const sl_batch *b, const sl_value *row) {
    const char *k = "";
    size_t klen = 0;
    char num[64];
    if (s->key) {
        int f = sl_schema_find(b->schema, s->key, strlen(s->key));
        const sl_value *v = f >= 0 ? &row[f] : NULL;
        if (v && v->type == SL_F_STRING)
            k = sl_batch_str(b, v), klen = v->len;
        else if (v && (v->type == SL_F_INT || v->type == SL_F_TIME))
            klen = (size_t)snprintf(num, sizeof num, "%lld", (long long)v->v.i), k = num;
        else if (v && v->type == SL_F_FLOAT)
            klen = (size_t)snprintf(num, sizeof num, "%.17g", v->v.f), k = num;
        else if (v && v->type == SL_F_BOOL)
            k = v->v.b ? "true" : "false", klen = strlen(k);
    }
    /* a linear scan: keys are sensors or devices, tens to hundreds */
    for (size_t i = 0; i < s->nwins; i++)
        if (strlen(s->wins[i].key) == klen && !memcmp(s->wins[i].key, k, klen)) return &s->wins[i];
    if (s->nwins == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        win *p = realloc(s->wins, cap * sizeof *p);
        if (!p) return NULL;
        s->wins = p, s->cap = cap;
    }
    win *w = &s->wins[s->nwins];
    *w = (win){.key = strndup(k, klen)};
    if (!w->key) return NULL;
    s->nwins++;
    return w;
}

/* Calls the function on w's records and emits those not emitted yet (all with emit_all). */
static void fire(window_stage *s, win *w, sl_emit *out, sl_deadletter *dead) {
    sl_batch *buf = w->buf;
    uint32_t first = s->emit_all ? 0 : buf->n - w->pending;
    sl_text in = {0};
    char err[512];
    char *ans = NULL;
    size_t ans_len = 0;
    sl_batch *o = NULL;
    atomic_fetch_add(&s->base.stats.calls, 1);
    if (!sl_json_encode(buf, SL_JSON_COLUMNS, &in)) {
        snprintf(err, sizeof err, "out of memory");
    } else if (sl_pfunc_call(s->fn, in.data, in.len, &ans, &ans_len, err, sizeof err)) {
        char derr[256];
        o = sl_json_decode(ans, ans_len, buf->schema, buf->pos[buf->n - 1], derr, sizeof derr);
        if (!o)
            snprintf(err, sizeof err, "the function's answer is not records: %s", derr);
        else if (o->n != buf->n) {
            snprintf(err, sizeof err,
                     "the function answered %u records for a window of %u (a window function "
                     "must answer every record it gets)",
                     o->n, buf->n);
            sl_batch_free(o);
            o = NULL;
        }
    }
    sl_text_free(&in);
    free(ans);
    if (!o) {
        for (uint32_t i = first; i < buf->n; i++)
            sl_deadletter_record(dead, s->base.name, err, buf, i);
        atomic_fetch_add(&s->base.stats.errors, buf->n - first);
    } else {
        sl_batch *e = sl_batch_new(sl_schema_ref(o->schema), buf->n - first);
        for (uint32_t i = first; e && i < o->n; i++) {
            o->pos[i] = buf->pos[i]; /* each record keeps its own source position */
            sl_batch_copy_row(e, o, i, NULL);
        }
        sl_batch_free(o);
        if (e) sl_emit_push(out, e);
    }
    w->pending = 0;
    w->since = 0;
}

/* Keeps the newest `size` records of w (dropping emitted ones from the front). */
static bool trim(window_stage *s, win *w) {
    if (w->buf->n <= s->size) return true;
    uint32_t drop = w->buf->n - s->size;
    sl_batch *nb = sl_batch_new(sl_schema_ref(w->buf->schema), s->size);
    if (!nb) return false;
    for (uint32_t i = drop; i < w->buf->n; i++)
        if (!sl_batch_copy_row(nb, w->buf, i, NULL)) {
            sl_batch_free(nb);
            return false;
        }
    sl_batch_free(w->buf);
    w->buf = nb;
    if (w->pending > s->size) w->pending = s->size; /* unreachable with slide <= size */
    return true;
}

static bool window_process(sl_stage *st, const sl_batch *b, sl_emit *out, sl_deadletter *dead) {
    window_stage *s = (window_stage *)st;
    for (uint32_t i = 0; i < b->n; i++) {
        win *w = find_win(s, b, sl_batch_row(b, i));
        if (!w) return false;
        if (w->buf && !sl_schema_same(w->buf->schema, b->schema)) {
            /* the input's fields changed: close this key's window as at the end */
            if (w->pending) fire(s, w, out, dead);
            sl_batch_free(w->buf);
            w->buf = NULL;
            w->fired = false;
        }
        if (!w->buf && !(w->buf = sl_batch_new(sl_schema_ref(b->schema), s->size + s->slide)))
            return false;
        if (!sl_batch_copy_row(w->buf, b, i, NULL)) return false;
        w->pending++;
        w->since++;
        /* the buffer grows to at most size + slide - 1 and is cut back once per window,
         * not once per record */
        if (w->buf->n >= s->size && (!w->fired || w->since >= s->slide)) {
            if (!trim(s, w)) return false;
            fire(s, w, out, dead);
            w->fired = true;
        }
    }
    return true;
}

static void window_flush(sl_stage *st, sl_emit *out, sl_deadletter *dead) {
    window_stage *s = (window_stage *)st;
    for (size_t i = 0; i < s->nwins; i++)
        if (s->wins[i].buf && s->wins[i].pending && trim(s, &s->wins[i]))
            fire(s, &s->wins[i], out, dead);
}

static uint64_t window_held(const sl_stage *st) {
    const window_stage *s = (const window_stage *)st;
    uint64_t held = UINT64_MAX;
    for (size_t i = 0; i < s->nwins; i++) {
        const win *w = &s->wins[i];
        if (w->buf && w->pending) {
            uint64_t p = w->buf->pos[w->buf->n - w->pending];
            if (p < held) held = p;
        }
    }
    return held;
}

static void window_free(sl_stage *st) {
    window_stage *s = (window_stage *)st;
    for (size_t i = 0; i < s->nwins; i++) {
        free(s->wins[i].key);
        sl_batch_free(s->wins[i].buf);
    }
    free(s->wins);
    free(s->key);
    sl_pfunc_free(s->fn);
    free(s);
}

static const sl_stage_ops WINDOW_OPS = {"window", window_process, window_flush, window_held,
                                        window_free};

sl_stage *sl_stage_window_open(const sl_conf_ctx *c, const json_t *section,
                               const sl_stage_env *env) {
    static const char *const KEYS[] = {"type", "name", "size",     "slide",
                                       "key",  "emit", "function", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    int64_t size = ok ? sl_conf_int(c, section, "size", 0, 1, 1 << 20, &ok) : 0;
    int64_t slide = ok ? sl_conf_int(c, section, "slide", size, 1, size, &ok) : 0;
    const char *key = ok ? sl_conf_str(c, section, "key", "", &ok) : NULL;
    const char *emit = ok ? sl_conf_str(c, section, "emit", "new", &ok) : NULL;
    json_t *fn = json_object_get(section, "function");
    if (!ok) return NULL;
    if (!size) {
        sl_conf_fail(c, section, "\"size\" (records per window) is required");
        return NULL;
    }
    if (strcmp(emit, "new") && strcmp(emit, "all")) {
        sl_conf_fail(c, section, "\"emit\" must be new or all");
        return NULL;
    }
    if (!json_is_object(fn)) {
        sl_conf_fail(c, section,
                     "\"function\" (a mapping with module:, params:, ...) is required: a "
                     "window's records go to it as one batch");
        return NULL;
    }
    window_stage *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &WINDOW_OPS;
    s->size = (uint32_t)size;
    s->slide = (uint32_t)slide;
    s->emit_all = !strcmp(emit, "all");
    s->key = key[0] ? strdup(key) : NULL;
    static const char *const FN_KEYS[] = {SL_PFUNC_KEYS, NULL};
    if (!sl_conf_only(c, fn, FN_KEYS) || !(s->fn = sl_pfunc_open(c, fn, env))) {
        window_free(&s->base);
        return NULL;
    }
    return &s->base;
}
