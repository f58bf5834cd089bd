/*
 * test_postgres.c - the postgres sink (src/pipeline/sink_postgres.c) against the throwaway
 * cluster tests/sinks/run.sh starts ($SLUICE_PG_URL; skipped without it): table creation and
 * types, growth, COPY escaping, rejected rows, the key, and a server stopped mid-stream
 * (RETRY, then every record arrives exactly once).
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static const char *pg_url(void) {
    const char *url = getenv("SLUICE_PG_URL");
    if (!url || !*url) check_note("skipped: no SLUICE_PG_URL (run through tests/sinks/run.sh)");
    return url && *url ? url : NULL;
}

static sl_sink *open_pg(const char *table, const char *extra) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "type: postgres\nurl: %s\ntable: %s\n%s", getenv("SLUICE_PG_URL"),
             table, extra ? extra : "");
    return open_sink(yaml);
}

static PGconn *db_open(void) {
    PGconn *c = PQconnectdb(getenv("SLUICE_PG_URL"));
    if (PQstatus(c) != CONNECTION_OK) {
        check_note("connect: %s", PQerrorMessage(c));
        CHECK(!"connected");
    }
    return c;
}

/* The first value of the first row (static buffer; "" for none or null). */
static const char *db_text(PGconn *c, const char *sql) {
    static char out[1024];
    out[0] = 0;
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        check_note("%s: %s", sql, PQresultErrorMessage(r));
    else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}
static int64_t db_int(PGconn *c, const char *sql) {
    const char *t = db_text(c, sql);
    return *t ? strtoll(t, NULL, 10) : -1;
}

static sl_sink_result write1(sl_sink *s, const sl_batch *b, sl_deadletter *dead) {
    err[0] = 0;
    sl_sink_result r = sink_write(s, b, dead);
    if (r != SL_SINK_OK) check_note("write: %d: %s", r, err);
    return r;
}

static void pg_ctl(const char *what) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "%s %s", getenv("SLUICE_PG_CTL"), what);
    if (!CHECK(system(cmd) == 0)) check_note("%s failed", cmd);
}

static const char *const TRICKY = "tab\there\nnew\\line \"q\" 'a' \\N é \r end";

TEST(postgres_types_growth_escaping) {
    if (!pg_url()) return;
    sl_sink *s = open_pg("t_types", NULL);
    REQUIRE(s != NULL);
    CHECK(!strcmp(s->name, "postgres"));
    sl_batch *b = new_batch("id,temp,site,ok,at,nothing", 4);
    for (int i = 0; i < 3; i++) {
        sl_value *r = add_row(b, (uint64_t)i + 1);
        set_int(r, 0, i);
        set_float(r, 1, 20.25 + i);
        set_str(b, r, 2, i == 1 ? TRICKY : "lab");
        set_bool(r, 3, i % 2 == 0);
        set_time(r, 4, 1795508100000000LL + i * 250000);
    }
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    PGconn *c = db_open();
    const char *types = db_text(c, "SELECT string_agg(column_name || ':' || data_type, ',' ORDER "
                                   "BY ordinal_position) FROM information_schema.columns WHERE "
                                   "table_name = 't_types'");
    if (!CHECK(!strcmp(types, "id:bigint,temp:double precision,site:text,ok:boolean,at:timestamp "
                              "with time zone,nothing:text")))
        check_note("columns: %s", types);
    CHECK(!strcmp(db_text(c, "SELECT site FROM t_types WHERE id = 1"), TRICKY));
    CHECK(!strcmp(db_text(c, "SELECT temp FROM t_types WHERE id = 2"), "22.25"));
    CHECK_EQ(db_int(c, "SELECT count(*) FROM t_types WHERE ok"), 2);
    CHECK_EQ(db_int(c, "SELECT count(*) FROM t_types WHERE nothing IS NULL"), 3);
    CHECK_EQ(db_int(c, "SELECT (extract(epoch FROM at) * 1000000)::bigint FROM t_types WHERE "
                       "id = 1"),
             1795508100250000LL);
    /* A new field, and a field missing. */
    sl_batch *g = new_batch("id,extra", 2);
    sl_value *r = add_row(g, 10);
    set_int(r, 0, 3);
    set_time(r, 1, 0);
    CHECK_EQ(write1(s, g, NULL), SL_SINK_OK);
    s->ops->close(s);
    /* Reopened: the columns are read from the table. */
    s = open_pg("t_types", NULL);
    REQUIRE(s != NULL);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    CHECK_EQ(db_int(c, "SELECT count(*) FROM t_types"), 7);
    CHECK(!strcmp(db_text(c, "SELECT data_type FROM information_schema.columns WHERE "
                             "table_name = 't_types' AND column_name = 'extra'"),
                  "timestamp with time zone"));
    CHECK_EQ(db_int(c, "SELECT extract(epoch FROM extra)::bigint FROM t_types WHERE id = 3"), 0);
    s->ops->close(s);
    PQfinish(c);
    sl_batch_free(b);
    sl_batch_free(g);
}

TEST(postgres_rejected_rows_to_dead_letter) {
    if (!pg_url()) return;
    char dir[512], dead_path[600];
    tmp_dir(dir, sizeof dir, "pg");
    snprintf(dead_path, sizeof dead_path, "%s/dead.jsonl", dir);
    sl_deadletter *dead = dead_open(dead_path);
    REQUIRE(dead != NULL);
    PGconn *c = db_open();
    PQclear(PQexec(c, "CREATE TABLE t_bad (id bigint, v bigint, note text CHECK (note <> 'no'))"));
    sl_sink *s = open_pg("t_bad", "name: warehouse\n");
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id,v,note", 8);
    for (int i = 0; i < 6; i++) {
        sl_value *r = add_row(b, (uint64_t)i + 1);
        set_int(r, 0, i);
        if (i == 1)
            set_str(b, r, 1, "abc"); /* the server rejects it */
        else if (i == 2)
            set_float(r, 1, 1.5); /* set aside before sending */
        else if (i == 3)
            set_str(b, r, 1, "42"); /* parses */
        else
            set_int(r, 1, i * 10);
        set_str(b, r, 2, i == 4 ? "no" : "fine"); /* a constraint */
    }
    CHECK_EQ(write1(s, b, dead), SL_SINK_OK);
    CHECK_EQ(db_int(c, "SELECT count(*) FROM t_bad"), 3);
    CHECK(!strcmp(db_text(c, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t_bad"), "0,3,5"));
    CHECK_EQ(db_int(c, "SELECT v FROM t_bad WHERE id = 3"), 42);
    CHECK_EQ(sl_deadletter_count(dead), 3);
    sl_deadletter_close(dead);
    json_t *lines = read_dead(dead_path);
    const char *want[] = {"invalid input syntax for type bigint",
                          "a float cannot go in a column of type integer",
                          "violates check constraint"};
    int want_id[] = {1, 2, 4};
    /* In the order of the records. */
    for (size_t i = 0; i < 3 && i < json_array_size(lines); i++) {
        json_t *l = json_array_get(lines, i);
        const char *reason = json_string_value(json_object_get(l, "reason"));
        if (!CHECK(reason && strstr(reason, want[i]))) check_note("reason: %s", reason);
        CHECK(!strcmp(json_string_value(json_object_get(l, "stage")), "warehouse"));
        CHECK_EQ(json_integer_value(json_object_get(json_object_get(l, "record"), "id")),
                 want_id[i]);
    }
    json_decref(lines);
    s->ops->close(s);
    PQfinish(c);
    sl_batch_free(b);
    rm_tree(dir);
}

TEST(postgres_key_makes_repeats_harmless) {
    if (!pg_url()) return;
    sl_sink *s = open_pg("t_key", "key: id\n");
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id,v", 100);
    for (int i = 0; i < 100; i++) {
        sl_value *r = add_row(b, (uint64_t)i + 1);
        set_int(r, 0, i);
        set_str(b, r, 1, i == 50 ? "x\ty" : "v");
    }
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    s->ops->close(s);
    s = open_pg("t_key", "key: id\n");
    REQUIRE(s != NULL);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    PGconn *c = db_open();
    CHECK_EQ(db_int(c, "SELECT count(*) FROM t_key"), 100);
    CHECK(!strcmp(db_text(c, "SELECT v FROM t_key WHERE id = 50"), "x\ty"));
    CHECK_EQ(db_int(c, "SELECT count(*) FROM pg_indexes WHERE tablename = 't_key' AND "
                       "indexdef LIKE 'CREATE UNIQUE INDEX%'"),
             1);
    PQfinish(c);
    s->ops->close(s);
    sl_batch_free(b);
}

/* ---- The server goes away ---------------------------------------------------------------- */

typedef struct {
    _Atomic int written; /* batches written by the writer */
    _Atomic bool restarted;
} outage;

static void *stop_and_start(void *arg) {
    outage *o = arg;
    while (atomic_load(&o->written) < 10)
        usleep(1000);
    pg_ctl("stop");
    usleep(300 * 1000);
    pg_ctl("start");
    atomic_store(&o->restarted, true);
    return NULL;
}

TEST(postgres_server_restart_loses_nothing) {
    if (!pg_url()) return;
    sl_sink *s = open_pg("t_restart", NULL);
    REQUIRE(s != NULL);
    outage o = {0};
    pthread_t t;
    pthread_create(&t, NULL, stop_and_start, &o);
    /* The writer goes on like the engine: the same batch again after a RETRY. */
    int batches = 0, retries = 0, after = 0, id = 0;
    double start = now_ms();
    const int per = 50;
    while ((batches < 20 || !atomic_load(&o.restarted) || after < 5) && now_ms() - start < 30000) {
        sl_batch *b = new_batch("id,v", per);
        for (int i = 0; i < per; i++) {
            sl_value *r = add_row(b, (uint64_t)id + i + 1);
            set_int(r, 0, id + i);
            set_str(b, r, 1, "payload");
        }
        sl_sink_result r = write_retrying(s, b, NULL, 600, 50, &retries);
        if (!CHECK_EQ(r, SL_SINK_OK)) check_note("write: %s", err);
        sl_batch_free(b);
        if (r != SL_SINK_OK) break;
        id += per;
        batches++;
        atomic_fetch_add(&o.written, 1);
        if (atomic_load(&o.restarted) && retries > 0) after++;
        usleep(5000);
    }
    pthread_join(t, NULL);
    if (CHECK(retries > 0)) check_note("first RETRY: %s", first_retry);
    /* And once more, step by step: down, RETRY, RETRY, up, OK. */
    sl_batch *b = new_batch("id,v", 1);
    set_int(add_row(b, (uint64_t)id + 1), 0, id);
    id++;
    pg_ctl("stop");
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    if (!CHECK(strstr(err, "postgres connecting") != NULL)) check_note("%s", err);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    pg_ctl("start");
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    sl_batch_free(b);
    s->ops->close(s);

    PGconn *c = db_open();
    CHECK_EQ(db_int(c, "SELECT count(DISTINCT id) FROM t_restart"), id);
    /* The sink asks the server about a commit whose answer was lost: no duplicates. */
    CHECK_EQ(db_int(c, "SELECT count(*) FROM t_restart"), id);
    CHECK_EQ(db_int(c, "SELECT max(id) FROM t_restart"), id - 1);
    PQfinish(c);
    check_note("%d records in %d batches, %d RETRYs", id, batches + 1, retries + 2);
}

TEST(postgres_refused_and_settings) {
    /* Nothing listens on port 1: connection refused. */
    sl_sink *s = open_sink("type: postgres\nurl: postgres://sluice@127.0.0.1:1/x\n");
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id", 1);
    set_int(add_row(b, 1), 0, 1);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    if (!CHECK(strstr(err, "postgres connecting") && strstr(err, "refused"))) check_note("%s", err);
    s->ops->close(s);
    sl_batch_free(b);
    const char *e = open_error("type: postgres\nurl: \"host=x bogus=1\"\n");
    if (!CHECK(e && strstr(e, "test.yaml:1: sink 1: \"url\": invalid connection option \"bogus\"")))
        check_note("%s", e);
    e = open_error("type: postgres\nurl: postgres://x/y\ntable: t\nschema: s\ncolumns: 3\n");
    CHECK(e && strstr(e, "unknown setting \"columns\""));
}

/* A COMMIT whose answer is lost (a proxy cuts the connection after passing it on): RETRY,
 * then the sink asks the server, learns that it committed, and does not write it twice. */
TEST(postgres_lost_commit_answer) {
    const char *url = pg_url();
    if (!url) return;
    const char *at = strrchr(url, ':');
    int port = at ? atoi(at + 1) : 0;
    REQUIRE(port > 0);
    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    peer proxy;
    REQUIRE(peer_start_script(&proxy, "pgproxy.py", port_arg));
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "type: postgres\nurl: postgres://sluice@127.0.0.1:%d/postgres\ntable: t_lost\n",
             proxy.port);
    sl_sink *s = open_sink(yaml);
    REQUIRE(s != NULL);
    sl_batch *b = new_batch("id", 10);
    for (int i = 0; i < 10; i++)
        set_int(add_row(b, (uint64_t)i + 1), 0, i);
    CHECK_EQ(sink_write(s, b, NULL), SL_SINK_RETRY);
    if (!CHECK(strstr(err, "postgres committing") != NULL)) check_note("%s", err);
    char marker[600];
    snprintf(marker, sizeof marker, "%s/port.dropped", proxy.dir);
    CHECK(access(marker, F_OK) == 0);
    CHECK_EQ(write1(s, b, NULL), SL_SINK_OK);
    /* The next batch goes through normally. */
    sl_batch *c = new_batch("id", 1);
    set_int(add_row(c, 11), 0, 10);
    CHECK_EQ(write1(s, c, NULL), SL_SINK_OK);
    s->ops->close(s);
    PGconn *db = db_open();
    CHECK_EQ(db_int(db, "SELECT count(*) FROM t_lost"), 11);
    CHECK_EQ(db_int(db, "SELECT count(DISTINCT id) FROM t_lost"), 11);
    PQfinish(db);
    sl_batch_free(b);
    sl_batch_free(c);
    peer_stop(&proxy);
}
