/*
 * helpers.h - shared by the pipeline unit tests: collecting bad lines and batches, and
 * comparing records through their JSON text.
 */
#ifndef SLUICE_TEST_PIPELINE_HELPERS_H
#define SLUICE_TEST_PIPELINE_HELPERS_H

#include "../unit/check.h"
#include <stdio.h>

#include "base/buf.h"
#include "pipeline/csv.h"
#include "pipeline/json_decode.h"
#include "pipeline/json_encode.h"
#include "pipeline/jsonl.h"
#include "pipeline/num_format.h"
#include "pipeline/num_parse.h"
#include "pipeline/parser.h"

/* sl_csv_new and sl_jsonl_new with the reason in a test's char buffer. */
static inline sl_parser *csv_new(const sl_csv_opts *o, char *err, size_t n) {
    sl_error e;
    sl_parser *p = sl_csv_new(o, &e);
    if (!p) snprintf(err, n, "%s", e.message);
    return p;
}
static inline sl_parser *jsonl_new(const sl_jsonl_opts *o, char *err, size_t n) {
    sl_error e;
    sl_parser *p = sl_jsonl_new(o, &e);
    if (!p) snprintf(err, n, "%s", e.message);
    return p;
}

/* Bad lines reported by a parser (copies). */
typedef struct bad_line {
    char raw[256];
    size_t len;
    uint64_t line, pos;
    char reason[256];
} bad_line;

typedef struct collector {
    bad_line bad[64];
    int nbad;
    sl_batch *batches[64]; /* handed over by on_batch */
    int nbatches;
} collector;

void collect_bad(void *ctx, const sl_bad_record *r);
void collect_batch(void *ctx, sl_batch *b);
void collector_free(collector *c);

/* Record i of b as a JSON object (malloc'd). */
char *row_json(const sl_batch *b, uint32_t i);
/* All of b as JSON lines (malloc'd; "" for no records). */
char *batch_lines(const sl_batch *b);

bool check_str(const char *got, const char *want, const char *expr, const char *file, int line);
/* Compares strings; frees got (which may be NULL). */
#define CHECK_STR(got, want) check_str((got), (want), #got, __FILE__, __LINE__)

#endif
