/*
 * udp_bulk.c - one-way UDP bulk over loopback for bench/run's udp section:
 * what moving datagrams costs per send with one datagram per system call,
 * with UDP GSO (UDP_SEGMENT: one send of up to 64 datagrams, cut by the
 * kernel), and with UDP GRO on the receiver (the kernel hands a GSO
 * message over whole, one receive for all its datagrams).  Nothing here is
 * sockipc: the plain system calls, so the rows measure the kernel paths.
 *
 *   udp_bulk recv plain|gro          binds 127.0.0.1:0, prints "listening
 *                                    PORT", counts datagrams until an
 *                                    empty one (the end) or 2 s of silence,
 *                                    then prints "BYTES DATAGRAMS SECONDS"
 *                                    (from the first datagram to the last)
 *   udp_bulk send plain|gso SIZE BYTES PORT
 *                                    sends BYTES in SIZE-byte datagrams,
 *                                    then a few empty ones
 *
 * UDP has no flow control: a receiver that falls behind loses datagrams
 * at its socket, so the rate that counts is the receiver's (bytes it got
 * per second), with the loss beside it.  The receive buffer is asked for
 * at 8 MiB (SO_RCVBUFFORCE when allowed).  Built by bench/run with cc;
 * not part of the sockipc build.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define GSO_SEGS  64
#define GSO_BYTES 65000

static uint8_t buf[1 << 16];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int recv_main(int gro)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), on = 1, rb = 8 << 20;
	unsigned long long bytes = 0, dgrams = 0;
	double t0 = 0, t1 = 0;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (gro && setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) < 0)
		die("UDP_GRO");
	printf("listening %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;
		int seg = 0;

		if (gro) {
			mh.msg_control = ctl.b;
			mh.msg_controllen = sizeof(ctl.b);
		}
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			if (poll(&p, 1, 2000) == 0)
				break; /* 2 s of silence: the end was lost */
			continue;
		}
		if (n < 0)
			die("recvmsg");
		if (n == 0)
			break;
		if (dgrams == 0)
			t0 = now();
		t1 = now();
		for (struct cmsghdr *c = gro ? CMSG_FIRSTHDR(&mh) : NULL; c != NULL;
		     c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&seg, CMSG_DATA(c), sizeof(seg));
		bytes += (unsigned long long)n;
		dgrams += seg > 0 ? ((unsigned long long)n + (unsigned)seg - 1) / (unsigned)seg : 1;
	}
	printf("%llu %llu %.6f\n", bytes, dgrams, t1 - t0);
	return 0;
}

static int send_main(int gso, size_t size, unsigned long long total, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	size_t per = 1;
	unsigned long long sent = 0;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	if (size == 0 || size > 65000)
		size = 1400;
	if (gso) {
		int s = (int)size;
		per = GSO_BYTES / size;
		if (per > GSO_SEGS)
			per = GSO_SEGS;
		if (per == 0)
			per = 1;
		if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &s, sizeof(s)) < 0)
			die("UDP_SEGMENT");
	}
	memset(buf, 'x', sizeof(buf));
	while (sent < total) {
		size_t n = size * per;
		ssize_t r;

		if (total - sent < n)
			n = (size_t)(total - sent);
		r = send(fd, buf, n, 0);
		if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED))
			continue;
		if (r < 0)
			die("send");
		sent += (unsigned long long)r;
	}
	if (gso) {
		int s = 0;
		setsockopt(fd, SOL_UDP, UDP_SEGMENT, &s, sizeof(s));
	}
	for (int i = 0; i < 20; i++) {
		send(fd, buf, 0, 0);
		usleep(1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "recv") == 0)
		return recv_main(strcmp(argv[2], "gro") == 0);
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return send_main(strcmp(argv[2], "gso") == 0, strtoul(argv[3], NULL, 10),
				 strtoull(argv[4], NULL, 10), atoi(argv[5]));
	fprintf(stderr, "usage: udp_bulk recv plain|gro | send plain|gso SIZE BYTES PORT\n");
	return 2;
}
