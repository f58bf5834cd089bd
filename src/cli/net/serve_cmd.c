/* serve_cmd.c - `sluice serve`: parse options, start the server, run until SIGINT/SIGTERM. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/net/net.h"
#include "base/log.h"
#include "pipeline/host.h"
#include "serve/server.h"

static const char USAGE[] =
    "usage: sluice serve [--listen HOST:PORT] [--data DIR] [--threads N] [--web DIR]\n"
    "\n"
    "Serves the functions in DATA over HTTP (docs/api.md): /fn/NAME invokes one, /api/ manages\n"
    "them (bearer token in DATA/token, made on first start), /metrics, and the console on /.\n"
    "\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; port 0 = any free)\n"
    "  --data DIR          the registry (default $SLUICE_DATA or ./sluice-data)\n"
    "  --threads N         worker threads running guests (default: one per core)\n"
    "  --net-threads N     HTTP threads (default 2, or 1 on a single core)\n"
    "  --web DIR           the console's files (default: web/ beside the build, if present)\n"
    "  --access-log        log every request (default: only errors)\n";

/* web/ of the source tree when sluice-net runs from its build folder (build/ or build/x/). */
static char *default_web_dir(void) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
    if (n <= 0) return NULL;
    self[n] = 0;
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(self, '/');
        if (!slash) return NULL;
        *slash = 0;
        char cand[PATH_MAX + 16];
        snprintf(cand, sizeof cand, "%s/web/index.html", self);
        if (access(cand, R_OK) == 0) {
            cand[strlen(cand) - strlen("/index.html")] = 0;
            return strdup(cand);
        }
    }
    return access("/usr/share/sluice/web/index.html", R_OK) == 0 ? strdup("/usr/share/sluice/web")
                                                                 : NULL;
}

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) {
    stop_signal = sig;
}

/* The pipeline host (src/pipeline/host.h) as the server's hosted service: the cli is the one
 * layer that sees both. */
static void *pipelines_open(const char *data_dir, sl_engine *engine, const sl_fn_resolver *fns) {
    return sl_phost_open(data_dir, engine, fns);
}
static void pipelines_close(void *h) {
    sl_phost_close(h);
}
static int pipelines_api(void *h, const char *method, char **seg, int nseg, const char *query,
                         const char *body, size_t body_len, json_t **out) {
    return sl_phost_api(h, method, seg, nseg, query, body, body_len, out);
}
static int pipelines_ingest(void *h, const char *name, const char *body, size_t len, char *answer,
                            size_t alen) {
    return sl_phost_ingest(h, name, body, len, answer, alen);
}
static void pipelines_prometheus(void *h, FILE *out) {
    sl_phost_prometheus(h, out);
}
static const sl_server_hosted PIPELINES = {pipelines_open, pipelines_close, pipelines_api,
                                           pipelines_ingest, pipelines_prometheus};

static bool parse_count(const char *s, unsigned *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 1024) return false;
    *out = (unsigned)v;
    return true;
}

int cmd_serve(int argc, char **argv) {
    const char *data = getenv("SLUICE_DATA");
    sl_server_config cfg = {.listen = "127.0.0.1:8080",
                            .data_dir = data ? data : "sluice-data",
                            .pipelines = &PIPELINES};
    const char *web = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return NET_EXIT_OK;
        } else if (!strcmp(a, "--access-log")) {
            cfg.access_log = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "sluice serve: %s needs a value\n%s", a, USAGE);
            return NET_EXIT_USAGE;
        }
        i++;
        if (!strcmp(a, "--listen"))
            cfg.listen = v;
        else if (!strcmp(a, "--data"))
            cfg.data_dir = v;
        else if (!strcmp(a, "--web"))
            web = v;
        else if (!strcmp(a, "--threads") && parse_count(v, &cfg.threads))
            ;
        else if (!strcmp(a, "--net-threads") && parse_count(v, &cfg.net_threads))
            ;
        else {
            fprintf(stderr, "sluice serve: bad option %s %s\n%s", a, v, USAGE);
            return NET_EXIT_USAGE;
        }
    }
    char *web_found = web ? NULL : default_web_dir();
    cfg.web_dir = web ? web : web_found;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    sl_error err = {0};
    sl_server *srv = sl_server_start(&cfg, &err);
    if (!srv) {
        fprintf(stderr, "sluice serve: %s\n", err.message);
        free(web_found);
        return NET_EXIT_FAILED;
    }
    char host[256];
    snprintf(host, sizeof host, "%s", cfg.listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = 0;
    sl_log("listening on http://%s:%u (data %s, console %s)", host, sl_server_port(srv),
           cfg.data_dir, cfg.web_dir ? cfg.web_dir : "off: no web folder");
    sl_log("API token in %s/token", cfg.data_dir);
    while (!stop_signal)
        pause();
    sl_log("stopping (signal %d): finishing the requests in progress", (int)stop_signal);
    sl_server_stop(srv);
    sl_log("stopped");
    free(web_found);
    return NET_EXIT_OK;
}
