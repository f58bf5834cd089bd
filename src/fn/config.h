/*
 * config.h - a function version's configuration (sl_fn_config): what it is, checking it, and
 * its JSON form (the registry's database, the API). The registry stores it; the runners
 * (invoke.h, handler.h) get what they need from it as an sl_invoke_config.
 */
#ifndef SL_FN_CONFIG_H
#define SL_FN_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fn/invoke.h" /* sl_input_mode, sl_output_mode */

typedef enum sl_fn_kind { SL_FN_COMMAND, SL_FN_HANDLER } sl_fn_kind;

/* A version's configuration. Strings are NUL-terminated; none may contain CR or LF. For
 * add_version the caller owns them; in a version returned by the registry they belong to the
 * sl_fn_version (freed by sl_fn_version_clear). */
typedef struct sl_fn_config {
    sl_fn_kind kind;        /* command (WASI _start per request) or handler */
    sl_input_mode input;    /* raw body or API-gateway JSON event on stdin */
    sl_output_mode output;  /* raw body or integration JSON on stdout */
    const char *const *env; /* "KEY=VALUE" (KEY non-empty, no '='); none by default */
    uint32_t nenv;
    const char *const *dirs; /* preopened directories "HOST[::GUEST]"; none by default */
    uint32_t ndirs;
    uint32_t timeout_ms;             /* 0 = no limit */
    uint32_t memory_mib;             /* per linear memory; 0 = no limit beyond Wasm's */
    uint64_t max_request;            /* request body bytes; 0 = no limit */
    uint64_t max_response;           /* response body bytes; 0 = no limit */
    const char *content_type;        /* for raw output; NULL = sniff */
    const char *const *cors_origins; /* allowed origins ("*" = any); none by default */
    uint32_t ncors;
    bool keep_state;      /* handler kind: no snapshot restore between requests */
    uint32_t concurrency; /* requests running at once (and as many queued); 0 = no limit */
} sl_fn_config;

/* The defaults: command, raw in, raw out, no env or dirs, 10 s, 128 MiB, 6 MiB requests and
 * responses, content type sniffed, no CORS. */
sl_fn_config sl_fn_config_default(void);

/* Whether cfg can be stored (strings present, no CR/LF, env entries KEY=VALUE). */
bool sl_fn_config_check(const sl_fn_config *cfg, sl_error *err);
/* The config as a JSON object (the form docs/api.md shows), or NULL when out of memory. */
json_t *sl_fn_config_json(const sl_fn_config *cfg);
/* Applies the members of the JSON object o to cfg (whose strings must be malloc'd or NULL:
 * replaced ones are freed), then checks the result. Unknown members and values of the wrong
 * type are errors ("invalid config: ..."). */
bool sl_fn_config_apply(sl_fn_config *cfg, json_t *o, sl_error *err);
/* Sets one member from text, as a query parameter gives it: numbers in decimal, keep_state
 * "true"/"false", and env, dirs and cors append one entry. Call sl_fn_config_check after. */
bool sl_fn_config_set(sl_fn_config *cfg, const char *key, const char *value, sl_error *err);
/* Compact JSON, the same text for equal configs (malloc'd), or NULL when out of memory. */
char *sl_fn_config_to_json(const sl_fn_config *cfg);
/* Parses what sl_fn_config_to_json wrote; the strings in *out are malloc'd (free them with
 * sl_fn_config_free). Missing members keep their sl_fn_config_default values. */
bool sl_fn_config_from_json(const char *json, sl_fn_config *out, sl_error *err);
/* Frees a config filled by sl_fn_config_from_json. */
void sl_fn_config_free(sl_fn_config *cfg);

#endif
