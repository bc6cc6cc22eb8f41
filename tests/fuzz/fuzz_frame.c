/*
 * fuzz_frame.c - libFuzzer target: arbitrary bytes arrive on a unix
 * stream socket and the library's frame receiver reads them as messages
 * (4-byte big-endian length, then the bytes) with a small max_msg.  It
 * must return messages, SIPC_EMSGSIZE, SIPC_EBUFSIZE, SIPC_EPARTIAL or
 * SIPC_ECLOSED: never crash, never read past a buffer, never allocate for
 * a length it has not received.  The first input byte picks the receive
 * buffer size and the maximum, the second whether sipc_recv_alloc reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Under the socket buffer, so one write takes it all. */
#define MAX_INPUT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sipc_options o = {0};
	sipc_endpoint *ep = NULL;
	int sv[2], sndbuf = 4 * MAX_INPUT;
	uint8_t buf[512];

	if (size < 2 || size > MAX_INPUT)
		return -1;
	size_t cap = (size_t)(data[0] & 0x3f) * 8;    /* 0..504 */
	o.max_msg = (size_t)(data[0] >> 6) * 100 + 1; /* 1..301 */
	bool alloc = data[1] & 1;
	data += 2;
	size -= 2;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	close(sv[1]);
	if (sipc_endpoint_from_fd(sv[0], SIPC_UNIX, &o, &ep) != 0)
		abort();
	/* Every message, until the end or the stream is broken; bounded,
	 * since each call consumes at least a header or ends. */
	for (size_t calls = 0; calls <= size + 1; calls++) {
		ssize_t n;
		if (alloc) {
			void *m = NULL;
			n = sipc_recv_alloc(ep, &m, 0);
			if (n >= 0 && (m == NULL || (size_t)n > o.max_msg))
				abort();
			free(m);
		} else {
			n = sipc_recv(ep, buf, cap, 0);
			if (n >= 0 && (size_t)n > cap)
				abort();
			if (n == SIPC_EBUFSIZE) {
				void *m = NULL;
				n = sipc_recv_alloc(ep, &m, 0);
				free(m);
			}
		}
		/* All bytes were there and the writer closed: waiting for more
		 * is a bug. */
		if (n == -EAGAIN || n == SIPC_ETIMEDOUT) {
			fprintf(stderr, "receive waits with every byte queued: %zd\n", n);
			abort();
		}
		if (n < 0)
			break;
	}
	sipc_endpoint_close(ep);
	return 0;
}
