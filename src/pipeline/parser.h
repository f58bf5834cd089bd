/*
 * parser.h - the one interface of the input formats (csv.c, jsonl.c): bytes in, records out.
 *
 * A format is a table of operations (sl_parser_ops) and a line in parser.c's list of
 * formats; the feed (feed.c) and the engine only ever call through the table, so that a new
 * format is one new file and one table entry.
 *
 * A parser is fed bytes in chunks of any size (a record may span chunks); it appends each
 * complete record to the caller's batch, with pos = the stream offset just after the record's
 * input, so that a file source can resume there (seek). A line that does not become a record
 * goes to on_bad and parsing goes on; only a fatal error (a bad header, a misused batch, no
 * memory) makes bytes or finish return false, and sl_parser_error says why.
 */
#ifndef SL_PIPELINE_PARSER_H
#define SL_PIPELINE_PARSER_H

#include <jansson.h>

#include "base/buf.h"
#include "pipeline/conf.h"
#include "pipeline/record.h"
#include "sluice.h"

/* A line that did not become a record (for a dead-letter sink). Valid during the call. */
typedef struct sl_bad_record {
    const char *raw; /* the line's bytes without its line break (cut at the parser's line limit) */
    size_t len;
    uint64_t line;      /* 1-based number of the line where the record starts */
    uint64_t pos;       /* stream offset just after the line, as a record there would have had */
    const char *reason; /* e.g. "field 3 (\"temp\"): \"abc\" is not a float" */
} sl_bad_record;
typedef void (*sl_bad_record_fn)(void *ctx, const sl_bad_record *bad);
/* Receives a finished batch (and owns it from then on). */
typedef void (*sl_batch_fn)(void *ctx, sl_batch *b);

/* What a parser made for a pipeline hands its output to. */
typedef struct sl_parser_env {
    uint32_t batch_size; /* a batch that holds this many records goes to on_batch */
    sl_batch_fn on_batch;
    sl_bad_record_fn on_bad;
    void *ctx; /* for on_batch and on_bad */
} sl_parser_env;

typedef struct sl_parser sl_parser;
typedef struct sl_parser_ops {
    const char *name;        /* the parser section's `type:` */
    const char *const *keys; /* the section's settings (NULL-terminated), for sl_conf_only */
    /* Reads and checks the `parser:` section, once at load: the settings every stream's parser
     * is made from (NULL with the message in c->err). */
    void *(*prepare)(const sl_conf_ctx *c, const json_t *section);
    void (*settings_free)(void *settings);
    /* A parser for one stream, from prepared settings (NULL with the reason in err). */
    sl_parser *(*make)(const void *settings, const sl_parser_env *env, sl_error *err);
    /* Whether a parser resumed past the start of its stream must first be given the stream's
     * first line (CSV's header), with bytes() and then seek(start, 2). */
    bool (*needs_first_line)(const void *settings);

    /* Parses data[0..len) after the bytes fed before, appending complete records to *bp: when
     * *bp is NULL a batch is made; one the caller gives must have the parser's schema. */
    bool (*bytes)(sl_parser *p, const char *data, size_t len, sl_batch **bp);
    /* The end of the input: parses a last record that lacks its line break. */
    bool (*finish)(sl_parser *p, sl_batch **bp);
    /* Continue at stream offset pos, which starts line `line` (1-based; 0 = 1). False (and no
     * change) in the middle of a record. */
    bool (*seek)(sl_parser *p, uint64_t pos, uint64_t line);
    void (*free)(sl_parser *p); /* calls sl_parser_done */
} sl_parser_ops;

/* Every parser starts with this: its operations, and the state every format keeps the same
 * way (set by sl_parser_init, used by the helpers below). */
struct sl_parser {
    const sl_parser_ops *ops;
    size_t max_line;         /* longest line in bytes (line breaks excluded) */
    uint32_t batch_cap;      /* capacity of the batches the parser makes */
    uint32_t batch_max;      /* with on_batch: hand over a batch once it holds this many */
    sl_batch_fn on_batch;    /* may be NULL */
    sl_bad_record_fn on_bad; /* may be NULL: bad lines are then only counted */
    void *ctx;               /* for on_batch and on_bad */
    sl_schema *schema;       /* the current schema, or NULL */
    sl_buf carry;            /* a record cut by the end of a chunk */
    bool overflow;           /* carry passed its limit: only its first bytes are kept */
    uint64_t off;            /* stream offset of the next byte fed */
    uint64_t line;           /* line number where the next record starts */
    uint64_t nbad;           /* lines reported to on_bad */
    bool failed;             /* a fatal error: err says why */
    char err[256];
    char reason[320]; /* the bad line's, during on_bad */
};

/* The format called `name`, or NULL. */
const sl_parser_ops *sl_parser_find(const char *name);
/* "csv, json": the known formats, for messages, written to buf (len bytes); returns buf. */
const char *sl_parser_names(char *buf, size_t len);

static inline bool sl_parser_bytes(sl_parser *p, const char *data, size_t len, sl_batch **bp) {
    return p->ops->bytes(p, data, len, bp);
}
static inline bool sl_parser_finish(sl_parser *p, sl_batch **bp) {
    return p->ops->finish(p, bp);
}
static inline bool sl_parser_seek(sl_parser *p, uint64_t pos, uint64_t line) {
    return p->ops->seek(p, pos, line);
}
static inline void sl_parser_free(sl_parser *p) {
    if (p) p->ops->free(p);
}
/* The current schema; NULL before the first record (or CSV's header). */
static inline sl_schema *sl_parser_schema(const sl_parser *p) {
    return p->schema;
}
/* Why bytes() or finish() failed (NULL if they did not). */
static inline const char *sl_parser_error(const sl_parser *p) {
    return p->failed ? p->err : NULL;
}
/* Lines that went to on_bad so far. */
static inline uint64_t sl_parser_bad_count(const sl_parser *p) {
    return p->nbad;
}

/* ---- What the formats share (parser_base.c) --------------------------------------------- */

/* The state of struct sl_parser from the options every format has (0: the defaults, 1 MiB
 * lines and batches of 1024); line 1 at offset 0. */
void sl_parser_init(sl_parser *p, const sl_parser_ops *ops, size_t max_line, uint32_t batch_cap,
                    uint32_t batch_max, sl_batch_fn on_batch, sl_bad_record_fn on_bad, void *ctx);
/* Frees what sl_parser_init and the helpers hold (not p itself). */
void sl_parser_done(sl_parser *p);
/* A fatal error: sets failed and err (printf-style); returns false. */
bool sl_parser_fail(sl_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line that does not become a record: counted, and handed to on_bad with its bytes (cut at
 * max_line) and the reason (printf-style). */
void sl_parser_bad(sl_parser *p, const char *raw, size_t len, uint64_t line, uint64_t pos,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Hands *bp to on_batch once it holds batch_max records (*bp is then NULL). Inline: it runs
 * once per record. */
static inline void sl_parser_batch_full(sl_parser *p, sl_batch **bp) {
    if (p->on_batch && p->batch_max && (*bp)->n >= p->batch_max) {
        p->on_batch(p->ctx, *bp);
        *bp = NULL;
    }
}

/* The parsers append to a caller's batch given as sl_batch **bp: when *bp is NULL, they make
 * one (sl_batch_new(schema, cap)) before adding the first record. sl_batch_ready makes *bp a
 * batch of schema s: a batch of another schema is handed to on_batch when it has records
 * (freed when empty) and replaced; without on_batch, a batch with records is widened in
 * place when s extends its schema (sl_batch_widen), and anything else is an error (false). */
bool sl_batch_ready(sl_batch **bp, sl_schema *s, uint32_t cap, sl_batch_fn on_batch, void *ctx);

/* Appends s[0..n) to p->carry, keeping at most limit bytes; past it the rest is dropped and
 * p->overflow set (the line is then too long). False when out of memory. */
bool sl_parser_carry(sl_parser *p, size_t limit, const char *s, size_t n);

#endif
