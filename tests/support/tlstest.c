/*
 * tlstest.c - the TLS test helpers of tlstest.h.
 */
#include "support.h"
#include "tlstest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *certs;

static void certs_remove(void)
{
	sipc_test_rmtree(certs);
	free(certs);
}

const char *sipc_tls_test_cert(const char *name)
{
	static char buf[8][600];
	static int next;
	char *b = buf[next++ % 8];

	if (certs == NULL) {
		const char *src = getenv("SIPC_SOURCE_DIR");
		char cmd[1200];

		certs = sipc_test_tmpdir();
		assert_non_null(certs);
		atexit(certs_remove);
		snprintf(cmd, sizeof(cmd), "bash %s/tests/support/tls-certs.sh %s", src ? src : ".",
			 certs);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(b, sizeof(buf[0]), "%s/%s", certs, name);
	return b;
}

sipc_tls_config *sipc_tls_test_server(const char *cert, const char *key)
{
	sipc_tls_config *cfg = NULL;
	char why[SIPC_WHY_MAX] = "";

	assert_int_equal(sipc_tls_config_new(SIPC_TLS_SERVER, &cfg), 0);
	if (sipc_tls_config_cert(cfg, sipc_tls_test_cert(cert), sipc_tls_test_cert(key), why,
				 sizeof(why)) != 0)
		fail_msg("server certificate %s: %s", cert, why);
	return cfg;
}

sipc_tls_config *sipc_tls_test_client(const char *ca)
{
	sipc_tls_config *cfg = NULL;
	char why[SIPC_WHY_MAX] = "";

	assert_int_equal(sipc_tls_config_new(SIPC_TLS_CLIENT, &cfg), 0);
	if (ca != NULL && sipc_tls_config_ca(cfg, sipc_tls_test_cert(ca), why, sizeof(why)) != 0)
		fail_msg("CA %s: %s", ca, why);
	return cfg;
}

void sipc_tls_test_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("'%s' does not contain '%s'", text, part);
}

static void *dial_main(void *arg)
{
	struct sipc_tls_test_dial *d = arg;

	d->rc = sipc_dial(d->url, &d->opts, d->timeout_ms, &d->ep);
	return NULL;
}

void sipc_tls_test_dial_start(struct sipc_tls_test_dial *d, const char *url,
			      const sipc_tls_config *cfg, int timeout_ms)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->url, sizeof(d->url), "%s", url);
	d->opts.tls = cfg;
	d->opts.why = d->why;
	d->opts.whylen = sizeof(d->why);
	d->timeout_ms = timeout_ms;
	assert_int_equal(pthread_create(&d->th, NULL, dial_main, d), 0);
}

int sipc_tls_test_dial_join(struct sipc_tls_test_dial *d)
{
	pthread_join(d->th, NULL);
	return d->rc;
}

sipc_endpoint *sipc_tls_test_pair(sipc_tls_config *scfg, const sipc_tls_config *ccfg,
				  const char *host, sipc_endpoint **c, int *client_rc,
				  int *server_rc)
{
	struct sipc_tls_test_dial d;
	sipc_options o = {.tls = scfg};
	sipc_endpoint *l = NULL, *a = NULL;
	char url[SIPC_URL_MAX];

	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	snprintf(url, sizeof(url), "tls://%s:%d", host, sipc_test_local_port(l));
	sipc_tls_test_dial_start(&d, url, ccfg, sipc_test_ms(10000));
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	*server_rc = sipc_handshake(a, sipc_test_ms(10000));
	*client_rc = sipc_tls_test_dial_join(&d);
	*c = d.ep;
	if (*client_rc != 0)
		print_message("  client: %s\n", d.why);
	sipc_endpoint_close(l);
	return a;
}
