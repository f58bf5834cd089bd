/*
 * record.h - the records that flow through a pipeline (docs/pipeline.md).
 *
 * Records travel in batches: a batch holds n records of one schema (field names, shared and
 * reference counted), their values row by row, and one arena for the bytes of their
 * strings. Sources and parsers fill batches, stages map batches to batches, sinks write them.
 * A batch is the unit of queueing, of acknowledgement (every record carries the position of
 * the source input it came from) and of a Wasm function call in batch mode, so that per-
 * record costs stay small (the benchmark target is a million records a second per core).
 *
 * Values are typed: the CSV parser gives declared types (string, int, float, bool,
 * timestamp) or strings; JSON gives what the JSON says (numbers with no fraction or exponent
 * as int, others as float). A timestamp is microseconds since 1970-01-01T00:00:00Z.
 */
#ifndef SL_PIPELINE_RECORD_H
#define SL_PIPELINE_RECORD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sl_ftype {
    SL_F_NULL,   /* no value (a missing or empty field) */
    SL_F_STRING, /* bytes in the batch's arena (UTF-8 from parsers; not NUL-terminated) */
    SL_F_INT,    /* int64 */
    SL_F_FLOAT,  /* double */
    SL_F_BOOL,
    SL_F_TIME, /* int64 microseconds since the Unix epoch, UTC */
} sl_ftype;

typedef struct sl_value {
    uint8_t type; /* sl_ftype */
    uint32_t len; /* SL_F_STRING: byte length */
    union {
        int64_t i; /* SL_F_INT, SL_F_TIME */
        double f;
        bool b;
        uint64_t off; /* SL_F_STRING: offset in the batch's arena */
    } v;
} sl_value;

/* Field names (and, for CSV with declared columns, their declared types), immutable once
 * shared. */
typedef struct sl_schema {
    atomic_int refs;
    uint32_t nfields;
    char **names;    /* NUL-terminated, unique */
    sl_ftype *types; /* declared types; SL_F_NULL = as parsed */
} sl_schema;

/* A new schema with refs = 1 (names and types are copied; types may be NULL). */
sl_schema *sl_schema_new(const char *const *names, const sl_ftype *types, uint32_t nfields);
sl_schema *sl_schema_ref(sl_schema *s);
void sl_schema_unref(sl_schema *s);
/* The index of field `name`, or -1. */
int sl_schema_find(const sl_schema *s, const char *name, size_t len);

typedef struct sl_batch {
    sl_schema *schema; /* holds a reference */
    uint32_t n, cap;   /* records */
    sl_value *values;  /* n * schema->nfields, row-major */
    uint64_t *pos;     /* per record: where its source input ends (file offset, sequence
                          number): a source may forget input once every record before that
                          position has been committed by all sinks */
    char *arena;       /* string bytes */
    size_t arena_len, arena_cap;
} sl_batch;

sl_batch *sl_batch_new(sl_schema *schema, uint32_t cap); /* holds its own reference to schema */
void sl_batch_free(sl_batch *b);
/* Empties the batch, keeping its memory (and schema). */
void sl_batch_clear(sl_batch *b);
/* Appends a record with every field SL_F_NULL; returns its values (nfields of them), or NULL
 * when out of memory. */
sl_value *sl_batch_add(sl_batch *b, uint64_t pos);
/* Sets *v to a string copied into the arena; false when out of memory. Note: the arena may
 * move, so never keep pointers into it across calls; use sl_batch_str to read. */
bool sl_batch_set_str(sl_batch *b, sl_value *v, const char *s, size_t len);
const char *sl_batch_str(const sl_batch *b, const sl_value *v); /* not NUL-terminated */
static inline sl_value *sl_batch_row(const sl_batch *b, uint32_t i) {
    return b->values + (size_t)i * b->schema->nfields;
}

/* Gives b the schema s, whose first fields are b's fields (more may follow): the records get
 * null for the new fields. False when out of memory or s does not extend b's schema. */
bool sl_batch_widen(sl_batch *b, sl_schema *s);
/* Whether two schemas have the same names and declared types. */
bool sl_schema_same(const sl_schema *a, const sl_schema *b);

/* ISO 8601 timestamps: "2026-11-24T08:15:00Z", "...T08:15:00.250+01:00", "2026-11-24 08:15:00"
 * (no zone = UTC), "2026-11-24" (midnight UTC). False when s[0..len) is not one. */
bool sl_parse_time(const char *s, size_t len, int64_t *us);
/* Writes a timestamp as "2026-11-24T08:15:00Z" (with ".ffffff" when it has microseconds);
 * returns the length (at most 32; buf must hold 33). */
size_t sl_format_time(int64_t us, char *buf);

#endif
