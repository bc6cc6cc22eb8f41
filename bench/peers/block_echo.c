/*
 * block_echo.c - the server side of bench/run's shm section: an echo or a
 * discard service over any connected sockipc URL, one connection at a time,
 * written with the library's blocking calls (sipc_read, sipc_write_all).
 * A blocking call waits through the transport's own wait, which is where
 * shm:// spins (spin=); `sockipc serve` runs an epoll loop and never
 * reaches it.  The same program serves every URL of the section, so the
 * transport is the only difference.
 *
 *   block_echo echo|discard URL
 *
 * Prints "listening URL" (the real address) on stdout.  echo writes back
 * each read as it came; discard reads every byte into its buffer and closes
 * at the end of the stream (what `sockipc bench --one-way` waits for).
 * Runs until killed.
 *
 * Build: cc -O2 -I include bench/peers/block_echo.c build/libsockipc.so
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockipc.h"

#define BUF (256 * 1024)

int main(int argc, char **argv)
{
	sipc_endpoint *l, *c;
	char name[512];
	sipc_addr a;
	bool echo;
	char *buf;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "discard") != 0)) {
		fprintf(stderr, "usage: block_echo echo|discard URL\n");
		return 2;
	}
	echo = strcmp(argv[1], "echo") == 0;
	buf = malloc(BUF);
	if (buf == NULL)
		return 1;
	rc = sipc_listen(argv[2], NULL, &l);
	if (rc < 0) {
		fprintf(stderr, "block_echo: listen %s: %s\n", argv[2], sipc_strerror(rc));
		return 1;
	}
	if (sipc_endpoint_local(l, &a) == 0 && sipc_addr_format(&a, name, sizeof name) >= 0)
		printf("listening %s\n", name);
	else
		printf("listening %s\n", argv[2]);
	fflush(stdout);
	for (;;) {
		rc = sipc_accept(l, -1, &c);
		if (rc < 0) {
			fprintf(stderr, "block_echo: accept: %s\n", sipc_strerror(rc));
			continue;
		}
		for (;;) {
			ssize_t n = sipc_read(c, buf, BUF, -1);

			if (n <= 0)
				break;
			if (echo && sipc_write_all(c, buf, (size_t)n, -1) < 0)
				break;
		}
		sipc_endpoint_close(c);
	}
}
