/* client_manage.c - the management commands: deploy, functions, versions, alias, delete,
 * logs, stats and config, each one call of the API under /api/ (docs/api.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/file.h"
#include "cli/net/client.h"
#include "cli/net/net.h"

#define SHORT_SHA 12

/* The first 12 hex digits of a SHA-256, or "-". */
static const char *short_sha(const char *sha, char out[SHORT_SHA + 1]) {
    if (!sha || !*sha) return "-";
    snprintf(out, SHORT_SHA + 1, "%s", sha);
    return out;
}

static const char *str(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long num(json_t *o, const char *key) {
    return (long long)json_integer_value(json_object_get(o, key));
}

/* Local time of a Unix time, "2025-11-24 16:00:00". */
static const char *when(double t, char out[32]) {
    time_t s = (time_t)t;
    struct tm tm;
    if (t <= 0 || !localtime_r(&s, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm)) return "-";
    return out;
}

/* A list of strings joined by ", " into out (truncated to outlen), or "-" when empty. */
static const char *joined(json_t *a, char *out, size_t outlen) {
    size_t i, n = 0;
    json_t *v;
    out[0] = 0;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        int w = snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", s);
        if (w < 0 || (size_t)w >= outlen - n) break;
        n += (size_t)w;
    }
    return out[0] ? out : "-";
}

/* NAME percent-encoded for a path; NULL (having said so) when out of memory. */
static char *esc(const client *c, const char *s) {
    char *e = net_escape(s);
    if (!e) fprintf(stderr, "sluice %s: out of memory\n", c->cmd->name);
    return e;
}

/* ---- deploy ---------------------------------------------------------------------------- */

/* The config members as query parameters (lists repeat; a null content_type is left out,
 * as it is the default), and the module's file name, which the server's messages use. Only
 * what the user gave: kind, input and output the user left out come from the module. */
static char *config_query(client *c, const char *file) {
    sl_buf q = {0};
    const char *key;
    json_t *v;
    bool ok = true;
#define ADD(k, val)                                                                                \
    do {                                                                                           \
        char *e_ = net_escape(val);                                                                \
        if (!e_ || !sl_buf_printf(&q, "%s%s=%s", q.len ? "&" : "", k, e_)) ok = false;             \
        free(e_);                                                                                  \
    } while (0)
    json_object_foreach(c->config, key, v) {
        char n[32];
        size_t i;
        json_t *item;
        switch (json_typeof(v)) {
        case JSON_STRING: ADD(key, json_string_value(v)); break;
        case JSON_INTEGER:
            snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
            ADD(key, n);
            break;
        case JSON_TRUE: ADD(key, "true"); break;
        case JSON_FALSE: ADD(key, "false"); break;
        case JSON_ARRAY: json_array_foreach(v, i, item) ADD(key, json_string_value(item)); break;
        default: break;
        }
    }
    if (c->alias) ADD("alias", c->alias);
    const char *base = strrchr(file, '/');
    if (strcmp(file, "-")) ADD("filename", base ? base + 1 : file);
#undef ADD
    if (!ok) {
        sl_buf_free(&q);
        return NULL;
    }
    return sl_buf_take(&q, NULL); /* "" when there is nothing to add */
}

static int run_deploy(client *c) {
    const char *name = c->pos[0], *file = c->pos[1];
    char *wasm;
    size_t len;
    if (!(wasm = sl_read_file(file, 0, &len, NULL))) {
        fprintf(stderr, "sluice deploy: cannot read %s: %s\n", file, strerror(errno));
        return NET_EXIT_USAGE;
    }
    char *query = config_query(c, file), *ename = esc(c, name);
    char *path = query && ename
                     ? client_fmt("/api/functions/%s/versions%s%s", ename, *query ? "?" : "", query)
                     : NULL;
    int rc = NET_EXIT_USAGE;
    if (path) {
        json_t *v;
        long status = 0;
        rc = client_api(c, "POST", path, wasm, len, "application/wasm", &v, &status);
        if (v) {
            char s[SHORT_SHA + 1];
            const char *sha = short_sha(str(v, "sha256"), s);
            printf("deployed %s %s (%s), latest -> %s", str(v, "function"), sha,
                   status == 201 ? "new version" : "unchanged", sha);
            if (c->alias) printf(", %s -> %s", c->alias, sha);
            putchar('\n');
            json_decref(v);
        }
    } else {
        fputs("sluice deploy: out of memory\n", stderr);
    }
    free(path);
    free(query);
    free(ename);
    free(wasm);
    return rc;
}

const client_cmd CLIENT_DEPLOY = {
    .name = "deploy",
    .help = "usage: sluice deploy NAME FILE.wasm [options]\n"
            "Uploads FILE.wasm as a version of function NAME (created if missing) and points\n"
            "its alias latest at it. Deploying the same module with the same config again\n"
            "changes nothing; the same module with another config is refused (use config).\n"
            "The kind and the input and output modes default to what the module declares (its\n"
            "sluice.fn section, written by the SDKs); giving others is refused. A module\n"
            "without the section is a command with raw input and output unless told.\n"
            "\n"
            "options:\n"
            "  --alias A               also point alias A (say prod) at the new version\n",
    .opts = OPTS_COMMON | OPTS_CONFIG | OPT_BIT(OPT_ALIAS),
    .min_pos = 2,
    .max_pos = 2,
    .run = run_deploy,
};

/* ---- functions, versions ---------------------------------------------------------------- */

static int run_functions(client *c) {
    json_t *j;
    int rc = client_api(c, "GET", "/api/functions", NULL, 0, NULL, &j, NULL);
    if (!j) return rc;
    json_t *list = json_object_get(j, "functions"), *f;
    size_t i;
    int w = 4;
    json_array_foreach(list, i, f) {
        int n = (int)strlen(str(f, "name"));
        if (n > w) w = n;
    }
    printf("%-*s  %8s  %-12s  %s\n", w, "NAME", "VERSIONS", "LATEST", "CREATED");
    json_array_foreach(list, i, f) {
        char s[SHORT_SHA + 1], t[32];
        printf("%-*s  %8lld  %-12s  %s\n", w, str(f, "name"), num(f, "versions"),
               short_sha(str(f, "latest"), s), when((double)num(f, "created"), t));
    }
    json_decref(j);
    return rc;
}

const client_cmd CLIENT_FUNCTIONS = {
    .name = "functions",
    .help = "usage: sluice functions [options]\n"
            "Lists the server's functions: name, number of versions, the version latest\n"
            "points at, and when it was created.\n"
            "\n"
            "options:\n",
    .opts = OPTS_COMMON,
    .run = run_functions,
};

/* METHOD /api/functions/NAME + suffix, NAME being the first argument (URL-escaped): the
 * exit code, and the answer's JSON in *j (NULL when there is none). */
static int fn_call(client *c, const char *method, const char *suffix, json_t **j) {
    char *name = esc(c, c->pos[0]);
    char *path = name ? client_fmt("/api/functions/%s%s", name, suffix) : NULL;
    free(name);
    *j = NULL;
    if (!path) return NET_EXIT_USAGE;
    int rc = client_api(c, method, path, NULL, 0, NULL, j, NULL);
    free(path);
    return rc;
}

static int run_versions(client *c) {
    json_t *j;
    int rc = fn_call(c, "GET", "/versions", &j);
    if (!j) return rc;
    printf("%-12s  %10s  %-19s  %-20s  %s\n", "SHA", "SIZE", "CREATED", "ALIASES", "KIND");
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(j, "versions"), i, v) {
        char s[SHORT_SHA + 1], t[32], a[1024];
        printf("%-12s  %10lld  %-19s  %-20s  %s\n", short_sha(str(v, "sha256"), s), num(v, "size"),
               when((double)num(v, "created"), t),
               joined(json_object_get(v, "aliases"), a, sizeof a),
               str(json_object_get(v, "config"), "kind"));
    }
    json_decref(j);
    return rc;
}

const client_cmd CLIENT_VERSIONS = {
    .name = "versions",
    .help = "usage: sluice versions NAME [options]\n"
            "Lists the versions of function NAME, newest first: SHA-256 (first 12 digits),\n"
            "module size in bytes, when it was deployed, the aliases pointing at it, its kind.\n"
            "\n"
            "options:\n",
    .opts = OPTS_COMMON,
    .min_pos = 1,
    .max_pos = 1,
    .run = run_versions,
};

/* ---- alias, delete ---------------------------------------------------------------------- */

static int run_alias(client *c) {
    char *name = esc(c, c->pos[0]), *alias = esc(c, c->pos[1]);
    char *path = name && alias ? client_fmt("/api/functions/%s/aliases/%s", name, alias) : NULL;
    json_t *body = json_pack("{s:s}", "version", c->pos[2]);
    int rc = NET_EXIT_USAGE;
    if (path && body) {
        json_t *j;
        rc = client_api_json(c, "PUT", path, body, &j);
        if (j) {
            char s[SHORT_SHA + 1];
            printf("%s@%s -> %s\n", c->pos[0], str(j, "alias"), short_sha(str(j, "version"), s));
            json_decref(j);
        }
    }
    json_decref(body);
    free(path);
    free(name);
    free(alias);
    return rc;
}

const client_cmd CLIENT_ALIAS = {
    .name = "alias",
    .help = "usage: sluice alias NAME ALIAS REF [options]\n"
            "Points alias ALIAS of function NAME at version REF (another alias, or 8 or more\n"
            "hex digits of a SHA-256), creating or moving it; NAME@ALIAS then runs it.\n"
            "\n"
            "options:\n",
    .opts = OPTS_COMMON,
    .min_pos = 3,
    .max_pos = 3,
    .run = run_alias,
};

static int run_delete(client *c) {
    json_t *j;
    int rc = fn_call(c, "DELETE", "", &j);
    if (j) printf("deleted %s\n", str(j, "deleted"));
    json_decref(j);
    return rc;
}

const client_cmd CLIENT_DELETE = {
    .name = "delete",
    .help = "usage: sluice delete NAME [options]\n"
            "Deletes function NAME with all its versions, aliases and logs.\n"
            "\n"
            "options:\n",
    .opts = OPTS_COMMON,
    .min_pos = 1,
    .max_pos = 1,
    .run = run_delete,
};

/* ---- logs, stats ------------------------------------------------------------------------ */

static int run_logs(client *c) {
    char suffix[48] = "/logs";
    if (c->limit >= 0) snprintf(suffix, sizeof suffix, "/logs?limit=%lld", c->limit);
    json_t *j;
    int rc = fn_call(c, "GET", suffix, &j);
    if (!j) return rc;
    /* The server sends the newest first; print them in the order they happened. */
    json_t *logs = json_object_get(j, "logs");
    for (size_t i = json_array_size(logs); i-- > 0;) {
        json_t *e = json_array_get(logs, i);
        double t = json_number_value(json_object_get(e, "time"));
        char ts[32], s[SHORT_SHA + 1];
        printf("%s.%03d  %s  %3lld  %-10s  %8.2f ms  %s", when(t, ts),
               (int)((t - (double)(long long)t) * 1000) % 1000, str(e, "request_id"),
               num(e, "status"), str(e, "outcome"),
               json_number_value(json_object_get(e, "duration_ms")),
               short_sha(str(e, "version"), s));
        if (*str(e, "error")) printf("  %s", str(e, "error"));
        putchar('\n');
        /* the guest's stderr, each line indented */
        const char *p = str(e, "stderr");
        while (*p) {
            size_t n = strcspn(p, "\n");
            printf("    %.*s\n", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    json_decref(j);
    return rc;
}

const client_cmd CLIENT_LOGS = {
    .name = "logs",
    .help = "usage: sluice logs NAME [--limit N] [options]\n"
            "Shows the last invocations of function NAME, oldest first, one line each (time,\n"
            "request id, HTTP status, outcome, duration, version, error) followed by what the\n"
            "guest wrote to stderr, indented.\n"
            "\n"
            "options:\n"
            "  --limit N               the last N invocations (default: the server's, 100)\n",
    .opts = OPTS_COMMON | OPT_BIT(OPT_LIMIT),
    .min_pos = 1,
    .max_pos = 1,
    .run = run_logs,
};

static int run_stats(client *c) {
    json_t *j;
    int rc = fn_call(c, "GET", "/stats", &j);
    if (!j) return rc;
    printf("function     %s\n", str(j, "function"));
    printf("invocations  %lld\n", num(j, "invocations"));
    printf("errors      ");
    const char *kind;
    json_t *v;
    long long nerr = 0;
    json_object_foreach(json_object_get(j, "errors"), kind, v) {
        if (!json_integer_value(v)) continue;
        printf("%s %s %lld", nerr ? "," : "", kind, (long long)json_integer_value(v));
        nerr += json_integer_value(v);
    }
    printf("%s\n", nerr ? "" : " none");
    json_t *d = json_object_get(j, "duration_ms");
    printf(
        "duration     mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
        json_number_value(json_object_get(d, "mean")), json_number_value(json_object_get(d, "p50")),
        json_number_value(json_object_get(d, "p99")), json_number_value(json_object_get(d, "max")));
    printf("in flight    %lld\n", num(j, "in_flight"));
    printf("instances    %lld (%.1f MiB of linear memory)\n", num(j, "instances"),
           (double)num(j, "memory_bytes") / (1024.0 * 1024.0));
    json_decref(j);
    return rc;
}

const client_cmd CLIENT_STATS = {
    .name = "stats",
    .help = "usage: sluice stats NAME [options]\n"
            "Shows function NAME's counters since the server started: invocations, errors by\n"
            "kind, durations, requests in flight, warm instances and their memory.\n"
            "\n"
            "options:\n",
    .opts = OPTS_COMMON,
    .min_pos = 1,
    .max_pos = 1,
    .run = run_stats,
};

/* ---- config ----------------------------------------------------------------------------- */

static void print_config(json_t *v) {
    char s[SHORT_SHA + 1], a[1024];
    printf("%s@%s (aliases: %s)\n", str(v, "function"), short_sha(str(v, "sha256"), s),
           joined(json_object_get(v, "aliases"), a, sizeof a));
    const char *key;
    json_t *m;
    json_object_foreach(json_object_get(v, "config"), key, m) {
        printf("  %-13s ", key);
        switch (json_typeof(m)) {
        case JSON_STRING: printf("%s\n", json_string_value(m)); break;
        case JSON_INTEGER: printf("%lld\n", (long long)json_integer_value(m)); break;
        case JSON_REAL: printf("%g\n", json_real_value(m)); break;
        case JSON_TRUE: puts("true"); break;
        case JSON_FALSE: puts("false"); break;
        case JSON_ARRAY: puts(joined(m, a, sizeof a)); break;
        case JSON_NULL: puts("-"); break;
        default: {
            char *t = json_dumps(m, JSON_COMPACT);
            puts(t ? t : "?");
            free(t);
        }
        }
    }
}

static int run_config(client *c) {
    const char *at = strchr(c->pos[0], '@');
    char *fn = at ? strndup(c->pos[0], (size_t)(at - c->pos[0])) : strdup(c->pos[0]);
    if (!fn || !*fn || (at && !at[1])) {
        free(fn);
        return client_usage(c, "bad NAME[@REF] '%s'", c->pos[0]);
    }
    char *name = esc(c, fn), *ref = esc(c, at ? at + 1 : "latest");
    bool update = json_object_size(c->config) > 0;
    char *path = name && ref ? client_fmt("/api/functions/%s/versions/%s%s", name, ref,
                                          update ? "/config" : "")
                             : NULL;
    int rc = NET_EXIT_USAGE;
    json_t *v = NULL;
    if (path && update)
        rc = client_api_json(c, "PUT", path, c->config, &v);
    else if (path)
        rc = client_api(c, "GET", path, NULL, 0, NULL, &v, NULL);
    if (v) {
        if (update) fputs("updated ", stdout);
        print_config(v);
        json_decref(v);
    }
    free(path);
    free(name);
    free(ref);
    free(fn);
    return rc;
}

const client_cmd CLIENT_CONFIG = {
    .name = "config",
    .help = "usage: sluice config NAME[@REF] [options]\n"
            "Shows the config of a version of function NAME (REF: an alias or 8 or more hex\n"
            "digits of its SHA-256; default latest), or with config options changes those\n"
            "members (the others stay); running instances of the version are replaced.\n"
            "\n"
            "options:\n",
    .opts = OPTS_COMMON | OPTS_CONFIG,
    .min_pos = 1,
    .max_pos = 1,
    .run = run_config,
};
