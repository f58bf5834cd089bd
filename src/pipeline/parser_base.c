/*
 * parser_base.c - what the input formats share (parser.h): the state every parser keeps,
 * fatal errors and bad lines, the batch they fill, and the carry buffer of a record cut by
 * the end of a chunk.
 */
#include "pipeline/parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_LINE  (1u << 20)
#define DEFAULT_BATCH_CAP 1024

void sl_parser_init(sl_parser *p, const sl_parser_ops *ops, size_t max_line, uint32_t batch_cap,
                    uint32_t batch_max, sl_batch_fn on_batch, sl_bad_record_fn on_bad, void *ctx) {
    *p = (sl_parser){
        .ops = ops,
        .max_line = max_line ? max_line : DEFAULT_MAX_LINE,
        .batch_cap = batch_cap ? batch_cap : DEFAULT_BATCH_CAP,
        .batch_max = batch_max,
        .on_batch = on_batch,
        .on_bad = on_bad,
        .ctx = ctx,
        .line = 1,
    };
}

void sl_parser_done(sl_parser *p) {
    sl_schema_unref(p->schema);
    sl_buf_free(&p->carry);
}

bool sl_parser_fail(sl_parser *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    p->failed = true;
    return false;
}

void sl_parser_bad(sl_parser *p, const char *raw, size_t len, uint64_t line, uint64_t pos,
                   const char *fmt, ...) {
    p->nbad++;
    if (!p->on_bad) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
    sl_bad_record r = {
        .raw = raw,
        .len = len < p->max_line ? len : p->max_line,
        .line = line,
        .pos = pos,
        .reason = p->reason,
    };
    p->on_bad(p->ctx, &r);
}

bool sl_batch_ready(sl_batch **bp, sl_schema *s, uint32_t cap, sl_batch_fn on_batch, void *ctx) {
    sl_batch *b = *bp;
    if (b && sl_schema_same(b->schema, s)) return true;
    if (b && b->n == 0) {
        /* Keep the memory: the values array holds cap * nfields values. */
        size_t oldf = b->schema->nfields ? b->schema->nfields : 1;
        size_t newf = s->nfields ? s->nfields : 1;
        size_t fit = (size_t)b->cap * oldf / newf;
        b->cap = fit < b->cap ? (uint32_t)fit : b->cap;
        b->arena_len = 0;
        sl_schema_ref(s);
        sl_schema_unref(b->schema);
        b->schema = s;
        return true;
    }
    if (b) {
        if (!on_batch) return sl_batch_widen(b, s);
        on_batch(ctx, b);
        *bp = NULL;
    }
    return (*bp = sl_batch_new(s, cap)) != NULL;
}

bool sl_parser_carry(sl_parser *p, size_t limit, const char *s, size_t n) {
    if (p->carry.len + n > limit) {
        p->overflow = true;
        n = limit - p->carry.len;
    }
    return sl_buf_append(&p->carry, s, n);
}
