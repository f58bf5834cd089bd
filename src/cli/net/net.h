/*
 * net.h - the network half of the `sluice` command (build/sluice-net): the server and the
 * client commands that talk to it over its HTTP API (docs/api.md).
 *
 * Each command takes the arguments after the subcommand name (argv[0] is the subcommand)
 * and returns the exit code: 0 success, 1 the server answered with an error (its message is
 * printed), 2 the server could not be reached, 127 usage error.
 */
#ifndef SL_CLI_NET_H
#define SL_CLI_NET_H

enum { NET_EXIT_OK = 0, NET_EXIT_FAILED = 1, NET_EXIT_UNREACHABLE = 2, NET_EXIT_USAGE = 127 };

int cmd_serve(int argc, char **argv);    /* serve_cmd.c */
int cmd_pipeline(int argc, char **argv); /* pipeline_cmd.c */

/* client.c */
int cmd_deploy(int argc, char **argv);
int cmd_functions(int argc, char **argv);
int cmd_versions(int argc, char **argv);
int cmd_alias(int argc, char **argv);
int cmd_invoke(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
