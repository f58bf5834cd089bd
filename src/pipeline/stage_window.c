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
 *
 * Event-time windows (`by: time`, with `field:` the timestamp, `size: 1h`, `slide: 10m`):
 * windows [k*slide, k*slide + size) of the records' own timestamps, so that readings that
 * arrive late or out of order still land in the window they belong to. A window fires when
 * the watermark, the largest timestamp seen minus `watermark:` (the disorder to wait for),
 * passes its end; each record is emitted by the first window holding it that fires, with
 * the window's records in time order. A record older than the watermark by more than
 * `lateness:` goes to the dead letter; a late one within it fires its window again, emitting
 * only itself (and other late ones) with the window as context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_decode.h"
#include "pipeline/json_encode.h"
#include "pipeline/pfunc.h"

typedef struct win {
    char *key;
    /* event time: the timestamp and whether it was emitted, per record of buf */
    int64_t *ts;
    bool *done;
    size_t tcap;
    int64_t next_end; /* the end of the next window to fire */
    bool started;
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
    /* event time */
    bool by_time;
    char *time_field;
    int64_t tsize, tslide, delay, lateness, max_ts; /* microseconds */
    bool have_ts;
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
    if (!sl_grow(&s->wins, &s->cap, s->nwins + 1, sizeof *s->wins)) return NULL;
    win *w = &s->wins[s->nwins];
    *w = (win){.key = strndup(k, klen)};
    if (!w->key) return NULL;
    s->nwins++;
    return w;
}

/* Calls the function on view's records and emits those whose emit[i] is set (every record's
 * own source position kept); when the call fails they go to the dead letter. */
static void call_and_emit(window_stage *s, const sl_batch *view, const bool *emit, sl_emit *out,
                          sl_deadletter *dead) {
    sl_buf in = {0};
    sl_error why;
    const char *err = why.message;
    char *ans = NULL;
    size_t ans_len = 0;
    sl_batch *o = NULL;
    atomic_fetch_add(&s->base.stats.calls, 1);
    if (!sl_json_encode(view, SL_JSON_COLUMNS, &in)) {
        sl_errorf(&why, SL_ERR_NOMEM, "out of memory");
    } else if (sl_pfunc_call(s->fn, in.data, in.len, &ans, &ans_len, &why)) {
        sl_error derr;
        o = sl_json_decode(ans, ans_len, view->schema, view->pos[view->n - 1], &derr);
        if (!o)
            sl_errorf(&why, SL_ERR_ARGUMENT, "the function's answer is not records: %s",
                      derr.message);
        else if (o->n != view->n) {
            sl_errorf(&why, SL_ERR_ARGUMENT,
                      "the function answered %u records for a window of %u (a window function "
                      "must answer every record it gets)",
                      o->n, view->n);
            sl_batch_free(o);
            o = NULL;
        }
    }
    sl_buf_free(&in);
    free(ans);
    uint32_t nemit = 0;
    for (uint32_t i = 0; i < view->n; i++)
        nemit += emit[i];
    if (!o) {
        for (uint32_t i = 0; i < view->n; i++)
            if (emit[i]) sl_deadletter_record(dead, s->base.name, err, view, i);
        atomic_fetch_add(&s->base.stats.errors, nemit);
        return;
    }
    sl_batch *e = sl_batch_new(o->schema, nemit ? nemit : 1);
    for (uint32_t i = 0; e && i < o->n; i++)
        if (emit[i]) {
            o->pos[i] = view->pos[i];
            sl_batch_copy_row(e, o, i, NULL);
        }
    sl_batch_free(o);
    if (e) sl_emit_push(out, e);
}

/* Count windows: the function gets w's records; those not emitted yet go on (all with
 * emit_all). */
static void fire(window_stage *s, win *w, sl_emit *out, sl_deadletter *dead) {
    sl_batch *buf = w->buf;
    uint32_t first = s->emit_all ? 0 : buf->n - w->pending;
    bool *emit = calloc(buf->n, sizeof *emit);
    if (emit) {
        for (uint32_t i = first; i < buf->n; i++)
            emit[i] = true;
        call_and_emit(s, buf, emit, out, dead);
        free(emit);
    }
    w->pending = 0;
    w->since = 0;
}

/* Keeps the newest `size` records of w (dropping emitted ones from the front). */
static bool trim(window_stage *s, win *w) {
    if (w->buf->n <= s->size) return true;
    uint32_t drop = w->buf->n - s->size;
    sl_batch *nb = sl_batch_new(w->buf->schema, s->size);
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

/* ---- Event-time windows ------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The end of the first window [k*slide, k*slide + size) that holds ts. */
static int64_t first_end(const window_stage *s, int64_t ts) {
    return (floor_div(ts - s->tsize, s->tslide) + 1) * s->tslide + s->tsize;
}

/* The record's timestamp (a timestamp field, or a string in ISO 8601). */
static bool time_of(const window_stage *s, const sl_batch *b, const sl_value *row, int64_t *ts) {
    int f = sl_schema_find(b->schema, s->time_field, strlen(s->time_field));
    if (f < 0) return false;
    const sl_value *v = &row[f];
    if (v->type == SL_F_TIME) return *ts = v->v.i, true;
    if (v->type == SL_F_STRING) return sl_parse_time(sl_batch_str(b, v), v->len, ts);
    return false;
}

/* Fires the window [end - size, end) of w if it holds a record to emit: the function gets
 * the window's records in time order; those not emitted yet go on (with late_only: only
 * those whose windows had all fired before they came). */
static void fire_time(window_stage *s, win *w, int64_t end, bool late_only, sl_emit *out,
                      sl_deadletter *dead) {
    int64_t start = end - s->tsize;
    uint32_t n = 0, fresh = 0;
    uint32_t *idx = malloc((w->buf->n ? w->buf->n : 1) * sizeof *idx);
    bool *mine = calloc(w->buf->n ? w->buf->n : 1, sizeof *mine);
    if (!idx || !mine) {
        free(idx);
        free(mine);
        return;
    }
    for (uint32_t i = 0; i < w->buf->n; i++)
        if (w->ts[i] >= start && w->ts[i] < end) {
            idx[n++] = i;
            mine[i] = !w->done[i] && (!late_only || w->ts[i] < w->next_end - s->tsize);
            fresh += mine[i];
        }
    if (fresh) {
        /* insertion sort by time: windows are small and mostly in order already */
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = i; j > 0 && w->ts[idx[j]] < w->ts[idx[j - 1]]; j--) {
                uint32_t t = idx[j];
                idx[j] = idx[j - 1], idx[j - 1] = t;
            }
        sl_batch *view = sl_batch_new(w->buf->schema, n);
        bool *emit = calloc(n, sizeof *emit);
        for (uint32_t k = 0; view && emit && k < n; k++) {
            sl_batch_copy_row(view, w->buf, idx[k], NULL);
            emit[k] = s->emit_all || mine[idx[k]];
            if (mine[idx[k]]) w->done[idx[k]] = true;
        }
        if (view && emit && view->n == n) call_and_emit(s, view, emit, out, dead);
        sl_batch_free(view);
        free(emit);
    }
    free(idx);
    free(mine);
}

/* Drops records no window can need again: emitted, and older than anything that may still
 * fire (the next window's start, minus the allowed lateness). */
static void gc_time(window_stage *s, win *w) {
    int64_t keep_from = w->next_end - s->tsize - s->lateness;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < w->buf->n; i++)
        keep += !(w->done[i] && w->ts[i] < keep_from);
    if (keep * 2 > w->buf->n) return; /* compact only when it pays */
    sl_batch *nb = sl_batch_new(w->buf->schema, keep + 64);
    if (!nb) return;
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->buf->n; i++)
        if (!(w->done[i] && w->ts[i] < keep_from)) {
            sl_batch_copy_row(nb, w->buf, i, NULL);
            w->ts[k] = w->ts[i], w->done[k] = w->done[i];
            k++;
        }
    sl_batch_free(w->buf);
    w->buf = nb;
}

/* Fires every window of w whose end the watermark has passed. */
static void advance(window_stage *s, win *w, int64_t watermark, sl_emit *out, sl_deadletter *dead) {
    while (w->started && w->next_end <= watermark) {
        fire_time(s, w, w->next_end, false, out, dead);
        w->next_end += s->tslide;
        /* jump over a stretch without records (a sensor silent for a day) */
        int64_t lo = INT64_MAX;
        for (uint32_t i = 0; i < w->buf->n; i++)
            if (!w->done[i] && w->ts[i] < lo) lo = w->ts[i];
        if (lo == INT64_MAX) break; /* nothing left to emit: the next record restarts it */
        if (first_end(s, lo) > w->next_end) w->next_end = first_end(s, lo);
    }
    if (w->buf) gc_time(s, w);
}

static bool time_process(window_stage *s, const sl_batch *b, sl_emit *out, sl_deadletter *dead) {
    for (uint32_t i = 0; i < b->n; i++) {
        const sl_value *row = sl_batch_row(b, i);
        int64_t ts;
        if (!time_of(s, b, row, &ts)) {
            char why[160];
            snprintf(why, sizeof why, "no timestamp in field \"%s\"", s->time_field);
            sl_deadletter_record(dead, s->base.name, why, b, i);
            atomic_fetch_add(&s->base.stats.errors, 1);
            continue;
        }
        if (s->have_ts && ts < s->max_ts - s->delay - s->lateness) {
            sl_deadletter_record(dead, s->base.name,
                                 "late: older than the watermark by more than the allowed lateness",
                                 b, i);
            atomic_fetch_add(&s->base.stats.errors, 1);
            continue;
        }
        win *w = find_win(s, b, row);
        if (!w) return false;
        if (w->buf && !sl_schema_same(w->buf->schema, b->schema)) {
            sl_deadletter_record(dead, s->base.name,
                                 "the record's fields differ from the window's earlier records", b,
                                 i);
            atomic_fetch_add(&s->base.stats.errors, 1);
            continue;
        }
        if (!w->buf && !(w->buf = sl_batch_new(b->schema, 256))) return false;
        if (w->buf->n >= w->tcap) {
            /* two arrays of one capacity, as in sl_rejects_add; from 256, as the batch */
            size_t need = w->buf->n < 256 ? 256 : (size_t)w->buf->n + 1, tcap = w->tcap;
            if (!sl_grow(&w->ts, &tcap, need, sizeof *w->ts) ||
                !sl_grow(&w->done, &w->tcap, need, sizeof *w->done))
                return false;
        }
        if (!sl_batch_copy_row(w->buf, b, i, NULL)) return false;
        w->ts[w->buf->n - 1] = ts;
        w->done[w->buf->n - 1] = false;
        bool nothing_pending = true;
        for (uint32_t k = 0; k + 1 < w->buf->n && nothing_pending; k++)
            nothing_pending = w->done[k];
        if (!w->started || (nothing_pending && first_end(s, ts) > w->next_end)) {
            w->next_end = first_end(s, ts);
            w->started = true;
        } else if (ts < w->next_end - s->tsize) {
            /* late, within the lateness: every window holding it has fired; fire its first
             * one again for it alone */
            fire_time(s, w, first_end(s, ts), true, out, dead);
        }
        if (!s->have_ts || ts > s->max_ts) s->max_ts = ts, s->have_ts = true;
    }
    for (size_t k = 0; k < s->nwins; k++)
        advance(s, &s->wins[k], s->max_ts - s->delay, out, dead);
    return true;
}

static void time_flush(window_stage *s, sl_emit *out, sl_deadletter *dead) {
    /* as if the watermark passed every record */
    for (size_t k = 0; k < s->nwins; k++)
        advance(s, &s->wins[k], s->max_ts + s->tsize + s->tslide, out, dead);
}

static bool window_process(sl_stage *st, const sl_batch *b, sl_emit *out, sl_deadletter *dead) {
    window_stage *s = (window_stage *)st;
    if (s->by_time) return time_process(s, b, out, dead);
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
        if (!w->buf && !(w->buf = sl_batch_new(b->schema, s->size + s->slide))) return false;
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
    if (s->by_time) {
        time_flush(s, out, dead);
        return;
    }
    for (size_t i = 0; i < s->nwins; i++)
        if (s->wins[i].buf && s->wins[i].pending && trim(s, &s->wins[i]))
            fire(s, &s->wins[i], out, dead);
}

static uint64_t window_held(const sl_stage *st) {
    const window_stage *s = (const window_stage *)st;
    uint64_t held = UINT64_MAX;
    for (size_t i = 0; i < s->nwins; i++) {
        const win *w = &s->wins[i];
        for (uint32_t k = 0; s->by_time && w->buf && k < w->buf->n; k++)
            if (!w->done[k] && w->buf->pos[k] < held) held = w->buf->pos[k];
        if (!s->by_time && w->buf && w->pending) {
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
        free(s->wins[i].ts);
        free(s->wins[i].done);
        sl_batch_free(s->wins[i].buf);
    }
    free(s->wins);
    free(s->key);
    free(s->time_field);
    sl_pfunc_free(s->fn);
    free(s);
}

static const sl_stage_ops WINDOW_OPS = {"window", window_process, window_flush, window_held,
                                        window_free};

sl_stage *sl_stage_window_open(const sl_conf_ctx *c, const json_t *section,
                               const sl_stage_env *env) {
    static const char *const KEYS[] = {"type",     "name", "size",  "slide",     "key",      "emit",
                                       "function", "by",   "field", "watermark", "lateness", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *by = ok ? sl_conf_str(c, section, "by", "count", &ok) : NULL;
    if (!ok) return NULL;
    bool by_time = !strcmp(by, "time");
    if (!by_time && strcmp(by, "count")) {
        sl_conf_fail(c, section, "\"by\" must be count or time");
        return NULL;
    }
    /* count windows: sizes in records; time windows: durations */
    int64_t size = 0, slide = 0, delay = 0, lateness = 0;
    const char *field = NULL;
    if (by_time) {
        size = sl_conf_ms(c, section, "size", 0, &ok);
        slide = sl_conf_ms(c, section, "slide", size, &ok);
        delay = sl_conf_ms(c, section, "watermark", 0, &ok);
        lateness = sl_conf_ms(c, section, "lateness", 0, &ok);
        field = sl_conf_str(c, section, "field", "timestamp", &ok);
        if (ok && (size <= 0 || slide <= 0 || slide > size)) {
            sl_conf_fail(c, section, "time windows need size > 0 and 0 < slide <= size");
            return NULL;
        }
    } else {
        size = ok ? sl_conf_int(c, section, "size", 0, 1, 1 << 20, &ok) : 0;
        slide = ok ? sl_conf_int(c, section, "slide", size, 1, size, &ok) : 0;
    }
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
    s->by_time = by_time;
    if (by_time) {
        s->tsize = size * 1000, s->tslide = slide * 1000; /* ms to µs */
        s->delay = delay * 1000, s->lateness = lateness * 1000;
        s->time_field = strdup(field);
    } else {
        s->size = (uint32_t)size;
        s->slide = (uint32_t)slide;
    }
    s->emit_all = !strcmp(emit, "all");
    s->key = key[0] ? strdup(key) : NULL;
    static const char *const FN_KEYS[] = {SL_PFUNC_KEYS, NULL};
    if (!sl_conf_only(c, fn, FN_KEYS) || !(s->fn = sl_pfunc_open(c, fn, env))) {
        window_free(&s->base);
        return NULL;
    }
    return &s->base;
}
