/*
 * stage_filter.c - `filter: {where: "EXPR"}` keeps the records for which EXPR is true, and
 * `select: {fields: [a, b]}` keeps some fields.
 *
 * EXPR compares fields with literals and combines the comparisons:
 *     air_quality > 150 and not (sensor == "lab" or is_anomaly == false)
 * operators == != < <= > >=, and/&&, or/||, not/!, parentheses; literals are numbers,
 * "strings" or 'strings', true, false, null. A field alone is true when it is true, non-zero
 * or a non-empty string. A comparison with a missing or null field is false (except
 * `== null` / `!= null`), and so is one between a number and a string: records are data
 * from outside, and a filter should drop what it cannot judge rather than stop.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/stage.h"

typedef enum { N_FIELD, N_NUM, N_STR, N_BOOL, N_NULL, N_CMP, N_AND, N_OR, N_NOT } node_kind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op;

typedef struct node {
    node_kind kind;
    cmp_op op;
    struct node *a, *b;
    char *text; /* field name or string */
    double num;
    bool bval;
} node;

typedef struct parser {
    const char *s, *p;
    char err[200];
} parser;

static void node_free(node *n) {
    if (!n) return;
    node_free(n->a);
    node_free(n->b);
    free(n->text);
    free(n);
}

static node *mk(node_kind k) {
    node *n = calloc(1, sizeof *n);
    if (n) n->kind = k;
    return n;
}

static void skip(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

/* Whether the next token is the word or symbol w (words must end at a non-identifier). */
static bool accept(parser *ps, const char *w) {
    skip(ps);
    size_t n = strlen(w);
    if (strncmp(ps->p, w, n) != 0) return false;
    char c = ps->p[n];
    bool word = (w[0] >= 'a' && w[0] <= 'z');
    if (word &&
        ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
        return false;
    ps->p += n;
    return true;
}

static node *parse_or(parser *ps);

static node *fail_at(parser *ps, const char *what) {
    if (!ps->err[0])
        snprintf(ps->err, sizeof ps->err, "%s at column %d of the expression", what,
                 (int)(ps->p - ps->s) + 1);
    return NULL;
}

static node *parse_operand(parser *ps) {
    skip(ps);
    const char *p = ps->p;
    if (*p == '"' || *p == '\'') {
        const char *end = strchr(p + 1, *p);
        if (!end) return fail_at(ps, "unterminated string");
        node *n = mk(N_STR);
        if (n) n->text = strndup(p + 1, (size_t)(end - p - 1));
        ps->p = end + 1;
        return n;
    }
    if ((*p >= '0' && *p <= '9') || ((*p == '-' || *p == '.') && p[1] >= '0' && p[1] <= '9')) {
        char *end;
        double d = strtod(p, &end);
        node *n = mk(N_NUM);
        if (n) n->num = d;
        ps->p = end;
        return n;
    }
    if (accept(ps, "true") || accept(ps, "false")) {
        node *n = mk(N_BOOL);
        if (n) n->bval = ps->p[-1] == 'e' && ps->p[-2] == 'u';
        return n;
    }
    if (accept(ps, "null")) return mk(N_NULL);
    size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
    if (!len || (*p >= '0' && *p <= '9')) return fail_at(ps, "expected a field or a value");
    node *n = mk(N_FIELD);
    if (n) n->text = strndup(p, len);
    ps->p += len;
    return n;
}

static node *parse_unary(parser *ps) {
    if (accept(ps, "not") || accept(ps, "!")) {
        node *n = mk(N_NOT);
        if (n && !(n->a = parse_unary(ps))) {
            node_free(n);
            return NULL;
        }
        return n;
    }
    if (accept(ps, "(")) {
        node *n = parse_or(ps);
        if (n && !accept(ps, ")")) {
            node_free(n);
            return fail_at(ps, "expected )");
        }
        return n;
    }
    node *a = parse_operand(ps);
    if (!a) return NULL;
    static const struct {
        const char *sym;
        cmp_op op;
    } OPS[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE},
               {">=", OP_GE}, {"<", OP_LT},  {">", OP_GT}};
    for (size_t i = 0; i < sizeof OPS / sizeof *OPS; i++)
        if (accept(ps, OPS[i].sym)) {
            node *n = mk(N_CMP);
            if (!n || !(n->b = parse_operand(ps))) {
                node_free(n);
                node_free(a);
                return NULL;
            }
            n->op = OPS[i].op;
            n->a = a;
            return n;
        }
    return a;
}

static node *parse_binary(parser *ps, bool is_or) {
    node *a = is_or ? parse_binary(ps, false) : parse_unary(ps);
    while (a && (is_or ? (accept(ps, "or") || accept(ps, "||"))
                       : (accept(ps, "and") || accept(ps, "&&")))) {
        node *n = mk(is_or ? N_OR : N_AND);
        node *b = is_or ? parse_binary(ps, false) : parse_unary(ps);
        if (!n || !b) {
            node_free(n);
            node_free(b);
            node_free(a);
            return NULL;
        }
        n->a = a, n->b = b;
        a = n;
    }
    return a;
}

static node *parse_or(parser *ps) {
    return parse_binary(ps, true);
}

/* ---- Evaluation ---------------------------------------------------------------------------- */

typedef struct operand {
    enum { V_NONE, V_NUM, V_STR, V_BOOL } t;
    double num;
    const char *s;
    size_t len;
    bool b;
} operand;

static operand value_of(const node *n, const sl_batch *b, const sl_value *row) {
    operand o = {0};
    switch (n->kind) {
    case N_NUM: o.t = V_NUM, o.num = n->num; break;
    case N_STR: o.t = V_STR, o.s = n->text, o.len = strlen(n->text); break;
    case N_BOOL: o.t = V_BOOL, o.b = n->bval; break;
    case N_FIELD: {
        int i = sl_schema_find(b->schema, n->text, strlen(n->text));
        if (i < 0) break;
        const sl_value *v = &row[i];
        switch ((sl_ftype)v->type) {
        case SL_F_INT:
        case SL_F_TIME: o.t = V_NUM, o.num = (double)v->v.i; break;
        case SL_F_FLOAT: o.t = V_NUM, o.num = v->v.f; break;
        case SL_F_BOOL: o.t = V_BOOL, o.b = v->v.b; break;
        case SL_F_STRING: o.t = V_STR, o.s = sl_batch_str(b, v), o.len = v->len; break;
        case SL_F_NULL: break;
        }
        break;
    }
    default: break;
    }
    return o;
}

static bool eval(const node *n, const sl_batch *b, const sl_value *row) {
    switch (n->kind) {
    case N_AND: return eval(n->a, b, row) && eval(n->b, b, row);
    case N_OR: return eval(n->a, b, row) || eval(n->b, b, row);
    case N_NOT: return !eval(n->a, b, row);
    case N_CMP: {
        if (n->b->kind == N_NULL || n->a->kind == N_NULL) {
            operand x = value_of(n->a->kind == N_NULL ? n->b : n->a, b, row);
            bool is_null = x.t == V_NONE;
            return n->op == OP_EQ ? is_null : n->op == OP_NE ? !is_null : false;
        }
        operand x = value_of(n->a, b, row), y = value_of(n->b, b, row);
        int c;
        if (x.t == V_NUM && y.t == V_NUM) {
            if (isnan(x.num) || isnan(y.num)) return n->op == OP_NE;
            c = (x.num > y.num) - (x.num < y.num);
        } else if (x.t == V_STR && y.t == V_STR) {
            int r = memcmp(x.s, y.s, x.len < y.len ? x.len : y.len);
            c = r ? (r > 0) - (r < 0) : (x.len > y.len) - (x.len < y.len);
        } else if (x.t == V_BOOL && y.t == V_BOOL) {
            c = (int)x.b - (int)y.b;
        } else {
            return false; /* missing, null, or different kinds */
        }
        switch (n->op) {
        case OP_EQ: return c == 0;
        case OP_NE: return c != 0;
        case OP_LT: return c < 0;
        case OP_LE: return c <= 0;
        case OP_GT: return c > 0;
        case OP_GE: return c >= 0;
        }
        return false;
    }
    default: {
        operand x = value_of(n, b, row);
        return x.t == V_BOOL ? x.b : x.t == V_NUM ? x.num != 0 : x.t == V_STR ? x.len > 0 : false;
    }
    }
}

/* ---- Copying records between batches (also used by select) --------------------------------- */

bool sl_batch_copy_row(sl_batch *dst, const sl_batch *src, uint32_t i, const int *map) {
    const sl_value *in = sl_batch_row(src, i);
    sl_value *out = sl_batch_add(dst, src->pos[i]);
    if (!out) return false;
    for (uint32_t j = 0; j < dst->schema->nfields; j++) {
        int k = map ? map[j] : (int)j;
        if (k < 0) continue;
        if (in[k].type == SL_F_STRING) {
            if (!sl_batch_set_str(dst, &out[j], sl_batch_str(src, &in[k]), in[k].len)) return false;
        } else {
            out[j] = in[k];
        }
    }
    return true;
}

typedef struct filter {
    sl_stage base;
    node *expr;
    char **fields; /* select */
    uint32_t nfields;
    sl_schema *cached_in, *cached_out; /* select: the last input schema and its projection */
    int *map;
} filter;

static bool filter_process(sl_stage *s, const sl_batch *b, sl_emit *out, sl_deadletter *dead) {
    (void)dead;
    filter *f = (filter *)s;
    sl_batch *o = sl_batch_new(b->schema, b->n);
    if (!o) return false;
    for (uint32_t i = 0; i < b->n; i++)
        if (eval(f->expr, b, sl_batch_row(b, i)) && !sl_batch_copy_row(o, b, i, NULL)) {
            sl_batch_free(o);
            return false;
        }
    return sl_emit_push(out, o);
}

static bool select_process(sl_stage *s, const sl_batch *b, sl_emit *out, sl_deadletter *dead) {
    (void)dead;
    filter *f = (filter *)s;
    if (f->cached_in != b->schema) {
        /* a new input schema: work out the projection once */
        sl_schema_unref(f->cached_in);
        sl_schema_unref(f->cached_out);
        f->cached_in = sl_schema_ref(b->schema);
        sl_ftype types[256];
        for (uint32_t j = 0; j < f->nfields; j++) {
            f->map[j] = sl_schema_find(b->schema, f->fields[j], strlen(f->fields[j]));
            types[j] = f->map[j] >= 0 && b->schema->types ? b->schema->types[f->map[j]] : SL_F_NULL;
        }
        f->cached_out = sl_schema_new((const char *const *)f->fields, types, f->nfields);
        if (!f->cached_out) return false;
    }
    sl_batch *o = sl_batch_new(f->cached_out, b->n);
    if (!o) return false;
    for (uint32_t i = 0; i < b->n; i++)
        if (!sl_batch_copy_row(o, b, i, f->map)) {
            sl_batch_free(o);
            return false;
        }
    return sl_emit_push(out, o);
}

static uint64_t none_held(const sl_stage *s) {
    (void)s;
    return UINT64_MAX;
}

static void filter_free(sl_stage *s) {
    filter *f = (filter *)s;
    node_free(f->expr);
    for (uint32_t i = 0; i < f->nfields; i++)
        free(f->fields[i]);
    free(f->fields);
    free(f->map);
    sl_schema_unref(f->cached_in);
    sl_schema_unref(f->cached_out);
    free(f);
}

static const sl_stage_ops FILTER_OPS = {"filter", filter_process, NULL, none_held, filter_free};
static const sl_stage_ops SELECT_OPS = {"select", select_process, NULL, none_held, filter_free};

sl_stage *sl_stage_filter_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "name", "where", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *where = ok ? sl_conf_str(c, section, "where", NULL, &ok) : NULL;
    if (!ok) return NULL;
    parser ps = {.s = where, .p = where};
    node *expr = parse_or(&ps);
    skip(&ps);
    if (expr && *ps.p) {
        node_free(expr);
        expr = fail_at(&ps, "unexpected text");
    }
    if (!expr) {
        sl_conf_fail(c, section, "\"where\": %s", ps.err[0] ? ps.err : "out of memory");
        return NULL;
    }
    filter *f = calloc(1, sizeof *f);
    if (!f) {
        node_free(expr);
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    f->base.ops = &FILTER_OPS;
    f->expr = expr;
    return &f->base;
}

sl_stage *sl_stage_select_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "name", "fields", NULL};
    if (!sl_conf_only(c, section, KEYS)) return NULL;
    json_t *fields = json_object_get(section, "fields");
    size_t n = json_array_size(fields);
    if (!json_is_array(fields) || n == 0 || n > 256) {
        sl_conf_fail(c, section, "\"fields\" must be a list of 1 to 256 field names");
        return NULL;
    }
    filter *f = calloc(1, sizeof *f);
    if (f) {
        f->fields = calloc(n, sizeof *f->fields);
        f->map = calloc(n, sizeof *f->map);
    }
    if (!f || !f->fields || !f->map) {
        if (f) filter_free(&f->base);
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    f->base.ops = &SELECT_OPS;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(fields, i));
        if (!name || !(f->fields[f->nfields] = strdup(name))) {
            filter_free(&f->base);
            sl_conf_fail(c, section, "\"fields\"[%zu] must be a field name", i);
            return NULL;
        }
        f->nfields++;
    }
    return &f->base;
}
