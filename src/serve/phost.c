/*
 * phost.c - pipelines hosted by the server (phost.h).
 *
 * Each pipeline is a file DATA/pipelines/NAME.yaml plus a marker NAME.running while it should
 * run (so a restart starts it again). Relative paths in the file (modules, files, databases)
 * resolve against DATA/pipelines/. Whoever holds the API token may so read and write files
 * the server can: the same trust as deploying a function with preopened directories.
 */
#include "serve/phost.h"

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

#include "pipeline/conf.h"
#include "pipeline/pipeline.h"
#include "serve/registry.h"
#include "serve/server.h"

#define MAX_PIPELINES 64

typedef struct hosted {
    char name[SL_REG_NAME_MAX + 1];
    sl_pipeline *p; /* loaded (running or not) */
    bool running;
    char error[512];
    /* its first sqlite sink, for the dashboard ("" = none): read from the file when it is
     * created or replaced, not on every poll */
    char db[PATH_MAX], table[128];
} hosted;

/* Finds x's first sqlite sink in its file: the database (resolved as the pipeline resolves
 * it) and the table (the sink's default: the pipeline's name). */
static void find_sink(const char *yaml, hosted *x) {
    char err[512];
    json_t *conf = sl_conf_load(yaml, err, sizeof err);
    sl_conf_ctx c = {.file = yaml, .what = "sink", .err = err, .errlen = sizeof err};
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
        snprintf(x->table, sizeof x->table, "%s", table ? table : name ? name : x->name);
        break;
    }
    json_decref(conf);
}

struct sl_phost {
    pthread_mutex_t lock;
    char dir[PATH_MAX];
    sl_engine *engine;
    sl_registry *reg; /* function stages may name deployed functions */
    hosted items[MAX_PIPELINES];
    size_t n;
};

static void path_of(const sl_phost *h, const char *name, const char *ext, char *out, size_t len) {
    if ((size_t)snprintf(out, len, "%s/%s%s", h->dir, name, ext) >= len) out[0] = 0;
}

static hosted *find(sl_phost *h, const char *name) {
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->items[i].name, name)) return &h->items[i];
    return NULL;
}

/* Stops a running pipeline gracefully; it stays loaded, so its counters can still be read
 * (lock held). */
static void halt(hosted *x) {
    char err[256];
    if (x->p && x->running) {
        sl_pipeline_stop(x->p);
        if (!sl_pipeline_wait(x->p, err, sizeof err))
            snprintf(x->error, sizeof x->error, "%s", err);
    }
    x->running = false;
}

/* Stops and frees a loaded pipeline (lock held). */
static void unload(hosted *x) {
    halt(x);
    sl_pipeline_free(x->p);
    x->p = NULL;
}

static bool load(sl_phost *h, hosted *x) {
    char path[PATH_MAX + 128];
    path_of(h, x->name, ".yaml", path, sizeof path);
    x->error[0] = 0;
    x->p = sl_pipeline_load(path, h->engine, h->reg, x->error, sizeof x->error);
    return x->p != NULL;
}

static bool start(sl_phost *h, hosted *x) {
    if (x->running) return true;
    if (x->p) { /* ran before: threads are not restartable, so a fresh instance */
        sl_pipeline_free(x->p);
        x->p = NULL;
    }
    if (!x->p && !load(h, x)) return false;
    if (!sl_pipeline_start(x->p, x->error, sizeof x->error)) return false;
    x->running = true;
    char mark[PATH_MAX + 128];
    path_of(h, x->name, ".running", mark, sizeof mark);
    FILE *f = fopen(mark, "w");
    if (f) fclose(f);
    sl_log("pipeline %s started", x->name);
    return true;
}

static void stop(sl_phost *h, hosted *x, bool forget_running) {
    if (x->running) sl_log("pipeline %s: stopping, draining what was read", x->name);
    x->error[0] = 0;
    halt(x);
    if (forget_running) {
        char mark[PATH_MAX + 128];
        path_of(h, x->name, ".running", mark, sizeof mark);
        unlink(mark);
    }
}

sl_phost *sl_phost_open(const char *data_dir, sl_engine *engine, sl_registry *reg) {
    sl_phost *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->engine = engine;
    h->reg = reg;
    snprintf(h->dir, sizeof h->dir, "%s/pipelines", data_dir);
    mkdir(h->dir, 0700);
    DIR *d = opendir(h->dir);
    for (struct dirent *e; d && (e = readdir(d)) && h->n < MAX_PIPELINES;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml")) continue;
        hosted *x = &h->items[h->n];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%.*s", (int)(len - 5), e->d_name);
        if (!sl_registry_name_ok(x->name)) continue;
        h->n++;
        char yaml[PATH_MAX + 128];
        path_of(h, x->name, ".yaml", yaml, sizeof yaml);
        find_sink(yaml, x);
        char mark[PATH_MAX + 128];
        path_of(h, x->name, ".running", mark, sizeof mark);
        if (access(mark, F_OK) == 0 && !start(h, x))
            sl_log("pipeline %s: cannot start: %s", x->name, x->error);
    }
    if (d) closedir(d);
    return h;
}

void sl_phost_close(sl_phost *h) {
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) {
        stop(h, &h->items[i], false); /* keep the markers: they run again after a restart */
        unload(&h->items[i]);
    }
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static const char *state_of(const hosted *x) {
    if (x->running && x->p && sl_pipeline_done(x->p)) return "finished";
    return x->running ? "running" : x->error[0] ? "failed" : "stopped";
}

static json_t *describe(const hosted *x) {
    json_t *o = json_pack("{s:s, s:s}", "name", x->name, "state", state_of(x));
    if (x->error[0]) json_object_set_new(o, "error", json_string(x->error));
    if (x->p) json_object_set_new(o, "stats", sl_pipeline_stats(x->p));
    return o;
}

/* Rows of the pipeline's first sqlite sink after rowid `after` (for the dashboard). */
static int records(hosted *x, const char *query, json_t **out) {
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

int sl_phost_api(sl_phost *h, const char *method, char **seg, int nseg, const char *query,
                 const char *body, size_t body_len, json_t **out) {
    bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), post = !strcmp(method, "POST"),
         del = !strcmp(method, "DELETE");
    int status = 200;
    pthread_mutex_lock(&h->lock);
    if (nseg == 0) {
        if (!get) {
            status = 405;
            *out = json_pack("{s:s}", "error", "only GET on /api/pipelines");
        } else {
            json_t *a = json_array();
            for (size_t i = 0; i < h->n; i++)
                json_array_append_new(a, describe(&h->items[i]));
            *out = json_pack("{s:o}", "pipelines", a);
        }
        goto out;
    }
    const char *name = seg[0];
    if (!sl_registry_name_ok(name)) {
        status = 400;
        *out = json_pack("{s:s}", "error", "invalid pipeline name");
        goto out;
    }
    hosted *x = find(h, name);
    if (nseg == 1 && put) {
        /* a new or replaced file: checked by loading it before it is kept */
        if (x && x->running) {
            status = 409;
            *out = json_pack("{s:s}", "error", "the pipeline is running: stop it first");
            goto out;
        }
        if (!x && h->n == MAX_PIPELINES) {
            status = 400;
            *out = json_pack("{s:s}", "error", "too many pipelines");
            goto out;
        }
        char path[PATH_MAX + 128], tmp[PATH_MAX + 128];
        path_of(h, name, ".yaml", path, sizeof path);
        path_of(h, name, ".yaml.new", tmp, sizeof tmp);
        FILE *f = fopen(tmp, "w");
        bool wrote = f && fwrite(body, 1, body_len, f) == body_len;
        if (f) fclose(f);
        char err[512] = "cannot write the pipeline file";
        sl_pipeline *p = wrote ? sl_pipeline_load(tmp, h->engine, h->reg, err, sizeof err) : NULL;
        if (!p) {
            unlink(tmp);
            status = 400;
            /* name the file as the client knows it, not the server's temp path */
            size_t tl = strlen(tmp);
            char msg[600];
            if (!strncmp(err, tmp, tl))
                snprintf(msg, sizeof msg, "%s.yaml%s", name, err + tl);
            else
                snprintf(msg, sizeof msg, "%s", err);
            *out = json_pack("{s:s}", "error", msg);
            goto out;
        }
        sl_pipeline_free(p);
        rename(tmp, path);
        bool created = !x;
        if (!x) {
            x = &h->items[h->n++];
            memset(x, 0, sizeof *x);
            snprintf(x->name, sizeof x->name, "%s", name);
        } else {
            unload(x);
        }
        x->error[0] = 0;
        find_sink(path, x);
        sl_log("pipeline %s %s", name, created ? "created" : "replaced");
        status = created ? 201 : 200;
        *out = describe(x);
        goto out;
    }
    if (!x) {
        status = 404;
        *out = json_pack("{s:s}", "error", "no such pipeline");
        goto out;
    }
    if (nseg == 1 && get) {
        *out = describe(x);
    } else if (nseg == 1 && del) {
        stop(h, x, true);
        char path[PATH_MAX + 128];
        path_of(h, name, ".yaml", path, sizeof path);
        unlink(path);
        *x = h->items[--h->n];
        *out = json_pack("{s:s}", "deleted", name);
    } else if (nseg == 2 && post && !strcmp(seg[1], "start")) {
        if (!start(h, x)) status = 400;
        *out = describe(x);
    } else if (nseg == 2 && post && !strcmp(seg[1], "stop")) {
        stop(h, x, true);
        *out = describe(x);
    } else if (nseg == 2 && get && !strcmp(seg[1], "records")) {
        status = records(x, query, out);
    } else {
        status = nseg <= 2 ? 405 : 404;
        *out = json_pack("{s:s}", "error", "no such pipeline route (see docs/api.md)");
    }
out:
    pthread_mutex_unlock(&h->lock);
    return status;
}

void sl_phost_prometheus(sl_phost *h, FILE *out) {
    pthread_mutex_lock(&h->lock);
    fputs("# HELP sluice_pipeline_records_total Records into and out of each pipeline stage.\n"
          "# TYPE sluice_pipeline_records_total counter\n",
          out);
    for (size_t i = 0; i < h->n; i++)
        if (h->items[i].p) sl_pipeline_prometheus(h->items[i].p, out);
    pthread_mutex_unlock(&h->lock);
}
