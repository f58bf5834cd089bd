/*
 * server_impl.h - what the parts of the server share (server.c routes requests to
 * gateway.c, api.c and static.c): the server itself and one HTTP request in progress.
 */
#ifndef SL_SERVE_SERVER_IMPL_H
#define SL_SERVE_SERVER_IMPL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>

#include "serve/fncache.h"
#include "serve/fnstats.h"
#include "serve/registry.h"
#include "base/log.h"
#include "serve/server.h"
#include "serve/workers.h"

enum { ROUTE_FN, ROUTE_API, ROUTE_STATIC, ROUTE_METRICS, ROUTE_INGEST, ROUTE_OTHER, ROUTE_COUNT };

#define API_MAX_UPLOAD (64u << 20) /* module uploads */
#define API_MAX_BODY   (1u << 20)  /* other API bodies */

struct sl_server {
    sl_server_config cfg;
    char *web_dir;
    sl_registry *reg;
    sl_engine *engine;
    sl_fnstats_set *stats;
    sl_fncache *cache;
    sl_workers *workers;
    void *pipelines;          /* cfg.pipelines->open's answer, or NULL */
    sl_fn_resolver functions; /* the registry, for the pipelines' function stages */
    struct MHD_Daemon *httpd;
    uint16_t port;
    atomic_bool stopping;
    atomic_uint_fast64_t next_request;
    uint32_t boot_id; /* request ids: boot id + counter, unique across restarts */
    atomic_uint_fast64_t http_count[ROUTE_COUNT][600];
    atomic_uint_fast64_t unauthorized;
};

/* One request, from its first byte to the response. */
typedef struct sl_req {
    sl_server *srv;
    struct MHD_Connection *conn;
    char *uri; /* as the client sent it (path and query, not decoded) */
    const char *method, *path, *query;
    int route;
    bool started;
    char request_id[24];
    char source_ip[64];
    /* the body, collected up to `limit` bytes */
    uint8_t *body;
    size_t body_len, body_cap, limit, discarded;
    /* the response, when it is made off the network thread (gateway) */
    struct MHD_Response *response;
    unsigned status;
    /* the gateway's state */
    sl_fn_entry *entry;
    char *fn_ref, *path_rest, *stage;
    sl_job job;
    void (*offloaded)(struct sl_req *r); /* what sl_gateway_offload runs on the worker */
    /* A worker owns the request: set on the network thread before the job is queued, cleared
     * by the worker with release once response and status are made, and tested with acquire
     * before on_request reads them (a plain flag left that handoff to libmicrohttpd's
     * internals, and ThreadSanitizer found no ordering there). */
    atomic_bool busy;
} sl_req;

/* Building responses. Each returns the MHD_Response (status in r->status) or NULL. */
struct MHD_Response *sl_resp_bytes(sl_req *r, unsigned status, const char *content_type, void *body,
                                   size_t len); /* takes body (malloc'd) */
struct MHD_Response *sl_resp_json(sl_req *r, unsigned status, json_t *body); /* takes body */
struct MHD_Response *sl_resp_error(sl_req *r, unsigned status, const char *kind, const char *fmt,
                                   ...) __attribute__((format(printf, 4, 5)));
/* Queues r->response now (network thread). */
enum MHD_Result sl_req_send(sl_req *r);

/* The routes. Each is called on the network thread once the body is in, and either sets
 * r->response or arranges for it (gateway: a worker sets it and resumes the connection). */
void sl_gateway_begin(sl_req *r);  /* on the first call: resolve, check limits */
void sl_gateway_handle(sl_req *r); /* with the whole body */
void sl_gateway_done(sl_req *r);   /* the request is over: release what it held */
void sl_gateway_ingest(sl_req *r); /* POST /ingest/NAME: records for a hosted pipeline */
/* Suspends r's connection and runs fn(r) on a worker, which sets the response; for work that
 * may wait (pipelines' routes), never done on a network thread. */
void sl_gateway_offload(sl_req *r, void (*fn)(sl_req *r));
void sl_api_handle(sl_req *r);
void sl_static_handle(sl_req *r);
void *sl_gateway_worker_new(void *srv);
void sl_gateway_worker_free(void *local);

/* A header of the request, or NULL. */
const char *sl_req_header(sl_req *r, const char *name);

#endif
