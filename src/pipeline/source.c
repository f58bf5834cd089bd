/*
 * source.c - the factory of sources (source.h): a pipeline's `source:` section, by its
 * `type:`, to the source that reads it (one file per kind: source_tcp.c, source_http.c,
 * source_file.c for file and stdin).
 */
#include <string.h>

#include "pipeline/source.h"

sl_source *sl_source_open(const sl_conf_ctx *c, const json_t *section, const char *name) {
    bool ok = true;
    const char *type = sl_conf_str(c, section, "type", NULL, &ok);
    if (!ok) return NULL;
    if (!strcmp(type, "tcp")) return sl_source_tcp_open(c, section);
    if (!strcmp(type, "file")) return sl_source_file_open(c, section);
    if (!strcmp(type, "stdin")) return sl_source_stdin_open(c, section);
    if (!strcmp(type, "http")) return sl_source_http_open(c, section, name);
    sl_conf_fail(c, section, "unknown source type \"%s\" (known: tcp, http, file, stdin)", type);
    return NULL;
}
