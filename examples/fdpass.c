/*
 * fdpass.c - one process opens a file and hands the open descriptor to
 * another over a unix socket; the other reads the file through it, though
 * it never opened it (it may not even be allowed to: the right to read
 * travels with the descriptor).
 *
 *   fdpass serve URL [COUNT]   take descriptors, print what they read
 *   fdpass send URL FILE       open FILE and pass it
 *
 * URL is unix:// or unixpacket:// (an abstract name, unix://@name, leaves
 * no file behind).  serve prints "listening REAL-URL" on stderr, then for
 * each client: who it is (SO_PEERCRED), the message and the descriptors
 * that came with it (sipc_recv_fds), whose bytes it copies to stdout, and
 * replies "ok N bytes".  send prints that reply.  serve stops after COUNT
 * clients, or runs until killed when COUNT is 0 or missing.
 * Uses only <sockipc.h>.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockipc.h>

static int fail(const char *what, int code)
{
	fprintf(stderr, "fdpass: %s: %s\n", what, sipc_strerror(code));
	return 1;
}

/* Copies what FD reads to stdout; the byte count, or -errno. */
static long copy_out(int fd)
{
	char buf[65536];
	long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -EIO;
		total += n;
	}
	fflush(stdout);
	return total;
}

/* One client: its message with descriptors, their bytes, the reply. */
static void serve_one(sipc_endpoint *conn)
{
	char msg[256], reply[64];
	int fds[SIPC_FDS_MAX];
	size_t nfds = 0;
	sipc_cred cred;
	long bytes = 0;
	ssize_t n;

	if (sipc_endpoint_peercred(conn, &cred) == 0)
		fprintf(stderr, "fdpass: client pid %ld uid %ld\n", (long)cred.pid, (long)cred.uid);
	/* A client that sends no descriptor, or more than fit, gets an
	 * error here; none of them stays open in this process. */
	n = sipc_recv_fds(conn, msg, sizeof msg - 1, fds, SIPC_FDS_MAX, &nfds, 5000);
	if (n < 0) {
		fail("recv", (int)n);
		return;
	}
	msg[n] = '\0';
	fprintf(stderr, "fdpass: message \"%s\" with %zu descriptor%s\n", msg, nfds,
		nfds == 1 ? "" : "s");
	for (size_t i = 0; i < nfds; i++) {
		long r = copy_out(fds[i]);

		if (r < 0)
			fprintf(stderr, "fdpass: read: %s\n", strerror((int)-r));
		else
			bytes += r;
		close(fds[i]); /* ours now: the client's copy is its own */
	}
	snprintf(reply, sizeof reply, "ok %ld bytes", bytes);
	n = sipc_send(conn, reply, strlen(reply), 1000);
	if (n < 0)
		fail("reply", (int)n);
}

static int serve(const char *url, long count)
{
	sipc_endpoint *listener;
	sipc_addr local;
	char real[SIPC_URL_MAX];
	int rc = sipc_listen(url, NULL, &listener);

	if (rc < 0)
		return fail(url, rc);
	if (sipc_endpoint_local(listener, &local) == 0 &&
	    sipc_addr_format(&local, real, sizeof real) >= 0)
		fprintf(stderr, "listening %s\n", real);
	for (long done = 0; count == 0 || done < count; done++) {
		sipc_endpoint *conn;

		rc = sipc_accept(listener, -1, &conn);
		if (rc < 0) {
			sipc_endpoint_close(listener);
			return fail("accept", rc);
		}
		serve_one(conn);
		sipc_endpoint_close(conn);
	}
	sipc_endpoint_close(listener);
	return 0;
}

static int send_file(const char *url, const char *path)
{
	sipc_endpoint *ep;
	char reply[64];
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fdpass: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = sipc_dial(url, NULL, 5000, &ep);
	if (rc < 0) {
		close(fd);
		return fail(url, rc);
	}
	/* The file's name is the message; the open file goes beside it. */
	n = sipc_send_fds(ep, path, strlen(path), &fd, 1, 5000);
	close(fd); /* the peer has its own descriptor now */
	if (n >= 0)
		n = sipc_recv(ep, reply, sizeof reply - 1, 5000);
	sipc_endpoint_close(ep);
	if (n < 0)
		return fail("send", (int)n);
	reply[n] = '\0';
	printf("%s\n", reply);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argc == 4 ? strtol(argv[3], NULL, 10) : 0);
	if (argc == 4 && strcmp(argv[1], "send") == 0)
		return send_file(argv[2], argv[3]);
	fprintf(stderr, "usage: fdpass serve URL [COUNT]\n"
			"       fdpass send URL FILE\n");
	return 2;
}
