/*
 * server.h - `sluice serve`: one process serving functions over HTTP (docs/serve.md), with
 * the management API (docs/api.md), /metrics and the web console.
 */
#ifndef SL_SERVE_SERVER_H
#define SL_SERVE_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fn/resolve.h"
#include "sluice.h"

/* Services hosted beside the functions: pipelines (src/pipeline/host.h), plugged in by the
 * caller so that the server does not depend on the pipeline layer. The server calls open
 * once its engine and registry are up (functions resolves deployed functions; both outlive
 * the host), routes /api/pipelines/... to api, POST /ingest/NAME to ingest (on a worker
 * thread: it may wait) and adds prometheus to /metrics; close drains them at the end. */
typedef struct sl_server_hosted {
    void *(*open)(const char *data_dir, sl_engine *engine, const sl_fn_resolver *functions);
    void (*close)(void *host);
    int (*api)(void *host, const char *method, char **seg, int nseg, const char *query,
               const char *body, size_t body_len, json_t **out);
    int (*ingest)(void *host, const char *name, const char *body, size_t len, char *answer,
                  size_t alen);
    void (*prometheus)(void *host, FILE *out);
} sl_server_hosted;

typedef struct sl_server_config {
    const char *listen;   /* "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 picks a free one */
    const char *data_dir; /* the registry (docs/registry.md) */
    const char *web_dir;  /* the console's files; NULL = no console */
    unsigned threads;     /* workers running guests; 0 = one per core */
    unsigned net_threads; /* HTTP threads (parsing, routing); 0 = 2, or 1 if threads is 1 */
    bool access_log;      /* a log line for every request, not only for errors */
    const sl_server_hosted *pipelines; /* NULL = none (404 on their routes) */
} sl_server_config;

typedef struct sl_server sl_server;

/* Opens the registry and starts listening; NULL with a message when it cannot. */
sl_server *sl_server_start(const sl_server_config *cfg, sl_error *err);
/* The port it listens on (useful with port 0). */
uint16_t sl_server_port(const sl_server *srv);
/* Stops accepting connections, lets running and queued invocations finish, stops. */
void sl_server_stop(sl_server *srv);

#endif
