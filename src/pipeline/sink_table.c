/* sink_table.c - what the database sinks share (sink_table.h). */
#include "pipeline/sink_table.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

sl_ftype sl_sink_field_type(const sl_batch *b, uint32_t f) {
    const sl_schema *s = b->schema;
    if (s->types && s->types[f] != SL_F_NULL) return s->types[f];
    for (uint32_t i = 0; i < b->n; i++) {
        sl_ftype t = sl_batch_row(b, i)[f].type;
        if (t != SL_F_NULL) return t;
    }
    return SL_F_NULL;
}

char *sl_sink_quote_ident(const char *s) {
    size_t n = strlen(s), q = 0;
    for (size_t i = 0; i < n; i++)
        q += s[i] == '"';
    char *out = malloc(n + q + 3), *p = out;
    if (!out) return NULL;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') *p++ = '"';
        *p++ = s[i];
    }
    *p++ = '"';
    *p = 0;
    return out;
}

void sl_rejects_add(sl_rejects *r, uint32_t i, const char *why) {
    /* two arrays of one capacity: idx grows first, on a copy of it (the same need gives the
     * same size), so that r->cap never exceeds either */
    size_t icap = r->cap;
    if (!sl_grow(&r->idx, &icap, r->n + 1, sizeof *r->idx) ||
        !sl_grow(&r->why, &r->cap, r->n + 1, sizeof *r->why))
        return;
    r->idx[r->n] = i;
    r->why[r->n++] = strdup(why);
}

bool sl_rejects_has(const sl_rejects *r, uint32_t i) {
    /* Indices are added in order. */
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->idx[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->idx[lo] == i;
}

void sl_rejects_clear(sl_rejects *r) {
    for (size_t i = 0; i < r->n; i++)
        free(r->why[i]);
    free(r->idx);
    free(r->why);
    *r = (sl_rejects){0};
}

void sl_rejects_flush(sl_rejects *r, sl_deadletter *dead, const char *stage, const sl_batch *b) {
    for (size_t i = 0; i < r->n; i++)
        if (r->idx[i] < b->n)
            sl_deadletter_record(dead, stage, r->why[i] ? r->why[i] : "rejected", b, r->idx[i]);
    sl_rejects_clear(r);
}
