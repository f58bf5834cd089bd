/*
 * json_decode.c - a function's JSON answer as a batch (json_decode.h): one object, an array
 * of objects, or columns, parsed with the reader (json_reader_impl.h).
 */
#include "pipeline/json_decode.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_reader_impl.h"

/* The members of the parsed object are arrays (their text in the input): one column each. */
static sl_batch *decode_columns(sl_json_reader *r, uint64_t pos, sl_error *err) {
    size_t *start = malloc((r->nm + 1) * sizeof *start);
    sl_batch *b = NULL;
    sl_schema *s = NULL;
    if (!start) goto oom;
    r->nvals = 0;
    for (uint32_t c = 0; c < r->nm; c++) {
        const jval *col = &r->m[c].val;
        const char *p = r->in + col->v.v.off, *end = p + col->v.len;
        start[c] = r->nvals;
        p = skip_ws(p + 1, end);
        if (*p == ']') continue;
        for (;;) {
            if (r->nvals == r->vcap && !sl_grow(&r->vals, &r->vcap, r->nvals + 1, sizeof *r->vals))
                goto oom; /* checked first: this runs per value */
            /* Already checked by skip_container: this cannot fail but for memory. */
            if (!sl_json_parse_value(r, &p, end, &r->vals[r->nvals])) goto oom;
            r->nvals++;
            p = skip_ws(p, end);
            if (*p == ']') break;
            p = skip_ws(p + 1, end);
        }
    }
    start[r->nm] = r->nvals;
    size_t n = start[1] - start[0];
    for (uint32_t c = 1; c < r->nm; c++) {
        size_t nc = start[c + 1] - start[c];
        if (nc != n) {
            sl_errorf(err, SL_ERR_MALFORMED,
                      "columnar object: \"%.*s\" has %zu values but \"%.*s\" has %zu",
                      (int)(r->m[c].key_len > 80 ? 80 : r->m[c].key_len),
                      jstr(r, r->m[c].key_off, r->m[c].key_in_scratch), nc,
                      (int)(r->m[0].key_len > 80 ? 80 : r->m[0].key_len),
                      jstr(r, r->m[0].key_off, r->m[0].key_in_scratch), n);
            free(start);
            return NULL;
        }
    }
    if (n > UINT32_MAX) {
        sl_errorf(err, SL_ERR_MALFORMED, "columnar object: too many records (%zu)", n);
        free(start);
        return NULL;
    }
    if (!(s = sl_json_reader_extend(r, NULL)) || !(b = sl_batch_new(s, (uint32_t)n))) goto oom;
    for (size_t i = 0; i < n; i++) {
        sl_value *row = sl_batch_add(b, pos);
        if (!row) goto oom;
        for (uint32_t c = 0; c < r->nm; c++) {
            int32_t j = r->m[c].idx;
            if (!sl_json_set_value(r, b, &row[j], &r->vals[start[c] + i], s->types[j])) goto oom;
        }
    }
    sl_schema_unref(s);
    free(start);
    return b;
oom:
    sl_errorf(err, SL_ERR_NOMEM, "JSON: out of memory");
    sl_batch_free(b);
    sl_schema_unref(s);
    free(start);
    return NULL;
}

static void where(const char *s, size_t off, sl_error *err, const char *msg) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n')
            line++, col = 1;
        else
            col++;
    }
    sl_errorf(err, SL_ERR_MALFORMED, "JSON: %s at line %zu, column %zu", msg, line, col);
}

sl_batch *sl_json_decode(const char *s, size_t len, const sl_schema *hint, uint64_t pos,
                         sl_error *err) {
    sl_json_reader *r = sl_json_reader_new(hint);
    sl_batch *b = NULL;
    sl_schema *sch = NULL;
    if (!r) {
        sl_errorf(err, SL_ERR_NOMEM, "JSON: out of memory");
        return NULL;
    }
    const char *p = s, *end = s + len;
    r->in = s;
    p = skip_ws(p, end);
    if (p < end && *p == '[') {
        sl_schema *empty = sl_schema_new(NULL, NULL, 0);
        b = empty ? sl_batch_new(empty, 0) : NULL;
        sl_schema_unref(empty);
        if (!b) goto oom;
        p = skip_ws(p + 1, end);
        if (p < end && *p == ']')
            p++;
        else
            for (uint32_t i = 0;; i++) {
                if (p == end || *p != '{') {
                    char msg[64];
                    snprintf(msg, sizeof msg, "element %u of the array is not an object", i);
                    sl_json_fail(r, p, p == end ? "unterminated array" : msg);
                    where(s, r->err_off, err, r->err);
                    goto fail;
                }
                r->slen = 0;
                if (!sl_json_parse_object(r, &p, end)) goto bad;
                if (sl_json_reader_map(r, b->schema)) {
                    if (!(sch = sl_json_reader_extend(r, b->schema)) || !sl_batch_widen(b, sch))
                        goto oom;
                    sl_schema_unref(sch);
                    sch = NULL;
                }
                if (!sl_json_reader_emit(r, b, pos)) goto oom;
                p = skip_ws(p, end);
                if (p < end && *p == ',') {
                    p = skip_ws(p + 1, end);
                    continue;
                }
                if (p < end && *p == ']') {
                    p++;
                    break;
                }
                sl_json_fail(r, p, "expected ',' or ']'");
                goto bad;
            }
    } else if (p < end && *p == '{') {
        if (!sl_json_parse_object(r, &p, end)) goto bad;
        bool columnar = r->nm > 0;
        for (uint32_t i = 0; columnar && i < r->nm; i++)
            columnar = r->m[i].val.nested == '[';
        if (columnar) {
            const char *q = skip_ws(p, end);
            if (q != end) {
                sl_json_fail(r, q, "unexpected text after the JSON value");
                goto bad;
            }
            b = decode_columns(r, pos, err);
            sl_json_reader_free(r);
            return b;
        }
        if (!(sch = sl_json_reader_extend(r, NULL)) || !(b = sl_batch_new(sch, 1)) ||
            !sl_json_reader_emit(r, b, pos))
            goto oom;
        sl_schema_unref(sch);
        sch = NULL;
    } else {
        sl_json_fail(r, p, "expected an object or an array");
        goto bad;
    }
    p = skip_ws(p, end);
    if (p != end) {
        sl_json_fail(r, p, "unexpected text after the JSON value");
        goto bad;
    }
    sl_json_reader_free(r);
    return b;
oom:
    sl_errorf(err, SL_ERR_NOMEM, "JSON: out of memory");
    goto fail;
bad:
    where(s, r->err_off, err, r->err);
fail:
    sl_schema_unref(sch);
    sl_batch_free(b);
    sl_json_reader_free(r);
    return NULL;
}
