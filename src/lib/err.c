/* err.c - placeholder until the URL helper writes sipc_strerror. PLACEHOLDER-err */
#include "sockipc.h"
#include <string.h>
const char *sipc_strerror(int code)
{
	return code < 0 && code > -4096 ? strerror(-code) : "sockipc error";
}
