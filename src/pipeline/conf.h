/*
 * conf.h - pipeline files: YAML (read with libyaml) turned into a jansson tree, and typed
 * getters whose errors name the file, the line and the field.
 *
 * Every mapping of the tree carries a hidden member "@line" (its line in the file, from 1),
 * which the getters use for messages; sl_conf_each skips it. Scalars become JSON strings,
 * except plain (unquoted) ones that read as integers, floats, true/false or null.
 */
#ifndef SL_PIPELINE_CONF_H
#define SL_PIPELINE_CONF_H

#include <jansson.h>
#include <string.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice.h"

/* The YAML text as a tree (a mapping at the top), or NULL with "FILE:LINE: message". */
json_t *sl_conf_parse(const char *text, size_t len, const char *file, sl_error *err);
json_t *sl_conf_load(const char *path, sl_error *err);

/* The line a mapping came from (0 if unknown). */
int sl_conf_line(const json_t *map);
/* Iterate a mapping's members, without "@line". */
#define sl_conf_each(map, key, value)                                                              \
    json_object_foreach((json_t *)(map), (key), (value)) if (strcmp((key), "@line") != 0)

/* Context for messages: the file name and a description of the current node, e.g.
 * "sink 2 (sqlite)". Getters write "FILE:LINE: WHAT: field F ..." to err. */
typedef struct sl_conf_ctx {
    const char *file;
    const char *what;
    sl_error *err; /* may be NULL */
} sl_conf_ctx;

/* A string member. Missing: def (NULL def = required: an error). Not a string: an error.
 * Returns NULL on error (*ok set false). */
const char *sl_conf_str(const sl_conf_ctx *c, const json_t *map, const char *key, const char *def,
                        bool *ok);
/* Integers and floats: numbers or numeric strings; bounds checked. */
int64_t sl_conf_int(const sl_conf_ctx *c, const json_t *map, const char *key, int64_t def,
                    int64_t min, int64_t max, bool *ok);
double sl_conf_num(const sl_conf_ctx *c, const json_t *map, const char *key, double def, bool *ok);
bool sl_conf_bool(const sl_conf_ctx *c, const json_t *map, const char *key, bool def, bool *ok);
/* Durations: a number of milliseconds, or a string "250ms", "10s", "5m", "1h". */
int64_t sl_conf_ms(const sl_conf_ctx *c, const json_t *map, const char *key, int64_t def, bool *ok);
/* A path from the file as the pipeline means it: relative to the pipeline file's folder
 * (absolute ones as they are), written to out (len bytes). False, with a message naming
 * section, when it does not fit. */
bool sl_conf_path(const sl_conf_ctx *c, const json_t *section, const char *path, char *out,
                  size_t len);
/* Fails on members not in `known` (NULL-terminated), naming the first unknown one: typos in
 * a pipeline file are errors, not silently ignored settings. */
bool sl_conf_only(const sl_conf_ctx *c, const json_t *map, const char *const *known);
/* Fills c->err with "FILE:LINE: WHAT: message" (a long FILE loses its start, not the message
 * its end); returns false. */
bool sl_conf_fail(const sl_conf_ctx *c, const json_t *map, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
