/*
 * test_sqlite.c - the sqlite sink (src/pipeline/sink_sqlite.c): table creation and types,
 * schema growth, reopening, a busy database, the key, rows a constraint rejects; and the
 * factory's and the dead letter's own tests.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static sl_sink *open_sqlite(const char *dir, const char *extra) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "type: sqlite\npath: %s/out.db\n%s", dir, extra ? extra : "");
    return open_sink(yaml);
}

static sqlite3 *open_db(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/out.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) CHECK(!"sqlite3_open");
    return db;
}

static int64_t query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        check_note("%s: %s", sql, sqlite3_errmsg(db));
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text (static buffer; "" for none). */
static const char *query_text(sqlite3 *db, const char *sql) {
    static char out[512];
    sqlite3_stmt *st;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        check_note("%s: %s", sql, sqlite3_errmsg(db));
        return out;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static sl_sink_result write1(sl_sink *s, const sl_batch *b, sl_deadletter *dead) {
    err[0] = 0;
    sl_sink_result r = sink_write(s, b, dead);
    if (r != SL_SINK_OK) check_note("write: %d: %s", r, err);
    return r;
}

TEST(sqlite_types) {
    char dir[512];
    tmp_dir(dir, sizeof dir, "sqlite");
    sl_sink *s = open_sqlite(dir, "table: readings\n");
    REQUIRE(s != NULL);
    CHECK(!strcmp(s->name, "sqlite"));
    sl_batch *b = new_batch("id,temp,site,ok,at,nothing", 4);
    for (int i = 0; i < 3; i++) {
        sl_value *r = add_row(b, (uint64_t)i + 1);
        set_int(r, 0, i);
        set_float(r, 1, 20.5 + i);
        set_str(b, r, 2, i == 1 ? "it's \"quoted\"\n" : "lab");
        set_bool(r, 3, i % 2 == 0);
        set_time(r, 4, 1795508100000000LL + i * 250000); /* 2026-11-24T08:15:00Z */
    }
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    s->ops->close(s);

    sqlite3 *db = open_db(dir);
    CHECK(!strcmp(query_text(db, "PRAGMA journal_mode"), "wal"));
    CHECK_EQ(query_int(db, "SELECT count(*) FROM readings"), 3);
    const char *types = query_text(db, "SELECT group_concat(name || ':' || type, ',') FROM "
                                       "pragma_table_info('readings')");
    if (!CHECK(!strcmp(types, "id:INTEGER,temp:REAL,site:TEXT,ok:INTEGER,at:TEXT,nothing:")))
        check_note("columns: %s", types);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM readings WHERE typeof(id) = 'integer' AND "
                           "typeof(temp) = 'real' AND typeof(ok) = 'integer' AND "
                           "typeof(at) = 'text' AND \"nothing\" IS NULL"),
             3);
    CHECK(!strcmp(query_text(db, "SELECT site FROM readings WHERE id = 1"), "it's \"quoted\"\n"));
    CHECK(!strcmp(query_text(db, "SELECT at FROM readings WHERE id = 0"), "2026-11-24T08:15:00Z"));
    CHECK(!strcmp(query_text(db, "SELECT at FROM readings WHERE id = 1"),
                  "2026-11-24T08:15:00.250000Z"));
    CHECK_EQ(query_int(db, "SELECT sum(ok) FROM readings"), 2);
    sqlite3_close(db);
    sl_batch_free(b);
    rm_tree(dir);
}

TEST(sqlite_schema_growth_and_reopen) {
    char dir[512];
    tmp_dir(dir, sizeof dir, "sqlite");
    sl_sink *s = open_sqlite(dir, NULL);
    REQUIRE(s != NULL);
    sl_batch *a = new_batch("id,v", 2);
    set_int(add_row(a, 1), 0, 1);
    CHECK_EQ(write1(s, a, NULL), SL_SINK_OK);
    /* A new field in a later batch, in the same session... */
    sl_batch *b = new_batch("id,v,extra", 2);
    sl_value *r = add_row(b, 2);
    set_int(r, 0, 2);
    set_float(r, 1, 1.5);
    set_str(b, r, 2, "x");
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    s->ops->close(s);
    /* ...and after reopening: another one, with fields in another order. */
    s = open_sqlite(dir, NULL);
    REQUIRE(s != NULL);
    sl_batch *c = new_batch("late,id", 2);
    r = add_row(c, 3);
    set_bool(r, 0, true);
    set_int(r, 1, 3);
    CHECK_EQ(write1(s, c, NULL), SL_SINK_OK);
    CHECK_EQ(write1(s, a, NULL), SL_SINK_OK); /* the first schema again */
    s->ops->close(s);

    sqlite3 *db = open_db(dir);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM records"), 4);
    const char *types = query_text(db, "SELECT group_concat(name || ':' || type, ',') FROM "
                                       "pragma_table_info('records')");
    if (!CHECK(!strcmp(types, "id:INTEGER,v:,extra:TEXT,late:INTEGER")))
        check_note("columns: %s", types);
    CHECK(!strcmp(query_text(db, "SELECT extra FROM records WHERE id = 2"), "x"));
    CHECK_EQ(query_int(db, "SELECT late FROM records WHERE id = 3"), 1);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM records WHERE late IS NULL"), 3);
    sqlite3_close(db);
    sl_batch_free(a);
    sl_batch_free(b);
    sl_batch_free(c);
    rm_tree(dir);
}

TEST(sqlite_busy_is_retry) {
    char dir[512];
    tmp_dir(dir, sizeof dir, "sqlite");
    sl_sink *s = open_sqlite(dir, "busy_timeout: 50ms\n");
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id", 2);
    set_int(add_row(b, 1), 0, 1);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    /* Another writer holds the lock. */
    sqlite3 *db = open_db(dir);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    sl_value *r = add_row(b, 2);
    set_int(r, 0, 2);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    CHECK(strstr(err, "locked") != NULL);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM records"), 3); /* 1, then 1 and 2 */
    sqlite3_close(db);
    s->ops->close(s);
    sl_batch_free(b);
    rm_tree(dir);
}

TEST(sqlite_key_and_rejected_rows) {
    char dir[512], dead_path[600];
    tmp_dir(dir, sizeof dir, "sqlite");
    snprintf(dead_path, sizeof dead_path, "%s/dead.jsonl", dir);
    sl_deadletter *dead = dead_open(dead_path);
    REQUIRE(dead != NULL);
    /* A table made elsewhere, with a constraint. */
    sqlite3 *db = open_db(dir);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t (id INTEGER, v REAL CHECK (v >= 0))", NULL, NULL,
                         NULL) == SQLITE_OK);
    sl_sink *s = open_sqlite(dir, "table: t\nkey: id\nname: store\n");
    REQUIRE(s != NULL);
    CHECK(!strcmp(s->name, "store"));
    sl_batch *b = new_batch("id,v", 8);
    for (int i = 0; i < 5; i++) {
        sl_value *r = add_row(b, (uint64_t)i);
        set_int(r, 0, i);
        set_float(r, 1, i == 3 ? -1.0 : i);
    }
    CHECK_EQ(write1(s, b, dead), SL_SINK_OK);
    CHECK_EQ(sl_deadletter_count(dead), 1);
    /* The same batch again (a repeated delivery): the key keeps it from being doubled, and
     * the rejected row is reported again, since it was delivered again. */
    CHECK_EQ(write1(s, b, dead), SL_SINK_OK);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM t"), 4);
    CHECK_EQ(query_int(db, "SELECT count(DISTINCT id) FROM t"), 4);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM t WHERE id = 3"), 0);
    s->ops->close(s);
    sl_deadletter_close(dead);
    json_t *lines = read_dead(dead_path);
    CHECK_EQ(json_array_size(lines), 2);
    json_t *first = json_array_get(lines, 0);
    CHECK(!strcmp(json_string_value(json_object_get(first, "stage")), "store"));
    const char *reason = json_string_value(json_object_get(first, "reason"));
    if (!CHECK(reason && strstr(reason, "CHECK constraint failed"))) check_note("%s", reason);
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(first, "record"), "id")), 3);
    json_decref(lines);
    sqlite3_close(db);
    sl_batch_free(b);
    rm_tree(dir);
}

TEST(sqlite_settings) {
    const char *e = open_error("type: sqlite\npath: x.db\ntabel: t\n");
    if (!CHECK(e && strstr(e, "test.yaml:1: sink 1: unknown setting \"tabel\"")))
        check_note("%s", e);
    e = open_error("type: sqlite\ntable: t\n");
    CHECK(e && strstr(e, "\"path\" is required"));
    e = open_error("type: sqlite\npath: /nonexistent/dir/x.db\n");
    if (!CHECK(e && strstr(e, "test.yaml:1:") && strstr(e, "/nonexistent/dir/x.db")))
        check_note("%s", e);
    e = open_error("type: sqlite\npath: x.db\nsynchronous: sometimes\n");
    CHECK(e && strstr(e, "\"synchronous\" must be full or normal"));
}

/* The engine may name the pipeline: the table defaults to it. */
TEST(sqlite_table_defaults_to_pipeline) {
    char dir[512], yaml[1024];
    tmp_dir(dir, sizeof dir, "sqlite");
    snprintf(yaml, sizeof yaml, "type: sqlite\npath: %s/out.db\n", dir);
    sl_error e;
    json_t *sec = sl_conf_parse(yaml, strlen(yaml), "test.yaml", &e);
    REQUIRE(sec != NULL);
    json_object_set_new(sec, "@pipeline", json_string("air-quality"));
    sl_conf_ctx c = {"test.yaml", "sink 1", &e};
    sl_sink *s = sl_sink_open(&c, sec);
    json_decref(sec);
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id", 1);
    set_int(add_row(b, 1), 0, 7);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    s->ops->close(s);
    sqlite3 *db = open_db(dir);
    CHECK_EQ(query_int(db, "SELECT id FROM \"air-quality\""), 7);
    sqlite3_close(db);
    sl_batch_free(b);
    rm_tree(dir);
}

TEST(factory_unknown_type) {
    const char *e = open_error("name: x\ntype: kafka\n");
    if (!CHECK(e && !strcmp(e, "test.yaml:1: sink 1: unknown sink type \"kafka\" (known: file, "
                               "stdout, sqlite, postgres, http, elasticsearch)")))
        check_note("%s", e);
    e = open_error("path: x\n");
    CHECK(e && strstr(e, "\"type\" is required"));
    /* The file kinds go to sink_file.c; `name:` names any sink. */
    sl_sink *s = open_sink("type: stdout\nname: console\n");
    if (CHECK(s != NULL)) {
        CHECK(!strcmp(s->name, "console"));
        s->ops->close(s);
    }
}

/* ---- The dead letter ---------------------------------------------------------------------- */

typedef struct {
    sl_deadletter *d;
    int id;
} writer_arg;

static void *dead_writer(void *p) {
    writer_arg *a = p;
    char reason[64];
    for (int i = 0; i < 200; i++) {
        snprintf(reason, sizeof reason, "thread %d line %d", a->id, i);
        sl_deadletter_raw(a->d, "csv", reason, "a,b,c", 5);
    }
    return NULL;
}

TEST(deadletter_lines) {
    char dir[512], path[600];
    tmp_dir(dir, sizeof dir, "dead");
    snprintf(path, sizeof path, "%s/dead.jsonl", dir);
    sl_deadletter *d = dead_open(path);
    REQUIRE(d != NULL);
    /* Raw input that is not UTF-8, with quotes and control bytes. */
    sl_deadletter_raw(d, "csv", "line 1: \"bad\"", "x\xff\"\t\x01y", 6);
    sl_batch *b = new_batch("id,name,at", 2);
    sl_value *r = add_row(b, 1);
    set_int(r, 0, 42);
    set_str(b, r, 1, "café");
    set_time(r, 2, 0);
    sl_deadletter_record(d, "http", "HTTP 400: no", b, 0);
    pthread_t t[4];
    writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (writer_arg){d, i};
        pthread_create(&t[i], NULL, dead_writer, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(sl_deadletter_count(d), 802);
    sl_deadletter_close(d);

    json_t *lines = read_dead(path);
    CHECK_EQ(json_array_size(lines), 802);
    json_t *raw = json_array_get(lines, 0);
    CHECK(!strcmp(json_string_value(json_object_get(raw, "input")), "x\xef\xbf\xbd\"\t\x01y"));
    CHECK(!strcmp(json_string_value(json_object_get(raw, "reason")), "line 1: \"bad\""));
    CHECK(json_string_length(json_object_get(raw, "time")) >= 20);
    json_t *rec = json_object_get(json_array_get(lines, 1), "record");
    CHECK_EQ(json_integer_value(json_object_get(rec, "id")), 42);
    CHECK(!strcmp(json_string_value(json_object_get(rec, "name")), "café"));
    CHECK(!strcmp(json_string_value(json_object_get(rec, "at")), "1970-01-01T00:00:00Z"));
    json_decref(lines);
    sl_batch_free(b);

    CHECK(dead_open("/nonexistent/dir/dead.jsonl") == NULL);
    CHECK(strstr(err, "/nonexistent/dir/dead.jsonl") != NULL);
    rm_tree(dir);
}
