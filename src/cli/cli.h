/*
 * cli.h - what the subcommand files share: their entry points (the table in
 * main.c names them) and the program-wide settings of the global options.
 */
#ifndef SIPC_CLI_H
#define SIPC_CLI_H

#include <stdbool.h>

/* Exit statuses of DESIGN.md. */
enum { SIPC_EXIT_OK = 0, SIPC_EXIT_FAIL = 1, SIPC_EXIT_USAGE = 2 };

/* Each subcommand gets argv with argv[0] its own name. */
int sipc_cmd_serve(int argc, char **argv);
int sipc_cmd_connect(int argc, char **argv);
int sipc_cmd_listen(int argc, char **argv);
int sipc_cmd_send(int argc, char **argv);
int sipc_cmd_resolve(int argc, char **argv);

#endif /* SIPC_CLI_H */
