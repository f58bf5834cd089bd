/*
 * json_encode.c - batches to JSON text (json_encode.h).
 *
 * Hand-written rather than built on jansson: no intermediate tree, keys escaped once per
 * call, values written straight into the buffer. The writers reserve room in the sl_buf
 * once and then store bytes at data + len without a call per byte; the buffer's NUL is put
 * back when a whole encode ends.
 */
#include "pipeline/json_encode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json_text.h"
#include "pipeline/num_format.h"

/* Room for n more bytes and the NUL; inline, since the encoder asks once per value. */
static inline bool reserve(sl_buf *t, size_t n) {
    return t->cap - t->len > n || sl_buf_reserve(t, n);
}

static bool put_str(sl_buf *t, const char *s, size_t n) {
    if (!reserve(t, n + 2)) return false;
    char *o = t->data + t->len;
    *o++ = '"';
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end) {
        const unsigned char *r = u;
        while (r < end && !sl_json_special[*r])
            r++;
        memcpy(o, u, (size_t)(r - u));
        o += r - u;
        u = r;
        if (u == end) break;
        /* Every special byte may take up to 6 bytes: make room for the rest of the string. */
        t->len = (size_t)(o - t->data);
        if (!reserve(t, (size_t)(end - u) + 12)) return false;
        o = t->data + t->len;
        unsigned c = *u;
        if (c >= 0x80) {
            size_t k = sl_utf8_seq(u, end);
            if (k) {
                memcpy(o, u, k);
                o += k;
                u += k;
            } else {
                memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
                o += 3;
                u++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = "0123456789abcdef"[c >> 4];
            o[4] = "0123456789abcdef"[c & 15];
            o += 5;
        }
        u++;
    }
    *o++ = '"';
    t->len = (size_t)(o - t->data);
    return true;
}

#define MAX_SCALAR 34 /* the longest non-string value: a quoted timestamp */

/* Writes a value other than a string; o has MAX_SCALAR bytes of room. */
static char *put_scalar(char *o, const sl_value *v) {
    switch (v->type) {
    case SL_F_INT: return sl_put_i64(o, v->v.i);
    case SL_F_FLOAT:
        if (isfinite(v->v.f)) return o + sl_format_float(v->v.f, o);
        break;
    case SL_F_BOOL:
        if (v->v.b) {
            memcpy(o, "true", 4);
            return o + 4;
        }
        memcpy(o, "false", 5);
        return o + 5;
    case SL_F_TIME:
        *o++ = '"';
        o += sl_format_time(v->v.i, o);
        *o++ = '"';
        return o;
    }
    memcpy(o, "null", 4);
    return o + 4;
}

static bool put_value(sl_buf *t, const sl_batch *b, const sl_value *v) {
    if (v->type == SL_F_STRING) return put_str(t, sl_batch_str(b, v), v->len);
    if (!reserve(t, MAX_SCALAR)) return false;
    t->len = (size_t)(put_scalar(t->data + t->len, v) - t->data);
    return true;
}

/* The schema's keys, escaped once per call: key j is text[off[j]..off[j+1]), written with
 * `pre` before it (but for the first) and `post` after it. */
typedef struct keytab {
    sl_buf text;
    size_t *off;
} keytab;

static bool keys_make(keytab *k, const sl_schema *s, const char *pre, const char *post) {
    *k = (keytab){0};
    /* room for the usual schema at once: this runs once per call, and once per record when
     * records are encoded one by one */
    if (!(k->off = malloc((s->nfields + 1) * sizeof *k->off)) || !sl_buf_reserve(&k->text, 256))
        return false;
    for (uint32_t j = 0; j < s->nfields; j++) {
        k->off[j] = k->text.len;
        size_t n = j ? strlen(pre) : 0;
        if (!reserve(&k->text, n)) return false;
        if (n) memcpy(k->text.data + k->text.len, pre, n); /* data may still be NULL */
        k->text.len += n;
        if (!put_str(&k->text, s->names[j], strlen(s->names[j])) ||
            !reserve(&k->text, strlen(post)))
            return false;
        memcpy(k->text.data + k->text.len, post, strlen(post));
        k->text.len += strlen(post);
    }
    k->off[s->nfields] = k->text.len;
    return true;
}

static void keys_free(keytab *k) {
    sl_buf_free(&k->text);
    free(k->off);
}

static bool put_record(sl_buf *t, const sl_batch *b, const sl_value *row, const keytab *k) {
    uint32_t nf = b->schema->nfields;
    /* Room for every key and every non-string value, and '}', ',' or "\n"; strings make their
     * own room, after which this is reserved again. */
    size_t room = k->text.len + (size_t)nf * MAX_SCALAR + 4;
    if (!reserve(t, room)) return false;
    char *o = t->data + t->len;
    *o++ = '{';
    for (uint32_t j = 0; j < nf; j++) {
        size_t kl = k->off[j + 1] - k->off[j];
        memcpy(o, k->text.data + k->off[j], kl);
        o += kl;
        const sl_value *v = &row[j];
        if (v->type != SL_F_STRING) {
            o = put_scalar(o, v);
            continue;
        }
        t->len = (size_t)(o - t->data);
        if (!put_str(t, sl_batch_str(b, v), v->len) || !reserve(t, room)) return false;
        o = t->data + t->len;
    }
    *o++ = '}';
    t->len = (size_t)(o - t->data);
    return true;
}

/* The writers store past the NUL; a finished encode puts it back (room for it is reserved). */
static bool terminated(sl_buf *t, bool ok) {
    if (ok && t->data) t->data[t->len] = 0;
    return ok;
}

static bool put_char(sl_buf *t, char c) {
    if (!reserve(t, 1)) return false;
    t->data[t->len++] = c;
    return true;
}

bool sl_json_put_str(sl_buf *out, const char *s, size_t n) {
    return terminated(out, put_str(out, s, n));
}

bool sl_json_encode_record(const sl_batch *b, uint32_t i, sl_buf *out) {
    keytab k;
    bool ok = keys_make(&k, b->schema, ",", ":") && put_record(out, b, sl_batch_row(b, i), &k);
    keys_free(&k);
    return terminated(out, ok);
}

bool sl_json_encode(const sl_batch *b, sl_json_shape shape, sl_buf *out) {
    const sl_schema *s = b->schema;
    keytab k;
    bool ok;
    if (shape == SL_JSON_COLUMNS) {
        ok = keys_make(&k, s, "],", ":[") && put_char(out, '{');
        for (uint32_t j = 0; ok && j < s->nfields; j++) {
            size_t kl = k.off[j + 1] - k.off[j];
            ok = reserve(out, kl);
            if (!ok) break;
            memcpy(out->data + out->len, k.text.data + k.off[j], kl);
            out->len += kl;
            const sl_value *v = b->values + j;
            for (uint32_t i = 0; ok && i < b->n; i++, v += s->nfields)
                ok = (!i || put_char(out, ',')) && put_value(out, b, v);
        }
        ok = ok && (!s->nfields || put_char(out, ']')) && put_char(out, '}');
    } else {
        ok = keys_make(&k, s, ",", ":");
        if (ok && shape == SL_JSON_ARRAY) ok = put_char(out, '[');
        char sep = shape == SL_JSON_ARRAY ? ',' : '\n';
        for (uint32_t i = 0; ok && i < b->n; i++) {
            ok = put_record(out, b, sl_batch_row(b, i), &k);
            /* put_record left room for this */
            if (ok && (sep == '\n' || i + 1 < b->n)) out->data[out->len++] = sep;
        }
        if (ok && shape == SL_JSON_ARRAY) ok = put_char(out, ']');
    }
    keys_free(&k);
    return terminated(out, ok);
}
