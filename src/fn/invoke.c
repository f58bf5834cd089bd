/* invoke.c - one HTTP request through a command function: event in, response out. */
#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fn/invoke.h"
#include "sluice_wasi.h"

#include "base/error.h"

/* ---- the event ---------------------------------------------------------------------------- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+n) (and '+' as a space, as forms encode it) into a new string. */
static char *url_decode(const char *s, size_t n) {
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = 0;
    return out;
}

/* Set key to a JSON string of value, skipping values that are not valid UTF-8 (JSON cannot
 * carry them). */
static void set_string(json_t *obj, const char *key, const char *value, size_t len) {
    json_t *s = json_stringn(value, len);
    if (s) json_object_set_new(obj, key, s);
}

static json_t *query_object(const char *query) {
    if (!query || !*query) return json_null();
    json_t *obj = json_object();
    for (const char *p = query; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        char *k = url_decode(p, klen);
        char *v = eq ? url_decode(eq + 1, n - klen - 1) : strdup("");
        if (k && v && *k) set_string(obj, k, v, strlen(v));
        free(k);
        free(v);
        p += n;
        if (*p == '&') p++;
    }
    return obj;
}

static char *base64_encode(const uint8_t *data, size_t len) {
    if (len > (SIZE_MAX / 4) * 3 - 3) return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

char *sl_invoke_event_json(const sl_http_request *req) {
    json_t *ev = json_object(), *headers = json_object(), *ctx = json_object();
    set_string(ev, "httpMethod", req->method, strlen(req->method));
    set_string(ev, "path", req->path, strlen(req->path));
    for (uint32_t i = 0; i < req->nheaders; i++)
        set_string(headers, req->headers[i].name, req->headers[i].value,
                   strlen(req->headers[i].value));
    json_object_set_new(ev, "headers", headers);
    json_object_set_new(ev, "queryString", req->query ? json_string(req->query) : json_null());
    json_object_set_new(ev, "queryStringParameters", query_object(req->query));
    if (req->path_rest && *req->path_rest) {
        json_t *pp = json_object();
        set_string(pp, "proxy", req->path_rest, strlen(req->path_rest));
        json_object_set_new(ev, "pathParameters", pp);
    } else {
        json_object_set_new(ev, "pathParameters", json_null());
    }
    /* A body JSON can carry as text goes as text; anything else base64-encoded. */
    json_t *body = req->body_len ? json_stringn((const char *)req->body, req->body_len) : NULL;
    bool b64 = req->body_len && !body;
    if (b64) {
        char *enc = base64_encode(req->body, req->body_len);
        body = enc ? json_string(enc) : NULL;
        free(enc);
    }
    json_object_set_new(ev, "body", body ? body : json_null());
    json_object_set_new(ev, "isBase64Encoded", json_boolean(b64));
    set_string(ctx, "requestId", req->request_id ? req->request_id : "",
               req->request_id ? strlen(req->request_id) : 0);
    set_string(ctx, "sourceIp", req->source_ip ? req->source_ip : "",
               req->source_ip ? strlen(req->source_ip) : 0);
    set_string(ctx, "stage", req->stage ? req->stage : "", req->stage ? strlen(req->stage) : 0);
    set_string(ctx, "path", req->path, strlen(req->path));
    set_string(ctx, "httpMethod", req->method, strlen(req->method));
    json_object_set_new(ev, "requestContext", ctx);
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

/* ---- the response ------------------------------------------------------------------------- */

static const char *outcome_name(sl_invoke_outcome o) {
    static const char *names[] = {"ok", "trap", "exit", "timeout", "bad_output", "error"};
    return names[o];
}

void sl_invoke_fail(sl_http_response *res, const sl_http_request *req, int status,
                    sl_invoke_outcome outcome, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
    res->status = status;
    res->outcome = outcome;
    json_t *e = json_pack("{s:s, s:s, s:s}", "error", res->error, "kind", outcome_name(outcome),
                          "requestId", req->request_id ? req->request_id : "");
    char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    free(res->body);
    res->body = (uint8_t *)s;
    res->body_len = s ? strlen(s) : 0;
    snprintf(res->content_type, sizeof res->content_type, "application/json");
}

static bool starts_with_ci(const uint8_t *p, size_t n, const char *word) {
    size_t w = strlen(word);
    if (n < w) return false;
    for (size_t i = 0; i < w; i++)
        if (tolower(p[i]) != word[i]) return false;
    return true;
}

/* What a raw response most likely is: SVG, HTML, JSON, or text. */
static const char *sniff(const uint8_t *p, size_t n) {
    while (n && isspace(*p))
        p++, n--;
    if (starts_with_ci(p, n, "<svg") ||
        (starts_with_ci(p, n, "<?xml") && memmem(p, n < 512 ? n : 512, "<svg", 4)))
        return "image/svg+xml";
    if (starts_with_ci(p, n, "<!doctype html") || starts_with_ci(p, n, "<html"))
        return "text/html; charset=utf-8";
    if (n && (*p == '{' || *p == '[')) {
        json_t *j = json_loadb((const char *)p, n, JSON_DECODE_ANY, NULL);
        if (j) {
            json_decref(j);
            return "application/json";
        }
    }
    json_t *s = json_stringn((const char *)p, n); /* valid UTF-8? */
    if (s) {
        json_decref(s);
        return "text/plain; charset=utf-8";
    }
    return "application/octet-stream";
}

static bool add_header(sl_http_response *res, const char *name, const char *value) {
    char **n = realloc(res->header_names, (res->nheaders + 1) * sizeof *n);
    if (!n) return false;
    res->header_names = n;
    char **v = realloc(res->header_values, (res->nheaders + 1) * sizeof *v);
    if (!v) return false;
    res->header_values = v;
    n[res->nheaders] = strdup(name);
    v[res->nheaders] = strdup(value);
    if (!n[res->nheaders] || !v[res->nheaders]) {
        free(n[res->nheaders]);
        free(v[res->nheaders]);
        return false;
    }
    res->nheaders++;
    return true;
}

/* {statusCode, headers, body, isBase64Encoded} from stdout. */
static void parse_integration(sl_http_response *res, const sl_http_request *req, const uint8_t *out,
                              size_t len) {
    json_error_t jerr;
    json_t *j = json_loadb((const char *)out, len, 0, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        sl_invoke_fail(res, req, 502, SL_INVOKE_BAD_OUTPUT,
                       "the function's output is not an integration JSON object: %s",
                       j ? "not an object" : jerr.text);
        return;
    }
    json_t *sc = json_object_get(j, "statusCode"), *hd = json_object_get(j, "headers");
    json_t *bd = json_object_get(j, "body"), *b64 = json_object_get(j, "isBase64Encoded");
    json_int_t status = sc ? (json_is_integer(sc) ? json_integer_value(sc) : -1) : 200;
    if (status < 100 || status > 599 || (hd && !json_is_object(hd)) ||
        (bd && !json_is_string(bd) && !json_is_null(bd))) {
        json_decref(j);
        sl_invoke_fail(res, req, 502, SL_INVOKE_BAD_OUTPUT,
                       "the function's integration output has a bad statusCode, headers or body");
        return;
    }
    res->status = (int)status;
    const char *key;
    json_t *val;
    json_object_foreach(hd, key, val) {
        if (!json_is_string(val)) continue;
        if (strcasecmp(key, "content-type") == 0)
            snprintf(res->content_type, sizeof res->content_type, "%s", json_string_value(val));
        else
            add_header(res, key, json_string_value(val));
    }
    const char *text = bd && json_is_string(bd) ? json_string_value(bd) : "";
    size_t tlen = bd && json_is_string(bd) ? json_string_length(bd) : 0;
    if (json_is_true(b64)) {
        uint8_t *raw = malloc(tlen / 4 * 3 + 3);
        int n = raw && tlen % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)text, (int)tlen)
                                     : -1;
        if (n < 0) {
            free(raw);
            json_decref(j);
            sl_invoke_fail(res, req, 502, SL_INVOKE_BAD_OUTPUT,
                           "the function's body is marked base64 but is not valid base64");
            return;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes */
        for (size_t i = tlen; i > 0 && text[i - 1] == '='; i--)
            n--;
        res->body = raw;
        res->body_len = (size_t)n;
    } else {
        res->body = malloc(tlen + 1);
        if (res->body) memcpy(res->body, text, tlen + 1);
        res->body_len = res->body ? tlen : 0;
    }
    if (!res->content_type[0])
        snprintf(res->content_type, sizeof res->content_type, "%s",
                 sniff(res->body, res->body_len));
    json_decref(j);
}

/* ---- from a finished call to a response ------------------------------------------------ */

void sl_invoke_finish(const sl_invoke_config *cfg, const sl_http_request *req, sl_status st,
                      const sl_error *err, const uint8_t *out, size_t out_len, const uint8_t *log,
                      size_t log_len, sl_http_response *res) {
    if (log_len > cfg->max_log) log_len = cfg->max_log;
    if (log_len && (res->log = malloc(log_len))) {
        memcpy(res->log, log, log_len);
        res->log_len = log_len;
    }
    if (st == SL_ERR_TRAP && err->trap == SL_TRAP_INTERRUPTED && cfg->timeout_ms) {
        sl_invoke_fail(res, req, 504, SL_INVOKE_TIMEOUT, "the function ran longer than %u ms",
                       cfg->timeout_ms);
    } else if (st == SL_ERR_TRAP) {
        sl_invoke_fail(res, req, 500, SL_INVOKE_TRAP, "the function trapped: %s", err->message);
    } else if (st == SL_ERR_EXIT && err->exit_code != 0) {
        sl_invoke_fail(res, req, 500, SL_INVOKE_EXIT, "the function exited with code %d",
                       err->exit_code);
    } else if (st != SL_OK && st != SL_ERR_EXIT) {
        sl_invoke_fail(res, req, 500, SL_INVOKE_ERROR, "%s", err->message);
    } else if (out_len > cfg->max_response) {
        sl_invoke_fail(res, req, 502, SL_INVOKE_BAD_OUTPUT,
                       "the function's response is larger than %zu bytes", cfg->max_response);
    } else if (cfg->output == SL_OUTPUT_INTEGRATION) {
        parse_integration(res, req, out, out_len);
    } else {
        res->status = 200;
        res->body = malloc(out_len ? out_len : 1);
        if (!res->body) {
            sl_invoke_fail(res, req, 500, SL_INVOKE_ERROR, "out of memory");
            return;
        }
        if (out_len) memcpy(res->body, out, out_len);
        res->body_len = out_len;
        snprintf(res->content_type, sizeof res->content_type, "%s",
                 cfg->content_type ? cfg->content_type : sniff(out, out_len));
    }
}

/* ---- running a command -------------------------------------------------------------------- */

/* Each thread keeps one WASI context linked into one linker, per engine, and resets the
 * context for every command: linking WASI's 46 functions per request cost about a tenth of a
 * short command. The pair is freed when the thread exits (or sl_invoke_thread_done). */
typedef struct thread_wasi_cache {
    sl_engine *engine;
    sl_wasi *wasi;
    sl_linker *linker;
} thread_wasi_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p) {
    thread_wasi_cache *c = p;
    if (!c) return;
    sl_linker_free(c->linker);
    sl_wasi_free(c->wasi);
    free(c);
}

static void cache_key_init(void) {
    pthread_key_create(&cache_key, cache_free);
}

void sl_invoke_thread_done(void) {
    pthread_once(&cache_once, cache_key_init);
    cache_free(pthread_getspecific(cache_key));
    pthread_setspecific(cache_key, NULL);
}

static bool thread_wasi(sl_engine *engine, const sl_wasi_config *wc, sl_wasi **wasi,
                        sl_linker **linker, sl_error *err) {
    pthread_once(&cache_once, cache_key_init);
    thread_wasi_cache *c = pthread_getspecific(cache_key);
    if (c && c->engine != engine) {
        sl_invoke_thread_done();
        c = NULL;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c || !(c->wasi = sl_wasi_new(NULL, err)) || !(c->linker = sl_linker_new(engine)) ||
            sl_wasi_link(c->wasi, c->linker) != SL_OK) {
            cache_free(c);
            if (err->status == SL_OK) sl_errorf(err, SL_ERR_NOMEM, "out of memory");
            return false;
        }
        c->engine = engine;
        pthread_setspecific(cache_key, c);
    }
    if (sl_wasi_reset(c->wasi, wc, err) != SL_OK) return false;
    *wasi = c->wasi, *linker = c->linker;
    return true;
}

sl_invoke_outcome sl_invoke_command(sl_engine *engine, const sl_module *module,
                                    const sl_invoke_config *cfg, const sl_http_request *req,
                                    sl_http_response *res) {
    memset(res, 0, sizeof *res);
    char *event = NULL;
    const uint8_t *in = req->body;
    size_t in_len = req->body_len;
    if (cfg->input == SL_INPUT_EVENT) {
        event = sl_invoke_event_json(req);
        if (!event) {
            sl_invoke_fail(res, req, 500, SL_INVOKE_ERROR, "cannot build the event");
            return res->outcome;
        }
        in = (const uint8_t *)event;
        in_len = strlen(event);
    }
    const char *argv[64] = {"function"};
    uint32_t argc = 1;
    for (uint32_t i = 0; i < cfg->nargs && argc < 64; i++)
        argv[argc++] = cfg->args[i];
    sl_wasi_config wc = {.argv = argv,
                         .argc = argc,
                         .env = cfg->env,
                         .envc = cfg->envc,
                         .preopens = cfg->preopens,
                         .npreopens = cfg->npreopens};
    wc.stdio[0] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .data = in, .len = in_len};
    /* one byte more than allowed, to tell "exactly the limit" from "more" */
    wc.stdio[1] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = cfg->max_response + 1};
    wc.stdio[2] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = cfg->max_log + 1};
    sl_store_limits limits = {.max_memory_pages = cfg->memory_mib * 16};
    sl_error err = {0};
    sl_wasi *wasi = NULL;
    sl_linker *linker = NULL;
    bool ready = thread_wasi(engine, &wc, &wasi, &linker, &err);
    sl_store *store = ready ? sl_store_new(engine, &limits) : NULL;
    sl_instance *inst = NULL;
    if (store) {
        sl_store_set_timeout(store, cfg->timeout_ms);
        inst = sl_instantiate(store, module, linker, &err);
    }
    sl_status st = inst ? sl_call(inst, "_start", NULL, 0, NULL, 0, &err) : SL_ERR_NOMEM;
    if (!inst && err.status == SL_OK) sl_errorf(&err, SL_ERR_NOMEM, "out of memory");

    size_t out_len = 0, log_len = 0;
    const uint8_t *out = wasi ? sl_wasi_output(wasi, 1, &out_len) : NULL;
    const uint8_t *log = wasi ? sl_wasi_output(wasi, 2, &log_len) : NULL;
    if (!inst)
        sl_invoke_fail(res, req, 500, SL_INVOKE_ERROR, "cannot start the function: %s",
                       err.message);
    else
        sl_invoke_finish(cfg, req, st, &err, out, out_len, log, log_len, res);
    sl_store_free(store);
    free(event);
    return res->outcome;
}

void sl_http_response_clear(sl_http_response *res) {
    for (uint32_t i = 0; i < res->nheaders; i++) {
        free(res->header_names[i]);
        free(res->header_values[i]);
    }
    free(res->header_names);
    free(res->header_values);
    free(res->body);
    free(res->log);
    memset(res, 0, sizeof *res);
}
