/*
 * test_csv.c - the CSV parser (src/pipeline/csv.c): RFC 4180 quoting, line breaks, chunk
 * boundaries, headers and declared columns, types, and bad lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pipeline/csv.h"

/* ---- Helpers ----------------------------------------------------------------------------- */

typedef struct run {
    collector c;
    char *out;    /* "JSON @pos\n" per record, then "! line L @pos: reason | raw\n" per bad line */
    char *schema; /* "name:type,..." */
    bool ok;
    char err[256];
} run;

static void append(char **s, size_t *len, const char *add) {
    size_t n = strlen(add);
    *s = realloc(*s, *len + n + 1);
    memcpy(*s + *len, add, n + 1);
    *len += n;
}

static void add_batch(char **out, size_t *len, const sl_batch *b) {
    char at[40];
    for (uint32_t i = 0; b && i < b->n; i++) {
        char *j = row_json(b, i);
        append(out, len, j);
        free(j);
        snprintf(at, sizeof at, " @%llu\n", (unsigned long long)b->pos[i]);
        append(out, len, at);
    }
}

/* Parses text fed in pieces cut at cuts[0..ncuts) (increasing offsets), each piece in its own
 * allocation so that reading past a chunk is caught by ASan. */
static run parse_cut(const sl_csv_opts *o0, const char *text, size_t len, const size_t *cuts,
                     int ncuts) {
    run r = {0};
    sl_csv_opts o = *o0;
    o.on_bad = collect_bad;
    if (!o.on_batch) o.on_batch = collect_batch;
    o.ctx = &r.c;
    sl_parser *p = csv_new(&o, r.err, sizeof r.err);
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
    if (r.ok) r.ok = sl_parser_finish(p, &b);
    if (!r.ok) snprintf(r.err, sizeof r.err, "%s", sl_parser_error(p));
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
    sl_schema *s = sl_parser_schema(p);
    n = 0;
    r.schema = calloc(1, 1);
    for (uint32_t i = 0; s && i < s->nfields; i++) {
        char f[300];
        snprintf(f, sizeof f, "%s%s:%d", i ? "," : "", s->names[i], s->types[i]);
        append(&r.schema, &n, f);
    }
    sl_batch_free(b);
    collector_free(&r.c);
    sl_parser_free(p);
    return r;
}

static run parse(const sl_csv_opts *o, const char *text) {
    return parse_cut(o, text, strlen(text), NULL, 0);
}

static void run_free(run *r) {
    free(r->out);
    free(r->schema);
}

/* Offset just after the n-th LF of text (1-based). */
static size_t after_nl(const char *text, int n) {
    const char *p = text;
    while (n-- > 0)
        p = strchr(p, '\n') + 1;
    return (size_t)(p - text);
}

/* ---- The sample: every feature, every kind of bad line ----------------------------------- */

static const char *const SAMPLE_NAMES[] = {"id", "score", "ok", "at"};
static const sl_ftype SAMPLE_TYPES[] = {SL_F_INT, SL_F_FLOAT, SL_F_BOOL, SL_F_TIME};

static const char SAMPLE[] =
    "id,name,score,ok,at\r\n"                                                            /* 1 */
    "1,\"Smith, \"\"J\"\"\",1.5,true,2026-11-24T08:15:00Z\r\n"                           /* 2 */
    "2,\"multi\nline\r\nvalue\",-2,false,2026-11-24 08:15:00.5+01:00\n"                  /* 3-5 */
    "\n"                                                                                 /* 6 */
    "3,,,,\n"                                                                            /* 7 */
    "4,\"\",1e3,T,2026-01-01\n"                                                          /* 8 */
    "5,bad\"quote,x,yes,2026-02-30\n"                                                    /* 9 */
    "6,\"after\"x,1,1,2026-01-01\n"                                                      /* 10 */
    "7,two\n"                                                                            /* 11 */
    "8,\"q\"\"\",3.25,0,2026-01-01T00:00:00.000001Z\r\n"                                 /* 12 */
    "9,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,1,1,2026-01-01\n" /* 13 */
    "10,ok\"mid,  2.5 , no ,2026-01-01\n"                                                /* 14 */
    "11,\"unterminated,1,1,2026-01-01\n12,x";                                            /* 15-16 */

static sl_csv_opts sample_opts(void) {
    return (sl_csv_opts){
        .header = true, .names = SAMPLE_NAMES, .types = SAMPLE_TYPES, .ncols = 4, .max_line = 64};
}

static char *sample_expected(void) {
    char *e = malloc(4096);
    snprintf(
        e, 4096,
        "{\"id\":1,\"name\":\"Smith, "
        "\\\"J\\\"\",\"score\":1.5,\"ok\":true,\"at\":\"2026-11-24T08:15:00Z\"} @%zu\n"
        "{\"id\":2,\"name\":\"multi\\nline\\r\\nvalue\",\"score\":-2.0,\"ok\":false,\"at\":\"2026-"
        "11-24T07:15:00.500000Z\"} @%zu\n"
        "{\"id\":3,\"name\":null,\"score\":null,\"ok\":null,\"at\":null} @%zu\n"
        "{\"id\":4,\"name\":\"\",\"score\":1000.0,\"ok\":true,\"at\":\"2026-01-01T00:00:00Z\"} "
        "@%zu\n"
        "{\"id\":8,\"name\":\"q\\\"\",\"score\":3.25,\"ok\":false,\"at\":\"2026-01-01T00:00:00."
        "000001Z\"} @%zu\n"
        "{\"id\":10,\"name\":\"ok\\\"mid\",\"score\":2.5,\"ok\":false,\"at\":\"2026-01-01T00:00:"
        "00Z\"} @%zu\n"
        "! line 9 @%zu: field 3 (\"score\"): \"x\" is not a float | 5,bad\"quote,x,yes,2026-02-30\n"
        "! line 10 @%zu: text after the closing quote of field 2 | 6,\"after\"x,1,1,2026-01-01\n"
        "! line 11 @%zu: expected 5 fields, got 2 | 7,two\n"
        "! line 13 @%zu: line longer than 64 bytes | %.64s\n"
        "! line 15 @%zu: unterminated quoted field at the end of the input | "
        "11,\"unterminated,1,1,2026-01-01\n12,x\n",
        after_nl(SAMPLE, 2), after_nl(SAMPLE, 5), after_nl(SAMPLE, 7), after_nl(SAMPLE, 8),
        after_nl(SAMPLE, 12), after_nl(SAMPLE, 14), after_nl(SAMPLE, 9), after_nl(SAMPLE, 10),
        after_nl(SAMPLE, 11), after_nl(SAMPLE, 13), SAMPLE + after_nl(SAMPLE, 12),
        sizeof SAMPLE - 1);
    return e;
}

TEST(csv_sample) {
    sl_csv_opts o = sample_opts();
    run r = parse(&o, SAMPLE);
    REQUIRE(r.ok);
    char *want = sample_expected();
    CHECK_STR(strdup(r.out), want);
    /* Header names, declared types by name, "name" a string column. */
    CHECK_STR(strdup(r.schema), "id:2,name:0,score:3,ok:4,at:5");
    free(want);
    run_free(&r);
}

TEST(csv_chunk_boundaries) {
    sl_csv_opts o = sample_opts();
    char *want = sample_expected();
    size_t len = sizeof SAMPLE - 1;
    int bad = 0;
    /* One cut at every byte position, and two cuts close together (splitting "", CRLF). */
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len && j <= i + 6; j++) {
            size_t cuts[2] = {i, j};
            run r = parse_cut(&o, SAMPLE, len, cuts, j == i ? 1 : 2);
            if (!r.ok || strcmp(r.out, want) != 0) {
                if (bad++ < 3) check_note("cuts at %zu, %zu:\n%s", i, j, r.out);
            }
            run_free(&r);
        }
    }
    CHECK_EQ(bad, 0);
    /* A byte at a time. */
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    run r = parse_cut(&o, SAMPLE, len, cuts, (int)len);
    CHECK(r.ok);
    CHECK_STR(strdup(r.out), want);
    run_free(&r);
    free(cuts);
    free(want);
}

/* ---- RFC 4180 ---------------------------------------------------------------------------- */

static const char *const AB[] = {"a", "b"};

TEST(csv_rfc4180_quotes) {
    sl_csv_opts o = {.names = AB, .ncols = 2};
    run r = parse(&o, "\"x,y\",\"he said \"\"hi\"\"\"\n"
                      "\"\"\"\",\"\"\"\"\"\"\n"
                      "\"a\nb\",\"c\r\nd\"\n"
                      "\",\",\"\n\"\n"
                      "plain \"quote\" inside,x\"\n");
    REQUIRE(r.ok);
    CHECK_STR(strdup(r.out), "{\"a\":\"x,y\",\"b\":\"he said \\\"hi\\\"\"} @23\n"
                             "{\"a\":\"\\\"\",\"b\":\"\\\"\\\"\"} @35\n"
                             "{\"a\":\"a\\nb\",\"b\":\"c\\r\\nd\"} @48\n"
                             "{\"a\":\",\",\"b\":\"\\n\"} @56\n"
                             "{\"a\":\"plain \\\"quote\\\" inside\",\"b\":\"x\\\"\"} @80\n");
    run_free(&r);
}

TEST(csv_line_breaks) {
    sl_csv_opts o = {.names = AB, .ncols = 2};
    /* LF, CRLF, a CR inside a field, blank lines (LF and CRLF), trailing delimiters, and a last
     * line without a line break. */
    run r = parse(&o, "1,2\r\n3,4\n\n\r\n5\r6,7\n8,\n,\n9,10");
    REQUIRE(r.ok);
    CHECK_STR(strdup(r.out), "{\"a\":\"1\",\"b\":\"2\"} @5\n"
                             "{\"a\":\"3\",\"b\":\"4\"} @9\n"
                             "{\"a\":\"5\\r6\",\"b\":\"7\"} @18\n"
                             "{\"a\":\"8\",\"b\":null} @21\n"
                             "{\"a\":null,\"b\":null} @23\n"
                             "{\"a\":\"9\",\"b\":\"10\"} @27\n");
    run_free(&r);
    /* A CR at the very end, and a quoted last field at the very end. */
    r = parse(&o, "1,2\r");
    CHECK_STR(strdup(r.out), "{\"a\":\"1\",\"b\":\"2\"} @4\n");
    run_free(&r);
    r = parse(&o, "1,\"2\"");
    CHECK_STR(strdup(r.out), "{\"a\":\"1\",\"b\":\"2\"} @5\n");
    run_free(&r);
    r = parse(&o, "1,\"2\"\r");
    CHECK_STR(strdup(r.out), "{\"a\":\"1\",\"b\":\"2\"} @6\n");
    run_free(&r);
    r = parse(&o, "");
    CHECK(r.ok);
    CHECK_STR(strdup(r.out), "");
    run_free(&r);
}

TEST(csv_empty_fields) {
    /* Empty unquoted fields are null; "" is the empty string in a string column and null in a
     * typed one; spaces around typed values are ignored, and a blank typed value is null. */
    const char *names[] = {"s", "i", "t"};
    sl_ftype types[] = {SL_F_STRING, SL_F_INT, SL_F_TIME};
    sl_csv_opts o = {.names = names, .types = types, .ncols = 3};
    run r = parse(&o, ",,\n\"\",\"\",\"\"\n\" \", 7 ,  \n");
    REQUIRE(r.ok);
    CHECK_STR(strdup(r.out), "{\"s\":null,\"i\":null,\"t\":null} @3\n"
                             "{\"s\":\"\",\"i\":null,\"t\":null} @12\n"
                             "{\"s\":\" \",\"i\":7,\"t\":null} @23\n");
    run_free(&r);
}

TEST(csv_delimiter) {
    sl_csv_opts o = {.names = AB, .ncols = 2, .delim = ';'};
    run r = parse(&o, "1,5;\"x;y\"\n");
    CHECK_STR(strdup(r.out), "{\"a\":\"1,5\",\"b\":\"x;y\"} @10\n");
    run_free(&r);
    o.delim = '\t';
    r = parse(&o, "a b\tc,d\n");
    CHECK_STR(strdup(r.out), "{\"a\":\"a b\",\"b\":\"c,d\"} @8\n");
    run_free(&r);
}

/* ---- Headers and declared columns -------------------------------------------------------- */

TEST(csv_header) {
    sl_csv_opts o = {.header = true};
    run r = parse(&o, "\n\"first name\",\"a\"\"b\",c\nx,y,z\n");
    REQUIRE(r.ok);
    CHECK_STR(strdup(r.schema), "first name:0,a\"b:0,c:0");
    CHECK_STR(strdup(r.out), "{\"first name\":\"x\",\"a\\\"b\":\"y\",\"c\":\"z\"} @29\n");
    run_free(&r);

    /* Only a header: a schema, no records. */
    r = parse(&o, "a,b");
    CHECK(r.ok);
    CHECK_STR(strdup(r.schema), "a:0,b:0");
    CHECK_STR(strdup(r.out), "");
    run_free(&r);

    /* Bad headers stop the parser. */
    r = parse(&o, "a,,c\n1,2,3\n");
    CHECK(!r.ok);
    CHECK_STR(strdup(r.err), "csv: header (line 1): column 2 has no name");
    run_free(&r);
    r = parse(&o, "a,b,a\n");
    CHECK(!r.ok);
    CHECK_STR(strdup(r.err), "csv: header (line 1): column \"a\" appears twice");
    run_free(&r);
    const char *names[] = {"b", "zz"};
    sl_ftype types[] = {SL_F_INT, SL_F_INT};
    o = (sl_csv_opts){.header = true, .names = names, .types = types, .ncols = 2};
    r = parse(&o, "a,b\n1,2\n");
    CHECK(!r.ok);
    CHECK_STR(strdup(r.err), "csv: declared column \"zz\" is not in the header");
    run_free(&r);
    o = (sl_csv_opts){.header = true, .max_line = 4};
    r = parse(&o, "abc,d\n");
    CHECK(!r.ok);
    CHECK_STR(strdup(r.err), "csv: the header is longer than 4 bytes");
    run_free(&r);
    o = (sl_csv_opts){.header = true, .names = names, .types = types, .ncols = 2};
    /* Declared types apply by name, whatever the header's order. */
    o.ncols = 1;
    r = parse(&o, "b,a\n1,2\n");
    CHECK(r.ok);
    CHECK_STR(strdup(r.schema), "b:2,a:0");
    CHECK_STR(strdup(r.out), "{\"b\":1,\"a\":\"2\"} @8\n");
    run_free(&r);
}

TEST(csv_declared_columns) {
    const char *names[] = {"i", "f", "b", "t", "s"};
    sl_ftype types[] = {SL_F_INT, SL_F_FLOAT, SL_F_BOOL, SL_F_TIME, SL_F_STRING};
    sl_csv_opts o = {.names = names, .types = types, .ncols = 5};
    run r = parse(&o, "-9223372036854775808,-0.5e-3,FALSE,2026-11-24T08:15:00+01:00,é\n"
                      "+42,inf,Yes,2026-11-24,\"1\"\n"
                      "0,NaN,f,2026-11-24 08:15,x\n");
    REQUIRE(r.ok);
    CHECK_STR(strdup(r.out),
              "{\"i\":-9223372036854775808,\"f\":-0.0005,\"b\":false,"
              "\"t\":\"2026-11-24T07:15:00Z\",\"s\":\"é\"} @64\n"
              "{\"i\":42,\"f\":null,\"b\":true,\"t\":\"2026-11-24T00:00:00Z\",\"s\":\"1\"} @91\n"
              "{\"i\":0,\"f\":null,\"b\":false,\"t\":\"2026-11-24T08:15:00Z\",\"s\":\"x\"} @118\n");
    run_free(&r);
    /* Without a header the first line is data. */
    o = (sl_csv_opts){.names = AB, .ncols = 2};
    r = parse(&o, "a,b\n");
    CHECK_STR(strdup(r.out), "{\"a\":\"a\",\"b\":\"b\"} @4\n");
    run_free(&r);
}

TEST(csv_bad_values) {
    const char *names[] = {"i", "f", "b", "t"};
    sl_ftype types[] = {SL_F_INT, SL_F_FLOAT, SL_F_BOOL, SL_F_TIME};
    sl_csv_opts o = {.names = names, .types = types, .ncols = 4};
    run r = parse(&o, "9223372036854775808,1,1,2026-01-01\n"
                      "1,1.5.2,1,2026-01-01\n"
                      "1,1,maybe,2026-01-01\n"
                      "1,1,1,2026-02-30\n"
                      "1,1,1,2026-01-01,extra\n"
                      "0x10,1,1,2026-01-01\n"
                      "1,1e,1,2026-01-01\n"
                      "1,1,1,2026-01-01\n");
    REQUIRE(r.ok);
    CHECK_STR(
        strdup(r.out),
        "{\"i\":1,\"f\":1.0,\"b\":true,\"t\":\"2026-01-01T00:00:00Z\"} @172\n"
        "! line 1 @35: field 1 (\"i\"): \"9223372036854775808\" is not an int | "
        "9223372036854775808,1,1,2026-01-01\n"
        "! line 2 @56: field 2 (\"f\"): \"1.5.2\" is not a float | 1,1.5.2,1,2026-01-01\n"
        "! line 3 @77: field 3 (\"b\"): \"maybe\" is not a bool | 1,1,maybe,2026-01-01\n"
        "! line 4 @94: field 4 (\"t\"): \"2026-02-30\" is not a timestamp | 1,1,1,2026-02-30\n"
        "! line 5 @117: expected 4 fields, got 5 | 1,1,1,2026-01-01,extra\n"
        "! line 6 @137: field 1 (\"i\"): \"0x10\" is not an int | 0x10,1,1,2026-01-01\n"
        "! line 7 @155: field 2 (\"f\"): \"1e\" is not a float | 1,1e,1,2026-01-01\n");
    run_free(&r);
}

TEST(csv_bad_lines_keep_line_numbers) {
    /* Records spanning lines count every line; bad lines leave nothing in the batch (no string
     * bytes either) and parsing goes on. */
    const char *names[] = {"s", "i"};
    sl_ftype types[] = {SL_F_STRING, SL_F_INT};
    sl_csv_opts o = {.names = names, .types = types, .ncols = 2};
    run r = parse(&o, "\"a\nb\nc\",x\n\"ok\",1\n\"d\ne\",y\n\"ok2\",2\n");
    REQUIRE(r.ok);
    CHECK_STR(strdup(r.out), "{\"s\":\"ok\",\"i\":1} @17\n"
                             "{\"s\":\"ok2\",\"i\":2} @33\n"
                             "! line 1 @10: field 2 (\"i\"): \"x\" is not an int | \"a\nb\nc\",x\n"
                             "! line 5 @25: field 2 (\"i\"): \"y\" is not an int | \"d\ne\",y\n");
    run_free(&r);
}

TEST(csv_max_line) {
    sl_csv_opts o = {.names = AB, .ncols = 2, .max_line = 8};
    char *want = "{\"a\":\"1234567\",\"b\":null} @9\n"
                 "{\"a\":\"1234567\",\"b\":null} @19\n"
                 "{\"a\":\"ok\",\"b\":null} @44\n"
                 "! line 3 @29: line longer than 8 bytes | 12345678\n"
                 "! line 4 @40: line longer than 8 bytes | 12345678\n";
    /* Exactly 8 bytes (LF, then CRLF), 9 bytes, 9 with CRLF, then a good line. */
    const char text[] = "1234567,\n1234567,\r\n123456789\n12345678,\r\nok,\n";
    run r = parse(&o, text);
    CHECK_STR(strdup(r.out), want);
    run_free(&r);
    /* The same when the long lines are carried across chunks. */
    size_t len = sizeof text - 1;
    int bad = 0;
    for (size_t i = 0; i <= len; i++) {
        size_t cuts[] = {i};
        r = parse_cut(&o, text, len, cuts, 1);
        bad += strcmp(r.out, want) != 0;
        run_free(&r);
    }
    CHECK_EQ(bad, 0);
    /* A quoted field holding many line breaks, far beyond the limit, fed in small chunks: the
     * line numbers still count them. */
    char big[4096];
    size_t n = 0;
    n += (size_t)sprintf(big + n, "\"");
    for (int i = 0; i < 500; i++)
        n += (size_t)sprintf(big + n, "x\n");
    n += (size_t)sprintf(big + n, "\",1\nok,2\n");
    size_t cuts[100];
    for (int i = 0; i < 100; i++)
        cuts[i] = (size_t)(i + 1) * 10;
    r = parse_cut(&o, big, n, cuts, 100);
    CHECK(strstr(r.out, "{\"a\":\"ok\",\"b\":\"2\"}") != NULL);
    CHECK(strstr(r.out, "! line 1 @") != NULL);
    CHECK_EQ(r.c.nbad, 1);
    CHECK_EQ(r.c.bad[0].len, 8);
    run_free(&r);
    r = parse(&o, big);
    CHECK(strstr(r.out, "{\"a\":\"ok\",\"b\":\"2\"} @1010\n") != NULL);
    run_free(&r);
}

TEST(csv_unterminated_quote) {
    sl_csv_opts o = {.names = AB, .ncols = 2};
    run r = parse(&o, "1,2\n\"open,3\nmore\n");
    CHECK(r.ok);
    CHECK_STR(strdup(r.out), "{\"a\":\"1\",\"b\":\"2\"} @4\n"
                             "! line 2 @17: unterminated quoted field at the end of the input | "
                             "\"open,3\nmore\n\n");
    run_free(&r);
}

/* ---- Batches ----------------------------------------------------------------------------- */

TEST(csv_batches) {
    collector c = {0};
    sl_csv_opts o = {.names = AB,
                     .ncols = 2,
                     .batch_max = 3,
                     .batch_cap = 2,
                     .on_batch = collect_batch,
                     .ctx = &c};
    char err[256];
    sl_parser *p = csv_new(&o, err, sizeof err);
    REQUIRE(p != NULL);
    sl_batch *b = NULL;
    CHECK(sl_parser_bytes(p, "1,a\n2,b\n3,c\n4,d\n5,", 18, &b));
    CHECK_EQ(c.nbatches, 1);
    CHECK_EQ(c.batches[0]->n, 3);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 1);
    CHECK(b->schema == sl_parser_schema(p));
    /* The caller may hand the batch on by itself. */
    c.batches[c.nbatches++] = b;
    b = NULL;
    CHECK(sl_parser_bytes(p, "e\n", 2, &b));
    CHECK(sl_parser_finish(p, &b));
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 1);
    CHECK_EQ(b->pos[0], 20);
    CHECK_STR(row_json(b, 0), "{\"a\":\"5\",\"b\":\"e\"}");
    sl_batch_free(b);
    collector_free(&c);
    sl_parser_free(p);

    /* A caller's batch of an equal schema is used; one of another schema is an error. */
    p = csv_new(&(sl_csv_opts){.names = AB, .ncols = 2}, err, sizeof err);
    sl_schema *same = sl_schema_new(AB, NULL, 2);
    b = sl_batch_new(same, 0);
    CHECK(sl_parser_bytes(p, "1,2\n", 4, &b));
    CHECK(b->schema == same && b->n == 1);
    sl_batch_free(b);
    const char *other[] = {"x"};
    sl_schema *s2 = sl_schema_new(other, NULL, 1);
    b = sl_batch_new(s2, 0);
    sl_value *row = sl_batch_add(b, 0);
    (void)row;
    CHECK(!sl_parser_bytes(p, "1,2\n", 4, &b));
    CHECK_STR(strdup(sl_parser_error(p)), "csv: the batch has another schema");
    CHECK(!sl_parser_bytes(p, "1,2\n", 4, &b)); /* stays failed */
    sl_batch_free(b);
    sl_schema_unref(s2);
    sl_schema_unref(same);
    sl_parser_free(p);
}

TEST(csv_seek_resume) {
    /* A file source resuming at a record's pos: feed the header line, seek, feed the rest. */
    const char text[] = "a,b\n1,2\n3,4\n5,6\n";
    char err[256];
    sl_parser *p = csv_new(&(sl_csv_opts){.header = true}, err, sizeof err);
    sl_batch *b = NULL;
    CHECK(sl_parser_bytes(p, text, 4, &b));
    CHECK(b == NULL);
    CHECK(sl_parser_seek(p, 8, 3));
    CHECK(sl_parser_bytes(p, text + 8, sizeof text - 1 - 8, &b));
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 2);
    CHECK_EQ(b->pos[0], 12);
    CHECK_EQ(b->pos[1], 16);
    /* Not in the middle of a record. */
    CHECK(sl_parser_bytes(p, "7,", 2, &b));
    CHECK(!sl_parser_seek(p, 0, 0));
    sl_batch_free(b);
    sl_parser_free(p);
}

TEST(csv_options) {
    char err[256];
    CHECK(csv_new(&(sl_csv_opts){.header = true, .delim = '"'}, err, sizeof err) == NULL);
    CHECK_STR(strdup(err), "csv: the delimiter cannot be a quote or a line break");
    CHECK(csv_new(&(sl_csv_opts){0}, err, sizeof err) == NULL);
    CHECK_STR(strdup(err), "csv: no header and no declared columns");
    const char *dup[] = {"a", "a"};
    CHECK(csv_new(&(sl_csv_opts){.names = dup, .ncols = 2}, err, sizeof err) == NULL);
    CHECK_STR(strdup(err), "csv: column \"a\" is declared twice");
    const char *empty[] = {""};
    CHECK(csv_new(&(sl_csv_opts){.names = empty, .ncols = 1}, err, sizeof err) == NULL);
    sl_parser_free(NULL);
}

TEST(csv_many_fields) {
    /* More fields than the parser's initial field array, in a header and in records. */
    char line[4096];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(line + n, "%sc%d", i ? "," : "", i);
    line[n++] = '\n';
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(line + n, "%s%d", i ? "," : "", i);
    line[n++] = '\n';
    line[n] = '\0';
    sl_csv_opts o = {.header = true};
    run r = parse(&o, line);
    CHECK(r.ok);
    CHECK(strstr(r.out, "\"c299\":\"299\"} @") != NULL);
    run_free(&r);
}
