/*
 * test_jsonl.c - the JSON lines parser (src/pipeline/jsonl.c): values, changing key sets,
 * bad lines, chunk boundaries, hints, limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pipeline/jsonl.h"

typedef struct run {
    collector c;
    char *out; /* per batch "[schema]\n" then "JSON @pos\n" per record; then bad lines */
    bool ok;
} run;

static void append(char **s, size_t *len, const char *add) {
    size_t n = strlen(add);
    *s = realloc(*s, *len + n + 1);
    memcpy(*s + *len, add, n + 1);
    *len += n;
}

static void add_batch(char **out, size_t *len, const sl_batch *b) {
    if (!b) return;
    append(out, len, "[");
    for (uint32_t j = 0; j < b->schema->nfields; j++) {
        if (j) append(out, len, ",");
        append(out, len, b->schema->names[j]);
    }
    append(out, len, "]\n");
    char at[40];
    for (uint32_t i = 0; i < b->n; i++) {
        char *j = row_json(b, i);
        append(out, len, j);
        free(j);
        snprintf(at, sizeof at, " @%llu\n", (unsigned long long)b->pos[i]);
        append(out, len, at);
    }
}

static run parse_cut(const sl_jsonl_opts *o0, bool flush, const char *text, size_t len,
                     const size_t *cuts, int ncuts) {
    run r = {0};
    sl_jsonl_opts o = *o0;
    o.on_bad = collect_bad;
    if (flush) o.on_batch = collect_batch;
    o.ctx = &r.c;
    char err[256];
    sl_parser *p = jsonl_new(&o, err, sizeof err);
    if (!p) return r;
    sl_batch *b = NULL;
    r.ok = true;
    size_t at = 0;
    for (int i = 0; i <= ncuts && r.ok; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        char *piece = malloc(to - at + 1);
        memcpy(piece, text + at, to - at);
        r.ok = sl_parser_bytes(p, piece, to - at, &b);
        free(piece);
        at = to;
    }
    r.ok = r.ok && sl_parser_finish(p, &b);
    size_t n = 0;
    r.out = calloc(1, 1);
    for (int i = 0; i < r.c.nbatches; i++)
        add_batch(&r.out, &n, r.c.batches[i]);
    add_batch(&r.out, &n, b);
    for (int i = 0; i < r.c.nbad; i++) {
        char line[700];
        bad_line *x = &r.c.bad[i];
        snprintf(line, sizeof line, "! line %llu @%llu: %s | %s\n", (unsigned long long)x->line,
                 (unsigned long long)x->pos, x->reason, x->raw);
        append(&r.out, &n, line);
    }
    sl_batch_free(b);
    collector_free(&r.c);
    sl_parser_free(p);
    return r;
}

static run parse(const sl_jsonl_opts *o, bool flush, const char *text) {
    return parse_cut(o, flush, text, strlen(text), NULL, 0);
}

static const char KEYS[] = "{\"a\":1,\"b\":\"x\"}\n"           /* 16 */
                           "{\"b\":\"y\",\"a\":2}\r\n"         /* 33 */
                           "\n"                                /* 34 */
                           "{\"a\":3}\n"                       /* 42 */
                           "{\"a\":4,\"c\":true}\n"            /* 59 */
                           "{\"c\":false,\"d\":null,\"a\":5}"; /* 84 */

TEST(jsonl_changing_keys_flush) {
    sl_jsonl_opts o = {0};
    run r = parse(&o, true, KEYS);
    CHECK(r.ok);
    /* A new key hands the batch on and starts one of the wider schema. */
    CHECK_STR(strdup(r.out), "[a,b]\n"
                             "{\"a\":1,\"b\":\"x\"} @16\n"
                             "{\"a\":2,\"b\":\"y\"} @33\n"
                             "{\"a\":3,\"b\":null} @42\n"
                             "[a,b,c]\n"
                             "{\"a\":4,\"b\":null,\"c\":true} @59\n"
                             "[a,b,c,d]\n"
                             "{\"a\":5,\"b\":null,\"c\":false,\"d\":null} @85\n");
    free(r.out);
}

TEST(jsonl_changing_keys_widen) {
    sl_jsonl_opts o = {0};
    run r = parse(&o, false, KEYS);
    CHECK(r.ok);
    /* Without on_batch, one batch, widened. */
    CHECK_STR(strdup(r.out), "[a,b,c,d]\n"
                             "{\"a\":1,\"b\":\"x\",\"c\":null,\"d\":null} @16\n"
                             "{\"a\":2,\"b\":\"y\",\"c\":null,\"d\":null} @33\n"
                             "{\"a\":3,\"b\":null,\"c\":null,\"d\":null} @42\n"
                             "{\"a\":4,\"b\":null,\"c\":true,\"d\":null} @59\n"
                             "{\"a\":5,\"b\":null,\"c\":false,\"d\":null} @85\n");
    free(r.out);
}

static const char MIXED[] =
    "{\"id\":1,\"at\":\"2026-11-24T08:15:00Z\",\"v\":1.5,\"tags\":[1,\"x\"]}\n"
    "not json\n"
    "[1,2]\n"
    "{\"id\":2} trailing\n"
    "{\"id\":\n"
    "   \t \n"
    "{\"id\":3,\"at\":\"soon\",\"v\":2,\"o\":{\"k\":[]}}\n"
    "{\"id\":\"\\ud800\"}\n"
    "{\"id\":4,\"s\":\"\xff\"}\n"
    "{\"id\":5,\"s\":\"\\u00e9\\\"\"}\n"
    "{\"id\":6,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
    "{\"id\":7}";

static char *mixed_expected(void) {
    return strdup(
        "[id,at,v,tags]\n"
        "{\"id\":1,\"at\":\"2026-11-24T08:15:00Z\",\"v\":1.5,\"tags\":\"[1,\\\"x\\\"]\"} @60\n"
        "[id,at,v,tags,o]\n"
        "{\"id\":3,\"at\":\"soon\",\"v\":2.0,\"tags\":null,\"o\":\"{\\\"k\\\":[]}\"} @146\n"
        "[id,at,v,tags,o,s]\n"
        "{\"id\":5,\"at\":null,\"v\":null,\"tags\":null,\"o\":null,\"s\":\"é\\\"\"} @203\n"
        "{\"id\":7,\"at\":null,\"v\":null,\"tags\":null,\"o\":null,\"s\":null} @292\n"
        "! line 2 @69: invalid JSON: expected a JSON object at column 1 | not json\n"
        "! line 3 @75: invalid JSON: expected a JSON object at column 1 | [1,2]\n"
        "! line 4 @93: invalid JSON: unexpected text after the object at column 10 | "
        "{\"id\":2} trailing\n"
        "! line 5 @100: invalid JSON: expected a value at column 7 | {\"id\":\n"
        "! line 8 @162: invalid JSON: high surrogate without a low one in \\u escape at column 8 | "
        "{\"id\":\"\\ud800\"}\n"
        "! line 9 @179: invalid JSON: invalid UTF-8 in a string at column 14 | "
        "{\"id\":4,\"s\":\"\xff\"}\n"
        "! line 11 @284: line longer than 64 bytes | "
        "{\"id\":6,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
}

TEST(jsonl_values_and_bad_lines) {
    const char *names[] = {"at", "v"};
    sl_ftype types[] = {SL_F_TIME, SL_F_FLOAT};
    sl_schema *hint = sl_schema_new(names, types, 2);
    sl_jsonl_opts o = {.hint = hint, .max_line = 64};
    run r = parse(&o, true, MIXED);
    CHECK(r.ok);
    char *want = mixed_expected();
    CHECK_STR(strdup(r.out), want);
    free(r.out);
    /* The hint made "at" a timestamp where it parsed. */
    char err[256];
    sl_parser *p = jsonl_new(&o, err, sizeof err);
    sl_schema_unref(hint); /* the parser keeps its own reference */
    sl_batch *b = NULL;
    CHECK(sl_parser_bytes(p, MIXED, 62, &b));
    REQUIRE(b != NULL);
    CHECK_EQ(sl_batch_row(b, 0)[1].type, SL_F_TIME);
    CHECK_EQ(sl_batch_row(b, 0)[1].v.i, INT64_C(1795508100000000));
    CHECK_EQ(b->schema->types[1], SL_F_TIME);
    CHECK(sl_parser_schema(p) == b->schema);
    CHECK_EQ(sl_parser_bad_count(p), 0);
    sl_batch_free(b);
    sl_parser_free(p);

    /* Every cut position gives the same records and reports. */
    hint = sl_schema_new(names, types, 2);
    o.hint = hint;
    size_t len = sizeof MIXED - 1;
    int bad = 0;
    for (size_t i = 0; i <= len; i++)
        for (size_t j = i; j <= len && j <= i + 3; j++) {
            size_t cuts[] = {i, j};
            r = parse_cut(&o, true, MIXED, len, cuts, j == i ? 1 : 2);
            if (!r.ok || strcmp(r.out, want) != 0)
                if (bad++ < 2) check_note("cuts at %zu, %zu:\n%s", i, j, r.out);
            free(r.out);
        }
    CHECK_EQ(bad, 0);
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    r = parse_cut(&o, true, MIXED, len, cuts, (int)len);
    CHECK_STR(strdup(r.out), want);
    free(r.out);
    free(cuts);
    free(want);
    sl_schema_unref(hint);
}

TEST(jsonl_batches_and_seek) {
    collector c = {0};
    sl_jsonl_opts o = {.batch_max = 2, .batch_cap = 1, .on_batch = collect_batch, .ctx = &c};
    char err[256];
    sl_parser *p = jsonl_new(&o, err, sizeof err);
    REQUIRE(p != NULL);
    sl_batch *b = NULL;
    const char text[] = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n{\"a\":";
    CHECK(sl_parser_bytes(p, text, sizeof text - 1, &b));
    CHECK_EQ(c.nbatches, 2);
    CHECK(b == NULL);
    CHECK(!sl_parser_seek(p, 100, 9)); /* mid-line */
    CHECK(sl_parser_bytes(p, "5}\n", 3, &b));
    REQUIRE(b != NULL);
    CHECK_EQ(b->pos[0], 40);
    CHECK(sl_parser_seek(p, 1000, 50));
    CHECK(sl_parser_bytes(p, "{\"a\":6}\nnope\n", 13, &b));
    CHECK_EQ(c.nbatches, 3);
    CHECK_EQ(c.batches[2]->pos[1], 1008);
    CHECK_EQ(sl_parser_bad_count(p), 1);
    CHECK(sl_parser_error(p) == NULL);
    CHECK(sl_parser_finish(p, &b));
    CHECK(b == NULL);
    collector_free(&c);
    sl_parser_free(p);
    sl_parser_free(NULL);
}

TEST(jsonl_long_lines) {
    /* A long line carried across many chunks, then good lines. */
    collector c = {0};
    sl_jsonl_opts o = {.max_line = 100, .on_bad = collect_bad, .ctx = &c};
    char err[256];
    sl_parser *p = jsonl_new(&o, err, sizeof err);
    sl_batch *b = NULL;
    CHECK(sl_parser_bytes(p, "{\"s\":\"", 6, &b));
    char chunk[50];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 100; i++)
        CHECK(sl_parser_bytes(p, chunk, sizeof chunk, &b));
    CHECK(sl_parser_bytes(p, "\"}\n{\"ok\":true}\n", 15, &b));
    CHECK_EQ(c.nbad, 1);
    CHECK_EQ(c.bad[0].len, 100);
    CHECK_EQ(c.bad[0].pos, 5009);
    CHECK_STR(strdup(c.bad[0].reason), "line longer than 100 bytes");
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 1);
    CHECK_EQ(b->pos[0], 5021);
    sl_batch_free(b);
    sl_parser_free(p);
}
