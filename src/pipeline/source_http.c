/*
 * source_http.c - `http`: records POSTed over HTTP, one request body = one stream of
 * newline-delimited records for the pipeline's parser.
 *
 *   source: {type: http, listen: 127.0.0.1:9001}    its own server: POST /ingest/NAME
 *   source: {type: http}                             hosted by `sluice serve`: POST
 *                                                    /ingest/NAME on the server's port
 *
 * The answer is 202 with {"accepted": N} once the request's records are queued in the
 * pipeline (so a full pipeline slows the senders' requests down: backpressure), 400 when
 * none of its lines parsed, 413 past `max_body`, 503 while the pipeline stops. Lines that
 * do not parse go to the dead letter as usual. As with tcp, a record is acknowledged to the
 * sender before the sinks commit it (docs/pipeline.md).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/engine_impl.h"
#include "pipeline/source.h"

typedef struct http_source {
    sl_source base;
    char listen[256];
    char name[128];
    int64_t max_body;
    sl_spool *spool; /* spool: DIR, or NULL */
    sl_flow *flow;   /* while running */
    int busy;        /* requests inside ingest(): the flow must outlive them */
    pthread_mutex_t lock;
    pthread_cond_t idle;
} http_source;

static int ingest_into(sl_flow *flow, int64_t max_body, const char *body, size_t len, char *answer,
                       size_t alen);

/* Feeds one request's body; returns the HTTP status and writes the JSON answer. */
static int ingest(http_source *s, const char *body, size_t len, char *answer, size_t alen) {
    pthread_mutex_lock(&s->lock);
    sl_flow *flow = s->flow;
    if (flow) s->busy++;
    pthread_mutex_unlock(&s->lock);
    if (!flow) {
        snprintf(answer, alen, "{\"error\":\"the pipeline is not running\"}");
        return 503;
    }
    int status;
    if (s->spool && (int64_t)len > s->max_body) {
        snprintf(answer, alen, "{\"error\":\"the body is larger than %lld bytes\"}",
                 (long long)s->max_body);
        status = 413;
    } else if (s->spool) {
        /* acknowledged once on disk; the spool's reader feeds the pipeline */
        bool nl = len && body[len - 1] == '\n';
        bool ok = sl_spool_append(s->spool, body, len, nl) &&
                  (nl || sl_spool_append(s->spool, "\n", 1, true));
        snprintf(answer, alen, ok ? "{\"spooled\":%zu}" : "{\"error\":\"cannot write the spool\"}",
                 len);
        status = ok ? 202 : 503;
    } else {
        status = ingest_into(flow, s->max_body, body, len, answer, alen);
    }
    pthread_mutex_lock(&s->lock);
    if (--s->busy == 0) pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
    return status;
}

static int ingest_into(sl_flow *flow, int64_t max_body, const char *body, size_t len, char *answer,
                       size_t alen) {
    if (sl_flow_stopping(flow)) {
        snprintf(answer, alen, "{\"error\":\"the pipeline is stopping\"}");
        return 503;
    }
    if ((int64_t)len > max_body) {
        snprintf(answer, alen, "{\"error\":\"the body is larger than %lld bytes\"}",
                 (long long)max_body);
        return 413;
    }
    uint64_t before = atomic_load(&flow->records), bad = atomic_load(&flow->bad);
    sl_feed *f = sl_feed_new(flow, 0);
    if (!f) {
        snprintf(answer, alen, "{\"error\":\"out of memory\"}");
        return 500;
    }
    sl_feed_bytes(f, body, len);
    sl_feed_end(f); /* queued (waiting while the pipeline is full) */
    /* other requests may count at the same time: these are close, not exact, under load */
    uint64_t n = atomic_load(&flow->records) - before, nbad = atomic_load(&flow->bad) - bad;
    snprintf(answer, alen, "{\"accepted\":%llu,\"rejected\":%llu}", (unsigned long long)n,
             (unsigned long long)nbad);
    return n == 0 && nbad > 0 ? 400 : 202;
}

/* POST /ingest/NAME: the host found this pipeline by its name (src/pipeline/host.c). */
static int http_ingest(sl_source *src, const char *body, size_t len, char *answer, size_t alen) {
    http_source *s = (http_source *)src;
    if (s->listen[0]) {
        snprintf(answer, alen, "{\"error\":\"the pipeline's http source listens on %s\"}",
                 s->listen);
        return 404;
    }
    return ingest(s, body, len, answer, alen);
}

/* ---- Its own server (listen:) -------------------------------------------------------------- */

typedef struct upload {
    sl_buf body;
    bool too_big;
} upload;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **req_cls) {
    (void)version;
    http_source *s = cls;
    upload *u = *req_cls;
    if (!u) {
        if (!(u = calloc(1, sizeof *u))) return MHD_NO;
        *req_cls = u;
        return MHD_YES;
    }
    if (*size) {
        if (!u->too_big && (int64_t)(u->body.len + *size) <= s->max_body) {
            sl_buf_append(&u->body, data, *size); /* out of memory: refused below */
        } else {
            u->too_big = true;
        }
        *size = 0;
        return MHD_YES;
    }
    char answer[256];
    int status;
    char want[160];
    snprintf(want, sizeof want, "/ingest/%s", s->name);
    if (strcmp(method, "POST") != 0) {
        status = 405;
        snprintf(answer, sizeof answer, "{\"error\":\"POST records to %s\"}", want);
    } else if (strcmp(url, want) != 0 && strcmp(url, "/ingest") != 0) {
        status = 404;
        snprintf(answer, sizeof answer, "{\"error\":\"POST records to %s\"}", want);
    } else if (u->too_big) {
        status = 413;
        snprintf(answer, sizeof answer, "{\"error\":\"the body is larger than %lld bytes\"}",
                 (long long)s->max_body);
    } else if (u->body.failed) {
        status = 503;
        snprintf(answer, sizeof answer, "{\"error\":\"out of memory\"}");
    } else {
        status = ingest(s, u->body.data ? u->body.data : "", u->body.len, answer, sizeof answer);
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(answer), answer, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **req_cls,
                    enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)conn, (void)toe;
    upload *u = *req_cls;
    if (u) sl_buf_free(&u->body), free(u);
    *req_cls = NULL;
}

static bool http_run(sl_source *src, sl_flow *flow, sl_error *err) {
    http_source *s = (http_source *)src;
    if (s->spool && !sl_spool_start(s->spool, flow)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "http source: cannot start the spool's reader");
        return false;
    }
    pthread_mutex_lock(&s->lock);
    s->flow = flow;
    pthread_mutex_unlock(&s->lock);
    struct MHD_Daemon *d = NULL;
    if (s->listen[0]) {
        char host[256];
        const char *colon = strrchr(s->listen, ':');
        snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - s->listen) : 0, s->listen);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)atoi(colon ? colon + 1 : "0"))};
        if (!colon || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
            sl_errorf(err, SL_ERR_ARGUMENT, "http source: listen %s: expected IPv4:PORT",
                      s->listen);
            return false;
        }
        /* a thread per connection: a request waiting for room in the pipeline blocks only
         * its own sender */
        d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                             NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)60, MHD_OPTION_END);
        if (!d) {
            sl_errorf(err, SL_ERR_ARGUMENT, "http source: cannot listen on %s", s->listen);
            return false;
        }
    }
    while (!sl_flow_stopping(flow))
        usleep(50000);
    if (d) MHD_stop_daemon(d); /* waits for requests in progress */
    pthread_mutex_lock(&s->lock);
    s->flow = NULL; /* no new request gets in; wait for those inside */
    while (s->busy)
        pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (s->spool) sl_spool_join(s->spool);
    return true;
}

static void http_committed(sl_source *src, uint64_t pos) {
    http_source *s = (http_source *)src;
    if (s->spool) sl_spool_committed(s->spool, pos);
}

static void http_free(sl_source *src) {
    http_source *s = (http_source *)src;
    sl_spool_free(s->spool);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->idle);
    free(s);
}

static const sl_source_ops HTTP_OPS = {"http", http_run,  http_committed,
                                       NULL,   http_free, http_ingest};

sl_source *sl_source_http_open(const sl_conf_ctx *c, const json_t *section, const char *name) {
    static const char *const KEYS[] = {"type", "listen", "max_body", "spool", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *listen = ok ? sl_conf_str(c, section, "listen", "", &ok) : NULL;
    int64_t max_body = sl_conf_int(c, section, "max_body", 16 << 20, 1, (int64_t)1 << 32, &ok);
    const char *spool = ok ? sl_conf_str(c, section, "spool", "", &ok) : NULL;
    if (!ok) return NULL;
    http_source *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &HTTP_OPS;
    snprintf(s->listen, sizeof s->listen, "%s", listen);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->max_body = max_body;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    if (!sl_spool_conf(c, section, spool, &s->spool)) {
        http_free(&s->base);
        return NULL;
    }
    return &s->base;
}
