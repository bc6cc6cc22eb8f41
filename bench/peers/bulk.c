/*
 * bulk.c - the plain pair bench/run uses as the ceiling of a bulk transfer:
 * what two processes moving bytes over one socket can do with nothing but
 * blocking calls, at a chosen transfer size, copying (read(2)/write(2)) or
 * splicing (splice(2) through a pipe of that size).
 *
 *   bulk recv [-b SIZE] [-s] tcp HOST PORT | unix PATH
 *       prints "listening PORT-OR-PATH", accepts one peer, reads to EOF:
 *       read(2)s of SIZE bytes into one buffer, or with -s splices into a
 *       pipe of SIZE bytes and from it to /dev/null (no byte copied)
 *   bulk send [-b SIZE] [-s | -f] BYTES tcp HOST PORT | unix PATH
 *       connects, writes BYTES, closes: write(2)s of SIZE bytes from one
 *       buffer in memory; with -f each one read(2) from stdin (a file of
 *       BYTES or more) first, the same work as a relay that copies a file;
 *       with -s splices BYTES from stdin through a pipe of SIZE bytes into
 *       the socket
 *   bulk relay [-b SIZE] [-s] LISTEN TO   (each tcp HOST PORT | unix PATH)
 *       the plainest one-way relay, the reference of a forward: prints
 *       "listening ...", accepts one peer, connects to TO and moves what
 *       the peer sends there until its end, then closes: read(2)/write(2)
 *       of SIZE bytes, or with -s splice(2) through a pipe of SIZE bytes
 *
 * SIZE takes a K or M suffix; 256K by default.  The receiver prints the
 * byte count it read on stdout at the end.  Built by bench/run with cc;
 * not part of the sockipc build.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static size_t size = 256 * 1024;
static int use_splice, from_stdin;

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

/* A pipe of SIZE bytes (the kernel rounds up to pages; it may refuse
 * above pipe-max-size, 1 MiB by default, which keeps its default). */
static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	(void)fcntl(p[1], F_SETPIPE_SZ, (int)size);
}

/* SIZE, or LEFT when less is left. */
static size_t chunk(unsigned long long left)
{
	return left < size ? (size_t)left : size;
}

/* Moves IN's bytes to OUT until IN ends or LIMIT have gone, or (reading,
 * not splicing) drops them when OUT is -1; *TOTAL counts them.  0, or 1 on
 * an error. */
static int pass(int in, int out, unsigned long long limit, unsigned long long *total)
{
	ssize_t n = 0;
	char *buf;
	int p[2];

	if (use_splice) {
		make_pipe(p);
		while (*total < limit && (n = splice(in, NULL, p[1], NULL, chunk(limit - *total),
						     SPLICE_F_MOVE)) > 0) {
			*total += (unsigned long long)n;
			while (n > 0) {
				ssize_t m = splice(p[0], NULL, out, NULL, (size_t)n, SPLICE_F_MOVE);
				if (m <= 0)
					die("splice out");
				n -= m;
			}
		}
		return n < 0;
	}
	if ((buf = malloc(size)) == NULL)
		die("malloc");
	while (*total < limit && (n = read(in, buf, chunk(limit - *total))) > 0) {
		ssize_t off = 0, m;

		*total += (unsigned long long)n;
		while (out >= 0 && off < n) {
			if ((m = write(out, buf + off, (size_t)(n - off))) <= 0)
				die("write");
			off += m;
		}
	}
	return n < 0;
}

static int do_send(unsigned long long left, char **a)
{
	int fd = sock(a, 0);
	unsigned long long total = 0;
	char *buf;

	/* From the file: its bytes are passed on, as a relay would. */
	if (use_splice || from_stdin) {
		if (pass(0, fd, left, &total) || total != left)
			die("send (stdin must be a file of BYTES)");
		return close(fd);
	}
	if ((buf = malloc(size)) == NULL)
		die("malloc");
	memset(buf, 'x', size);
	while (left > 0) {
		size_t want = chunk(left);
		ssize_t n, off = 0;

		while ((size_t)off < want) {
			if ((n = write(fd, buf + off, want - (size_t)off)) <= 0)
				die("write");
			off += n;
		}
		left -= want;
	}
	return close(fd);
}

static int do_recv(char **a)
{
	int l = sock(a, 1), fd = accept(l, NULL, NULL), null = -1, rc;
	unsigned long long total = 0;

	if (fd < 0)
		die("accept");
	/* Spliced pages need somewhere to go; read ones are dropped. */
	if (use_splice && (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		die("/dev/null");
	rc = pass(fd, null, ULLONG_MAX, &total);
	printf("%llu\n", total);
	return rc;
}

static int do_relay(char **a)
{
	int l = sock(a, 1), in = accept(l, NULL, NULL), out, rc;
	unsigned long long total = 0;

	if (in < 0)
		die("accept");
	out = sock(a + (strcmp(a[0], "unix") == 0 ? 2 : 3), 0);
	rc = pass(in, out, ULLONG_MAX, &total);
	return close(out) || rc;
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'K' || *end == 'k')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1024 * 1024, end++;
	if (*end != '\0' || v == 0 || v > (64u << 20)) {
		fprintf(stderr, "bulk: bad size '%s'\n", s);
		exit(2);
	}
	return (size_t)v;
}

int main(int argc, char **argv)
{
	int i = 2;

	while (argc > i + 1 && argv[i][0] == '-') {
		if (strcmp(argv[i], "-s") == 0) {
			use_splice = 1;
			i++;
		} else if (strcmp(argv[i], "-f") == 0) {
			from_stdin = 1;
			i++;
		} else if (strcmp(argv[i], "-b") == 0) {
			size = parse_size(argv[i + 1]);
			i += 2;
		} else {
			break;
		}
	}
	if (argc >= i + 2 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv + i);
	if (argc >= i + 4 && strcmp(argv[1], "relay") == 0)
		return do_relay(argv + i);
	if (argc >= i + 3 && strcmp(argv[1], "send") == 0)
		return do_send(strtoull(argv[i], NULL, 10), argv + i + 1);
	fprintf(stderr,
		"usage: bulk recv [-b SIZE] [-s] tcp HOST PORT | unix PATH\n"
		"       bulk send [-b SIZE] [-s | -f] BYTES tcp HOST PORT | unix PATH\n"
		"       bulk relay [-b SIZE] [-s] LISTEN TO (each tcp HOST PORT | unix PATH)\n");
	return 2;
}
