/* PLACEHOLDER-serve: replaced by the real subcommand; never lands. */
#include <stdio.h>

#include "cli/cli.h"

int sipc_cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sockipc: serve: not implemented yet\n");
	return 1;
}
