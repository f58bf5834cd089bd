/*
 * parser_batch.c - what the input formats share (parser.h): making the batch they fill
 * ready for a schema, and the carry buffer of a record cut by the end of a chunk.
 */
#include "pipeline/parser.h"

#include <string.h>

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

bool sl_carry_append(sl_buf *carry, size_t limit, bool *overflow, const char *s, size_t n) {
    if (carry->len + n > limit) {
        *overflow = true;
        n = limit - carry->len;
    }
    return sl_buf_append(carry, s, n);
}
