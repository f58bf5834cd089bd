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

typedef struct sl_jsonl {
    sl_parser base; /* first: the parser interface and state (parser.h) */
    sl_json_reader *r;
    sl_schema *hint;
} sl_jsonl;

sl_parser *sl_jsonl_new(const sl_jsonl_opts *o, sl_error *err) {
    sl_jsonl *p = calloc(1, sizeof *p);
    if (!p || !(p->r = sl_json_reader_new(o->hint))) {
        sl_errorf(err, SL_ERR_NOMEM, "jsonl: out of memory");
        free(p);
        return NULL;
    }
    sl_parser_init(&p->base, &sl_jsonl_parser, o->max_line, o->batch_cap, o->batch_max, o->on_batch,
                   o->on_bad, o->ctx);
    p->hint = sl_schema_ref(o->hint);
    return &p->base;
}

static void jsonl_free(sl_parser *base) {
    sl_jsonl *p = (sl_jsonl *)base;
    sl_parser_done(&p->base);
    sl_json_reader_free(p->r);
    sl_schema_unref(p->hint);
    free(p);
}

static bool jsonl_seek(sl_parser *base, uint64_t pos, uint64_t line) {
    sl_jsonl *p = (sl_jsonl *)base;
    if (p->base.carry.len) return false;
    p->base.off = pos;
    p->base.line = line ? line : 1;
    return true;
}

static bool oom(sl_jsonl *p) {
    return sl_parser_fail(&p->base, "jsonl: out of memory");
}

/* One line, s[0..n) without its LF, whose record gets position pos. */
static bool take_line(sl_jsonl *p, const char *s, size_t n, uint64_t pos, sl_batch **bp) {
    uint64_t line = p->base.line++;
    if (n && s[n - 1] == '\r') n--;
    if (n > p->base.max_line || p->base.overflow) {
        p->base.overflow = false;
        sl_parser_bad(&p->base, s, n, line, pos, "line longer than %zu bytes", p->base.max_line);
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
        sl_parser_bad(&p->base, s, n, line, pos, "invalid JSON: %s at column %zu", why, at + 1);
        return true;
    }
    if (!p->base.schema || sl_json_reader_map(r, p->base.schema)) {
        sl_schema *s2 = sl_json_reader_extend(r, p->base.schema); /* maps r to s2 */
        if (!s2) return oom(p);
        sl_schema_unref(p->base.schema);
        p->base.schema = s2;
    }
    sl_batch *b = *bp;
    if (!b || b->schema != p->base.schema) {
        if (!sl_batch_ready(bp, p->base.schema, p->base.batch_cap, p->base.on_batch, p->base.ctx)) {
            if (!*bp) return oom(p);
            return sl_parser_fail(&p->base, "jsonl: the batch has another schema");
        }
        b = *bp;
        /* A caller's batch may have an equal schema at another address. */
        if (b->schema != p->base.schema) sl_json_reader_map(r, b->schema);
    }
    if (!sl_json_reader_emit(r, b, pos)) return oom(p);
    sl_parser_batch_full(&p->base, bp);
    return true;
}

static bool carry_append(sl_jsonl *p, const char *s, size_t n) {
    /* room for a CR */
    return sl_parser_carry(&p->base, p->base.max_line + 1, s, n) || oom(p);
}

static bool jsonl_bytes(sl_parser *parser, const char *data, size_t len, sl_batch **bp) {
    sl_jsonl *p = (sl_jsonl *)parser;
    if (p->base.failed) return false;
    const char *s = data, *end = data + len;
    uint64_t base = p->base.off;
    p->base.off += len;
    if (p->base.carry.len) {
        const char *nl = memchr(s, '\n', len);
        if (!carry_append(p, s, nl ? (size_t)(nl - s) : len)) return false;
        if (!nl) return true;
        size_t n = p->base.carry.len;
        p->base.carry.len = 0; /* its bytes stay where they are until the next append */
        s = nl + 1;
        if (!take_line(p, p->base.carry.data, n, base + (uint64_t)(s - data), bp)) return false;
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
    if (p->base.failed) return false;
    if (!p->base.carry.len) return true;
    size_t n = p->base.carry.len;
    p->base.carry.len = 0;
    return take_line(p, p->base.carry.data, n, p->base.off, bp);
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
    .free = jsonl_free,
};
