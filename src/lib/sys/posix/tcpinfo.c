/*
 * tcpinfo.c - the bytes a TCP connection carried, as the kernel counted
 * them.  The exec service hands its socket to a child and moves no byte
 * itself, so its close line can only report what TCP_INFO (Linux 4.2+)
 * and the send queue (SIOCOUTQ) say.  It lives here, with the other raw
 * calls, because it is Linux-only and reads kernel structures.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked; glibc's lacks it */
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* <linux/tcp.h> and glibc's <netinet/tcp.h> cannot both be included. */
#define SIPC_SYS_NET_NO_TCP_H
#include "sys/sys.h"

int sipc__sys_tcp_bytes(int fd, uint64_t *in, uint64_t *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int queued = 0;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return -ENOPROTOOPT;
	if (ioctl(fd, SIOCOUTQ, &queued) < 0 || queued < 0)
		queued = 0;
	uint64_t got = ti.tcpi_bytes_received, sent = ti.tcpi_bytes_acked + (uint64_t)queued;
	/* A FIN takes a sequence number, which both counters include: the
	 * peer's once received, ours once acknowledged.  The state numbers are
	 * the kernel's (include/net/tcp_states.h), as tcpi_state reports them;
	 * glibc's names for them live in <netinet/tcp.h>, which cannot be
	 * included beside <linux/tcp.h>. */
	enum { FIN_WAIT2 = 5, TIME_WAIT = 6, CLOSE_WAIT = 8, LAST_ACK = 9, CLOSING = 11 };
	if (got > 0 && (ti.tcpi_state == CLOSE_WAIT || ti.tcpi_state == LAST_ACK ||
			ti.tcpi_state == CLOSING || ti.tcpi_state == TIME_WAIT))
		got--;
	if (sent > 0 && (ti.tcpi_state == FIN_WAIT2 || ti.tcpi_state == TIME_WAIT))
		sent--;
	*in = got;
	*out = sent;
	return 0;
}
