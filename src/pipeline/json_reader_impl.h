/*
 * json_reader_impl.h - the JSON reader's insides (json_reader.c), which the whole-text
 * decoder (json_decode.c) walks too: an array of objects or a columnar object is parsed with
 * the reader's own value and object parsers, into its member and value arrays.
 */
#ifndef SL_PIPELINE_JSON_READER_IMPL_H
#define SL_PIPELINE_JSON_READER_IMPL_H

#include "pipeline/json_reader.h"

/* A parsed value; a string's bytes are at `off` in the input, or in the reader's scratch. */
typedef struct jval {
    sl_value v;
    uint8_t in_scratch;
    uint8_t nested; /* an array ('[') or object ('{') kept as its text */
} jval;

typedef struct jmember {
    uint32_t key_off, key_len;
    uint8_t key_in_scratch;
    int32_t idx; /* field in the mapped schema, or -1 */
    jval val;
} jmember;

struct sl_json_reader {
    const sl_schema *hint;
    const char *in; /* the text being parsed */
    jmember *m;     /* the object's members */
    uint32_t nm;
    size_t mcap;
    char *scratch; /* unescaped strings */
    size_t slen, scap;
    jval *vals; /* columnar decoding: the values of all the columns */
    size_t nvals, vcap;
    sl_schema *mapped; /* the schema name_len is for (referenced, so that its address is not
                          reused by another while cached) */
    uint32_t *name_len;
    size_t nlcap;
    const char *err;
    size_t err_off;
};

/* Records msg as the error, found at `at` in the input; returns false. */
bool sl_json_fail(sl_json_reader *r, const char *at, const char *msg);
/* The value at *pp into *out (*pp moves past it). */
bool sl_json_parse_value(sl_json_reader *r, const char **pp, const char *end, jval *out);
/* The object at *pp (its '{') into r->m. */
bool sl_json_parse_object(sl_json_reader *r, const char **pp, const char *end);
/* Stores v as *dst in b, converted as the field's declared type asks. */
bool sl_json_set_value(const sl_json_reader *r, sl_batch *b, sl_value *dst, const jval *v,
                       sl_ftype decl);

static inline const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static inline const char *jstr(const sl_json_reader *r, uint32_t off, bool in_scratch) {
    return in_scratch ? r->scratch + off : r->in + off;
}

#endif
