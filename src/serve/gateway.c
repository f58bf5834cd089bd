/*
 * gateway.c - `ANY /fn/NAME[@REF][/REST]`: resolve the function, enforce its request size,
 * CORS and concurrency limits, and run it on a worker (docs/api.md).
 *
 * The network thread suspends the connection and queues a job; the worker runs the guest
 * (a command in a fresh store, or its own warm handler instance), builds the MHD response,
 * records stats and logs, and resumes the connection, after which MHD sends the response.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/error.h"
#include "fn/handler.h"
#include "serve/server_impl.h"

#define NO_LIMIT_BODY ((size_t)1 << 30) /* max_request 0 still stops at 1 GiB */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- Worker-local warm handler instances --------------------------------------------------- */

typedef struct warm_slot {
    sl_fn_entry *entry; /* holds a reference */
    sl_warm *warm;
    uint64_t memory;
} warm_slot;

typedef struct worker_local {
    sl_server *srv;
    warm_slot *slots;
    size_t n, cap;
} worker_local;

void *sl_gateway_worker_new(void *srv) {
    worker_local *wl = calloc(1, sizeof *wl);
    if (wl) wl->srv = srv;
    return wl;
}

static void drop_slot(worker_local *wl, size_t i) {
    warm_slot *s = &wl->slots[i];
    sl_fnstats_instances(s->entry->stats, -1, -(int64_t)s->memory);
    sl_warm_free(s->warm);
    sl_fn_entry_release(s->entry);
    wl->slots[i] = wl->slots[--wl->n];
}

void sl_gateway_worker_free(void *local) {
    sl_invoke_thread_done(); /* the engine is freed after the workers */
    worker_local *wl = local;
    if (!wl) return;
    while (wl->n)
        drop_slot(wl, wl->n - 1);
    free(wl->slots);
    free(wl);
}

/* This worker's warm instance of e, made if needed; NULL with err set. Instances of retired
 * entries (a newer config, a deleted function) are dropped on the way. */
static warm_slot *warm_for(worker_local *wl, sl_fn_entry *e, sl_error *err) {
    warm_slot *found = NULL;
    for (size_t i = wl->n; i-- > 0;) {
        if (atomic_load(&wl->slots[i].entry->retired))
            drop_slot(wl, i);
        else if (wl->slots[i].entry == e)
            found = &wl->slots[i];
    }
    if (found) return found;
    if (!sl_grow(&wl->slots, &wl->cap, wl->n + 1, sizeof *wl->slots)) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sl_warm *w = sl_warm_new(wl->srv->engine, e->module, &e->invoke, e->config.keep_state, err);
    if (!w) return NULL;
    atomic_fetch_add(&e->refs, 1);
    warm_slot *s = &wl->slots[wl->n++];
    *s = (warm_slot){.entry = e, .warm = w, .memory = sl_warm_memory_bytes(w)};
    sl_fnstats_instances(e->stats, 1, (int64_t)s->memory);
    return s;
}

/* ---- Running one request ------------------------------------------------------------------- */

/* The request's headers as sl_header pairs (pointers into MHD's connection memory). */
typedef struct header_list {
    sl_header *v;
    size_t n, cap;
} header_list;

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value) {
    (void)kind;
    header_list *h = cls;
    if (!sl_grow(&h->v, &h->cap, h->n + 1, sizeof *h->v)) return MHD_NO;
    h->v[h->n++] = (sl_header){key, value ? value : ""};
    return MHD_YES;
}

/* Adds the CORS headers when the request's Origin is allowed. */
static void add_cors(sl_req *r, struct MHD_Response *resp) {
    const sl_fn_config *c = &r->entry->config;
    const char *origin = sl_req_header(r, "Origin");
    if (!origin || !c->ncors) return;
    for (uint32_t i = 0; i < c->ncors; i++)
        if (!strcmp(c->cors_origins[i], "*") || !strcmp(c->cors_origins[i], origin)) {
            MHD_add_response_header(resp, "Access-Control-Allow-Origin",
                                    strcmp(c->cors_origins[i], "*") ? origin : "*");
            MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                    "X-Sluice-Request-Id, X-Sluice-Function, X-Sluice-Version");
            MHD_add_response_header(resp, "Vary", "Origin");
            return;
        }
}

static void add_fn_headers(sl_req *r, struct MHD_Response *resp) {
    MHD_add_response_header(resp, "X-Sluice-Function", r->entry->function);
    MHD_add_response_header(resp, "X-Sluice-Version", r->entry->sha256);
    add_cors(r, resp);
}

/* Turns the invocation's result into r->response. */
static void make_response(sl_req *r, sl_http_response *res) {
    if (res->outcome != SL_INVOKE_OK) {
        /* the error as docs/api.md gives it: naming the function and version */
        struct MHD_Response *resp =
            sl_resp_error(r, (unsigned)res->status, sl_outcome_name(sl_outcome_of(res->outcome)),
                          "%s", res->error);
        if (resp) add_fn_headers(r, resp);
        return;
    }
    const char *ctype = res->content_type[0] ? res->content_type : NULL;
    struct MHD_Response *resp =
        sl_resp_bytes(r, (unsigned)res->status, ctype, res->body, res->body_len);
    res->body = NULL; /* taken */
    if (!resp) return;
    for (uint32_t i = 0; i < res->nheaders; i++) {
        const char *name = res->header_names[i];
        /* MHD computes these itself; a guest's value would contradict it */
        if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding") ||
            !strcasecmp(name, "Connection"))
            continue;
        if (!strcasecmp(name, "Content-Type")) {
            MHD_del_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype ? ctype : "");
        }
        MHD_add_response_header(resp, name, res->header_values[i]);
    }
    add_fn_headers(r, resp);
}

static void run_job(sl_job *job, void *local) {
    sl_req *r = (sl_req *)((char *)job - offsetof(sl_req, job));
    worker_local *wl = local;
    sl_fn_entry *e = r->entry;
    header_list hl = {0};
    /* only an event shows the guest the headers: raw input needs no list of them */
    if (e->config.input == SL_INPUT_EVENT)
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header, &hl);
    const char *q = r->query;
    sl_http_request hr = {
        .method = r->method,
        .path = r->path,
        .query = q,
        .path_rest = r->path_rest,
        .headers = hl.v,
        .nheaders = hl.n,
        .body = r->body,
        .body_len = r->body_len,
        .request_id = r->request_id,
        .source_ip = r->source_ip,
        .stage = r->stage,
    };
    sl_http_response res = {0};
    double t0 = now();
    if (!wl) {
        sl_invoke_fail(&res, &hr, 500, SL_INVOKE_ERROR, "out of memory");
    } else if (e->config.kind == SL_FN_HANDLER) {
        sl_error err = {0};
        warm_slot *s = warm_for(wl, e, &err);
        if (!s) {
            sl_invoke_fail(&res, &hr, 500, SL_INVOKE_ERROR, "cannot instantiate the handler: %s",
                           err.message);
        } else {
            sl_warm_invoke(s->warm, &hr, &res);
            uint64_t mem = sl_warm_memory_bytes(s->warm);
            if (mem != s->memory)
                sl_fnstats_instances(e->stats, 0, (int64_t)mem - (int64_t)s->memory);
            s->memory = mem;
        }
    } else {
        sl_invoke_command(wl->srv->engine, e->module, &e->invoke, &hr, &res);
    }
    double secs = now() - t0;
    free(hl.v);
    sl_outcome outcome = sl_outcome_of(res.outcome);
    sl_fnstats_record(e->stats, &(sl_fnstats_event){.request_id = r->request_id,
                                                    .version = e->sha256,
                                                    .status = res.status,
                                                    .outcome = outcome,
                                                    .error = res.outcome ? res.error : NULL,
                                                    .seconds = secs,
                                                    .log = res.log,
                                                    .log_len = res.log_len});
    sl_fnstats_in_flight(e->stats, -1);
    if (res.outcome != SL_INVOKE_OK)
        sl_log("%s %s: %s %u %s: %s (request %s, version %.12s, %.1f ms)", r->method, r->path,
               e->function, (unsigned)res.status, sl_outcome_name(outcome), res.error,
               r->request_id, e->sha256, secs * 1e3);
    make_response(r, &res);
    sl_http_response_clear(&res);

    /* Hand the concurrency slot to the next waiting request, if any. */
    if (e->config.concurrency) {
        pthread_mutex_lock(&e->lock);
        sl_job *next = e->waiting;
        if (next) {
            e->waiting = next->next;
            if (!e->waiting) e->waiting_tail = &e->waiting;
            e->nwaiting--;
        } else {
            e->running--;
        }
        pthread_mutex_unlock(&e->lock);
        if (next) sl_workers_submit(wl->srv->workers, next);
    }
    struct MHD_Connection *conn = r->conn;
    /* done: on_request may now send the response (and free r) */
    atomic_store_explicit(&r->busy, false, memory_order_release);
    MHD_resume_connection(conn);
}

/* Suspends the connection and queues the request: on the workers, or, at the concurrency
 * limit, on the entry's own queue. False (nothing done) when that queue is full too. */
static bool start_job(sl_req *r) {
    sl_fn_entry *e = r->entry;
    bool run_now = true;
    if (e->config.concurrency) {
        pthread_mutex_lock(&e->lock);
        run_now = e->running < e->config.concurrency;
        if (!run_now && e->nwaiting >= e->config.concurrency) {
            pthread_mutex_unlock(&e->lock);
            return false;
        }
    }
    r->job.run = run_job;
    atomic_store_explicit(&r->busy, true, memory_order_relaxed); /* read on this thread */
    MHD_suspend_connection(r->conn);
    if (e->config.concurrency) {
        /* still under the lock: the slot or the queue place was checked above */
        if (run_now) {
            e->running++;
        } else {
            r->job.next = NULL;
            *e->waiting_tail = &r->job;
            e->waiting_tail = &r->job.next;
            e->nwaiting++;
        }
        pthread_mutex_unlock(&e->lock);
    }
    sl_fnstats_in_flight(e->stats, 1);
    if (run_now) sl_workers_submit(r->srv->workers, &r->job);
    return true;
}

/* ---- Routing ------------------------------------------------------------------------------- */

void sl_gateway_begin(sl_req *r) {
    const char *p = r->path + 4; /* after "/fn/" */
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    r->fn_ref = strndup(p, len);
    if (!r->fn_ref) {
        sl_resp_error(r, 500, "error", "out of memory");
        return;
    }
    if (slash && slash[1]) r->path_rest = strdup(slash + 1);
    const char *at = strchr(r->fn_ref, '@');
    r->stage = strdup(at ? at + 1 : "latest");
    char name[SL_REG_NAME_MAX + 2];
    size_t nlen = at ? (size_t)(at - r->fn_ref) : len;
    if (nlen >= sizeof name || !r->stage) {
        sl_resp_error(r, 400, "bad_request", "invalid function name in %s", r->path);
        return;
    }
    memcpy(name, r->fn_ref, nlen);
    name[nlen] = 0;
    if (!sl_registry_name_ok(name) || (at && !at[1])) {
        sl_resp_error(r, 400, "bad_request",
                      "invalid function reference \"%.80s\" (expected NAME, NAME@ALIAS or "
                      "NAME@VERSION)",
                      r->fn_ref);
        return;
    }
    sl_error err = {0};
    sl_reg_status st;
    r->entry = sl_fncache_get(r->srv->cache, r->fn_ref, &st, &err);
    if (!r->entry) {
        unsigned code = st == SL_REG_NOT_FOUND   ? 404
                        : st == SL_REG_INVALID   ? 400
                        : st == SL_REG_AMBIGUOUS ? 409
                                                 : 500;
        sl_resp_error(r, code,
                      code == 404   ? "not_found"
                      : code == 500 ? "error"
                                    : "bad_request",
                      "%s", err.message);
        if (code == 500) sl_log("resolving %s: %s", r->fn_ref, err.message);
        return;
    }
    r->limit = r->entry->config.max_request ? (size_t)r->entry->config.max_request : NO_LIMIT_BODY;
}

void sl_gateway_handle(sl_req *r) {
    sl_fn_entry *e = r->entry;
    const char *origin = sl_req_header(r, "Origin");
    if (!strcmp(r->method, "OPTIONS") && origin && e->config.ncors &&
        sl_req_header(r, "Access-Control-Request-Method")) {
        /* a CORS preflight: answered here, the guest never sees it */
        struct MHD_Response *resp = sl_resp_bytes(r, 204, NULL, NULL, 0);
        if (!resp) return;
        add_fn_headers(r, resp);
        if (MHD_get_response_header(resp, "Access-Control-Allow-Origin")) {
            MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                    "GET, POST, PUT, PATCH, DELETE, OPTIONS");
            const char *want = sl_req_header(r, "Access-Control-Request-Headers");
            if (want) MHD_add_response_header(resp, "Access-Control-Allow-Headers", want);
            MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
        }
        return;
    }
    if (start_job(r)) return;
    sl_fnstats_record(e->stats, &(sl_fnstats_event){.request_id = r->request_id,
                                                    .version = e->sha256,
                                                    .status = 429,
                                                    .outcome = SL_OUT_BUSY,
                                                    .error = "concurrency limit"});
    struct MHD_Response *resp = sl_resp_error(
        r, 429, "busy", "function %s is running %u requests and has %u waiting, its limit",
        e->function, e->config.concurrency, e->config.concurrency);
    if (resp) {
        add_fn_headers(r, resp);
        MHD_add_response_header(resp, "Retry-After", "1");
    }
}

/* ---- work that may wait, off the network threads ------------------------------------------- */

static void run_offloaded(sl_job *job, void *local) {
    (void)local;
    sl_req *r = (sl_req *)((char *)job - offsetof(sl_req, job));
    r->offloaded(r); /* sets the response */
    struct MHD_Connection *conn = r->conn;
    /* done: on_request may now send the response (and free r) */
    atomic_store_explicit(&r->busy, false, memory_order_release);
    MHD_resume_connection(conn);
}

void sl_gateway_offload(sl_req *r, void (*fn)(sl_req *r)) {
    r->offloaded = fn;
    r->job.run = run_offloaded;
    atomic_store_explicit(&r->busy, true, memory_order_relaxed); /* read on this thread */
    MHD_suspend_connection(r->conn);
    sl_workers_submit(r->srv->workers, &r->job);
}

/* ---- /ingest/NAME: records for a hosted pipeline (src/pipeline/host.c) --------------------- */

static void run_ingest(sl_req *r) {
    char answer[512];
    int status = r->srv->cfg.pipelines->ingest(r->srv->pipelines, r->path + 8,
                                               r->body ? (const char *)r->body : "", r->body_len,
                                               answer, sizeof answer);
    char *body = strdup(answer);
    sl_resp_bytes(r, (unsigned)status, "application/json", body, body ? strlen(body) : 0);
}

void sl_gateway_ingest(sl_req *r) {
    if (strcmp(r->method, "POST") != 0) {
        sl_resp_error(r, 405, "method_not_allowed", "POST records to %s", r->path);
        return;
    }
    if (!r->srv->pipelines) {
        sl_resp_error(r, 404, "not_found", "this server hosts no pipelines");
        return;
    }
    /* the pipeline may be full and make the request wait: not on a network thread */
    sl_gateway_offload(r, run_ingest);
}

void sl_gateway_done(sl_req *r) {
    sl_fn_entry_release(r->entry);
    r->entry = NULL;
    free(r->fn_ref);
    free(r->path_rest);
    free(r->stage);
}
