/*
 * bench_codec.c - throughput of the pipeline's parsers and JSON codec, in records per second
 * on one core (`make bench-pipeline-codec`; not a test). jansson's figures are for scale.
 *
 * Usage: bench-pipeline-codec [RECORDS]   (default 2000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/buf.h"
#include "pipeline/json_decode.h"
#include "pipeline/json_encode.h"
#include "pipeline/csv.h"
#include "pipeline/jsonl.h"

#define BATCH 1024
#define CHUNK (64 << 10)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, size_t records, size_t bytes, double secs) {
    printf("%-44s %7.2f M records/s  %7.1f MB/s\n", what, (double)records / secs / 1e6,
           (double)bytes / secs / 1e6);
}

static size_t handed;
static void take(void *ctx, sl_batch *b) {
    (void)ctx;
    handed += b->n;
    sl_batch_free(b);
}

/* Sensor readings: id, time, temperature, pressure, ok, a note (sometimes quoted). */
static char *make_csv(size_t n, size_t *len) {
    size_t cap = n * 96 + 128, at = 0;
    char *s = malloc(cap);
    at += (size_t)sprintf(s, "sensor,at,temp,pressure,ok,note\n");
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned sec = (unsigned)(i % 86400);
        at += (size_t)sprintf(s + at, "sensor-%04u,2026-11-24T%02u:%02u:%02uZ,%d.%u,%u,%s,%s\n",
                              (unsigned)(x % 5000), sec / 3600, sec / 60 % 60, sec % 60,
                              (int)(x >> 20) % 40 - 5, (unsigned)(x >> 30) % 10,
                              990 + (unsigned)(x >> 40) % 40, x >> 50 & 1 ? "true" : "false",
                              i % 4 ? "room 1" : "\"hall, \"\"east\"\"\"");
    }
    *len = at;
    return s;
}

static size_t parse_csv(const char *csv, size_t len, bool typed) {
    const char *names[] = {"at", "temp", "pressure", "ok"};
    sl_ftype types[] = {SL_F_TIME, SL_F_FLOAT, SL_F_INT, SL_F_BOOL};
    sl_csv_opts o = {.header = true, .batch_max = BATCH, .batch_cap = BATCH, .on_batch = take};
    if (typed) o.names = names, o.types = types, o.ncols = 4;
    sl_error err;
    sl_parser *p = sl_csv_new(&o, &err);
    sl_batch *b = NULL;
    handed = 0;
    for (size_t at = 0; at < len; at += CHUNK)
        sl_parser_bytes(p, csv + at, len - at < CHUNK ? len - at : CHUNK, &b);
    sl_parser_finish(p, &b);
    size_t n = handed + (b ? b->n : 0);
    sl_batch_free(b);
    sl_parser_free(p);
    return n;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
    size_t len;
    char *csv = make_csv(n, &len);
    printf("%zu records, CSV %.1f MB (%.0f bytes a line), batches of %d, chunks of %d KiB\n\n", n,
           (double)len / 1e6, (double)len / (double)n, BATCH, CHUNK >> 10);

    for (int typed = 0; typed < 2; typed++) {
        double t = now();
        size_t got = parse_csv(csv, len, typed);
        report(typed ? "CSV -> batches (declared types)" : "CSV -> batches (strings)", got, len,
               now() - t);
    }

    /* One typed batch of BATCH records, encoded and decoded many times. */
    sl_batch *b;
    {
        sl_error err;
        const char *names[] = {"at", "temp", "pressure", "ok"};
        sl_ftype types[] = {SL_F_TIME, SL_F_FLOAT, SL_F_INT, SL_F_BOOL};
        sl_csv_opts o = {.header = true, .names = names, .types = types, .ncols = 4};
        sl_parser *p = sl_csv_new(&o, &err);
        b = NULL;
        size_t at = 0;
        while (!b || b->n < BATCH) {
            const char *nl = memchr(csv + at, '\n', len - at);
            sl_parser_bytes(p, csv + at, (size_t)(nl + 1 - (csv + at)), &b);
            at = (size_t)(nl + 1 - csv);
        }
        sl_parser_free(p);
    }
    size_t rounds = n / BATCH ? n / BATCH : 1;
    static const struct {
        sl_json_shape shape;
        const char *name;
    } shapes[] = {{SL_JSON_ARRAY, "array"}, {SL_JSON_COLUMNS, "columns"}, {SL_JSON_LINES, "lines"}};
    sl_buf texts[3] = {{0}};
    for (int s = 0; s < 3; s++) {
        sl_buf t = {0};
        size_t bytes = 0;
        double t0 = now();
        for (size_t r = 0; r < rounds; r++) {
            t.len = 0;
            sl_json_encode(b, shapes[s].shape, &t);
            bytes += t.len;
        }
        char what[64];
        snprintf(what, sizeof what, "batch -> JSON (%s)", shapes[s].name);
        report(what, rounds * BATCH, bytes, now() - t0);
        texts[s] = t;
    }
    {
        sl_buf t = {0};
        size_t bytes = 0;
        double t0 = now();
        for (size_t r = 0; r < rounds; r++)
            for (uint32_t i = 0; i < b->n; i++) {
                t.len = 0;
                sl_json_encode_record(b, i, &t);
                bytes += t.len;
            }
        report("batch -> JSON (one call per record)", rounds * BATCH, bytes, now() - t0);
        sl_buf_free(&t);
    }
    for (int s = 0; s < 2; s++) {
        sl_error err;
        double t0 = now();
        size_t got = 0;
        for (size_t r = 0; r < rounds; r++) {
            sl_batch *d = sl_json_decode(texts[s].data, texts[s].len, b->schema, 0, &err);
            got += d ? d->n : 0;
            sl_batch_free(d);
        }
        char what[64];
        snprintf(what, sizeof what, "JSON -> batch (%s)", shapes[s].name);
        report(what, got, rounds * texts[s].len, now() - t0);
    }
    {
        sl_error err;
        sl_jsonl_opts o = {.hint = b->schema, .batch_max = BATCH, .on_batch = take};
        sl_parser *p = sl_jsonl_new(&o, &err);
        sl_batch *d = NULL;
        handed = 0;
        double t0 = now();
        for (size_t r = 0; r < rounds; r++)
            sl_parser_bytes(p, texts[2].data, texts[2].len, &d);
        sl_parser_finish(p, &d);
        size_t got = handed + (d ? d->n : 0);
        report("JSON lines -> batches", got, rounds * texts[2].len, now() - t0);
        sl_batch_free(d);
        sl_parser_free(p);
    }

    /* jansson, for scale: parsing the array text, and dumping it again. */
    size_t jr = rounds / 8 ? rounds / 8 : 1;
    double t0 = now();
    json_t *j = NULL;
    for (size_t r = 0; r < jr; r++) {
        json_decref(j);
        j = json_loadb(texts[0].data, texts[0].len, 0, NULL);
    }
    report("jansson: json_loadb (array)", jr * BATCH, jr * texts[0].len, now() - t0);
    t0 = now();
    for (size_t r = 0; r < jr; r++)
        free(json_dumps(j, JSON_COMPACT));
    report("jansson: json_dumps (array)", jr * BATCH, jr * texts[0].len, now() - t0);
    json_decref(j);

    for (int s = 0; s < 3; s++)
        sl_buf_free(&texts[s]);
    sl_batch_free(b);
    free(csv);
    return 0;
}
