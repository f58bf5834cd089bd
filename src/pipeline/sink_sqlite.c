/*
 * sink_sqlite.c - the `sqlite` sink: each batch is one transaction (WAL journal) on a table
 * made from the records' fields.
 *
 *   - type: sqlite
 *     path: out.db          # relative paths: to the pipeline file's folder
 *     table: readings       # default: the pipeline's name, else "records"
 *     key: id               # optional: a unique index on it; records whose key is already
 *                           # there are skipped (so a repeated batch adds nothing)
 *     busy_timeout: 5s      # how long to wait for another writer before RETRY
 *     synchronous: full     # or normal (WAL: durable against crashes, not power loss)
 *
 * The table is created on the first batch with a column per field, typed from the values
 * (INTEGER, REAL, TEXT; bools as INTEGER 0/1, timestamps as ISO 8601 TEXT, fields that are
 * null throughout with no type); fields that appear later are added with ALTER TABLE, in the
 * batch's transaction. A busy or locked database is a RETRY. Rows the database rejects (a
 * constraint of a table made elsewhere) go to the dead letter; the rest commit.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/sink.h"
#include "pipeline/sink_table.h"

typedef struct sqlite_sink {
    sl_sink base;
    char *path, *table, *key;
    int busy_ms;
    bool sync_full;
    sqlite3 *db;
    bool ready; /* pragmas applied */
    /* The table's columns as last read (NULL: read them again). */
    char **cols;
    size_t ncols, cols_cap;
    bool cols_known;
    /* The INSERT for one schema, and each field's parameter (0: a duplicate name, left out). */
    sl_schema *ins_schema;
    sqlite3_stmt *ins;
    int *param;
} sqlite_sink;

static const char *sql_type(sl_ftype t) {
    switch (t) {
    case SL_F_INT:
    case SL_F_BOOL: return " INTEGER";
    case SL_F_FLOAT: return " REAL";
    case SL_F_STRING:
    case SL_F_TIME: return " TEXT";
    default: return ""; /* no affinity: values are stored as they come */
    }
}

/* Whether an error may pass (another writer, a full disk, I/O trouble). */
static bool transient(int rc) {
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM: return true;
    default: return false;
    }
}

static sl_sink_result fail(sqlite_sink *s, int rc, const char *doing, sl_error *err) {
    sl_errorf(err, SL_ERR_ARGUMENT, "sqlite %s: %s: %s", s->path, doing,
              s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return transient(rc) ? SL_SINK_RETRY : SL_SINK_FATAL;
}

static void forget_cols(sqlite_sink *s) {
    for (size_t i = 0; i < s->ncols; i++)
        free(s->cols[i]);
    free(s->cols);
    s->cols = NULL;
    s->ncols = s->cols_cap = 0;
    s->cols_known = false;
}

static void forget_insert(sqlite_sink *s) {
    sqlite3_finalize(s->ins);
    s->ins = NULL;
    if (s->ins_schema) sl_schema_unref(s->ins_schema);
    s->ins_schema = NULL;
    free(s->param);
    s->param = NULL;
}

/* SQLite column names compare without regard to ASCII case. */
static bool has_col(const sqlite_sink *s, const char *name) {
    for (size_t i = 0; i < s->ncols; i++)
        if (!strcasecmp(s->cols[i], name)) return true;
    return false;
}

static bool add_col(sqlite_sink *s, const char *name) {
    if (!sl_grow(&s->cols, &s->cols_cap, s->ncols + 1, sizeof *s->cols)) return false;
    if (!(s->cols[s->ncols] = strdup(name))) return false;
    s->ncols++;
    return true;
}

static int exec(sqlite_sink *s, const char *sql) {
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

static int load_cols(sqlite_sink *s) {
    forget_cols(s);
    char *qt = sl_sink_quote_ident(s->table);
    char *sql = qt ? sqlite3_mprintf("PRAGMA table_info(%s)", qt) : NULL;
    free(qt);
    if (!sql) return SQLITE_NOMEM;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!add_col(s, (const char *)sqlite3_column_text(st, 1))) rc = SQLITE_NOMEM;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rc;
    s->cols_known = true;
    return SQLITE_OK;
}

/* Creates the table or adds the batch's new fields (inside the batch's transaction). */
static int ensure_table(sqlite_sink *s, const sl_batch *b, const char **doing) {
    int rc;
    *doing = "reading the table's columns";
    if (!s->cols_known && (rc = load_cols(s)) != SQLITE_OK) return rc;
    const sl_schema *sc = b->schema;
    char *qt = sl_sink_quote_ident(s->table);
    if (!qt) return SQLITE_NOMEM;
    rc = SQLITE_OK;
    if (s->ncols == 0) {
        *doing = "creating the table";
        sqlite3_str *q = sqlite3_str_new(s->db);
        sqlite3_str_appendf(q, "CREATE TABLE IF NOT EXISTS %s (", qt);
        size_t ncol = 0;
        for (uint32_t f = 0; f < sc->nfields; f++) {
            bool dup = false;
            for (uint32_t g = 0; g < f && !dup; g++)
                dup = !strcasecmp(sc->names[g], sc->names[f]);
            if (dup) continue;
            char *qf = sl_sink_quote_ident(sc->names[f]);
            sqlite3_str_appendf(q, "%s%s%s", ncol++ ? ", " : "", qf ? qf : "\"\"",
                                sql_type(sl_sink_field_type(b, f)));
            free(qf);
        }
        if (s->key && !has_col(s, s->key)) {
            bool in_batch = false;
            for (uint32_t f = 0; f < sc->nfields && !in_batch; f++)
                in_batch = !strcasecmp(sc->names[f], s->key);
            if (!in_batch) {
                char *qk = sl_sink_quote_ident(s->key);
                sqlite3_str_appendf(q, "%s%s", ncol++ ? ", " : "", qk ? qk : "\"\"");
                free(qk);
            }
        }
        sqlite3_str_appendall(q, ")");
        char *sql = sqlite3_str_finish(q);
        rc = sql ? exec(s, sql) : SQLITE_NOMEM;
        sqlite3_free(sql);
        if (rc == SQLITE_OK) rc = load_cols(s);
    } else {
        *doing = "adding columns";
        for (uint32_t f = 0; f < sc->nfields && rc == SQLITE_OK; f++) {
            if (has_col(s, sc->names[f])) continue;
            char *qf = sl_sink_quote_ident(sc->names[f]);
            char *sql = qf ? sqlite3_mprintf("ALTER TABLE %s ADD COLUMN %s%s", qt, qf,
                                             sql_type(sl_sink_field_type(b, f)))
                           : NULL;
            rc = sql ? exec(s, sql) : SQLITE_NOMEM;
            if (rc == SQLITE_OK && !add_col(s, sc->names[f])) rc = SQLITE_NOMEM;
            sqlite3_free(sql);
            free(qf);
        }
        if (rc == SQLITE_OK && s->key && !has_col(s, s->key)) {
            char *qk = sl_sink_quote_ident(s->key);
            char *sql = qk ? sqlite3_mprintf("ALTER TABLE %s ADD COLUMN %s", qt, qk) : NULL;
            rc = sql ? exec(s, sql) : SQLITE_NOMEM;
            if (rc == SQLITE_OK && !add_col(s, s->key)) rc = SQLITE_NOMEM;
            sqlite3_free(sql);
            free(qk);
        }
    }
    if (rc == SQLITE_OK && s->key) {
        *doing = "creating the key's unique index";
        char *idx_name = sqlite3_mprintf("%s_%s_key", s->table, s->key);
        char *qi = idx_name ? sl_sink_quote_ident(idx_name) : NULL;
        char *qk = sl_sink_quote_ident(s->key);
        char *sql = qi && qk ? sqlite3_mprintf("CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)",
                                               qi, qt, qk)
                             : NULL;
        rc = sql ? exec(s, sql) : SQLITE_NOMEM;
        sqlite3_free(sql);
        sqlite3_free(idx_name);
        free(qi);
        free(qk);
    }
    free(qt);
    return rc;
}

/* The INSERT for b's schema (kept while batches share the schema). */
static int prepare_insert(sqlite_sink *s, const sl_batch *b) {
    if (s->ins && s->ins_schema == b->schema) return SQLITE_OK;
    forget_insert(s);
    const sl_schema *sc = b->schema;
    s->param = calloc(sc->nfields ? sc->nfields : 1, sizeof *s->param);
    char *qt = sl_sink_quote_ident(s->table);
    sqlite3_str *q = sqlite3_str_new(s->db);
    sqlite3_str_appendf(q, "INSERT INTO %s (", qt ? qt : "\"\"");
    int np = 0;
    for (uint32_t f = 0; f < sc->nfields && s->param; f++) {
        bool dup = false;
        for (uint32_t g = 0; g < f && !dup; g++)
            dup = !strcasecmp(sc->names[g], sc->names[f]);
        if (dup) continue; /* SQLite would take both for the same column */
        char *qf = sl_sink_quote_ident(sc->names[f]);
        sqlite3_str_appendf(q, "%s%s", np ? ", " : "", qf ? qf : "\"\"");
        free(qf);
        s->param[f] = ++np;
    }
    sqlite3_str_appendall(q, ") VALUES (");
    for (int i = 0; i < np; i++)
        sqlite3_str_appendall(q, i ? ", ?" : "?");
    sqlite3_str_appendall(q, ")");
    if (s->key) {
        /* Only the key's uniqueness: other constraints still reject rows. */
        char *qk = sl_sink_quote_ident(s->key);
        sqlite3_str_appendf(q, " ON CONFLICT (%s) DO NOTHING", qk ? qk : "\"\"");
        free(qk);
    }
    char *sql = sqlite3_str_finish(q);
    free(qt);
    if (!sql || !s->param) {
        sqlite3_free(sql);
        forget_insert(s);
        return SQLITE_NOMEM;
    }
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &s->ins, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) {
        forget_insert(s);
        return rc;
    }
    s->ins_schema = sl_schema_ref(b->schema);
    return SQLITE_OK;
}

static int bind_row(sqlite_sink *s, const sl_batch *b, uint32_t i) {
    const sl_value *row = sl_batch_row(b, i);
    int rc = SQLITE_OK;
    for (uint32_t f = 0; f < b->schema->nfields && rc == SQLITE_OK; f++) {
        int p = s->param[f];
        if (!p) continue;
        const sl_value *v = &row[f];
        switch ((sl_ftype)v->type) {
        case SL_F_STRING:
            /* The arena does not move during write(): no copy. */
            rc = sqlite3_bind_text64(s->ins, p, sl_batch_str(b, v), v->len, SQLITE_STATIC,
                                     SQLITE_UTF8);
            break;
        case SL_F_INT: rc = sqlite3_bind_int64(s->ins, p, v->v.i); break;
        case SL_F_FLOAT: rc = sqlite3_bind_double(s->ins, p, v->v.f); break;
        case SL_F_BOOL: rc = sqlite3_bind_int(s->ins, p, v->v.b); break;
        case SL_F_TIME: {
            char t[33];
            size_t n = sl_format_time(v->v.i, t);
            rc = sqlite3_bind_text(s->ins, p, t, (int)n, SQLITE_TRANSIENT);
            break;
        }
        default: rc = sqlite3_bind_null(s->ins, p); break;
        }
    }
    return rc;
}

static int open_db(sqlite_sink *s, const char **doing) {
    int rc;
    *doing = "opening";
    if (!s->db) {
        rc =
            sqlite3_open_v2(s->path, &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_close(s->db);
            s->db = NULL;
            return rc;
        }
        sqlite3_busy_timeout(s->db, s->busy_ms);
        sqlite3_extended_result_codes(s->db, 1);
    }
    if (s->ready) return SQLITE_OK;
    *doing = "setting the journal to WAL";
    if ((rc = exec(s, "PRAGMA journal_mode=WAL")) != SQLITE_OK) return rc;
    if ((rc = exec(s, s->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")) !=
        SQLITE_OK)
        return rc;
    s->ready = true;
    return SQLITE_OK;
}

static sl_sink_result sqlite_write(sl_sink *base, const sl_batch *b, sl_deadletter *dead,
                                   sl_error *err) {
    sqlite_sink *s = (sqlite_sink *)base;
    /* Records without fields have nothing to store (and no column to make a table of). */
    if (b->n == 0 || b->schema->nfields == 0) return SL_SINK_OK;
    const char *doing;
    int rc = open_db(s, &doing);
    if (rc != SQLITE_OK) return fail(s, rc, doing, err);
    /* IMMEDIATE takes the write lock now: a busy database fails here, before any work. */
    if ((rc = exec(s, "BEGIN IMMEDIATE")) != SQLITE_OK)
        return fail(s, rc, "beginning a transaction", err);
    sl_rejects rej = {0};
    if ((rc = ensure_table(s, b, &doing)) != SQLITE_OK) goto rollback;
    doing = "preparing the insert";
    if ((rc = prepare_insert(s, b)) != SQLITE_OK) goto rollback;
    doing = "inserting";
    for (uint32_t i = 0; i < b->n; i++) {
        rc = bind_row(s, b, i);
        if (rc == SQLITE_OK) rc = sqlite3_step(s->ins);
        int prim = rc & 0xff;
        if (prim == SQLITE_CONSTRAINT || prim == SQLITE_MISMATCH || prim == SQLITE_TOOBIG ||
            prim == SQLITE_RANGE) {
            /* A statement error undoes only that row; the transaction goes on. */
            char why[300];
            snprintf(why, sizeof why, "sqlite %s: %s", s->table, sqlite3_errmsg(s->db));
            sl_rejects_add(&rej, i, why);
            rc = SQLITE_DONE;
        }
        sqlite3_reset(s->ins);
        sqlite3_clear_bindings(s->ins);
        if (rc != SQLITE_DONE) goto rollback;
    }
    doing = "committing";
    if ((rc = exec(s, "COMMIT")) != SQLITE_OK) goto rollback;
    sl_rejects_flush(&rej, dead, s->base.name, b);
    return SL_SINK_OK;

rollback:;
    sl_sink_result r = fail(s, rc, doing, err);
    if (!sqlite3_get_autocommit(s->db)) exec(s, "ROLLBACK");
    /* Columns added in the transaction are gone again. */
    forget_cols(s);
    sl_rejects_clear(&rej);
    return r;
}

static void sqlite_close(sl_sink *base) {
    sqlite_sink *s = (sqlite_sink *)base;
    forget_insert(s);
    forget_cols(s);
    if (s->db) sqlite3_close(s->db);
    free(s->path);
    free(s->table);
    free(s->key);
    free(s);
}

static const sl_sink_ops SQLITE_OPS = {"sqlite", sqlite_write, sqlite_close};

sl_sink *sl_sink_sqlite_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "name",         "path",        "table",
                                       "key",  "busy_timeout", "synchronous", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *path = ok ? sl_conf_str(c, section, "path", NULL, &ok) : NULL;
    const char *table = ok ? sl_conf_str(c, section, "table", "records", &ok) : NULL;
    const char *key = ok ? sl_conf_str(c, section, "key", "", &ok) : NULL;
    int64_t busy = ok ? sl_conf_ms(c, section, "busy_timeout", 5000, &ok) : 0;
    const char *sync = ok ? sl_conf_str(c, section, "synchronous", "full", &ok) : NULL;
    if (!ok) return NULL;
    if (!*path) return sl_conf_fail(c, section, "\"path\" must not be empty"), NULL;
    if (!*table) return sl_conf_fail(c, section, "\"table\" must not be empty"), NULL;
    if (strcmp(sync, "full") != 0 && strcmp(sync, "normal") != 0)
        return sl_conf_fail(c, section, "\"synchronous\" must be full or normal"), NULL;
    if (busy > INT_MAX) busy = INT_MAX;

    sqlite_sink *s = calloc(1, sizeof *s);
    if (!s) return sl_conf_fail(c, section, "out of memory"), NULL;
    s->base.ops = &SQLITE_OPS;
    snprintf(s->base.name, sizeof s->base.name, "sqlite");
    char full[PATH_MAX];
    if (strcmp(path, ":memory:") == 0)
        s->path = strdup(path);
    else if (sl_conf_path(c, section, path, full, sizeof full))
        s->path = strdup(full);
    s->table = strdup(table);
    s->key = *key ? strdup(key) : NULL;
    s->busy_ms = (int)busy;
    s->sync_full = !strcmp(sync, "full");
    if (!s->path || !s->table || (*key && !s->key)) {
        sqlite_close(&s->base);
        return sl_conf_fail(c, section, "out of memory"), NULL;
    }
    /* Open now, so that a path that cannot work (no such folder) fails at load. */
    const char *doing;
    int rc = open_db(s, &doing);
    /* A busy database is fine here (the first write retries); anything else is an error. */
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
        sl_conf_fail(c, section, "sqlite %s: %s: %s", s->path, doing,
                     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sqlite_close(&s->base);
        return NULL;
    }
    return &s->base;
}
