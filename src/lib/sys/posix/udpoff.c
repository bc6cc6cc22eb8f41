/*
 * udpoff.c - sys.h's UDP segmentation offload on Linux: UDP_SEGMENT on
 * send, UDP_GRO on receive (udp(7)).  The constants are spelled out for
 * headers older than the kernel.
 */
#include "sys/sys.h"

#include <string.h>

#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

bool sipc__sys_udp_gso_ok(int fd)
{
	int v = 0;
	socklen_t vl = sizeof(v);

	return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &vl) == 0;
}

void sipc__sys_udp_gso_cmsg(struct msghdr *h, uint16_t seg)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(h);

	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
}

bool sipc__sys_udp_gro_enable(int fd)
{
	int on = 1;

	return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
}

int sipc__sys_udp_gro_size(const struct msghdr *h)
{
	/* CMSG_NXTHDR checks each header's length against msg_controllen, so
	 * a short or garbled control area ends the walk. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)h); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		int seg;

		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(seg)))
			continue;
		memcpy(&seg, CMSG_DATA(c), sizeof(seg));
		return seg > 0 ? seg : 0;
	}
	return 0;
}
