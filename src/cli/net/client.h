/*
 * client.h - what the client commands (client.c) share: their parsed command line, the
 * server's address and token, and calls of the management API (docs/api.md).
 */
#ifndef SL_CLI_NET_CLIENT_H
#define SL_CLI_NET_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli/net/http_client.h"

typedef struct client_cmd client_cmd;

/* The options, as bits for client_cmd.opts. */
enum {
    OPT_HELP,
    OPT_SERVER,
    OPT_TOKEN,
    OPT_DATA, /* --data DIR: where the token file is */
    OPT_JSON,
    OPT_KIND, /* the config options, OPT_KIND .. OPT_MAX_RESPONSE */
    OPT_INPUT,
    OPT_OUTPUT,
    OPT_ENV,
    OPT_DIR,
    OPT_TIMEOUT,
    OPT_MEMORY,
    OPT_CONTENT_TYPE,
    OPT_CORS,
    OPT_KEEP_STATE,
    OPT_CONCURRENCY,
    OPT_MAX_REQUEST,
    OPT_MAX_RESPONSE,
    OPT_ALIAS,
    OPT_LIMIT,
    OPT_BODY, /* invoke --data */
    OPT_METHOD,
    OPT_HEADER,
    OPT_PATH,
    OPT_INCLUDE,
};
#define OPT_BIT(o) (1u << (o))
#define OPTS_COMMON                                                                                \
    (OPT_BIT(OPT_HELP) | OPT_BIT(OPT_SERVER) | OPT_BIT(OPT_TOKEN) | OPT_BIT(OPT_DATA) |            \
     OPT_BIT(OPT_JSON))
#define OPTS_CONFIG (((OPT_BIT(OPT_MAX_RESPONSE) << 1) - 1) & ~((OPT_BIT(OPT_KIND)) - 1))

/* One command line, parsed. */
typedef struct client {
    const client_cmd *cmd;
    const char *pos[3]; /* positional arguments */
    int npos;
    const char *server_opt, *token_opt, *data_opt;
    bool json;      /* --json: print the server's JSON as is */
    json_t *config; /* the config members given (deploy, config), an object */
    const char *alias;
    long long limit; /* logs --limit; -1 when not given */
    /* invoke */
    const char *body_arg, *method, *path;
    const char **headers;
    size_t nheaders;
    bool include;
    /* resolved */
    char *base;  /* the server's URL without a trailing '/' */
    char *token; /* NULL until needed */
} client;

struct client_cmd {
    const char *name;
    const char *help;     /* the whole --help text */
    unsigned opts;        /* the options it takes (bits of opt_id in client.c) */
    int min_pos, max_pos; /* how many positional arguments */
    int (*run)(client *c);
};

extern const client_cmd CLIENT_DEPLOY, CLIENT_FUNCTIONS, CLIENT_VERSIONS, CLIENT_ALIAS,
    CLIENT_INVOKE, CLIENT_LOGS, CLIENT_STATS, CLIENT_DELETE, CLIENT_CONFIG;

/* The help text of the options every management command takes, and of the config ones. */
extern const char CLIENT_COMMON_HELP[], CLIENT_CONFIG_HELP[];

/* Prints "sluice NAME: MESSAGE" and a pointer to --help; returns NET_EXIT_USAGE. */
int client_usage(const client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Calls the management API: METHOD BASE+path with the token. On a 2xx answer returns
 * NET_EXIT_OK with *out the parsed JSON object (the caller owns it), or with *out NULL when
 * --json printed the answer as is (nothing more to do); *status (may be NULL) receives the
 * HTTP status. Otherwise prints why and returns NET_EXIT_FAILED, NET_EXIT_UNREACHABLE or
 * NET_EXIT_USAGE (no token). */
int client_api(client *c, const char *method, const char *path, const void *body, size_t len,
               const char *content_type, json_t **out, long *status);
/* client_api with a JSON body (not stolen). */
int client_api_json(client *c, const char *method, const char *path, const json_t *body,
                    json_t **out);

/* Prints why a request failed: the server's "error" with the status, or that it could not
 * be reached; returns the exit code. */
int client_report(const client *c, const char *url, bool reached, const net_reply *rep);

/* A string of printf-formatted text, malloc'd; NULL when out of memory. */
char *client_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
