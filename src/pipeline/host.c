/*
 * host.c - pipelines hosted by the server (host.h).
 *
 * Each pipeline is a file DATA/pipelines/NAME.yaml plus a marker NAME.running while it should
 * run (so a restart starts it again). Relative paths in the file (modules, files, databases)
 * resolve against DATA/pipelines/. Whoever holds the API token may so read and write files
 * the server can: the same trust as deploying a function with preopened directories.
 *
 * Locks, outermost first: a pipeline's `ctl` (held for a whole start, stop, replace or
 * delete: loading compiles its functions, stopping drains it), the host's `lock` (the list
 * of names and the reference counts), a pipeline's `lock` (its state: held briefly). A
 * pipeline is freed only when its last reference goes, and its sl_pipeline only once no
 * ingest is inside it.
 */
#include "pipeline/host.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/name.h"
#include "pipeline/conf.h"
#include "pipeline/pipeline.h"

#define MAX_PIPELINES 64

/* Where the dashboard reads a pipeline's records: its first sqlite sink ("" = none), read
 * from the file when it is stored, not on every poll. */
typedef struct sink_ref {
    char db[PATH_MAX], table[128];
} sink_ref;

typedef struct hosted {
    char name[SL_NAME_MAX + 1];
    int refs;    /* h->lock: the list's, and each call's that uses it */
    bool listed; /* h->lock: in the list (false once deleted) */
    pthread_mutex_t ctl;
    pthread_mutex_t lock; /* what follows */
    pthread_cond_t idle;  /* ingesting went to 0 */
    bool ready;           /* its file is stored (false while a first PUT checks it) */
    sl_pipeline *p;       /* loaded (running or not) */
    bool running;
    int ingesting; /* POST /ingest calls inside p */
    char error[512];
    sink_ref sink;
} hosted;

struct sl_phost {
    pthread_mutex_t lock;
    char dir[PATH_MAX];
    sl_engine *engine;
    const sl_fn_resolver *functions; /* function stages may name deployed functions */
    hosted *items[MAX_PIPELINES];
    size_t n;
};

/* Finds a pipeline's first sqlite sink in its file: the database (resolved as the pipeline resolves
 * it) and the table (the sink's default: the pipeline's name). */
static void find_sink(const char *yaml, const char *pipeline, sink_ref *x) {
    json_t *conf = sl_conf_load(yaml, NULL); /* it loaded as a pipeline just before */
    sl_conf_ctx c = {.file = yaml, .what = "sink"};
    const char *name = json_string_value(json_object_get(conf, "name"));
    x->db[0] = 0;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(conf, "sinks"), i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        const char *db = json_string_value(json_object_get(s, "path"));
        if (!type || strcmp(type, "sqlite") || !db) continue;
        const char *table = json_string_value(json_object_get(s, "table"));
        if (!sl_conf_path(&c, s, db, x->db, sizeof x->db)) x->db[0] = 0;
        snprintf(x->table, sizeof x->table, "%s", table ? table : name ? name : pipeline);
        break;
    }
    json_decref(conf);
}

static void path_of(const sl_phost *h, const char *name, const char *ext, char *out, size_t len) {
    if ((size_t)snprintf(out, len, "%s/%s%s", h->dir, name, ext) >= len) out[0] = 0;
}

/* ---- the list and references ---------------------------------------------------------------- */

static hosted *find_locked(sl_phost *h, const char *name) {
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->items[i]->name, name)) return h->items[i];
    return NULL;
}

static hosted *acquire(sl_phost *h, const char *name) {
    pthread_mutex_lock(&h->lock);
    hosted *x = find_locked(h, name);
    if (x) x->refs++;
    pthread_mutex_unlock(&h->lock);
    return x;
}

static void release(sl_phost *h, hosted *x) {
    pthread_mutex_lock(&h->lock);
    bool last = --x->refs == 0;
    pthread_mutex_unlock(&h->lock);
    if (!last) return;
    pthread_mutex_destroy(&x->ctl);
    pthread_mutex_destroy(&x->lock);
    pthread_cond_destroy(&x->idle);
    free(x);
}

/* The pipeline `name`, added (not ready) if it is new; NULL when the list is full. */
static hosted *acquire_or_add(sl_phost *h, const char *name) {
    pthread_mutex_lock(&h->lock);
    hosted *x = find_locked(h, name);
    if (!x && h->n < MAX_PIPELINES && (x = calloc(1, sizeof *x))) {
        snprintf(x->name, sizeof x->name, "%s", name);
        pthread_mutex_init(&x->ctl, NULL);
        pthread_mutex_init(&x->lock, NULL);
        pthread_cond_init(&x->idle, NULL);
        x->listed = true;
        x->refs = 1; /* the list's */
        h->items[h->n++] = x;
    }
    if (x) x->refs++;
    pthread_mutex_unlock(&h->lock);
    return x;
}

static void unlist(sl_phost *h, hosted *x) {
    pthread_mutex_lock(&h->lock);
    bool was = x->listed;
    for (size_t i = 0; was && i < h->n; i++)
        if (h->items[i] == x) {
            h->items[i] = h->items[--h->n];
            break;
        }
    x->listed = false;
    pthread_mutex_unlock(&h->lock);
    if (was) release(h, x); /* the list's reference */
}

static bool is_listed(sl_phost *h, hosted *x) {
    pthread_mutex_lock(&h->lock);
    bool l = x->listed;
    pthread_mutex_unlock(&h->lock);
    return l;
}

/* Every listed pipeline, each with a reference (release them); *n of them. */
static hosted **snapshot(sl_phost *h, size_t *n) {
    pthread_mutex_lock(&h->lock);
    hosted **a = malloc((h->n ? h->n : 1) * sizeof *a);
    *n = 0;
    for (size_t i = 0; a && i < h->n; i++) {
        a[(*n)++] = h->items[i];
        h->items[i]->refs++;
    }
    pthread_mutex_unlock(&h->lock);
    return a;
}

/* ---- control (x->ctl held) ----------------------------------------------------------------- */

/* Stops a running pipeline gracefully; it stays loaded, so its counters can still be read. */
static void halt(hosted *x) {
    pthread_mutex_lock(&x->lock);
    sl_pipeline *p = x->running ? x->p : NULL;
    pthread_mutex_unlock(&x->lock);
    sl_error err;
    bool failed = false;
    if (p) {
        sl_pipeline_stop(p);
        failed = !sl_pipeline_wait(p, &err); /* drains: no lock but ctl */
    }
    pthread_mutex_lock(&x->lock);
    if (failed) snprintf(x->error, sizeof x->error, "%s", err.message);
    x->running = false;
    pthread_mutex_unlock(&x->lock);
}

/* Stops and frees the loaded pipeline, once no ingest is inside it. */
static void unload(hosted *x) {
    halt(x);
    pthread_mutex_lock(&x->lock);
    sl_pipeline *p = x->p;
    x->p = NULL;
    while (x->ingesting)
        pthread_cond_wait(&x->idle, &x->lock);
    pthread_mutex_unlock(&x->lock);
    sl_pipeline_free(p);
}

static bool start(sl_phost *h, hosted *x) {
    pthread_mutex_lock(&x->lock);
    bool running = x->running;
    pthread_mutex_unlock(&x->lock);
    if (running) return true;
    unload(x); /* ran before: threads are not restartable, so a fresh instance */
    char path[PATH_MAX + 128];
    sl_error err = {.message = ""};
    path_of(h, x->name, ".yaml", path, sizeof path);
    sl_pipeline *p = sl_pipeline_load(path, h->engine, h->functions, &err);
    bool ok = p && sl_pipeline_start(p, &err);
    pthread_mutex_lock(&x->lock);
    snprintf(x->error, sizeof x->error, "%s", ok ? "" : err.message);
    x->p = p; /* kept when it failed to start, for its counters */
    x->running = ok;
    pthread_mutex_unlock(&x->lock);
    if (!ok) return false;
    char mark[PATH_MAX + 128];
    path_of(h, x->name, ".running", mark, sizeof mark);
    FILE *f = fopen(mark, "w");
    if (f) fclose(f);
    sl_log("pipeline %s started", x->name);
    return true;
}

static void stop(sl_phost *h, hosted *x, bool forget_running) {
    pthread_mutex_lock(&x->lock);
    if (x->running) sl_log("pipeline %s: stopping, draining what was read", x->name);
    x->error[0] = 0;
    pthread_mutex_unlock(&x->lock);
    halt(x);
    if (forget_running) {
        char mark[PATH_MAX + 128];
        path_of(h, x->name, ".running", mark, sizeof mark);
        unlink(mark);
    }
}

/* ---- open and close ------------------------------------------------------------------------ */

sl_phost *sl_phost_open(const char *data_dir, sl_engine *engine, const sl_fn_resolver *functions) {
    sl_phost *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->engine = engine;
    h->functions = functions;
    snprintf(h->dir, sizeof h->dir, "%s/pipelines", data_dir);
    mkdir(h->dir, 0700);
    DIR *d = opendir(h->dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml")) continue;
        char name[SL_NAME_MAX + 2];
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
        if (!sl_name_ok(name)) continue;
        hosted *x = acquire_or_add(h, name);
        if (!x) break; /* the list is full */
        char yaml[PATH_MAX + 128], mark[PATH_MAX + 128];
        path_of(h, x->name, ".yaml", yaml, sizeof yaml);
        find_sink(yaml, x->name, &x->sink);
        x->ready = true;
        path_of(h, x->name, ".running", mark, sizeof mark);
        pthread_mutex_lock(&x->ctl);
        if (access(mark, F_OK) == 0 && !start(h, x))
            sl_log("pipeline %s: cannot start: %s", x->name, x->error);
        pthread_mutex_unlock(&x->ctl);
        release(h, x);
    }
    if (d) closedir(d);
    return h;
}

void sl_phost_close(sl_phost *h) {
    if (!h) return;
    size_t n;
    hosted **all = snapshot(h, &n);
    for (size_t i = 0; all && i < n; i++) {
        hosted *x = all[i];
        pthread_mutex_lock(&x->ctl);
        stop(h, x, false); /* keep the markers: they run again after a restart */
        unload(x);
        pthread_mutex_unlock(&x->ctl);
        unlist(h, x);
        release(h, x);
    }
    free(all);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* ---- reading ------------------------------------------------------------------------------- */

static json_t *describe(hosted *x) {
    pthread_mutex_lock(&x->lock);
    const char *state = x->running && x->p && sl_pipeline_done(x->p) ? "finished"
                        : x->running                                 ? "running"
                        : x->error[0]                                ? "failed"
                                                                     : "stopped";
    json_t *o = json_pack("{s:s, s:s}", "name", x->name, "state", state);
    if (x->error[0]) json_object_set_new(o, "error", json_string(x->error));
    if (x->p) json_object_set_new(o, "stats", sl_pipeline_stats(x->p));
    pthread_mutex_unlock(&x->lock);
    return o;
}

/* Rows of the pipeline's first sqlite sink after rowid `after` (for the dashboard). */
static int records(const sink_ref *x, const char *query, json_t **out) {
    long long after = 0, limit = 1000;
    /* ?after=ROWID&limit=N: whole parameters only, numbers only */
    char q[256];
    snprintf(q, sizeof q, "%s", query ? query : "");
    char *save = NULL;
    for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '='), *end = NULL;
        long long v = eq ? strtoll(eq + 1, &end, 10) : -1;
        bool number = eq && eq[1] && !*end && v >= 0;
        if (eq) *eq = 0;
        if (!strcmp(kv, "after") || !strcmp(kv, "limit")) {
            if (!number || (!strcmp(kv, "limit") && (v < 1 || v > 100000))) {
                *out = json_pack("{s:s}", "error",
                                 "after must be a row id (>= 0) and limit from 1 to 100000");
                return 400;
            }
            *(kv[0] == 'a' ? &after : &limit) = v;
        }
    }
    if (!x->db[0]) {
        *out = json_pack("{s:s}", "error", "the pipeline has no sqlite sink");
        return 404;
    }
    sqlite3 *sq = NULL;
    json_t *rows = json_array();
    int status = 200;
    if (sqlite3_open_v2(x->db, &sq, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(sq);
        *out = json_pack("{s:o, s:I}", "records", rows, "last", (json_int_t)after);
        return 200; /* nothing written yet */
    }
    sqlite3_busy_timeout(sq, 1000);
    char *sql = sqlite3_mprintf(
        "SELECT rowid, * FROM \"%w\" WHERE rowid > ?1 ORDER BY rowid LIMIT ?2", x->table);
    sqlite3_stmt *st = NULL;
    long long last = after;
    if (sql && sqlite3_prepare_v2(sq, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int64(st, 2, limit);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *row = json_object();
            last = sqlite3_column_int64(st, 0);
            for (int c = 1; c < sqlite3_column_count(st); c++) {
                const char *name = sqlite3_column_name(st, c);
                switch (sqlite3_column_type(st, c)) {
                case SQLITE_INTEGER:
                    json_object_set_new(row, name, json_integer(sqlite3_column_int64(st, c)));
                    break;
                case SQLITE_FLOAT:
                    json_object_set_new(row, name, json_real(sqlite3_column_double(st, c)));
                    break;
                case SQLITE_NULL: json_object_set_new(row, name, json_null()); break;
                default:
                    json_object_set_new(row, name,
                                        json_string((const char *)sqlite3_column_text(st, c)));
                }
            }
            json_array_append_new(rows, row);
        }
    } else if (sqlite3_errcode(sq) != SQLITE_ERROR) {
        status = 500;
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    sqlite3_close(sq);
    *out = json_pack("{s:o, s:I}", "records", rows, "last", (json_int_t)last);
    return status;
}

static json_t *error_json(const char *msg) {
    return json_pack("{s:s}", "error", msg);
}

/* PUT /api/pipelines/NAME: a new or replaced file, checked by loading it before it is kept. */
static int put(sl_phost *h, const char *name, const char *body, size_t body_len, json_t **out) {
    hosted *x;
    for (;;) {
        if (!(x = acquire_or_add(h, name))) {
            *out = error_json("too many pipelines");
            return 400;
        }
        pthread_mutex_lock(&x->ctl);
        if (is_listed(h, x)) break;
        pthread_mutex_unlock(&x->ctl); /* deleted while we waited: a new one */
        release(h, x);
    }
    int status;
    pthread_mutex_lock(&x->lock);
    bool running = x->running, created = !x->ready;
    pthread_mutex_unlock(&x->lock);
    char path[PATH_MAX + 128], tmp[PATH_MAX + 128];
    sl_error err = {.message = "cannot write the pipeline file"};
    path_of(h, name, ".yaml", path, sizeof path);
    path_of(h, name, ".yaml.new", tmp, sizeof tmp);
    if (running) {
        status = 409;
        *out = error_json("the pipeline is running: stop it first");
        goto out;
    }
    FILE *f = fopen(tmp, "w");
    bool wrote = f && fwrite(body, 1, body_len, f) == body_len;
    if (f && fclose(f)) wrote = false;
    sl_pipeline *p = wrote ? sl_pipeline_load(tmp, h->engine, h->functions, &err) : NULL;
    if (!p) {
        unlink(tmp);
        if (created) unlist(h, x);
        status = 400;
        /* name the file as the client knows it, not the server's temp path (which a long
         * data folder may have shortened to "...END") */
        const char *base = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
        const char *at = strstr(err.message, base);
        char msg[600];
        if (at && at[strlen(base)] == ':')
            snprintf(msg, sizeof msg, "%s.yaml%s", name, at + strlen(base));
        else
            snprintf(msg, sizeof msg, "%s", err.message);
        *out = error_json(msg);
        goto out;
    }
    sl_pipeline_free(p);
    rename(tmp, path);
    unload(x);
    sink_ref sink;
    find_sink(path, name, &sink);
    pthread_mutex_lock(&x->lock);
    x->error[0] = 0;
    x->sink = sink;
    x->ready = true;
    pthread_mutex_unlock(&x->lock);
    sl_log("pipeline %s %s", name, created ? "created" : "replaced");
    status = created ? 201 : 200;
    *out = describe(x);
out:
    pthread_mutex_unlock(&x->ctl);
    release(h, x);
    return status;
}

int sl_phost_api(sl_phost *h, const char *method, char **seg, int nseg, const char *query,
                 const char *body, size_t body_len, json_t **out) {
    bool get = !strcmp(method, "GET"), put_ = !strcmp(method, "PUT"),
         post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE");
    if (nseg == 0) {
        if (!get) {
            *out = error_json("only GET on /api/pipelines");
            return 405;
        }
        size_t n;
        hosted **all = snapshot(h, &n);
        json_t *a = json_array();
        for (size_t i = 0; all && i < n; i++) {
            pthread_mutex_lock(&all[i]->lock);
            bool ready = all[i]->ready;
            pthread_mutex_unlock(&all[i]->lock);
            if (ready) json_array_append_new(a, describe(all[i]));
            release(h, all[i]);
        }
        free(all);
        *out = json_pack("{s:o}", "pipelines", a);
        return 200;
    }
    const char *name = seg[0];
    if (!sl_name_ok(name)) {
        *out = error_json("invalid pipeline name");
        return 400;
    }
    if (nseg == 1 && put_) return put(h, name, body, body_len, out);
    hosted *x = acquire(h, name);
    bool ready = false;
    if (x) {
        pthread_mutex_lock(&x->lock);
        ready = x->ready;
        pthread_mutex_unlock(&x->lock);
    }
    if (!ready) {
        if (x) release(h, x);
        *out = error_json("no such pipeline");
        return 404;
    }
    int status = 200;
    bool control = (nseg == 1 && del) ||
                   (nseg == 2 && post && (!strcmp(seg[1], "start") || !strcmp(seg[1], "stop")));
    if (control) {
        pthread_mutex_lock(&x->ctl);
        if (!is_listed(h, x)) {
            status = 404;
            *out = error_json("no such pipeline");
        } else if (del) {
            stop(h, x, true);
            char path[PATH_MAX + 128];
            path_of(h, name, ".yaml", path, sizeof path);
            unlink(path);
            unload(x);
            unlist(h, x);
            *out = json_pack("{s:s}", "deleted", name);
        } else if (!strcmp(seg[1], "start")) {
            if (!start(h, x)) status = 400;
            *out = describe(x);
        } else {
            stop(h, x, true);
            *out = describe(x);
        }
        pthread_mutex_unlock(&x->ctl);
    } else if (nseg == 1 && get) {
        *out = describe(x);
    } else if (nseg == 2 && get && !strcmp(seg[1], "records")) {
        pthread_mutex_lock(&x->lock);
        sink_ref sink = x->sink;
        pthread_mutex_unlock(&x->lock);
        status = records(&sink, query, out); /* SQLite, with no lock held */
    } else {
        status = nseg <= 2 ? 405 : 404;
        *out = error_json("no such pipeline route (see docs/api.md)");
    }
    release(h, x);
    return status;
}

int sl_phost_ingest(sl_phost *h, const char *name, const char *body, size_t len, char *answer,
                    size_t alen) {
    hosted *x = sl_name_ok(name) ? acquire(h, name) : NULL;
    sl_pipeline *p = NULL;
    if (x) {
        pthread_mutex_lock(&x->lock);
        if (x->running && x->p) {
            p = x->p;
            x->ingesting++; /* p is not freed while we are inside it */
        }
        pthread_mutex_unlock(&x->lock);
    }
    int status;
    if (!p) {
        snprintf(answer, alen, "{\"error\":\"no running pipeline %s has an http source\"}",
                 sl_name_ok(name) ? name : "of that name");
        status = 404;
    } else {
        status = sl_pipeline_ingest(p, body, len, answer, alen);
        pthread_mutex_lock(&x->lock);
        if (--x->ingesting == 0) pthread_cond_broadcast(&x->idle);
        pthread_mutex_unlock(&x->lock);
    }
    if (x) release(h, x);
    return status;
}

void sl_phost_prometheus(sl_phost *h, FILE *out) {
    fputs("# HELP sluice_pipeline_records_total Records into and out of each pipeline stage.\n"
          "# TYPE sluice_pipeline_records_total counter\n",
          out);
    size_t n;
    hosted **all = snapshot(h, &n);
    for (size_t i = 0; all && i < n; i++) {
        pthread_mutex_lock(&all[i]->lock);
        if (all[i]->p) sl_pipeline_prometheus(all[i]->p, out);
        pthread_mutex_unlock(&all[i]->lock);
        release(h, all[i]);
    }
    free(all);
}
