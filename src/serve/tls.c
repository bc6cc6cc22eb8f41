/*
 * tls.c - serve's side of TLS (tls.h): --allow-cert, the words of the log
 * lines about a TLS connection, and the SIGHUP reload.
 */
#include "serve/tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/config.h"
#include "serve/server.h"

/* SRC into BUF with every byte outside printable ASCII as %XX. */
static void escape(const char *src, char *buf, size_t len)
{
	size_t k = 0;

	for (; *src != '\0' && k + 4 < len; src++) {
		unsigned char ch = (unsigned char)*src;
		if (ch < 0x20 || ch > 0x7e)
			k += (size_t)snprintf(buf + k, len - k, "%%%02X", ch);
		else
			buf[k++] = (char)ch;
	}
	buf[k] = '\0';
}

/* "SHA256:AB:CD:..." from 64 hex digits in TEXT (colons and a SHA256:
 * prefix allowed, any case), or -1 when TEXT is not one. */
static int fingerprint(const char *text, char *out, size_t len)
{
	size_t digits = 0, k;

	if (strncasecmp(text, "SHA256:", 7) == 0)
		text += 7;
	k = (size_t)snprintf(out, len, "SHA256:");
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p) || digits == 64 || k + 4 > len)
			return -1;
		if (digits > 0 && digits % 2 == 0)
			out[k++] = ':';
		out[k++] = (char)toupper((unsigned char)*p);
		digits++;
	}
	out[k] = '\0';
	return digits == 64 ? 0 : -1;
}

int sipc__serve_tls_allow_add(struct sipc_serve_config *cfg, const char *text, char *why,
			      size_t whylen)
{
	char fp[SIPC_TLS_FINGERPRINT_MAX];
	char **v;
	bool hexish = strncasecmp(text, "SHA256:", 7) == 0 || strchr(text, '=') == NULL;

	if (*text == '\0') {
		snprintf(why, whylen, "empty: give a subject (CN=...) or a SHA-256 fingerprint");
		return -1;
	}
	if (hexish && fingerprint(text, fp, sizeof(fp)) < 0) {
		snprintf(why, whylen,
			 "'%s' is neither a SHA-256 fingerprint (64 hex digits) nor a subject "
			 "(CN=...)",
			 text);
		return -1;
	}
	v = realloc(cfg->allow_certs, (cfg->nallow_certs + 1) * sizeof(*v));
	if (v == NULL)
		goto nomem;
	cfg->allow_certs = v;
	v[cfg->nallow_certs] = strdup(hexish ? fp : text);
	if (v[cfg->nallow_certs] == NULL)
		goto nomem;
	cfg->nallow_certs++;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

void sipc__serve_tls_free(struct sipc_serve_config *cfg)
{
	for (size_t i = 0; i < cfg->nallow_certs; i++)
		free(cfg->allow_certs[i]);
	free(cfg->allow_certs);
	cfg->allow_certs = NULL;
	cfg->nallow_certs = 0;
}

void sipc__serve_tls_failure(const sipc_endpoint *ep, int rc, char *buf, size_t len)
{
	char esc[SIPC_WHY_MAX];
	const char *why = sipc_endpoint_why(ep);

	escape(why[0] ? why : sipc_strerror(rc), esc, sizeof(esc));
	snprintf(buf, len, "tls handshake: %s", esc);
}

bool sipc__serve_tls_admit(const struct sipc__server *srv, const sipc_endpoint *ep, char *buf,
			   size_t len)
{
	(void)ep;
	if (srv->cfg->nallow_certs == 0)
		return true;
	snprintf(buf, len, "tls: --allow-cert needs the TLS library");
	return false;
}

char *sipc__serve_tls_note(const sipc_endpoint *ep)
{
	(void)ep;
	return NULL;
}

void sipc__serve_tls_reload(struct sipc__server *srv)
{
	sipc__serve_log(srv, 0, "SIGHUP: no TLS configuration to reload");
}

void sipc__serve_tls_identity(const sipc_endpoint *ep,
			      void (*set)(void *arg, const char *name, const char *value),
			      void *arg)
{
	(void)ep;
	(void)set;
	(void)arg;
}
