/*
 * server.c - the HTTP side of `sluice serve`: libmicrohttpd's daemon, one sl_req per request,
 * routing to the gateway (/fn/), the management API (/api/), /metrics, /healthz and the
 * console's static files. Why libmicrohttpd: docs/serve.md.
 *
 * Requests are parsed on MHD's network threads. The gateway suspends the connection while
 * a worker runs the guest (MHD_suspend_connection), and the worker resumes it with the
 * response ready, so a slow guest never holds up other connections.
 */
#include "serve/server_impl.h"

#include "base/buf.h"
#include "base/error.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---- Responses ----------------------------------------------------------------------------- */

struct MHD_Response *sl_resp_bytes(sl_req *r, unsigned status, const char *content_type, void *body,
                                   size_t len) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return NULL;
    }
    if (content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (r->request_id[0]) MHD_add_response_header(resp, "X-Sluice-Request-Id", r->request_id);
    r->response = resp;
    r->status = status;
    return resp;
}

struct MHD_Response *sl_resp_json(sl_req *r, unsigned status, json_t *body) {
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!text) return NULL;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: the body is not a C string */
    return sl_resp_bytes(r, status, "application/json", text, len + 1);
}

struct MHD_Response *sl_resp_error(sl_req *r, unsigned status, const char *kind, const char *fmt,
                                   ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "error", msg, "kind", kind, "request_id", r->request_id);
    if (o && r->entry) {
        json_object_set_new(o, "function", json_string(r->entry->function));
        json_object_set_new(o, "version", json_string(r->entry->sha256));
    }
    return sl_resp_json(r, status, o);
}

enum MHD_Result sl_req_send(sl_req *r) {
    if (!r->response) sl_resp_error(r, 500, "error", "the server could not build a response");
    if (!r->response) return MHD_NO;
    unsigned status = r->status;
    atomic_fetch_add(&r->srv->http_count[r->route][status < 600 ? status : 599], 1);
    if (r->srv->cfg.access_log)
        sl_log("%s %s %s -> %u (request %s)", r->source_ip, r->method, r->uri, status,
               r->request_id);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, r->response);
    MHD_destroy_response(r->response);
    r->response = NULL;
    return ret;
}

const char *sl_req_header(sl_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ---- Built-in routes ----------------------------------------------------------------------- */

static void metrics_handle(sl_req *r) {
    static const char *const ROUTE_NAMES[ROUTE_COUNT] = {"fn",      "api",    "static",
                                                         "metrics", "ingest", "other"};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) {
        sl_resp_error(r, 500, "error", "out of memory");
        return;
    }
    sl_fnstats_prometheus(r->srv->stats, out);
    if (r->srv->pipelines) r->srv->cfg.pipelines->prometheus(r->srv->pipelines, out);
    fputs("# HELP sluice_http_requests_total HTTP requests answered, by route and status.\n"
          "# TYPE sluice_http_requests_total counter\n",
          out);
    for (int route = 0; route < ROUTE_COUNT; route++)
        for (int code = 100; code < 600; code++) {
            uint64_t n = atomic_load(&r->srv->http_count[route][code]);
            if (n)
                fprintf(out, "sluice_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                        ROUTE_NAMES[route], code, (unsigned long long)n);
        }
    fprintf(out,
            "# HELP sluice_api_unauthorized_total API requests refused for a missing or wrong "
            "token.\n# TYPE sluice_api_unauthorized_total counter\n"
            "sluice_api_unauthorized_total %llu\n",
            (unsigned long long)atomic_load(&r->srv->unauthorized));
    fclose(out);
    sl_resp_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

/* ---- MHD callbacks ------------------------------------------------------------------------- */

/* Called first for every request, with the URI as sent: it makes the sl_req. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    sl_server *srv = cls;
    sl_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->srv = srv;
    r->conn = conn;
    r->uri = strdup(uri ? uri : "/");
    uint64_t n = atomic_fetch_add(&srv->next_request, 1);
    snprintf(r->request_id, sizeof r->request_id, "%08x%08x", srv->boot_id, (uint32_t)n);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->source_ip,
                      sizeof r->source_ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->source_ip,
                      sizeof r->source_ip);
    }
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)conn, (void)toe;
    sl_req *r = *req_cls;
    if (!r) return;
    sl_gateway_done(r);
    if (r->response) MHD_destroy_response(r->response);
    free(r->body);
    free(r->uri);
    free(r);
    *req_cls = NULL;
}

static int route_of(const char *path) {
    if (!strncmp(path, "/fn/", 4)) return ROUTE_FN;
    if (!strcmp(path, "/api") || !strncmp(path, "/api/", 5)) return ROUTE_API;
    if (!strcmp(path, "/metrics")) return ROUTE_METRICS;
    if (!strncmp(path, "/ingest/", 8)) return ROUTE_INGEST;
    if (!strcmp(path, "/") || !strcmp(path, "/pca") || !strcmp(path, "/dashboard") ||
        !strncmp(path, "/static/", 8) || !strcmp(path, "/favicon.ico"))
        return ROUTE_STATIC;
    return ROUTE_OTHER;
}

/* Appends upload data; false once the body passes r->limit. */
static bool append_body(sl_req *r, const char *data, size_t len) {
    if (len > r->limit - r->body_len) return false;
    if (!sl_grow(&r->body, &r->body_cap, r->body_len + len, 1)) return false;
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    return true;
}

static void too_large(sl_req *r) {
    if (r->entry) {
        sl_fnstats_record(r->entry->stats, &(sl_fnstats_event){.request_id = r->request_id,
                                                               .version = r->entry->sha256,
                                                               .status = 413,
                                                               .outcome = SL_OUT_TOO_LARGE,
                                                               .error = "request body too large"});
    }
    sl_resp_error(r, 413, "too_large", "the request body is larger than the limit of %zu bytes",
                  r->limit);
}

/* How much of a refused chunked body is read (and dropped) before the connection is closed
 * without an answer. */
#define DISCARD_MAX ((size_t)64 << 20)

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
    (void)cls, (void)conn, (void)version;
    sl_req *r = *req_cls;
    if (!r) return MHD_NO; /* out of memory in on_uri */
    if (!r->started) {
        r->started = true;
        r->method = method;
        r->path = url;
        char *q = strchr(r->uri, '?');
        r->query = q ? q + 1 : NULL;
        r->route = route_of(url);
        r->limit =
            r->route == ROUTE_API || r->route == ROUTE_INGEST ? API_MAX_UPLOAD : API_MAX_BODY;
        if (atomic_load(&r->srv->stopping)) {
            sl_resp_error(r, 503, "shutting_down", "the server is stopping");
            return sl_req_send(r);
        }
        if (r->route == ROUTE_FN) sl_gateway_begin(r); /* sets r->limit, or a response */
        if (!r->response) {
            const char *cl = sl_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > r->limit) too_large(r);
        }
        if (r->response) return sl_req_send(r); /* early answer: MHD then closes */
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->response) {
            /* Already refused (413): read and drop the rest, since libmicrohttpd sends a
             * response only once the body is in; but not forever. */
            r->discarded += n;
            return r->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (!append_body(r, upload_data, n)) too_large(r); /* sent on the last call */
        return MHD_YES;
    }
    /* resumed spuriously: still running (acquire: then the worker's response is visible) */
    if (atomic_load_explicit(&r->busy, memory_order_acquire)) return MHD_YES;
    /* made by a worker (a 500 if it could not make one: never run the job twice), or refused
     * above */
    if (r->response || r->job.run) return sl_req_send(r);
    switch (r->route) {
    case ROUTE_FN: sl_gateway_handle(r); break;
    case ROUTE_API: sl_api_handle(r); break;
    case ROUTE_STATIC: sl_static_handle(r); break;
    case ROUTE_METRICS: metrics_handle(r); break;
    case ROUTE_INGEST: sl_gateway_ingest(r); break;
    default:
        if (!strcmp(url, "/healthz"))
            sl_resp_bytes(r, 200, "text/plain", strdup("ok\n"), 3);
        else
            sl_resp_error(r, 404, "not_found", "no such route: %s (see docs/api.md)", url);
    }
    /* Handed to a worker (job.run is set on this thread only): it makes the response and
     * resumes the connection, and we are called again. r->response is the worker's from now
     * on: reading it here raced with the worker (a fast one's response was queued from this
     * thread before the worker had resumed the connection). */
    if (r->job.run) return MHD_YES;
    if (r->response) return sl_req_send(r);
    return MHD_YES;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    sl_log("http: %s", msg);
}

/* ---- Start and stop ------------------------------------------------------------------------ */

static bool parse_listen(const char *listen, struct sockaddr_storage *ss, sl_error *err) {
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return sl_errorf(err, SL_ERR_ARGUMENT, "--listen %s: expected HOST:PORT", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') h[strlen(h) - 1] = 0, h++;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return sl_errorf(err, SL_ERR_ARGUMENT, "--listen %s: bad port", listen);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%ld", port);
    int rc = getaddrinfo(*h ? h : NULL, portstr, &hints, &ai);
    if (rc || !ai)
        return sl_errorf(err, SL_ERR_ARGUMENT, "--listen %s: %s", listen, gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return true;
}

sl_server *sl_server_start(const sl_server_config *cfg, sl_error *err) {
    sl_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    srv->cfg = *cfg;
    if (getrandom(&srv->boot_id, sizeof srv->boot_id, 0) != sizeof srv->boot_id)
        srv->boot_id = (uint32_t)time(NULL) ^ (uint32_t)getpid();
    atomic_init(&srv->next_request, 1);
    struct sockaddr_storage addr;
    if (!parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:8080", &addr, err)) goto fail;
    if (cfg->web_dir && !(srv->web_dir = strdup(cfg->web_dir))) goto oom;
    srv->cfg.web_dir = srv->web_dir;
    if (!(srv->reg = sl_registry_open(cfg->data_dir, err))) goto fail;
    if (!(srv->engine = sl_engine_new(NULL))) goto oom;
    if (!(srv->stats = sl_fnstats_set_new(1000, 4096))) goto oom;
    if (!(srv->cache = sl_fncache_new(srv->reg, srv->engine, srv->stats))) goto oom;
    unsigned threads = cfg->threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (!(srv->workers =
              sl_workers_new(threads, sl_gateway_worker_new, sl_gateway_worker_free, srv)))
        goto oom;
    srv->functions = sl_registry_resolver(srv->reg);
    if (cfg->pipelines &&
        !(srv->pipelines = cfg->pipelines->open(cfg->data_dir, srv->engine, &srv->functions)))
        goto oom;
    /* Two HTTP threads when there are cores for them: parsing and routing then keep up with
     * the workers (see docs/serve.md for the figures). */
    unsigned net = cfg->net_threads ? cfg->net_threads : threads >= 2 ? 2 : 1;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_TURBO;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->httpd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)64 * 1024, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        net > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, net, MHD_OPTION_END);
    if (!srv->httpd) {
        sl_errorf(err, SL_ERR_ARGUMENT,
                  "cannot listen on %s (in use, or not an address of this machine)",
                  cfg->listen ? cfg->listen : "127.0.0.1:8080");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->httpd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : 0;
    return srv;
oom:
    sl_errorf(err, SL_ERR_NOMEM, "out of memory");
fail:
    sl_server_stop(srv);
    return NULL;
}

uint16_t sl_server_port(const sl_server *srv) {
    return srv->port;
}

void sl_server_stop(sl_server *srv) {
    if (!srv) return;
    atomic_store(&srv->stopping, true);
    if (srv->httpd) {
        /* Stop accepting, then let the workers finish every invocation (they resume their
         * connections with the responses), then give MHD a moment to send them. */
        MHD_socket fd = MHD_quiesce_daemon(srv->httpd);
        if (fd != MHD_INVALID_SOCKET) close(fd);
        for (int i = 0; i < 3000 && srv->workers && sl_workers_pending(srv->workers); i++)
            usleep(10000);
        usleep(50000);
    }
    sl_workers_free(srv->workers); /* runs what is still queued */
    if (srv->httpd) MHD_stop_daemon(srv->httpd);
    if (srv->pipelines) srv->cfg.pipelines->close(srv->pipelines); /* drains them */
    sl_fncache_free(srv->cache);
    sl_fnstats_set_free(srv->stats);
    sl_engine_free(srv->engine);
    sl_registry_close(srv->reg);
    free(srv->web_dir);
    free(srv);
}
