/*
 * fn_config.h - a version's sl_fn_config: checking it, and its JSON form in the registry's
 * database (internal to the registry).
 */
#ifndef SL_SERVE_FN_CONFIG_H
#define SL_SERVE_FN_CONFIG_H

#include <jansson.h>

#include "serve/registry.h"

/* Whether cfg can be stored (strings present, no CR/LF, env entries KEY=VALUE). */
bool sl_fn_config_check(const sl_fn_config *cfg, char *err, size_t errlen);
/* The config as a JSON object (the form docs/api.md shows), or NULL when out of memory. */
json_t *sl_fn_config_json(const sl_fn_config *cfg);
/* Applies the members of the JSON object o to cfg (whose strings must be malloc'd or NULL:
 * replaced ones are freed), then checks the result. Unknown members and values of the wrong
 * type are errors ("invalid config: ..."). */
bool sl_fn_config_apply(sl_fn_config *cfg, json_t *o, char *err, size_t errlen);
/* Sets one member from text, as a query parameter gives it: numbers in decimal, keep_state
 * "true"/"false", and env, dirs and cors append one entry. Call sl_fn_config_check after. */
bool sl_fn_config_set(sl_fn_config *cfg, const char *key, const char *value, char *err,
                      size_t errlen);
/* Compact JSON, the same text for equal configs (malloc'd), or NULL when out of memory. */
char *sl_fn_config_to_json(const sl_fn_config *cfg);
/* Parses what sl_fn_config_to_json wrote; the strings in *out are malloc'd (free them with
 * sl_fn_config_free). Missing members keep their sl_fn_config_default values. */
bool sl_fn_config_from_json(const char *json, sl_fn_config *out, char *err, size_t errlen);
/* Frees a config filled by sl_fn_config_from_json. */
void sl_fn_config_free(sl_fn_config *cfg);

#endif
