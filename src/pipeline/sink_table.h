/*
 * sink_table.h - what the database sinks (sink_sqlite.c, sink_postgres.c) share: the column
 * type a field gets, SQL identifier quoting, and the list of records a transaction rejected
 * (kept until it commits, so that a retried batch does not report them twice).
 */
#ifndef SL_PIPELINE_SINK_TABLE_H
#define SL_PIPELINE_SINK_TABLE_H

#include "pipeline/deadletter.h"
#include "pipeline/record.h"

/* The type a field's column gets: its declared type, else the first non-null value's. */
sl_ftype sl_sink_field_type(const sl_batch *b, uint32_t f);
/* "name" with inner quotes doubled (malloc'd; NULL when out of memory). */
char *sl_sink_quote_ident(const char *s);

/* Records rejected during a transaction, with the reason for each, in index order. */
typedef struct sl_rejects {
    uint32_t *idx;
    char **why;
    size_t n, cap;
} sl_rejects;

void sl_rejects_add(sl_rejects *r, uint32_t i, const char *why);
bool sl_rejects_has(const sl_rejects *r, uint32_t i);
/* Empties the list (and frees it). */
void sl_rejects_clear(sl_rejects *r);
/* The transaction committed: each rejected record of b goes to the dead letter; then clears. */
void sl_rejects_flush(sl_rejects *r, sl_deadletter *dead, const char *stage, const sl_batch *b);

#endif
