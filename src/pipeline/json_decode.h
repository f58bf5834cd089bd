/*
 * json_decode.h - JSON text to a batch (functions answer with JSON).
 *
 * Accepts one object (one record), an array of objects (records; the schema is the union of
 * their keys in order of first appearance, a missing key is null), or a columnar object
 * (every member an array, all of one length: that many records). A lone object whose members
 * are all arrays is read as columnar. Values map as in json_reader.h.
 */
#ifndef SL_PIPELINE_JSON_DECODE_H
#define SL_PIPELINE_JSON_DECODE_H

#include "pipeline/record.h"
#include "sluice.h"

/* JSON text s[0..len) as a new batch whose records all have position pos. hint (may be NULL)
 * gives declared types by field name: a string in a field declared SL_F_TIME becomes a
 * timestamp when it parses as one, an int in a field declared SL_F_FLOAT a float; otherwise
 * strings stay strings. NULL on error, with err saying why ("JSON: ... at line 1, column 9",
 * or "columnar object: \"b\" has 3 values but \"a\" has 2"). */
sl_batch *sl_json_decode(const char *s, size_t len, const sl_schema *hint, uint64_t pos,
                         sl_error *err);

#endif
