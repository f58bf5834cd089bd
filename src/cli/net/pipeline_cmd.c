/* pipeline_cmd.c - `sluice pipeline run FILE`: runs a pipeline in the foreground until its
 * input ends or SIGINT/SIGTERM, then drains it and prints its counters. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/net/net.h"
#include "pipeline/pipeline.h"
#include "fn/invoke.h"
#include "serve/registry.h"

static const char USAGE[] =
    "usage: sluice pipeline run FILE.yaml [--quiet] [--data DIR]\n"
    "       sluice pipeline check FILE.yaml [--data DIR]\n"
    "\n"
    "run    runs the pipeline until its input ends (a file without follow, stdin) or until\n"
    "       SIGINT/SIGTERM; then everything already read is processed and committed, and its\n"
    "       counters are printed as JSON on stderr (--quiet: not)\n"
    "check  loads and checks the file (settings, modules, sinks) and exits\n"
    "--data DIR  the registry of `sluice serve` (default $SLUICE_DATA), for function stages\n"
    "           that name a deployed function (function: NAME@ALIAS) instead of a module\n"
    "(docs/pipeline.md describes the file)\n";

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

int cmd_pipeline(int argc, char **argv) {
    /* --help anywhere (sluice pipeline --help, sluice pipeline run --help) is a request for
     * the usage, not a file name */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return NET_EXIT_OK;
        }
    if (argc < 3) {
        fputs(USAGE, stderr);
        return NET_EXIT_USAGE;
    }
    bool check = !strcmp(argv[1], "check"), quiet = false;
    const char *data = getenv("SLUICE_DATA");
    if (!check && strcmp(argv[1], "run")) {
        fprintf(stderr, "sluice pipeline: unknown action '%s'\n%s", argv[1], USAGE);
        return NET_EXIT_USAGE;
    }
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else {
            fprintf(stderr, "sluice pipeline: unknown option '%s'\n%s", argv[i], USAGE);
            return NET_EXIT_USAGE;
        }
    }
    sl_engine *engine = sl_engine_new(NULL);
    sl_error err = {0};
    sl_registry *reg = NULL;
    if (data && !(reg = sl_registry_open(data, &err))) {
        fprintf(stderr, "sluice pipeline: --data %s: %s\n", data, err.message);
        sl_engine_free(engine);
        return NET_EXIT_FAILED;
    }
    sl_fn_resolver functions = reg ? sl_registry_resolver(reg) : (sl_fn_resolver){0};
    sl_pipeline *p =
        engine ? sl_pipeline_load(argv[2], engine, reg ? &functions : NULL, &err) : NULL;
    if (!p) {
        fprintf(stderr, "sluice pipeline: %s\n", engine ? err.message : "out of memory");
        sl_registry_close(reg);
        sl_engine_free(engine);
        return NET_EXIT_FAILED;
    }
    int rc = NET_EXIT_OK;
    if (check) {
        printf("%s: ok (pipeline %s)\n", argv[2], sl_pipeline_name(p));
    } else {
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (!sl_pipeline_start(p, &err)) {
            fprintf(stderr, "sluice pipeline: %s\n", err.message);
            rc = NET_EXIT_FAILED;
        } else {
            /* the pipeline's threads run; this one only waits for a signal or the end */
            while (!stop_requested && !sl_pipeline_done(p))
                usleep(20000);
            if (stop_requested)
                fprintf(stderr, "sluice pipeline: stopping: draining what was read\n");
            sl_pipeline_stop(p);
            if (!sl_pipeline_wait(p, &err)) {
                fprintf(stderr, "sluice pipeline: %s\n", err.message);
                rc = NET_EXIT_FAILED;
            }
            if (!quiet) {
                json_t *st = sl_pipeline_stats(p);
                char *text = json_dumps(st, JSON_COMPACT);
                fprintf(stderr, "%s\n", text ? text : "{}");
                free(text);
                json_decref(st);
            }
        }
    }
    sl_pipeline_free(p);
    sl_registry_close(reg);
    sl_invoke_thread_done();
    sl_engine_free(engine);
    return rc;
}
