/* json.c - a recursive-descent JSON parser (RFC 8259 subset: objects, arrays, numbers,
 * strings with escapes including \uXXXX, true/false/null) that builds a tree, run many times
 * over a generated document; a checksum walks each tree. Byte-at-a-time scanning, branches,
 * recursion and allocation.
 * Usage: json [ITERATIONS] [DOC_KIB]   (defaults 150 512) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- A growable output buffer for the generator ---- */

typedef struct strbuf {
    char *p;
    size_t len, cap;
} strbuf;

static void sb_putn(strbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p) exit(1);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void sb_puts(strbuf *b, const char *s) {
    sb_putn(b, s, strlen(s));
}

static uint32_t gen_state = 0x9e3779b9u;
static uint32_t gen_rand(uint32_t n) {
    gen_state = gen_state * 1664525u + 1013904223u;
    return (gen_state >> 8) % n;
}

static void gen_string(strbuf *b) {
    static const char *pieces[] = {"alpha", "beta",    "gamma", " ",       "\\n",    "\\\"",
                                   "\\\\",  "\\u00e9", "\\t",   "\\u20ac", "delta_", "x"};
    sb_puts(b, "\"");
    int n = (int)gen_rand(6);
    for (int i = 0; i <= n; i++)
        sb_puts(b, pieces[gen_rand(sizeof pieces / sizeof *pieces)]);
    sb_puts(b, "\"");
}

static void gen_number(strbuf *b) {
    char tmp[48];
    /* Draw every random value in a fixed order: argument evaluation order is unspecified. */
    uint32_t kind = gen_rand(4), r1 = gen_rand(100000000), r2 = gen_rand(100000), r3 = gen_rand(12);
    switch (kind) {
    case 0: snprintf(tmp, sizeof tmp, "%u", r1 % 1000); break;
    case 1: snprintf(tmp, sizeof tmp, "-%u", r1); break;
    case 2: snprintf(tmp, sizeof tmp, "%u.%03u", r1 % 10000, r2 % 1000); break;
    default: snprintf(tmp, sizeof tmp, "%u.%ue-%u", r1 % 10, r2, r3);
    }
    sb_puts(b, tmp);
}

static void gen_value(strbuf *b, int depth) {
    uint32_t kind = depth > 5 ? 2 + gen_rand(5) : gen_rand(7);
    switch (kind) {
    case 0:
    case 1: {
        int n = 1 + (int)gen_rand(8);
        if (kind == 0) {
            sb_puts(b, "{");
            for (int i = 0; i < n; i++) {
                char key[32];
                snprintf(key, sizeof key, "%s\"key_%u\": ", i ? ", " : "", gen_rand(50));
                sb_puts(b, key);
                gen_value(b, depth + 1);
            }
            sb_puts(b, "}");
        } else {
            sb_puts(b, "[");
            for (int i = 0; i < n; i++) {
                if (i) sb_puts(b, ",");
                gen_value(b, depth + 1);
            }
            sb_puts(b, "]");
        }
        break;
    }
    case 2:
    case 3: gen_number(b); break;
    case 4:
    case 5: gen_string(b); break;
    default: sb_puts(b, gen_rand(3) == 0 ? "null" : gen_rand(2) ? "true" : "false");
    }
}

/* ---- The parser ---- */

enum { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

typedef struct jnode {
    int type;
    int32_t first, next;  /* child / sibling indices, -1 for none */
    uint32_t key, keylen; /* object members: key in the string arena */
    uint32_t str, len;    /* strings */
    int64_t mant;         /* numbers: mant * 10^exp */
    int32_t exp;
} jnode;

typedef struct parser {
    const char *p, *end;
    jnode *nodes;
    size_t nnodes, capnodes;
    char *chars;
    size_t nchars, capchars;
    const char *error;
} parser;

static int32_t new_node(parser *ps, int type) {
    if (ps->nnodes == ps->capnodes) {
        ps->capnodes = ps->capnodes ? ps->capnodes * 2 : 1024;
        ps->nodes = realloc(ps->nodes, ps->capnodes * sizeof *ps->nodes);
        if (!ps->nodes) exit(1);
    }
    jnode *n = &ps->nodes[ps->nnodes];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->first = n->next = -1;
    return (int32_t)ps->nnodes++;
}

static void put_char(parser *ps, char c) {
    if (ps->nchars == ps->capchars) {
        ps->capchars = ps->capchars ? ps->capchars * 2 : 4096;
        ps->chars = realloc(ps->chars, ps->capchars);
        if (!ps->chars) exit(1);
    }
    ps->chars[ps->nchars++] = c;
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parses a string at ps->p (which is at the opening quote) into the char arena. */
static int parse_string(parser *ps, uint32_t *start, uint32_t *len) {
    ps->p++;
    *start = (uint32_t)ps->nchars;
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if ((unsigned char)c < 0x20) return ps->error = "control character in string", 0;
        if (c != '\\') {
            put_char(ps, c);
            continue;
        }
        if (ps->p >= ps->end) break;
        c = *ps->p++;
        switch (c) {
        case '"': put_char(ps, '"'); break;
        case '\\': put_char(ps, '\\'); break;
        case '/': put_char(ps, '/'); break;
        case 'b': put_char(ps, '\b'); break;
        case 'f': put_char(ps, '\f'); break;
        case 'n': put_char(ps, '\n'); break;
        case 'r': put_char(ps, '\r'); break;
        case 't': put_char(ps, '\t'); break;
        case 'u': {
            if (ps->end - ps->p < 4) return ps->error = "short \\u escape", 0;
            uint32_t cp = 0;
            for (int i = 0; i < 4; i++) {
                int h = hexval(ps->p[i]);
                if (h < 0) return ps->error = "bad \\u escape", 0;
                cp = cp << 4 | (uint32_t)h;
            }
            ps->p += 4;
            /* Encode as UTF-8 (surrogates are kept as-is; the generator emits none). */
            if (cp < 0x80) {
                put_char(ps, (char)cp);
            } else if (cp < 0x800) {
                put_char(ps, (char)(0xC0 | cp >> 6));
                put_char(ps, (char)(0x80 | (cp & 0x3F)));
            } else {
                put_char(ps, (char)(0xE0 | cp >> 12));
                put_char(ps, (char)(0x80 | (cp >> 6 & 0x3F)));
                put_char(ps, (char)(0x80 | (cp & 0x3F)));
            }
            break;
        }
        default: return ps->error = "bad escape", 0;
        }
    }
    if (ps->p >= ps->end) return ps->error = "unterminated string", 0;
    ps->p++;
    *len = (uint32_t)ps->nchars - *start;
    return 1;
}

static int parse_number(parser *ps, jnode *n) {
    int neg = 0, digits = 0;
    int64_t mant = 0;
    int32_t exp = 0;
    if (*ps->p == '-') neg = 1, ps->p++;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        if (mant < 100000000000000000)
            mant = mant * 10 + (*ps->p - '0');
        else
            exp++;
        ps->p++, digits++;
    }
    if (!digits) return ps->error = "bad number", 0;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            if (mant < 100000000000000000) mant = mant * 10 + (*ps->p - '0'), exp--;
            ps->p++;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        int eneg = 0, e = 0;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) eneg = *ps->p++ == '-';
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            if (e < 100000) e = e * 10 + (*ps->p - '0');
            ps->p++;
        }
        exp += eneg ? -e : e;
    }
    n->mant = neg ? -mant : mant;
    n->exp = exp;
    return 1;
}

static int32_t parse_value(parser *ps, int depth);

static int32_t parse_container(parser *ps, int depth, int object) {
    int32_t self = new_node(ps, object ? J_OBJECT : J_ARRAY), last = -1;
    char close = object ? '}' : ']';
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return self;
    }
    for (;;) {
        uint32_t key = 0, keylen = 0;
        if (object) {
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != '"') return ps->error = "expected key", -1;
            if (!parse_string(ps, &key, &keylen)) return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') return ps->error = "expected ':'", -1;
            ps->p++;
        }
        int32_t child = parse_value(ps, depth + 1);
        if (child < 0) return -1;
        ps->nodes[child].key = key;
        ps->nodes[child].keylen = keylen;
        if (last < 0)
            ps->nodes[self].first = child;
        else
            ps->nodes[last].next = child;
        last = child;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return self;
        }
        return ps->error = "expected ',' or close", -1;
    }
}

static int literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return 0;
    ps->p += n;
    return 1;
}

static int32_t parse_value(parser *ps, int depth) {
    if (depth > 256) return ps->error = "too deep", -1;
    skip_ws(ps);
    if (ps->p >= ps->end) return ps->error = "unexpected end", -1;
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, 1);
    case '[': return parse_container(ps, depth, 0);
    case '"': {
        int32_t n = new_node(ps, J_STRING);
        uint32_t s, l;
        if (!parse_string(ps, &s, &l)) return -1;
        ps->nodes[n].str = s;
        ps->nodes[n].len = l;
        return n;
    }
    case 't': return literal(ps, "true") ? new_node(ps, J_TRUE) : (ps->error = "bad literal", -1);
    case 'f': return literal(ps, "false") ? new_node(ps, J_FALSE) : (ps->error = "bad literal", -1);
    case 'n': return literal(ps, "null") ? new_node(ps, J_NULL) : (ps->error = "bad literal", -1);
    default: {
        int32_t n = new_node(ps, J_NUMBER);
        if (!parse_number(ps, &ps->nodes[n])) return -1;
        return n;
    }
    }
}

/* ---- Checksum over the tree ---- */

typedef struct stats {
    uint64_t hash;
    uint64_t counts[7];
    int64_t intsum;
    uint32_t maxdepth;
} stats;

static uint64_t mix(uint64_t h, uint64_t v) {
    return (h ^ v) * 0x100000001b3ull;
}

static void walk(const parser *ps, int32_t i, uint32_t depth, stats *st) {
    const jnode *n = &ps->nodes[i];
    if (depth > st->maxdepth) st->maxdepth = depth;
    st->counts[n->type]++;
    st->hash = mix(st->hash, (uint64_t)n->type);
    for (uint32_t k = 0; k < n->keylen; k++)
        st->hash = mix(st->hash, (unsigned char)ps->chars[n->key + k]);
    switch (n->type) {
    case J_NUMBER:
        st->hash = mix(mix(st->hash, (uint64_t)n->mant), (uint64_t)(int64_t)n->exp);
        if (n->exp == 0) st->intsum += n->mant;
        break;
    case J_STRING:
        for (uint32_t k = 0; k < n->len; k++)
            st->hash = mix(st->hash, (unsigned char)ps->chars[n->str + k]);
        break;
    case J_ARRAY:
    case J_OBJECT:
        for (int32_t c = n->first; c >= 0; c = ps->nodes[c].next)
            walk(ps, c, depth + 1, st);
        break;
    }
}

int main(int argc, char **argv) {
    int iterations = argc > 1 ? atoi(argv[1]) : 150;
    size_t target = (size_t)(argc > 2 ? atoi(argv[2]) : 512) * 1024;
    strbuf doc = {0};
    sb_puts(&doc, "[");
    for (int i = 0; doc.len < target; i++) {
        if (i) sb_puts(&doc, ",\n ");
        gen_value(&doc, 0);
    }
    sb_puts(&doc, "]");

    parser ps = {0};
    stats st = {0};
    uint64_t total = 0;
    for (int it = 0; it < iterations; it++) {
        ps.p = doc.p;
        ps.end = doc.p + doc.len;
        ps.nnodes = ps.nchars = 0;
        ps.error = NULL;
        int32_t root = parse_value(&ps, 0);
        skip_ws(&ps);
        if (root < 0 || ps.p != ps.end) {
            printf("json: parse error at %ld: %s\n", (long)(ps.p - doc.p),
                   ps.error ? ps.error : "trailing data");
            return 1;
        }
        memset(&st, 0, sizeof st);
        st.hash = 0xcbf29ce484222325ull;
        walk(&ps, root, 0, &st);
        total = mix(total, st.hash);
    }
    printf("json %zu bytes x%d: nodes=%zu objects=%llu arrays=%llu strings=%llu numbers=%llu "
           "intsum=%lld depth=%u hash=%016llx\n",
           doc.len, iterations, ps.nnodes, (unsigned long long)st.counts[J_OBJECT],
           (unsigned long long)st.counts[J_ARRAY], (unsigned long long)st.counts[J_STRING],
           (unsigned long long)st.counts[J_NUMBER], (long long)st.intsum, st.maxdepth,
           (unsigned long long)total);
    free(doc.p);
    free(ps.nodes);
    free(ps.chars);
    return 0;
}
