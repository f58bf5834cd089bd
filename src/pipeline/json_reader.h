/*
 * json_reader.h - one JSON object at a time, to a record: what the JSON-lines parser
 * (jsonl.c) and the whole-text decoder (json_decode.c) read JSON with.
 *
 * Values map as: strings, ints (no fraction or exponent, in int64 range), floats, bools,
 * null; nested arrays and objects are kept as their JSON text (a string); hint types turn
 * strings into timestamps and ints into floats.
 */
#ifndef SL_PIPELINE_JSON_READER_H
#define SL_PIPELINE_JSON_READER_H

#include "pipeline/record.h"

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
