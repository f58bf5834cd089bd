/*
 * fn_config.c - checking a version's configuration, and its JSON form (jansson).
 */
#include "serve/fn_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

sl_fn_config sl_fn_config_default(void) {
    return (sl_fn_config){
        .kind = SL_FN_COMMAND,
        .input = SL_INPUT_RAW,
        .output = SL_OUTPUT_RAW,
        .timeout_ms = 10000,
        .memory_mib = 128,
        .max_request = 6u << 20,
        .max_response = 6u << 20,
    };
}

static bool str_ok(const char *what, const char *s, char *err, size_t errlen) {
    if (!s) {
        snprintf(err, errlen, "invalid config: %s is missing (NULL)", what);
        return false;
    }
    if (strpbrk(s, "\r\n")) {
        snprintf(err, errlen, "invalid config: %s \"%.60s\" contains a line break", what, s);
        return false;
    }
    return true;
}

static bool list_ok(const char *what, const char *const *v, uint32_t n, char *err, size_t errlen) {
    if (n && !v) {
        snprintf(err, errlen, "invalid config: %u %s but no array", n, what);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!str_ok(what, v[i], err, errlen)) return false;
        if (!v[i][0]) {
            snprintf(err, errlen, "invalid config: an empty string in %s", what);
            return false;
        }
    }
    return true;
}

bool sl_fn_config_check(const sl_fn_config *cfg, char *err, size_t errlen) {
    if (cfg->kind != SL_FN_COMMAND && cfg->kind != SL_FN_HANDLER) {
        snprintf(err, errlen, "invalid config: unknown function kind %d", (int)cfg->kind);
        return false;
    }
    if (cfg->input != SL_INPUT_RAW && cfg->input != SL_INPUT_EVENT) {
        snprintf(err, errlen, "invalid config: unknown input mode %d", (int)cfg->input);
        return false;
    }
    if (cfg->output != SL_OUTPUT_RAW && cfg->output != SL_OUTPUT_INTEGRATION) {
        snprintf(err, errlen, "invalid config: unknown output mode %d", (int)cfg->output);
        return false;
    }
    if (!list_ok("env", cfg->env, cfg->nenv, err, errlen) ||
        !list_ok("dirs", cfg->dirs, cfg->ndirs, err, errlen) ||
        !list_ok("cors_origins", cfg->cors_origins, cfg->ncors, err, errlen))
        return false;
    for (uint32_t i = 0; i < cfg->nenv; i++) {
        const char *eq = strchr(cfg->env[i], '=');
        if (!eq || eq == cfg->env[i]) {
            snprintf(err, errlen, "invalid config: env entry \"%.60s\" is not KEY=VALUE",
                     cfg->env[i]);
            return false;
        }
    }
    if (cfg->content_type && !str_ok("content_type", cfg->content_type, err, errlen)) return false;
    return true;
}

static json_t *str_array(const char *const *v, uint32_t n) {
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

char *sl_fn_config_to_json(const sl_fn_config *cfg) {
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:o?, s:o?, s:I, s:I, s:I, s:I, s:s?, s:o?}", "kind",
        cfg->kind == SL_FN_HANDLER ? "handler" : "command", "input",
        cfg->input == SL_INPUT_EVENT ? "event" : "raw", "output",
        cfg->output == SL_OUTPUT_INTEGRATION ? "integration" : "raw", "env",
        str_array(cfg->env, cfg->nenv), "dirs", str_array(cfg->dirs, cfg->ndirs), "timeout_ms",
        (json_int_t)cfg->timeout_ms, "memory_mib", (json_int_t)cfg->memory_mib, "max_request",
        (json_int_t)cfg->max_request, "max_response", (json_int_t)cfg->max_response, "content_type",
        cfg->content_type, "cors_origins", str_array(cfg->cors_origins, cfg->ncors));
    if (!o) return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* A malloc'd copy of a JSON array of strings. */
static bool get_list(json_t *o, const char *key, const char *const **out, uint32_t *n, char *err,
                     size_t errlen) {
    json_t *a = json_object_get(o, key);
    *out = NULL, *n = 0;
    if (!a) return true;
    if (!json_is_array(a)) {
        snprintf(err, errlen, "stored config: \"%s\" is not an array", key);
        return false;
    }
    size_t len = json_array_size(a);
    char **v = calloc(len ? len : 1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "stored config: out of memory");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s || !(v[i] = strdup(s))) {
            snprintf(err, errlen, "stored config: bad entry %zu in \"%s\"", i, key);
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return false;
        }
    }
    *out = (const char *const *)v, *n = (uint32_t)len;
    return true;
}

static bool get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, char *err,
                     size_t errlen) {
    json_t *v = json_object_get(o, key);
    if (!v) return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
        snprintf(err, errlen, "stored config: \"%s\" is not a valid number", key);
        return false;
    }
    *out = (uint64_t)json_integer_value(v);
    return true;
}

bool sl_fn_config_from_json(const char *text, sl_fn_config *out, char *err, size_t errlen) {
    *out = sl_fn_config_default();
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    if (!o || !json_is_object(o)) {
        snprintf(err, errlen, "stored config is not a JSON object: %s", o ? "" : jerr.text);
        json_decref(o);
        return false;
    }
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *input = json_string_value(json_object_get(o, "input"));
    const char *output = json_string_value(json_object_get(o, "output"));
    const char *ctype = json_string_value(json_object_get(o, "content_type"));
    if (kind) out->kind = strcmp(kind, "handler") == 0 ? SL_FN_HANDLER : SL_FN_COMMAND;
    if (input) out->input = strcmp(input, "event") == 0 ? SL_INPUT_EVENT : SL_INPUT_RAW;
    if (output)
        out->output = strcmp(output, "integration") == 0 ? SL_OUTPUT_INTEGRATION : SL_OUTPUT_RAW;
    uint64_t timeout = out->timeout_ms, mem = out->memory_mib;
    bool ok = get_uint(o, "timeout_ms", UINT32_MAX, &timeout, err, errlen) &&
              get_uint(o, "memory_mib", UINT32_MAX, &mem, err, errlen) &&
              get_uint(o, "max_request", UINT64_MAX, &out->max_request, err, errlen) &&
              get_uint(o, "max_response", UINT64_MAX, &out->max_response, err, errlen) &&
              get_list(o, "env", &out->env, &out->nenv, err, errlen) &&
              get_list(o, "dirs", &out->dirs, &out->ndirs, err, errlen) &&
              get_list(o, "cors_origins", &out->cors_origins, &out->ncors, err, errlen);
    out->timeout_ms = (uint32_t)timeout, out->memory_mib = (uint32_t)mem;
    if (ok && ctype && !(out->content_type = strdup(ctype))) {
        snprintf(err, errlen, "stored config: out of memory");
        ok = false;
    }
    json_decref(o);
    if (!ok) sl_fn_config_free(out);
    return ok;
}

static void free_list(const char *const *v, uint32_t n) {
    if (!v) return;
    for (uint32_t i = 0; i < n; i++)
        free((void *)v[i]);
    free((void *)v);
}

void sl_fn_config_free(sl_fn_config *cfg) {
    free_list(cfg->env, cfg->nenv);
    free_list(cfg->dirs, cfg->ndirs);
    free_list(cfg->cors_origins, cfg->ncors);
    free((void *)cfg->content_type);
    cfg->env = cfg->dirs = cfg->cors_origins = NULL;
    cfg->nenv = cfg->ndirs = cfg->ncors = 0;
    cfg->content_type = NULL;
}
