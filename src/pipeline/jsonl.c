/*
 * jsonl.c - the JSON lines parser (jsonl.h): splits lines, keeps the schema, and leaves the
 * JSON itself to the reader (json_reader.h).
 */
#include "pipeline/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_reader.h"

#define DEFAULT_MAX_LINE  (1u << 20)
#define DEFAULT_BATCH_CAP 1024

typedef struct sl_jsonl {
    sl_parser base; /* first: the parser interface (parser.h) */
    sl_json_reader *r;
    sl_schema *hint;
    sl_schema *schema;
    size_t max_line;
    uint32_t batch_cap, batch_max;
    sl_batch_fn on_batch;
    sl_bad_record_fn on_bad;
    void *ctx;
    sl_buf carry; /* a line cut by the end of a chunk (at most max_line + 1 bytes kept) */
    bool overflow;
    uint64_t off, line, nbad;
    bool failed;
    char err[128];
    char reason[256];
} sl_jsonl;

sl_parser *sl_jsonl_new(const sl_jsonl_opts *o, sl_error *err) {
    sl_jsonl *p = calloc(1, sizeof *p);
    if (!p || !(p->r = sl_json_reader_new(o->hint))) {
        sl_errorf(err, SL_ERR_NOMEM, "jsonl: out of memory");
        free(p);
        return NULL;
    }
    p->base.ops = &sl_jsonl_parser;
    p->hint = sl_schema_ref(o->hint);
    p->max_line = o->max_line ? o->max_line : DEFAULT_MAX_LINE;
    p->batch_cap = o->batch_cap ? o->batch_cap : DEFAULT_BATCH_CAP;
    p->batch_max = o->batch_max;
    p->on_batch = o->on_batch;
    p->on_bad = o->on_bad;
    p->ctx = o->ctx;
    p->line = 1;
    return &p->base;
}

static void jsonl_free(sl_parser *base) {
    sl_jsonl *p = (sl_jsonl *)base;
    sl_json_reader_free(p->r);
    sl_schema_unref(p->hint);
    sl_schema_unref(p->schema);
    sl_buf_free(&p->carry);
    free(p);
}

static sl_schema *jsonl_schema(const sl_parser *p) {
    return ((const sl_jsonl *)p)->schema;
}

static const char *jsonl_error(const sl_parser *base) {
    const sl_jsonl *p = (const sl_jsonl *)base;
    return p->failed ? p->err : NULL;
}

static uint64_t jsonl_bad_count(const sl_parser *p) {
    return ((const sl_jsonl *)p)->nbad;
}

static bool jsonl_seek(sl_parser *base, uint64_t pos, uint64_t line) {
    sl_jsonl *p = (sl_jsonl *)base;
    if (p->carry.len) return false;
    p->off = pos;
    p->line = line ? line : 1;
    return true;
}

static bool oom(sl_jsonl *p) {
    snprintf(p->err, sizeof p->err, "jsonl: out of memory");
    p->failed = true;
    return false;
}

static void bad(sl_jsonl *p, const char *s, size_t n, uint64_t line, uint64_t pos) {
    p->nbad++;
    if (!p->on_bad) return;
    sl_bad_record r = {
        .raw = s,
        .len = n < p->max_line ? n : p->max_line,
        .line = line,
        .pos = pos,
        .reason = p->reason,
    };
    p->on_bad(p->ctx, &r);
}

/* One line, s[0..n) without its LF, whose record gets position pos. */
static bool take_line(sl_jsonl *p, const char *s, size_t n, uint64_t pos, sl_batch **bp) {
    uint64_t line = p->line++;
    if (n && s[n - 1] == '\r') n--;
    if (n > p->max_line || p->overflow) {
        p->overflow = false;
        snprintf(p->reason, sizeof p->reason, "line longer than %zu bytes", p->max_line);
        bad(p, s, n, line, pos);
        return true;
    }
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == n) return true; /* a blank line */
    sl_json_reader *r = p->r;
    if (!sl_json_reader_parse(r, s, n)) {
        size_t at;
        const char *why = sl_json_reader_error(r, &at);
        if (strcmp(why, "out of memory") == 0) return oom(p);
        snprintf(p->reason, sizeof p->reason, "invalid JSON: %s at column %zu", why, at + 1);
        bad(p, s, n, line, pos);
        return true;
    }
    if (!p->schema || sl_json_reader_map(r, p->schema)) {
        sl_schema *s2 = sl_json_reader_extend(r, p->schema); /* maps r to s2 */
        if (!s2) return oom(p);
        sl_schema_unref(p->schema);
        p->schema = s2;
    }
    sl_batch *b = *bp;
    if (!b || b->schema != p->schema) {
        if (!sl_batch_ready(bp, p->schema, p->batch_cap, p->on_batch, p->ctx)) {
            if (!*bp) return oom(p);
            snprintf(p->err, sizeof p->err, "jsonl: the batch has another schema");
            p->failed = true;
            return false;
        }
        b = *bp;
        /* A caller's batch may have an equal schema at another address. */
        if (b->schema != p->schema) sl_json_reader_map(r, b->schema);
    }
    if (!sl_json_reader_emit(r, b, pos)) return oom(p);
    if (p->on_batch && p->batch_max && b->n >= p->batch_max) {
        p->on_batch(p->ctx, b);
        *bp = NULL;
    }
    return true;
}

static bool carry_append(sl_jsonl *p, const char *s, size_t n) {
    /* room for a CR */
    return sl_carry_append(&p->carry, p->max_line + 1, &p->overflow, s, n) || oom(p);
}

static bool jsonl_bytes(sl_parser *parser, const char *data, size_t len, sl_batch **bp) {
    sl_jsonl *p = (sl_jsonl *)parser;
    if (p->failed) return false;
    const char *s = data, *end = data + len;
    uint64_t base = p->off;
    p->off += len;
    if (p->carry.len) {
        const char *nl = memchr(s, '\n', len);
        if (!carry_append(p, s, nl ? (size_t)(nl - s) : len)) return false;
        if (!nl) return true;
        size_t n = p->carry.len;
        p->carry.len = 0; /* its bytes stay where they are until the next append */
        s = nl + 1;
        if (!take_line(p, p->carry.data, n, base + (uint64_t)(s - data), bp)) return false;
    }
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) return carry_append(p, s, (size_t)(end - s));
        if (!take_line(p, s, (size_t)(nl - s), base + (uint64_t)(nl + 1 - data), bp)) return false;
        s = nl + 1;
    }
    return true;
}

static bool jsonl_finish(sl_parser *base, sl_batch **bp) {
    sl_jsonl *p = (sl_jsonl *)base;
    if (p->failed) return false;
    if (!p->carry.len) return true;
    size_t n = p->carry.len;
    p->carry.len = 0;
    return take_line(p, p->carry.data, n, p->off, bp);
}

/* ---- The parser section of a pipeline ---------------------------------------------------- */

/* timestamps: is accepted for older pipeline files; declared types come with the hint. */
static const char *const JSON_KEYS[] = {"type", "max_line", "timestamps", NULL};

static void *jsonl_prepare(const sl_conf_ctx *c, const json_t *parser) {
    bool ok = true;
    sl_jsonl_opts *o = calloc(1, sizeof *o);
    if (!o) return sl_conf_fail(c, parser, "out of memory"), NULL;
    o->max_line = (size_t)sl_conf_int(c, parser, "max_line", 1 << 20, 16, 64 << 20, &ok);
    if (!ok) {
        free(o);
        return NULL;
    }
    return o;
}

static sl_parser *jsonl_make(const void *settings, const sl_parser_env *env, sl_error *err) {
    sl_jsonl_opts o = *(const sl_jsonl_opts *)settings;
    o.batch_max = env->batch_size;
    o.on_batch = env->on_batch;
    o.on_bad = env->on_bad;
    o.ctx = env->ctx;
    return sl_jsonl_new(&o, err);
}

static bool jsonl_needs_first_line(const void *settings) {
    (void)settings;
    return false;
}

const sl_parser_ops sl_jsonl_parser = {
    .name = "json",
    .keys = JSON_KEYS,
    .prepare = jsonl_prepare,
    .settings_free = free,
    .make = jsonl_make,
    .needs_first_line = jsonl_needs_first_line,
    .bytes = jsonl_bytes,
    .finish = jsonl_finish,
    .seek = jsonl_seek,
    .schema = jsonl_schema,
    .error = jsonl_error,
    .bad_count = jsonl_bad_count,
    .free = jsonl_free,
};
