/*
 * server.h - `sluice serve`: one process serving functions over HTTP (docs/serve.md), with
 * the management API (docs/api.md), /metrics and the web console.
 */
#ifndef SL_SERVE_SERVER_H
#define SL_SERVE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_server_config {
    const char *listen;   /* "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 picks a free one */
    const char *data_dir; /* the registry (docs/registry.md) */
    const char *web_dir;  /* the console's files; NULL = no console */
    unsigned threads;     /* workers running guests; 0 = one per core */
    unsigned net_threads; /* HTTP threads (parsing, routing); 0 = 2, or 1 if threads is 1 */
    bool access_log;      /* a log line for every request, not only for errors */
} sl_server_config;

typedef struct sl_server sl_server;

/* Opens the registry and starts listening; NULL with a message when it cannot. */
sl_server *sl_server_start(const sl_server_config *cfg, char *err, size_t errlen);
/* The port it listens on (useful with port 0). */
uint16_t sl_server_port(const sl_server *srv);
/* Stops accepting connections, lets running and queued invocations finish, stops. */
void sl_server_stop(sl_server *srv);

/* A log line on stderr: "TIME sluice: MESSAGE". */
void sl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
