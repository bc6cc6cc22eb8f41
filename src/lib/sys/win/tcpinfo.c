/*
 * tcpinfo.c - the bytes a TCP connection carried, as the kernel counted
 * them: Linux's TCP_INFO.  Windows has SIO_TCP_INFO (Windows 10 1703 and
 * later), but nothing on Windows needs it yet (the exec service, which
 * reports these counts, does not run there), so it is "not available",
 * as on an old Linux kernel.
 */
#include "sys/win/win.h"

int sipc__sys_tcp_bytes(int fd, uint64_t *in, uint64_t *out)
{
	(void)fd;
	(void)in;
	(void)out;
	return -ENOPROTOOPT;
}
