/*
 * sink_postgres.c - the `postgres` sink: each batch is one transaction holding one
 * `COPY ... FROM STDIN` (text format).
 *
 *   - type: postgres
 *     url: postgres://user@host:5432/db   # or a libpq conninfo "host=... dbname=..."
 *     table: readings      # default: the pipeline's name, else "records"
 *     schema: public       # optional; default: the connection's search_path
 *     key: id              # optional: a unique index on it, and ON CONFLICT DO NOTHING
 *     connect_timeout: 10s
 *
 * The table is created on the first batch if absent (bigint, double precision, text,
 * boolean, timestamptz, from the values; text for fields null throughout), and fields that
 * appear later are added with ALTER TABLE ... ADD COLUMN IF NOT EXISTS.
 *
 * Delivery. The connection is made on the first write and again after it is lost; any
 * failure to reach the server (refused, lost, shutting down) is a RETRY, and the engine calls
 * write() again after its backoff. A failed transaction applied nothing, so resending the
 * batch is safe. The one unclear case is a COMMIT whose answer was lost: the sink remembers
 * the transaction's id and, when the same batch comes again, asks the server
 * (txid_status) whether it committed; only when the server cannot tell (PostgreSQL < 10, or
 * an id too old) is the batch applied again, which may duplicate it (at-least-once). With
 * `key:`, rows go through a temporary table and INSERT ... ON CONFLICT (key) DO NOTHING, so
 * even then nothing is duplicated (rows with a null key are not deduplicated).
 *
 * Rows the server rejects (a value that does not parse as the column's type, a constraint)
 * fail the whole COPY; the batch is then written again row by row, each under a savepoint,
 * and the rejected rows go to the dead letter (after the commit, so a retried batch does not
 * report them twice). Values that cannot fit their column (a float in a bigint column, a
 * bool in a timestamptz one, a NUL byte in text) are set aside before sending.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/sink.h"
#include "pipeline/sink_table.h"

typedef struct pg_col {
    char *name;
    sl_ftype cls; /* what values it takes: INT, FLOAT, BOOL, TIME; STRING = anything as text */
} pg_col;

typedef struct pg_sink {
    sl_sink base;
    char *url, *table, *schema, *key;
    char *qname; /* "schema"."table", quoted */
    int connect_timeout;
    PGconn *conn;
    pg_col *cols;
    size_t ncols;
    bool cols_known, key_index;
    int *colof; /* per field of the current batch: its column, or -1 */
    /* A COMMIT whose answer was lost: the transaction id and the batch it held. */
    bool pending;
    uint64_t pend_xid, pend_first, pend_last;
    uint32_t pend_n;
    sl_rejects pend_rej;
    sl_buf copy; /* COPY data being built */
} pg_sink;

/* What a failed statement means for the write. */
typedef enum pg_fault {
    PG_CONN,      /* the connection is gone: reconnect, RETRY */
    PG_DATA,      /* a row was rejected: write row by row */
    PG_SCHEMA,    /* the table changed behind us: read its columns again, RETRY */
    PG_TRANSIENT, /* may pass (deadlock, lock timeout, resources): RETRY */
    PG_FATAL,
} pg_fault;

/* ---- Helpers --------------------------------------------------------------------------- */

/* A growable SQL string (an sl_buf: once an append failed, sql_done gives NULL). */
typedef sl_buf sql;

static void sql_cat(sql *q, const char *s) {
    sl_buf_puts(q, s);
}
static void sql_ident(sql *q, const char *name) {
    char *qi = sl_sink_quote_ident(name);
    if (!qi) q->failed = true;
    if (qi) sql_cat(q, qi);
    free(qi);
}
/* The finished text (NULL when out of memory); the caller frees it. */
static char *sql_done(sql *q) {
    if (q->failed || !q->data) {
        sl_buf_free(q);
        return NULL;
    }
    return q->data;
}

static const char *pg_type(sl_ftype t) {
    switch (t) {
    case SL_F_INT: return "bigint";
    case SL_F_FLOAT: return "double precision";
    case SL_F_BOOL: return "boolean";
    case SL_F_TIME: return "timestamptz";
    default: return "text";
    }
}

/* A column's class from its type's name (pg_type.typname). */
static sl_ftype col_class(const char *typname) {
    static const struct {
        const char *name;
        sl_ftype cls;
    } MAP[] = {{"int2", SL_F_INT},     {"int4", SL_F_INT},         {"int8", SL_F_INT},
               {"float4", SL_F_FLOAT}, {"float8", SL_F_FLOAT},     {"numeric", SL_F_FLOAT},
               {"bool", SL_F_BOOL},    {"timestamptz", SL_F_TIME}, {"timestamp", SL_F_TIME},
               {"date", SL_F_TIME}};
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
        if (!strcmp(MAP[i].name, typname)) return MAP[i].cls;
    return SL_F_STRING;
}

/* The message of the last failure, on one line. */
static void pg_message(pg_sink *s, const PGresult *r, const char *doing, sl_error *err) {
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!*m) m = s->conn ? PQerrorMessage(s->conn) : "not connected";
    if (!*m) m = "no answer";
    sl_errorf(err, SL_ERR_ARGUMENT, "postgres %s: %s", doing, m);
    if (!err) return;
    char *msg = err->message;
    for (char *p = msg; *p; p++)
        if (*p == '\n') *p = ' ';
    size_t len = strlen(msg);
    while (len > 0 && msg[len - 1] == ' ') /* the message's final newline */
        msg[--len] = 0;
}

static pg_fault classify(pg_sink *s, const PGresult *r) {
    if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD || !r) return PG_CONN;
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (!st) return PG_CONN; /* errors libpq makes itself are about the connection */
    if (!strncmp(st, "08", 2) || !strncmp(st, "57P0", 4)) return PG_CONN;
    if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2)) return PG_DATA;
    if (!strcmp(st, "42P01") || !strcmp(st, "42703") || !strcmp(st, "42P07") ||
        !strcmp(st, "42701"))
        return PG_SCHEMA;
    if (!strncmp(st, "40", 2) || !strncmp(st, "53", 2) || !strncmp(st, "55", 2) ||
        !strncmp(st, "57", 2) || !strncmp(st, "58", 2) || !strncmp(st, "XX", 2))
        return PG_TRANSIENT;
    return PG_FATAL;
}

static void disconnect(pg_sink *s) {
    if (s->conn) PQfinish(s->conn);
    s->conn = NULL;
    s->key_index = false;
}

static void forget_cols(pg_sink *s) {
    for (size_t i = 0; i < s->ncols; i++)
        free(s->cols[i].name);
    free(s->cols);
    s->cols = NULL;
    s->ncols = 0;
    s->cols_known = false;
}

/* What a failure means for write(): drops a lost connection and forgotten columns. */
static sl_sink_result fault_result(pg_sink *s, pg_fault f) {
    switch (f) {
    case PG_CONN: disconnect(s); return SL_SINK_RETRY;
    case PG_SCHEMA: forget_cols(s); return SL_SINK_RETRY;
    case PG_FATAL: return SL_SINK_FATAL;
    default: return SL_SINK_RETRY;
    }
}

static void quiet(void *arg, const char *msg) {
    (void)arg, (void)msg;
}

static bool connect_db(pg_sink *s, sl_error *err) {
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", s->connect_timeout);
    /* Defaults first: the url (expanded from dbname) overrides them. Keepalives and a TCP
     * user timeout turn a peer that vanished without a word into an error, not a hang. */
    const char *keys[] = {"connect_timeout",  "keepalives",
                          "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout",
                          "application_name", "client_encoding",
                          "dbname",           NULL};
    const char *vals[] = {timeout, "1", "30", "10", "3", "60000", "sluice", "UTF8", s->url, NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        pg_message(s, NULL, "connecting", err);
        disconnect(s);
        return false;
    }
    PQsetNoticeProcessor(s->conn, quiet, NULL); /* "already exists, skipping" */
    return true;
}

/* Runs a statement that returns no rows; on failure, the fault (message in err). */
static bool run(pg_sink *s, const char *q, const char *doing, pg_fault *fault, sl_error *err) {
    PGresult *r = PQexec(s->conn, q);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) {
        pg_message(s, r, doing, err);
        *fault = classify(s, r);
    }
    PQclear(r);
    return ok;
}

/* ---- The table --------------------------------------------------------------------------- */

static bool load_cols(pg_sink *s, pg_fault *fault, sl_error *err) {
    forget_cols(s);
    const char *q = "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = "
                    "a.atttypid WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT "
                    "a.attisdropped ORDER BY a.attnum";
    const char *params[] = {s->qname};
    PGresult *r = PQexecParams(s->conn, q, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_message(s, r, "reading the table's columns", err);
        *fault = classify(s, r);
        PQclear(r);
        return false;
    }
    int n = PQntuples(r);
    s->cols = calloc(n ? (size_t)n : 1, sizeof *s->cols);
    for (int i = 0; s->cols && i < n; i++) {
        s->cols[i].name = strdup(PQgetvalue(r, i, 0));
        s->cols[i].cls = col_class(PQgetvalue(r, i, 1));
        if (s->cols[i].name) s->ncols++;
    }
    PQclear(r);
    if (!s->cols || s->ncols != (size_t)n) {
        forget_cols(s);
        sl_errorf(err, SL_ERR_NOMEM, "postgres: out of memory");
        *fault = PG_TRANSIENT;
        return false;
    }
    s->cols_known = true;
    return true;
}

static int find_col(const pg_sink *s, const char *name) {
    for (size_t i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return (int)i;
    return -1;
}

/* Runs the statement q holds (and frees it). */
static bool run_sql(pg_sink *s, sql *q, const char *doing, pg_fault *fault, sl_error *err) {
    char *text = sql_done(q);
    if (!text) {
        *fault = PG_TRANSIENT;
        sl_errorf(err, SL_ERR_NOMEM, "postgres: out of memory");
        return false;
    }
    bool ok = run(s, text, doing, fault, err);
    free(text);
    return ok;
}

static bool add_column(pg_sink *s, const char *name, const char *type, pg_fault *fault,
                       sl_error *err) {
    sql q = {0};
    sql_cat(&q, "ALTER TABLE ");
    sql_cat(&q, s->qname);
    sql_cat(&q, " ADD COLUMN IF NOT EXISTS ");
    sql_ident(&q, name);
    sql_cat(&q, " ");
    sql_cat(&q, type);
    return run_sql(s, &q, "adding a column", fault, err);
}

/* Creates the table, adds new fields, makes the key's index; maps fields to columns. DDL runs
 * in its own transactions: a later failure of the batch leaves a correct table behind. */
static bool ensure_table(pg_sink *s, const sl_batch *b, pg_fault *fault, sl_error *err) {
    const sl_schema *sc = b->schema;
    if (!s->cols_known && !load_cols(s, fault, err)) return false;
    bool changed = false;
    if (s->ncols == 0) {
        sql q = {0};
        sql_cat(&q, "CREATE TABLE IF NOT EXISTS ");
        sql_cat(&q, s->qname);
        sql_cat(&q, " (");
        bool key_in = false;
        for (uint32_t f = 0; f < sc->nfields; f++) {
            if (f) sql_cat(&q, ", ");
            sql_ident(&q, sc->names[f]);
            sql_cat(&q, " ");
            sql_cat(&q, pg_type(sl_sink_field_type(b, f)));
            key_in |= s->key && !strcmp(s->key, sc->names[f]);
        }
        if (s->key && !key_in) {
            sql_cat(&q, ", ");
            sql_ident(&q, s->key);
            sql_cat(&q, " text");
        }
        sql_cat(&q, ")");
        if (!run_sql(s, &q, "creating the table", fault, err)) return false;
        changed = true;
    } else {
        for (uint32_t f = 0; f < sc->nfields; f++) {
            if (find_col(s, sc->names[f]) >= 0) continue;
            if (!add_column(s, sc->names[f], pg_type(sl_sink_field_type(b, f)), fault, err))
                return false;
            changed = true;
        }
        if (s->key && find_col(s, s->key) < 0) {
            if (!add_column(s, s->key, "text", fault, err)) return false;
            changed = true;
        }
    }
    /* IF NOT EXISTS may have met a column someone else made: read the real types. */
    if (changed && !load_cols(s, fault, err)) return false;
    if (s->key && !s->key_index) {
        sql q = {0};
        sql_cat(&q, "CREATE UNIQUE INDEX IF NOT EXISTS ");
        char idx[200];
        snprintf(idx, sizeof idx, "%.90s_%.90s_key", s->table, s->key);
        sql_ident(&q, idx);
        sql_cat(&q, " ON ");
        sql_cat(&q, s->qname);
        sql_cat(&q, " (");
        sql_ident(&q, s->key);
        sql_cat(&q, ")");
        if (!run_sql(s, &q, "creating the key's unique index", fault, err)) return false;
        s->key_index = true;
    }
    free(s->colof);
    s->colof = malloc((sc->nfields ? sc->nfields : 1) * sizeof *s->colof);
    if (!s->colof) {
        *fault = PG_TRANSIENT;
        sl_errorf(err, SL_ERR_NOMEM, "postgres: out of memory");
        return false;
    }
    for (uint32_t f = 0; f < sc->nfields; f++)
        s->colof[f] = find_col(s, sc->names[f]);
    return true;
}

/* ---- Values ------------------------------------------------------------------------------ */

/* Value v as text for a column of class cls, into buf (or *str/len for strings in the arena);
 * false with the reason when it cannot fit. */
static bool render(const sl_batch *b, const sl_value *v, sl_ftype cls, char *buf, const char **str,
                   size_t *len, char *why, size_t whylen) {
    *str = buf;
    switch ((sl_ftype)v->type) {
    case SL_F_STRING:
        *str = sl_batch_str(b, v);
        *len = v->len;
        if (memchr(*str, 0, *len)) {
            snprintf(why, whylen, "contains a NUL byte");
            return false;
        }
        return true; /* the server parses it for other column types */
    case SL_F_INT:
        if (cls == SL_F_BOOL || cls == SL_F_TIME) break;
        *len = (size_t)snprintf(buf, 40, "%lld", (long long)v->v.i);
        return true;
    case SL_F_FLOAT: {
        double d = v->v.f;
        if (cls == SL_F_BOOL || cls == SL_F_TIME) break;
        if (cls == SL_F_INT) {
            if (d != floor(d) || !(d >= -9.2e18 && d <= 9.2e18)) break;
            *len = (size_t)snprintf(buf, 40, "%lld", (long long)d);
            return true;
        }
        if (isnan(d))
            *len = (size_t)snprintf(buf, 40, "NaN");
        else if (isinf(d))
            *len = (size_t)snprintf(buf, 40, "%sInfinity", d < 0 ? "-" : "");
        else
            *len = (size_t)snprintf(buf, 40, "%.17g", d);
        return true;
    }
    case SL_F_BOOL:
        if (cls != SL_F_BOOL && cls != SL_F_STRING) break;
        *len = (size_t)snprintf(buf, 40, "%s", v->v.b ? "true" : "false");
        return true;
    case SL_F_TIME:
        if (cls != SL_F_TIME && cls != SL_F_STRING) break;
        *len = sl_format_time(v->v.i, buf);
        return true;
    default: *str = NULL; return true;
    }
    static const char *const NAMES[] = {"null",    "a string", "an int",
                                        "a float", "a bool",   "a timestamp"};
    static const char *const COLS[] = {"", "text", "integer", "float", "boolean", "timestamp"};
    snprintf(why, whylen, "%s cannot go in a column of type %s", NAMES[v->type], COLS[cls]);
    return false;
}

/* Sets aside the records with a value that cannot fit its column. */
static void check_rows(pg_sink *s, const sl_batch *b, sl_rejects *rej) {
    const sl_schema *sc = b->schema;
    char buf[40], why[200], reason[400];
    for (uint32_t i = 0; i < b->n; i++) {
        const sl_value *row = sl_batch_row(b, i);
        for (uint32_t f = 0; f < sc->nfields; f++) {
            const char *str;
            size_t len;
            if (s->colof[f] < 0) continue;
            if (!render(b, &row[f], s->cols[s->colof[f]].cls, buf, &str, &len, why, sizeof why)) {
                snprintf(reason, sizeof reason, "postgres %s: field \"%s\": %s", s->table,
                         sc->names[f], why);
                sl_rejects_add(rej, i, reason);
                break;
            }
        }
    }
}

/* One row in COPY's text format: tabs between fields, \N for null, backslash escapes. */
static bool copy_row(pg_sink *s, const sl_batch *b, uint32_t i) {
    const sl_schema *sc = b->schema;
    const sl_value *row = sl_batch_row(b, i);
    char buf[40], why[200];
    bool first = true, ok = true;
    for (uint32_t f = 0; f < sc->nfields && ok; f++) {
        if (s->colof[f] < 0) continue;
        if (!first) ok = sl_buf_append(&s->copy, "\t", 1);
        first = false;
        const char *str;
        size_t len;
        render(b, &row[f], s->cols[s->colof[f]].cls, buf, &str, &len, why, sizeof why);
        if (!str) {
            ok = ok && sl_buf_append(&s->copy, "\\N", 2);
            continue;
        }
        size_t from = 0;
        for (size_t k = 0; k < len && ok; k++) {
            char c = str[k];
            const char *esc = c == '\\'   ? "\\\\"
                              : c == '\n' ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                                          : NULL;
            if (!esc) continue;
            ok = sl_buf_append(&s->copy, str + from, k - from) && sl_buf_append(&s->copy, esc, 2);
            from = k + 1;
        }
        ok = ok && sl_buf_append(&s->copy, str + from, len - from);
    }
    return ok && sl_buf_append(&s->copy, "\n", 1);
}

/* ---- Writing ----------------------------------------------------------------------------- */

/* The column list "(a, b, c)" of the batch's fields that have columns. */
static void column_list(pg_sink *s, const sl_batch *b, sql *q) {
    sql_cat(q, "(");
    bool first = true;
    for (uint32_t f = 0; f < b->schema->nfields; f++) {
        if (s->colof[f] < 0) continue;
        if (!first) sql_cat(q, ", ");
        first = false;
        sql_ident(q, b->schema->names[f]);
    }
    sql_cat(q, ")");
}

/* BEGIN, and the transaction's id (to ask about it if the COMMIT's answer is lost). */
static bool begin(pg_sink *s, uint64_t *xid, pg_fault *fault, sl_error *err) {
    PGresult *r = PQexec(s->conn, "BEGIN; SELECT txid_current()");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        pg_message(s, r, "beginning a transaction", err);
        *fault = classify(s, r);
        PQclear(r);
        return false;
    }
    *xid = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return true;
}

static void rollback(pg_sink *s) {
    if (s->conn && PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(s->conn, "ROLLBACK");
        PQclear(r);
    }
}

/* COPY of every record not set aside, into the table (or, with a key, through a temporary
 * table and INSERT ... ON CONFLICT DO NOTHING). */
static bool copy_batch(pg_sink *s, const sl_batch *b, const sl_rejects *rej, pg_fault *fault,
                       sl_error *err) {
    sql cols = {0};
    column_list(s, b, &cols);
    char *cl = sql_done(&cols);
    if (!cl) {
        *fault = PG_TRANSIENT;
        sl_errorf(err, SL_ERR_NOMEM, "postgres: out of memory");
        return false;
    }
    bool ok = true;
    sql q = {0};
    if (s->key) {
        sql_cat(&q, "CREATE TEMP TABLE sluice_in ON COMMIT DROP AS SELECT ");
        sl_buf_append(&q, cl + 1, strlen(cl) - 2); /* without the parentheses */
        sql_cat(&q, " FROM ");
        sql_cat(&q, s->qname);
        sql_cat(&q, " WITH NO DATA");
        ok = run_sql(s, &q, "making the staging table", fault, err);
        q = (sql){0};
        sql_cat(&q, "COPY sluice_in ");
    } else {
        sql_cat(&q, "COPY ");
        sql_cat(&q, s->qname);
        sql_cat(&q, " ");
    }
    sql_cat(&q, cl);
    sql_cat(&q, " FROM STDIN");
    char *text = sql_done(&q);
    PGresult *r = ok && text ? PQexec(s->conn, text) : NULL;
    free(text);
    if (ok && PQresultStatus(r) != PGRES_COPY_IN) {
        pg_message(s, r, "starting COPY", err);
        *fault = classify(s, r);
        ok = false;
    }
    PQclear(r);
    /* Rows go out in pieces of about 64 KiB: memory stays small for large batches. */
    s->copy.len = 0;
    bool copying = ok;
    for (uint32_t i = 0; i < b->n && ok; i++) {
        if (sl_rejects_has(rej, i)) continue;
        if (!copy_row(s, b, i)) {
            sl_errorf(err, SL_ERR_NOMEM, "postgres: out of memory");
            *fault = PG_TRANSIENT;
            ok = false;
        } else if (s->copy.len >= 65536) {
            if (PQputCopyData(s->conn, s->copy.data, (int)s->copy.len) != 1) {
                pg_message(s, NULL, "sending rows", err);
                *fault = classify(s, NULL);
                ok = false;
            }
            s->copy.len = 0;
        }
    }
    if (ok && s->copy.len > 0 && PQputCopyData(s->conn, s->copy.data, (int)s->copy.len) != 1) {
        pg_message(s, NULL, "sending rows", err);
        *fault = classify(s, NULL);
        ok = false;
    }
    if (copying) {
        /* Ending with an error message makes the server drop what it got. */
        if (PQputCopyEnd(s->conn, ok ? NULL : "sluice: batch abandoned") != 1 && ok) {
            pg_message(s, NULL, "ending COPY", err);
            *fault = classify(s, NULL);
            ok = false;
        }
        while ((r = PQgetResult(s->conn))) {
            if (ok && PQresultStatus(r) != PGRES_COMMAND_OK) {
                pg_message(s, r, "copying rows", err);
                *fault = classify(s, r);
                ok = false;
            }
            PQclear(r);
            if (PQstatus(s->conn) == CONNECTION_BAD) break;
        }
        if (ok && PQstatus(s->conn) == CONNECTION_BAD) {
            pg_message(s, NULL, "copying rows", err);
            *fault = PG_CONN;
            ok = false;
        }
    }
    if (ok && s->key) {
        q = (sql){0};
        sql_cat(&q, "INSERT INTO ");
        sql_cat(&q, s->qname);
        sql_cat(&q, " ");
        sql_cat(&q, cl);
        sql_cat(&q, " SELECT * FROM sluice_in ON CONFLICT (");
        sql_ident(&q, s->key);
        sql_cat(&q, ") DO NOTHING");
        ok = run_sql(s, &q, "inserting rows", fault, err);
    }
    free(cl);
    return ok;
}

/* Row by row, each under a savepoint: rows the server rejects are added to rej. */
static bool insert_rows(pg_sink *s, const sl_batch *b, sl_rejects *rej, pg_fault *fault,
                        sl_error *err) {
    const sl_schema *sc = b->schema;
    sql q = {0};
    sql_cat(&q, "INSERT INTO ");
    sql_cat(&q, s->qname);
    sql_cat(&q, " ");
    column_list(s, b, &q);
    sql_cat(&q, " VALUES (");
    int np = 0;
    for (uint32_t f = 0; f < sc->nfields; f++) {
        if (s->colof[f] < 0) continue;
        char p[16];
        snprintf(p, sizeof p, "%s$%d", np ? ", " : "", np + 1);
        sql_cat(&q, p);
        np++;
    }
    sql_cat(&q, ")");
    if (s->key) {
        sql_cat(&q, " ON CONFLICT (");
        sql_ident(&q, s->key);
        sql_cat(&q, ") DO NOTHING");
    }
    char *text = sql_done(&q);
    const char **params = calloc(np ? (size_t)np : 1, sizeof *params);
    char(*bufs)[40] = calloc(np ? (size_t)np : 1, sizeof *bufs);
    char **owned = calloc(np ? (size_t)np : 1, sizeof *owned);
    bool ok = text && params && bufs && owned;
    if (!ok) *fault = PG_TRANSIENT, sl_errorf(err, SL_ERR_NOMEM, "postgres: out of memory");
    sl_rejects found = {0};
    for (uint32_t i = 0; i < b->n && ok; i++) {
        if (sl_rejects_has(rej, i)) continue;
        const sl_value *row = sl_batch_row(b, i);
        int k = 0;
        for (uint32_t f = 0; f < sc->nfields && ok; f++) {
            if (s->colof[f] < 0) continue;
            const char *str;
            size_t len;
            char why[200];
            render(b, &row[f], s->cols[s->colof[f]].cls, bufs[k], &str, &len, why, sizeof why);
            /* Parameters are NUL-terminated: strings from the arena get a copy. */
            owned[k] = str && str != bufs[k] ? strndup(str, len) : NULL;
            params[k] = str == bufs[k] ? bufs[k] : owned[k];
            if (str && !params[k]) ok = false, *fault = PG_TRANSIENT;
            k++;
        }
        if (ok) ok = run(s, "SAVEPOINT sluice_row", "savepoint", fault, err);
        PGresult *r = ok ? PQexecParams(s->conn, text, np, NULL, params, NULL, NULL, 0) : NULL;
        if (ok && PQresultStatus(r) != PGRES_COMMAND_OK) {
            sl_error why;
            pg_message(s, r, "inserting a row", &why);
            pg_fault f = classify(s, r);
            if (f == PG_DATA) {
                sl_rejects_add(&found, i, why.message);
                ok = run(s, "ROLLBACK TO SAVEPOINT sluice_row", "rolling back a row", fault, err);
            } else {
                if (err) *err = why;
                *fault = f;
                ok = false;
            }
        } else if (ok) {
            ok = run(s, "RELEASE SAVEPOINT sluice_row", "savepoint", fault, err);
        }
        PQclear(r);
        for (int j = 0; j < k; j++) {
            free(owned[j]);
            owned[j] = NULL;
        }
    }
    /* Merge, keeping indices in order (both lists are sorted). */
    if (ok && found.n) {
        sl_rejects all = {0};
        size_t a = 0, c = 0;
        while (a < rej->n || c < found.n) {
            bool take_rej = c == found.n || (a < rej->n && rej->idx[a] < found.idx[c]);
            sl_rejects *from = take_rej ? rej : &found;
            size_t at = take_rej ? a++ : c++;
            sl_rejects_add(&all, from->idx[at], from->why[at] ? from->why[at] : "rejected");
        }
        sl_rejects_clear(rej);
        *rej = all;
    }
    sl_rejects_clear(&found);
    free(text);
    free(params);
    free(bufs);
    free(owned);
    return ok;
}

/* COMMIT. A lost answer leaves s->pending set: the outcome is asked for on the next write. */
static bool commit(pg_sink *s, const sl_batch *b, uint64_t xid, sl_rejects *rej, pg_fault *fault,
                   sl_error *err) {
    s->pending = true;
    s->pend_xid = xid;
    s->pend_n = b->n;
    s->pend_first = b->pos ? b->pos[0] : 0;
    s->pend_last = b->pos ? b->pos[b->n - 1] : 0;
    sl_rejects_clear(&s->pend_rej);
    s->pend_rej = *rej;
    *rej = (sl_rejects){0};
    if (run(s, "COMMIT", "committing", fault, err)) return true;
    if (*fault != PG_CONN) {
        /* The server answered: nothing was applied. */
        s->pending = false;
        *rej = s->pend_rej;
        s->pend_rej = (sl_rejects){0};
    }
    return false;
}

/* One attempt at the batch on the open connection. *before_commit tells whether a lost
 * connection was lost before COMMIT was sent (then nothing can have been applied). */
static sl_sink_result attempt(pg_sink *s, const sl_batch *b, sl_deadletter *dead, sl_error *err,
                              bool *before_commit) {
    pg_fault fault = PG_FATAL;
    sl_rejects rej = {0};
    uint64_t xid = 0;
    *before_commit = true;
    if (!ensure_table(s, b, &fault, err)) goto failed;
    check_rows(s, b, &rej);
    if (!begin(s, &xid, &fault, err)) goto failed;
    if (!copy_batch(s, b, &rej, &fault, err)) {
        if (fault != PG_DATA) goto failed;
        /* Some row was rejected: find which, one by one, in a new transaction. */
        rollback(s);
        if (!begin(s, &xid, &fault, err)) goto failed;
        if (!insert_rows(s, b, &rej, &fault, err)) goto failed;
    }
    *before_commit = false;
    if (!commit(s, b, xid, &rej, &fault, err)) goto failed;
    s->pending = false;
    sl_rejects_flush(&s->pend_rej, dead, s->base.name, b);
    return SL_SINK_OK;

failed:
    if (fault == PG_DATA) fault = PG_TRANSIENT; /* a data error where none was expected */
    if (fault != PG_CONN) rollback(s);
    sl_rejects_clear(&rej);
    return fault_result(s, fault);
}

/* After a lost COMMIT answer: whether that transaction committed ("committed", "aborted",
 * "in progress", or "unknown" when the server cannot tell). */
static const char *ask_outcome(pg_sink *s, pg_fault *fault, sl_error *err) {
    char xid[24];
    snprintf(xid, sizeof xid, "%llu", (unsigned long long)s->pend_xid);
    const char *params[] = {xid};
    PGresult *r =
        PQexecParams(s->conn, "SELECT txid_status($1::bigint)", 1, NULL, params, NULL, NULL, 0);
    const char *out = "unknown";
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        const char *v = PQgetvalue(r, 0, 0);
        out = !strcmp(v, "committed")     ? "committed"
              : !strcmp(v, "in progress") ? "in progress"
                                          : "aborted";
    } else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_message(s, r, "asking for the last commit's outcome", err);
        *fault = classify(s, r);
        if (*fault == PG_CONN) out = NULL;
    }
    PQclear(r);
    return out;
}

static sl_sink_result pg_write(sl_sink *base, const sl_batch *b, sl_deadletter *dead,
                               sl_error *err) {
    pg_sink *s = (pg_sink *)base;
    if (b->n == 0 || b->schema->nfields == 0) return SL_SINK_OK;
    bool fresh = false;
    if (!s->conn) {
        if (!connect_db(s, err)) return SL_SINK_RETRY;
        fresh = true;
    }
    if (s->pending) {
        bool same = s->pend_n == b->n &&
                    (!b->pos || (s->pend_first == b->pos[0] && s->pend_last == b->pos[b->n - 1]));
        if (same) {
            pg_fault fault;
            const char *outcome = ask_outcome(s, &fault, err);
            if (!outcome) return fault_result(s, fault);
            if (!strcmp(outcome, "committed")) {
                s->pending = false;
                sl_rejects_flush(&s->pend_rej, dead, s->base.name, b);
                return SL_SINK_OK;
            }
            if (!strcmp(outcome, "in progress")) {
                sl_errorf(err, SL_ERR_ARGUMENT,
                          "postgres: waiting for the outcome of the last commit");
                return SL_SINK_RETRY;
            }
            /* Aborted, or unknown: apply it (again). */
        }
        s->pending = false;
        sl_rejects_clear(&s->pend_rej);
    }
    bool before_commit;
    sl_sink_result r = attempt(s, b, dead, err, &before_commit);
    /* A connection that had been idle may have died meanwhile (a server restart): one new
     * connection right away, rather than a backoff. */
    if (r == SL_SINK_RETRY && !s->conn && !fresh && before_commit) {
        if (!connect_db(s, err)) return SL_SINK_RETRY;
        r = attempt(s, b, dead, err, &before_commit);
    }
    return r;
}

static void pg_close(sl_sink *base) {
    pg_sink *s = (pg_sink *)base;
    disconnect(s);
    forget_cols(s);
    sl_rejects_clear(&s->pend_rej);
    free(s->colof);
    sl_buf_free(&s->copy);
    free(s->url);
    free(s->table);
    free(s->schema);
    free(s->key);
    free(s->qname);
    free(s);
}

static const sl_sink_ops PG_OPS = {"postgres", pg_write, pg_close};

sl_sink *sl_sink_postgres_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {
        "type", "name", "url", "table", "schema", "key", "connect_timeout", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *url = ok ? sl_conf_str(c, section, "url", NULL, &ok) : NULL;
    const char *table = ok ? sl_conf_str(c, section, "table", "records", &ok) : NULL;
    const char *schema = ok ? sl_conf_str(c, section, "schema", "", &ok) : NULL;
    const char *key = ok ? sl_conf_str(c, section, "key", "", &ok) : NULL;
    int64_t timeout = ok ? sl_conf_ms(c, section, "connect_timeout", 10000, &ok) : 0;
    if (!ok) return NULL;
    if (!*table) return sl_conf_fail(c, section, "\"table\" must not be empty"), NULL;
    /* A malformed url is an error now, not a RETRY forever. */
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (!opts) {
        size_t n = msg ? strlen(msg) : 0;
        while (n && msg[n - 1] == '\n')
            msg[--n] = 0;
        sl_conf_fail(c, section, "\"url\": %s", msg ? msg : "out of memory");
        PQfreemem(msg);
        return NULL;
    }
    PQconninfoFree(opts);

    pg_sink *s = calloc(1, sizeof *s);
    if (!s) return sl_conf_fail(c, section, "out of memory"), NULL;
    s->base.ops = &PG_OPS;
    snprintf(s->base.name, sizeof s->base.name, "postgres");
    s->url = strdup(url);
    s->table = strdup(table);
    s->schema = *schema ? strdup(schema) : NULL;
    s->key = *key ? strdup(key) : NULL;
    /* libpq counts whole seconds; 0 would mean forever. */
    s->connect_timeout = timeout <= 0        ? 1
                         : timeout > 3600000 ? 3600
                                             : (int)((timeout + 999) / 1000);
    sql q = {0};
    if (*schema) {
        sql_ident(&q, schema);
        sql_cat(&q, ".");
    }
    sql_ident(&q, table);
    s->qname = sql_done(&q);
    if (!s->url || !s->table || (*schema && !s->schema) || (*key && !s->key) || !s->qname) {
        pg_close(&s->base);
        return sl_conf_fail(c, section, "out of memory"), NULL;
    }
    return &s->base;
}
