/* net_main.c - entry point of build/sluice-net, which `sluice` runs for the network
 * commands (serve and the API clients); argv is the one `sluice` got. */
#include <stdio.h>
#include <string.h>

#include "cli/net/net.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
} COMMANDS[] = {
    {"serve", cmd_serve},       {"deploy", cmd_deploy},     {"functions", cmd_functions},
    {"versions", cmd_versions}, {"alias", cmd_alias},       {"invoke", cmd_invoke},
    {"logs", cmd_logs},         {"stats", cmd_stats},       {"delete", cmd_delete},
    {"config", cmd_config},     {"pipeline", cmd_pipeline},
};

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("usage: sluice <command> ... (see sluice --help)\n", stderr);
        return NET_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command '%s' (see sluice --help)\n", argv[1]);
    return NET_EXIT_USAGE;
}
