/*
 * udpoff.c - sys.h's UDP segmentation offload on Windows: not offered
 * (Windows has UDP_SEND_MSG_SIZE and UDP_RECV_MAX_COALESCED_SIZE, not
 * ported), so every datagram is sent and received on its own.
 */
#include "sys/win/win.h"

#include <string.h>

bool sipc__sys_udp_gso_ok(int fd)
{
	(void)fd;
	return false;
}

/* The control area stays, empty: sipc__sys_sendmsg refuses control data
 * here (SIPC_ENOTSUP), so a caller that tries GSO anyway learns it and
 * sends one datagram at a time, never one long datagram. */
void sipc__sys_udp_gso_cmsg(struct msghdr *h, uint16_t seg)
{
	(void)seg;
	memset(h->msg_control, 0, h->msg_controllen);
}

bool sipc__sys_udp_gro_enable(int fd)
{
	(void)fd;
	return false;
}

int sipc__sys_udp_gro_size(const struct msghdr *h)
{
	(void)h;
	return 0;
}
