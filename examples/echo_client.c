/*
 * echo_client.c - the client half of the classic echo pair.
 *
 *   echo_client URL MESSAGE
 *
 * Connects to URL, sends MESSAGE as one message and prints the reply.  On
 * datagram URLs a lost request or reply is normal, so sipc_request sends
 * it again, waiting twice as long each time (seed 000); on streams it
 * simply waits.  Exits 0 when the reply is the message, 1 otherwise.
 * Uses only <sockipc.h>.
 */
#include <stdio.h>
#include <string.h>

#include <sockipc.h>

int main(int argc, char **argv)
{
	sipc_endpoint *ep;
	char reply[65536];
	ssize_t n;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: echo_client URL MESSAGE\n");
		return 2;
	}
	rc = sipc_dial(argv[1], NULL, 5000, &ep);
	if (rc < 0) {
		fprintf(stderr, "echo_client: connect %s: %s\n", argv[1], sipc_strerror(rc));
		return 1;
	}
	/* First wait 500 ms, then up to 3 resends after 1, 2 and 4 s. */
	n = sipc_request(ep, argv[2], strlen(argv[2]), reply, sizeof reply, 500, 3);
	sipc_endpoint_close(ep);
	if (n < 0) {
		fprintf(stderr, "echo_client: %s: %s\n", argv[1], sipc_strerror((int)n));
		return 1;
	}
	printf("%.*s\n", (int)n, reply);
	return (size_t)n == strlen(argv[2]) && memcmp(reply, argv[2], (size_t)n) == 0 ? 0 : 1;
}
