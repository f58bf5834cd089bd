/*
 * sink_http.c - the `http` and `elasticsearch` sinks (libcurl, one kept-alive connection per
 * sink).
 *
 *   - type: http
 *     url: https://example.com/ingest
 *     format: json            # a JSON array per batch, or ndjson: one object per line
 *     headers: {Authorization: "Bearer ..."}
 *     timeout: 30s
 *
 * Each batch is one POST. 2xx: written. 408, 429, 5xx and failures to connect or to get an
 * answer: RETRY (the engine sends the batch again). Any other status (a 4xx; a 3xx left after
 * following up to 5 redirects): the peer will not take the batch, so its records go to the
 * dead letter with the status and the start of the answer's body.
 *
 *   - type: elasticsearch
 *     url: http://localhost:9200      # "/_bulk" is added
 *     index: readings                  # and/or index_field: the record field naming the index
 *     id_field: id                     # optional: the field that becomes _id
 *     op_type: index                   # or create (then 409, already there, counts as done)
 *     user: elastic                    # optional basic auth (with password), or api_key
 *     headers: {...}
 *     timeout: 30s
 *
 * Each batch is one _bulk request. Its answer says per item what happened: 2xx is written;
 * 429 and 5xx (a full queue, a shard not ready) will be sent again; other statuses (a
 * mapping error, a bad index name) send that record to the dead letter with the error's
 * type and reason. Retrying only the failed items: the sink keeps the indices of the
 * records still to send and returns RETRY; the engine calls write() again with the same
 * batch, and the sink then sends only those. Without id_field, Elasticsearch makes the ids,
 * so a request whose answer is lost (a timeout) may store its records twice when it is sent
 * again; with id_field it just writes them again.
 */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_encode.h"
#include "pipeline/num_format.h"
#include "pipeline/sink.h"

/* ---- What both share: one connection, one POST ------------------------------------------ */

typedef struct http_peer {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    /* The answer's body (up to limit bytes; the rest is dropped). */
    sl_buf body;
    size_t body_limit;
    char curl_err[CURL_ERROR_SIZE];
} http_peer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
    http_peer *h = arg;
    size_t len = size * n, keep = len;
    if (h->body.len + keep > h->body_limit) keep = h->body_limit - h->body.len;
    if (keep && !sl_buf_append(&h->body, p, keep)) return 0; /* fails the transfer: a RETRY */
    return len;
}

static void peer_free(http_peer *h) {
    if (h->curl) curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    free(h->url);
    sl_buf_free(&h->body);
}

/* Adds `headers:` (a mapping of strings) and, unless it names one, the Content-Type. */
static bool peer_headers(http_peer *h, const sl_conf_ctx *c, const json_t *section,
                         const char *content_type, const char *extra) {
    const json_t *hs = json_object_get(section, "headers");
    bool has_type = false;
    if (hs && !json_is_null(hs)) {
        if (!json_is_object(hs))
            return sl_conf_fail(c, section, "\"headers\" must be a mapping of names to values");
        const char *k;
        json_t *v;
        sl_conf_each(hs, k, v) {
            const char *val = json_string_value(v);
            char num[32];
            if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
                val = num;
            }
            if (!val || !*k || strpbrk(k, ":\r\n \t") || strpbrk(val, "\r\n"))
                return sl_conf_fail(c, hs,
                                    "header \"%s\": a name without ':' or spaces, and "
                                    "a value on one line",
                                    k);
            has_type |= !strcasecmp(k, "Content-Type");
            size_t n = strlen(k) + strlen(val) + 3;
            char *line = malloc(n);
            if (!line) return sl_conf_fail(c, section, "out of memory");
            snprintf(line, n, "%s: %s", k, val);
            struct curl_slist *l = curl_slist_append(h->headers, line);
            free(line);
            if (!l) return sl_conf_fail(c, section, "out of memory");
            h->headers = l;
        }
    }
    const char *defaults[] = {has_type ? NULL : content_type, extra, "Expect:"};
    for (size_t i = 0; i < 3; i++) {
        if (!defaults[i]) continue;
        struct curl_slist *l = curl_slist_append(h->headers, defaults[i]);
        if (!l) return sl_conf_fail(c, section, "out of memory");
        h->headers = l;
    }
    return true;
}

static bool peer_open(http_peer *h, const sl_conf_ctx *c, const json_t *section, const char *url,
                      int64_t timeout_ms, size_t body_limit) {
    pthread_once(&curl_once, curl_start);
    /* A url curl cannot use is an error at load, not a RETRY forever. */
    CURLU *u = curl_url();
    CURLUcode uc = u ? curl_url_set(u, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
    char *scheme = NULL;
    if (uc == CURLUE_OK) uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    bool web = scheme && (!strcmp(scheme, "http") || !strcmp(scheme, "https"));
    curl_free(scheme);
    curl_url_cleanup(u);
    if (uc != CURLUE_OK || !web)
        return sl_conf_fail(c, section, "\"url\": \"%s\" is not an http:// or https:// URL%s%s",
                            url, uc != CURLUE_OK ? ": " : "",
                            uc != CURLUE_OK ? curl_url_strerror(uc) : "");
    h->url = strdup(url);
    h->curl = curl_easy_init();
    h->body_limit = body_limit;
    if (!h->url || !h->curl) return sl_conf_fail(c, section, "out of memory");
    CURL *e = h->curl;
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* sinks run on threads */
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 10000 ? timeout_ms : 10000));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can decode */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->curl_err);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sluice");
    return true;
}

/* POSTs data; false (a RETRY, reason in err) when no answer came. */
static bool peer_post(http_peer *h, const char *what, const char *data, size_t len, long *status,
                      sl_error *err) {
    h->body.len = 0;
    if (h->body.data) h->body.data[0] = 0;
    h->curl_err[0] = 0;
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, data ? data : "");
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(h->curl);
    if (rc != CURLE_OK) {
        sl_errorf(err, SL_ERR_ARGUMENT, "%s %s: %s", what, h->url,
                  h->curl_err[0] ? h->curl_err : curl_easy_strerror(rc));
        return false;
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
    return true;
}

/* The start of the answer's body on one line, for messages. */
static void body_excerpt(const http_peer *h, char *out, size_t outlen) {
    size_t n = 0;
    for (size_t i = 0; i < h->body.len && n + 4 < outlen && n < 200; i++) {
        unsigned char ch = (unsigned char)h->body.data[i];
        out[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    if (h->body.len > 200 && n + 4 < outlen) out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = 0;
}

static bool retry_status(long status) {
    return status == 408 || status == 429 || status >= 500;
}

/* ---- http -------------------------------------------------------------------------------- */

typedef struct http_sink {
    sl_sink base;
    http_peer peer;
    bool ndjson;
    sl_buf body;
} http_sink;

static sl_sink_result http_write(sl_sink *base, const sl_batch *b, sl_deadletter *dead,
                                 sl_error *err) {
    http_sink *s = (http_sink *)base;
    if (b->n == 0) return SL_SINK_OK;
    s->body.len = 0;
    if (!sl_json_encode(b, s->ndjson ? SL_JSON_LINES : SL_JSON_ARRAY, &s->body)) {
        sl_errorf(err, SL_ERR_NOMEM, "http: out of memory");
        return SL_SINK_RETRY;
    }
    long status = 0;
    if (!peer_post(&s->peer, "http", s->body.data, s->body.len, &status, err)) return SL_SINK_RETRY;
    if (status >= 200 && status < 300) return SL_SINK_OK;
    char excerpt[220], reason[300];
    body_excerpt(&s->peer, excerpt, sizeof excerpt);
    snprintf(reason, sizeof reason, "HTTP %ld%s%s", status, *excerpt ? ": " : "", excerpt);
    if (retry_status(status)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "http %s: %s", s->peer.url, reason);
        return SL_SINK_RETRY;
    }
    for (uint32_t i = 0; i < b->n; i++)
        sl_deadletter_record(dead, s->base.name, reason, b, i);
    return SL_SINK_OK;
}

static void http_close(sl_sink *base) {
    http_sink *s = (http_sink *)base;
    peer_free(&s->peer);
    sl_buf_free(&s->body);
    free(s);
}

static const sl_sink_ops HTTP_OPS = {"http", http_write, http_close};

sl_sink *sl_sink_http_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "name", "url", "format", "headers", "timeout", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *url = ok ? sl_conf_str(c, section, "url", NULL, &ok) : NULL;
    const char *format = ok ? sl_conf_str(c, section, "format", "json", &ok) : NULL;
    int64_t timeout = ok ? sl_conf_ms(c, section, "timeout", 30000, &ok) : 0;
    if (!ok) return NULL;
    if (strcmp(format, "json") != 0 && strcmp(format, "ndjson") != 0)
        return sl_conf_fail(c, section, "\"format\" must be json or ndjson"), NULL;
    if (timeout < 1 || timeout > INT_MAX)
        return sl_conf_fail(c, section, "\"timeout\" must be from 1ms to 24 days"), NULL;
    http_sink *s = calloc(1, sizeof *s);
    if (!s) return sl_conf_fail(c, section, "out of memory"), NULL;
    s->base.ops = &HTTP_OPS;
    snprintf(s->base.name, sizeof s->base.name, "http");
    s->ndjson = !strcmp(format, "ndjson");
    if (!peer_open(&s->peer, c, section, url, timeout, 64 * 1024) ||
        !peer_headers(&s->peer, c, section,
                      s->ndjson ? "Content-Type: application/x-ndjson"
                                : "Content-Type: application/json",
                      NULL)) {
        http_close(&s->base);
        return NULL;
    }
    return &s->base;
}

/* ---- elasticsearch ----------------------------------------------------------------------- */

typedef struct es_sink {
    sl_sink base;
    http_peer peer;
    char *index, *index_field, *id_field;
    bool create; /* op_type create */
    /* Records of the current batch still to send (after a partial failure). */
    bool pending;
    uint32_t *todo;
    size_t ntodo;
    uint32_t pend_n;
    uint64_t pend_first, pend_last;
    sl_buf body;
} es_sink;

/* Value v as a JSON string for _index or _id; NULL when it is null or cannot be one. */
static json_t *meta_string(const sl_batch *b, const sl_value *v) {
    char buf[40];
    switch ((sl_ftype)v->type) {
    case SL_F_STRING: return v->len ? json_stringn(sl_batch_str(b, v), v->len) : NULL;
    case SL_F_INT: snprintf(buf, sizeof buf, "%lld", (long long)v->v.i); break;
    case SL_F_FLOAT: sl_format_float(v->v.f, buf); break;
    case SL_F_BOOL: snprintf(buf, sizeof buf, "%s", v->v.b ? "true" : "false"); break;
    case SL_F_TIME: sl_format_time(v->v.i, buf); break;
    default: return NULL;
    }
    return json_string(buf);
}

/* The action line for record i: {"index":{"_index":...,"_id":...}}; false with the reason
 * when the record has no index (or one that is not text). */
static bool action_line(es_sink *s, const sl_batch *b, uint32_t i, int index_f, int id_f,
                        sl_buf *out, char *why, size_t whylen) {
    const sl_value *row = sl_batch_row(b, i);
    json_t *index = index_f >= 0 ? meta_string(b, &row[index_f]) : NULL;
    if (!index && s->index) index = json_string(s->index);
    if (!index) {
        snprintf(why, whylen, "elasticsearch: no index: field \"%s\" is %s", s->index_field,
                 index_f < 0 ? "missing" : "null, empty or not valid UTF-8");
        return false;
    }
    json_t *meta = json_object(), *action = json_object();
    json_object_set_new(meta, "_index", index);
    json_t *id = id_f >= 0 ? meta_string(b, &row[id_f]) : NULL;
    if (id) json_object_set_new(meta, "_id", id);
    json_object_set_new(action, s->create ? "create" : "index", meta);
    char *line = json_dumps(action, JSON_COMPACT);
    json_decref(action);
    bool ok = line && sl_buf_append(out, line, strlen(line)) && sl_buf_append(out, "\n", 1);
    free(line);
    if (!ok) snprintf(why, whylen, "out of memory");
    return ok;
}

/* An item's error as "type: reason" (with the cause's reason when there is one). */
static void item_reason(const json_t *item, long status, char *out, size_t outlen) {
    const json_t *e = json_object_get(item, "error");
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *reason = json_string_value(json_object_get(e, "reason"));
    const json_t *cause = json_object_get(e, "caused_by");
    const char *cause_reason = json_string_value(json_object_get(cause, "reason"));
    if (!type && json_is_string(e)) type = json_string_value(e);
    snprintf(out, outlen, "elasticsearch %ld %s%s%s%s%s", status, type ? type : "error",
             reason ? ": " : "", reason ? reason : "", cause_reason ? ": " : "",
             cause_reason ? cause_reason : "");
}

static sl_sink_result es_write(sl_sink *base, const sl_batch *b, sl_deadletter *dead,
                               sl_error *err) {
    es_sink *s = (es_sink *)base;
    if (b->n == 0) return SL_SINK_OK;
    bool same = s->pending && s->pend_n == b->n &&
                (!b->pos || (s->pend_first == b->pos[0] && s->pend_last == b->pos[b->n - 1]));
    int index_f =
        s->index_field ? sl_schema_find(b->schema, s->index_field, strlen(s->index_field)) : -1;
    int id_f = s->id_field ? sl_schema_find(b->schema, s->id_field, strlen(s->id_field)) : -1;
    char why[300];
    if (!same) {
        /* A new batch: everything is to send. */
        free(s->todo);
        s->todo = malloc((size_t)b->n * sizeof *s->todo);
        if (!s->todo) {
            s->pending = false;
            sl_errorf(err, SL_ERR_NOMEM, "elasticsearch: out of memory");
            return SL_SINK_RETRY;
        }
        for (uint32_t i = 0; i < b->n; i++)
            s->todo[i] = i;
        s->ntodo = b->n;
        s->pending = true;
        s->pend_n = b->n;
        s->pend_first = b->pos ? b->pos[0] : 0;
        s->pend_last = b->pos ? b->pos[b->n - 1] : 0;
    }
    /* The request: an action line and the document per record still to send. Records with
     * no index are set aside for good (dead letter now: they leave the to-do list). */
    s->body.len = 0;
    size_t nsent = 0;
    for (size_t k = 0; k < s->ntodo; k++) {
        uint32_t i = s->todo[k];
        size_t mark = s->body.len;
        if (!action_line(s, b, i, index_f, id_f, &s->body, why, sizeof why)) {
            s->body.len = mark;
            if (!strcmp(why, "out of memory")) goto oom;
            sl_deadletter_record(dead, s->base.name, why, b, i);
            continue;
        }
        if (!sl_json_encode_record(b, i, &s->body) || !sl_buf_append(&s->body, "\n", 1)) goto oom;
        s->todo[nsent++] = i;
    }
    s->ntodo = nsent;
    if (nsent == 0) {
        s->pending = false;
        return SL_SINK_OK;
    }
    long status = 0;
    if (!peer_post(&s->peer, "elasticsearch", s->body.data, s->body.len, &status, err))
        return SL_SINK_RETRY;
    char excerpt[220];
    body_excerpt(&s->peer, excerpt, sizeof excerpt);
    if (status < 200 || status >= 300) {
        snprintf(why, sizeof why, "elasticsearch HTTP %ld%s%s", status, *excerpt ? ": " : "",
                 excerpt);
        if (retry_status(status)) {
            sl_errorf(err, SL_ERR_ARGUMENT, "%s", why);
            return SL_SINK_RETRY;
        }
        for (size_t k = 0; k < s->ntodo; k++)
            sl_deadletter_record(dead, s->base.name, why, b, s->todo[k]);
        s->pending = false;
        return SL_SINK_OK;
    }
    json_error_t jerr;
    json_t *resp =
        json_loadb(s->peer.body.data ? s->peer.body.data : "", s->peer.body.len, 0, &jerr);
    json_t *items = json_object_get(resp, "items");
    if (!json_is_object(resp) || !json_is_array(items) || json_array_size(items) != s->ntodo) {
        /* Without the items we cannot tell what was stored: all of it goes again. */
        sl_errorf(err, SL_ERR_ARGUMENT, "elasticsearch: unexpected _bulk answer (%s%s)",
                  !resp ? "not JSON: " : "", !resp ? jerr.text : "no item for every record");
        json_decref(resp);
        return SL_SINK_RETRY;
    }
    size_t again = 0;
    char first_retry[300] = "";
    if (json_is_true(json_object_get(resp, "errors"))) {
        for (size_t k = 0; k < s->ntodo; k++) {
            /* Each item is {"index": {...}} (or "create", ...): its only member. */
            json_t *wrap = json_array_get(items, k), *item = NULL;
            const char *op;
            json_t *v;
            json_object_foreach(wrap, op, v) {
                item = v;
                break;
            }
            long st = (long)json_integer_value(json_object_get(item, "status"));
            if ((st >= 200 && st < 300) || (st == 409 && s->create)) continue;
            item_reason(item, st, why, sizeof why);
            if (st == 0 || retry_status(st)) {
                if (!again) snprintf(first_retry, sizeof first_retry, "%s", why);
                s->todo[again++] = s->todo[k];
            } else {
                sl_deadletter_record(dead, s->base.name, why, b, s->todo[k]);
            }
        }
    }
    json_decref(resp);
    s->ntodo = again;
    if (again) {
        sl_errorf(err, SL_ERR_ARGUMENT, "elasticsearch: %zu of %u records to send again (%s)",
                  again, b->n, first_retry);
        return SL_SINK_RETRY;
    }
    s->pending = false;
    return SL_SINK_OK;

oom:
    s->pending = false; /* start over with the whole batch */
    sl_errorf(err, SL_ERR_NOMEM, "elasticsearch: out of memory");
    return SL_SINK_RETRY;
}

static void es_close(sl_sink *base) {
    es_sink *s = (es_sink *)base;
    peer_free(&s->peer);
    sl_buf_free(&s->body);
    free(s->todo);
    free(s->index);
    free(s->index_field);
    free(s->id_field);
    free(s);
}

static const sl_sink_ops ES_OPS = {"elasticsearch", es_write, es_close};

sl_sink *sl_sink_elastic_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type",     "name",    "url",  "index",    "index_field",
                                       "id_field", "op_type", "user", "password", "api_key",
                                       "headers",  "timeout", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *url = ok ? sl_conf_str(c, section, "url", NULL, &ok) : NULL;
    const char *index = ok ? sl_conf_str(c, section, "index", "", &ok) : NULL;
    const char *index_field = ok ? sl_conf_str(c, section, "index_field", "", &ok) : NULL;
    const char *id_field = ok ? sl_conf_str(c, section, "id_field", "", &ok) : NULL;
    const char *op_type = ok ? sl_conf_str(c, section, "op_type", "index", &ok) : NULL;
    const char *user = ok ? sl_conf_str(c, section, "user", "", &ok) : NULL;
    const char *password = ok ? sl_conf_str(c, section, "password", "", &ok) : NULL;
    const char *api_key = ok ? sl_conf_str(c, section, "api_key", "", &ok) : NULL;
    int64_t timeout = ok ? sl_conf_ms(c, section, "timeout", 30000, &ok) : 0;
    if (!ok) return NULL;
    if (!*index && !*index_field)
        return sl_conf_fail(c, section, "\"index\" or \"index_field\" is required"), NULL;
    if (strcmp(op_type, "index") != 0 && strcmp(op_type, "create") != 0)
        return sl_conf_fail(c, section, "\"op_type\" must be index or create"), NULL;
    if (*password && !*user) return sl_conf_fail(c, section, "\"password\" needs \"user\""), NULL;
    if (*user && *api_key)
        return sl_conf_fail(c, section, "give \"user\" or \"api_key\", not both"), NULL;
    if (timeout < 1 || timeout > INT_MAX)
        return sl_conf_fail(c, section, "\"timeout\" must be from 1ms to 24 days"), NULL;
    if (strpbrk(api_key, "\r\n"))
        return sl_conf_fail(c, section, "\"api_key\" must be on one line"), NULL;

    es_sink *s = calloc(1, sizeof *s);
    if (!s) return sl_conf_fail(c, section, "out of memory"), NULL;
    s->base.ops = &ES_OPS;
    snprintf(s->base.name, sizeof s->base.name, "elasticsearch");
    s->create = !strcmp(op_type, "create");
    s->index = *index ? strdup(index) : NULL;
    s->index_field = *index_field ? strdup(index_field) : NULL;
    s->id_field = *id_field ? strdup(id_field) : NULL;
    /* The _bulk endpoint under url; filter_path keeps the answer to what is read. */
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    bool has_bulk = n >= 6 && !strncmp(url + n - 6, "/_bulk", 6);
    size_t blen = n + 120;
    char *bulk = malloc(blen);
    if (bulk)
        snprintf(bulk, blen, "%.*s%s%sfilter_path=errors,items.*.status,items.*.error", (int)n, url,
                 has_bulk ? "" : "/_bulk", memchr(url, '?', n) ? "&" : "?");
    char *auth = NULL;
    if (*api_key && (auth = malloc(strlen(api_key) + 32)))
        sprintf(auth, "Authorization: ApiKey %s", api_key);
    bool good = bulk && (!*index || s->index) && (!*index_field || s->index_field) &&
                (!*id_field || s->id_field) && (!*api_key || auth);
    if (!good) sl_conf_fail(c, section, "out of memory");
    /* The answer can be long (an item per record): up to 256 MiB is read. */
    good = good && peer_open(&s->peer, c, section, bulk, timeout, (size_t)256 << 20) &&
           peer_headers(&s->peer, c, section, "Content-Type: application/x-ndjson", auth);
    free(bulk);
    free(auth);
    if (good && *user) {
        curl_easy_setopt(s->peer.curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(s->peer.curl, CURLOPT_USERNAME, user);
        curl_easy_setopt(s->peer.curl, CURLOPT_PASSWORD, password);
    }
    if (!good) {
        es_close(&s->base);
        return NULL;
    }
    return &s->base;
}
