/*
 * selfsigned.c - a fresh certificate and key made in memory for "listen
 * with no files" (sipc_tls_config_self_signed): an ECDSA P-256 key (fast
 * to make, and what every TLS 1.2/1.3 peer accepts), a random 128-bit
 * serial, valid from an hour ago (clocks differ) for 30 days, subject
 * CN=NAME and NAME as its subjectAltName (an IP address when NAME is one,
 * since RFC 6125 checks names only in SANs).  The other side pins its
 * fingerprint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "transport/tls/tls.h"
#include "why.h"

static bool is_ip(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int random_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return 0;
	raw[0] &= 0x7f; /* positive, as RFC 5280 4.1.2.2 wants */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

int sipc__tls_make_self_signed(const char *name, X509 **certp, EVP_PKEY **keyp, char *why,
			       size_t whylen)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *subj;
	char san[300], r[160], q[80];

	if (strlen(name) > 253) {
		sipc__why_set(why, whylen, "name '%s' too long for a certificate",
			      sipc__tls_quote(q, sizeof(q), name));
		goto fail;
	}
	snprintf(san, sizeof(san), "%s:%s", is_ip(name) ? "IP" : "DNS", name);
	if (pk == NULL || x == NULL || !X509_set_version(x, 2) || !random_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) || !X509_set_pubkey(x, pk))
		goto ssl_fail;
	subj = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, subj))
		goto ssl_fail;
	if (!add_ext(x, NID_subject_alt_name, san) ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !X509_sign(x, pk, EVP_sha256()))
		goto ssl_fail;
	ERR_clear_error();
	*certp = x;
	*keyp = pk;
	return 0;
ssl_fail:
	sipc__why_set(why, whylen, "cannot make a self-signed certificate for '%s': %s",
		      sipc__tls_quote(q, sizeof(q), name), sipc__tls_reason(r, sizeof(r)));
fail:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(pk);
	return SIPC_ETLS_CONFIG;
}
