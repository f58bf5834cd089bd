/* client.c - what the client commands share: the command line (options, the server's URL,
 * the token), calls of the management API and their errors. The commands themselves are in
 * client_manage.c and client_invoke.c. */
#include "base/file.h"
#include "cli/net/client.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/net/net.h"

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define DEFAULT_DATA   "./sluice-data"

const char CLIENT_COMMON_HELP[] =
    "  --server URL            the server (default $SLUICE_SERVER, else " DEFAULT_SERVER ")\n"
    "  --token T               the API token (default $SLUICE_TOKEN, else the file DATA/token)\n"
    "  --data DIR              the server's data directory, for DATA/token (default\n"
    "                          $SLUICE_DATA, else " DEFAULT_DATA ")\n"
    "  --json                  print the server's JSON answer as is\n"
    "  -h, --help              show this help\n";

const char CLIENT_CONFIG_HELP[] =
    "  --kind command|handler  a WASI command per request, or a handler module kept warm\n"
    "  --input raw|event       the guest reads the body, or an API-gateway event (JSON)\n"
    "  --output raw|integration  the guest writes the body, or an integration response (JSON)\n"
    "  --env KEY=VALUE         a guest environment variable (repeat for more)\n"
    "  --dir HOST[::GUEST]     a directory the guest may use (repeat for more)\n"
    "  --timeout MS            stop a request after MS milliseconds (0 = no limit)\n"
    "  --memory MIB            cap each linear memory at MIB mebibytes (0 = no limit)\n"
    "  --content-type T        the Content-Type of raw output (default: sniffed)\n"
    "  --cors ORIGIN           an origin allowed to call it from a browser, or * (repeat)\n"
    "  --keep-state[=true|false]  (handler kind) keep memory from one request to the next\n"
    "  --concurrency N         at most N requests at once, N more queued (0 = no limit)\n"
    "  --max-request BYTES     the largest request body (0 = no limit)\n"
    "  --max-response BYTES    the largest response body (0 = no limit)\n"
    "  An empty value of --env, --dir, --cors or --content-type resets that member to its\n"
    "  default (no entries; sniffed).\n";

typedef struct opt_def {
    const char *name;
    char shortname;
    bool value; /* takes a value */
    int id;
} opt_def;

/* For a name listed twice (--data), the first entry the command takes wins. */
static const opt_def OPTS[] = {
    {"--help", 'h', false, OPT_HELP},
    {"--server", 0, true, OPT_SERVER},
    {"--token", 0, true, OPT_TOKEN},
    {"--data", 0, true, OPT_DATA},
    {"--data", 'd', true, OPT_BODY},
    {"--json", 0, false, OPT_JSON},
    {"--kind", 0, true, OPT_KIND},
    {"--input", 0, true, OPT_INPUT},
    {"--output", 0, true, OPT_OUTPUT},
    {"--env", 0, true, OPT_ENV},
    {"--dir", 0, true, OPT_DIR},
    {"--timeout", 0, true, OPT_TIMEOUT},
    {"--memory", 0, true, OPT_MEMORY},
    {"--content-type", 0, true, OPT_CONTENT_TYPE},
    {"--cors", 0, true, OPT_CORS},
    {"--keep-state", 0, false, OPT_KEEP_STATE},
    {"--concurrency", 0, true, OPT_CONCURRENCY},
    {"--max-request", 0, true, OPT_MAX_REQUEST},
    {"--max-response", 0, true, OPT_MAX_RESPONSE},
    {"--alias", 0, true, OPT_ALIAS},
    {"--limit", 0, true, OPT_LIMIT},
    {"--method", 'X', true, OPT_METHOD},
    {"--header", 'H', true, OPT_HEADER},
    {"--path", 0, true, OPT_PATH},
    {"--include", 'i', false, OPT_INCLUDE},
};
#define NOPTS (sizeof OPTS / sizeof *OPTS)

char *client_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

int client_usage(const client *c, const char *fmt, ...) {
    fprintf(stderr, "sluice %s: ", c->cmd->name);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see sluice %s --help)\n", c->cmd->name);
    return NET_EXIT_USAGE;
}

/* A decimal number in [0, max]. */
static bool parse_num(const char *s, long long max, long long *out) {
    if (*s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > (unsigned long long)max) return false;
    *out = (long long)v;
    return true;
}

static bool oom(const client *c) {
    fprintf(stderr, "sluice %s: out of memory\n", c->cmd->name);
    return false;
}

/* Sets config member key to v (stolen); appends to the list key instead when list (an empty
 * string empties the list). Returns false when out of memory. */
static bool config_put(client *c, const char *key, json_t *v, bool list) {
    if (!v) return oom(c);
    if (!list) return json_object_set_new(c->config, key, v) == 0 || oom(c);
    json_t *a = json_object_get(c->config, key);
    if (!a) {
        if (json_object_set_new(c->config, key, json_array()) ||
            !(a = json_object_get(c->config, key))) {
            json_decref(v);
            return oom(c);
        }
    }
    if (!strcmp(json_string_value(v), "")) {
        json_decref(v);
        return json_array_clear(a) == 0 || oom(c);
    }
    return json_array_append_new(a, v) == 0 || oom(c);
}

/* One option with its value (NULL for a flag). Returns 0, -1 (out of memory) or an exit
 * code. */
static int take_opt(client *c, const opt_def *o, const char *opt, const char *val) {
    static const struct {
        int id;
        const char *key;
        long long max;
    } NUMS[] = {
        {OPT_TIMEOUT, "timeout_ms", 0xffffffffLL},      {OPT_MEMORY, "memory_mib", 0xffffffffLL},
        {OPT_CONCURRENCY, "concurrency", 0xffffffffLL}, {OPT_MAX_REQUEST, "max_request", LLONG_MAX},
        {OPT_MAX_RESPONSE, "max_response", LLONG_MAX},
    };
    for (size_t i = 0; i < sizeof NUMS / sizeof *NUMS; i++) {
        long long n;
        if (NUMS[i].id != o->id) continue;
        if (!parse_num(val, NUMS[i].max, &n))
            return client_usage(c, "bad %s '%s' (a number from 0 to %lld)", opt, val, NUMS[i].max);
        return config_put(c, NUMS[i].key, json_integer(n), false) ? 0 : -1;
    }
    switch (o->id) {
    case OPT_HELP: return 0;
    case OPT_SERVER: c->server_opt = val; return 0;
    case OPT_TOKEN: c->token_opt = val; return 0;
    case OPT_DATA: c->data_opt = val; return 0;
    case OPT_JSON: c->json = true; return 0;
    case OPT_KIND:
    case OPT_INPUT:
    case OPT_OUTPUT: {
        const char *a = o->id == OPT_KIND ? "command" : "raw";
        const char *b = o->id == OPT_KIND    ? "handler"
                        : o->id == OPT_INPUT ? "event"
                                             : "integration";
        if (strcmp(val, a) && strcmp(val, b))
            return client_usage(c, "bad %s '%s' (%s or %s)", opt, val, a, b);
        return config_put(c, o->name + 2, json_string(val), false) ? 0 : -1;
    }
    case OPT_ENV:
        if (*val && (val[0] == '=' || !strchr(val, '=')))
            return client_usage(c, "--env wants KEY=VALUE, got '%s'", val);
        return config_put(c, "env", json_string(val), true) ? 0 : -1;
    case OPT_DIR:
        if (*val && (!strncmp(val, "::", 2) || (strstr(val, "::") && !strstr(val, "::")[2])))
            return client_usage(c, "bad --dir '%s' (HOST or HOST::GUEST)", val);
        return config_put(c, "dirs", json_string(val), true) ? 0 : -1;
    case OPT_CORS: return config_put(c, "cors", json_string(val), true) ? 0 : -1;
    case OPT_CONTENT_TYPE:
        return config_put(c, "content_type", *val ? json_string(val) : json_null(), false) ? 0 : -1;
    case OPT_KEEP_STATE: {
        bool on = !val || !strcmp(val, "true");
        if (val && !on && strcmp(val, "false"))
            return client_usage(c, "bad --keep-state value '%s' (true or false)", val);
        return config_put(c, "keep_state", json_boolean(on), false) ? 0 : -1;
    }
    case OPT_ALIAS: c->alias = val; return 0;
    case OPT_LIMIT:
        if (!parse_num(val, 1000000, &c->limit))
            return client_usage(c, "bad --limit '%s' (a number)", val);
        return 0;
    case OPT_BODY: c->body_arg = val; return 0;
    case OPT_METHOD:
        if (!*val || strpbrk(val, " \t\r\n:/")) return client_usage(c, "bad --method '%s'", val);
        c->method = val;
        return 0;
    case OPT_HEADER: {
        const char *colon = strchr(val, ':');
        if (!colon || colon == val || strpbrk(val, "\r\n"))
            return client_usage(c, "--header wants 'Name: value', got '%s'", val);
        c->headers[c->nheaders++] = val;
        return 0;
    }
    case OPT_PATH: c->path = val; return 0;
    case OPT_INCLUDE: c->include = true; return 0;
    default: return client_usage(c, "unknown option '%s'", opt);
    }
}

/* Options may come anywhere; "--" ends them. Returns 0, or -2 after --help, or an exit code
 * (-1 out of memory). */
static int parse(client *c, int argc, char **argv) {
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (opts_done || arg[0] != '-' || !arg[1]) {
            if (c->npos == c->cmd->max_pos) return client_usage(c, "unexpected argument '%s'", arg);
            c->pos[c->npos++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            opts_done = true;
            continue;
        }
        const opt_def *o = NULL;
        const char *val = NULL;
        bool inline_val = false;
        size_t namelen = strcspn(arg, "=");
        for (size_t k = 0; k < NOPTS && !o; k++) {
            if (!(c->cmd->opts & OPT_BIT(OPTS[k].id))) continue;
            if (arg[1] == '-') {
                if (strlen(OPTS[k].name) == namelen && !strncmp(arg, OPTS[k].name, namelen)) {
                    o = &OPTS[k];
                    if (arg[namelen] == '=') val = arg + namelen + 1, inline_val = true;
                }
            } else if (OPTS[k].shortname && arg[1] == OPTS[k].shortname) {
                /* -h, -i; -XPOST or -X POST */
                if (arg[2] && !OPTS[k].value) continue;
                o = &OPTS[k];
                if (arg[2]) val = arg + 2, inline_val = true;
            }
        }
        if (!o) return client_usage(c, "unknown option '%.*s'", (int)namelen, arg);
        if (o->id == OPT_HELP) {
            fputs(c->cmd->help, stdout);
            if (c->cmd->opts & OPT_BIT(OPT_TOKEN)) fputs(CLIENT_COMMON_HELP, stdout);
            if ((c->cmd->opts & OPTS_CONFIG) == OPTS_CONFIG) fputs(CLIENT_CONFIG_HELP, stdout);
            return -2;
        }
        if (inline_val && !o->value && o->id != OPT_KEEP_STATE)
            return client_usage(c, "option '%s' takes no value", o->name);
        if (o->value && !inline_val) {
            if (i + 1 >= argc) return client_usage(c, "option '%s' needs a value", o->name);
            val = argv[++i];
        }
        int rc = take_opt(c, o, o->name, val);
        if (rc) return rc;
    }
    if (c->npos < c->cmd->min_pos)
        return client_usage(c, "missing argument%s", c->cmd->min_pos - c->npos > 1 ? "s" : "");
    return 0;
}

/* The token: --token, $SLUICE_TOKEN, or DATA/token. */
static int load_token(client *c) {
    const char *t = c->token_opt;
    if (!t || !*t) t = getenv("SLUICE_TOKEN");
    if (t && *t) {
        c->token = strdup(t);
        return c->token ? NET_EXIT_OK : (oom(c), NET_EXIT_USAGE);
    }
    const char *dir = c->data_opt;
    const char *from = "--data";
    if (!dir || !*dir) dir = getenv("SLUICE_DATA"), from = "SLUICE_DATA";
    if (!dir || !*dir) dir = DEFAULT_DATA, from = "the default";
    char *path = client_fmt("%s%stoken", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
    if (!path) return oom(c), NET_EXIT_USAGE;
    char *data;
    size_t len;
    if (!(data = sl_read_file(path, 0, &len, NULL))) {
        fprintf(stderr,
                "sluice %s: no API token: cannot read %s (data directory from %s): %s\n"
                "  give --token T, set SLUICE_TOKEN, or point --data DIR or SLUICE_DATA at the "
                "server's data directory\n",
                c->cmd->name, path, from, strerror(errno));
        free(path);
        return NET_EXIT_USAGE;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ' ||
                   data[len - 1] == '\t'))
        len--;
    data[len] = 0;
    if (!len || strlen(data) != len) {
        fprintf(stderr, "sluice %s: no API token: %s is %s\n", c->cmd->name, path,
                len ? "not text" : "empty");
        free(data);
        free(path);
        return NET_EXIT_USAGE;
    }
    free(path);
    c->token = data;
    return NET_EXIT_OK;
}

/* The "error" member of a JSON answer, or NULL. */
static const char *error_of(json_t *j) {
    const char *e = json_string_value(json_object_get(j, "error"));
    return e && *e ? e : NULL;
}

int client_report(const client *c, const char *url, bool reached, const net_reply *rep) {
    if (!reached) {
        fprintf(stderr,
                "sluice %s: cannot reach the server at %s: %s\n"
                "  (is `sluice serve` running there? the server comes from --server or "
                "SLUICE_SERVER)\n",
                c->cmd->name, url, rep->error);
        return NET_EXIT_UNREACHABLE;
    }
    json_t *j = json_loadb(rep->body, rep->body_len, 0, NULL);
    const char *e = error_of(j);
    if (e)
        fprintf(stderr, "sluice %s: %s (HTTP %ld)\n", c->cmd->name, e, rep->status);
    else
        fprintf(stderr, "sluice %s: the server answered HTTP %ld\n", c->cmd->name, rep->status);
    if (rep->status == 401)
        fputs("  the token comes from --token, SLUICE_TOKEN or DATA/token (--data DIR, "
              "SLUICE_DATA)\n",
              stderr);
    json_decref(j);
    return NET_EXIT_FAILED;
}

static void print_raw(const net_reply *rep) {
    fwrite(rep->body, 1, rep->body_len, stdout);
    if (rep->body_len && rep->body[rep->body_len - 1] != '\n') putchar('\n');
}

int client_api(client *c, const char *method, const char *path, const void *body, size_t len,
               const char *content_type, json_t **out, long *status) {
    *out = NULL;
    if (!c->token) {
        int rc = load_token(c);
        if (rc) return rc;
    }
    char *url = client_fmt("%s%s", c->base, path);
    if (!url) return oom(c), NET_EXIT_FAILED;
    net_request req = {.method = method,
                       .url = url,
                       .token = c->token,
                       .body = body,
                       .body_len = len,
                       .has_body = body != NULL,
                       .content_type = content_type};
    net_reply rep;
    bool reached = net_http_send(&req, &rep);
    int rc = NET_EXIT_OK;
    if (status) *status = rep.status;
    if (!reached || rep.status < 200 || rep.status > 299) {
        if (reached && c->json) print_raw(&rep);
        rc = client_report(c, url, reached, &rep);
    } else if (c->json) {
        print_raw(&rep);
    } else {
        json_error_t jerr;
        *out = json_loadb(rep.body, rep.body_len, 0, &jerr);
        if (!json_is_object(*out)) {
            fprintf(stderr, "sluice %s: unexpected answer from %s (HTTP %ld): %s\n", c->cmd->name,
                    url, rep.status, *out ? "not an object" : jerr.text);
            json_decref(*out);
            *out = NULL;
            rc = NET_EXIT_FAILED;
        }
    }
    net_reply_free(&rep);
    free(url);
    return rc;
}

int client_api_json(client *c, const char *method, const char *path, const json_t *body,
                    json_t **out) {
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return oom(c), NET_EXIT_FAILED;
    int rc = client_api(c, method, path, text, strlen(text), "application/json", out, NULL);
    free(text);
    return rc;
}

static int run_command(const client_cmd *cmd, int argc, char **argv) {
    client c = {.cmd = cmd, .limit = -1};
    c.config = json_object();
    c.headers = calloc((size_t)argc + 1, sizeof *c.headers);
    int rc = NET_EXIT_OK;
    if (!c.config || !c.headers) {
        oom(&c);
        rc = NET_EXIT_USAGE;
    }
    if (!rc) {
        rc = parse(&c, argc, argv);
        if (rc == -2)
            rc = NET_EXIT_OK;
        else if (rc == -1)
            rc = NET_EXIT_USAGE;
        else if (!rc) {
            const char *server = c.server_opt;
            if (!server || !*server) server = getenv("SLUICE_SERVER");
            if (!server || !*server) server = DEFAULT_SERVER;
            size_t n = strlen(server);
            while (n > 1 && server[n - 1] == '/')
                n--;
            c.base = strndup(server, n);
            if (!c.base) {
                rc = NET_EXIT_USAGE;
            } else if (!net_http_init()) {
                fprintf(stderr, "sluice %s: cannot initialize libcurl\n", cmd->name);
                rc = NET_EXIT_UNREACHABLE;
            } else {
                rc = cmd->run(&c);
                net_http_cleanup();
            }
        }
    }
    fflush(stdout);
    json_decref(c.config);
    free(c.headers);
    free(c.base);
    free(c.token);
    return rc;
}

#define COMMAND(fn, spec)                                                                          \
    int fn(int argc, char **argv) {                                                                \
        return run_command(&spec, argc, argv);                                                     \
    }
COMMAND(cmd_deploy, CLIENT_DEPLOY)
COMMAND(cmd_functions, CLIENT_FUNCTIONS)
COMMAND(cmd_versions, CLIENT_VERSIONS)
COMMAND(cmd_alias, CLIENT_ALIAS)
COMMAND(cmd_invoke, CLIENT_INVOKE)
COMMAND(cmd_logs, CLIENT_LOGS)
COMMAND(cmd_stats, CLIENT_STATS)
COMMAND(cmd_delete, CLIENT_DELETE)
COMMAND(cmd_config, CLIENT_CONFIG)
