/*
 * tlscli.c - the TLS glue of connect, listen, send and bench (tlscli.h):
 * TLS options only with tls:// URLs, the config and the --insecure
 * warning, error lines that keep the library's sentence, and the -v line
 * of a handshake.
 */
#include "cli/tlscli.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tlsopt.h"

/* The first TLS option given, in the order of --help, or NULL. */
static const char *first_given(void)
{
	const struct sipc_cli_tls *t = &sipc_cli_tls;

	if (t->cert)
		return "--cert";
	if (t->key)
		return "--key";
	if (t->ca)
		return "--ca";
	if (t->insecure)
		return "--insecure";
	if (t->pin)
		return "--pin";
	if (t->sni)
		return "--sni";
	if (t->alpn)
		return "--alpn";
	if (t->tls_min)
		return "--tls-min";
	if (t->client_cert_required)
		return "--client-cert-required";
	return NULL;
}

/* The name a self-signed certificate is made for: the host the listener
 * is bound to, or "localhost" for a wildcard, which has no name. */
static const char *self_signed_name(const sipc_url *url)
{
	const char *host = sipc_url_host(url);

	if (host == NULL || host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 ||
	    strcmp(host, "::") == 0)
		return "localhost";
	return host;
}

int sipc_cli_tls_setup(const char *cmd, const sipc_url *url, sipc_tls_role role, sipc_options *opts,
		       sipc_tls_config **cfgp)
{
	char text[SIPC_URL_MAX] = "?";
	int rc;

	*cfgp = NULL;
	if (!sipc_scheme_is_tls(sipc_url_scheme(url))) {
		if (!sipc_cli_tls_given())
			return 0;
		sipc_cli_error("%s: %s: only for tls:// URLs", cmd, first_given());
		return SIPC_EXIT_USAGE;
	}
	rc = sipc_cli_tls_config(cmd, role, self_signed_name(url), role == SIPC_TLS_SERVER, cfgp);
	if (rc != 0)
		return rc;
	if (sipc_cli_tls.insecure) {
		/* Not a notice: -q must not hide that nothing is checked. */
		sipc_url_format(url, text, sizeof(text));
		sipc_cli_error("%s %s: WARNING: --insecure: the peer is not verified; anyone on "
			       "the path can read and change everything",
			       cmd, text);
	}
	opts->tls = *cfgp;
	return 0;
}

int sipc_cli_open_error(const char *cmd, const char *url, sipc_scheme scheme, int rc,
			const char *why)
{
	bool has_why = why != NULL && why[0] != '\0';

	sipc_cli_error("%s %s: %s%s%s%s", cmd, url, sipc_strerror(rc), has_why ? ": " : "",
		       has_why ? why : "", sipc_cli_dial_hint(scheme, rc));
	/* A URL the library refuses only when it opens it (an option that
	 * needs a group, a source with options) is still a usage error. */
	return rc <= SIPC_EURL_SYNTAX && rc >= SIPC_EURL_OPTION ? SIPC_EXIT_USAGE : SIPC_EXIT_FAIL;
}

void sipc_cli_ep_error(const char *cmd, const char *url, const char *what, const sipc_endpoint *ep,
		       int rc)
{
	/* EP's sentence is about the call that just failed: a TLS code's
	 * detail, or OpenSSL's reason behind a plain one (-EPROTO). */
	const char *why = ep != NULL ? sipc_endpoint_why(ep) : "";

	if (strcmp(why, sipc_strerror(rc)) == 0)
		why = ""; /* a socket error's sentence is its text again */

	sipc_cli_error("%s %s: %s%s%s%s%s", cmd, url, what ? what : "", what ? ": " : "",
		       sipc_strerror(rc), why[0] ? ": " : "", why);
}

void sipc_cli_tls_notice(const char *cmd, const sipc_endpoint *ep)
{
	char version[64] = "?", cipher[128] = "?", subject[SIPC_TLS_INFO_MAX] = "";
	char fp[SIPC_TLS_INFO_MAX] = "", verified[16] = "?", alpn[256] = "", sni[256] = "";
	char extra[600];
	const char *how;

	if (!sipc_cli_globals.verbose || sipc_cli_globals.quiet ||
	    !sipc_scheme_is_tls(sipc_endpoint_scheme(ep)))
		return;
	sipc_tls_info(ep, SIPC_TLS_VERSION, version, sizeof(version));
	sipc_tls_info(ep, SIPC_TLS_CIPHER, cipher, sizeof(cipher));
	sipc_tls_info(ep, SIPC_TLS_PEER_SUBJECT, subject, sizeof(subject));
	sipc_tls_info(ep, SIPC_TLS_PEER_FINGERPRINT, fp, sizeof(fp));
	sipc_tls_info(ep, SIPC_TLS_VERIFIED, verified, sizeof(verified));
	sipc_tls_info(ep, SIPC_TLS_ALPN, alpn, sizeof(alpn));
	sipc_tls_info(ep, SIPC_TLS_SNI, sni, sizeof(sni));
	/* What was negotiated besides the cipher, when anything was. */
	snprintf(extra, sizeof(extra), "%s%s%s%s", alpn[0] ? " alpn " : "", alpn,
		 sni[0] ? " sni " : "", sni);
	how = strcmp(verified, "yes") == 0      ? "verified"
	      : strcmp(verified, "pinned") == 0 ? "pinned"
						: "NOT verified";
	if (subject[0] == '\0')
		sipc_cli_notice("%s: %s %s peer sent no certificate%s", cmd, version, cipher,
				extra);
	else
		sipc_cli_notice("%s: %s %s peer %s %s %s%s", cmd, version, cipher, subject, fp, how,
				extra);
}
