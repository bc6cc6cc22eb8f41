/*
 * bulk.c - the plain read/write pair with 256 KiB buffers that bench/run
 * uses as the ceiling of a bulk transfer: what two processes moving bytes
 * over one socket can do with nothing but blocking read(2) and write(2).
 *
 *   bulk recv tcp HOST PORT | unix PATH       prints "listening PORT-OR-PATH",
 *                                             accepts one peer, reads to EOF
 *   bulk send BYTES tcp HOST PORT | unix PATH connects, writes BYTES, closes
 *
 * The receiver prints the byte count it read on stdout at the end.  Built
 * by bench/run with cc; not part of the sockipc build.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF (256 * 1024)

static char buf[BUF];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int sock(char **a, int listening)
{
	int fd, one = 1;
	if (strcmp(a[0], "unix") == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a[1]);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (listening) {
			unlink(a[1]);
			if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1))
				die("listen");
			printf("listening %s\n", a[1]);
			fflush(stdout);
		} else if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
			die("connect");
		}
		return fd;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(a[2]))};
	socklen_t len = sizeof sa;
	inet_pton(AF_INET, a[1], &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (listening) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1))
			die("listen");
		getsockname(fd, (struct sockaddr *)&sa, &len);
		printf("listening %d\n", ntohs(sa.sin_port));
		fflush(stdout);
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		die("connect");
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "recv") == 0) {
		int l = sock(argv + 2, 1), fd = accept(l, NULL, NULL);
		unsigned long long total = 0;
		ssize_t n;
		while ((n = read(fd, buf, BUF)) > 0)
			total += (unsigned long long)n;
		printf("%llu\n", total);
		return n < 0;
	}
	if (argc >= 5 && strcmp(argv[1], "send") == 0) {
		unsigned long long left = strtoull(argv[2], NULL, 10);
		int fd = sock(argv + 3, 0);
		memset(buf, 'x', BUF);
		while (left > 0) {
			ssize_t n = write(fd, buf, left < BUF ? left : BUF);
			if (n <= 0)
				die("write");
			left -= (unsigned long long)n;
		}
		return close(fd);
	}
	fprintf(stderr, "usage: bulk recv tcp HOST PORT | unix PATH\n"
			"       bulk send BYTES tcp HOST PORT | unix PATH\n");
	return 2;
}
