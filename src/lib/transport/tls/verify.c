/*
 * verify.c - deciding whether to trust the peer's certificate.  One
 * callback replaces OpenSSL's chain check for every connection (the
 * certificate verify callback, which sees the whole chain at once): with
 * pins it accepts exactly a pinned leaf certificate, in place of the CA
 * and name checks (ssh's model, for self-signed certificates); otherwise it
 * runs OpenSSL's own X509_verify_cert (CA, dates, the host name set on the
 * SSL).  Either way a failure is written down as it happens, with the
 * names, dates and fingerprints a user needs, because once the handshake
 * has failed the certificate is no longer at hand.
 */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "transport/tls/tls.h"

static int hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int sipc__tls_parse_pin(const char *text, uint8_t fp[SIPC__TLS_FP_LEN])
{
	size_t n = 0;
	int hi = -1;

	if (strncasecmp(text, "SHA256:", 7) == 0)
		text += 7;
	for (; *text; text++) {
		int v;

		if (*text == ':')
			continue;
		v = hex((unsigned char)*text);
		if (v < 0 || n == SIPC__TLS_FP_LEN)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			fp[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == SIPC__TLS_FP_LEN && hi < 0 ? 0 : -1;
}

static int check_pin(struct sipc__tls_conn *c, X509_STORE_CTX *x, X509 *leaf)
{
	uint8_t fp[SIPC__TLS_FP_LEN];
	char seen[SIPC_TLS_FINGERPRINT_MAX], want[SIPC_TLS_FINGERPRINT_MAX];

	if (sipc__tls_cert_fp(leaf, fp) < 0) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_OUT_OF_MEM);
		return 0;
	}
	for (size_t i = 0; i < c->snap->npins; i++)
		if (memcmp(fp, c->snap->pins[i], sizeof(fp)) == 0) {
			c->pinned = true;
			X509_STORE_CTX_set_error(x, X509_V_OK);
			return 1;
		}
	sipc__tls_fp_text(fp, seen, sizeof(seen));
	sipc__tls_fp_text(c->snap->pins[0], want, sizeof(want));
	c->vcode = SIPC_ETLS_PIN;
	snprintf(c->vwhy, sizeof(c->vwhy),
		 "the certificate's fingerprint is %s, not the pinned %s%s", seen, want,
		 c->snap->npins > 1 ? " (nor another pin)" : "");
	X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* The sentence for a failed X509_verify_cert: which certificate, and the
 * name, date or issuer that made it fail. */
static void explain(struct sipc__tls_conn *c, X509_STORE_CTX *x, X509 *leaf)
{
	int err = X509_STORE_CTX_get_error(x);
	X509 *cur = X509_STORE_CTX_get_current_cert(x);
	char subj[200], iss[200], when[40], san[240], host[140];

	if (cur == NULL)
		cur = leaf;
	sipc__tls_name_text(X509_get_subject_name(cur), subj, sizeof(subj));
	sipc__tls_name_text(X509_get_issuer_name(cur), iss, sizeof(iss));
	switch (err) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		c->vcode = SIPC_ETLS_UNKNOWN_CA;
		snprintf(c->vwhy, sizeof(c->vwhy),
			 "the certificate '%s' is self-signed and no trusted CA vouches for it "
			 "(pin its fingerprint to accept it)",
			 subj);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		c->vcode = SIPC_ETLS_UNKNOWN_CA;
		snprintf(
			c->vwhy, sizeof(c->vwhy),
			"the certificate '%.160s' is issued by '%.160s', which is not a trusted CA",
			subj, iss);
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		c->vcode = SIPC_ETLS_HOSTNAME;
		sipc__tls_san_text(leaf, san, sizeof(san));
		if (san[0] == '\0')
			snprintf(san, sizeof(san), "%.200s (no subjectAltName)", subj);
		snprintf(c->vwhy, sizeof(c->vwhy), "the certificate is for %.220s, not '%.140s'",
			 san, sipc__tls_quote(host, sizeof(host), c->host));
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		c->vcode = SIPC_ETLS_EXPIRED;
		sipc__tls_time_text(X509_get0_notAfter(cur), when, sizeof(when));
		snprintf(c->vwhy, sizeof(c->vwhy), "the certificate '%s' expired on %s", subj,
			 when);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		c->vcode = SIPC_ETLS_NOT_YET_VALID;
		sipc__tls_time_text(X509_get0_notBefore(cur), when, sizeof(when));
		snprintf(c->vwhy, sizeof(c->vwhy), "the certificate '%s' is not valid before %s",
			 subj, when);
		break;
	default:
		c->vcode = SIPC_ETLS_CERT;
		snprintf(c->vwhy, sizeof(c->vwhy), "the certificate '%s' is not accepted: %s", subj,
			 X509_verify_cert_error_string(err));
		break;
	}
}

int sipc__tls_verify_cb(X509_STORE_CTX *x, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct sipc__tls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(x);
	int ok;

	(void)arg;
	if (c == NULL || leaf == NULL)
		return X509_verify_cert(x);
	if (c->snap->npins > 0)
		return check_pin(c, x, leaf);
	/* Nothing is checked, so there is nothing to spend time on. */
	if (c->snap->verify == SIPC_TLS_VERIFY_NONE)
		return 1;
	ok = X509_verify_cert(x);
	if (ok > 0)
		c->verified = true;
	else
		explain(c, x, leaf);
	return ok;
}
