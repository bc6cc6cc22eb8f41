/*
 * tls.c - serve's side of TLS (tls.h): --allow-cert, the words of the log
 * lines about a TLS connection, an exec child's SSL_* variables, the
 * records a transport holds back (which a
 * connection sends before it ends).  forward's client side is in
 * tlsclient.c.
 */
#include "serve/tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "serve/config.h"
#include "serve/server.h"
#include "sys/net.h"
#include "sys/sys.h"
#include "transport/transport.h"

void sipc__serve_tls_escape(const char *src, char *buf, size_t len)
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
		if (!isxdigit((unsigned char)*p) || digits == 64 || k + 3 > len)
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
	sipc_tls_config_free(cfg->tls);
	cfg->tls = NULL;
}

void sipc__serve_tls_failure(const sipc_endpoint *ep, int rc, char *buf, size_t len)
{
	char esc[SIPC_WHY_MAX];
	const char *why = sipc_endpoint_why(ep);

	sipc__serve_tls_escape(why[0] ? why : sipc_strerror(rc), esc, sizeof(esc));
	snprintf(buf, len, "tls handshake: %s", esc);
}

/* FIELD of EP's handshake into BUF; "" when it cannot be had. */
static const char *info(const sipc_endpoint *ep, sipc_tls_field field, char *buf, size_t len)
{
	if (sipc_tls_info(ep, field, buf, len) < 0)
		buf[0] = '\0';
	return buf;
}

bool sipc__serve_tls_admit(const struct sipc__server *srv, const sipc_endpoint *ep, char *buf,
			   size_t len)
{
	const struct sipc_serve_config *cfg = srv->cfg;
	char subject[SIPC_TLS_INFO_MAX], raw[SIPC_TLS_INFO_MAX], verified[16];
	char fp[SIPC_TLS_FINGERPRINT_MAX];

	if (cfg->nallow_certs == 0)
		return true;
	info(ep, SIPC_TLS_PEER_SUBJECT, subject, sizeof(subject));
	info(ep, SIPC_TLS_PEER_FINGERPRINT, raw, sizeof(raw));
	info(ep, SIPC_TLS_VERIFIED, verified, sizeof(verified));
	if (raw[0] == '\0' || fingerprint(raw, fp, sizeof(fp)) < 0)
		fp[0] = '\0';
	/* Only a certificate the handshake verified against --client-ca
	 * names anyone: a subject alone is a string any CA could sign. */
	if (fp[0] == '\0') {
		snprintf(buf, len,
			 "tls: no client certificate (--allow-cert admits only listed ones)");
		return false;
	}
	if (strcmp(verified, "yes") == 0) {
		for (size_t i = 0; i < cfg->nallow_certs; i++) {
			const char *a = cfg->allow_certs[i];
			if (strcmp(a, fp) == 0 || strcmp(a, subject) == 0)
				return true;
		}
	}
	snprintf(buf, len, "tls: client certificate \"%s\" %s %s", subject, fp,
		 strcmp(verified, "yes") == 0 ? "is not in --allow-cert"
					      : "was not verified against --client-ca");
	return false;
}

char *sipc__serve_tls_note(const sipc_endpoint *ep)
{
	char version[64], cipher[128], subject[SIPC_TLS_INFO_MAX], alpn[256], sni[300];
	char note[SIPC_TLS_INFO_MAX + 1024];

	if (!sipc_scheme_is_tls(sipc_endpoint_scheme(ep)))
		return NULL;
	info(ep, SIPC_TLS_VERSION, version, sizeof(version));
	info(ep, SIPC_TLS_CIPHER, cipher, sizeof(cipher));
	info(ep, SIPC_TLS_PEER_SUBJECT, subject, sizeof(subject));
	info(ep, SIPC_TLS_ALPN, alpn, sizeof(alpn));
	info(ep, SIPC_TLS_SNI, sni, sizeof(sni));
	/* The library escapes '"' and every control byte in what the peer
	 * chose, so double quotes keep a subject or server name with blanks
	 * one field that the client cannot close early to forge the fields
	 * after it. */
	snprintf(note, sizeof(note), " tls=%s cipher=%s%s%s%s%s%s%s%s%s",
		 version[0] ? version : "?", cipher[0] ? cipher : "?", alpn[0] ? " alpn=" : "",
		 alpn, sni[0] ? " sni=\"" : "", sni, sni[0] ? "\"" : "",
		 subject[0] ? " cert=\"" : "", subject, subject[0] ? "\"" : "");
	return strdup(note);
}

void sipc__serve_tls_identity(const sipc_endpoint *ep,
			      void (*set)(void *arg, const char *name, const char *value),
			      void *arg)
{
	char v[SIPC_TLS_INFO_MAX];

	set(arg, "SSL_PROTOCOL", info(ep, SIPC_TLS_VERSION, v, sizeof(v)));
	set(arg, "SSL_CIPHER", info(ep, SIPC_TLS_CIPHER, v, sizeof(v)));
	if (info(ep, SIPC_TLS_PEER_FINGERPRINT, v, sizeof(v))[0] == '\0') {
		set(arg, "SSL_CLIENT_VERIFY", "NONE");
		return;
	}
	set(arg, "SSL_CLIENT_FINGERPRINT", v);
	set(arg, "SSL_CLIENT_S_DN", info(ep, SIPC_TLS_PEER_SUBJECT, v, sizeof(v)));
	set(arg, "SSL_CLIENT_I_DN", info(ep, SIPC_TLS_PEER_ISSUER, v, sizeof(v)));
	info(ep, SIPC_TLS_VERIFIED, v, sizeof(v));
	set(arg, "SSL_CLIENT_VERIFY", strcmp(v, "yes") == 0 ? "SUCCESS" : "GENEROUS");
}

bool sipc__serve_ep_holds(const sipc_endpoint *ep)
{
	/* Asked for nothing, a transport still wants POLLOUT while it holds
	 * records back (sipc_endpoint_want); plain sockets hold nothing. */
	return ep != NULL && ep->tp->io->drain != NULL && (sipc_endpoint_want(ep, 0) & POLLOUT);
}

int sipc__serve_ep_push(sipc_endpoint *ep)
{
	if (!sipc__serve_ep_holds(ep))
		return 0;
	return ep->tp->io->drain(ep, sipc__deadline(0));
}
