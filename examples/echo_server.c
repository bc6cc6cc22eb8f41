/*
 * echo_server.c - the classic echo server of the seeds, on any sockipc URL.
 *
 *   echo_server URL [COUNT]
 *
 * Listens on URL (port 0 picks a free port), prints "listening REAL-URL"
 * so a script knows where it is, and sends every message back to whoever
 * sent it: framed messages on stream URLs (one client at a time, like the
 * iterative server of seed 000), datagrams on datagram URLs.  Stops after
 * COUNT messages, or runs until killed when COUNT is 0 or missing.
 * Uses only <sockipc.h>.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sockipc.h>

static int fail(const char *what, int code)
{
	fprintf(stderr, "echo_server: %s: %s\n", what, sipc_strerror(code));
	return 1;
}

/* Datagrams: each one goes back to the address it came from. */
static int serve_datagrams(sipc_endpoint *ep, long count)
{
	static char buf[65536];
	sipc_addr from;
	ssize_t n;
	long done;

	for (done = 0; count == 0 || done < count; done++) {
		n = sipc_recvfrom(ep, buf, sizeof buf, &from, -1);
		if (n < 0)
			return fail("recvfrom", (int)n);
		n = sipc_sendto(ep, buf, (size_t)n, &from, 1000);
		if (n < 0)
			fprintf(stderr, "echo_server: sendto: %s\n", sipc_strerror((int)n));
	}
	return 0;
}

/* Connections: accept one, echo its messages until it closes, repeat. */
static int serve_connections(sipc_endpoint *listener, long count)
{
	long done = 0;

	while (count == 0 || done < count) {
		sipc_endpoint *conn;
		int rc = sipc_accept(listener, -1, &conn);

		if (rc < 0)
			return fail("accept", rc);
		while (count == 0 || done < count) {
			void *msg;
			ssize_t n = sipc_recv_alloc(conn, &msg, -1);

			if (n < 0) {
				if (n != SIPC_ECLOSED)
					fprintf(stderr, "echo_server: recv: %s\n",
						sipc_strerror((int)n));
				break;
			}
			n = sipc_send(conn, msg, (size_t)n, 1000);
			free(msg);
			if (n < 0) {
				fprintf(stderr, "echo_server: send: %s\n", sipc_strerror((int)n));
				break;
			}
			done++;
		}
		sipc_endpoint_close(conn);
	}
	return 0;
}

int main(int argc, char **argv)
{
	sipc_endpoint *ep;
	sipc_addr local;
	char url[SIPC_URL_MAX];
	long count = argc > 2 ? atol(argv[2]) : 0;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: echo_server URL [COUNT]\n");
		return 2;
	}
	rc = sipc_listen(argv[1], NULL, &ep);
	if (rc < 0)
		return fail(argv[1], rc);
	/* The real address: the port the kernel picked for port 0. */
	rc = sipc_endpoint_local(ep, &local);
	if (rc < 0 || (rc = sipc_addr_format(&local, url, sizeof url)) < 0)
		return fail("local address", rc);
	printf("listening %s\n", url);
	fflush(stdout);

	if (sipc_scheme_is_connectionless(sipc_endpoint_scheme(ep)))
		rc = serve_datagrams(ep, count);
	else
		rc = serve_connections(ep, count);
	sipc_endpoint_close(ep);
	return rc;
}
