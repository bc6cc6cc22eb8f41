/* PLACEHOLDER-listen: replaced by the real subcommand; never lands. */
#include <stdio.h>

#include "cli/cli.h"

int sipc_cmd_listen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sockipc: listen: not implemented yet\n");
	return 1;
}
