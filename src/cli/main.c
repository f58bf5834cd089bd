/* main.c - `sluice` entry point: subcommand dispatch, --help and --version. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sluice.h"

static const char USAGE[] =
    "usage: sluice <command> [options] FILE.wasm ...\n"
    "\n"
    "commands:\n"
    "  run [options] FILE.wasm [ARGS...]\n"
    "                        run a WASI command (its _start), or one export with --invoke\n"
    "      --dir HOST[::GUEST]  give the guest directory HOST, seen as GUEST (default HOST)\n"
    "      --env KEY=VALUE      set a guest environment variable (none are inherited)\n"
    "      --timeout MS         stop the guest after MS milliseconds\n"
    "      --max-memory MIB     cap each linear memory at MIB mebibytes\n"
    "      --invoke NAME        call export NAME with ARGS parsed as its parameter types\n"
    "                           (integers in decimal or 0x hex; floats incl. nan, inf) and\n"
    "                           print each result on its own line\n"
    "      --tier interp|native run compiled code from $SLUICE_CACHE (compiled first if\n"
    "                           missing; docs/native.md) or the interpreter (default)\n"
    "  validate FILE.wasm    check that a module is well-formed and valid\n"
    "  inspect FILE.wasm     describe a module's imports, exports and sections\n"
    "  compile FILE.wasm     compile to native code (FILE.cwasm; sluice-compile, LLVM)\n"
    "  serve [--listen HOST:PORT] [--data DIR] [--threads N] [--web DIR]\n"
    "                        run the function server (docs/serve.md, docs/api.md)\n"
    "  deploy NAME FILE.wasm [options]\n"
    "                        upload a version of a function (see sluice deploy --help)\n"
    "  functions | versions NAME | alias NAME ALIAS REF | invoke NAME[@REF] [--data @FILE]\n"
    "  pipeline run|check FILE.yaml\n"
    "                        run a data pipeline in the foreground (docs/pipeline.md)\n"
    "  logs NAME | stats NAME | delete NAME | config NAME[@REF] [options]\n"
    "                        manage and call functions on a server, found with --server URL\n"
    "                        or SLUICE_SERVER (default http://127.0.0.1:8080); the token comes\n"
    "                        from --token, SLUICE_TOKEN or DATA/token (--data DIR, SLUICE_DATA,\n"
    "                        default ./sluice-data)\n"
    "\n"
    "options:\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "exit codes:\n"
    "  0        success\n"
    "  1-125    the guest's exit code (larger codes are reported as 125)\n"
    "  126      the module cannot run (malformed, invalid, unresolved import, no such export)\n"
    "  127      usage error, or the file cannot be read\n"
    "  128      the guest trapped, timed out or exceeded a limit\n";

/* The server and its client commands live in sluice-net, beside this binary (see the
 * Makefile: it links libraries that cannot be linked statically). */
static const char *const NET_COMMANDS[] = {"serve",  "deploy", "functions", "versions",
                                           "alias",  "invoke", "logs",      "stats",
                                           "delete", "config", "pipeline"};

/* `sluice compile` is sluice-compile, the one program that links LLVM (docs/native.md). */
static int exec_beside(const char *prog, char **argv) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 16);
    if (n <= 0) {
        perror("sluice: /proc/self/exe");
        return SL_EXIT_USAGE;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    strcpy(slash ? slash + 1 : self, prog);
    execv(self, argv);
    fprintf(stderr, "sluice: cannot run %s: %s\n", self, strerror(errno));
    return SL_EXIT_USAGE;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(USAGE, stderr);
        return SL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(USAGE, stdout);
        return SL_EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("sluice %s\n", SLUICE_VERSION);
        return SL_EXIT_OK;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate")) return cmd_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "compile")) return exec_beside("sluice-compile", argv + 1);
    for (size_t i = 0; i < sizeof NET_COMMANDS / sizeof *NET_COMMANDS; i++)
        if (!strcmp(cmd, NET_COMMANDS[i])) return exec_beside("sluice-net", argv);
    fprintf(stderr, "sluice: unknown command '%s' (see sluice --help)\n", cmd);
    return SL_EXIT_USAGE;
}
