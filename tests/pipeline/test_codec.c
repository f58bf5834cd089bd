/*
 * test_codec.c - batches to JSON and back (src/pipeline/json_*.c, num_*.c): the three shapes,
 * floats, strings, decoding objects, arrays and columns, errors, and round trips (checked
 * against jansson too).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"

/* ---- Helpers ----------------------------------------------------------------------------- */

static char *encode(const sl_batch *b, sl_json_shape shape) {
    sl_buf t = {0};
    if (!sl_json_encode(b, shape, &t)) abort();
    char *s = malloc(t.len + 1);
    if (t.len) memcpy(s, t.data, t.len);
    s[t.len] = '\0';
    sl_buf_free(&t);
    return s;
}

static sl_batch *decode(const char *json, const sl_schema *hint, char *err) {
    sl_error e;
    sl_batch *b = sl_json_decode(json, strlen(json), hint, 77, &e);
    if (!b) snprintf(err, 256, "%s", e.message);
    return b;
}

/* The decoding error for json, or "ok". */
static char *decode_err(const char *json) {
    char err[256];
    sl_batch *b = decode(json, NULL, err);
    sl_batch_free(b);
    return strdup(b ? "ok" : err);
}

static char *fmt_float(double d) {
    char *buf = malloc(32);
    size_t n = sl_format_float(d, buf);
    if (n > 25 || buf[n] != '\0') abort();
    return buf;
}

static uint64_t rng = 0x2545f4914f6cdd1du;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static const char *const ALL_NAMES[] = {"s", "i", "f", "b", "t", "n"};

/* A batch with every type, awkward strings and extreme numbers. */
static sl_batch *sample_batch(void) {
    sl_schema *s = sl_schema_new(ALL_NAMES, NULL, 6);
    sl_batch *b = sl_batch_new(s, 0);
    sl_schema_unref(s);
    sl_value *r = sl_batch_add(b, 1);
    const char *awkward = "a\"b\\c\n\x01\x1f\t\r\b\f/é€😀";
    sl_batch_set_str(b, &r[0], awkward, strlen(awkward));
    r[1] = (sl_value){.type = SL_F_INT, .v.i = -5};
    r[2] = (sl_value){.type = SL_F_FLOAT, .v.f = 0.1};
    r[3] = (sl_value){.type = SL_F_BOOL, .v.b = true};
    r[4] = (sl_value){.type = SL_F_TIME, .v.i = INT64_C(1795508100000000)};
    r = sl_batch_add(b, 2);
    sl_batch_set_str(b, &r[0], "\xff\xc3(\xed\xa0\x80x", 7); /* not UTF-8 */
    r[1] = (sl_value){.type = SL_F_INT, .v.i = INT64_MIN};
    r[2] = (sl_value){.type = SL_F_FLOAT, .v.f = NAN};
    r[3] = (sl_value){.type = SL_F_BOOL, .v.b = false};
    r[4] = (sl_value){.type = SL_F_TIME, .v.i = -1};
    r = sl_batch_add(b, 3);
    sl_batch_set_str(b, &r[0], "", 0);
    r[1] = (sl_value){.type = SL_F_INT, .v.i = INT64_MAX};
    r[2] = (sl_value){.type = SL_F_FLOAT, .v.f = -INFINITY};
    r[5] = (sl_value){.type = SL_F_FLOAT, .v.f = 1e300};
    return b;
}

#define ROW0                                                                                       \
    "{\"s\":\"a\\\"b\\\\c\\n\\u0001\\u001f\\t\\r\\b\\f/é€😀\",\"i\":-5,\"f\":0.1,\"b\":true," \
    "\"t\":\"2026-11-24T08:15:00Z\",\"n\":null}"
#define ROW1                                                                                       \
    "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\",\"i\":-"            \
    "9223372036854775808,\"f\":null,\"b\":false,\"t\":\"1969-12-31T23:59:59.999999Z\",\"n\":null}"
#define ROW2 "{\"s\":\"\",\"i\":9223372036854775807,\"f\":null,\"b\":null,\"t\":null,\"n\":1e+300}"

/* ---- Encoding ---------------------------------------------------------------------------- */

TEST(codec_encode_shapes) {
    sl_batch *b = sample_batch();
    CHECK_STR(encode(b, SL_JSON_LINES), ROW0 "\n" ROW1 "\n" ROW2 "\n");
    CHECK_STR(encode(b, SL_JSON_ARRAY), "[" ROW0 "," ROW1 "," ROW2 "]");
    CHECK_STR(row_json(b, 1), ROW1);
    CHECK_STR(encode(b, SL_JSON_COLUMNS),
              "{\"s\":[\"a\\\"b\\\\c\\n\\u0001\\u001f\\t\\r\\b\\f/é€😀\",\"\xef\xbf\xbd\xef\xbf\xbd("
              "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx\",\"\"],"
              "\"i\":[-5,-9223372036854775808,9223372036854775807],"
              "\"f\":[0.1,null,null],\"b\":[true,false,null],"
              "\"t\":[\"2026-11-24T08:15:00Z\",\"1969-12-31T23:59:59.999999Z\",null],"
              "\"n\":[null,null,1e+300]}");
    /* Every shape is valid JSON (jansson, which checks UTF-8, agrees). */
    for (int shape = SL_JSON_ARRAY; shape <= SL_JSON_COLUMNS; shape++) {
        char *s = encode(b, (sl_json_shape)shape);
        json_error_t jerr;
        json_t *j = json_loads(s, 0, &jerr);
        if (!CHECK(j != NULL)) check_note("jansson: %s", jerr.text);
        json_decref(j);
        free(s);
    }
    /* Appending: the text grows, nothing is overwritten. */
    sl_buf t = {0};
    CHECK(sl_json_encode_record(b, 2, &t) && sl_json_encode_record(b, 2, &t));
    CHECK_EQ(t.len, 2 * strlen(ROW2));
    sl_buf_free(&t);
    sl_batch_clear(b);
    CHECK_STR(encode(b, SL_JSON_LINES), "");
    CHECK_STR(encode(b, SL_JSON_ARRAY), "[]");
    CHECK_STR(encode(b, SL_JSON_COLUMNS),
              "{\"s\":[],\"i\":[],\"f\":[],\"b\":[],\"t\":[],\"n\":[]}");
    sl_batch_free(b);

    /* Keys are escaped too; a schema without fields makes empty objects. */
    const char *odd[] = {"a\"b", "\n"};
    sl_schema *s = sl_schema_new(odd, NULL, 2);
    b = sl_batch_new(s, 1);
    sl_schema_unref(s);
    sl_batch_add(b, 0);
    CHECK_STR(row_json(b, 0), "{\"a\\\"b\":null,\"\\n\":null}");
    sl_batch_free(b);
    s = sl_schema_new(NULL, NULL, 0);
    b = sl_batch_new(s, 1);
    sl_schema_unref(s);
    sl_batch_add(b, 0);
    CHECK_STR(encode(b, SL_JSON_ARRAY), "[{}]");
    CHECK_STR(encode(b, SL_JSON_COLUMNS), "{}");
    sl_batch_free(b);
}

TEST(codec_long_strings) {
    /* Strings far longer than the buffer's first allocation, with escapes spread through. */
    size_t n = 100000;
    char *s = malloc(n);
    for (size_t i = 0; i < n; i++)
        s[i] = i % 97 == 0 ? '"' : i % 89 == 0 ? '\n' : (char)('a' + i % 26);
    const char *names[] = {"x"};
    sl_schema *sc = sl_schema_new(names, NULL, 1);
    sl_batch *b = sl_batch_new(sc, 0);
    sl_schema_unref(sc);
    for (int k = 0; k < 3; k++)
        sl_batch_set_str(b, sl_batch_add(b, 0), s, n);
    char *text = encode(b, SL_JSON_ARRAY);
    char err[256];
    sl_batch *d = decode(text, NULL, err);
    REQUIRE(d != NULL);
    CHECK_EQ(d->n, 3);
    sl_value *v = sl_batch_row(d, 2);
    CHECK(v->len == n && memcmp(sl_batch_str(d, v), s, n) == 0);
    sl_batch_free(d);
    sl_batch_free(b);
    free(text);
    free(s);
}

/* ---- Floats ------------------------------------------------------------------------------ */

TEST(codec_float_format) {
    CHECK_STR(fmt_float(0.1), "0.1");
    CHECK_STR(fmt_float(1.0), "1.0");
    CHECK_STR(fmt_float(0.0), "0.0");
    CHECK_STR(fmt_float(-0.0), "-0.0");
    CHECK_STR(fmt_float(100), "100.0");
    CHECK_STR(fmt_float(-2.5), "-2.5");
    CHECK_STR(fmt_float(123456.789), "123456.789");
    CHECK_STR(fmt_float(1.0 / 3), "0.3333333333333333");
    CHECK_STR(fmt_float(2.0 / 3), "0.6666666666666666");
    CHECK_STR(fmt_float(1e20), "100000000000000000000.0");
    CHECK_STR(fmt_float(1e21), "1e+21");
    CHECK_STR(fmt_float(1.5e300), "1.5e+300");
    CHECK_STR(fmt_float(0.000001), "0.000001");
    CHECK_STR(fmt_float(1.2e-6), "0.0000012");
    CHECK_STR(fmt_float(1e-7), "1e-7");
    CHECK_STR(fmt_float(5e-324), "5e-324");
    CHECK_STR(fmt_float(2.2250738585072014e-308), "2.2250738585072014e-308");
    CHECK_STR(fmt_float(DBL_MAX), "1.7976931348623157e+308");
    CHECK_STR(fmt_float(-DBL_MAX), "-1.7976931348623157e+308");
    CHECK_STR(fmt_float(9007199254740993.0), "9007199254740992.0");
    CHECK_STR(fmt_float(0.30000000000000004), "0.30000000000000004");
    CHECK_STR(fmt_float(1.7976931348623157e308 / 3), "5.992310449541053e+307");
    CHECK_STR(fmt_float(NAN), "NaN");
    CHECK_STR(fmt_float(-INFINITY), "-Infinity");
    CHECK_STR(fmt_float(INFINITY), "Infinity");
    /* NUL-terminated, at most 25 bytes. */
    char buf[32];
    memset(buf, 'x', sizeof buf);
    CHECK(sl_format_float(-1.2345678901234567e-7, buf) == strlen(buf) && strlen(buf) <= 25);
}

TEST(codec_float_round_trip) {
    /* Random doubles of every magnitude read back exactly, and are (nearly always) as short
     * as the shortest %.Ng that reads back. */
    int bad = 0, longer = 0;
    char buf[40], g[40];
    for (int i = 0; i < 300000; i++) {
        uint64_t u = next();
        double d;
        if (i % 3 == 0) {
            memcpy(&d, &u, sizeof d); /* any bit pattern */
            if (!isfinite(d)) continue;
        } else if (i % 3 == 1) {
            d = (double)(int64_t)(u % 2000001) / 1000 - 1000; /* "sensor" values: -1000..1000 */
        } else {
            d = (double)(u >> 11) * 0x1p-53 * pow(10, (double)(int)(u % 40) - 20);
        }
        size_t n = sl_format_float(d, buf);
        buf[n] = '\0';
        double back = strtod(buf, NULL);
        if (memcmp(&back, &d, sizeof d) != 0 || (!strchr(buf, '.') && !strchr(buf, 'e'))) {
            if (bad++ < 5) check_note("%.17g -> %s", d, buf);
            continue;
        }
        if (i % 10 == 0) {
            int p = 1;
            for (; p < 17; p++) {
                snprintf(g, sizeof g, "%.*g", p, d);
                if (strtod(g, NULL) == d) break;
            }
            /* count significant digits in buf */
            int digits = 0, lead = 1;
            for (const char *c = buf; *c && *c != 'e'; c++) {
                if (*c >= '1' && *c <= '9') lead = 0;
                if (*c >= '0' && *c <= '9' && !lead) digits++;
            }
            /* trailing zeros of integers ("100.0") are not digits Grisu chose */
            const char *dot = strchr(buf, '.');
            if (dot && !strchr(buf, 'e') && strcmp(dot, ".0") == 0) {
                digits--;
                for (const char *c = dot - 1; c >= buf && *c == '0'; c--)
                    digits--;
            }
            longer += digits > p;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(longer, 0);
}

/* ---- Values ------------------------------------------------------------------------------ */

TEST(codec_parse_values) {
    int64_t i;
    CHECK(sl_parse_int("0", 1, &i) && i == 0);
    CHECK(sl_parse_int("+17", 3, &i) && i == 17);
    CHECK(sl_parse_int("-9223372036854775808", 20, &i) && i == INT64_MIN);
    CHECK(sl_parse_int("9223372036854775807", 19, &i) && i == INT64_MAX);
    CHECK(!sl_parse_int("9223372036854775808", 19, &i));
    CHECK(!sl_parse_int("-9223372036854775809", 20, &i));
    CHECK(!sl_parse_int("99999999999999999999999", 23, &i));
    CHECK(!sl_parse_int("", 0, &i));
    CHECK(!sl_parse_int("-", 1, &i));
    CHECK(!sl_parse_int("1.0", 3, &i));
    CHECK(!sl_parse_int(" 1", 2, &i));
    double d;
    CHECK(sl_parse_float("1.5", 3, &d) && d == 1.5);
    CHECK(sl_parse_float("-.5", 3, &d) && d == -0.5);
    CHECK(sl_parse_float("5.", 2, &d) && d == 5);
    CHECK(sl_parse_float("+1E+2", 5, &d) && d == 100);
    CHECK(sl_parse_float("1e-400", 6, &d) && d == 0);
    CHECK(sl_parse_float("1e400", 5, &d) && isinf(d));
    CHECK(sl_parse_float("0.1000000000000000055511151231257827", 36, &d) && d == 0.1);
    CHECK(sl_parse_float("123456789012345678901234567890", 30, &d) && d == 1.2345678901234568e29);
    CHECK(sl_parse_float("-Infinity", 9, &d) && isinf(d) && d < 0);
    CHECK(sl_parse_float("nan", 3, &d) && isnan(d));
    CHECK(!sl_parse_float(".", 1, &d));
    CHECK(!sl_parse_float("e5", 2, &d));
    CHECK(!sl_parse_float("1e", 2, &d));
    CHECK(!sl_parse_float("0x10", 4, &d));
    CHECK(!sl_parse_float("1,5", 3, &d));
    CHECK(!sl_parse_float("infinit", 7, &d));
    bool b;
    CHECK(sl_parse_bool("TRUE", 4, &b) && b);
    CHECK(sl_parse_bool("No", 2, &b) && !b);
    CHECK(sl_parse_bool("1", 1, &b) && b);
    CHECK(sl_parse_bool("f", 1, &b) && !b);
    CHECK(!sl_parse_bool("tru", 3, &b));
    CHECK(!sl_parse_bool("", 0, &b));
    CHECK(!sl_parse_bool("2", 1, &b));
    /* Decimal text to double agrees with strtod (the fast path and the slow one). */
    int bad = 0;
    char buf[40];
    for (int k = 0; k < 100000; k++) {
        uint64_t u = next();
        int n = k % 2 ? snprintf(buf, sizeof buf, "%.*g", (int)(u % 17) + 1,
                                 (double)(u >> 12) * pow(10, (double)(int)(u % 50) - 30))
                      : snprintf(buf, sizeof buf, "%lld.%03u", (long long)(u % 100000) - 50000,
                                 (unsigned)(u >> 40) % 1000);
        bad += !sl_parse_float(buf, (size_t)n, &d) || d != strtod(buf, NULL);
    }
    CHECK_EQ(bad, 0);
}

/* ---- Decoding ---------------------------------------------------------------------------- */

TEST(codec_decode_object) {
    char err[256];
    sl_batch *b = decode(" {\"a\":1,\"b\":\"x\",\"c\":1.5,\"d\":true,\"e\":null,"
                         "\"f\":[1, {\"x\":2}],\"g\":{\"k\":\"v\"},\"h\":-0,\"i\":1E2} \n",
                         NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 1);
    CHECK_EQ(b->pos[0], 77);
    CHECK_STR(batch_lines(b), "{\"a\":1,\"b\":\"x\",\"c\":1.5,\"d\":true,\"e\":null,"
                              "\"f\":\"[1, {\\\"x\\\":2}]\",\"g\":\"{\\\"k\\\":\\\"v\\\"}\","
                              "\"h\":0,\"i\":100.0}\n");
    sl_value *r = sl_batch_row(b, 0);
    CHECK_EQ(r[0].type, SL_F_INT);
    CHECK_EQ(r[2].type, SL_F_FLOAT);
    CHECK_EQ(r[8].type, SL_F_FLOAT);
    sl_batch_free(b);

    b = decode("{\"big\":9223372036854775807,\"bigger\":9223372036854775808,"
               "\"neg\":-9223372036854775808,\"f\":0.1e1}",
               NULL, err);
    REQUIRE(b != NULL);
    CHECK_STR(batch_lines(b), "{\"big\":9223372036854775807,\"bigger\":9223372036854776000.0,"
                              "\"neg\":-9223372036854775808,\"f\":1.0}\n");
    sl_batch_free(b);

    /* Escapes, surrogate pairs; a repeated key: the last one counts. */
    b = decode("{\"s\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\u0000x\",\"s\":\"\\u00E9\\t\"}", NULL,
               err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->schema->nfields, 1);
    CHECK_STR(batch_lines(b), "{\"s\":\"é\\t\"}\n");
    sl_batch_free(b);
    b = decode("{\"s\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\u0000x\"}", NULL, err);
    REQUIRE(b != NULL);
    CHECK_STR(batch_lines(b), "{\"s\":\"é😀\\n\\\"\\\\/\\u0000x\"}\n");
    sl_batch_free(b);

    /* {} is one record without fields. */
    b = decode("{}", NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 1);
    CHECK_EQ(b->schema->nfields, 0);
    sl_batch_free(b);
}

TEST(codec_decode_array) {
    char err[256];
    /* The schema is the union of the keys in order of first appearance. */
    sl_batch *b = decode("[{\"a\":1},{\"b\":2,\"a\":3},{\"c\":\"x\"},{}]", NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 4);
    CHECK_STR(batch_lines(b), "{\"a\":1,\"b\":null,\"c\":null}\n"
                              "{\"a\":3,\"b\":2,\"c\":null}\n"
                              "{\"a\":null,\"b\":null,\"c\":\"x\"}\n"
                              "{\"a\":null,\"b\":null,\"c\":null}\n");
    for (uint32_t i = 0; i < b->n; i++)
        CHECK_EQ(b->pos[i], 77);
    sl_batch_free(b);
    b = decode(" [ ] ", NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 0);
    sl_batch_free(b);
    /* Many records with many keys. */
    char *big = malloc(1 << 20);
    size_t n = 0;
    big[n++] = '[';
    for (int i = 0; i < 5000; i++)
        n += (size_t)sprintf(big + n, "%s{\"k%d\":%d,\"x\":\"v%d\"}", i ? "," : "", i % 50, i, i);
    big[n++] = ']';
    big[n] = '\0';
    b = decode(big, NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 5000);
    CHECK_EQ(b->schema->nfields, 51);
    CHECK_STR(row_json(b, 4999), "{\"k0\":null,\"x\":\"v4999\",\"k1\":null,\"k2\":null,\"k3\":null,"
                                 "\"k4\":null,\"k5\":null,\"k6\":null,\"k7\":null,\"k8\":null,"
                                 "\"k9\":null,\"k10\":null,\"k11\":null,\"k12\":null,\"k13\":null,"
                                 "\"k14\":null,\"k15\":null,\"k16\":null,\"k17\":null,\"k18\":null,"
                                 "\"k19\":null,\"k20\":null,\"k21\":null,\"k22\":null,\"k23\":null,"
                                 "\"k24\":null,\"k25\":null,\"k26\":null,\"k27\":null,\"k28\":null,"
                                 "\"k29\":null,\"k30\":null,\"k31\":null,\"k32\":null,\"k33\":null,"
                                 "\"k34\":null,\"k35\":null,\"k36\":null,\"k37\":null,\"k38\":null,"
                                 "\"k39\":null,\"k40\":null,\"k41\":null,\"k42\":null,\"k43\":null,"
                                 "\"k44\":null,\"k45\":null,\"k46\":null,\"k47\":null,\"k48\":null,"
                                 "\"k49\":4999}");
    sl_batch_free(b);
    free(big);
}

TEST(codec_decode_columns) {
    char err[256];
    const char *json =
        "{\"air_quality\":[1.5,2,null],"
        "\"timestamp\":[\"2026-11-24T08:15:00Z\",\"2026-11-24T08:16:00+01:00\",\"x\"]}";
    /* Without a hint, ISO strings stay strings. */
    sl_batch *b = decode(json, NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 3);
    CHECK_EQ(sl_batch_row(b, 0)[1].type, SL_F_STRING);
    CHECK_EQ(sl_batch_row(b, 1)[0].type, SL_F_INT);
    sl_batch_free(b);
    /* With one, declared timestamps parse (a string that is not one stays a string), and ints
     * in float fields become floats. */
    const char *names[] = {"timestamp", "air_quality", "other"};
    sl_ftype types[] = {SL_F_TIME, SL_F_FLOAT, SL_F_INT};
    sl_schema *hint = sl_schema_new(names, types, 3);
    b = decode(json, hint, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->schema->nfields, 2);
    CHECK_STR(strdup(b->schema->names[0]), "air_quality");
    CHECK_EQ(b->schema->types[0], SL_F_FLOAT);
    CHECK_EQ(b->schema->types[1], SL_F_TIME);
    sl_value *r = sl_batch_row(b, 1);
    CHECK(r[0].type == SL_F_FLOAT && r[0].v.f == 2.0);
    CHECK(r[1].type == SL_F_TIME && r[1].v.i == INT64_C(1795504560000000));
    CHECK_EQ(sl_batch_row(b, 2)[1].type, SL_F_STRING);
    CHECK_STR(encode(b, SL_JSON_COLUMNS),
              "{\"air_quality\":[1.5,2.0,null],"
              "\"timestamp\":[\"2026-11-24T08:15:00Z\",\"2026-11-24T07:16:00Z\",\"x\"]}");
    sl_batch_free(b);
    sl_schema_unref(hint);

    b = decode("{\"a\":[],\"b\":[]}", NULL, err);
    REQUIRE(b != NULL);
    CHECK_EQ(b->n, 0);
    CHECK_EQ(b->schema->nfields, 2);
    sl_batch_free(b);
    /* Nested values inside columns are kept as text; an object with a non-array member is
     * one record. */
    b = decode("{\"a\":[[1,2],{\"x\":[]}]}", NULL, err);
    REQUIRE(b != NULL);
    CHECK_STR(batch_lines(b), "{\"a\":\"[1,2]\"}\n{\"a\":\"{\\\"x\\\":[]}\"}\n");
    sl_batch_free(b);
    b = decode("{\"a\":[1,2],\"b\":3}", NULL, err);
    REQUIRE(b != NULL);
    CHECK_STR(batch_lines(b), "{\"a\":\"[1,2]\",\"b\":3}\n");
    sl_batch_free(b);

    CHECK_STR(decode_err("{\"a\":[1,2],\"b\":[1,2,3]}"),
              "columnar object: \"b\" has 3 values but \"a\" has 2");
    CHECK_STR(decode_err("{\"a\":[1,2],\"b\":[]}"),
              "columnar object: \"b\" has 0 values but \"a\" has 2");
    CHECK_STR(decode_err("{\"a\":[1]} x"),
              "JSON: unexpected text after the JSON value at line 1, column 11");
}

TEST(codec_decode_errors) {
    CHECK_STR(decode_err(""), "JSON: expected an object or an array at line 1, column 1");
    CHECK_STR(decode_err("  42"), "JSON: expected an object or an array at line 1, column 3");
    CHECK_STR(decode_err("[1]"),
              "JSON: element 0 of the array is not an object at line 1, column 2");
    CHECK_STR(decode_err("[{},\n \"x\"]"),
              "JSON: element 1 of the array is not an object at line 2, column 2");
    CHECK_STR(decode_err("[{}"), "JSON: expected ',' or ']' at line 1, column 4");
    CHECK_STR(decode_err("[{},"), "JSON: unterminated array at line 1, column 5");
    CHECK_STR(decode_err("{\"a\":1} x"),
              "JSON: unexpected text after the JSON value at line 1, column 9");
    CHECK_STR(decode_err("{\"a\":}"), "JSON: unexpected character at line 1, column 6");
    CHECK_STR(decode_err("{\"a\" 1}"),
              "JSON: expected ':' after an object key at line 1, column 6");
    CHECK_STR(decode_err("{a:1}"), "JSON: expected a string (an object key) at line 1, column 2");
    CHECK_STR(decode_err("[{\"a\":1},\n{\"a\":tru}]"), "JSON: invalid literal at line 2, column 6");
    CHECK_STR(decode_err("{\"a\":01}"), "JSON: expected ',' or '}' at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":1.}"),
              "JSON: invalid number: no digit after '.' at line 1, column 6");
    CHECK_STR(decode_err("{\"a\":-}"), "JSON: invalid number at line 1, column 6");
    CHECK_STR(decode_err("{\"a\":1e+}"),
              "JSON: invalid number: no digit in the exponent at line 1, column 6");
    CHECK_STR(decode_err("{\"a\":\"x}"), "JSON: unterminated string at line 1, column 6");
    CHECK_STR(decode_err("{\"a\":\"\\x\"}"),
              "JSON: invalid escape in a string at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":\"\\u12\"}"), "JSON: invalid \\u escape at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":\"\\ud800\"}"),
              "JSON: high surrogate without a low one in \\u escape at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":\"\\udc00\"}"),
              "JSON: lone low surrogate in \\u escape at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":\"\xc3\"}"),
              "JSON: invalid UTF-8 in a string at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":\"\xed\xa0\x80\"}"),
              "JSON: invalid UTF-8 in a string at line 1, column 7");
    CHECK_STR(decode_err("{\"a\":\"\t\"}"),
              "JSON: control character in a string at line 1, column 7");
    CHECK_STR(decode_err("{\"\\u0000\":1}"),
              "JSON: an object key holds \\u0000 at line 1, column 2");
    CHECK_STR(decode_err("{\"a\":[1,]}"), "JSON: unexpected character at line 1, column 9");
    CHECK_STR(decode_err("{\"a\":{\"b\":1,}}"),
              "JSON: expected a string (an object key) at line 1, column 13");
    CHECK_STR(decode_err("{\"a\":[1 2]}"), "JSON: expected ',' or ']' at line 1, column 9");
    /* Deep nesting is refused, not a stack overflow. */
    char deep[3000];
    size_t n = (size_t)sprintf(deep, "{\"a\":");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    CHECK_STR(decode_err(deep), "JSON: nested too deeply at line 1, column 518");
    /* Valid UTF-8 of every length is fine. */
    CHECK_STR(decode_err("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}"), "ok");
}

/* ---- Round trips ------------------------------------------------------------------------- */

/* A random batch: strings (ASCII, escapes, UTF-8), ints, floats, bools, times, nulls. */
static sl_batch *random_batch(uint32_t n) {
    const char *names[] = {"str", "int", "flt", "bool", "time", "maybe"};
    sl_schema *s = sl_schema_new(names, NULL, 6);
    sl_batch *b = sl_batch_new(s, 0);
    sl_schema_unref(s);
    static const char *const pieces[] = {"a", "ü", "\"", "\\", "\n", "\x01", "😀", " ", "Z", "€"};
    for (uint32_t i = 0; i < n; i++) {
        sl_value *r = sl_batch_add(b, i);
        char str[64];
        size_t len = 0;
        for (uint64_t k = next() % 8; k > 0; k--) {
            const char *p = pieces[next() % 10];
            memcpy(str + len, p, strlen(p));
            len += strlen(p);
        }
        sl_batch_set_str(b, &r[0], str, len);
        r[1] = (sl_value){.type = SL_F_INT, .v.i = (int64_t)next() >> (next() % 64)};
        uint64_t u = next();
        double d;
        memcpy(&d, &u, sizeof d);
        if (!isfinite(d) || i % 2) d = (double)(int64_t)(u % 100000) / 100;
        r[2] = (sl_value){.type = SL_F_FLOAT, .v.f = d};
        r[3] = (sl_value){.type = SL_F_BOOL, .v.b = next() & 1};
        r[4] = (sl_value){.type = SL_F_TIME, .v.i = (int64_t)(next() % INT64_C(4000000000000000))};
        if (i % 3) r[5] = (sl_value){.type = SL_F_INT, .v.i = i};
    }
    return b;
}

static bool same_values(const sl_batch *a, const sl_batch *b) {
    if (a->n != b->n || a->schema->nfields != b->schema->nfields) return false;
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = 0; j < a->schema->nfields; j++) {
            const sl_value *x = &sl_batch_row(a, i)[j], *y = &sl_batch_row(b, i)[j];
            if (x->type != y->type) return false;
            switch (x->type) {
            case SL_F_STRING:
                if (x->len != y->len || memcmp(sl_batch_str(a, x), sl_batch_str(b, y), x->len))
                    return false;
                break;
            case SL_F_FLOAT:
                if (memcmp(&x->v.f, &y->v.f, sizeof x->v.f)) return false;
                break;
            case SL_F_BOOL:
                if (x->v.b != y->v.b) return false;
                break;
            case SL_F_NULL: break;
            default:
                if (x->v.i != y->v.i) return false;
            }
        }
    return true;
}

TEST(codec_round_trips) {
    sl_batch *b = random_batch(2000);
    const char *names[] = {"time", "flt"};
    sl_ftype types[] = {SL_F_TIME, SL_F_FLOAT};
    sl_schema *hint = sl_schema_new(names, types, 2);
    char err[256];
    /* Array and columns: decode(encode(b)) has the same values and encodes the same. */
    for (int shape = SL_JSON_ARRAY; shape <= SL_JSON_COLUMNS; shape++) {
        char *text = encode(b, (sl_json_shape)shape);
        sl_batch *d = decode(text, hint, err);
        if (!CHECK(d != NULL)) {
            check_note("shape %d: %s", shape, err);
            free(text);
            continue;
        }
        CHECK(same_values(b, d));
        CHECK_STR(encode(d, (sl_json_shape)shape), text);
        /* jansson reads the same numbers of records and fields. */
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);
        REQUIRE(j != NULL);
        if (shape == SL_JSON_ARRAY)
            CHECK(json_array_size(j) == 2000 && json_object_size(json_array_get(j, 7)) == 6);
        else
            CHECK(json_object_size(j) == 6 && json_array_size(json_object_get(j, "str")) == 2000);
        /* and the same float values */
        int fbad = 0;
        for (uint32_t i = 0; i < 2000; i++) {
            json_t *v = shape == SL_JSON_ARRAY ? json_object_get(json_array_get(j, i), "flt")
                                               : json_array_get(json_object_get(j, "flt"), i);
            fbad += json_real_value(v) != sl_batch_row(b, i)[2].v.f;
        }
        CHECK_EQ(fbad, 0);
        json_decref(j);
        sl_batch_free(d);
        free(text);
    }
    /* One record at a time, as a per-record function call sees it. */
    int bad = 0;
    for (uint32_t i = 0; i < b->n; i += 37) {
        char *text = row_json(b, i);
        sl_batch *d = decode(text, hint, err);
        char *again = d ? row_json(d, 0) : NULL;
        bad += !again || strcmp(again, text) != 0;
        free(again);
        free(text);
        sl_batch_free(d);
    }
    CHECK_EQ(bad, 0);
    sl_schema_unref(hint);
    sl_batch_free(b);
}

/* ---- Batches for the parsers ------------------------------------------------------------- */

TEST(codec_batch_ready_widen) {
    const char *n3[] = {"a", "b", "c"};
    sl_schema *s2 = sl_schema_new(n3, NULL, 2), *s3 = sl_schema_new(n3, NULL, 3);
    sl_schema *s2b = sl_schema_new(n3, NULL, 2);
    CHECK(sl_schema_same(s2, s2b) && !sl_schema_same(s2, s3));
    sl_batch *b = NULL;
    REQUIRE(sl_batch_ready(&b, s2, 4, NULL, NULL));
    CHECK(b && b->schema == s2 && b->cap == 4);
    sl_batch *keep = b;
    CHECK(sl_batch_ready(&b, s2b, 4, NULL, NULL) && b == keep && b->schema == s2);
    for (int i = 0; i < 10; i++) {
        sl_value *r = sl_batch_add(b, (uint64_t)i);
        r[0] = (sl_value){.type = SL_F_INT, .v.i = i};
        sl_batch_set_str(b, &r[1], "x", 1);
    }
    /* No on_batch: widened in place. */
    CHECK(sl_batch_ready(&b, s3, 4, NULL, NULL) && b == keep && b->schema == s3);
    CHECK_EQ(b->n, 10);
    CHECK_STR(row_json(b, 9), "{\"a\":9,\"b\":\"x\",\"c\":null}");
    /* A schema that does not extend it cannot widen it. */
    const char *other[] = {"z"};
    sl_schema *sz = sl_schema_new(other, NULL, 1);
    CHECK(!sl_batch_ready(&b, sz, 4, NULL, NULL));
    CHECK(!sl_batch_widen(b, s2));
    /* With on_batch: handed over, and a new batch made. */
    collector c = {0};
    CHECK(sl_batch_ready(&b, sz, 4, collect_batch, &c));
    CHECK(c.nbatches == 1 && c.batches[0] == keep && b != keep && b->schema == sz);
    /* An empty batch just takes the new schema, keeping its memory. */
    keep = b;
    CHECK(sl_batch_ready(&b, s3, 4, collect_batch, &c) && b == keep && c.nbatches == 1);
    CHECK(b->schema == s3 && b->cap >= 1);
    for (int i = 0; i < 100; i++)
        sl_batch_add(b, 0);
    CHECK_STR(row_json(b, 99), "{\"a\":null,\"b\":null,\"c\":null}");
    sl_batch_free(b);
    collector_free(&c);
    sl_schema_unref(s2);
    sl_schema_unref(s2b);
    sl_schema_unref(s3);
    sl_schema_unref(sz);
}
