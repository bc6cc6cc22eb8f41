/*
 * fuzz_tls_server.c - libFuzzer target: arbitrary bytes from a client on a
 * tls:// listener, then the client's end of stream.  The accepted side's
 * handshake must fail with a code (SIPC_ETLS_*, -errno, or SIPC_ETIMEDOUT
 * never: the stream ended) and a sentence of printable ASCII only, since
 * it quotes what the peer sent and ends up in logs: never crash, never
 * hang, never leak.  The server's self-signed certificate and the
 * listener are made once.
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

static sipc_endpoint *listener;
static char url[SIPC_URL_MAX];

static void setup(void)
{
	sipc_tls_config *cfg = NULL;
	sipc_options o = {0};
	sipc_addr a;
	char why[SIPC_WHY_MAX];

	if (sipc_tls_config_new(SIPC_TLS_SERVER, &cfg) != 0 ||
	    sipc_tls_config_self_signed(cfg, "localhost", why, sizeof(why)) != 0)
		abort();
	o.tls = cfg;
	if (sipc_listen("tls://127.0.0.1:0", &o, &listener) != 0 ||
	    sipc_endpoint_local(listener, &a) != 0 || sipc_addr_format(&a, url, sizeof(url)) < 0)
		abort();
	sipc_tls_config_free(cfg);
	memcpy(url, "tcp", 3); /* the client is plain TCP */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sipc_endpoint *t = NULL, *a = NULL;
	const char *why;
	int rc;

	if (listener == NULL)
		setup();
	if (size > 16384)
		return 0; /* under the socket buffers: one write, no reader needed */
	if (sipc_dial(url, NULL, 5000, &t) != 0 || sipc_accept(listener, 5000, &a) != 0)
		abort();
	if (sipc_write_all(t, data, size, 5000) != (ssize_t)size || sipc_shutdown_write(t) != 0)
		abort();
	rc = sipc_handshake(a, 5000);
	why = sipc_endpoint_why(a);
	if (rc == 0 || rc == SIPC_ETIMEDOUT) {
		fprintf(stderr, "handshake of %zu bytes and an end: %s\n", size, sipc_strerror(rc));
		abort();
	}
	for (const char *p = why; *p; p++)
		if (*p < 0x20 || *p > 0x7e) {
			fprintf(stderr, "control byte in the sentence: %s\n", why);
			abort();
		}
	sipc_endpoint_close(a);
	sipc_endpoint_close(t);
	return 0;
}
