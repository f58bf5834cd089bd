/*
 * registry.c - functions, versions and aliases in SQLite (see registry.h, docs/registry.md).
 *
 * Every statement is prepared with bound parameters. Only validated names and hex digests
 * reach file paths (through blobs.c). One mutex serializes use of the connection.
 */
#include "serve/registry.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/name.h"
#include "serve/blobs.h"
#include "fn/config.h"
#include "base/sha256.h"
#include "serve/token.h"
#include "sluice.h"

struct sl_registry {
    pthread_mutex_t lock;
    sqlite3 *db;
    sl_engine *engine; /* for sl_module_validate only */
    char blobs[PATH_MAX];
    char token[SL_TOKEN_HEX_LEN + 1];
    _Atomic uint64_t generation; /* bumped by every committed change */
    int64_t changes_seen;        /* sqlite3_total_changes64 at the last bump */
};

/* Bumps the generation when the connection changed rows since the last call and no
 * transaction is open (so the change is committed). Lock held. */
static void note_changes(sl_registry *reg) {
    int64_t total = sqlite3_total_changes64(reg->db);
    if (total != reg->changes_seen && sqlite3_get_autocommit(reg->db)) {
        reg->changes_seen = total;
        reg->generation++;
    }
}

/* ---- Errors ------------------------------------------------------------------------------ */

/* The registry's statuses map to HTTP codes, so they are what its functions return; err
 * still gets an sl_status, the one the resolver (fn/resolve.h) reports: a failure of ours
 * (SL_REG_ERROR) is the host's, anything else the caller's argument. */
static sl_status status_of(sl_reg_status st) {
    return st == SL_REG_ERROR ? SL_ERR_NOMEM : SL_ERR_ARGUMENT;
}

__attribute__((format(printf, 3, 4))) static sl_reg_status fail(sl_reg_status st, sl_error *err,
                                                                const char *fmt, ...) {
    if (err) {
        char msg[sizeof err->message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        sl_errorf(err, status_of(st), "%s", msg);
    }
    return st;
}

static sl_reg_status db_fail(sl_registry *reg, sl_error *err, const char *what) {
    return fail(SL_REG_ERROR, err, "database: %s: %s", what, sqlite3_errmsg(reg->db));
}

/* ---- Statements -------------------------------------------------------------------------- */

/* Prepares sql and binds the text arguments (NULL-terminated list) to ?1, ?2, ... */
static sqlite3_stmt *prep(sl_registry *reg, const char *sql, sl_error *err, ...) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(reg->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(reg, err, "prepare");
        return NULL;
    }
    va_list ap;
    va_start(ap, err);
    int i = 1;
    for (const char *s; (s = va_arg(ap, const char *)); i++)
        if (sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
            db_fail(reg, err, "bind");
            sqlite3_finalize(st);
            st = NULL;
            break;
        }
    va_end(ap);
    return st;
}

/* Runs a statement that returns no rows and finalizes it. */
static sl_reg_status run(sl_registry *reg, sqlite3_stmt *st, const char *what, sl_error *err) {
    if (!st) return SL_REG_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sl_reg_status s = rc == SQLITE_DONE ? SL_REG_OK : db_fail(reg, err, what);
    sqlite3_finalize(st);
    note_changes(reg);
    return s;
}

static sl_reg_status exec(sl_registry *reg, const char *sql, sl_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(reg->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail(SL_REG_ERROR, err, "database: %s: %s", sql, msg ? msg : "unknown error");
        sqlite3_free(msg);
        return SL_REG_ERROR;
    }
    return SL_REG_OK;
}

static sl_reg_status begin(sl_registry *reg, sl_error *err) {
    return exec(reg, "BEGIN IMMEDIATE", err);
}
static sl_reg_status commit(sl_registry *reg, sl_error *err) {
    sl_reg_status s = exec(reg, "COMMIT", err);
    if (!s) note_changes(reg);
    return s;
}
static void rollback(sl_registry *reg) {
    if (!sqlite3_get_autocommit(reg->db)) sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- Schema ------------------------------------------------------------------------------ */

/* migrations[i] takes the schema from user_version i to i + 1. Append, never edit. */
static const char *const migrations[] = {
    "CREATE TABLE functions ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE versions ("
    "  id INTEGER PRIMARY KEY,"
    "  function_id INTEGER NOT NULL REFERENCES functions(id) ON DELETE CASCADE,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  config TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (function_id, sha256));"
    "CREATE INDEX versions_sha256 ON versions(sha256);"
    "CREATE TABLE aliases ("
    "  function_id INTEGER NOT NULL REFERENCES functions(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (function_id, name));"
    "CREATE INDEX aliases_version ON aliases(version_id);",
    /* the module's sluice.fn declaration (sl_fn_declared_to_text), NULL without one; versions
     * added before it keep NULL: their config was chosen without it */
    "ALTER TABLE versions ADD COLUMN declared TEXT;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

static sl_reg_status user_version(sl_registry *reg, int *v, sl_error *err) {
    sqlite3_stmt *st = prep(reg, "PRAGMA user_version", err, NULL);
    if (!st) return SL_REG_ERROR;
    sl_reg_status s = SL_REG_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    else
        s = db_fail(reg, err, "read user_version");
    sqlite3_finalize(st);
    return s;
}

static sl_reg_status migrate(sl_registry *reg, sl_error *err) {
    int v = 0;
    sl_reg_status s;
    if ((s = begin(reg, err))) return s;
    if ((s = user_version(reg, &v, err))) goto out;
    if (v > SCHEMA_VERSION) {
        s = fail(SL_REG_ERROR, err,
                 "database schema version %d is newer than this sluice understands (%d)", v,
                 SCHEMA_VERSION);
        goto out;
    }
    for (; v < SCHEMA_VERSION; v++)
        if ((s = exec(reg, migrations[v], err))) goto out;
    char pragma[64]; /* PRAGMA takes no parameters; the value is our own integer */
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if ((s = exec(reg, pragma, err))) goto out;
    s = commit(reg, err);
out:
    if (s) rollback(reg);
    return s;
}

/* ---- Open and close ---------------------------------------------------------------------- */

static bool make_dir(const char *path, sl_error *err) {
    if (mkdir(path, 0700) == 0) return true;
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return true;
    fail(SL_REG_ERROR, err, "cannot create directory %s: %s", path,
         errno == EEXIST ? "a file of that name exists" : strerror(errno));
    return false;
}

struct sweep_ctx {
    sl_registry *reg;
    sl_error *err;
};

static int blob_referenced(void *ctx, const char *sha) {
    struct sweep_ctx *c = ctx;
    sqlite3_stmt *st =
        prep(c->reg, "SELECT 1 FROM versions WHERE sha256 = ?1 LIMIT 1", c->err, sha, NULL);
    if (!st) return -1;
    int rc = sqlite3_step(st), r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (r < 0) db_fail(c->reg, c->err, "look up blob");
    sqlite3_finalize(st);
    return r;
}

sl_registry *sl_registry_open(const char *data_dir, sl_error *err) {
    char path[PATH_MAX];
    if (!data_dir || !*data_dir) {
        fail(SL_REG_INVALID, err, "registry: no data directory given");
        return NULL;
    }
    if (strlen(data_dir) > PATH_MAX - 80) {
        fail(SL_REG_INVALID, err, "registry: data directory path too long");
        return NULL;
    }
    sl_registry *reg = calloc(1, sizeof *reg);
    if (!reg) {
        fail(SL_REG_ERROR, err, "registry: out of memory");
        return NULL;
    }
    pthread_mutex_init(&reg->lock, NULL);
    snprintf(reg->blobs, sizeof reg->blobs, "%s/blobs", data_dir);
    snprintf(path, sizeof path, "%s/sluice.db", data_dir);
    if (!make_dir(data_dir, err) || !make_dir(reg->blobs, err) ||
        !sl_token_load_or_create(data_dir, reg->token, err))
        goto fail;

    int rc = sqlite3_open_v2(
        path, &reg->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fail(SL_REG_ERROR, err, "cannot open %s: %s", path,
             reg->db ? sqlite3_errmsg(reg->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(reg->db, 1);
    sqlite3_busy_timeout(reg->db, 5000);
    /* journal_mode answers with the mode it ended up in: WAL or an error. */
    sqlite3_stmt *st = prep(reg, "PRAGMA journal_mode = WAL", err, NULL);
    if (!st) goto fail;
    const char *mode =
        sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!mode || strcmp(mode, "wal") != 0) {
        fail(SL_REG_ERROR, err, "%s: cannot switch to WAL mode: %s", path,
             mode ? mode : sqlite3_errmsg(reg->db));
        sqlite3_finalize(st);
        goto fail;
    }
    sqlite3_finalize(st);
    if (exec(reg, "PRAGMA foreign_keys = ON", err) ||
        exec(reg, "PRAGMA synchronous = NORMAL", err) || migrate(reg, err))
        goto fail;

    struct sweep_ctx ctx = {reg, err};
    if (!sl_blob_sweep(reg->blobs, blob_referenced, &ctx, err)) goto fail;

    reg->engine = sl_engine_new(&(sl_engine_config){.explicit_bounds_checks = true});
    if (!reg->engine) {
        fail(SL_REG_ERROR, err, "registry: cannot create a validation engine");
        goto fail;
    }
    return reg;
fail:
    sl_registry_close(reg);
    return NULL;
}

void sl_registry_close(sl_registry *reg) {
    if (!reg) return;
    if (reg->db) sqlite3_close(reg->db); /* all statements are finalized: never BUSY */
    if (reg->engine) sl_engine_free(reg->engine);
    pthread_mutex_destroy(&reg->lock);
    memset(reg->token, 0, sizeof reg->token);
    free(reg);
}

const char *sl_registry_token(const sl_registry *reg) {
    return reg->token;
}

/* ---- Names and references ---------------------------------------------------------------- */

bool sl_registry_name_ok(const char *name) {
    return sl_name_ok(name);
}

static sl_reg_status check_name(const char *what, const char *name, sl_error *err) {
    if (sl_registry_name_ok(name)) return SL_REG_OK;
    return fail(SL_REG_INVALID, err,
                "invalid %s name \"%.80s\": it must match [a-z0-9][a-z0-9_-]{0,62}", what,
                name ? name : "(null)");
}

static bool looks_like_prefix(const char *s) {
    return strlen(s) >= SL_REG_MIN_PREFIX && strlen(s) <= SL_REG_SHA_LEN && sl_is_lower_hex(s);
}

/* The id of function `name`, or SL_REG_NOT_FOUND. Called with the lock held. */
static sl_reg_status function_id(sl_registry *reg, const char *name, int64_t *id, sl_error *err) {
    sl_reg_status s = check_name("function", name, err);
    if (s) return s;
    sqlite3_stmt *st = prep(reg, "SELECT id FROM functions WHERE name = ?1", err, name, NULL);
    if (!st) return SL_REG_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        s = fail(SL_REG_NOT_FOUND, err, "no function \"%s\"", name);
    else
        s = db_fail(reg, err, "look up function");
    sqlite3_finalize(st);
    return s;
}

/* Finds the version of function fid named by `target`: an alias, or a SHA-256 prefix of at
 * least 8 hex digits. Called with the lock held. */
static sl_reg_status find_version(sl_registry *reg, const char *fn, int64_t fid, const char *target,
                                  int64_t *vid, sl_error *err) {
    sqlite3_stmt *st;
    int rc;
    if (sl_registry_name_ok(target) && !looks_like_prefix(target)) {
        st = prep(reg, "SELECT version_id FROM aliases WHERE function_id = ?2 AND name = ?1", err,
                  target, NULL);
        if (!st) return SL_REG_ERROR;
        sqlite3_bind_int64(st, 2, fid);
        rc = sqlite3_step(st);
        sl_reg_status s = SL_REG_OK;
        if (rc == SQLITE_ROW)
            *vid = sqlite3_column_int64(st, 0);
        else if (rc != SQLITE_DONE)
            s = db_fail(reg, err, "look up alias");
        else if (sl_is_lower_hex(target))
            s = fail(SL_REG_INVALID, err,
                     "\"%s@%s\": no such alias, and a version prefix needs at least %d hex "
                     "digits",
                     fn, target, SL_REG_MIN_PREFIX);
        else
            s = fail(SL_REG_NOT_FOUND, err, "function %s has no alias \"%s\"", fn, target);
        sqlite3_finalize(st);
        return s;
    }
    if (!looks_like_prefix(target))
        return fail(SL_REG_INVALID, err,
                    "\"%.80s\" is neither an alias name nor a version (%d to %d lowercase hex "
                    "digits of its SHA-256)",
                    target, SL_REG_MIN_PREFIX, SL_REG_SHA_LEN);
    st = prep(reg,
              "SELECT id FROM versions WHERE function_id = ?2"
              " AND substr(sha256, 1, length(?1)) = ?1 LIMIT 2",
              err, target, NULL);
    if (!st) return SL_REG_ERROR;
    sqlite3_bind_int64(st, 2, fid);
    int found = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *vid = sqlite3_column_int64(st, 0);
        found++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(reg, err, "look up version");
    if (found == 0) return fail(SL_REG_NOT_FOUND, err, "function %s has no version %s", fn, target);
    if (found > 1)
        return fail(SL_REG_AMBIGUOUS, err,
                    "version prefix %s matches several versions of %s: give more digits", target,
                    fn);
    return SL_REG_OK;
}

/* ---- Functions --------------------------------------------------------------------------- */

sl_reg_status sl_registry_create_function(sl_registry *reg, const char *name, sl_error *err) {
    sl_reg_status s = check_name("function", name, err);
    if (s) return s;
    pthread_mutex_lock(&reg->lock);
    sqlite3_stmt *st =
        prep(reg, "INSERT INTO functions (name, created) VALUES (?1, ?2)", err, name, NULL);
    if (!st)
        s = SL_REG_ERROR;
    else {
        sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT_UNIQUE)
            s = fail(SL_REG_EXISTS, err, "function \"%s\" exists already", name);
        else if (rc != SQLITE_DONE)
            s = db_fail(reg, err, "create function");
        sqlite3_finalize(st);
        note_changes(reg);
    }
    pthread_mutex_unlock(&reg->lock);
    return s;
}

sl_reg_status sl_registry_list_functions(sl_registry *reg, sl_fn_info **out, size_t *n,
                                         sl_error *err) {
    *out = NULL, *n = 0;
    pthread_mutex_lock(&reg->lock);
    sl_reg_status s = SL_REG_OK;
    sqlite3_stmt *st =
        prep(reg,
             "SELECT f.name, f.created,"
             " (SELECT count(*) FROM versions v WHERE v.function_id = f.id),"
             " (SELECT v.sha256 FROM aliases a JOIN versions v ON v.id = a.version_id"
             "   WHERE a.function_id = f.id AND a.name = 'latest')"
             " FROM functions f ORDER BY f.name",
             err, NULL);
    if (!st) s = SL_REG_ERROR;
    size_t cap = 0;
    int rc = SQLITE_DONE;
    while (!s && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!sl_grow(out, &cap, *n + 1, sizeof **out)) {
            s = fail(SL_REG_ERROR, err, "list functions: out of memory");
            break;
        }
        sl_fn_info *f = &(*out)[(*n)++];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "%s", (const char *)sqlite3_column_text(st, 0));
        f->created = sqlite3_column_int64(st, 1);
        f->nversions = (uint32_t)sqlite3_column_int64(st, 2);
        const unsigned char *latest = sqlite3_column_text(st, 3);
        if (latest) snprintf(f->latest, sizeof f->latest, "%s", (const char *)latest);
    }
    if (!s && rc != SQLITE_DONE) s = db_fail(reg, err, "list functions");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&reg->lock);
    if (s) {
        free(*out);
        *out = NULL, *n = 0;
    }
    return s;
}

/* The SHA-256 digests of fid's versions (malloc'd array of 65-byte strings). */
static sl_reg_status version_digests(sl_registry *reg, int64_t fid, char (**shas)[65], size_t *n,
                                     sl_error *err) {
    *shas = NULL, *n = 0;
    sqlite3_stmt *st = prep(reg, "SELECT sha256 FROM versions WHERE function_id = ?1", err, NULL);
    if (!st) return SL_REG_ERROR;
    sqlite3_bind_int64(st, 1, fid);
    size_t cap = 0;
    int rc;
    sl_reg_status s = SL_REG_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!sl_grow(shas, &cap, *n + 1, sizeof **shas)) {
            s = fail(SL_REG_ERROR, err, "out of memory");
            break;
        }
        snprintf((*shas)[(*n)++], 65, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    if (!s && rc != SQLITE_DONE) s = db_fail(reg, err, "list versions");
    sqlite3_finalize(st);
    if (s) free(*shas), *shas = NULL, *n = 0;
    return s;
}

sl_reg_status sl_registry_delete_function(sl_registry *reg, const char *name, sl_error *err) {
    int64_t fid = 0;
    char(*shas)[65] = NULL;
    size_t nshas = 0;
    pthread_mutex_lock(&reg->lock);
    sl_reg_status s = begin(reg, err);
    if (!s) s = function_id(reg, name, &fid, err);
    if (!s) s = version_digests(reg, fid, &shas, &nshas, err);
    if (!s) {
        sqlite3_stmt *st = prep(reg, "DELETE FROM functions WHERE id = ?1", err, NULL);
        if (st) sqlite3_bind_int64(st, 1, fid);
        s = run(reg, st, "delete function", err);
    }
    if (!s) s = commit(reg, err);
    if (s) rollback(reg);
    /* The rows are gone: now the blobs no other version uses. A crash here leaves orphans,
     * which the next open removes. */
    struct sweep_ctx ctx = {reg, err};
    for (size_t i = 0; !s && i < nshas; i++) {
        int k = blob_referenced(&ctx, shas[i]);
        if (k < 0)
            s = SL_REG_ERROR;
        else if (k == 0 && !sl_blob_remove(reg->blobs, shas[i], err))
            s = SL_REG_ERROR;
    }
    pthread_mutex_unlock(&reg->lock);
    free(shas);
    return s;
}

/* ---- Versions ---------------------------------------------------------------------------- */

/* Points alias (of function fid) at version vid. Called in a transaction. */
static sl_reg_status point_alias(sl_registry *reg, int64_t fid, const char *alias, int64_t vid,
                                 sl_error *err) {
    sqlite3_stmt *st =
        prep(reg,
             "INSERT INTO aliases (function_id, name, version_id) VALUES (?2, ?1, ?3)"
             " ON CONFLICT (function_id, name) DO UPDATE SET version_id = ?3",
             err, alias, NULL);
    if (st) sqlite3_bind_int64(st, 2, fid), sqlite3_bind_int64(st, 3, vid);
    return run(reg, st, "set alias", err);
}

sl_reg_status sl_registry_add_version(sl_registry *reg, const char *fn, const uint8_t *bytes,
                                      size_t len, const sl_fn_config *cfg, char *sha256,
                                      bool *created, sl_error *err) {
    if (created) *created = false;
    sl_fn_config defaults = sl_fn_config_default();
    if (!cfg) cfg = &defaults;
    sl_reg_status s = check_name("function", fn, err);
    if (s) return s;
    if (!bytes && len) return fail(SL_REG_INVALID, err, "no module bytes");
    if (!sl_fn_config_check(cfg, err)) return SL_REG_INVALID;
    sl_error verr = {0};
    if (sl_module_validate(reg->engine, bytes ? bytes : (const uint8_t *)"", len, &verr) != SL_OK) {
        if (verr.offset >= 0)
            return fail(SL_REG_INVALID, err, "invalid module (at byte %lld): %s",
                        (long long)verr.offset, verr.message);
        return fail(SL_REG_INVALID, err, "invalid module: %s", verr.message);
    }
    sl_fn_declared declared;
    if (!sl_fn_declared_read(bytes, len, "the module", &declared, &verr))
        return fail(SL_REG_INVALID, err, "%s", verr.message);
    char sha[SL_REG_SHA_LEN + 1];
    if (!sl_sha256_hex(bytes, len, sha, err)) return SL_REG_ERROR;
    char *json = sl_fn_config_to_json(cfg);
    if (!json) return fail(SL_REG_ERROR, err, "cannot encode the config: out of memory");
    char *declared_text = sl_fn_declared_to_text(&declared); /* NULL: none (or no memory) */
    if (declared.present && !declared_text) {
        free(json);
        return fail(SL_REG_ERROR, err, "out of memory");
    }

    int64_t fid = 0, vid = 0;
    bool new_blob = false, new_version = false;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&reg->lock);
    if ((s = begin(reg, err))) goto out;
    if ((s = function_id(reg, fn, &fid, err))) goto out;
    st = prep(reg, "SELECT id, config FROM versions WHERE function_id = ?2 AND sha256 = ?1", err,
              sha, NULL);
    if (!st) {
        s = SL_REG_ERROR;
        goto out;
    }
    sqlite3_bind_int64(st, 2, fid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        vid = sqlite3_column_int64(st, 0);
        if (strcmp((const char *)sqlite3_column_text(st, 1), json) != 0)
            s = fail(SL_REG_EXISTS, err,
                     "function %s already has version %s with a different config (versions "
                     "are immutable)",
                     fn, sha);
    } else if (rc != SQLITE_DONE) {
        s = db_fail(reg, err, "look up version");
    }
    sqlite3_finalize(st);
    if (s) goto out;
    if (!vid) {
        if (!sl_blob_write(reg->blobs, sha, bytes, len, &new_blob, err)) {
            s = SL_REG_ERROR;
            goto out;
        }
        st = prep(reg,
                  "INSERT INTO versions (function_id, sha256, size, config, created, declared)"
                  " VALUES (?3, ?1, ?4, ?2, ?5, ?6)",
                  err, sha, json, NULL);
        if (st) {
            sqlite3_bind_int64(st, 3, fid);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
            sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
            if (declared_text) sqlite3_bind_text(st, 6, declared_text, -1, SQLITE_STATIC);
        }
        if ((s = run(reg, st, "add version", err))) goto out;
        vid = sqlite3_last_insert_rowid(reg->db);
        new_version = true;
    }
    if ((s = point_alias(reg, fid, "latest", vid, err))) goto out;
    s = commit(reg, err);
out:
    if (s) {
        rollback(reg);
        if (new_blob) sl_blob_remove(reg->blobs, sha, NULL); /* nothing refers to it */
    }
    pthread_mutex_unlock(&reg->lock);
    free(json);
    free(declared_text);
    if (!s) {
        if (sha256) memcpy(sha256, sha, sizeof sha);
        if (created) *created = new_version;
    }
    return s;
}

sl_reg_status sl_registry_set_alias(sl_registry *reg, const char *fn, const char *alias,
                                    const char *target, sl_error *err) {
    sl_reg_status s = check_name("alias", alias, err);
    if (s) return s;
    if (looks_like_prefix(alias))
        return fail(SL_REG_INVALID, err,
                    "invalid alias name \"%s\": %d or more hex digits read as a version", alias,
                    SL_REG_MIN_PREFIX);
    if (!target) return fail(SL_REG_INVALID, err, "no version given for alias %s", alias);
    int64_t fid = 0, vid = 0;
    pthread_mutex_lock(&reg->lock);
    if (!(s = begin(reg, err))) {
        if (!(s = function_id(reg, fn, &fid, err)) &&
            !(s = find_version(reg, fn, fid, target, &vid, err)) &&
            !(s = point_alias(reg, fid, alias, vid, err)))
            s = commit(reg, err);
        if (s) rollback(reg);
    }
    pthread_mutex_unlock(&reg->lock);
    return s;
}

sl_reg_status sl_registry_set_config(sl_registry *reg, const char *fn, const char *target,
                                     const sl_fn_config *cfg, sl_error *err) {
    if (!cfg || !sl_fn_config_check(cfg, err)) return SL_REG_INVALID;
    char *json = sl_fn_config_to_json(cfg);
    if (!json) return fail(SL_REG_ERROR, err, "cannot encode the config: out of memory");
    int64_t fid = 0, vid = 0;
    pthread_mutex_lock(&reg->lock);
    sl_reg_status s = begin(reg, err);
    if (!s) {
        if (!(s = function_id(reg, fn, &fid, err)) &&
            !(s = find_version(reg, fn, fid, target ? target : "latest", &vid, err))) {
            sqlite3_stmt *st =
                prep(reg, "UPDATE versions SET config = ?1 WHERE id = ?2", err, json, NULL);
            if (st) sqlite3_bind_int64(st, 2, vid);
            if (!(s = run(reg, st, "set config", err))) s = commit(reg, err);
        }
        if (s) rollback(reg);
    }
    pthread_mutex_unlock(&reg->lock);
    free(json);
    return s;
}

uint64_t sl_registry_generation(sl_registry *reg) {
    return reg->generation;
}

sl_reg_status sl_registry_delete_alias(sl_registry *reg, const char *fn, const char *alias,
                                       sl_error *err) {
    sl_reg_status s = check_name("alias", alias, err);
    if (s) return s;
    if (strcmp(alias, "latest") == 0)
        return fail(SL_REG_INVALID, err, "alias latest cannot be removed");
    int64_t fid = 0;
    pthread_mutex_lock(&reg->lock);
    if (!(s = function_id(reg, fn, &fid, err))) {
        sqlite3_stmt *st =
            prep(reg, "DELETE FROM aliases WHERE function_id = ?2 AND name = ?1", err, alias, NULL);
        if (st) sqlite3_bind_int64(st, 2, fid);
        s = run(reg, st, "delete alias", err);
        if (!s && sqlite3_changes(reg->db) == 0)
            s = fail(SL_REG_NOT_FOUND, err, "function %s has no alias \"%s\"", fn, alias);
    }
    pthread_mutex_unlock(&reg->lock);
    return s;
}

/* ---- Reading versions -------------------------------------------------------------------- */

void sl_fn_version_clear(sl_fn_version *v) {
    if (!v) return;
    sl_fn_config_free(&v->config);
    for (uint32_t i = 0; i < v->naliases; i++)
        free(v->aliases[i]);
    free(v->aliases);
    memset(v, 0, sizeof *v);
}

void sl_fn_versions_free(sl_fn_version *v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        sl_fn_version_clear(&v[i]);
    free(v);
}

/* Fills v from a row (id, sha256, size, config, created, declared) plus its aliases. Lock
 * held. */
static sl_reg_status fill_version(sl_registry *reg, const char *fn, sqlite3_stmt *row,
                                  sl_fn_version *v, sl_error *err) {
    memset(v, 0, sizeof *v);
    snprintf(v->function, sizeof v->function, "%s", fn);
    int64_t vid = sqlite3_column_int64(row, 0);
    snprintf(v->sha256, sizeof v->sha256, "%s", (const char *)sqlite3_column_text(row, 1));
    v->size = (uint64_t)sqlite3_column_int64(row, 2);
    v->created = sqlite3_column_int64(row, 4);
    if (!sl_fn_config_from_json((const char *)sqlite3_column_text(row, 3), &v->config, err))
        return SL_REG_ERROR;
    const unsigned char *declared = sqlite3_column_text(row, 5);
    sl_error derr;
    if (declared && !sl_fn_declared_parse(declared, strlen((const char *)declared), v->sha256,
                                          &v->declared, &derr))
        return fail(SL_REG_ERROR, err, "registry: %s", derr.message);
    sqlite3_stmt *st =
        prep(reg, "SELECT name FROM aliases WHERE version_id = ?1 ORDER BY name", err, NULL);
    if (!st) return SL_REG_ERROR;
    sqlite3_bind_int64(st, 1, vid);
    sl_reg_status s = SL_REG_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char **p = realloc(v->aliases, (v->naliases + 1) * sizeof *p);
        char *name = p ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
        if (p) v->aliases = p;
        if (!name) {
            s = fail(SL_REG_ERROR, err, "out of memory");
            break;
        }
        v->aliases[v->naliases++] = name;
    }
    if (!s && rc != SQLITE_DONE) s = db_fail(reg, err, "list aliases");
    sqlite3_finalize(st);
    return s;
}

#define VERSION_COLUMNS "SELECT id, sha256, size, config, created, declared FROM versions "

sl_reg_status sl_registry_resolve(sl_registry *reg, const char *ref, sl_fn_version *out,
                                  sl_error *err) {
    memset(out, 0, sizeof *out);
    if (!ref) return fail(SL_REG_INVALID, err, "no function reference given");
    char fn[SL_REG_NAME_MAX + 2];
    const char *at = strchr(ref, '@'), *target = at ? at + 1 : "latest";
    size_t fnlen = at ? (size_t)(at - ref) : strlen(ref);
    if (fnlen >= sizeof fn)
        return fail(SL_REG_INVALID, err, "invalid reference \"%.80s\": name too long", ref);
    memcpy(fn, ref, fnlen);
    fn[fnlen] = '\0';
    sl_reg_status s = check_name("function", fn, err);
    if (s) return s;
    int64_t fid = 0, vid = 0;
    pthread_mutex_lock(&reg->lock);
    /* One read transaction, so the alias and the version are read from one snapshot. */
    if (!(s = exec(reg, "BEGIN", err))) {
        if (!(s = function_id(reg, fn, &fid, err)) &&
            !(s = find_version(reg, fn, fid, target, &vid, err))) {
            sqlite3_stmt *st = prep(reg, VERSION_COLUMNS "WHERE id = ?1", err, NULL);
            if (!st)
                s = SL_REG_ERROR;
            else {
                sqlite3_bind_int64(st, 1, vid);
                if (sqlite3_step(st) == SQLITE_ROW)
                    s = fill_version(reg, fn, st, out, err);
                else
                    s = db_fail(reg, err, "read version");
                sqlite3_finalize(st);
            }
        }
        if (!s) s = commit(reg, err);
        if (s) rollback(reg);
    }
    pthread_mutex_unlock(&reg->lock);
    if (s) sl_fn_version_clear(out);
    return s;
}

sl_reg_status sl_registry_list_versions(sl_registry *reg, const char *fn, sl_fn_version **out,
                                        size_t *n, sl_error *err) {
    *out = NULL, *n = 0;
    int64_t fid = 0;
    size_t cap = 0;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&reg->lock);
    sl_reg_status s = exec(reg, "BEGIN", err);
    if (s) goto out;
    if ((s = function_id(reg, fn, &fid, err))) goto out;
    st = prep(reg, VERSION_COLUMNS "WHERE function_id = ?1 ORDER BY id DESC", err, NULL);
    if (!st) {
        s = SL_REG_ERROR;
        goto out;
    }
    sqlite3_bind_int64(st, 1, fid);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!sl_grow(out, &cap, *n + 1, sizeof **out)) {
            s = fail(SL_REG_ERROR, err, "list versions: out of memory");
            goto out;
        }
        s = fill_version(reg, fn, st, &(*out)[*n], err);
        (*n)++;
        if (s) goto out;
    }
    if (rc != SQLITE_DONE)
        s = db_fail(reg, err, "list versions");
    else
        s = commit(reg, err);
out:
    sqlite3_finalize(st);
    if (s) rollback(reg);
    pthread_mutex_unlock(&reg->lock);
    if (s) {
        sl_fn_versions_free(*out, *n);
        *out = NULL, *n = 0;
    }
    return s;
}

sl_reg_status sl_registry_load_blob(sl_registry *reg, const char *sha256, uint8_t **bytes,
                                    size_t *len, sl_error *err) {
    *bytes = NULL, *len = 0;
    if (!sha256 || !sl_sha256_is_hex(sha256))
        return fail(SL_REG_INVALID, err, "\"%.80s\" is not a version (64 lowercase hex digits)",
                    sha256 ? sha256 : "(null)");
    /* Blobs are immutable files: reading one needs no lock. */
    return sl_blob_read(reg->blobs, sha256, bytes, len, err) ? SL_REG_OK : SL_REG_ERROR;
}

/* ---- the registry as a resolver (fn/resolve.h) --------------------------------------------- */

static bool resolve_for(void *ctx, const char *ref, sl_fn_resolved *out, sl_error *err) {
    sl_registry *reg = ctx;
    memset(out, 0, sizeof *out);
    sl_fn_version v = {0};
    sl_reg_status s = sl_registry_resolve(reg, ref, &v, err);
    if (s == SL_REG_OK) s = sl_registry_load_blob(reg, v.sha256, &out->bytes, &out->len, err);
    if (s != SL_REG_OK) {
        sl_fn_version_clear(&v);
        /* What the blob store or the config said, with the status the resolver promises. */
        if (err) err->status = status_of(s);
        return false;
    }
    snprintf(out->function, sizeof out->function, "%s", v.function);
    snprintf(out->version, sizeof out->version, "%s", v.sha256);
    out->config = v.config; /* the strings move to out */
    memset(&v.config, 0, sizeof v.config);
    sl_fn_version_clear(&v);
    return true;
}

sl_fn_resolver sl_registry_resolver(sl_registry *reg) {
    return (sl_fn_resolver){.ctx = reg, .resolve = resolve_for};
}
