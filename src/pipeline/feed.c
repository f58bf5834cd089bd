/*
 * feed.c - the parser side of a source: one CSV or JSON-lines parser per input stream,
 * filling batches and handing them to the engine's queue (source.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/csv.h"
#include "pipeline/engine_impl.h"
#include "pipeline/jsonl.h"

struct sl_feed {
    sl_flow *flow;
    sl_csv *csv;
    sl_jsonl *jsonl;
    sl_batch *batch;   /* being filled */
    uint64_t last_end; /* where the last batch handed on ended */
    bool needs_header; /* CSV with a header, resumed past it: sl_feed_header gives it */
    uint64_t start;
};

bool sl_flow_stopping(const sl_flow *flow) {
    return atomic_load(&flow->stopping);
}

int sl_flow_linger_ms(const sl_flow *flow) {
    return flow->linger_ms;
}

/* Hands a batch to the stage thread, waiting while its queue is full (backpressure). */
static void hand_on(void *ctx, sl_batch *b) {
    sl_feed *f = ctx;
    if (!b->n) {
        sl_batch_free(b);
        return;
    }
    atomic_fetch_add(&f->flow->records, b->n);
    sl_msg m = {.batch = b, .start = f->last_end, .end = b->pos[b->n - 1]};
    f->last_end = m.end;
    if (!sl_queue_push(f->flow->out, m, NULL)) sl_batch_free(b);
}

static void on_bad(void *ctx, const sl_bad_record *bad) {
    sl_feed *f = ctx;
    char reason[512];
    snprintf(reason, sizeof reason, "line %llu: %s", (unsigned long long)bad->line, bad->reason);
    sl_deadletter_raw(f->flow->dead, "parser", reason, bad->raw, bad->len);
    atomic_fetch_add(&f->flow->bad, 1);
}

static const char *const CSV_KEYS[] = {"type", "header", "columns", "delimiter", "max_line", NULL};
static const char *const JSON_KEYS[] = {"type", "max_line", "timestamps", NULL};

static bool type_of(const char *s, sl_ftype *t) {
    static const struct {
        const char *name;
        sl_ftype type;
    } TYPES[] = {{"string", SL_F_STRING}, {"int", SL_F_INT},        {"float", SL_F_FLOAT},
                 {"bool", SL_F_BOOL},     {"timestamp", SL_F_TIME}, {"integer", SL_F_INT},
                 {"number", SL_F_FLOAT},  {"boolean", SL_F_BOOL},   {"time", SL_F_TIME}};
    for (size_t i = 0; i < sizeof TYPES / sizeof *TYPES; i++)
        if (!strcmp(s, TYPES[i].name)) return *t = TYPES[i].type, true;
    return false;
}

/* Reads `columns:` (a list of {name, type} mappings or "name:type" strings). */
static bool read_columns(const sl_conf_ctx *c, const json_t *parser, char ***names,
                         sl_ftype **types, uint32_t *n) {
    json_t *cols = json_object_get(parser, "columns");
    *names = NULL, *types = NULL, *n = 0;
    if (!cols) return true;
    size_t len = json_array_size(cols);
    if (!json_is_array(cols) || !len || len > 4096)
        return sl_conf_fail(c, parser, "\"columns\" must be a list of {name: N, type: T}");
    *names = calloc(len, sizeof **names);
    *types = calloc(len, sizeof **types);
    if (!*names || !*types) return sl_conf_fail(c, parser, "out of memory");
    for (size_t i = 0; i < len; i++) {
        json_t *col = json_array_get(cols, i);
        const char *name = NULL, *type = "string";
        char buf[256];
        if (json_is_object(col)) {
            name = json_string_value(json_object_get(col, "name"));
            if (json_object_get(col, "type"))
                type = json_string_value(json_object_get(col, "type"));
        } else if (json_is_string(col)) {
            snprintf(buf, sizeof buf, "%s", json_string_value(col));
            char *colon = strchr(buf, ':');
            if (colon) *colon = 0, type = colon + 1;
            name = buf;
        }
        if (!name || !*name || !type || !type_of(type, &(*types)[i]))
            return sl_conf_fail(c, json_is_object(col) ? col : parser,
                                "column %zu: expected a name and a type (string, int, float, "
                                "bool, timestamp)",
                                i + 1);
        if (!((*names)[i] = strdup(name))) return sl_conf_fail(c, parser, "out of memory");
        (*n)++;
    }
    return true;
}

static void free_columns(char **names, sl_ftype *types, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(types);
}

bool sl_feed_prepare(const sl_conf_ctx *c, const json_t *parser, sl_parse_opts *o) {
    bool ok = true;
    *o = (sl_parse_opts){0};
    const char *type = sl_conf_str(c, parser, "type", NULL, &ok);
    if (!ok) return false;
    o->json = !strcmp(type, "json");
    if (!o->json && strcmp(type, "csv"))
        return sl_conf_fail(c, parser, "unknown parser \"%s\" (known: csv, json)", type);
    if (!sl_conf_only(c, parser, o->json ? JSON_KEYS : CSV_KEYS)) return false;
    o->max_line = (size_t)sl_conf_int(c, parser, "max_line", 1 << 20, 16, 64 << 20, &ok);
    if (o->json) return ok;
    o->header = sl_conf_bool(c, parser, "header", false, &ok);
    const char *delim = sl_conf_str(c, parser, "delimiter", ",", &ok);
    if (!ok) return false;
    if (strlen(delim) != 1 || strchr("\"\r\n", delim[0]))
        return sl_conf_fail(c, parser,
                            "\"delimiter\" must be one character (not a quote or line break)");
    o->delim = delim[0];
    ok = read_columns(c, parser, &o->names, &o->types, &o->ncols);
    if (ok && !o->header && !o->ncols)
        ok = sl_conf_fail(c, parser, "a CSV parser needs header: true or a columns: list");
    if (!ok) sl_parse_opts_free(o);
    return ok;
}

void sl_parse_opts_free(sl_parse_opts *o) {
    free_columns(o->names, o->types, o->ncols);
    *o = (sl_parse_opts){0};
}

sl_feed *sl_feed_new(sl_flow *flow, uint64_t start) {
    sl_feed *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->flow = flow;
    f->last_end = start;
    char err[256];
    const sl_parse_opts *po = &flow->parse;
    if (po->json) {
        sl_jsonl_opts o = {.max_line = po->max_line,
                           .batch_max = flow->batch_size,
                           .on_batch = hand_on,
                           .on_bad = on_bad,
                           .ctx = f};
        f->jsonl = sl_jsonl_new(&o, err, sizeof err);
        if (f->jsonl && start) sl_jsonl_seek(f->jsonl, start, 1);
    } else {
        sl_csv_opts o = {.delim = po->delim,
                         .header = po->header,
                         .names = (const char *const *)po->names,
                         .types = po->types,
                         .ncols = po->ncols,
                         .max_line = po->max_line,
                         .batch_cap = flow->batch_size,
                         .batch_max = flow->batch_size,
                         .on_batch = hand_on,
                         .on_bad = on_bad,
                         .ctx = f};
        f->csv = sl_csv_new(&o, err, sizeof err);
        /* resuming mid-file: line numbers restart; a header line must be read first (the
         * source hands it to sl_feed_header), else the first record would be taken for it */
        f->needs_header = start && o.header;
        f->start = start;
        if (f->csv && start && !o.header) sl_csv_seek(f->csv, start, 1);
    }
    if (!f->csv && !f->jsonl) {
        fprintf(stderr, "sluice: parser: %s\n", err);
        free(f);
        return NULL;
    }
    return f;
}

bool sl_feed_wants_header(const sl_feed *f) {
    return f->needs_header;
}

void sl_feed_header(sl_feed *f, const char *line, size_t len) {
    if (!f->needs_header) return;
    sl_csv_feed(f->csv, line, len, &f->batch);
    sl_csv_seek(f->csv, f->start, 2);
    f->needs_header = false;
}

bool sl_feed_bytes(sl_feed *f, const char *data, size_t len) {
    if (f->csv)
        sl_csv_feed(f->csv, data, len, &f->batch);
    else
        sl_jsonl_feed(f->jsonl, data, len, &f->batch);
    return !sl_flow_stopping(f->flow);
}

bool sl_feed_flush(sl_feed *f) {
    if (f->batch && f->batch->n) {
        sl_batch *b = f->batch;
        f->batch = NULL;
        hand_on(f, b);
    }
    return !sl_flow_stopping(f->flow);
}

void sl_feed_end(sl_feed *f) {
    if (!f) return;
    if (f->csv)
        sl_csv_finish(f->csv, &f->batch);
    else
        sl_jsonl_finish(f->jsonl, &f->batch);
    sl_feed_flush(f);
    sl_batch_free(f->batch);
    sl_csv_free(f->csv);
    sl_jsonl_free(f->jsonl);
    free(f);
}
