/*
 * http_client.h - the client commands' HTTP requests (libcurl): one request, the whole
 * answer in memory.
 */
#ifndef SL_CLI_NET_HTTP_CLIENT_H
#define SL_CLI_NET_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

typedef struct net_request {
    const char *method; /* "GET", "POST", ... */
    const char *url;
    const char *token; /* sent as "Authorization: Bearer TOKEN"; NULL for none */
    const void *body;  /* sent when has_body (binary-safe, body_len bytes) */
    size_t body_len;
    bool has_body;
    const char *content_type;   /* of the body; NULL sends none */
    const char *const *headers; /* further "Name: value" lines */
    size_t nheaders;
} net_request;

typedef struct net_reply {
    long status; /* the HTTP status */
    char *body;  /* the body, NUL-terminated (the NUL not counted in body_len) */
    size_t body_len;
    char *headers; /* the status line and header lines of the final response, as received */
    size_t headers_len;
    char error[CURL_ERROR_SIZE]; /* why the server could not be reached */
} net_reply;

/* Call once before the first request, and net_http_cleanup once after the last. */
bool net_http_init(void);
void net_http_cleanup(void);

/* Sends the request and waits for the whole answer. Returns true with *rep filled when the
 * server answered (whatever its status), false with rep->error set when it could not be
 * reached (or memory ran out). Free *rep with net_reply_free in either case. */
bool net_http_send(const net_request *req, net_reply *rep);
void net_reply_free(net_reply *rep);

/* s percent-encoded as one URL path segment or query value (malloc'd; NULL when out of
 * memory). */
char *net_escape(const char *s);

#endif
