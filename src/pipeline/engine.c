/*
 * engine.c - a pipeline's threads and how batches and acknowledgements move between them
 * (docs/pipeline.md).
 *
 *   source thread ──q_in──▶ stage thread ──q_out──▶ sink thread ──▶ source.committed(P)
 *
 * The stage thread runs every stage in order on each batch. It also works out, for each
 * message it passes on, the position up to which the input is done once the sinks commit
 * it: the message's end, unless a stage (a window) still holds records from earlier input,
 * in which case the start of the oldest message holding one. The sink thread writes each
 * batch to every sink, retrying with backoff while a sink reports a failure that may pass,
 * and only then acknowledges.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/engine_impl.h"
#include "pipeline/pipeline.h"
#include "pipeline/sink.h"
#include "pipeline/stage.h"

#define MAX_STAGES 32
#define MAX_SINKS  8
#define SPAN_RING  4096 /* messages whose records a stage may still hold */

/* ---- Queue --------------------------------------------------------------------------------- */

bool sl_queue_init(sl_queue *q, size_t cap) {
    memset(q, 0, sizeof *q);
    q->items = calloc(cap, sizeof *q->items);
    if (!q->items) return false;
    q->cap = cap;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    return true;
}

void sl_queue_destroy(sl_queue *q) {
    if (!q->items) return; /* never made (a pipeline that failed to load) */
    sl_msg m;
    while (q->n && sl_queue_pop(q, &m))
        sl_batch_free(m.batch);
    free(q->items);
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->lock);
}

bool sl_queue_push(sl_queue *q, sl_msg msg, const _Atomic bool *abort) {
    pthread_mutex_lock(&q->lock);
    while (q->n == q->cap && !q->closed && !(abort && atomic_load(abort))) {
        /* wake every 100 ms to look at *abort (set by a stop without a signal to us) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&q->changed, &q->lock, &ts);
    }
    bool ok = q->n < q->cap && !q->closed;
    if (ok) {
        q->items[(q->head + q->n) % q->cap] = msg;
        q->n++;
        atomic_store(&q->depth, q->n);
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

bool sl_queue_pop(sl_queue *q, sl_msg *out) {
    pthread_mutex_lock(&q->lock);
    while (!q->n && !q->closed)
        pthread_cond_wait(&q->changed, &q->lock);
    bool ok = q->n > 0;
    if (ok) {
        *out = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        atomic_store(&q->depth, q->n);
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

void sl_queue_close(sl_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

/* ---- The pipeline -------------------------------------------------------------------------- */

typedef struct sink_slot {
    sl_sink *sink;
    _Atomic uint64_t records, batches, retries, failures;
    char last_error[256]; /* under the pipeline's error_lock */
} sink_slot;

struct sl_pipeline {
    char name[128];
    json_t *conf;
    sl_engine *engine;
    sl_source *source;
    sl_flow flow;
    sl_stage *stages[MAX_STAGES];
    size_t nstages;
    sink_slot sinks[MAX_SINKS];
    size_t nsinks;
    /* The sink thread writes a sink's last_error while the server's threads read the stats:
     * a string cannot be atomic, so both sides take this lock (held only to copy it). */
    pthread_mutex_t error_lock;
    sl_deadletter *dead;
    sl_queue q_in, q_out;
    pthread_t source_thread, stage_thread, sink_thread;
    bool started;
    _Atomic bool source_failed, finished;
    sl_error source_error; /* set by the source thread before source_failed */
    _Atomic uint64_t committed, stage_errors;
    /* How long a stop waits for a sink that keeps failing (stop_timeout:), and when the stop
     * was asked for (CLOCK_MONOTONIC ms; 0 = running). */
    int64_t stop_timeout_ms;
    _Atomic uint64_t stop_at_ms;
    _Atomic uint64_t undelivered; /* records given up on at a stop (never committed) */
    /* the stage thread's record of recent messages: [start, end) spans, oldest first */
    struct {
        uint64_t start, end;
    } spans[SPAN_RING];
    size_t span_head, nspans;
};

const char *sl_pipeline_name(const sl_pipeline *p) {
    return p->name;
}

bool sl_emit_push(sl_emit *e, sl_batch *b) {
    if (!sl_grow(&e->v, &e->cap, e->n + 1, sizeof *e->v)) {
        sl_batch_free(b);
        return false;
    }
    e->v[e->n++] = b;
    return true;
}

sl_stage *sl_stage_open(const sl_conf_ctx *c, const json_t *section, const sl_stage_env *env) {
    bool ok = true;
    const char *type = sl_conf_str(c, section, "type", NULL, &ok);
    if (!ok) return NULL;
    if (!strcmp(type, "filter")) return sl_stage_filter_open(c, section);
    if (!strcmp(type, "select")) return sl_stage_select_open(c, section);
    if (!strcmp(type, "function")) return sl_stage_function_open(c, section, env);
    if (!strcmp(type, "window")) return sl_stage_window_open(c, section, env);
    sl_conf_fail(c, section, "unknown stage type \"%s\" (known: function, window, filter, select)",
                 type);
    return NULL;
}

void sl_pipeline_free(sl_pipeline *p) {
    if (!p) return;
    if (p->source) p->source->ops->free(p->source);
    for (size_t i = 0; i < p->nstages; i++)
        p->stages[i]->ops->free(p->stages[i]);
    for (size_t i = 0; i < p->nsinks; i++)
        p->sinks[i].sink->ops->close(p->sinks[i].sink);
    sl_deadletter_close(p->dead);
    sl_parse_opts_free(&p->flow.parse);
    sl_queue_destroy(&p->q_in);
    sl_queue_destroy(&p->q_out);
    json_decref(p->conf);
    pthread_mutex_destroy(&p->error_lock);
    free(p);
}

/* "stage 2 (window)": how messages name the i-th entry of a list. */
static const char *section_label(char *buf, size_t len, const char *kind, size_t i,
                                 const json_t *s) {
    const char *type = json_string_value(json_object_get(s, "type"));
    snprintf(buf, len, "%s %zu (%s)", kind, i + 1, type ? type : "?");
    return buf;
}

sl_pipeline *sl_pipeline_load(const char *path, sl_engine *engine, const sl_fn_resolver *functions,
                              sl_error *err) {
    sl_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->error_lock, NULL);
    p->engine = engine;
    if (!(p->conf = sl_conf_load(path, err))) goto fail;
    sl_conf_ctx c = {.file = path, .what = "pipeline", .err = err};
    static const char *const TOP[] = {"name",          "source",       "parser",     "stages",
                                      "sinks",         "dead_letter",  "batch_size", "linger",
                                      "queue_batches", "stop_timeout", NULL};
    if (!sl_conf_only(&c, p->conf, TOP)) goto fail;
    bool ok = true;
    /* without name:, the file's name without its .yaml */
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s", path);
    char *fallback = basename(base), *ext = strrchr(fallback, '.');
    if (ext && (!strcmp(ext, ".yaml") || !strcmp(ext, ".yml"))) *ext = 0;
    const char *name = sl_conf_str(&c, p->conf, "name", fallback, &ok);
    snprintf(p->name, sizeof p->name, "%s", name ? name : "pipeline");
    int64_t batch = sl_conf_int(&c, p->conf, "batch_size", 1024, 1, 1 << 20, &ok);
    int64_t depth = sl_conf_int(&c, p->conf, "queue_batches", 8, 1, 1024, &ok);
    int64_t linger = sl_conf_ms(&c, p->conf, "linger", 50, &ok);
    p->stop_timeout_ms = sl_conf_ms(&c, p->conf, "stop_timeout", 10000, &ok);
    if (!ok) goto fail;
    if (!sl_queue_init(&p->q_in, (size_t)depth) || !sl_queue_init(&p->q_out, (size_t)depth)) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }

    /* dead letter first: parsers, stages and sinks write to it */
    json_t *dl = json_object_get(p->conf, "dead_letter");
    const char *dl_path = NULL;
    if (dl) {
        c.what = "dead_letter";
        static const char *const DL[] = {"path", NULL};
        if (!json_is_object(dl) || !sl_conf_only(&c, dl, DL)) {
            if (!json_is_object(dl)) sl_conf_fail(&c, p->conf, "must be a mapping with path:");
            goto fail;
        }
        dl_path = sl_conf_str(&c, dl, "path", NULL, &ok);
        if (!ok) goto fail;
    }
    char dl_full[PATH_MAX];
    if (dl_path && !sl_conf_path(&c, dl, dl_path, dl_full, sizeof dl_full)) goto fail;
    if (dl_path) dl_path = dl_full;
    if (!(p->dead = sl_deadletter_open(dl_path, err))) goto fail;

    json_t *src = json_object_get(p->conf, "source");
    c.what = "source";
    if (!json_is_object(src)) {
        sl_conf_fail(&c, p->conf, "a source: mapping is required (type: tcp, file or stdin)");
        goto fail;
    }
    if (!(p->source = sl_source_open(&c, src, p->name))) goto fail;

    json_t *parser = json_object_get(p->conf, "parser");
    c.what = "parser";
    if (!json_is_object(parser)) {
        sl_conf_fail(&c, p->conf, "a parser: mapping is required (type: csv or json)");
        goto fail;
    }
    sl_parse_opts parse = {0};
    if (!sl_feed_prepare(&c, parser, &parse)) goto fail;
    p->flow = (sl_flow){.parse = parse,
                        .dead = p->dead,
                        .out = &p->q_in,
                        .batch_size = (uint32_t)batch,
                        .linger_ms = (int)(linger > 0 ? linger : 1)};

    json_t *stages = json_object_get(p->conf, "stages");
    if (stages && !json_is_array(stages)) {
        c.what = "stages";
        sl_conf_fail(&c, p->conf, "stages: must be a list");
        goto fail;
    }
    sl_stage_env env = {.functions = functions, .engine = engine, .pipeline = p->name};
    for (size_t i = 0; i < json_array_size(stages); i++) {
        json_t *s = json_array_get(stages, i);
        char what[96];
        c.what = section_label(what, sizeof what, "stage", i, s);
        if (!json_is_object(s)) {
            sl_conf_fail(&c, p->conf, "each stage must be a mapping with type:");
            goto fail;
        }
        if (p->nstages == MAX_STAGES) {
            sl_conf_fail(&c, s, "at most %d stages", MAX_STAGES);
            goto fail;
        }
        sl_stage *st = sl_stage_open(&c, s, &env);
        if (!st) goto fail;
        const char *sname = json_string_value(json_object_get(s, "name"));
        snprintf(st->name, sizeof st->name, "%.63s", sname ? sname : what);
        p->stages[p->nstages++] = st;
    }

    json_t *sinks = json_object_get(p->conf, "sinks");
    c.what = "sinks";
    if (!json_is_array(sinks) || json_array_size(sinks) == 0) {
        sl_conf_fail(&c, p->conf, "sinks: must be a list of at least one sink");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(sinks); i++) {
        json_t *s = json_array_get(sinks, i);
        char what[96];
        c.what = section_label(what, sizeof what, "sink", i, s);
        if (!json_is_object(s) || p->nsinks == MAX_SINKS) {
            sl_conf_fail(&c, json_is_object(s) ? s : p->conf,
                         "each sink must be a mapping with type: (at most %d sinks)", MAX_SINKS);
            goto fail;
        }
        json_object_set_new(s, "@pipeline", json_string(p->name)); /* the default table name */
        sl_sink *sk = sl_sink_open(&c, s);
        if (!sk) goto fail;
        p->sinks[p->nsinks++].sink = sk;
    }
    return p;
fail:
    sl_pipeline_free(p);
    return NULL;
}

/* ---- Threads ------------------------------------------------------------------------------- */

int sl_pipeline_ingest(sl_pipeline *p, const char *body, size_t len, char *answer, size_t alen) {
    if (!p->source->ops->ingest) {
        snprintf(answer, alen, "{\"error\":\"pipeline %s has no http source\"}", p->name);
        return 404;
    }
    return p->source->ops->ingest(p->source, body, len, answer, alen);
}

static void *source_main(void *arg) {
    sl_pipeline *p = arg;
    if (!p->source->ops->run(p->source, &p->flow, &p->source_error))
        atomic_store(&p->source_failed, true);
    sl_queue_close(&p->q_in); /* the stage thread drains it, then ends */
    return NULL;
}

/* Where input is done up to once message m is committed (stage thread). */
static uint64_t commit_point(sl_pipeline *p, const sl_msg *m) {
    uint64_t held = UINT64_MAX;
    for (size_t i = 0; i < p->nstages; i++)
        if (p->stages[i]->ops->held_from) {
            uint64_t h = p->stages[i]->ops->held_from(p->stages[i]);
            if (h < held) held = h;
        }
    /* remember this message's span; forget spans wholly before anything held */
    if (p->nspans == SPAN_RING) p->span_head = (p->span_head + 1) % SPAN_RING, p->nspans--;
    size_t tail = (p->span_head + p->nspans) % SPAN_RING;
    p->spans[tail].start = m->start, p->spans[tail].end = m->end;
    p->nspans++;
    if (held == UINT64_MAX) {
        p->nspans = 0;
        return m->end;
    }
    while (p->nspans > 1 && p->spans[p->span_head].end < held)
        p->span_head = (p->span_head + 1) % SPAN_RING, p->nspans--;
    return p->spans[p->span_head].start; /* the oldest message with a held record */
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs batches through stages first..n; the results go to q_out. */
static void run_stages(sl_pipeline *p, sl_batch *b, size_t first, sl_emit *out) {
    sl_emit cur = {0}, next = {0};
    if (b) sl_emit_push(&cur, b);
    for (size_t i = first; i < p->nstages; i++) {
        sl_stage *st = p->stages[i];
        for (size_t k = 0; k < cur.n; k++) {
            uint64_t t0 = now_ns();
            atomic_fetch_add(&st->stats.in, cur.v[k]->n);
            size_t before = next.n;
            if (!st->ops->process(st, cur.v[k], &next, p->dead))
                atomic_fetch_add(&p->stage_errors, 1);
            for (size_t j = before; j < next.n; j++)
                atomic_fetch_add(&st->stats.out, next.v[j]->n);
            atomic_fetch_add(&st->stats.busy_ns, now_ns() - t0);
            sl_batch_free(cur.v[k]);
        }
        cur.n = 0;
        sl_emit t = cur;
        cur = next;
        next = t;
    }
    for (size_t k = 0; k < cur.n; k++)
        sl_emit_push(out, cur.v[k]);
    free(cur.v);
    free(next.v);
}

static void forward(sl_pipeline *p, sl_emit *out, sl_msg *m) {
    /* all results but the last carry no acknowledgement; the last (or an empty message)
     * acknowledges the input */
    m->commit = commit_point(p, m);
    for (size_t k = 0; k < out->n; k++) {
        sl_msg o = {.batch = out->v[k], .start = m->start, .end = m->end, .commit = 0};
        if (k + 1 == out->n) o.commit = m->commit;
        if (!sl_queue_push(&p->q_out, o, NULL)) sl_batch_free(o.batch);
    }
    if (!out->n) {
        sl_msg o = {.start = m->start, .end = m->end, .commit = m->commit};
        sl_queue_push(&p->q_out, o, NULL);
    }
    out->n = 0;
}

static void *stage_main(void *arg) {
    sl_pipeline *p = arg;
    sl_msg m;
    sl_emit out = {0};
    while (sl_queue_pop(&p->q_in, &m)) {
        run_stages(p, m.batch, 0, &out);
        forward(p, &out, &m);
    }
    /* the input ended: stages hand on what they hold (a partial window), in order */
    for (size_t i = 0; i < p->nstages; i++) {
        if (!p->stages[i]->ops->flush) continue;
        sl_emit held = {0};
        p->stages[i]->ops->flush(p->stages[i], &held, p->dead);
        for (size_t k = 0; k < held.n; k++) {
            atomic_fetch_add(&p->stages[i]->stats.out, held.v[k]->n);
            run_stages(p, held.v[k], i + 1, &out);
        }
        free(held.v);
    }
    sl_msg last = {0};
    uint64_t end = p->nspans ? p->spans[(p->span_head + p->nspans - 1) % SPAN_RING].end : 0;
    last.start = last.end = end;
    p->nspans = 0; /* nothing is held any more */
    forward(p, &out, &last);
    free(out.v);
    sl_queue_close(&p->q_out);
    return NULL;
}

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether a stop has waited stop_timeout for a failing sink: then the rest is given up. */
static bool stop_overdue(sl_pipeline *p) {
    uint64_t at = atomic_load(&p->stop_at_ms);
    return at && mono_ms() - at >= (uint64_t)p->stop_timeout_ms;
}

static void *sink_main(void *arg) {
    sl_pipeline *p = arg;
    sl_msg m;
    sl_error e;
    const char *err = e.message;
    /* Set once a stop gave up on a sink that kept failing: what follows is drained from the
     * queue (so the other threads can end) but neither written nor committed, so a file or
     * spooled source resends it on the next run. */
    bool given_up = false;
    while (sl_queue_pop(&p->q_out, &m)) {
        if (given_up) {
            atomic_fetch_add(&p->undelivered, m.batch ? m.batch->n : 0);
            sl_batch_free(m.batch);
            continue;
        }
        for (size_t i = 0; m.batch && m.batch->n && i < p->nsinks && !given_up; i++) {
            sink_slot *s = &p->sinks[i];
            unsigned backoff_ms = 100;
            for (;;) {
                e.message[0] = 0;
                sl_sink_result r = s->sink->ops->write(s->sink, m.batch, p->dead, &e);
                if (r == SL_SINK_OK) break;
                pthread_mutex_lock(&p->error_lock);
                snprintf(s->last_error, sizeof s->last_error, "%.255s", err);
                pthread_mutex_unlock(&p->error_lock);
                if (r == SL_SINK_FATAL) {
                    /* it can never take these records: they go to the dead letter */
                    atomic_fetch_add(&s->failures, 1);
                    for (uint32_t k = 0; k < m.batch->n; k++)
                        sl_deadletter_record(p->dead, s->sink->name, err, m.batch, k);
                    break;
                }
                /* a failure that may pass: the same batch again, later; nothing is dropped
                 * (backpressure holds the rest of the pipeline meanwhile) */
                atomic_fetch_add(&s->retries, 1);
                if (stop_overdue(p)) {
                    fprintf(stderr,
                            "sluice: pipeline %s: sink %s: %s; stopping: gave up after %lld ms, "
                            "what it did not take is not committed\n",
                            p->name, s->sink->name, err, (long long)p->stop_timeout_ms);
                    given_up = true;
                    break;
                }
                fprintf(stderr, "sluice: pipeline %s: sink %s: %s (retrying in %u ms)\n", p->name,
                        s->sink->name, err, backoff_ms);
                /* in short naps, so that a stop's deadline is seen in time */
                for (unsigned slept = 0; slept < backoff_ms && !stop_overdue(p); slept += 50)
                    usleep(50 * 1000);
                if (backoff_ms < 10000) backoff_ms *= 2;
            }
            if (given_up) break;
            atomic_fetch_add(&s->records, m.batch->n);
            atomic_fetch_add(&s->batches, 1);
        }
        if (given_up) {
            atomic_fetch_add(&p->undelivered, m.batch->n);
            sl_batch_free(m.batch);
            continue;
        }
        sl_batch_free(m.batch);
        if (m.commit) {
            if (m.commit > atomic_load(&p->committed)) atomic_store(&p->committed, m.commit);
            p->source->ops->committed(p->source, m.commit);
        }
    }
    atomic_store(&p->finished, true);
    return NULL;
}

bool sl_pipeline_done(const sl_pipeline *p) {
    return atomic_load(&p->finished);
}

bool sl_pipeline_start(sl_pipeline *p, sl_error *err) {
    if (pthread_create(&p->sink_thread, NULL, sink_main, p) != 0) goto fail;
    if (pthread_create(&p->stage_thread, NULL, stage_main, p) != 0) {
        sl_queue_close(&p->q_out);
        pthread_join(p->sink_thread, NULL);
        goto fail;
    }
    if (pthread_create(&p->source_thread, NULL, source_main, p) != 0) {
        sl_queue_close(&p->q_in);
        pthread_join(p->stage_thread, NULL);
        pthread_join(p->sink_thread, NULL);
        goto fail;
    }
    p->started = true;
    return true;
fail:
    sl_errorf(err, SL_ERR_ARGUMENT, "cannot start the pipeline's threads");
    return false;
}

void sl_pipeline_stop(sl_pipeline *p) {
    uint64_t none = 0;
    atomic_compare_exchange_strong(&p->stop_at_ms, &none, mono_ms());
    atomic_store(&p->flow.stopping, true);
    if (p->source->ops->wake) p->source->ops->wake(p->source);
}

bool sl_pipeline_wait(sl_pipeline *p, sl_error *err) {
    if (!p->started) return true;
    pthread_join(p->source_thread, NULL);
    pthread_join(p->stage_thread, NULL);
    pthread_join(p->sink_thread, NULL);
    p->started = false;
    if (atomic_load(&p->source_failed)) {
        if (err) *err = p->source_error;
        return false;
    }
    uint64_t lost = atomic_load(&p->undelivered);
    if (lost)
        return sl_errorf(err, SL_ERR_LIMIT,
                         "stopped with %llu records a sink did not take within stop_timeout "
                         "(%lld ms); they were not committed",
                         (unsigned long long)lost, (long long)p->stop_timeout_ms);
    return true;
}

/* ---- Stats --------------------------------------------------------------------------------- */

json_t *sl_pipeline_stats(sl_pipeline *p) {
    json_t *stages = json_array(), *sinks = json_array();
    for (size_t i = 0; i < p->nstages; i++) {
        sl_stage_stats *s = &p->stages[i]->stats;
        json_array_append_new(stages, json_pack("{s:s, s:s, s:I, s:I, s:I, s:f}", "name",
                                                p->stages[i]->name, "type", p->stages[i]->ops->type,
                                                "in", (json_int_t)atomic_load(&s->in), "out",
                                                (json_int_t)atomic_load(&s->out), "errors",
                                                (json_int_t)atomic_load(&s->errors), "busy_ms",
                                                (double)atomic_load(&s->busy_ns) / 1e6));
    }
    for (size_t i = 0; i < p->nsinks; i++) {
        sink_slot *s = &p->sinks[i];
        char last_error[sizeof s->last_error];
        pthread_mutex_lock(&p->error_lock);
        memcpy(last_error, s->last_error, sizeof last_error);
        pthread_mutex_unlock(&p->error_lock);
        json_array_append_new(
            sinks, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "name", s->sink->name, "type",
                             s->sink->ops->type, "records", (json_int_t)atomic_load(&s->records),
                             "batches", (json_int_t)atomic_load(&s->batches), "retries",
                             (json_int_t)atomic_load(&s->retries), "failures",
                             (json_int_t)atomic_load(&s->failures), "last_error", last_error));
    }
    return json_pack(
        "{s:s, s:{s:s, s:I, s:I}, s:o, s:o, s:{s:I, s:I}, s:I, s:I}", "name", p->name, "source",
        "type", p->source->ops->type, "records", (json_int_t)atomic_load(&p->flow.records), "bad",
        (json_int_t)atomic_load(&p->flow.bad), "stages", stages, "sinks", sinks, "queues", "in",
        (json_int_t)atomic_load(&p->q_in.depth), "out", (json_int_t)atomic_load(&p->q_out.depth),
        "dead_letters", (json_int_t)sl_deadletter_count(p->dead), "committed",
        (json_int_t)atomic_load(&p->committed));
}

void sl_pipeline_prometheus(sl_pipeline *p, FILE *out) {
    fprintf(out,
            "sluice_pipeline_records_total{pipeline=\"%s\",stage=\"parser\",dir=\"out\"} %llu\n",
            p->name, (unsigned long long)atomic_load(&p->flow.records));
    fprintf(out, "sluice_pipeline_errors_total{pipeline=\"%s\",stage=\"parser\"} %llu\n", p->name,
            (unsigned long long)atomic_load(&p->flow.bad));
    for (size_t i = 0; i < p->nstages; i++) {
        sl_stage_stats *s = &p->stages[i]->stats;
        const char *n = p->stages[i]->name;
        fprintf(out,
                "sluice_pipeline_records_total{pipeline=\"%s\",stage=\"%s\",dir=\"in\"} %llu\n"
                "sluice_pipeline_records_total{pipeline=\"%s\",stage=\"%s\",dir=\"out\"} %llu\n"
                "sluice_pipeline_errors_total{pipeline=\"%s\",stage=\"%s\"} %llu\n"
                "sluice_pipeline_stage_seconds_total{pipeline=\"%s\",stage=\"%s\"} %.6f\n",
                p->name, n, (unsigned long long)atomic_load(&s->in), p->name, n,
                (unsigned long long)atomic_load(&s->out), p->name, n,
                (unsigned long long)atomic_load(&s->errors), p->name, n,
                (double)atomic_load(&s->busy_ns) / 1e9);
    }
    for (size_t i = 0; i < p->nsinks; i++)
        fprintf(out,
                "sluice_pipeline_records_total{pipeline=\"%s\",stage=\"sink:%s\",dir=\"in\"} %llu\n"
                "sluice_pipeline_sink_retries_total{pipeline=\"%s\",sink=\"%s\"} %llu\n",
                p->name, p->sinks[i].sink->name,
                (unsigned long long)atomic_load(&p->sinks[i].records), p->name,
                p->sinks[i].sink->name, (unsigned long long)atomic_load(&p->sinks[i].retries));
    fprintf(out,
            "sluice_pipeline_queue_depth{pipeline=\"%s\",queue=\"in\"} %zu\n"
            "sluice_pipeline_queue_depth{pipeline=\"%s\",queue=\"out\"} %zu\n"
            "sluice_pipeline_dead_letters_total{pipeline=\"%s\"} %llu\n",
            p->name, atomic_load(&p->q_in.depth), p->name, atomic_load(&p->q_out.depth), p->name,
            (unsigned long long)sl_deadletter_count(p->dead));
}
