/*
 * tlsclient.c - the client side of a tls:// backend of forward (tls.h):
 * its service options (--ca, --pin, --sni...) turned into the
 * sipc_tls_config that checks the backend, with an error that names the
 * option.
 */
#include <stdio.h>

#include "serve/tls.h"

bool sipc__serve_tls_client_given(const struct sipc__serve_tls_client *o)
{
	return o->ca || o->pin || o->sni || o->cert || o->key || o->alpn || o->tls_min ||
	       o->insecure;
}

int sipc__serve_tls_client_new(const struct sipc__serve_tls_client *o, const char *host,
			       sipc_tls_config **cfgp, char *why, size_t whylen)
{
	sipc_tls_config *cfg;
	char detail[SIPC_WHY_MAX] = "";
	const char *opt = NULL, *val = NULL;
	int rc;

	if (o->key && !o->cert) {
		snprintf(why, whylen, "--key needs --cert");
		return -1;
	}
	if (o->insecure && (o->pin || o->ca)) {
		snprintf(why, whylen, "--insecure contradicts --%s", o->pin ? "pin" : "ca");
		return -1;
	}
	rc = sipc_tls_config_new(SIPC_TLS_CLIENT, &cfg);
	if (rc < 0) {
		snprintf(why, whylen, "tls: %s", sipc_strerror(rc));
		return -1;
	}
	/* The name the backend's certificate must carry: a dial checks the
	 * URL's host, and this connection is made from a descriptor. */
	rc = sipc_tls_config_server_name(cfg, o->sni ? o->sni : host);
	if (rc < 0)
		opt = "--sni", val = o->sni ? o->sni : host;
	if (rc == 0 && o->cert &&
	    (rc = sipc_tls_config_cert(cfg, o->cert, o->key, detail, sizeof(detail))) < 0)
		opt = "--cert", val = o->cert;
	if (rc == 0 && o->ca && (rc = sipc_tls_config_ca(cfg, o->ca, detail, sizeof(detail))) < 0)
		opt = "--ca", val = o->ca;
	if (rc == 0 && o->pin &&
	    (rc = sipc_tls_config_pin(cfg, o->pin, detail, sizeof(detail))) < 0)
		opt = "--pin", val = o->pin;
	if (rc == 0 && o->alpn &&
	    (rc = sipc_tls_config_alpn(cfg, o->alpn, detail, sizeof(detail))) < 0)
		opt = "--alpn", val = o->alpn;
	if (rc == 0 && o->tls_min &&
	    (rc = sipc_tls_config_min_version(cfg, o->tls_min, detail, sizeof(detail))) < 0)
		opt = "--tls-min", val = o->tls_min;
	if (rc == 0 && o->insecure)
		rc = sipc_tls_config_verify(cfg, SIPC_TLS_VERIFY_NONE);
	if (rc < 0) {
		snprintf(why, whylen, "%s %s: %s", opt ? opt : "--insecure", val ? val : "",
			 detail[0] ? detail : sipc_strerror(rc));
		sipc_tls_config_free(cfg);
		return -1;
	}
	*cfgp = cfg;
	return 0;
}
