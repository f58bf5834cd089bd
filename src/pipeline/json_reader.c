/*
 * json_reader.c - one JSON object at a time, straight into a batch (json_reader.h).
 *
 * A small strict parser rather than jansson: values are written into the batch without a
 * json_t tree in between, which is several times faster than building and walking one.
 */
#include "pipeline/json_reader_impl.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "pipeline/json_text.h"
#include "pipeline/num_parse.h"

#define MAX_DEPTH 512 /* nesting of arrays and objects inside a value */

sl_json_reader *sl_json_reader_new(const sl_schema *hint) {
    sl_json_reader *r = calloc(1, sizeof *r);
    if (r) r->hint = hint;
    return r;
}

void sl_json_reader_free(sl_json_reader *r) {
    if (!r) return;
    free(r->m);
    free(r->scratch);
    free(r->vals);
    free(r->name_len);
    sl_schema_unref(r->mapped);
    free(r);
}

const char *sl_json_reader_error(const sl_json_reader *r, size_t *offset) {
    if (offset) *offset = r->err_off;
    return r->err;
}

bool sl_json_fail(sl_json_reader *r, const char *at, const char *msg) {
    r->err = msg;
    r->err_off = (size_t)(at - r->in);
    return false;
}

static int hex4(const char *p) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string at *pp (its opening quote): its bytes stay in the input unless it has escapes,
 * which are decoded into scratch. */
static bool parse_string(sl_json_reader *r, const char **pp, const char *end, uint32_t *off,
                         uint32_t *len, uint8_t *in_scratch) {
    const char *a = *pp + 1, *p = a;
    bool esc = false;
    for (;;) {
        while (p < end && !sl_json_special[(unsigned char)*p])
            p++;
        if (p == end) return sl_json_fail(r, *pp, "unterminated string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c == '\\') {
            esc = true;
            if (++p == end) return sl_json_fail(r, *pp, "unterminated string");
            p++;
        } else if (c >= 0x80) {
            size_t k = sl_utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!k) return sl_json_fail(r, p, "invalid UTF-8 in a string");
            p += k;
        } else {
            return sl_json_fail(r, p, "control character in a string");
        }
    }
    if ((size_t)(p - a) > UINT32_MAX) return sl_json_fail(r, *pp, "string too long");
    *pp = p + 1;
    if (!esc) {
        *off = (uint32_t)(a - r->in);
        *len = (uint32_t)(p - a);
        *in_scratch = 0;
        return true;
    }
    /* Decode into scratch: at most as long as the escaped text. */
    size_t need = r->slen + (size_t)(p - a);
    if (need > UINT32_MAX) return sl_json_fail(r, *pp, "strings too long");
    /* the checks before sl_grow keep a call out of the per-string and per-member paths */
    if (need > r->scap && !sl_grow(&r->scratch, &r->scap, need, 1))
        return sl_json_fail(r, a, "out of memory");
    char *o = r->scratch + r->slen;
    for (const char *q = a; q < p;) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        q++;
        switch (*q++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int u = p - q >= 4 ? hex4(q) : -1;
            if (u < 0) return sl_json_fail(r, q - 2, "invalid \\u escape");
            q += 4;
            if (u >= 0xdc00 && u <= 0xdfff)
                return sl_json_fail(r, q - 6, "lone low surrogate in \\u escape");
            if (u >= 0xd800 && u <= 0xdbff) {
                int lo = p - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2) : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return sl_json_fail(r, q - 6, "high surrogate without a low one in \\u escape");
                q += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            /* UTF-8 is never longer than the \u escape(s) it replaces. */
            if (u < 0x80) {
                *o++ = (char)u;
            } else if (u < 0x800) {
                *o++ = (char)(0xc0 | u >> 6);
                *o++ = (char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                *o++ = (char)(0xe0 | u >> 12);
                *o++ = (char)(0x80 | (u >> 6 & 0x3f));
                *o++ = (char)(0x80 | (u & 0x3f));
            } else {
                *o++ = (char)(0xf0 | u >> 18);
                *o++ = (char)(0x80 | (u >> 12 & 0x3f));
                *o++ = (char)(0x80 | (u >> 6 & 0x3f));
                *o++ = (char)(0x80 | (u & 0x3f));
            }
            break;
        }
        default: return sl_json_fail(r, q - 2, "invalid escape in a string");
        }
    }
    *off = (uint32_t)r->slen;
    *len = (uint32_t)(o - (r->scratch + r->slen));
    *in_scratch = 1;
    r->slen += *len;
    return true;
}

static bool parse_number(sl_json_reader *r, const char **pp, const char *end, sl_value *v) {
    const char *a = *pp, *p = a;
    if (*p == '-') p++;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return sl_json_fail(r, a, "invalid number");
    }
    const char *int_end = p;
    if (p < end && *p == '.') {
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d) return sl_json_fail(r, a, "invalid number: no digit after '.'");
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d) return sl_json_fail(r, a, "invalid number: no digit in the exponent");
    }
    *pp = p;
    if (p == int_end && sl_parse_int(a, (size_t)(p - a), &v->v.i)) {
        v->type = SL_F_INT;
        return true;
    }
    v->type = SL_F_FLOAT;
    v->v.f = sl_decimal_to_double(a, (size_t)(p - a));
    return true;
}

static bool skip_value(sl_json_reader *r, const char **pp, const char *end, int depth);

static bool skip_container(sl_json_reader *r, const char **pp, const char *end, int depth) {
    const char *p = *pp;
    char close = *p == '[' ? ']' : '}';
    if (depth >= MAX_DEPTH) return sl_json_fail(r, p, "nested too deeply");
    p = skip_ws(p + 1, end);
    if (p < end && *p == close) {
        *pp = p + 1;
        return true;
    }
    for (;;) {
        if (close == '}') {
            uint32_t off, len;
            uint8_t sc;
            if (p == end || *p != '"')
                return sl_json_fail(r, p, "expected a string (an object key)");
            size_t slen = r->slen;
            if (!parse_string(r, &p, end, &off, &len, &sc)) return false;
            r->slen = slen; /* the key is not kept */
            p = skip_ws(p, end);
            if (p == end || *p != ':')
                return sl_json_fail(r, p, "expected ':' after an object key");
            p = skip_ws(p + 1, end);
        }
        if (!skip_value(r, &p, end, depth + 1)) return false;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == close) break;
        return sl_json_fail(r, p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
    }
    *pp = p + 1;
    return true;
}

static bool skip_value(sl_json_reader *r, const char **pp, const char *end, int depth) {
    if (*pp < end && (**pp == '[' || **pp == '{')) return skip_container(r, pp, end, depth);
    jval v;
    size_t slen = r->slen;
    bool ok = sl_json_parse_value(r, pp, end, &v);
    r->slen = slen;
    return ok;
}

static bool word(sl_json_reader *r, const char **pp, const char *end, const char *w, size_t n) {
    if ((size_t)(end - *pp) < n || memcmp(*pp, w, n) != 0)
        return sl_json_fail(r, *pp, "invalid literal");
    *pp += n;
    return true;
}

bool sl_json_parse_value(sl_json_reader *r, const char **pp, const char *end, jval *out) {
    out->in_scratch = out->nested = 0;
    out->v = (sl_value){.type = SL_F_NULL};
    if (*pp == end) return sl_json_fail(r, *pp, "expected a value");
    uint32_t off, len;
    switch (**pp) {
    case '"':
        if (!parse_string(r, pp, end, &off, &len, &out->in_scratch)) return false;
        out->v.type = SL_F_STRING;
        out->v.len = len;
        out->v.v.off = off;
        return true;
    case 't':
        out->v.type = SL_F_BOOL;
        out->v.v.b = true;
        return word(r, pp, end, "true", 4);
    case 'f': out->v.type = SL_F_BOOL; return word(r, pp, end, "false", 5);
    case 'n': return word(r, pp, end, "null", 4);
    case '[':
    case '{': {
        const char *a = *pp;
        if (!skip_container(r, pp, end, 0)) return false;
        if ((size_t)(*pp - a) > UINT32_MAX) return sl_json_fail(r, a, "value too long");
        out->nested = (uint8_t)*a;
        out->v.type = SL_F_STRING;
        out->v.len = (uint32_t)(*pp - a);
        out->v.v.off = (uint64_t)(a - r->in);
        return true;
    }
    default:
        if (**pp == '-' || (**pp >= '0' && **pp <= '9')) return parse_number(r, pp, end, &out->v);
        return sl_json_fail(r, *pp, "unexpected character");
    }
}

/* The object at *pp (its '{') into r->m. */
bool sl_json_parse_object(sl_json_reader *r, const char **pp, const char *end) {
    const char *p = skip_ws(*pp + 1, end);
    r->nm = 0;
    if (p < end && *p == '}') {
        *pp = p + 1;
        return true;
    }
    for (;;) {
        if (r->nm == r->mcap && !sl_grow(&r->m, &r->mcap, (size_t)r->nm + 1, sizeof *r->m))
            return sl_json_fail(r, p, "out of memory");
        jmember *m = &r->m[r->nm];
        if (p == end || *p != '"') return sl_json_fail(r, p, "expected a string (an object key)");
        const char *k = p;
        if (!parse_string(r, &p, end, &m->key_off, &m->key_len, &m->key_in_scratch)) return false;
        if (memchr(jstr(r, m->key_off, m->key_in_scratch), '\0', m->key_len))
            return sl_json_fail(r, k, "an object key holds \\u0000");
        p = skip_ws(p, end);
        if (p == end || *p != ':') return sl_json_fail(r, p, "expected ':' after an object key");
        p = skip_ws(p + 1, end);
        if (!sl_json_parse_value(r, &p, end, &m->val)) return false;
        r->nm++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') break;
        return sl_json_fail(r, p, "expected ',' or '}'");
    }
    *pp = p + 1;
    return true;
}

bool sl_json_reader_parse(sl_json_reader *r, const char *s, size_t len) {
    const char *p = s, *end = s + len;
    r->in = s;
    r->slen = 0;
    r->err = NULL;
    p = skip_ws(p, end);
    if (p == end || *p != '{') return sl_json_fail(r, p, "expected a JSON object");
    if (!sl_json_parse_object(r, &p, end)) return false;
    p = skip_ws(p, end);
    if (p != end) return sl_json_fail(r, p, "unexpected text after the object");
    return true;
}

static bool name_is(const char *name, uint32_t nlen, const char *k, uint32_t klen) {
    return nlen == klen && memcmp(name, k, klen) == 0;
}

uint32_t sl_json_reader_map(sl_json_reader *r, const sl_schema *s) {
    uint32_t nf = s->nfields, missing = 0;
    if (r->mapped != s) {
        /* Name lengths, for comparing keys with memcmp (schemas rarely change). */
        if (!sl_grow(&r->name_len, &r->nlcap, nf, sizeof *r->name_len)) {
            sl_schema_unref(r->mapped);
            r->mapped = NULL;
            for (uint32_t i = 0; i < r->nm; i++) {
                jmember *m = &r->m[i];
                m->idx = sl_schema_find(s, jstr(r, m->key_off, m->key_in_scratch), m->key_len);
                missing += m->idx < 0;
            }
            return missing;
        }
        for (uint32_t j = 0; j < nf; j++)
            r->name_len[j] = (uint32_t)strlen(s->names[j]);
        sl_schema_unref(r->mapped);
        r->mapped = sl_schema_ref((sl_schema *)s);
    }
    for (uint32_t i = 0; i < r->nm; i++) {
        jmember *m = &r->m[i];
        const char *k = jstr(r, m->key_off, m->key_in_scratch);
        m->idx = -1;
        /* Objects mostly list their keys in schema order: try field i first. */
        if (i < nf && name_is(s->names[i], r->name_len[i], k, m->key_len)) {
            m->idx = (int32_t)i;
            continue;
        }
        for (uint32_t j = 0; j < nf; j++)
            if (name_is(s->names[j], r->name_len[j], k, m->key_len)) {
                m->idx = (int32_t)j;
                break;
            }
        missing += m->idx < 0;
    }
    return missing;
}

sl_schema *sl_json_reader_extend(sl_json_reader *r, const sl_schema *s) {
    uint32_t old = s ? s->nfields : 0, n = old;
    char **names = malloc((old + r->nm + 1) * sizeof *names);
    sl_ftype *types = malloc((old + r->nm + 1) * sizeof *types);
    sl_schema *ns = NULL;
    if (!names || !types) goto done;
    for (uint32_t j = 0; j < old; j++) {
        names[j] = s->names[j];
        types[j] = s->types[j];
    }
    for (uint32_t i = 0; i < r->nm; i++) {
        jmember *m = &r->m[i];
        if (s && m->idx >= 0) continue;
        const char *k = jstr(r, m->key_off, m->key_in_scratch);
        uint32_t j = old;
        while (j < n && !(strlen(names[j]) == m->key_len && memcmp(names[j], k, m->key_len) == 0))
            j++;
        if (j < n) continue; /* a key repeated in the object */
        if (!(names[n] = strndup(k, m->key_len))) goto done;
        int h = r->hint ? sl_schema_find(r->hint, k, m->key_len) : -1;
        types[n++] = h >= 0 ? r->hint->types[h] : SL_F_NULL;
    }
    ns = sl_schema_new((const char *const *)names, types, n);
    if (ns) sl_json_reader_map(r, ns);
done:
    for (uint32_t j = old; names && j < n; j++)
        free(names[j]);
    free(names);
    free(types);
    return ns;
}

/* Stores v as *dst in b, converted as the field's declared type asks. */
bool sl_json_set_value(const sl_json_reader *r, sl_batch *b, sl_value *dst, const jval *v,
                       sl_ftype decl) {
    if (v->v.type == SL_F_STRING) {
        const char *s = jstr(r, (uint32_t)v->v.v.off, v->in_scratch);
        if (decl == SL_F_TIME && !v->nested && sl_parse_time(s, v->v.len, &dst->v.i)) {
            dst->type = SL_F_TIME;
            return true;
        }
        return sl_batch_set_str(b, dst, s, v->v.len);
    }
    *dst = v->v;
    if (decl == SL_F_FLOAT && v->v.type == SL_F_INT) {
        dst->type = SL_F_FLOAT;
        dst->v.f = (double)v->v.v.i;
    }
    return true;
}

bool sl_json_reader_emit(sl_json_reader *r, sl_batch *b, uint64_t pos) {
    size_t arena0 = b->arena_len;
    sl_value *row = sl_batch_add(b, pos);
    if (!row) return false;
    const sl_ftype *types = b->schema->types;
    for (uint32_t i = 0; i < r->nm; i++) {
        const jmember *m = &r->m[i];
        if (m->idx < 0) continue;
        if (!sl_json_set_value(r, b, &row[m->idx], &m->val, types[m->idx])) {
            b->n--;
            b->arena_len = arena0;
            return false;
        }
    }
    return true;
}
