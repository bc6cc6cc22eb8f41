/* version.c - the library's version, fixed at build time. */
#include "sockipc.h"

const char *sipc_version(void)
{
	return SIPC_VERSION;
}
