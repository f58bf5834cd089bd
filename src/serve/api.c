/*
 * api.c - the management API under /api/ (docs/api.md): functions, versions, aliases,
 * configs, logs and stats, as JSON, behind the bearer token in DATA/token.
 *
 * Handlers run on the network thread: they only touch the registry (SQLite, short
 * transactions) and validate uploaded modules, which is fast next to an upload itself.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "fn/config.h"
#include "fn/declared.h"
#include "serve/server_impl.h"

#define MAX_SEGMENTS 6

static unsigned http_status(sl_reg_status s) {
    switch (s) {
    case SL_REG_OK: return 200;
    case SL_REG_INVALID: return 400;
    case SL_REG_NOT_FOUND: return 404;
    case SL_REG_EXISTS:
    case SL_REG_AMBIGUOUS: return 409;
    case SL_REG_ERROR: break;
    }
    return 500;
}

/* {"error": msg} with the status the registry's status maps to. */
static void reg_error(sl_req *r, sl_reg_status s, const char *msg) {
    unsigned code = http_status(s);
    if (code == 500) sl_log("api %s %s: %s", r->method, r->path, msg);
    sl_resp_json(r, code, json_pack("{s:s}", "error", msg));
}

static void api_error(sl_req *r, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void api_error(sl_req *r, unsigned code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_resp_json(r, code, json_pack("{s:s}", "error", msg));
}

static bool authorized(sl_req *r) {
    const char *token = sl_registry_token(r->srv->reg);
    const char *h = sl_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    size_t tlen = strlen(token);
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        h += 7;
        while (*h == ' ')
            h++;
        if (strlen(h) == tlen && CRYPTO_memcmp(h, token, tlen) == 0) return true;
    }
    atomic_fetch_add(&r->srv->unauthorized, 1);
    sl_log("api: 401 for %s %s from %s: %s", r->method, r->path, r->source_ip,
           h ? "wrong token" : "no bearer token");
    struct MHD_Response *resp =
        sl_resp_json(r, 401,
                     json_pack("{s:s}", "error",
                               h ? "wrong token"
                                 : "an Authorization: Bearer TOKEN header is needed "
                                   "(the token is in DATA/token)"));
    if (resp) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    return false;
}

/* ---- JSON forms ---------------------------------------------------------------------------- */

static json_t *function_json(const sl_fn_info *f) {
    return json_pack("{s:s, s:I, s:i, s:s}", "name", f->name, "created", (json_int_t)f->created,
                     "versions", (int)f->nversions, "latest", f->latest);
}

static json_t *version_json(const sl_fn_version *v) {
    json_t *aliases = json_array();
    for (uint32_t i = 0; i < v->naliases; i++)
        json_array_append_new(aliases, json_string(v->aliases[i]));
    return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "function", v->function, "sha256",
                     v->sha256, "size", (json_int_t)v->size, "created", (json_int_t)v->created,
                     "aliases", aliases, "config", sl_fn_config_json(&v->config), "declared",
                     sl_fn_declared_json(&v->declared));
}

/* Resolves fn@ref into *v (clear it after), or answers the registry's error and returns
 * false. */
static bool resolve_version(sl_req *r, const char *fn, const char *ref, sl_fn_version *v) {
    char full[2 * SL_REG_NAME_MAX + SL_REG_SHA_LEN + 4];
    sl_error err = {0};
    snprintf(full, sizeof full, "%s@%s", fn, ref);
    sl_reg_status s = sl_registry_resolve(r->srv->reg, full, v, &err);
    if (s) reg_error(r, s, err.message);
    return s == SL_REG_OK;
}

/* The version `ref` of fn as JSON, or an error response. */
static json_t *resolve_json(sl_req *r, const char *fn, const char *ref) {
    sl_fn_version v;
    if (!resolve_version(r, fn, ref, &v)) return NULL;
    json_t *o = version_json(&v);
    sl_fn_version_clear(&v);
    return o;
}

static json_t *parse_body(sl_req *r) {
    json_error_t jerr;
    json_t *o = json_loadb((const char *)r->body, r->body_len, 0, &jerr);
    if (!o) api_error(r, 400, "the body is not JSON: %s (line %d)", jerr.text, jerr.line);
    return o;
}

/* ---- Functions ----------------------------------------------------------------------------- */

static void list_functions(sl_req *r) {
    sl_fn_info *fns;
    size_t n;
    sl_error err = {0};
    sl_reg_status s = sl_registry_list_functions(r->srv->reg, &fns, &n, &err);
    if (s) return reg_error(r, s, err.message);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, function_json(&fns[i]));
    free(fns);
    sl_resp_json(r, 200, json_pack("{s:o}", "functions", a));
}

/* The function's info, or false with an error response. */
static bool find_function(sl_req *r, const char *name, sl_fn_info *out) {
    sl_fn_info *fns;
    size_t n;
    sl_error err = {0};
    sl_reg_status s = sl_registry_list_functions(r->srv->reg, &fns, &n, &err);
    if (s) {
        reg_error(r, s, err.message);
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        if (!strcmp(fns[i].name, name)) *out = fns[i], found = true;
    free(fns);
    if (!found) api_error(r, 404, "no function \"%.80s\"", name);
    return found;
}

static void create_function(sl_req *r) {
    json_t *o = parse_body(r);
    if (!o) return;
    const char *name = json_string_value(json_object_get(o, "name"));
    sl_error err = {0};
    if (!name) {
        api_error(r, 400, "expected {\"name\": \"...\"}");
    } else {
        sl_reg_status s = sl_registry_create_function(r->srv->reg, name, &err);
        sl_fn_info f;
        if (s)
            reg_error(r, s, err.message);
        else if (find_function(r, name, &f))
            sl_resp_json(r, 201, function_json(&f));
        if (!s) sl_log("api: created function %s", name);
    }
    json_decref(o);
}

static json_t *versions_array(sl_req *r, const char *name) {
    sl_fn_version *vs;
    size_t n;
    sl_error err = {0};
    sl_reg_status s = sl_registry_list_versions(r->srv->reg, name, &vs, &n, &err);
    if (s) {
        reg_error(r, s, err.message);
        return NULL;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, version_json(&vs[i]));
    sl_fn_versions_free(vs, n);
    return a;
}

static void get_function(sl_req *r, const char *name) {
    sl_fn_info f;
    if (!find_function(r, name, &f)) return;
    json_t *versions = versions_array(r, name);
    if (!versions) return;
    json_t *aliases = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) {
        size_t j;
        json_t *a;
        json_array_foreach(json_object_get(v, "aliases"), j, a) {
            json_object_set(aliases, json_string_value(a), json_object_get(v, "sha256"));
        }
    }
    sl_resp_json(r, 200,
                 json_pack("{s:o, s:o, s:o}", "function", function_json(&f), "versions", versions,
                           "aliases", aliases));
}

static void delete_function(sl_req *r, const char *name) {
    sl_error err = {0};
    sl_reg_status s = sl_registry_delete_function(r->srv->reg, name, &err);
    if (s) return reg_error(r, s, err.message);
    sl_fncache_forget(r->srv->cache, name);
    sl_fnstats *fs = sl_fnstats_find(r->srv->stats, name);
    if (fs) sl_fnstats_clear(fs);
    sl_log("api: deleted function %s", name);
    sl_resp_json(r, 200, json_pack("{s:s}", "deleted", name));
}

/* ---- Uploads ------------------------------------------------------------------------------- */

typedef struct upload {
    sl_buf module, config, alias; /* the parts, as MHD hands them over in pieces */
    char *filename;               /* the module part's, for messages */
    bool too_many;
} upload;

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size) {
    (void)kind, (void)content_type, (void)transfer_encoding, (void)off;
    upload *u = cls;
    if (!strcmp(key, "module")) {
        if (filename && *filename && !u->filename && !(u->filename = strdup(filename)))
            return MHD_NO;
        return sl_buf_append(&u->module, data, size) ? MHD_YES : MHD_NO;
    }
    if (!strcmp(key, "config")) return sl_buf_append(&u->config, data, size) ? MHD_YES : MHD_NO;
    if (!strcmp(key, "alias")) return sl_buf_append(&u->alias, data, size) ? MHD_YES : MHD_NO;
    return MHD_YES; /* other fields are ignored */
}

/* Which of kind, input and output `key` is (SL_FN_GIVEN_*), or 0. */
static unsigned given_bit(const char *key) {
    return !strcmp(key, "kind")     ? SL_FN_GIVEN_KIND
           : !strcmp(key, "input")  ? SL_FN_GIVEN_INPUT
           : !strcmp(key, "output") ? SL_FN_GIVEN_OUTPUT
                                    : 0;
}

/* Applies ?key=value&... to cfg, adding to *given the modes it sets; "alias" goes to *alias,
 * "filename" (the module's, for messages) to *filename. False with an error response. */
static bool apply_query(sl_req *r, sl_fn_config *cfg, unsigned *given, char **alias,
                        char **filename) {
    if (!r->query) return true;
    char *q = strdup(r->query), *save = NULL;
    sl_error err = {0};
    if (!q) return false;
    bool ok = true;
    for (char *kv = strtok_r(q, "&", &save); kv && ok; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        char *val = eq ? eq + 1 : (char *)"";
        if (eq) *eq = 0;
        for (char *p = kv; *p; p++)
            if (*p == '+') *p = ' ';
        for (char *p = val; *p; p++)
            if (*p == '+') *p = ' ';
        MHD_http_unescape(kv);
        MHD_http_unescape(val);
        if (!strcmp(kv, "alias")) {
            free(*alias);
            *alias = strdup(val);
        } else if (!strcmp(kv, "filename")) {
            free(*filename);
            *filename = strdup(val);
        } else if (!sl_fn_config_set(cfg, kv, val, &err)) {
            api_error(r, 400, "%s", err.message);
            ok = false;
        } else {
            *given |= given_bit(kv);
        }
    }
    free(q);
    return ok;
}

static void upload_version(sl_req *r, const char *name) {
    sl_fn_config cfg = sl_fn_config_default();
    upload u = {0};
    char *alias = NULL, *filename = NULL;
    sl_error err = {0};
    unsigned given = 0; /* which of kind, input and output the request sets */
    const uint8_t *module = r->body;
    size_t module_len = r->body_len;
    const char *ctype = sl_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ctype && !strncasecmp(ctype, "multipart/form-data", 19)) {
        struct MHD_PostProcessor *pp = MHD_create_post_processor(r->conn, 64 * 1024, on_part, &u);
        bool ok = pp && MHD_post_process(pp, (const char *)r->body, r->body_len) == MHD_YES;
        if (pp) MHD_destroy_post_processor(pp);
        if (!ok) {
            api_error(r, 400, "cannot read the multipart/form-data body");
            goto out;
        }
        module = (const uint8_t *)u.module.data, module_len = u.module.len;
        if (u.alias.data) alias = strdup(u.alias.data);
        if (u.config.data) {
            json_error_t jerr;
            json_t *o = json_loads(u.config.data, 0, &jerr);
            if (!o) {
                api_error(r, 400, "the config part is not JSON: %s", jerr.text);
                goto out;
            }
            bool applied = sl_fn_config_apply(&cfg, o, &err);
            const char *key;
            json_t *val;
            json_object_foreach(o, key, val) given |= given_bit(key);
            json_decref(o);
            if (!applied) {
                api_error(r, 400, "%s", err.message);
                goto out;
            }
        }
    }
    if (!apply_query(r, &cfg, &given, &alias, &filename)) goto out;
    if (!sl_fn_config_check(&cfg, &err)) {
        api_error(r, 400, "%s", err.message);
        goto out;
    }
    if (!module_len) {
        api_error(r, 400,
                  "no module: send the .wasm file as the body (or a multipart part "
                  "named \"module\")");
        goto out;
    }
    /* The module's own declaration of its kind and modes: what the request leaves out comes
     * from it, and what the request sets must agree with it (a deployment that contradicts
     * it would only ever answer with the SDK's "malformed event" and the like). */
    const char *what = filename ? filename : u.filename ? u.filename : "the module";
    sl_fn_declared declared;
    sl_error derr;
    if (!sl_fn_declared_read(module, module_len, what, &declared, &derr) ||
        !sl_fn_declared_apply(&declared, what, given, &cfg, &derr)) {
        sl_log("api: upload to %s refused: %s", name, derr.message);
        api_error(r, 400, "%s", derr.message);
        goto out;
    }
    char sha[SL_REG_SHA_LEN + 1];
    bool created = false;
    sl_reg_status s =
        sl_registry_add_version(r->srv->reg, name, module, module_len, &cfg, sha, &created, &err);
    if (s == SL_REG_NOT_FOUND) { /* the function is new: make it, then add */
        s = sl_registry_create_function(r->srv->reg, name, &err);
        if (s == SL_REG_EXISTS) s = SL_REG_OK;
        if (!s)
            s = sl_registry_add_version(r->srv->reg, name, module, module_len, &cfg, sha, &created,
                                        &err);
    }
    if (!s && alias) s = sl_registry_set_alias(r->srv->reg, name, alias, sha, &err);
    if (s) {
        sl_log("api: upload to %s refused: %s", name, err.message);
        reg_error(r, s, err.message);
        goto out;
    }
    sl_log("api: %s version %.12s of %s (%zu bytes)%s%s", created ? "added" : "kept", sha, name,
           module_len, alias ? ", alias " : "", alias ? alias : "");
    json_t *v = resolve_json(r, name, sha);
    if (v) sl_resp_json(r, created ? 201 : 200, v);
out:
    sl_fn_config_free(&cfg);
    sl_buf_free(&u.module);
    sl_buf_free(&u.config);
    sl_buf_free(&u.alias);
    free(u.filename);
    free(alias);
    free(filename);
}

static void set_config(sl_req *r, const char *name, const char *ref) {
    json_t *o = parse_body(r);
    if (!o) return;
    sl_error err = {0};
    sl_fn_version v;
    sl_reg_status s;
    if (resolve_version(r, name, ref, &v)) {
        unsigned given = 0;
        const char *key;
        json_t *val;
        json_object_foreach(o, key, val) given |= given_bit(key);
        sl_error derr;
        char what[SL_REG_NAME_MAX + 40];
        snprintf(what, sizeof what, "the module of %s@%.12s", name, v.sha256);
        if (!sl_fn_config_apply(&v.config, o, &err))
            api_error(r, 400, "%s", err.message);
        else if (!sl_fn_declared_apply(&v.declared, what, given, &v.config, &derr))
            api_error(r, 400, "%s", derr.message);
        else if ((s = sl_registry_set_config(r->srv->reg, name, v.sha256, &v.config, &err)))
            reg_error(r, s, err.message);
        else {
            sl_log("api: new config for version %.12s of %s", v.sha256, name);
            json_t *out = resolve_json(r, name, v.sha256);
            if (out) sl_resp_json(r, 200, out);
        }
        sl_fn_version_clear(&v);
    }
    json_decref(o);
}

/* ---- Aliases, logs, stats ------------------------------------------------------------------ */

static void put_alias(sl_req *r, const char *name, const char *alias) {
    json_t *o = parse_body(r);
    if (!o) return;
    const char *target = json_string_value(json_object_get(o, "version"));
    sl_error err = {0};
    if (!target) {
        api_error(r, 400, "expected {\"version\": \"REF\"}");
    } else {
        sl_reg_status s = sl_registry_set_alias(r->srv->reg, name, alias, target, &err);
        json_t *v = s ? NULL : resolve_json(r, name, alias);
        if (s)
            reg_error(r, s, err.message);
        else if (v) {
            sl_log("api: alias %s of %s -> %.12s", alias, name,
                   json_string_value(json_object_get(v, "sha256")));
            sl_resp_json(
                r, 200,
                json_pack("{s:s, s:O}", "alias", alias, "version", json_object_get(v, "sha256")));
            json_decref(v);
        }
    }
    json_decref(o);
}

static void delete_alias(sl_req *r, const char *name, const char *alias) {
    sl_error err = {0};
    sl_reg_status s = sl_registry_delete_alias(r->srv->reg, name, alias, &err);
    if (s) return reg_error(r, s, err.message);
    sl_resp_json(r, 200, json_pack("{s:s}", "deleted", alias));
}

/* The value of query parameter key as a count, or def. */
static size_t query_count(sl_req *r, const char *key, size_t def) {
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
    char *end;
    unsigned long long n = v ? strtoull(v, &end, 10) : 0;
    return v && *v && !*end ? (size_t)n : def;
}

static void get_logs(sl_req *r, const char *name) {
    sl_fn_info f;
    if (!find_function(r, name, &f)) return;
    sl_fnstats *fs = sl_fnstats_get(r->srv->stats, name);
    if (!fs) return api_error(r, 500, "out of memory");
    sl_resp_json(r, 200, sl_fnstats_logs_json(fs, query_count(r, "limit", 100)));
}

static void get_stats(sl_req *r, const char *name) {
    sl_fn_info f;
    if (!find_function(r, name, &f)) return;
    sl_fnstats *fs = sl_fnstats_get(r->srv->stats, name);
    if (!fs) return api_error(r, 500, "out of memory");
    sl_resp_json(r, 200, sl_fnstats_json(fs));
}

/* ---- Routing ------------------------------------------------------------------------------- */

static bool is(const sl_req *r, const char *method) {
    return !strcmp(r->method, method);
}

/* Splits what follows /api/ into segments (in path, a copy); -1 when there are too many. */
static int split_path(const sl_req *r, char path[1024], char *seg[MAX_SEGMENTS + 1]) {
    snprintf(path, 1024, "%s", r->path + 4);
    char *save = NULL;
    int n = 0;
    for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS) return -1;
        seg[n++] = s;
    }
    return n;
}

/* /api/pipelines/...: the path is split again here, on the worker (the network thread's
 * copy is gone once it returns). */
static void run_pipelines_api(sl_req *r) {
    char path[1024], *seg[MAX_SEGMENTS + 1] = {0};
    int n = split_path(r, path, seg);
    json_t *out = NULL;
    int status = r->srv->cfg.pipelines->api(r->srv->pipelines, r->method, seg + 1, n - 1, r->query,
                                            (const char *)r->body, r->body_len, &out);
    sl_resp_json(r, (unsigned)status, out);
}

void sl_api_handle(sl_req *r) {
    if (!authorized(r)) return;
    /* /api/functions/NAME/... split into segments */
    char path[1024], *seg[MAX_SEGMENTS + 1] = {0};
    int n = split_path(r, path, seg);
    bool get = is(r, "GET"), post = is(r, "POST"), put = is(r, "PUT"), del = is(r, "DELETE");
    bool known = true, allowed = true;
    if (n >= 1 && !strcmp(seg[0], "pipelines")) {
        if (!r->srv->pipelines) {
            sl_resp_error(r, 404, "not_found", "this server hosts no pipelines");
            return;
        }
        /* loading a pipeline compiles its functions and stopping one drains it: on a
         * worker, never on a network thread */
        sl_gateway_offload(r, run_pipelines_api);
        return;
    }
    if (n < 1 || strcmp(seg[0], "functions") != 0)
        known = false;
    else if (n == 1)
        get ? list_functions(r) : post ? create_function(r) : (void)(allowed = false);
    else if (n == 2)
        get ? get_function(r, seg[1]) : del ? delete_function(r, seg[1]) : (void)(allowed = false);
    else if (n == 3 && !strcmp(seg[2], "versions")) {
        if (get) {
            json_t *a = versions_array(r, seg[1]);
            if (a) sl_resp_json(r, 200, json_pack("{s:o}", "versions", a));
        } else if (post)
            upload_version(r, seg[1]);
        else
            allowed = false;
    } else if (n == 4 && !strcmp(seg[2], "versions")) {
        json_t *v = get ? resolve_json(r, seg[1], seg[3]) : NULL;
        if (v) sl_resp_json(r, 200, v);
        allowed = get;
    } else if (n == 5 && !strcmp(seg[2], "versions") && !strcmp(seg[4], "config")) {
        put ? set_config(r, seg[1], seg[3]) : (void)(allowed = false);
    } else if (n == 4 && !strcmp(seg[2], "aliases")) {
        put   ? put_alias(r, seg[1], seg[3])
        : del ? delete_alias(r, seg[1], seg[3])
              : (void)(allowed = false);
    } else if (n == 3 && !strcmp(seg[2], "logs")) {
        get ? get_logs(r, seg[1]) : (void)(allowed = false);
    } else if (n == 3 && !strcmp(seg[2], "stats")) {
        get ? get_stats(r, seg[1]) : (void)(allowed = false);
    } else
        known = false;
    if (!known)
        api_error(r, 404, "no such API route: %s %s (see docs/api.md)", r->method, r->path);
    else if (!allowed)
        api_error(r, 405, "%s is not allowed on %s", r->method, r->path);
}
