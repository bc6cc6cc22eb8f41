/*
 * tlsopt.c - the command line's TLS options (tlsopt.h): their values and
 * the one place they become a sipc_tls_config, with every error naming
 * the option and the file it is about.
 */
#include "tlsopt.h"

#include <errno.h>

#include "cli.h"

struct sipc_cli_tls sipc_cli_tls;

bool sipc_cli_tls_given(void)
{
	const struct sipc_cli_tls *t = &sipc_cli_tls;

	return t->cert || t->key || t->ca || t->pin || t->sni || t->alpn || t->tls_min ||
	       t->insecure || t->client_cert_required;
}

/* Options that make no sense together or on this side: exit 2. */
static int contradiction(const char *cmd, sipc_tls_role role)
{
	const struct sipc_cli_tls *t = &sipc_cli_tls;
	const char *bad = NULL;

	if (t->key && !t->cert)
		bad = "--key needs --cert";
	else if (t->insecure && t->pin)
		bad = "--insecure and --pin contradict each other";
	else if (t->insecure && t->ca && role == SIPC_TLS_CLIENT)
		bad = "--insecure and --ca contradict each other";
	else if (role == SIPC_TLS_SERVER && t->sni)
		bad = "--sni is for the side that dials";
	else if (role == SIPC_TLS_CLIENT && t->client_cert_required)
		bad = "--client-cert-required is for the side that listens";
	else if (role == SIPC_TLS_SERVER && t->client_cert_required && !t->ca)
		bad = "--client-cert-required needs --ca, the CA of client certificates";
	if (bad == NULL)
		return 0;
	sipc_cli_error("%s: %s", cmd, bad);
	return SIPC_EXIT_USAGE;
}

/* A setter's failure: the option, its value and why. */
static int failed(const char *cmd, const char *opt, const char *value, int rc, const char *why)
{
	sipc_cli_error("%s: %s %s: %s", cmd, opt, value, why[0] ? why : sipc_strerror(rc));
	return rc == SIPC_ETLS_CONFIG || rc == -EINVAL ? SIPC_EXIT_USAGE : SIPC_EXIT_FAIL;
}

int sipc_cli_tls_config(const char *cmd, sipc_tls_role role, const char *name, bool self_signed,
			sipc_tls_config **cfgp)
{
	const struct sipc_cli_tls *t = &sipc_cli_tls;
	sipc_tls_config *cfg = NULL;
	char why[SIPC_WHY_MAX] = "";
	int rc;

	if ((rc = contradiction(cmd, role)) != 0)
		return rc;
	rc = sipc_tls_config_new(role, &cfg);
	if (rc < 0) {
		sipc_cli_error("%s: tls: %s", cmd, sipc_strerror(rc));
		return SIPC_EXIT_FAIL;
	}
	if (t->cert) {
		rc = sipc_tls_config_cert(cfg, t->cert, t->key, why, sizeof(why));
		if (rc < 0) {
			rc = failed(cmd, "--cert", t->cert, rc, why);
			goto fail;
		}
	} else if (role == SIPC_TLS_SERVER) {
		if (!self_signed) {
			sipc_cli_error("%s: a tls:// listener needs --cert (and --key)", cmd);
			rc = SIPC_EXIT_USAGE;
			goto fail;
		}
		rc = sipc_tls_config_self_signed(cfg, name, why, sizeof(why));
		if (rc < 0) {
			sipc_cli_error("%s: tls: self-signed certificate: %s", cmd,
				       why[0] ? why : sipc_strerror(rc));
			rc = SIPC_EXIT_FAIL;
			goto fail;
		}
	}
	if (t->ca && (rc = sipc_tls_config_ca(cfg, t->ca, why, sizeof(why))) < 0) {
		rc = failed(cmd, "--ca", t->ca, rc, why);
		goto fail;
	}
	if (role == SIPC_TLS_SERVER && t->ca && !t->client_cert_required)
		(void)sipc_tls_config_verify(cfg, SIPC_TLS_VERIFY_OPTIONAL);
	if (t->insecure)
		(void)sipc_tls_config_verify(cfg, SIPC_TLS_VERIFY_NONE);
	if (t->pin && (rc = sipc_tls_config_pin(cfg, t->pin, why, sizeof(why))) < 0) {
		rc = failed(cmd, "--pin", t->pin, rc, why);
		goto fail;
	}
	if (t->sni && (rc = sipc_tls_config_server_name(cfg, t->sni)) < 0) {
		rc = failed(cmd, "--sni", t->sni, rc, "");
		goto fail;
	}
	if (t->alpn && (rc = sipc_tls_config_alpn(cfg, t->alpn, why, sizeof(why))) < 0) {
		rc = failed(cmd, "--alpn", t->alpn, rc, why);
		goto fail;
	}
	if (t->tls_min &&
	    (rc = sipc_tls_config_min_version(cfg, t->tls_min, why, sizeof(why))) < 0) {
		rc = failed(cmd, "--tls-min", t->tls_min, rc, why);
		goto fail;
	}
	*cfgp = cfg;
	return 0;
fail:
	sipc_tls_config_free(cfg);
	return rc;
}
