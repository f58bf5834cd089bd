/*
 * feed.c - the parser side of a source: one parser per input stream, of the pipeline's
 * format (parser.h), filling batches and handing them to the engine's queue (source.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/engine_impl.h"

struct sl_feed {
    sl_flow *flow;
    sl_parser *parser;
    sl_batch *batch;   /* being filled */
    uint64_t last_end; /* where the last batch handed on ended */
    bool needs_header; /* resumed past the stream's first line, which it needs: sl_feed_header */
    uint64_t start;
};

bool sl_flow_stopping(const sl_flow *flow) {
    return atomic_load(&flow->stopping);
}

int sl_flow_linger_ms(const sl_flow *flow) {
    return flow->linger_ms;
}

/* Hands a batch to the stage thread, waiting while its queue is full (backpressure). */
static void hand_on(void *ctx, sl_batch *b) {
    sl_feed *f = ctx;
    if (!b->n) {
        sl_batch_free(b);
        return;
    }
    atomic_fetch_add(&f->flow->records, b->n);
    sl_msg m = {.batch = b, .start = f->last_end, .end = b->pos[b->n - 1]};
    f->last_end = m.end;
    if (!sl_queue_push(f->flow->out, m, NULL)) sl_batch_free(b);
}

static void on_bad(void *ctx, const sl_bad_record *bad) {
    sl_feed *f = ctx;
    char reason[512];
    snprintf(reason, sizeof reason, "line %llu: %s", (unsigned long long)bad->line, bad->reason);
    sl_deadletter_raw(f->flow->dead, "parser", reason, bad->raw, bad->len);
    atomic_fetch_add(&f->flow->bad, 1);
}

bool sl_feed_prepare(const sl_conf_ctx *c, const json_t *parser, sl_parse_opts *o) {
    bool ok = true;
    *o = (sl_parse_opts){0};
    const char *type = sl_conf_str(c, parser, "type", NULL, &ok);
    if (!ok) return false;
    const sl_parser_ops *ops = sl_parser_find(type);
    char known[128];
    if (!ops)
        return sl_conf_fail(c, parser, "unknown parser \"%s\" (known: %s)", type,
                            sl_parser_names(known, sizeof known));
    if (!sl_conf_only(c, parser, ops->keys) || !(o->settings = ops->prepare(c, parser)))
        return false;
    o->ops = ops;
    return true;
}

void sl_parse_opts_free(sl_parse_opts *o) {
    if (o->ops) o->ops->settings_free(o->settings);
    *o = (sl_parse_opts){0};
}

sl_feed *sl_feed_new(sl_flow *flow, uint64_t start) {
    sl_feed *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->flow = flow;
    f->last_end = start;
    f->start = start;
    const sl_parse_opts *po = &flow->parse;
    sl_parser_env env = {
        .batch_size = flow->batch_size, .on_batch = hand_on, .on_bad = on_bad, .ctx = f};
    sl_error err;
    if (!(f->parser = po->ops->make(po->settings, &env, &err))) {
        fprintf(stderr, "sluice: parser: %s\n", err.message);
        free(f);
        return NULL;
    }
    /* resuming mid-stream: line numbers restart; a parser that needs the first line (CSV's
     * header) gets it from the source first (sl_feed_header), else it would take the first
     * record for it */
    f->needs_header = start && po->ops->needs_first_line(po->settings);
    if (start && !f->needs_header) sl_parser_seek(f->parser, start, 1);
    return f;
}

bool sl_feed_wants_header(const sl_feed *f) {
    return f->needs_header;
}

void sl_feed_header(sl_feed *f, const char *line, size_t len) {
    if (!f->needs_header) return;
    sl_parser_bytes(f->parser, line, len, &f->batch);
    sl_parser_seek(f->parser, f->start, 2);
    f->needs_header = false;
}

bool sl_feed_bytes(sl_feed *f, const char *data, size_t len) {
    sl_parser_bytes(f->parser, data, len, &f->batch);
    return !sl_flow_stopping(f->flow);
}

bool sl_feed_flush(sl_feed *f) {
    if (f->batch && f->batch->n) {
        sl_batch *b = f->batch;
        f->batch = NULL;
        hand_on(f, b);
    }
    return !sl_flow_stopping(f->flow);
}

void sl_feed_end(sl_feed *f) {
    if (!f) return;
    sl_parser_finish(f->parser, &f->batch);
    sl_feed_flush(f);
    sl_batch_free(f->batch);
    sl_parser_free(f->parser);
    free(f);
}
