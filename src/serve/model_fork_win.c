/*
 * model_fork_win.c - --model fork in the Windows build, which has no
 * fork(): refused when the configuration is checked, with the models that
 * work instead.
 */
#include <stdio.h>

#include "serve/model.h"
#include "serve/service.h"

static int nofork_check(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	(void)cfg;
	snprintf(why, whylen,
		 "--model fork: not supported on this system (Windows has no fork(); "
		 "--model event or thread serve the same services)");
	return -1;
}

const struct sipc__model_ops sipc__model_fork = {
	.name = "fork",
	.bit = SIPC__MODEL_FORK,
	.default_workers = 1,
	.conn_is_process = true,
	.check = nofork_check,
};
