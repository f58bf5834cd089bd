/* client_invoke.c - `sluice invoke`: one request through the gateway, /fn/NAME[@REF][/REST]
 * (docs/api.md); the response body goes to stdout as is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "cli/net/client.h"
#include "cli/net/net.h"

/* REST as given, with the bytes a URL cannot hold (controls, space, non-ASCII, and
 * "<>\^`{|}#) percent-encoded; '/', '?', '&', '=' and '%' stay, so a query string or an
 * encoded segment passes through. */
static char *escape_rest(const char *s) {
    static const char HEX[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\^`{|}#", *p)) {
            *o++ = '%';
            *o++ = HEX[*p >> 4];
            *o++ = HEX[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o = 0;
    return out;
}

/* "/fn/NAME[@REF][/REST]" */
static char *fn_path(const client *c) {
    const char *target = c->pos[0], *at = strchr(target, '@');
    char *name = at ? strndup(target, (size_t)(at - target)) : strdup(target);
    char *ename = name ? net_escape(name) : NULL;
    char *eref = at ? net_escape(at + 1) : NULL;
    const char *rest = c->path ? c->path : "";
    while (*rest == '/')
        rest++;
    char *erest = escape_rest(rest);
    char *path = NULL;
    if (ename && erest && (!at || eref))
        path = client_fmt("/fn/%s%s%s%s%s", ename, at ? "@" : "", at ? eref : "", *erest ? "/" : "",
                          erest);
    free(name);
    free(ename);
    free(eref);
    free(erest);
    return path;
}

/* The body --data gives: @FILE, - (stdin; also @-), or the string itself. */
static bool load_body(client *c, char **data, size_t *len) {
    const char *a = c->body_arg;
    if (a[0] == '@' || !strcmp(a, "-")) {
        const char *file = a[0] == '@' ? a + 1 : "-";
        if ((*data = sl_read_file(file, 0, len, NULL))) return true;
        fprintf(stderr, "sluice invoke: cannot read %s: %s\n", strcmp(file, "-") ? file : "stdin",
                strerror(errno));
        return false;
    }
    *len = strlen(a);
    if ((*data = strdup(a))) return true;
    fputs("sluice invoke: out of memory\n", stderr);
    return false;
}

static int run_invoke(client *c) {
    const char *at = strchr(c->pos[0], '@');
    if (at == c->pos[0] || (at && !at[1])) return client_usage(c, "bad NAME[@REF] '%s'", c->pos[0]);
    char *data = NULL;
    size_t len = 0;
    if (c->body_arg && !load_body(c, &data, &len)) return NET_EXIT_USAGE;
    char *path = fn_path(c), *url = path ? client_fmt("%s%s", c->base, path) : NULL;
    free(path);
    if (!url) {
        free(data);
        fputs("sluice invoke: out of memory\n", stderr);
        return NET_EXIT_USAGE;
    }
    /* A header of the caller's may set the body's type; otherwise it has none. */
    const char *ctype = NULL;
    for (size_t i = 0; i < c->nheaders; i++)
        if (!strncasecmp(c->headers[i], "content-type:", 13)) ctype = c->headers[i] + 13;
    while (ctype && (*ctype == ' ' || *ctype == '\t'))
        ctype++;
    const char **others = calloc(c->nheaders + 1, sizeof *others);
    size_t nothers = 0;
    for (size_t i = 0; others && i < c->nheaders; i++)
        if (strncasecmp(c->headers[i], "content-type:", 13)) others[nothers++] = c->headers[i];
    net_request req = {
        .method = c->method     ? c->method
                  : c->body_arg ? "POST"
                                : "GET",
        .url = url,
        .body = data,
        .body_len = len,
        .has_body = c->body_arg != NULL,
        .content_type = ctype && *ctype ? ctype : NULL,
        .headers = others,
        .nheaders = nothers,
    };
    int rc = NET_EXIT_OK;
    net_reply rep;
    bool reached = others && net_http_send(&req, &rep);
    if (!others) {
        fputs("sluice invoke: out of memory\n", stderr);
        rc = NET_EXIT_USAGE;
    } else if (!reached) {
        rc = client_report(c, url, false, &rep);
    } else {
        if (c->include) {
            fwrite(rep.headers, 1, rep.headers_len, stderr);
            fflush(stderr);
        }
        fwrite(rep.body, 1, rep.body_len, stdout);
        fflush(stdout);
        if (rep.status < 200 || rep.status > 299) rc = client_report(c, url, true, &rep);
    }
    if (others) net_reply_free(&rep);
    free(others);
    free(url);
    free(data);
    return rc;
}

const client_cmd CLIENT_INVOKE = {
    .name = "invoke",
    .help = "usage: sluice invoke NAME[@REF] [options]\n"
            "Calls function NAME through the server's gateway (/fn/NAME[@REF][/REST]; no token\n"
            "needed) and writes the response body to stdout as is. REF is an alias or 8 or\n"
            "more hex digits of a SHA-256 (default: latest). Exits 0 for a 2xx answer, else 1\n"
            "(the error on stderr).\n"
            "\n"
            "options:\n"
            "  -d, --data @FILE|-|STRING  the request body: FILE's contents, stdin, or STRING\n"
            "                          (the method is then POST unless --method says otherwise)\n"
            "  -X, --method M          the HTTP method (default GET, or POST with --data)\n"
            "  -H, --header 'K: V'     a request header (repeat for more)\n"
            "  --path REST             the rest of the path, after /fn/NAME[@REF]/ (may hold a\n"
            "                          query string: --path 'items/7?view=full')\n"
            "  -i, --include           print the response's status line and headers to stderr\n"
            "  --server URL            the server (default $SLUICE_SERVER, else\n"
            "                          http://127.0.0.1:8080)\n"
            "  --token T, --json       accepted like the other commands' and ignored (the gateway\n"
            "                          needs no token; the body is always printed as is)\n"
            "  -h, --help              show this help\n",
    .opts = OPT_BIT(OPT_HELP) | OPT_BIT(OPT_SERVER) | OPT_BIT(OPT_TOKEN) | OPT_BIT(OPT_JSON) |
            OPT_BIT(OPT_BODY) | OPT_BIT(OPT_METHOD) | OPT_BIT(OPT_HEADER) | OPT_BIT(OPT_PATH) |
            OPT_BIT(OPT_INCLUDE),
    .min_pos = 1,
    .max_pos = 1,
    .run = run_invoke,
};
