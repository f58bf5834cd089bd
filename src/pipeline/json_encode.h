/*
 * json_encode.h - batches to JSON text (functions take batches as JSON; the file and http
 * sinks write it), in three shapes:
 *   SL_JSON_LINES    {"a":1,"b":"x"}\n{"a":2,"b":"y"}\n   one object per record
 *   SL_JSON_ARRAY    [{"a":1,"b":"x"},{"a":2,"b":"y"}]
 *   SL_JSON_COLUMNS  {"a":[1,2],"b":["x","y"]}
 * Every field is written, nulls included, in schema order. Timestamps become ISO 8601 strings
 * ("2026-11-24T08:15:00Z"), floats the shortest text that reads back as the same double
 * (always with a '.' or an exponent, so that they decode as floats again), NaN and infinities
 * null. Strings that are not valid UTF-8 (CSV passes a file's bytes through) get U+FFFD for
 * each bad byte.
 */
#ifndef SL_PIPELINE_JSON_ENCODE_H
#define SL_PIPELINE_JSON_ENCODE_H

#include "base/buf.h"
#include "pipeline/record.h"

typedef enum sl_json_shape {
    SL_JSON_LINES,   /* one object per record, each followed by '\n' */
    SL_JSON_ARRAY,   /* an array of objects */
    SL_JSON_COLUMNS, /* one object, one array per field */
} sl_json_shape;

/* Appends batch b as JSON text to out; false when out of memory. */
bool sl_json_encode(const sl_batch *b, sl_json_shape shape, sl_buf *out);
/* Appends s[0..n) as a JSON string (quoted and escaped; bytes that are not UTF-8 as
 * U+FFFD). */
bool sl_json_put_str(sl_buf *out, const char *s, size_t n);
/* Appends record i of b as one JSON object (no newline), for a per-record function call. */
bool sl_json_encode_record(const sl_batch *b, uint32_t i, sl_buf *out);

#endif
