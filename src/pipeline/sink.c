/* sink.c - the sink factory: a `sinks:` entry's `type:` picks the constructor. */
#include "pipeline/sink.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *type;
    sl_sink *(*open)(const sl_conf_ctx *c, const json_t *section);
} KINDS[] = {
    {"file", sl_sink_file_open},     {"stdout", sl_sink_file_open},
    {"sqlite", sl_sink_sqlite_open}, {"postgres", sl_sink_postgres_open},
    {"http", sl_sink_http_open},     {"elasticsearch", sl_sink_elastic_open},
};

/* The engine may set a hidden "@pipeline" member (the pipeline's name) on the section: the
 * database sinks then default `table:` to it. It is taken off a shallow copy here, so each
 * constructor's sl_conf_only still sees only what the file says. */
sl_sink *sl_sink_open(const sl_conf_ctx *c, const json_t *section) {
    if (!json_is_object(section)) {
        sl_conf_fail(c, NULL, "a sink must be a mapping with a \"type\"");
        return NULL;
    }
    bool ok = true;
    const char *type = sl_conf_str(c, section, "type", NULL, &ok);
    const char *name = ok ? sl_conf_str(c, section, "name", "", &ok) : NULL;
    if (!ok) return NULL;
    size_t k = 0;
    while (k < sizeof KINDS / sizeof KINDS[0] && strcmp(KINDS[k].type, type) != 0)
        k++;
    if (k == sizeof KINDS / sizeof KINDS[0]) {
        char list[128] = "";
        for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     KINDS[i].type);
        sl_conf_fail(c, section, "unknown sink type \"%s\" (known: %s)", type, list);
        return NULL;
    }
    json_t *sec = json_copy((json_t *)section);
    if (!sec) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    json_t *pipeline = json_object_get(sec, "@pipeline");
    if (json_is_string(pipeline) && json_string_length(pipeline) > 0 &&
        (!strcmp(type, "sqlite") || !strcmp(type, "postgres")) && !json_object_get(sec, "table"))
        json_object_set(sec, "table", pipeline);
    json_object_del(sec, "@pipeline");
    sl_sink *s = KINDS[k].open(c, sec);
    json_decref(sec);
    if (s) snprintf(s->name, sizeof s->name, "%s", *name ? name : type);
    return s;
}
