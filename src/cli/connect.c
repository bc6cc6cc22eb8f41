/* PLACEHOLDER-connect: replaced by the real subcommand; never lands. */
#include <stdio.h>

#include "cli/cli.h"

int sipc_cmd_connect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sockipc: connect: not implemented yet\n");
	return 1;
}
