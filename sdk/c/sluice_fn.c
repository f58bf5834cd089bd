/*
 * sluice_fn.c - the function-author SDK: request parsing (raw body or API-gateway event JSON),
 * response building (raw body or integration JSON) and the two entry points, a WASI command
 * (main) and, with -DSLUICE_HANDLER, the handler ABI of docs/abi.md.
 */
#include "sluice_fn.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Defined by the function's SL_FN_MODES, if it has one: a weak reference, NULL without (a
 * weak default definition would not do: the compiler may fold its value here). */
extern const sl_fn_modes sl_fn_declared_modes __attribute__((weak));
/* Defaults the function may override with its own definitions. */
/* The kind this file is built as, for the "sluice.fn" section (sluice_fn.h); the modes come
 * from the function's SL_FN_MODES, in its own object file. */
#ifdef SLUICE_HANDLER
SL_FN_SECTION_TEXT("{\\\"v\\\":1,\\\"kind\\\":\\\"handler\\\"}");
#else
SL_FN_SECTION_TEXT("{\\\"v\\\":1,\\\"kind\\\":\\\"command\\\"}");
#endif

__attribute__((weak)) void sl_fn_init(void) {}
__attribute__((weak)) int sl_fn_setup(const char *json, size_t len) {
    (void)json, (void)len;
    return 0;
}

/* ---- Growable byte buffer ---------------------------------------------------------------- */

typedef struct buf {
    char *data;
    size_t len, cap;
    bool oom;
} buf;

static bool buf_reserve(buf *b, size_t more) {
    if (b->oom) return false;
    if (more <= b->cap - b->len) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) return b->oom = true, false;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) return b->oom = true, false;
    b->data = p;
    b->cap = cap;
    return true;
}

static bool buf_add(buf *b, const void *data, size_t len) {
    if (!buf_reserve(b, len + 1)) return false;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0; /* always NUL-terminated */
    return true;
}

static bool buf_str(buf *b, const char *s) {
    return buf_add(b, s, strlen(s));
}

static bool buf_vprintf(buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !buf_reserve(b, (size_t)n + 1)) return false;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

static void buf_free(buf *b) {
    free(b->data);
    *b = (buf){0};
}

/* ---- JSON reading ------------------------------------------------------------------------ */

#define JSON_MAX_DEPTH 64

typedef struct jr {
    const char *p, *end;
} jr;

static void j_ws(jr *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool j_lit(jr *r, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n)) return false;
    r->p += n;
    return true;
}

static int hex4(const char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 63)), 2;
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 63));
        o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 63));
    o[2] = (char)(0x80 | (cp >> 6 & 63));
    o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* A string at r->p (its opening quote). With out != NULL it is decoded into a malloc'd
 * buffer (a decoded string is never longer than its source, so one allocation does);
 * otherwise it is only checked. False when malformed or out of memory. */
static bool j_string(jr *r, char **out, size_t *out_len) {
    if (r->p >= r->end || *r->p != '"') return false;
    r->p++;
    char *dst = NULL, *o = NULL;
    if (out) {
        dst = o = malloc((size_t)(r->end - r->p) + 1);
        if (!dst) return false;
    }
    char tmp[4];
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p++;
        if (c < 0x20) goto bad; /* control characters must be escaped */
        if (c != '\\') {
            if (o) *o++ = (char)c;
            continue;
        }
        if (r->p >= r->end) goto bad;
        char e = *r->p++, d;
        switch (e) {
        case '"': d = '"'; break;
        case '\\': d = '\\'; break;
        case '/': d = '/'; break;
        case 'b': d = '\b'; break;
        case 'f': d = '\f'; break;
        case 'n': d = '\n'; break;
        case 'r': d = '\r'; break;
        case 't': d = '\t'; break;
        case 'u': {
            if (r->end - r->p < 4) goto bad;
            int cp = hex4(r->p);
            if (cp < 0) goto bad;
            r->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate needs a low one */
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') goto bad;
                int lo = hex4(r->p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) goto bad;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            size_t n = put_utf8(o ? o : tmp, (uint32_t)cp);
            if (o) o += n;
            continue;
        }
        default: goto bad;
        }
        if (o) *o++ = d;
    }
    if (r->p >= r->end) goto bad;
    r->p++; /* the closing quote */
    if (out) {
        *o = 0;
        *out = dst;
        if (out_len) *out_len = (size_t)(o - dst);
    }
    return true;
bad:
    free(dst);
    return false;
}

static bool j_digits(jr *r) {
    const char *s = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > s;
}

static bool j_number(jr *r) {
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (!j_digits(r))
        return false;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!j_digits(r)) return false;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (!j_digits(r)) return false;
    }
    return true;
}

/* Check and skip one value (leading whitespace included). */
static bool j_value(jr *r, int depth) {
    j_ws(r);
    if (r->p >= r->end || depth > JSON_MAX_DEPTH) return false;
    char c = *r->p;
    if (c == '"') return j_string(r, NULL, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        r->p++;
        j_ws(r);
        if (r->p < r->end && *r->p == close) return r->p++, true;
        for (;;) {
            if (c == '{') {
                j_ws(r);
                if (!j_string(r, NULL, NULL)) return false;
                j_ws(r);
                if (r->p >= r->end || *r->p++ != ':') return false;
            }
            if (!j_value(r, depth + 1)) return false;
            j_ws(r);
            if (r->p >= r->end) return false;
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            if (*r->p++ != close) return false;
            return true;
        }
    }
    if (c == 't') return j_lit(r, "true");
    if (c == 'f') return j_lit(r, "false");
    if (c == 'n') return j_lit(r, "null");
    return j_number(r);
}

/* Iterate over an object's members: call with r at '{' (after whitespace) and *first = true;
 * each call yields the decoded key and leaves r at the member's value (after whitespace).
 * The caller must consume the value (j_value or its own reading) before the next call.
 * Returns 1 for a member, 0 at the end, -1 when malformed. */
static int j_member(jr *r, bool *first, char **key) {
    *key = NULL;
    j_ws(r);
    if (*first) {
        *first = false;
        if (r->p >= r->end || *r->p++ != '{') return -1;
        j_ws(r);
        if (r->p < r->end && *r->p == '}') return r->p++, 0;
    } else {
        if (r->p >= r->end) return -1;
        if (*r->p == '}') return r->p++, 0;
        if (*r->p++ != ',') return -1;
        j_ws(r);
    }
    if (!j_string(r, key, NULL)) return -1;
    j_ws(r);
    if (r->p >= r->end || *r->p++ != ':') {
        free(*key);
        *key = NULL;
        return -1;
    }
    j_ws(r);
    return 1;
}

/* True when r is followed by nothing but whitespace. */
static bool j_end(jr *r) {
    j_ws(r);
    return r->p == r->end;
}

int sl_fn_json_member(const char *json, size_t len, const char *key, const char **val,
                      size_t *val_len) {
    jr r = {json, json + len};
    bool first = true, found = false;
    char *k;
    int m;
    while ((m = j_member(&r, &first, &k)) == 1) {
        const char *start = r.p;
        bool match = !strcmp(k, key) && strlen(key) == strlen(k);
        free(k);
        if (!j_value(&r, 1)) return -1;
        if (match) { /* a repeated key: the last one wins */
            found = true;
            *val = start;
            *val_len = (size_t)(r.p - start);
        }
    }
    if (m < 0 || !j_end(&r)) return -1;
    return found;
}

char *sl_fn_json_string(const char *val, size_t len, size_t *out_len) {
    jr r = {val, val + len};
    j_ws(&r);
    char *s;
    if (!j_string(&r, &s, out_len)) return NULL;
    if (!j_end(&r)) {
        free(s);
        return NULL;
    }
    return s;
}

int sl_fn_json_next(const char *json, size_t len, size_t *pos, const char **key, size_t *key_len,
                    const char **val, size_t *val_len) {
    jr r = {json, json + len};
    j_ws(&r);
    if (r.p >= r.end || (*r.p != '{' && *r.p != '[')) return -1;
    /* The container's kind is read again from its first character on every call, so that
     * *pos alone is the whole state: 0 before the first element, the offset just after the
     * last element returned, or len + 1 once the end has been reported. */
    char open = *r.p, close = open == '{' ? '}' : ']';
    if (*pos > len) return 0;
    if (*pos == 0) {
        r.p++;
        j_ws(&r);
        if (r.p < r.end && *r.p == close) goto end;
    } else {
        r.p = json + *pos;
        j_ws(&r);
        if (r.p < r.end && *r.p == close) goto end;
        if (r.p >= r.end || *r.p != ',') return -1;
        r.p++;
        j_ws(&r);
    }
    if (key) *key = NULL;
    if (key_len) *key_len = 0;
    if (open == '{') {
        const char *k = r.p;
        if (!j_string(&r, NULL, NULL)) return -1;
        if (key) *key = k;
        if (key_len) *key_len = (size_t)(r.p - k);
        j_ws(&r);
        if (r.p >= r.end || *r.p++ != ':') return -1;
        j_ws(&r);
    }
    const char *v = r.p;
    if (!j_value(&r, 2)) return -1;
    *val = v;
    *val_len = (size_t)(r.p - v);
    *pos = (size_t)(r.p - json);
    return 1;
end:
    r.p++;
    if (!j_end(&r)) return -1;
    *pos = len + 1;
    return 0;
}

/* ---- Base64 ------------------------------------------------------------------------------ */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decode in place (standard or URL alphabet, padding optional, whitespace ignored); returns
 * the decoded length, or -1 if malformed. */
static long b64_decode(char *s, size_t len) {
    size_t o = 0, n = 0, pad = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64val(c);
        if (v < 0 || pad) return -1;
        acc = acc << 6 | (uint32_t)v;
        if (++n % 4 == 0) {
            s[o++] = (char)(acc >> 16);
            s[o++] = (char)(acc >> 8);
            s[o++] = (char)acc;
            acc = 0;
        }
    }
    switch (n % 4) {
    case 1: return -1;
    case 2: s[o++] = (char)(acc >> 4); break;
    case 3:
        s[o++] = (char)(acc >> 10);
        s[o++] = (char)(acc >> 2);
        break;
    }
    if (pad > 2) return -1;
    s[o] = 0;
    return (long)o;
}

static bool b64_encode(buf *b, const unsigned char *p, size_t len) {
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len) v |= p[i + 2];
        char q[4] = {b64chars[v >> 18], b64chars[v >> 12 & 63],
                     i + 1 < len ? b64chars[v >> 6 & 63] : '=',
                     i + 2 < len ? b64chars[v & 63] : '='};
        if (!buf_add(b, q, 4)) return false;
    }
    return true;
}

/* ---- Requests ---------------------------------------------------------------------------- */

/* What a parsed request owns, freed after the function returns. */
typedef struct req_store {
    sl_fn_request req;
    char *strings[8]; /* method, path, request_id, source_ip, stage, body */
    size_t nstrings;
    sl_fn_pair *lists[3]; /* headers, query, path params */
} req_store;

static void free_pairs(sl_fn_pair *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

static void req_free(req_store *s) {
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    free_pairs(s->lists[0], s->req.nheaders);
    free_pairs(s->lists[1], s->req.nquery);
    free_pairs(s->lists[2], s->req.npath_params);
}

/* A string-or-null member into *slot (kept in s->strings). Returns false when malformed. */
static bool read_opt_string(jr *r, req_store *s, const char **slot, size_t *len) {
    if (r->p < r->end && *r->p == 'n') return j_lit(r, "null");
    char *v;
    size_t n;
    if (!j_string(r, &v, &n)) return false;
    for (size_t i = 0; i < s->nstrings; i++) /* a repeated key replaces the earlier value */
        if (s->strings[i] == *slot) {
            free(s->strings[i]);
            s->strings[i] = v;
            *slot = v;
            if (len) *len = n;
            return true;
        }
    s->strings[s->nstrings++] = v;
    *slot = v;
    if (len) *len = n;
    return true;
}

/* An object of string values (null values and null objects are skipped) into a pair list. */
static bool read_pairs(jr *r, sl_fn_pair **list, size_t *n) {
    if (r->p < r->end && *r->p == 'n') return j_lit(r, "null");
    bool first = true;
    char *key;
    int m;
    size_t cap = *n;
    while ((m = j_member(r, &first, &key)) == 1) {
        if (r->p < r->end && *r->p == 'n') {
            free(key);
            if (!j_lit(r, "null")) return false;
            continue;
        }
        char *v;
        size_t vlen;
        if (!j_string(r, &v, &vlen)) {
            free(key);
            return false;
        }
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            sl_fn_pair *p = realloc(*list, ncap * sizeof *p);
            if (!p) {
                free(key);
                free(v);
                return false;
            }
            *list = p;
            cap = ncap;
        }
        (*list)[(*n)++] = (sl_fn_pair){key, v, vlen};
    }
    return m == 0;
}

static bool read_context(jr *r, req_store *s) {
    if (r->p < r->end && *r->p == 'n') return j_lit(r, "null");
    bool first = true;
    char *key;
    int m;
    while ((m = j_member(r, &first, &key)) == 1) {
        const char **slot = NULL;
        if (!strcmp(key, "requestId"))
            slot = &s->req.request_id;
        else if (!strcmp(key, "sourceIp"))
            slot = &s->req.source_ip;
        else if (!strcmp(key, "stage"))
            slot = &s->req.stage;
        free(key);
        if (slot ? !read_opt_string(r, s, slot, NULL) : !j_value(r, 1)) return false;
    }
    return m == 0;
}

/* Parse an API-gateway event. Returns NULL or a static error message. */
static const char *parse_event(req_store *s, const char *in, size_t len) {
    sl_fn_request *q = &s->req;
    jr r = {in, in + len};
    bool first = true;
    char *key;
    int m;
    q->body = "";
    q->body_len = 0;
    while ((m = j_member(&r, &first, &key)) == 1) {
        bool ok;
        if (!strcmp(key, "httpMethod"))
            ok = read_opt_string(&r, s, &q->method, NULL);
        else if (!strcmp(key, "path"))
            ok = read_opt_string(&r, s, &q->path, NULL);
        else if (!strcmp(key, "body"))
            ok = read_opt_string(&r, s, &q->body, &q->body_len);
        else if (!strcmp(key, "isBase64Encoded")) {
            q->is_base64 = r.p < r.end && *r.p == 't';
            ok = j_lit(&r, q->is_base64 ? "true" : "false") || j_lit(&r, "null");
        } else if (!strcmp(key, "headers"))
            ok = read_pairs(&r, &s->lists[0], &q->nheaders);
        else if (!strcmp(key, "queryStringParameters"))
            ok = read_pairs(&r, &s->lists[1], &q->nquery);
        else if (!strcmp(key, "pathParameters"))
            ok = read_pairs(&r, &s->lists[2], &q->npath_params);
        else if (!strcmp(key, "requestContext"))
            ok = read_context(&r, s);
        else
            ok = j_value(&r, 1);
        free(key);
        if (!ok) {
            m = -1;
            break;
        }
    }
    q->headers = s->lists[0];
    q->query = s->lists[1];
    q->path_params = s->lists[2];
    if (m < 0 || !j_end(&r)) return "malformed event: expected an API-gateway event JSON object";
    if (q->is_base64 && q->body_len) {
        /* body is one of s->strings (owned), so it can be decoded in place */
        long n = b64_decode((char *)q->body, q->body_len);
        if (n < 0) return "malformed event: body is not valid base64";
        q->body_len = (size_t)n;
    }
    return NULL;
}

static const char *find_pair(const sl_fn_pair *p, size_t n, const char *name, bool nocase) {
    const char *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (nocase ? !strcasecmp(p[i].name, name) : !strcmp(p[i].name, name)) v = p[i].value;
    return v;
}

const char *sl_fn_header(const sl_fn_request *req, const char *name) {
    return find_pair(req->headers, req->nheaders, name, true);
}
const char *sl_fn_query(const sl_fn_request *req, const char *name) {
    return find_pair(req->query, req->nquery, name, false);
}
const char *sl_fn_path_param(const sl_fn_request *req, const char *name) {
    return find_pair(req->path_params, req->npath_params, name, false);
}

/* ---- Responses --------------------------------------------------------------------------- */

struct sl_fn_response {
    buf body;
    sl_fn_pair *headers;
    size_t nheaders, cap;
    bool oom;
};

bool sl_fn_set_header(sl_fn_response *res, const char *name, const char *value) {
    if (res->nheaders == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 8;
        sl_fn_pair *p = realloc(res->headers, cap * sizeof *p);
        if (!p) return res->oom = true, false;
        res->headers = p;
        res->cap = cap;
    }
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return res->oom = true, false;
    }
    res->headers[res->nheaders++] = (sl_fn_pair){n, v, strlen(v)};
    return true;
}

bool sl_fn_write(sl_fn_response *res, const void *data, size_t len) {
    return buf_add(&res->body, data, len);
}
bool sl_fn_puts(sl_fn_response *res, const char *s) {
    return buf_str(&res->body, s);
}

bool sl_fn_printf(sl_fn_response *res, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = buf_vprintf(&res->body, fmt, ap);
    va_end(ap);
    return ok;
}

void sl_fn_clear(sl_fn_response *res) {
    res->body.len = 0;
    if (res->body.data) res->body.data[0] = 0;
}

int sl_fn_error(sl_fn_response *res, int status, const char *fmt, ...) {
    sl_fn_clear(res);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&res->body, fmt, ap);
    va_end(ap);
    buf_str(&res->body, "\n");
    sl_fn_set_header(res, "Content-Type", "text/plain; charset=utf-8");
    return status;
}

static bool json_escape(buf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes copied as they are, written in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (!buf_add(b, s + i - run, run)) return false;
        run = 0;
        char e[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        }
        if (!buf_add(b, e, n)) return false;
    }
    return buf_add(b, s + len - run, run);
}

bool sl_fn_write_json_string(sl_fn_response *res, const char *s, size_t len) {
    return json_escape(&res->body, s, len);
}

/* Whether p[0..len) is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static bool valid_utf8(const unsigned char *p, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0)
            n = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            n = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (len - i <= n) return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

static void res_free(sl_fn_response *res) {
    buf_free(&res->body);
    free_pairs(res->headers, res->nheaders);
    *res = (sl_fn_response){0};
}

/* The integration JSON for `status` and `res`; false when out of memory. */
static bool write_integration(buf *out, int status, const sl_fn_response *res) {
    const char *body = res->body.data ? res->body.data : "";
    bool b64 = !valid_utf8((const unsigned char *)body, res->body.len);
    char num[16];
    snprintf(num, sizeof num, "%d", status);
    buf_str(out, "{\"statusCode\":");
    buf_str(out, num);
    buf_str(out, ",\"headers\":{");
    for (size_t i = 0; i < res->nheaders; i++) {
        buf_str(out, i ? ",\"" : "\"");
        json_escape(out, res->headers[i].name, strlen(res->headers[i].name));
        buf_str(out, "\":\"");
        json_escape(out, res->headers[i].value, res->headers[i].value_len);
        buf_str(out, "\"");
    }
    buf_str(out, "},\"body\":\"");
    if (b64)
        b64_encode(out, (const unsigned char *)body, res->body.len);
    else
        json_escape(out, body, res->body.len);
    buf_str(out, b64 ? "\",\"isBase64Encoded\":true}" : "\",\"isBase64Encoded\":false}");
    return !out->oom;
}

/* ---- Running a request ------------------------------------------------------------------- */

/* Handle one request: parse it per `modes`, call the function and serialize the response into
 * *out (which the caller frees). Returns the HTTP status. */
static int run_request(sl_fn_modes modes, const char *in, size_t len, buf *out) {
    req_store s = {0};
    sl_fn_response res = {0};
    s.req.mode = modes.input;
    s.req.input = in;
    s.req.input_len = len;
    int status;
    const char *err = NULL;
    if (modes.input == SL_FN_IN_EVENT)
        err = parse_event(&s, in, len);
    else {
        s.req.body = in;
        s.req.body_len = len;
    }
    if (err)
        status = sl_fn_error(&res, 400, "%s", err);
    else
        status = sl_fn_handle(&s.req, &res);
    req_free(&s);
    if (status == 0) status = 200;
    if (status < 100 || status > 599) status = 500;
    if (res.oom || res.body.oom) {
        res_free(&res);
        status = 500;
    }
    *out = (buf){0};
    if (modes.output == SL_FN_OUT_RAW) {
        *out = res.body;
        res.body = (buf){0};
    } else if (!write_integration(out, status, &res)) {
        buf_free(out);
        status = 500;
        sl_fn_response empty = {0};
        write_integration(out, status, &empty);
    }
    res_free(&res);
    return status;
}

static sl_fn_modes current_modes(void) {
    const sl_fn_modes *m = &sl_fn_declared_modes;
    return m ? *m : (sl_fn_modes){SL_FN_IN_RAW, SL_FN_OUT_RAW};
}

/* ---- Configuration (sl_fn_setup) -------------------------------------------------------- */

static buf setup_msg; /* the message of a failing sl_fn_setup */

int sl_fn_setup_error(int status, const char *fmt, ...) {
    buf_free(&setup_msg);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&setup_msg, fmt, ap);
    va_end(ap);
    buf_str(&setup_msg, "\n");
    return status;
}

/* Call sl_fn_setup with json[0..len) (NUL-terminated) once it is known to be an object.
 * Returns 0, or the status (400..599) with setup_msg holding the message. */
static int run_setup(const char *json, size_t len) {
    buf_free(&setup_msg);
    size_t i = 0, pos = 0, vlen;
    const char *v;
    int m = -1;
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r'))
        i++;
    if (i < len && json[i] == '{') /* sl_fn_json_next also takes arrays */
        while ((m = sl_fn_json_next(json, len, &pos, NULL, NULL, &v, &vlen)) == 1)
            ;
    if (m < 0) return sl_fn_setup_error(400, "setup: the parameters are not a JSON object");
    int status = sl_fn_setup(json, len);
    if (status == 0) {
        buf_free(&setup_msg); /* a message without a failure is not an error */
        return 0;
    }
    if (status < 400 || status > 599) {
        sl_fn_setup_error(500, "setup: sl_fn_setup returned %d", status);
        return 500;
    }
    if (setup_msg.len == 0 || setup_msg.oom)
        sl_fn_setup_error(status, "setup: the parameters were refused (status %d)", status);
    return status;
}

#ifdef SLUICE_HANDLER

/* ---- Handler ABI (docs/abi.md) ----------------------------------------------------------- */

static char *request_buf;
static buf response_buf;

__attribute__((export_name("sluice_init"))) void sluice_init(void) {
    sl_fn_init();
}

__attribute__((export_name("sluice_alloc"))) char *sluice_alloc(int32_t len) {
    free(request_buf);
    request_buf = NULL;
    if (len < 0) return NULL;
    request_buf = malloc((size_t)len + 1);
    return request_buf;
}

__attribute__((export_name("sluice_handle"))) int32_t sluice_handle(char *ptr, int32_t len) {
    buf_free(&response_buf);
    if (len < 0 || (len > 0 && !ptr)) return 500;
    if (ptr && ptr == request_buf) ptr[len] = 0; /* sluice_alloc left room: a C string too */
    int status = run_request(current_modes(), ptr ? ptr : "", (size_t)len, &response_buf);
    if (ptr == request_buf) {
        free(request_buf);
        request_buf = NULL;
    }
    return status;
}

__attribute__((export_name("sluice_setup"))) int32_t sluice_setup(char *ptr, int32_t len) {
    buf_free(&response_buf);
    if (len < 0 || (len > 0 && !ptr)) return 500;
    char *json;
    if (len == 0) { /* no parameters */
        json = strdup("{}");
    } else if (ptr == request_buf) {
        json = ptr; /* sluice_alloc left room for the NUL */
        request_buf = NULL;
    } else { /* not where the ABI asks for it, but sl_fn_setup is promised a C string */
        json = malloc((size_t)len + 1);
        if (json) memcpy(json, ptr, (size_t)len);
    }
    if (!json) return 500;
    size_t n = len ? (size_t)len : 2;
    json[n] = 0;
    int status = run_setup(json, n);
    free(json);
    if (status) {
        response_buf = setup_msg; /* the response of a refused setup is its message */
        setup_msg = (buf){0};
    }
    return status;
}

__attribute__((export_name("sluice_response_ptr"))) const char *sluice_response_ptr(void) {
    return response_buf.data ? response_buf.data : "";
}

__attribute__((export_name("sluice_response_len"))) int32_t sluice_response_len(void) {
    return (int32_t)response_buf.len;
}

#ifdef SLUICE_NO_WASI_IMPORTS
/* With -DSLUICE_NO_WASI_IMPORTS a handler module imports nothing: the C library's formatting
 * functions (snprintf, used by sl_fn_printf) drag in stderr, whose stream functions import
 * WASI fd_write, fd_seek and fd_close. These definitions take their place (the library's are
 * then never linked), so anything written to stdio is discarded. They replace internals of
 * wasi-libc (musl): check `sluice inspect` for "imports (0)" after upgrading it. */
size_t __stdio_write(FILE *f, const unsigned char *data, size_t len);
off_t __stdio_seek(FILE *f, off_t off, int whence);
int __stdio_close(FILE *f);

size_t __stdio_write(FILE *f, const unsigned char *data, size_t len) {
    (void)f, (void)data;
    return len;
}
off_t __stdio_seek(FILE *f, off_t off, int whence) {
    (void)f, (void)off, (void)whence;
    return -1;
}
int __stdio_close(FILE *f) {
    (void)f;
    return 0;
}
#endif

#else

/* ---- WASI command ------------------------------------------------------------------------ */

/* Whether `name` (len bytes) can be a parameter name: letters, digits, '_', '-' and '.', not
 * starting with '-' (so that "---x" is a mistake rather than a name "-x"). */
static bool option_name(const char *name, size_t len) {
    if (len == 0 || name[0] == '-') return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

typedef struct option {
    const char *name, *value; /* value NULL for a bare --flag */
    size_t name_len;
} option;

/* The command's arguments as the JSON object sl_fn_setup takes (see sluice_fn.h). Returns
 * false, after printing why on stderr, for arguments that are not such options. */
static bool args_to_json(int argc, char **argv, buf *out) {
    option *opts = calloc((size_t)(argc > 0 ? argc : 1), sizeof *opts);
    size_t n = 0;
    if (!opts) {
        fprintf(stderr, "sluice_fn: out of memory reading the arguments\n");
        return false;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2)) {
            fprintf(stderr,
                    "sluice_fn: unexpected argument \"%s\" (parameters are given as --name value, "
                    "--name=value or --flag)\n",
                    a);
            free(opts);
            return false;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        if (!option_name(name, name_len)) {
            fprintf(stderr,
                    "sluice_fn: malformed option \"%s\" (a name is letters, digits, '_', '-' and "
                    "'.')\n",
                    a);
            free(opts);
            return false;
        }
        const char *value = NULL;
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
            value = argv[++i]; /* "-3" is a value: only "--" starts an option */
        if (value && !valid_utf8((const unsigned char *)value, strlen(value))) {
            fprintf(stderr, "sluice_fn: the value of --%.*s is not valid UTF-8\n", (int)name_len,
                    name);
            free(opts);
            return false;
        }
        opts[n++] = (option){name, value, name_len};
    }
    buf_str(out, "{");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        bool later = false; /* a repeated name: only its last value is kept */
        for (size_t j = i + 1; j < n && !later; j++)
            later = opts[j].name_len == opts[i].name_len &&
                    !memcmp(opts[j].name, opts[i].name, opts[i].name_len);
        if (later) continue;
        buf_str(out, first ? "\"" : ",\"");
        first = false;
        json_escape(out, opts[i].name, opts[i].name_len);
        if (opts[i].value) {
            buf_str(out, "\":\"");
            json_escape(out, opts[i].value, strlen(opts[i].value));
            buf_str(out, "\"");
        } else {
            buf_str(out, "\":true");
        }
    }
    buf_str(out, "}");
    free(opts);
    if (out->oom) fprintf(stderr, "sluice_fn: out of memory reading the arguments\n");
    return !out->oom;
}

int main(int argc, char **argv) {
    /* Configuration first: a command that refuses its parameters should say so before it
     * waits for a request on stdin. */
    buf params = {0};
    if (!args_to_json(argc, argv, &params)) {
        buf_free(&params);
        return 2;
    }
    sl_fn_init();
    int setup = run_setup(params.data, params.len);
    buf_free(&params);
    if (setup) {
        fwrite(setup_msg.data, 1, setup_msg.len, stderr);
        buf_free(&setup_msg);
        return 2;
    }

    sl_fn_modes modes = current_modes();
    const char *m = getenv("SLUICE_INPUT_MODE");
    if (m) modes.input = !strcmp(m, "event") ? SL_FN_IN_EVENT : SL_FN_IN_RAW;
    m = getenv("SLUICE_OUTPUT_MODE");
    if (m) modes.output = !strcmp(m, "integration") ? SL_FN_OUT_INTEGRATION : SL_FN_OUT_RAW;

    buf in = {0};
    for (;;) {
        /* grow by 64 KiB when less than 4 KiB is free (not on every read: a small request
         * would otherwise be copied into a buffer twice as large before EOF is seen) */
        if (in.cap - in.len < 4096 && !buf_reserve(&in, 65536)) {
            fprintf(stderr, "sluice_fn: out of memory reading the request\n");
            return 1;
        }
        size_t n = fread(in.data + in.len, 1, in.cap - in.len - 1, stdin);
        in.len += n;
        if (n == 0) break;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "sluice_fn: cannot read the request from stdin\n");
        return 1;
    }
    in.data[in.len] = 0;
    buf out;
    int status = run_request(modes, in.data, in.len, &out);
    buf_free(&in);
    bool ok = out.len == 0 || fwrite(out.data, 1, out.len, stdout) == out.len;
    buf_free(&out);
    if (fflush(stdout) || !ok) {
        fprintf(stderr, "sluice_fn: cannot write the response\n");
        return 1;
    }
    /* Raw output carries no status: an error status becomes exit code 1. */
    return modes.output == SL_FN_OUT_RAW && status >= 400 ? 1 : 0;
}

#endif
