/*
 * test_record.c - schemas, batches and ISO 8601 timestamps (src/pipeline/record.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

TEST(record_schema) {
    const char *names[] = {"a", "bb", "c"};
    sl_ftype types[] = {SL_F_INT, SL_F_NULL, SL_F_TIME};
    sl_schema *s = sl_schema_new(names, types, 3);
    REQUIRE(s != NULL);
    CHECK_EQ(s->nfields, 3);
    CHECK(strcmp(s->names[1], "bb") == 0 && s->names[1] != names[1]);
    CHECK_EQ(s->types[2], SL_F_TIME);
    CHECK_EQ(sl_schema_find(s, "bb", 2), 1);
    CHECK_EQ(sl_schema_find(s, "bbx", 2), 1); /* only len bytes count */
    CHECK_EQ(sl_schema_find(s, "b", 1), -1);
    CHECK_EQ(sl_schema_find(s, "bbb", 3), -1);
    CHECK_EQ(sl_schema_find(s, "c\0x", 3), -1);
    CHECK(sl_schema_ref(s) == s);
    CHECK_EQ(atomic_load(&s->refs), 2);
    sl_schema_unref(s);
    sl_schema_unref(s);

    sl_schema *u = sl_schema_new(names, NULL, 2);
    REQUIRE(u != NULL);
    CHECK_EQ(u->types[0], SL_F_NULL);
    sl_schema_unref(u);
    const char *dup[] = {"x", "y", "x"};
    CHECK(sl_schema_new(dup, NULL, 3) == NULL);
    sl_schema *e = sl_schema_new(NULL, NULL, 0);
    REQUIRE(e != NULL);
    CHECK_EQ(e->nfields, 0);
    CHECK_EQ(sl_schema_find(e, "x", 1), -1);
    sl_schema_unref(e);
    sl_schema_unref(NULL);
}

TEST(record_batch_growth) {
    const char *names[] = {"i", "s"};
    sl_schema *s = sl_schema_new(names, NULL, 2);
    sl_batch *b = sl_batch_new(s, 0);
    sl_schema_unref(s); /* the batch holds its own reference */
    REQUIRE(b != NULL);
    CHECK_EQ(atomic_load(&b->schema->refs), 1);
    char buf[32];
    for (uint32_t i = 0; i < 100000; i++) {
        sl_value *row = sl_batch_add(b, 1000 + i);
        REQUIRE(row != NULL);
        CHECK(row[0].type == SL_F_NULL && row[1].type == SL_F_NULL);
        row[0].type = SL_F_INT;
        row[0].v.i = i;
        int n = snprintf(buf, sizeof buf, "v%u", i);
        REQUIRE(sl_batch_set_str(b, &row[1], buf, (size_t)n));
    }
    CHECK_EQ(b->n, 100000);
    CHECK(b->cap >= b->n);
    int bad = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        sl_value *row = sl_batch_row(b, i);
        int n = snprintf(buf, sizeof buf, "v%u", i);
        bad += row[0].v.i != i || b->pos[i] != 1000 + i || row[1].len != (uint32_t)n ||
               memcmp(sl_batch_str(b, &row[1]), buf, (size_t)n) != 0;
    }
    CHECK_EQ(bad, 0);
    uint32_t cap = b->cap;
    sl_batch_clear(b);
    CHECK_EQ(b->n, 0);
    CHECK_EQ(b->arena_len, 0);
    CHECK_EQ(b->cap, cap);
    sl_value *row = sl_batch_add(b, 7);
    REQUIRE(row != NULL);
    CHECK(row[0].type == SL_F_NULL); /* no stale value */
    sl_batch_free(b);
    sl_batch_free(NULL);
}

TEST(record_batch_empty_strings) {
    const char *names[] = {"s"};
    sl_schema *s = sl_schema_new(names, NULL, 1);
    sl_batch *b = sl_batch_new(s, 4);
    sl_schema_unref(s);
    sl_value *row = sl_batch_add(b, 0);
    REQUIRE(sl_batch_set_str(b, &row[0], "", 0));
    CHECK_EQ(row[0].type, SL_F_STRING);
    CHECK_EQ(row[0].len, 0);
    CHECK(sl_batch_str(b, &row[0]) != NULL);
    sl_batch_free(b);
    /* A schema with no fields still takes records. */
    sl_schema *e = sl_schema_new(NULL, NULL, 0);
    b = sl_batch_new(e, 0);
    sl_schema_unref(e);
    for (int i = 0; i < 200; i++)
        CHECK(sl_batch_add(b, (uint64_t)i) != NULL);
    CHECK_EQ(b->n, 200);
    sl_batch_free(b);
}

static int64_t t_of(const char *s) {
    int64_t us = INT64_MIN;
    if (!sl_parse_time(s, strlen(s), &us)) return INT64_MIN;
    return us;
}

TEST(record_time_parse) {
    CHECK_EQ(t_of("1970-01-01T00:00:00Z"), 0);
    CHECK_EQ(t_of("2026-11-24T08:15:00Z"), INT64_C(1795508100000000));
    CHECK_EQ(t_of("2026-11-24T08:15:00.250+01:00"), INT64_C(1795504500250000));
    CHECK_EQ(t_of("2026-11-24T08:15:00.25+0100"), INT64_C(1795504500250000));
    CHECK_EQ(t_of("2026-11-24T08:15:00.25+01"), INT64_C(1795504500250000));
    CHECK_EQ(t_of("2026-11-24 08:15:00"), INT64_C(1795508100000000));
    CHECK_EQ(t_of("2026-11-24t08:15z"), INT64_C(1795508100000000));
    CHECK_EQ(t_of("2026-11-24"), INT64_C(1795478400000000));
    CHECK_EQ(t_of("2024-02-29T23:59:59.999999-05:30"), INT64_C(1709270999999999));
    CHECK_EQ(t_of("2024-02-29T23:59:59.9999999-05:30"), INT64_C(1709270999999999)); /* cut */
    CHECK_EQ(t_of("2000-03-01T12:00:00,123456+14:00"), INT64_C(951861600123456));
    CHECK_EQ(t_of("0001-01-01T00:00:00Z"), INT64_C(-62135596800000000));
    CHECK_EQ(t_of("1969-12-31T23:59:59.5Z"), -500000);
    CHECK_EQ(t_of("9999-12-31T23:59:59.999999Z"), INT64_C(253402300799999999));
    CHECK_EQ(t_of("+2026-11-24T08:15:00Z"), INT64_C(1795508100000000));
    CHECK_EQ(t_of("2000-02-29"), INT64_C(951782400000000)); /* divisible by 400: leap */

    static const char *const invalid[] = {
        "",
        "2026",
        "2026-11",
        "2026-02-30",
        "2025-02-29",
        "1900-02-29", /* divisible by 100: not leap */
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-1-01",
        "2026-01-1",
        "26-01-01",
        "2026/01/01",
        "2026-01-01T",
        "2026-01-01T24:00:00Z",
        "2026-01-01T12:60:00Z",
        "2026-01-01T12:00:60Z",
        "2026-01-01T12",
        "2026-01-01T12:00:00.Z",
        "2026-01-01T12:00:00+1",
        "2026-01-01T12:00:00+24:00",
        "2026-01-01T12:00:00+01:60",
        "2026-01-01T12:00:00+01:",
        "2026-01-01T12:00:00ZZ",
        "2026-01-01T12:00:00 ",
        " 2026-01-01",
        "2026-01-01X12:00:00",
        "2026-01-01T12:00:00UTC",
        "+123-01-01",
        "+1234567-01-01",
        "+999999-01-01", /* beyond int64 microseconds */
        "abcd-ef-gh",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        int64_t us;
        if (!CHECK(!sl_parse_time(invalid[i], strlen(invalid[i]), &us)))
            check_note("accepted \"%s\"", invalid[i]);
    }
    /* Only len bytes count. */
    int64_t us;
    CHECK(sl_parse_time("2026-11-24XYZ", 10, &us) && us == INT64_C(1795478400000000));
}

static char *fmt(int64_t us) {
    char *buf = malloc(33);
    size_t n = sl_format_time(us, buf);
    if (n > 32 || buf[n] != '\0') abort();
    return buf;
}

TEST(record_time_format) {
    CHECK_STR(fmt(0), "1970-01-01T00:00:00Z");
    CHECK_STR(fmt(INT64_C(1795508100000000)), "2026-11-24T08:15:00Z");
    CHECK_STR(fmt(INT64_C(1795504500250000)), "2026-11-24T07:15:00.250000Z");
    CHECK_STR(fmt(-1), "1969-12-31T23:59:59.999999Z");
    CHECK_STR(fmt(-500000), "1969-12-31T23:59:59.500000Z");
    CHECK_STR(fmt(INT64_C(-62135596800000000)), "0001-01-01T00:00:00Z");
    CHECK_STR(fmt(INT64_C(253402300799999999)), "9999-12-31T23:59:59.999999Z");
    CHECK_STR(fmt(INT64_C(253402300800000000)), "+010000-01-01T00:00:00Z");
    CHECK_STR(fmt(INT64_C(-62167219200000001)), "-000001-12-31T23:59:59.999999Z");
    char buf[33];
    CHECK(sl_format_time(INT64_MAX, buf) <= 32);
    CHECK(sl_format_time(INT64_MIN, buf) <= 32);
}

TEST(record_time_round_trip) {
    /* Formatting then parsing gives the same instant, over the whole int64 range. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    int bad = 0;
    char buf[33];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t us;
        switch (i % 4) {
        case 0: us = (int64_t)x; break;                                             /* anywhere */
        case 1: us = (int64_t)(x % INT64_C(253402300800000000)); break;             /* 1970..9999 */
        case 2: us = -(int64_t)(x % INT64_C(62135596800000000)); break;             /* 0001..1970 */
        default: us = (int64_t)(x % INT64_C(4000000000000000)) / 1000000 * 1000000; /* whole s */
        }
        if (i < 4) us = i == 0 ? INT64_MAX : i == 1 ? INT64_MIN : i == 2 ? 0 : -1;
        size_t n = sl_format_time(us, buf);
        int64_t back;
        if (!sl_parse_time(buf, n, &back) || back != us) {
            if (bad++ < 5) check_note("%lld -> %s", (long long)us, buf);
        }
    }
    CHECK_EQ(bad, 0);
    /* And parsing with an offset, then formatting, gives the UTC form. */
    int64_t us;
    REQUIRE(sl_parse_time("2026-03-29T01:30:00.000001-09:45", 32, &us));
    CHECK_STR(fmt(us), "2026-03-29T11:15:00.000001Z");
}
