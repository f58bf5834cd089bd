/*
 * csv.c - the incremental CSV parser (csv.h).
 *
 * Records that lie wholly inside a fed chunk are split into fields in place (tokenize) and
 * converted straight into the batch: the fast path, with no copy but the strings' into the
 * arena. A record cut by the end of a chunk is copied to `carry`; later chunks are scanned
 * for its end by a small state machine that follows the same quoting rules (find_end), so
 * that the record is tokenized once, when complete, however small the chunks.
 */
#include "pipeline/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/num_parse.h"

typedef struct field {
    const char *s; /* the bytes between the quotes for a quoted field */
    uint32_t len;
    uint8_t quoted;
    uint8_t esc; /* holds "" pairs to unescape */
} field;

/* find_end's states: at a field's start, in an unquoted field, in a quoted field, and just
 * after a '"' in a quoted field (the closing quote, or the first of a "" pair). */
enum { ST_START, ST_PLAIN, ST_QUOTED, ST_QUOTE };

typedef struct sl_csv {
    sl_parser base; /* first: the parser interface (parser.h) */
    char delim;
    bool want_header;        /* the header is still to be read (base.schema is NULL until) */
    sl_schema *decl;         /* declared columns, or NULL */
    unsigned char stop[256]; /* bytes that end an unquoted field: the delimiter and LF */

    /* The record tokenize found last. */
    field *fields;
    uint32_t nf;
    size_t fcap;
    size_t rec_len;     /* bytes before its line break */
    uint64_t rec_nl;    /* line breaks inside its quoted fields */
    uint32_t bad_field; /* 1-based field with text after its closing quote, or 0 */
    bool unterminated;  /* a quoted field still open at the end of the input */

    /* A record cut by the end of a chunk. */
    bool carrying;     /* base.carry holds it (base.overflow: only its first bytes) */
    int st;            /* find_end's state at the end of carry */
    uint64_t carry_nl; /* line breaks inside its quoted fields so far */

    char *scratch; /* unescaped field bytes */
    size_t scratch_cap;
} sl_csv;

static void csv_free(sl_parser *base);

sl_parser *sl_csv_new(const sl_csv_opts *o, sl_error *err) {
    char d = o->delim ? o->delim : ',';
    if (d == '"' || d == '\r' || d == '\n') {
        sl_errorf(err, SL_ERR_ARGUMENT, "csv: the delimiter cannot be a quote or a line break");
        return NULL;
    }
    if (!o->header && o->ncols == 0) {
        sl_errorf(err, SL_ERR_ARGUMENT, "csv: no header and no declared columns");
        return NULL;
    }
    for (uint32_t i = 0; i < o->ncols; i++) {
        if (!o->names || !o->names[i] || !o->names[i][0]) {
            sl_errorf(err, SL_ERR_ARGUMENT, "csv: declared column %u has no name", i + 1);
            return NULL;
        }
        sl_ftype t = o->types ? o->types[i] : SL_F_NULL;
        if (t > SL_F_TIME) {
            sl_errorf(err, SL_ERR_ARGUMENT, "csv: column \"%s\" has an unknown type %d",
                      o->names[i], t);
            return NULL;
        }
    }
    sl_csv *p = calloc(1, sizeof *p);
    if (!p) goto oom;
    sl_parser_init(&p->base, &sl_csv_parser, o->max_line, o->batch_cap, o->batch_max, o->on_batch,
                   o->on_bad, o->ctx);
    p->delim = d;
    p->want_header = o->header;
    if (p->base.max_line > UINT32_MAX - 2) p->base.max_line = UINT32_MAX - 2; /* 32-bit fields */
    p->stop[(unsigned char)d] = p->stop['\n'] = 1;
    if (o->ncols) {
        p->decl = sl_schema_new(o->names, o->types, o->ncols);
        if (!p->decl) {
            for (uint32_t i = 0; i < o->ncols; i++)
                for (uint32_t j = 0; j < i; j++)
                    if (strcmp(o->names[i], o->names[j]) == 0) {
                        sl_errorf(err, SL_ERR_ARGUMENT, "csv: column \"%s\" is declared twice",
                                  o->names[i]);
                        csv_free(&p->base);
                        return NULL;
                    }
            goto oom;
        }
        if (!o->header) p->base.schema = sl_schema_ref(p->decl);
    }
    if (!sl_grow(&p->fields, &p->fcap, 16, sizeof *p->fields)) goto oom;
    return &p->base;
oom:
    sl_errorf(err, SL_ERR_NOMEM, "csv: out of memory");
    if (p) csv_free(&p->base);
    return NULL;
}

static void csv_free(sl_parser *base) {
    sl_csv *p = (sl_csv *)base;
    sl_parser_done(&p->base);
    sl_schema_unref(p->decl);
    free(p->fields);
    free(p->scratch);
    free(p);
}

static bool csv_seek(sl_parser *base, uint64_t pos, uint64_t line) {
    sl_csv *p = (sl_csv *)base;
    if (p->carrying) return false;
    p->base.off = pos;
    p->base.line = line ? line : 1;
    return true;
}

/* ---- Splitting records ------------------------------------------------------------------- */

static uint64_t count_nl(const char *a, const char *b) {
    uint64_t n = 0;
    while (a < b && (a = memchr(a, '\n', (size_t)(b - a))))
        a++, n++;
    return n;
}

/* Splits the record starting at s into p->fields. Returns the end of the record (past its
 * line break), or NULL when it does not end before `end` and more input may follow (or, with
 * p->base.failed set, when out of memory). With eof, the record ends at `end` at the latest. */
static const char *tokenize(sl_csv *p, const char *s, const char *end, bool eof) {
    const char *q = s;
    const char delim = p->delim;
    const unsigned char *stop = p->stop;
    uint32_t nf = 0;
    p->rec_nl = 0;
    p->bad_field = 0;
    p->unterminated = false;
    for (;;) {
        if (nf == p->fcap && !sl_grow(&p->fields, &p->fcap, (size_t)nf + 1, sizeof *p->fields)) {
            sl_parser_fail(&p->base, "csv: out of memory");
            return NULL;
        }
        field *f = &p->fields[nf++];
        if (q < end && *q == '"') {
            const char *a = ++q;
            bool esc = false;
            for (;;) {
                const char *qq = memchr(q, '"', (size_t)(end - q));
                if (!qq) {
                    if (!eof) return NULL;
                    p->unterminated = true;
                    *f = (field){a, (uint32_t)(end - a), 1, esc};
                    p->rec_nl += count_nl(a, end);
                    p->rec_len = (size_t)(end - s);
                    p->nf = nf;
                    return end;
                }
                if (qq + 1 == end && !eof) return NULL; /* maybe the first of a "" pair */
                if (qq + 1 < end && qq[1] == '"') {
                    esc = true;
                    q = qq + 2;
                    continue;
                }
                q = qq;
                break;
            }
            *f = (field){a, (uint32_t)(q - a), 1, esc};
            p->rec_nl += count_nl(a, q);
            q++;
            if (q < end && *q == delim) {
                q++;
                continue;
            }
            if (q < end && *q == '\n') {
                p->rec_len = (size_t)(q - s);
                q++;
                break;
            }
            if (q + 1 < end && q[0] == '\r' && q[1] == '\n') {
                p->rec_len = (size_t)(q - s);
                q += 2;
                break;
            }
            if (q == end || (q + 1 == end && *q == '\r')) {
                if (!eof) return NULL;
                p->rec_len = (size_t)(q - s);
                q = end;
                break;
            }
            /* Text after the closing quote: the record is bad; read on as if the field were
             * unquoted, to find where the record ends. */
            if (!p->bad_field) p->bad_field = nf;
            while (q < end && !stop[(unsigned char)*q])
                q++;
            if (q < end && *q == delim) {
                q++;
                continue;
            }
            if (q == end && !eof) return NULL;
            p->rec_len = (size_t)(q - s);
            if (p->rec_len && q[-1] == '\r') p->rec_len--;
            if (q < end) q++;
            break;
        }
        const char *a = q;
        while (q < end && !stop[(unsigned char)*q])
            q++;
        if (q < end && *q == delim) {
            *f = (field){a, (uint32_t)(q - a), 0, 0};
            q++;
            continue;
        }
        if (q == end && !eof) return NULL;
        size_t n = (size_t)(q - a);
        if (n && q[-1] == '\r') n--; /* CRLF, or a CR at the very end of the input */
        *f = (field){a, (uint32_t)n, 0, 0};
        p->rec_len = (size_t)(a + n - s);
        if (q < end) q++;
        break;
    }
    p->nf = nf;
    return q;
}

/* Scans s[0..n) for the end of the carried record, from state p->st. True (and *k = the
 * index of the record's LF) when found. */
static bool find_end(sl_csv *p, const char *s, size_t n, size_t *k) {
    int st = p->st;
    const char delim = p->delim;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (st) {
        case ST_START:
            if (c == '"') {
                st = ST_QUOTED;
                break;
            }
            /* fall through */
        case ST_PLAIN:
            if (c == delim)
                st = ST_START;
            else if (c == '\n')
                goto found;
            else
                st = ST_PLAIN;
            break;
        case ST_QUOTED:
            if (c == '"')
                st = ST_QUOTE;
            else if (c == '\n')
                p->carry_nl++;
            break;
        case ST_QUOTE:
            if (c == '"')
                st = ST_QUOTED;
            else if (c == delim)
                st = ST_START;
            else if (c == '\n')
                goto found;
            else
                st = ST_PLAIN;
            break;
        }
        continue;
    found:
        p->st = ST_START;
        *k = i;
        return true;
    }
    p->st = st;
    return false;
}

/* Appends to carry, keeping at most max_line + 2 bytes (room for a CRLF). */
static bool carry_append(sl_csv *p, const char *s, size_t n) {
    return sl_parser_carry(&p->base, p->base.max_line + 2, s, n) ||
           sl_parser_fail(&p->base, "csv: out of memory");
}

/* ---- Records ----------------------------------------------------------------------------- */

/* A field's bytes, its "" pairs unescaped; NULL when out of memory. */
static const char *field_bytes(sl_csv *p, const field *f, size_t *len) {
    if (!f->esc) {
        *len = f->len;
        return f->s;
    }
    if (f->len > p->scratch_cap && !sl_grow(&p->scratch, &p->scratch_cap, f->len, 1)) return NULL;
    size_t n = 0;
    for (uint32_t i = 0; i < f->len; i++) {
        p->scratch[n++] = f->s[i];
        if (f->s[i] == '"') i++; /* the second of a pair */
    }
    *len = n;
    return p->scratch;
}

static bool read_header(sl_csv *p, const char *s, uint64_t line, uint64_t pos) {
    (void)s, (void)pos;
    if (p->unterminated)
        return sl_parser_fail(&p->base, "csv: header (line %llu): unterminated quoted field",
                              (unsigned long long)line);
    if (p->bad_field)
        return sl_parser_fail(&p->base,
                              "csv: header (line %llu): text after the closing quote of column %u",
                              (unsigned long long)line, p->bad_field);
    uint32_t nf = p->nf;
    char **names = calloc(nf, sizeof *names);
    sl_ftype *types = calloc(nf, sizeof *types);
    bool ok = names && types;
    for (uint32_t i = 0; ok && i < nf; i++) {
        size_t n;
        const char *b = field_bytes(p, &p->fields[i], &n);
        if (!b || !(names[i] = strndup(b, n))) {
            ok = sl_parser_fail(&p->base, "csv: out of memory");
            break;
        }
        if (!n || memchr(b, '\0', n)) {
            ok = sl_parser_fail(&p->base, "csv: header (line %llu): column %u has no name",
                                (unsigned long long)line, i + 1);
            break;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                ok = sl_parser_fail(&p->base,
                                    "csv: header (line %llu): column \"%.100s\" appears twice",
                                    (unsigned long long)line, names[i]);
                break;
            }
    }
    if (ok && p->decl) {
        for (uint32_t i = 0; i < p->decl->nfields; i++) {
            const char *name = p->decl->names[i];
            uint32_t j = 0;
            while (j < nf && strcmp(names[j], name) != 0)
                j++;
            if (j == nf) {
                ok = sl_parser_fail(&p->base,
                                    "csv: declared column \"%.100s\" is not in the header", name);
                break;
            }
            types[j] = p->decl->types[i];
        }
    }
    if (ok && !(p->base.schema = sl_schema_new((const char *const *)names, types, nf)))
        ok = sl_parser_fail(&p->base, "csv: out of memory");
    for (uint32_t i = 0; names && i < nf; i++)
        free(names[i]);
    free(names);
    free(types);
    p->want_header = false;
    return ok;
}

static const char *const type_names[] = {[SL_F_INT] = "an int",
                                         [SL_F_FLOAT] = "a float",
                                         [SL_F_BOOL] = "a bool",
                                         [SL_F_TIME] = "a timestamp"};

/* Turns the record just tokenized, s[0..p->rec_len), into a record of *bp, or reports it. */
static bool take_record(sl_csv *p, const char *s, uint64_t pos, sl_batch **bp) {
    uint64_t line = p->base.line;
    p->base.line += 1 + p->rec_nl;
    const field *fields = p->fields;
    uint32_t nf = p->nf;
    if (nf == 1 && fields[0].len == 0 && !fields[0].quoted) return true; /* a blank line */
    if (p->rec_len > p->base.max_line) {
        if (p->want_header)
            return sl_parser_fail(&p->base, "csv: the header is longer than %zu bytes",
                                  p->base.max_line);
        sl_parser_bad(&p->base, s, p->rec_len, line, pos, "line longer than %zu bytes",
                      p->base.max_line);
        return true;
    }
    if (p->want_header) return read_header(p, s, line, pos);
    if (p->unterminated) {
        sl_parser_bad(&p->base, s, p->rec_len, line, pos,
                      "unterminated quoted field at the end of the input");
        return true;
    }
    if (p->bad_field) {
        sl_parser_bad(&p->base, s, p->rec_len, line, pos,
                      "text after the closing quote of field %u", p->bad_field);
        return true;
    }
    const sl_schema *schema = p->base.schema;
    if (nf != schema->nfields) {
        sl_parser_bad(&p->base, s, p->rec_len, line, pos, "expected %u fields, got %u",
                      schema->nfields, nf);
        return true;
    }
    sl_batch *b = *bp;
    if ((!b || b->schema != schema) &&
        !sl_batch_ready(bp, p->base.schema, p->base.batch_cap, p->base.on_batch, p->base.ctx))
        return sl_parser_fail(&p->base,
                              *bp ? "csv: the batch has another schema" : "csv: out of memory");
    b = *bp;
    size_t arena0 = b->arena_len;
    sl_value *row = sl_batch_add(b, pos);
    if (!row) return sl_parser_fail(&p->base, "csv: out of memory");
    const sl_ftype *types = schema->types;
    for (uint32_t i = 0; i < nf; i++) {
        const field *f = &fields[i];
        sl_ftype t = types[i];
        if (f->len == 0) {
            /* "" is the empty string in a string column; other empty fields are null */
            if (f->quoted && (t == SL_F_NULL || t == SL_F_STRING) &&
                !sl_batch_set_str(b, &row[i], "", 0))
                goto oom;
            continue;
        }
        size_t n;
        const char *v = field_bytes(p, f, &n);
        if (!v) goto oom;
        if (t == SL_F_NULL || t == SL_F_STRING) {
            if (!sl_batch_set_str(b, &row[i], v, n)) goto oom;
            continue;
        }
        while (n && (*v == ' ' || *v == '\t'))
            v++, n--;
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (!n) continue;
        bool ok;
        switch (t) {
        case SL_F_INT: ok = sl_parse_int(v, n, &row[i].v.i); break;
        case SL_F_FLOAT: ok = sl_parse_float(v, n, &row[i].v.f); break;
        case SL_F_BOOL: ok = sl_parse_bool(v, n, &row[i].v.b); break;
        default: ok = sl_parse_time(v, n, &row[i].v.i); break;
        }
        if (!ok) {
            b->n--;
            b->arena_len = arena0;
            sl_parser_bad(&p->base, s, p->rec_len, line, pos,
                          "field %u (\"%.60s\"): \"%.*s%s\" is not %s", i + 1, schema->names[i],
                          (int)(n > 40 ? 40 : n), v, n > 40 ? "..." : "", type_names[t]);
            return true;
        }
        row[i].type = (uint8_t)t;
    }
    sl_parser_batch_full(&p->base, bp);
    return true;
oom:
    b->n--;
    b->arena_len = arena0;
    return sl_parser_fail(&p->base, "csv: out of memory");
}

/* The carried record is complete (or the input ended): tokenize it and take it. */
static bool take_carry(sl_csv *p, uint64_t pos, bool eof, sl_batch **bp) {
    p->carrying = false;
    size_t n = p->base.carry.len;
    p->base.carry.len = 0; /* its bytes stay where they are until the next append */
    if (p->base.overflow) {
        p->base.overflow = false;
        uint64_t line = p->base.line;
        p->base.line += 1 + p->carry_nl;
        if (p->want_header)
            return sl_parser_fail(&p->base, "csv: the header is longer than %zu bytes",
                                  p->base.max_line);
        sl_parser_bad(&p->base, p->base.carry.data, n, line, pos, "line longer than %zu bytes",
                      p->base.max_line);
        return true;
    }
    if (!tokenize(p, p->base.carry.data, p->base.carry.data + n, eof)) {
        if (p->base.failed) return false;
        return sl_parser_fail(&p->base, "csv: internal error: a carried record is incomplete");
    }
    return take_record(p, p->base.carry.data, pos, bp);
}

static bool csv_bytes(sl_parser *parser, const char *data, size_t len, sl_batch **bp) {
    sl_csv *p = (sl_csv *)parser;
    if (p->base.failed) return false;
    const char *s = data, *end = data + len;
    uint64_t base = p->base.off;
    p->base.off += len;
    if (p->carrying) {
        size_t k;
        bool found = find_end(p, s, len, &k);
        size_t take = found ? k + 1 : len;
        if (!carry_append(p, s, take)) return false;
        if (!found) return true;
        s += take;
        if (!take_carry(p, base + take, false, bp)) return false;
    }
    while (s < end) {
        const char *r = tokenize(p, s, end, false);
        if (!r) {
            if (p->base.failed) return false;
            /* Keep the partial record, and find_end's state at its end. */
            size_t k;
            p->carrying = true;
            p->st = ST_START;
            p->carry_nl = 0;
            find_end(p, s, (size_t)(end - s), &k);
            return carry_append(p, s, (size_t)(end - s));
        }
        if (!take_record(p, s, base + (uint64_t)(r - data), bp)) return false;
        s = r;
    }
    return true;
}

static bool csv_finish(sl_parser *base, sl_batch **bp) {
    sl_csv *p = (sl_csv *)base;
    if (p->base.failed) return false;
    if (p->carrying && !take_carry(p, p->base.off, true, bp)) return false;
    return true;
}

/* ---- The parser section of a pipeline ---------------------------------------------------- */

static const char *const CSV_KEYS[] = {"type", "header", "columns", "delimiter", "max_line", NULL};

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

/* The settings: sl_csv_opts whose names and types this owns (the callbacks come with the
 * stream, at make). */
static void csv_settings_free(void *settings) {
    sl_csv_opts *o = settings;
    if (!o) return;
    free_columns((char **)o->names, (sl_ftype *)o->types, o->ncols);
    free(o);
}

static void *csv_prepare(const sl_conf_ctx *c, const json_t *parser) {
    bool ok = true;
    sl_csv_opts *o = calloc(1, sizeof *o);
    if (!o) return sl_conf_fail(c, parser, "out of memory"), NULL;
    o->max_line = (size_t)sl_conf_int(c, parser, "max_line", 1 << 20, 16, 64 << 20, &ok);
    o->header = sl_conf_bool(c, parser, "header", false, &ok);
    const char *delim = sl_conf_str(c, parser, "delimiter", ",", &ok);
    if (ok && (strlen(delim) != 1 || strchr("\"\r\n", delim[0])))
        ok = sl_conf_fail(c, parser,
                          "\"delimiter\" must be one character (not a quote or line break)");
    if (ok) {
        o->delim = delim[0];
        char **names;
        sl_ftype *types;
        ok = read_columns(c, parser, &names, &types, &o->ncols);
        o->names = (const char *const *)names, o->types = types;
    }
    if (ok && !o->header && !o->ncols)
        ok = sl_conf_fail(c, parser, "a CSV parser needs header: true or a columns: list");
    if (!ok) {
        csv_settings_free(o);
        return NULL;
    }
    return o;
}

static sl_parser *csv_make(const void *settings, const sl_parser_env *env, sl_error *err) {
    sl_csv_opts o = *(const sl_csv_opts *)settings;
    o.batch_cap = env->batch_size;
    o.batch_max = env->batch_size;
    o.on_batch = env->on_batch;
    o.on_bad = env->on_bad;
    o.ctx = env->ctx;
    return sl_csv_new(&o, err);
}

/* Resumed mid-file, a parser with a header must read it first, else it would take the first
 * record for it. */
static bool csv_needs_first_line(const void *settings) {
    return ((const sl_csv_opts *)settings)->header;
}

const sl_parser_ops sl_csv_parser = {
    .name = "csv",
    .keys = CSV_KEYS,
    .prepare = csv_prepare,
    .settings_free = csv_settings_free,
    .make = csv_make,
    .needs_first_line = csv_needs_first_line,
    .bytes = csv_bytes,
    .finish = csv_finish,
    .seek = csv_seek,
    .free = csv_free,
};
