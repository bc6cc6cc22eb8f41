/*
 * epoll_echo.c - the minimal single-purpose echo loop: the syscall limit
 * that `sockipc serve` echo is measured against in bench/run.  One thread,
 * one level-triggered epoll, a read and a write per readiness, nothing
 * else: no framing, no buffering beyond one 64 KiB read (a short write
 * keeps the rest and waits for EPOLLOUT), no limits, no logs.
 *
 *   epoll_echo tcp HOST PORT | unix PATH | udp HOST PORT | unixgram PATH
 *
 * Prints "listening PORT-OR-PATH" on stdout when ready.  Built by bench/run
 * with cc; not part of the sockipc build.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF (64 * 1024)

struct conn {
	int fd;
	size_t len, off; /* bytes read and not yet written back */
	int out;         /* waiting for EPOLLOUT (after a short write) */
	char buf[BUF];
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int open_listener(const char *kind, char **argv, int *dgram)
{
	int unix_ = strncmp(kind, "unix", 4) == 0, fd, one = 1;
	*dgram = strcmp(kind, "udp") == 0 || strcmp(kind, "unixgram") == 0;
	int type = (*dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;

	if (unix_) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[0]);
		unlink(argv[0]);
		fd = socket(AF_UNIX, type, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("bind");
		printf("listening %s\n", argv[0]);
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
		socklen_t len = sizeof sa;
		inet_pton(AF_INET, argv[0], &sa.sin_addr);
		fd = socket(AF_INET, type, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("bind");
		getsockname(fd, (struct sockaddr *)&sa, &len);
		printf("listening %d\n", ntohs(sa.sin_port));
	}
	if (!*dgram && listen(fd, 4096) < 0)
		die("listen");
	fflush(stdout);
	return fd;
}

static void serve_dgram(int fd)
{
	static char buf[BUF];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EAGAIN) {
				struct epoll_event ev;
				static int ep = -1;
				if (ep < 0) {
					ep = epoll_create1(0);
					ev.events = EPOLLIN;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				epoll_wait(ep, &ev, 1, -1);
			}
			continue;
		}
		sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&from, flen);
	}
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256], ev;
	int lfd, ep, dgram, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: epoll_echo tcp HOST PORT | unix PATH | udp HOST PORT | "
				"unixgram PATH\n");
		return 2;
	}
	lfd = open_listener(argv[1], argv + 2, &dgram);
	if (dgram)
		serve_dgram(lfd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c == NULL) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL,
						     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					c = malloc(sizeof *c);
					c->fd = fd;
					c->len = c->off = 0;
					c->out = 0;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (c->len == 0) {
				ssize_t r = read(c->fd, c->buf, BUF);
				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					close(c->fd);
					free(c);
					continue;
				}
				c->len = (size_t)r;
				c->off = 0;
			}
			ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN) {
				close(c->fd);
				free(c);
				continue;
			}
			if (w > 0)
				c->off += (size_t)w;
			int pending = c->off < c->len;
			if (!pending)
				c->len = c->off = 0;
			/* Only a short write changes what we wait for. */
			if (pending != c->out) {
				c->out = pending;
				ev.events = pending ? EPOLLOUT : EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
}
