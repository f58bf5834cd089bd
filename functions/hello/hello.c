/*
 * hello.c - the example function: reads a JSON object such as
 *     {"key1":"test value 1","key2":"test value 2"}
 * from stdin and prints "Hello! test value 1, test value 2".
 *
 * A guest cannot link host libraries, so this carries a small JSON reader of its own: it
 * walks the top-level object, decodes string values (all escapes, \u surrogate pairs
 * included) and skips values of any other type.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const char *p, *end;
} reader;

static void skip_ws(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
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

static size_t put_utf8(char *o, unsigned cp) {
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

/* A string at r->p (the opening quote), decoded into a malloc'd buffer; NULL if malformed.
 * The decoded form is never longer than the source, so one allocation suffices. */
static char *read_string(reader *r) {
    if (r->p >= r->end || *r->p != '"') return NULL;
    r->p++;
    char *out = malloc((size_t)(r->end - r->p) + 1), *o = out;
    if (!out) return NULL;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p++;
        if (c < 0x20) goto bad; /* control characters must be escaped */
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        if (r->p >= r->end) goto bad;
        switch (*r->p++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            if (r->end - r->p < 4) goto bad;
            int cp = hex4(r->p);
            r->p += 4;
            if (cp < 0) goto bad;
            /* A high surrogate must pair with a low one into a code point above U+FFFF. */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') goto bad;
                int lo = hex4(r->p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) goto bad;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            o += put_utf8(o, (unsigned)cp);
            break;
        }
        default: goto bad;
        }
    }
    if (r->p >= r->end) goto bad;
    r->p++; /* closing quote */
    *o = 0;
    return out;
bad:
    free(out);
    return NULL;
}

/* Skip one value of any type; false if malformed. */
static bool skip_value(reader *r) {
    skip_ws(r);
    if (r->p >= r->end) return false;
    if (*r->p == '"') {
        char *s = read_string(r);
        free(s);
        return s != NULL;
    }
    if (*r->p == '{' || *r->p == '[') {
        /* Track nesting; strings are read properly so brackets inside them do not count. */
        int depth = 0;
        do {
            if (*r->p == '"') {
                char *s = read_string(r);
                if (!s) return false;
                free(s);
                continue;
            }
            if (*r->p == '{' || *r->p == '[')
                depth++;
            else if (*r->p == '}' || *r->p == ']')
                depth--;
            r->p++;
        } while (depth > 0 && r->p < r->end);
        return depth == 0;
    }
    /* number, true, false, null */
    const char *start = r->p;
    while (r->p < r->end && !strchr(",}] \t\r\n", *r->p))
        r->p++;
    return r->p > start;
}

int main(void) {
    static char input[1 << 16];
    size_t n = fread(input, 1, sizeof input, stdin);
    if (n == sizeof input) {
        fprintf(stderr, "hello: input too large\n");
        return 1;
    }
    reader r = {input, input + n};
    char *v1 = NULL, *v2 = NULL;
    bool ok = false;
    skip_ws(&r);
    if (r.p < r.end && *r.p == '{') {
        r.p++;
        skip_ws(&r);
        ok = r.p < r.end && *r.p == '}';
        while (!ok && r.p < r.end) {
            char *key = read_string(&r);
            if (!key) break;
            skip_ws(&r);
            if (r.p >= r.end || *r.p++ != ':') {
                free(key);
                break;
            }
            skip_ws(&r);
            char **slot = !strcmp(key, "key1") ? &v1 : !strcmp(key, "key2") ? &v2 : NULL;
            free(key);
            if (slot && r.p < r.end && *r.p == '"') {
                free(*slot); /* a repeated key: the last one wins */
                if (!(*slot = read_string(&r))) break;
            } else if (!skip_value(&r)) {
                break;
            }
            skip_ws(&r);
            if (r.p < r.end && *r.p == ',') {
                r.p++;
                skip_ws(&r);
            } else {
                ok = r.p < r.end && *r.p == '}';
                break;
            }
        }
    }
    int code = 0;
    if (!ok) {
        fprintf(stderr, "hello: expected a JSON object on stdin\n");
        code = 1;
    } else if (!v1 || !v2) {
        fprintf(stderr, "hello: \"key1\" and \"key2\" must be strings\n");
        code = 1;
    } else {
        printf("Hello! %s, %s\n", v1, v2);
    }
    free(v1);
    free(v2);
    return code;
}
