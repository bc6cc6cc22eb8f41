/*
 * info.c - what a finished handshake tells, as text safe to log or put in
 * an environment variable: sipc_tls_info, the --trace line of a handshake,
 * and the helpers that write certificates' names, subjectAltNames, dates
 * and fingerprints.  Every byte a peer chose (names in its certificate,
 * the SNI it asked for, the ALPN it offered) is escaped %XX unless it is
 * printable ASCII, and '%' and '"' are escaped too, so the text cannot
 * forge a log line and can be decoded back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trace.h"
#include "transport/tls/tls.h"
#include "transport/transport.h"

size_t sipc__tls_escape(char *out, size_t cap, const void *s, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p = s;
	size_t o = 0, i;

	if (cap == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = p[i];
		bool plain = ch >= 0x20 && ch < 0x7f && ch != '%' && ch != '"';

		if (o + (plain ? 1 : 3) >= cap)
			break;
		if (plain) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = digits[ch >> 4];
			out[o++] = digits[ch & 15];
		}
	}
	out[o] = '\0';
	return i;
}

const char *sipc__tls_quote(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (cap < 4) {
		buf[0] = '\0';
		return buf;
	}
	if (sipc__tls_escape(buf, cap - 3, s, n) < n)
		strcat(buf, "...");
	return buf;
}

int sipc__tls_cert_fp(X509 *cert, uint8_t fp[SIPC__TLS_FP_LEN])
{
	unsigned len = 0;

	if (X509_digest(cert, EVP_sha256(), fp, &len) != 1 || len != SIPC__TLS_FP_LEN)
		return -ENOMEM;
	return 0;
}

void sipc__tls_fp_text(const uint8_t fp[SIPC__TLS_FP_LEN], char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "SHA256:");

	for (size_t i = 0; i < SIPC__TLS_FP_LEN && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, i ? ":%02X" : "%02X", fp[i]);
}

void sipc__tls_name_text(const X509_NAME *name, char *buf, size_t len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	buf[0] = '\0';
	if (mem == NULL)
		return;
	/* RFC 2253 order and escaping, but UTF-8 left as bytes: they are
	 * escaped here like every other byte the peer chose. */
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(mem, &data);
		if (n > 0)
			sipc__tls_escape(buf, len, data, (size_t)n);
	}
	BIO_free(mem);
}

void sipc__tls_san_text(X509 *cert, char *buf, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char val[260], ip[64];
		const char *kind = NULL;

		if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
			const ASN1_IA5STRING *s = g->d.ia5;

			kind = g->type == GEN_DNS ? "DNS" : g->type == GEN_EMAIL ? "email" : "URI";
			sipc__tls_escape(val, sizeof(val), ASN1_STRING_get0_data(s),
					 (size_t)ASN1_STRING_length(s));
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = g->d.ip;
			int n = ASN1_STRING_length(s);

			kind = "IP";
			if (n == 4 || n == 16)
				inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), ip,
					  sizeof(ip));
			else
				snprintf(ip, sizeof(ip), "?");
			snprintf(val, sizeof(val), "%s", ip);
		}
		if (kind == NULL)
			continue;
		int k = snprintf(buf + o, len - o, "%s%s:%s", o ? "," : "", kind, val);
		if (k < 0 || (size_t)k >= len - o) {
			buf[o] = '\0';
			break;
		}
		o += (size_t)k;
	}
	GENERAL_NAMES_free(names);
}

void sipc__tls_time_text(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

static const char *ktls_text(SSL *ssl)
{
	BIO *w = SSL_get_wbio(ssl), *r = SSL_get_rbio(ssl);
	bool tx = w && BIO_get_ktls_send(w), rx = r && BIO_get_ktls_recv(r);

	return tx && rx ? "tx+rx" : tx ? "tx" : rx ? "rx" : "no";
}

static const char *verified_text(const struct sipc__tls_conn *c)
{
	return c->pinned ? "pinned" : c->verified ? "yes" : "no";
}

/* Writes FIELD into BUF (SIPC_TLS_INFO_MAX); -EINVAL for an unknown one. */
static int field_text(const struct sipc__tls_conn *c, sipc_tls_field field, char *buf, size_t len)
{
	X509 *peer = SSL_get0_peer_certificate(c->ssl);
	const unsigned char *p = NULL;
	unsigned plen = 0;
	uint8_t fp[SIPC__TLS_FP_LEN];
	const char *s;

	buf[0] = '\0';
	switch (field) {
	case SIPC_TLS_PEER_SUBJECT:
		if (peer)
			sipc__tls_name_text(X509_get_subject_name(peer), buf, len);
		return 0;
	case SIPC_TLS_PEER_ISSUER:
		if (peer)
			sipc__tls_name_text(X509_get_issuer_name(peer), buf, len);
		return 0;
	case SIPC_TLS_PEER_SAN:
		if (peer)
			sipc__tls_san_text(peer, buf, len);
		return 0;
	case SIPC_TLS_PEER_FINGERPRINT:
		if (peer && sipc__tls_cert_fp(peer, fp) == 0)
			sipc__tls_fp_text(fp, buf, len);
		return 0;
	case SIPC_TLS_PEER_NOT_AFTER:
		if (peer)
			sipc__tls_time_text(X509_get0_notAfter(peer), buf, len);
		return 0;
	case SIPC_TLS_VERIFIED:
		snprintf(buf, len, "%s", verified_text(c));
		return 0;
	case SIPC_TLS_VERSION:
		snprintf(buf, len, "%s", SSL_get_version(c->ssl));
		return 0;
	case SIPC_TLS_CIPHER:
		snprintf(buf, len, "%s", SSL_get_cipher_name(c->ssl));
		return 0;
	case SIPC_TLS_ALPN:
		SSL_get0_alpn_selected(c->ssl, &p, &plen);
		sipc__tls_escape(buf, len, p, plen);
		return 0;
	case SIPC_TLS_SNI:
		s = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
		if (s)
			sipc__tls_escape(buf, len, s, strlen(s));
		return 0;
	case SIPC_TLS_KTLS:
		snprintf(buf, len, "%s", ktls_text(c->ssl));
		return 0;
	}
	return -EINVAL;
}

int sipc_tls_info(const sipc_endpoint *ep, sipc_tls_field field, char *buf, size_t len)
{
	const struct sipc__tls_conn *c;
	char text[SIPC_TLS_INFO_MAX];
	size_t n;
	int rc;

	if (ep == NULL || buf == NULL)
		return -EINVAL;
	if (!sipc_scheme_is_tls(ep->scheme) || ep->tp_state == NULL)
		return SIPC_EKIND;
	c = ep->tp_state;
	if (c->ssl == NULL)
		return SIPC_EKIND; /* a listener */
	if (!c->done)
		return -EAGAIN;
	rc = field_text(c, field, text, sizeof(text));
	if (rc < 0)
		return rc;
	n = strlen(text);
	if (n + 1 > len)
		return SIPC_EBUFSIZE;
	memcpy(buf, text, n + 1);
	return (int)n;
}

void sipc__tls_trace_done(sipc_endpoint *ep, struct sipc__tls_conn *c)
{
	char subj[200], fp[SIPC_TLS_FINGERPRINT_MAX], alpn[64];

	if (ep->trace == NULL)
		return;
	field_text(c, SIPC_TLS_PEER_SUBJECT, subj, sizeof(subj));
	field_text(c, SIPC_TLS_PEER_FINGERPRINT, fp, sizeof(fp));
	field_text(c, SIPC_TLS_ALPN, alpn, sizeof(alpn));
	sipc__tracef(ep->trace, ep->trace_arg,
		     "tls_handshake(%d) = %s %s peer=\"%s\" %s verify=%s alpn=%s ktls=%s", ep->fd,
		     SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl), subj, fp[0] ? fp : "-",
		     verified_text(c), alpn[0] ? alpn : "-", ktls_text(c->ssl));
}
