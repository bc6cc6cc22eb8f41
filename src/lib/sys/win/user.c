/*
 * user.c - sys.h's users and groups on Windows: a socket there has no
 * peer uid to check them against and the server no uid to run as, so
 * they are not supported.
 */
#include "sys/win/win.h"

int sipc__sys_user(const char *name, char *out, size_t outlen, unsigned *uid, unsigned *gid)
{
	(void)name;
	(void)out;
	(void)outlen;
	(void)uid;
	(void)gid;
	return SIPC_ENOTSUP;
}

int sipc__sys_group(const char *name, char *out, size_t outlen, unsigned *gid)
{
	(void)name;
	(void)out;
	(void)outlen;
	(void)gid;
	return SIPC_ENOTSUP;
}

unsigned sipc__sys_euid(void)
{
	return 0;
}
