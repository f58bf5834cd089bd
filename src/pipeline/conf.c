/* conf.c - pipeline YAML to a jansson tree (libyaml's event parser), and typed getters. */
#include "pipeline/conf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/error.h"
#include "base/file.h"

/* A plain scalar as JSON: YAML 1.2 core schema numbers, booleans and null; else a string. */
static json_t *scalar(const char *s, size_t len, bool plain) {
    if (plain) {
        if (len == 0 || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
            !strcmp(s, "NULL"))
            return json_null();
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return json_true();
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return json_false();
        char *end;
        errno = 0;
        long long i = strtoll(s, &end, 10);
        if (*end == 0 && errno == 0 && (s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
            return json_integer(i);
        double d = strtod(s, &end);
        if (*end == 0 && isfinite(d) && strspn(s, "+-0123456789.eE") == len) return json_real(d);
    }
    return json_stringn(s, len);
}

/* Adds v to the container on top of the stack (under *key for a mapping). */
static bool attach(json_t *parent, char **key, json_t *v) {
    if (json_is_array(parent)) return json_array_append_new(parent, v) == 0;
    int rc = json_object_set_new(parent, *key, v);
    free(*key);
    *key = NULL;
    return rc == 0;
}

/* "FILE:LINE: message" in err. An sl_error holds 256 bytes: when a long path would push the
 * message out, the path loses its start ("...") rather than the message its end. */
static bool at_line(sl_error *err, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool at_line(sl_error *err, const char *file, long line, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t room = sizeof err->message - 1, flen = strlen(file);
    size_t rest = (size_t)snprintf(NULL, 0, ":%ld: %s", line, msg);
    /* "..." and the path's end, but never less than its last 48 bytes (the file's name and
     * folder): past that the message's end is cut instead */
    size_t keep = flen + rest <= room ? flen : room > rest + 3 + 48 ? room - rest - 3 : 48;
    if (keep >= flen) return sl_errorf(err, SL_ERR_ARGUMENT, "%s:%ld: %s", file, line, msg);
    return sl_errorf(err, SL_ERR_ARGUMENT, "...%s:%ld: %s", file + flen - keep, line, msg);
}

json_t *sl_conf_parse(const char *text, size_t len, const char *file, sl_error *err) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        sl_errorf(err, SL_ERR_NOMEM, "%s: out of memory", file);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    json_t *stack[64], *root = NULL;
    char *keys[64] = {0}; /* the pending key of each mapping on the stack */
    int depth = 0;
    bool done = false, ok = true;
    while (!done && ok) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            at_line(err, file, (long)p.problem_mark.line + 1, "%s%s%s",
                    p.problem ? p.problem : "invalid YAML", p.context ? " " : "",
                    p.context ? p.context : "");
            ok = false;
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        json_t *v = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 64) {
                at_line(err, file, line, "nested too deeply");
                ok = false;
                break;
            }
            v = ev.type == YAML_MAPPING_START_EVENT ? json_object() : json_array();
            if (ev.type == YAML_MAPPING_START_EVENT)
                json_object_set_new(v, "@line", json_integer(line));
            if (depth > 0 && !keys[depth - 1] && json_is_object(stack[depth - 1])) {
                at_line(err, file, line, "a mapping or list cannot be a key");
                json_decref(v);
                ok = false;
                break;
            }
            if (depth == 0)
                root = json_incref(v);
            else
                attach(stack[depth - 1], &keys[depth - 1], json_incref(v));
            keys[depth] = NULL;
            stack[depth++] = v;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: json_decref(stack[--depth]); break;
        case YAML_SCALAR_EVENT: {
            const char *s = (const char *)ev.data.scalar.value;
            size_t n = ev.data.scalar.length;
            if (depth == 0) {
                at_line(err, file, line, "expected a mapping at the top");
                ok = false;
            } else if (json_is_object(stack[depth - 1]) && !keys[depth - 1]) {
                if (json_object_get(stack[depth - 1], s)) {
                    at_line(err, file, line, "\"%s\" is given twice", s);
                    ok = false;
                } else if (!(keys[depth - 1] = strndup(s, n))) {
                    ok = false;
                }
            } else {
                v = scalar(s, n,
                           ev.data.scalar.plain_implicit &&
                               ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
                ok = v && attach(stack[depth - 1], &keys[depth - 1], v);
            }
            break;
        }
        case YAML_ALIAS_EVENT:
            at_line(err, file, line, "YAML aliases (*name) are not supported");
            ok = false;
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    while (depth > 0) {
        free(keys[depth - 1]);
        json_decref(stack[--depth]);
    }
    yaml_parser_delete(&p);
    if (ok && !json_is_object(root)) {
        at_line(err, file, 1, "expected a mapping (source:, parser:, stages:, sinks:)");
        ok = false;
    }
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *sl_conf_load(const char *path, sl_error *err) {
    size_t len;
    /* 16 MiB: a pipeline file is a few hundred lines; a larger one is refused, not cut */
    char *buf = sl_read_file(path, 16u << 20, &len, err);
    if (!buf) return NULL;
    json_t *t = sl_conf_parse(buf, len, path, err);
    free(buf);
    return t;
}

int sl_conf_line(const json_t *map) {
    return (int)json_integer_value(json_object_get(map, "@line"));
}

bool sl_conf_fail(const sl_conf_ctx *c, const json_t *map, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return at_line(c->err, c->file, map ? sl_conf_line(map) : 0, "%s: %s", c->what, msg);
}

const char *sl_conf_str(const sl_conf_ctx *c, const json_t *map, const char *key, const char *def,
                        bool *ok) {
    json_t *v = json_object_get(map, key);
    if (!v || json_is_null(v)) {
        if (!def) *ok = sl_conf_fail(c, map, "\"%s\" is required", key);
        return def;
    }
    if (!json_is_string(v)) {
        *ok = sl_conf_fail(c, map, "\"%s\" must be a string", key);
        return NULL;
    }
    return json_string_value(v);
}

static bool number_of(json_t *v, double *out) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v)) return false;
    char *end;
    *out = strtod(json_string_value(v), &end);
    return *json_string_value(v) && !*end;
}

int64_t sl_conf_int(const sl_conf_ctx *c, const json_t *map, const char *key, int64_t def,
                    int64_t min, int64_t max, bool *ok) {
    json_t *v = json_object_get(map, key);
    if (!v || json_is_null(v)) return def;
    double d;
    if (!number_of(v, &d) || d != floor(d) || d < (double)min || d > (double)max) {
        *ok = sl_conf_fail(c, map, "\"%s\" must be a whole number from %lld to %lld", key,
                           (long long)min, (long long)max);
        return def;
    }
    return (int64_t)d;
}

double sl_conf_num(const sl_conf_ctx *c, const json_t *map, const char *key, double def, bool *ok) {
    json_t *v = json_object_get(map, key);
    if (!v || json_is_null(v)) return def;
    double d;
    if (!number_of(v, &d) || !isfinite(d)) {
        *ok = sl_conf_fail(c, map, "\"%s\" must be a number", key);
        return def;
    }
    return d;
}

bool sl_conf_bool(const sl_conf_ctx *c, const json_t *map, const char *key, bool def, bool *ok) {
    json_t *v = json_object_get(map, key);
    if (!v || json_is_null(v)) return def;
    if (!json_is_boolean(v)) {
        *ok = sl_conf_fail(c, map, "\"%s\" must be true or false", key);
        return def;
    }
    return json_is_true(v);
}

int64_t sl_conf_ms(const sl_conf_ctx *c, const json_t *map, const char *key, int64_t def,
                   bool *ok) {
    json_t *v = json_object_get(map, key);
    if (!v || json_is_null(v)) return def;
    if (json_is_integer(v) && json_integer_value(v) >= 0) return json_integer_value(v);
    const char *s = json_string_value(v);
    char *end;
    double d = s ? strtod(s, &end) : -1;
    double unit = !s || end == s       ? -1
                  : !strcmp(end, "ms") ? 1
                  : !strcmp(end, "s")  ? 1e3
                  : !strcmp(end, "m")  ? 60e3
                  : !strcmp(end, "h")  ? 3600e3
                  : !*end              ? 1
                                       : -1;
    if (unit < 0 || !(d >= 0) || d * unit > 9e15) {
        *ok = sl_conf_fail(c, map, "\"%s\" must be a duration such as 500ms, 10s, 5m or 1h", key);
        return def;
    }
    return (int64_t)(d * unit);
}

bool sl_conf_only(const sl_conf_ctx *c, const json_t *map, const char *const *known) {
    const char *key;
    json_t *v;
    sl_conf_each(map, key, v) {
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = !strcmp(*k, key);
        if (!found) {
            char list[256] = "";
            for (const char *const *k = known; *k; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         k == known ? "" : ", ", *k);
            return sl_conf_fail(c, map, "unknown setting \"%s\" (known: %s)", key, list);
        }
    }
    return true;
}

bool sl_conf_path(const sl_conf_ctx *c, const json_t *section, const char *path, char *out,
                  size_t len) {
    const char *slash = c->file ? strrchr(c->file, '/') : NULL;
    int n = path[0] == '/' || !slash
                ? snprintf(out, len, "%s", path)
                : snprintf(out, len, "%.*s/%s", (int)(slash - c->file), c->file, path);
    return (n >= 0 && (size_t)n < len) || sl_conf_fail(c, section, "path too long: %.80s", path);
}
