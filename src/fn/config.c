/*
 * config.c - checking a version's configuration, and its JSON form (jansson).
 */
#include "fn/config.h"
#include "fn/resolve.h"

#include "base/error.h"

#include <errno.h>
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

static bool str_ok(const char *what, const char *s, sl_error *err) {
    if (!s) return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: %s is missing (NULL)", what);
    if (strpbrk(s, "\r\n"))
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: %s \"%.60s\" contains a line break",
                         what, s);
    return true;
}

static bool list_ok(const char *what, const char *const *v, uint32_t n, sl_error *err) {
    if (n && !v)
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: %u %s but no array", n, what);
    for (uint32_t i = 0; i < n; i++) {
        if (!str_ok(what, v[i], err)) return false;
        if (!v[i][0])
            return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: an empty string in %s", what);
    }
    return true;
}

bool sl_fn_config_check(const sl_fn_config *cfg, sl_error *err) {
    if (cfg->kind != SL_FN_COMMAND && cfg->kind != SL_FN_HANDLER)
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: unknown function kind %d",
                         (int)cfg->kind);
    if (cfg->input != SL_INPUT_RAW && cfg->input != SL_INPUT_EVENT)
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: unknown input mode %d",
                         (int)cfg->input);
    if (cfg->output != SL_OUTPUT_RAW && cfg->output != SL_OUTPUT_INTEGRATION)
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: unknown output mode %d",
                         (int)cfg->output);
    if (!list_ok("env", cfg->env, cfg->nenv, err) || !list_ok("dirs", cfg->dirs, cfg->ndirs, err) ||
        !list_ok("cors_origins", cfg->cors_origins, cfg->ncors, err))
        return false;
    for (uint32_t i = 0; i < cfg->nenv; i++) {
        const char *eq = strchr(cfg->env[i], '=');
        if (!eq || eq == cfg->env[i])
            return sl_errorf(err, SL_ERR_ARGUMENT,
                             "invalid config: env entry \"%.60s\" is not KEY=VALUE", cfg->env[i]);
    }
    if (cfg->content_type && !str_ok("content_type", cfg->content_type, err)) return false;
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

json_t *sl_fn_config_json(const sl_fn_config *cfg) {
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:s?, s:o, s:b, s:I}", "kind",
                     cfg->kind == SL_FN_HANDLER ? "handler" : "command", "input",
                     cfg->input == SL_INPUT_EVENT ? "event" : "raw", "output",
                     cfg->output == SL_OUTPUT_INTEGRATION ? "integration" : "raw", "env",
                     str_array(cfg->env, cfg->nenv), "dirs", str_array(cfg->dirs, cfg->ndirs),
                     "timeout_ms", (json_int_t)cfg->timeout_ms, "memory_mib",
                     (json_int_t)cfg->memory_mib, "max_request", (json_int_t)cfg->max_request,
                     "max_response", (json_int_t)cfg->max_response, "content_type",
                     cfg->content_type, "cors", str_array(cfg->cors_origins, cfg->ncors),
                     "keep_state", cfg->keep_state, "concurrency", (json_int_t)cfg->concurrency);
}

char *sl_fn_config_to_json(const sl_fn_config *cfg) {
    json_t *o = sl_fn_config_json(cfg);
    if (!o) return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static void free_list(const char *const *v, uint32_t n) {
    if (!v) return;
    for (uint32_t i = 0; i < n; i++)
        free((void *)v[i]);
    free((void *)v);
}

/* Appends a copy of s to the list. */
static bool list_append(const char *const **list, uint32_t *n, const char *s) {
    const char **v = realloc((void *)*list, (*n + 1) * sizeof *v);
    if (!v) return false;
    *list = v;
    if (!(v[*n] = strdup(s))) return false;
    (*n)++;
    return true;
}

/* Replaces a list with the JSON array a (of strings). */
static bool set_list(json_t *a, const char *key, const char *const **list, uint32_t *n,
                     sl_error *err) {
    if (!json_is_array(a))
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: \"%s\" must be an array of strings",
                         key);
    const char *const *v = NULL;
    uint32_t len = 0;
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        if (!json_is_string(e)) {
            sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: \"%s\"[%zu] is not a string", key, i);
            free_list(v, len);
            return false;
        }
        if (!list_append(&v, &len, json_string_value(e))) {
            sl_errorf(err, SL_ERR_NOMEM, "invalid config: out of memory");
            free_list(v, len);
            return false;
        }
    }
    free_list(*list, *n);
    *list = v, *n = len;
    return true;
}

static bool parse_uint(const char *key, const char *text, uint64_t max, uint64_t *out,
                       sl_error *err) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || errno || text[0] == '-' || v > max)
        return sl_errorf(err, SL_ERR_ARGUMENT,
                         "invalid config: \"%s\" must be a number from 0 to %llu, not \"%.40s\"",
                         key, (unsigned long long)max, text);
    *out = v;
    return true;
}

static bool enum_value(const char *key, const char *v, const char *a, const char *b, int *out,
                       sl_error *err) {
    if (v && strcmp(v, a) == 0)
        *out = 0;
    else if (v && strcmp(v, b) == 0)
        *out = 1;
    else
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: \"%s\" must be \"%s\" or \"%s\"",
                         key, a, b);
    return true;
}

/* One member, given as text (query parameters) or JSON (text NULL). For lists, text appends
 * one entry and JSON replaces the list. */
static bool set_member(sl_fn_config *cfg, const char *key, const char *text, json_t *j,
                       sl_error *err) {
    int e;
    uint64_t u;
    char num[32];
    if (!text && json_is_integer(j)) {
        if (json_integer_value(j) < 0)
            return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: \"%s\" must not be negative",
                             key);
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
    }
    const char *str = text ? text : json_is_integer(j) ? num : json_string_value(j);
    if (!strcmp(key, "kind")) {
        if (!enum_value(key, str, "command", "handler", &e, err)) return false;
        cfg->kind = e ? SL_FN_HANDLER : SL_FN_COMMAND;
    } else if (!strcmp(key, "input")) {
        if (!enum_value(key, str, "raw", "event", &e, err)) return false;
        cfg->input = e ? SL_INPUT_EVENT : SL_INPUT_RAW;
    } else if (!strcmp(key, "output")) {
        if (!enum_value(key, str, "raw", "integration", &e, err)) return false;
        cfg->output = e ? SL_OUTPUT_INTEGRATION : SL_OUTPUT_RAW;
    } else if (!strcmp(key, "timeout_ms") || !strcmp(key, "memory_mib") ||
               !strcmp(key, "concurrency")) {
        if (!str || !parse_uint(key, str, UINT32_MAX, &u, err)) {
            if (!str)
                sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: \"%s\" must be a number", key);
            return false;
        }
        *(key[0] == 't'   ? &cfg->timeout_ms
          : key[0] == 'm' ? &cfg->memory_mib
                          : &cfg->concurrency) = (uint32_t)u;
    } else if (!strcmp(key, "max_request") || !strcmp(key, "max_response")) {
        if (!str || !parse_uint(key, str, UINT64_MAX, &u, err)) {
            if (!str)
                sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: \"%s\" must be a number", key);
            return false;
        }
        *(strcmp(key, "max_request") == 0 ? &cfg->max_request : &cfg->max_response) = u;
    } else if (!strcmp(key, "keep_state")) {
        bool b;
        if (text) {
            if (!enum_value(key, text, "false", "true", &e, err)) return false;
            b = e;
        } else if (json_is_boolean(j)) {
            b = json_is_true(j);
        } else
            return sl_errorf(err, SL_ERR_ARGUMENT,
                             "invalid config: \"keep_state\" must be true or false");
        cfg->keep_state = b;
    } else if (!strcmp(key, "content_type")) {
        char *v = NULL;
        if (str && *str && !(v = strdup(str)))
            return sl_errorf(err, SL_ERR_NOMEM, "invalid config: out of memory");
        if (!str && !json_is_null(j))
            return sl_errorf(err, SL_ERR_ARGUMENT,
                             "invalid config: \"content_type\" must be a string or null");
        free((void *)cfg->content_type);
        cfg->content_type = v;
    } else if (!strcmp(key, "env") || !strcmp(key, "dirs") || !strcmp(key, "cors") ||
               !strcmp(key, "cors_origins")) {
        const char *const **list = key[0] == 'e'   ? &cfg->env
                                   : key[0] == 'd' ? &cfg->dirs
                                                   : &cfg->cors_origins;
        uint32_t *n = key[0] == 'e' ? &cfg->nenv : key[0] == 'd' ? &cfg->ndirs : &cfg->ncors;
        if (!text) return set_list(j, key, list, n, err);
        if (!list_append(list, n, text))
            return sl_errorf(err, SL_ERR_NOMEM, "invalid config: out of memory");
    } else
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: unknown member \"%.40s\"", key);
    return true;
}

bool sl_fn_config_apply(sl_fn_config *cfg, json_t *o, sl_error *err) {
    if (!json_is_object(o))
        return sl_errorf(err, SL_ERR_ARGUMENT, "invalid config: not a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!set_member(cfg, key, NULL, v, err)) return false;
    }
    return sl_fn_config_check(cfg, err);
}

bool sl_fn_config_set(sl_fn_config *cfg, const char *key, const char *value, sl_error *err) {
    return set_member(cfg, key, value ? value : "", NULL, err);
}

bool sl_fn_config_from_json(const char *text, sl_fn_config *out, sl_error *err) {
    *out = sl_fn_config_default();
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    if (!o || !json_is_object(o)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "stored config is not a JSON object: %s",
                  o ? "" : jerr.text);
        json_decref(o);
        return false;
    }
    bool ok = sl_fn_config_apply(out, o, err);
    json_decref(o);
    if (!ok) sl_fn_config_free(out);
    return ok;
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

void sl_fn_resolved_clear(sl_fn_resolved *r) {
    if (!r) return;
    sl_fn_config_free(&r->config);
    free(r->bytes);
    memset(r, 0, sizeof *r);
}
