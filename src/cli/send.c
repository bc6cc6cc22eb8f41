/* PLACEHOLDER-send: replaced by the real subcommand; never lands. */
#include <stdio.h>

#include "cli/cli.h"

int sipc_cmd_send(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sockipc: send: not implemented yet\n");
	return 1;
}
