/*
 * parser.c - the input formats a pipeline's `parser:` section may name (parser.h). A new
 * format is its file and one line here.
 */
#include "pipeline/parser.h"

#include <stdio.h>
#include <string.h>

#include "pipeline/csv.h"
#include "pipeline/jsonl.h"

static const sl_parser_ops *const FORMATS[] = {&sl_csv_parser, &sl_jsonl_parser};

const sl_parser_ops *sl_parser_find(const char *name) {
    for (size_t i = 0; i < sizeof FORMATS / sizeof *FORMATS; i++)
        if (!strcmp(FORMATS[i]->name, name)) return FORMATS[i];
    return NULL;
}

const char *sl_parser_names(char *buf, size_t len) {
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof FORMATS / sizeof *FORMATS && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", FORMATS[i]->name);
    return buf;
}
