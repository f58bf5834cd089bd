/*
 * codec.h - batches to JSON text and back, and what the parsers (csv.h, jsonl.h) share.
 *
 * Encoding (functions take batches as JSON) has three shapes:
 *   SL_JSON_LINES    {"a":1,"b":"x"}\n{"a":2,"b":"y"}\n   one object per record
 *   SL_JSON_ARRAY    [{"a":1,"b":"x"},{"a":2,"b":"y"}]
 *   SL_JSON_COLUMNS  {"a":[1,2],"b":["x","y"]}
 * Every field is written, nulls included, in schema order. Timestamps become ISO 8601 strings
 * ("2026-11-24T08:15:00Z"), floats the shortest text that reads back as the same double
 * (always with a '.' or an exponent, so that they decode as floats again), NaN and infinities
 * null. Strings that are not valid UTF-8 (CSV passes a file's bytes through) get U+FFFD for
 * each bad byte.
 *
 * Decoding (functions answer with JSON) accepts one object (one record), an array of objects
 * (records; the schema is the union of their keys in order of first appearance, a missing key
 * is null), or a columnar object (every member an array, all of one length: that many
 * records). A lone object whose members are all arrays is read as columnar. Numbers without
 * fraction or exponent that fit int64 are ints, other numbers floats; nested arrays and
 * objects inside a record are kept as their JSON text (a string).
 */
#ifndef SL_PIPELINE_CODEC_H
#define SL_PIPELINE_CODEC_H

#include "pipeline/record.h"

/* ---- Encoding ---------------------------------------------------------------------------- */

/* A growable text buffer; functions append to it. Zero-initialize; free with sl_text_free. */
typedef struct sl_text {
    char *data; /* not NUL-terminated */
    size_t len, cap;
} sl_text;
void sl_text_free(sl_text *t);

typedef enum sl_json_shape {
    SL_JSON_LINES,   /* one object per record, each followed by '\n' */
    SL_JSON_ARRAY,   /* an array of objects */
    SL_JSON_COLUMNS, /* one object, one array per field */
} sl_json_shape;

/* Appends batch b as JSON text; false when out of memory. */
bool sl_json_encode(const sl_batch *b, sl_json_shape shape, sl_text *out);
/* Appends record i of b as one JSON object (no newline), for a per-record function call. */
bool sl_json_encode_record(const sl_batch *b, uint32_t i, sl_text *out);

/* ---- Decoding ---------------------------------------------------------------------------- */

/* JSON text s[0..len) as a new batch whose records all have position pos. hint (may be NULL)
 * gives declared types by field name: a string in a field declared SL_F_TIME becomes a
 * timestamp when it parses as one, an int in a field declared SL_F_FLOAT a float; otherwise
 * strings stay strings. NULL on error, with a message in err ("JSON: ... at line 1, column 9",
 * or "columnar object: \"b\" has 3 values but \"a\" has 2"). */
sl_batch *sl_json_decode(const char *s, size_t len, const sl_schema *hint, uint64_t pos, char *err,
                         size_t errsize);

/* ---- Values ------------------------------------------------------------------------------ */

/* Text to values, as the CSV parser reads declared columns (no surrounding space). */
bool sl_parse_int(const char *s, size_t len, int64_t *out);  /* [+-]digits, in range */
bool sl_parse_float(const char *s, size_t len, double *out); /* decimal, inf, nan */
bool sl_parse_bool(const char *s, size_t len, bool *out);    /* true/false/t/f/yes/no/1/0 */
/* The shortest text that reads back as d, in JSON syntax, with a '.' or an exponent: "0.1",
 * "3.0", "1e+300"; NaN and infinities (not JSON) as "NaN", "Infinity", "-Infinity". NUL-
 * terminated; returns the length (at most 25; buf must hold 32 bytes). */
size_t sl_format_float(double d, char *buf);

/* ---- What the parsers share -------------------------------------------------------------- */

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

/* The parsers append to a caller's batch given as sl_batch **bp: when *bp is NULL, they make
 * one (sl_batch_new(schema, cap)) before adding the first record. sl_batch_ready makes *bp a
 * batch of schema s: a batch of another schema is handed to on_batch when it has records
 * (freed when empty) and replaced; without on_batch, a batch with records is widened in
 * place when s extends its schema (sl_batch_widen), and anything else is an error (false). */
bool sl_batch_ready(sl_batch **bp, sl_schema *s, uint32_t cap, sl_batch_fn on_batch, void *ctx);
/* Gives b the schema s, whose first fields are b's fields (more may follow): the records get
 * null for the new fields. False when out of memory or s does not extend b's schema. */
bool sl_batch_widen(sl_batch *b, sl_schema *s);
/* Whether two schemas have the same names and declared types. */
bool sl_schema_same(const sl_schema *a, const sl_schema *b);

/* The parsers' carry buffer (a record cut by the end of a chunk): appends s[0..n) to *buf
 * (*len used, *cap allocated), keeping at most limit bytes; past it the rest is dropped and
 * *overflow set (the line is then too long). False when out of memory. */
bool sl_carry_append(char **buf, size_t *len, size_t *cap, size_t limit, bool *overflow,
                     const char *s, size_t n);

/* Internal to the pipeline's parsers (codec.c, jsonl.c): one JSON object at a time. */
typedef struct sl_json_reader sl_json_reader;
sl_json_reader *sl_json_reader_new(const sl_schema *hint); /* hint may be NULL; not copied */
void sl_json_reader_free(sl_json_reader *r);
/* Parses s[0..len) as exactly one JSON object (whitespace around it allowed). On false,
 * sl_json_reader_error gives the reason and the byte offset in s where it was found. */
bool sl_json_reader_parse(sl_json_reader *r, const char *s, size_t len);
const char *sl_json_reader_error(const sl_json_reader *r, size_t *offset);
/* Maps the parsed object's keys to fields of s; returns how many keys s lacks. */
uint32_t sl_json_reader_map(sl_json_reader *r, const sl_schema *s);
/* A new schema: s's fields (s may be NULL: then all the keys), then the keys that
 * sl_json_reader_map found missing, in the object's order, with declared types from the hint;
 * the object is mapped to it. NULL when out of memory. */
sl_schema *sl_json_reader_extend(sl_json_reader *r, const sl_schema *s);
/* Appends the parsed object to b, whose schema it was last mapped to with nothing missing. */
bool sl_json_reader_emit(sl_json_reader *r, sl_batch *b, uint64_t pos);

#endif
