/*
 * tlstest.h - helpers of the TLS tests (test_tls*.c, test_conformance.c):
 * the certificates of tls-certs.sh made once per test program, configs
 * from them, and a dial or an accept run in a thread (a TLS dial includes
 * the handshake, so the other side must be going at the same time).
 */
#ifndef SIPC_TEST_TLSTEST_H
#define SIPC_TEST_TLSTEST_H

#include <pthread.h>

#include "sockipc.h"

/* The path of NAME ("server.pem") among the certificates of
 * tests/support/tls-certs.sh, made on first use into a directory removed
 * at exit.  Up to 8 results are valid at a time. */
const char *sipc_tls_test_cert(const char *name);

/* A server config with CERT and KEY of that directory, and a client config
 * trusting CA (NULL: the system store, verification on); asserts. */
sipc_tls_config *sipc_tls_test_server(const char *cert, const char *key);
sipc_tls_config *sipc_tls_test_client(const char *ca);

/* Fails the test unless TEXT contains PART. */
void sipc_tls_test_contains(const char *text, const char *part);

/* A dial run in a thread. */
struct sipc_tls_test_dial {
	char url[SIPC_URL_MAX];
	sipc_options opts;
	char why[SIPC_WHY_MAX];
	int timeout_ms;
	sipc_endpoint *ep;
	int rc;
	pthread_t th;
};
/* Starts dialing URL with CFG (NULL: defaults) and TIMEOUT_MS. */
void sipc_tls_test_dial_start(struct sipc_tls_test_dial *d, const char *url,
			      const sipc_tls_config *cfg, int timeout_ms);
/* Waits for it; returns its code (d->ep, d->why set). */
int sipc_tls_test_dial_join(struct sipc_tls_test_dial *d);

/* A connection over loopback: a listener on 127.0.0.1 with SCFG, dialed
 * as tls://HOST:PORT with CCFG, accepted, and both handshakes run.
 * Returns the accepted side (its handshake's code in *SERVER_RC), *C the
 * dialed one (NULL when CLIENT_RC is not 0; the sentence is printed). */
sipc_endpoint *sipc_tls_test_pair(sipc_tls_config *scfg, const sipc_tls_config *ccfg,
				  const char *host, sipc_endpoint **c, int *client_rc,
				  int *server_rc);

#endif
