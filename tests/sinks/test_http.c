/*
 * test_http.c - the http and elasticsearch sinks (src/pipeline/sink_http.c) against a
 * python3 loopback peer (peer.py): 2xx, 503 then 200, 400 to the dead letter; _bulk with
 * partial failures (400 items to the dead letter, 429 items sent again, alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static sl_batch *numbered(const char *fields, int n, int from) {
    sl_batch *b = new_batch(fields, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        sl_value *r = add_row(b, (uint64_t)(from + i + 1));
        set_int(r, 0, from + i);
        set_str(b, r, 1, i % 2 ? "odd\n\"one\"" : "even");
    }
    return b;
}

static sl_sink *open_http(const peer *p, const char *path, const char *extra) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "type: http\nurl: http://127.0.0.1:%d%s\n%s", p->port, path,
             extra ? extra : "");
    return open_sink(yaml);
}

TEST(http_ok_json_and_ndjson) {
    peer p;
    REQUIRE(peer_start(&p));
    sl_sink *s = open_http(&p, "/http/auth", "headers:\n  X-Token: secret\n");
    sl_sink *nd = open_http(&p, "/http/ok", "format: ndjson\n");
    REQUIRE(s && nd);
    sl_batch *b = numbered("id,text", 5, 0);
    CHECK_EQ(write_retrying(s, b, NULL, 1, 0, NULL), SL_SINK_OK);
    sl_batch *c = numbered("id,text", 3, 5);
    CHECK_EQ(write_retrying(nd, c, NULL, 1, 0, NULL), SL_SINK_OK);
    json_t *st = peer_get(&p, "/_test/stats");
    json_t *h = json_object_get(st, "http");
    CHECK_EQ(json_array_size(json_object_get(st, "errors")), 0);
    json_t *recs = json_object_get(h, "records");
    REQUIRE(CHECK_EQ(json_array_size(recs), 8));
    for (size_t i = 0; i < 8; i++)
        CHECK_EQ(json_integer_value(json_object_get(json_array_get(recs, i), "id")), (int)i);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(recs, 1), "text")),
                  "odd\n\"one\""));
    json_t *types = json_object_get(h, "content_types");
    CHECK(!strcmp(json_string_value(json_array_get(types, 0)), "application/json"));
    CHECK(!strcmp(json_string_value(json_array_get(types, 1)), "application/x-ndjson"));
    json_decref(st);
    s->ops->close(s);
    nd->ops->close(nd);
    sl_batch_free(b);
    sl_batch_free(c);
    peer_stop(&p);
}

TEST(http_retry_then_ok) {
    peer p;
    REQUIRE(peer_start(&p));
    sl_sink *s = open_http(&p, "/http/flaky", NULL);
    REQUIRE(s != NULL);
    sl_batch *b = numbered("id,text", 4, 0);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    if (!CHECK(strstr(err, "HTTP 503: try again later"))) check_note("%s", err);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_OK);
    json_t *st = peer_get(&p, "/_test/stats");
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(st, "http"), "requests")), 2);
    CHECK_EQ(json_array_size(json_object_get(json_object_get(st, "http"), "records")), 4);
    json_decref(st);
    s->ops->close(s);
    sl_batch_free(b);
    peer_stop(&p);
}

TEST(http_4xx_to_dead_letter) {
    peer p;
    REQUIRE(peer_start(&p));
    char dead_path[600];
    snprintf(dead_path, sizeof dead_path, "%s/dead.jsonl", p.dir);
    sl_deadletter *dead = dead_open(dead_path);
    REQUIRE(dead != NULL);
    sl_sink *s = open_http(&p, "/http/bad", "name: hook\n");
    sl_sink *noauth = open_http(&p, "/http/auth", NULL);
    REQUIRE(s && noauth);
    sl_batch *b = numbered("id,text", 3, 0);
    CHECK_EQ(sink_write(s, b, dead), SL_SINK_OK);
    CHECK_EQ(sink_write(noauth, b, dead), SL_SINK_OK);
    CHECK_EQ(sl_deadletter_count(dead), 6);
    sl_deadletter_close(dead);
    json_t *lines = read_dead(dead_path);
    json_t *first = json_array_get(lines, 0);
    const char *reason = json_string_value(json_object_get(first, "reason"));
    if (!CHECK(reason && !strcmp(reason, "HTTP 400: {\"error\": \"field \\\"v\\\" must be a "
                                         "number\"}")))
        check_note("reason: %s", reason);
    CHECK(!strcmp(json_string_value(json_object_get(first, "stage")), "hook"));
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(first, "record"), "id")), 0);
    reason = json_string_value(json_object_get(json_array_get(lines, 3), "reason"));
    CHECK(reason && !strncmp(reason, "HTTP 401", 8));
    json_decref(lines);
    s->ops->close(s);
    noauth->ops->close(noauth);
    sl_batch_free(b);
    peer_stop(&p);
}

TEST(http_refused_is_retry) {
    peer p;
    REQUIRE(peer_start(&p));
    int port = p.port;
    peer_stop(&p); /* nothing listens there now */
    char yaml[256];
    snprintf(yaml, sizeof yaml, "type: http\nurl: http://127.0.0.1:%d/\ntimeout: 2s\n", port);
    sl_sink *s = open_sink(yaml);
    REQUIRE(s != NULL);
    sl_batch *b = numbered("id,text", 1, 0);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    CHECK(strstr(err, "127.0.0.1") != NULL);
    s->ops->close(s);
    sl_batch_free(b);
}

TEST(http_settings) {
    const char *e = open_error("type: http\nurl: ftp://example.com/\n");
    CHECK(e && strstr(e, "is not an http:// or https:// URL"));
    e = open_error("type: http\nurl: http://x/\nformat: xml\n");
    CHECK(e && strstr(e, "\"format\" must be json or ndjson"));
    e = open_error("type: http\nurl: http://x/\nheaders:\n  \"Bad Name\": x\n");
    CHECK(e && strstr(e, "test.yaml:4:") && strstr(e, "header \"Bad Name\""));
    e = open_error("type: elasticsearch\nurl: http://x:9200\n");
    CHECK(e && strstr(e, "\"index\" or \"index_field\" is required"));
    e = open_error("type: elasticsearch\nurl: http://x:9200\nindex: a\nop_type: upsert\n");
    CHECK(e && strstr(e, "\"op_type\" must be index or create"));
}

/* ---- elasticsearch ----------------------------------------------------------------------- */

static sl_sink *open_es(const peer *p, const char *prefix, const char *extra) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "type: elasticsearch\nurl: http://127.0.0.1:%d%s\n%s", p->port,
             prefix, extra ? extra : "");
    return open_sink(yaml);
}

/* Records id, idx (the index, null for every 5th: the fixed index), flaky, bad. */
static sl_batch *es_batch(int n, int from) {
    sl_batch *b = new_batch("id,idx,flaky,bad,v", (uint32_t)n);
    for (int i = 0; i < n; i++) {
        int id = from + i;
        sl_value *r = add_row(b, (uint64_t)id + 1);
        set_int(r, 0, id);
        if (id % 5) set_str(b, r, 1, id % 2 ? "odd" : "even");
        set_bool(r, 2, id % 4 == 1);
        set_bool(r, 3, id % 7 == 3);
        set_float(r, 4, id / 2.0);
    }
    return b;
}

TEST(elastic_bulk_partial_failures) {
    peer p;
    REQUIRE(peer_start(&p));
    char dead_path[600];
    snprintf(dead_path, sizeof dead_path, "%s/dead.jsonl", p.dir);
    sl_deadletter *dead = dead_open(dead_path);
    REQUIRE(dead != NULL);
    sl_sink *s = open_es(&p, "/", "index: fixed\nindex_field: idx\nid_field: id\n");
    REQUIRE(s != NULL);
    int total = 0, bad = 0, flaky_ok = 0;
    for (int batch = 0; batch < 3; batch++) {
        sl_batch *b = es_batch(20, batch * 20);
        for (int i = 0; i < 20; i++) {
            int id = batch * 20 + i;
            bad += id % 7 == 3;
            flaky_ok += id % 4 == 1 && id % 7 != 3;
        }
        total += 20;
        /* 429 items: RETRY, then only they go again. */
        CHECK_EQ(sink_write(s, b, dead), SL_SINK_RETRY);
        if (!CHECK(strstr(err, "records to send again (elasticsearch 429 "
                               "es_rejected_execution_exception")))
            check_note("%s", err);
        CHECK_EQ(sink_write(s, b, dead), SL_SINK_OK);
        sl_batch_free(b);
    }
    CHECK_EQ(sl_deadletter_count(dead), bad);
    json_t *st = peer_get(&p, "/_test/stats");
    json_t *es = json_object_get(st, "es");
    CHECK_EQ(json_array_size(json_object_get(st, "errors")), 0);
    CHECK_EQ(json_integer_value(json_object_get(es, "requests")), 6);
    json_t *docs = json_object_get(es, "docs");
    CHECK_EQ(json_object_size(docs), total - bad);
    /* Every document went once, except the flaky ones (twice: rejected, then stored). */
    json_t *offered = json_object_get(es, "offered");
    const char *key;
    json_t *v;
    int twice = 0;
    json_object_foreach(offered, key, v) {
        int id = atoi(strchr(key, '/') + 1);
        int want = id % 4 == 1 && id % 7 != 3 ? 2 : 1;
        if (!CHECK_EQ(json_integer_value(v), want)) check_note("%s", key);
        twice += json_integer_value(v) == 2;
    }
    CHECK_EQ(twice, flaky_ok);
    CHECK_EQ(json_object_size(offered), total);
    /* The index: from the field, else the fixed one; the document is the whole record. */
    json_t *d0 = json_object_get(docs, "fixed/0");
    CHECK(d0 && json_integer_value(json_object_get(d0, "id")) == 0);
    CHECK(json_object_get(docs, "even/2") && json_object_get(docs, "odd/9"));
    CHECK(json_real_value(json_object_get(json_object_get(docs, "odd/9"), "v")) == 4.5);
    json_t *q = json_array_get(json_object_get(es, "queries"), 0);
    CHECK(json_string_value(q) && strstr(json_string_value(q), "filter_path="));
    json_decref(st);

    sl_deadletter_close(dead);
    json_t *lines = read_dead(dead_path);
    json_t *first = json_array_get(lines, 0);
    const char *reason = json_string_value(json_object_get(first, "reason"));
    if (!CHECK(reason && !strcmp(reason, "elasticsearch 400 mapper_parsing_exception: failed to "
                                         "parse field [bad] of type [long]: For input string: "
                                         "\"true\"")))
        check_note("reason: %s", reason);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(first, "record"), "id")), 3);
    json_decref(lines);
    s->ops->close(s);
    peer_stop(&p);
}

TEST(elastic_whole_request_retry_auth_create) {
    peer p;
    REQUIRE(peer_start(&p));
    /* A whole-request 429: the batch goes again. */
    sl_sink *s = open_es(&p, "/busy", "index: logs\n");
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id,msg", 3);
    for (int i = 0; i < 3; i++) {
        sl_value *r = add_row(b, (uint64_t)i + 1);
        set_int(r, 0, 100 + i);
        set_str(b, r, 1, "hello");
    }
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    CHECK(strstr(err, "HTTP 429") != NULL);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_OK);
    s->ops->close(s);
    /* Basic auth, and op_type create: a repeated id is already there (409), not an error. */
    s = open_es(&p, "/auth/",
                "index: users\nid_field: id\nop_type: create\nuser: elastic\npassword: changeme\n");
    REQUIRE(s != NULL);
    sl_deadletter *dead = dead_open(NULL);
    CHECK_EQ(sink_write(s, b, dead), SL_SINK_OK);
    CHECK_EQ(sink_write(s, b, dead), SL_SINK_OK);
    CHECK_EQ(sl_deadletter_count(dead), 0);
    sl_deadletter_close(dead);
    s->ops->close(s);
    json_t *st = peer_get(&p, "/_test/stats");
    json_t *docs = json_object_get(json_object_get(st, "es"), "docs");
    CHECK_EQ(json_object_size(docs), 6); /* 3 in logs (generated ids), 3 in users */
    CHECK(json_object_get(docs, "users/101") != NULL);
    CHECK_EQ(json_array_size(json_object_get(st, "errors")), 0);
    json_decref(st);
    sl_batch_free(b);
    peer_stop(&p);
}
