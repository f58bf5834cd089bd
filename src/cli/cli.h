/*
 * cli.h - the `sluice` command's subcommands and its exit codes.
 *
 * Exit codes are split so a caller can always tell the guest's status from Sluice's own:
 *   0        success
 *   1..125   the guest's exit code (proc_exit); a larger code is reported as 125
 *   126      the module cannot run: malformed, invalid, or an import cannot be linked
 *   127      usage error (bad options or arguments) or the file cannot be read
 *   128      the guest trapped (including timeouts and exhausted limits)
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stddef.h>
#include <stdint.h>

enum {
    SL_EXIT_OK = 0,
    SL_EXIT_GUEST_MAX = 125,
    SL_EXIT_MODULE = 126,
    SL_EXIT_USAGE = 127,
    SL_EXIT_TRAP = 128,
};

/* Each takes the arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit code. */
int cmd_run(int argc, char **argv);
/* native_run.c: the loaded native code of a module for --tier native, or NULL (said why). */
struct sl_native_code *cli_native_code(const char *file, const uint8_t *bytes, size_t len);
int cmd_validate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

#endif
