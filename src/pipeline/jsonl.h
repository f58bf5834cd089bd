/*
 * jsonl.h - an incremental JSON lines parser: one JSON object per line, to records.
 *
 * Lines end with LF (a CR before it is JSON whitespace); blank lines are skipped. Values map
 * as in json_reader.h: strings, ints (no fraction or exponent, in int64 range), floats, bools,
 * null; nested arrays and objects are kept as their JSON text; hint types turn strings into
 * timestamps and ints into floats.
 *
 * Schemas: the first object's keys, in order, are the schema. A later object may lack keys
 * (they are null) or list them in another order. When one brings keys the schema lacks, the
 * parser makes a new schema, the old fields then the new keys in the object's order, and uses
 * it from that record on: batches stay single-schema because the current batch, if it holds
 * records, is handed to on_batch and a new batch of the new schema is started. Without
 * on_batch, the current batch is widened in place instead (its earlier records get null for
 * the new fields). The schema only grows, so a stream with a stable key set makes one schema.
 *
 * A line that is not a JSON object, or longer than max_line, goes to on_bad (with its line
 * number and a reason such as "invalid JSON: expected ':' after an object key at column 12")
 * and parsing continues with the next line.
 */
#ifndef SL_PIPELINE_JSONL_H
#define SL_PIPELINE_JSONL_H

#include "pipeline/parser.h"

typedef struct sl_jsonl_opts {
    sl_schema *hint;    /* declared types by field name (may be NULL; referenced) */
    size_t max_line;    /* longest line in bytes; 0 = 1 MiB */
    uint32_t batch_cap; /* capacity of the batches the parser makes; 0 = 1024 */
    uint32_t batch_max; /* with on_batch: hand over a batch once it holds this many (0: never) */
    sl_batch_fn on_batch;
    sl_bad_record_fn on_bad;
    void *ctx;
} sl_jsonl_opts;

/* A JSON-lines parser (parser.h: fed with sl_parser_bytes, freed with sl_parser_free): a
 * batch is made when *bp is NULL and replaced on a schema change (see above and
 * sl_batch_ready); a record's pos is the stream offset just after its line. NULL (and the
 * reason in err) when out of memory. */
sl_parser *sl_jsonl_new(const sl_jsonl_opts *opts, sl_error *err);

/* The format `json` of a pipeline's parser section (max_line). */
extern const sl_parser_ops sl_jsonl_parser;

#endif
