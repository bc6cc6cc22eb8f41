/*
 * pem.c - reading what the TLS setters name: a certificate chain and its
 * private key (PEM files), and the CAs to trust (a PEM file or a hashed
 * directory, c_rehash), with a sentence that names the file and what is
 * wrong with it.  An encrypted key is refused rather than prompted for: the
 * library never reads a terminal.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "transport/tls/tls.h"
#include "why.h"

/* Longest file name quoted back (escaped, "..." when cut): two fit a
 * sentence of SIPC_WHY_MAX with OpenSSL's reason. */
#define QUOTE_MAX 160

/* The passphrase callback: there is none to give (no prompt on a tty). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Opens FILE for PEM reading, with a sentence naming it when it cannot. */
static BIO *open_pem(const char *file, const char *what, char *why, size_t whylen)
{
	BIO *bio = BIO_new_file(file, "r");
	char q[QUOTE_MAX];

	if (bio == NULL) {
		int e = errno;

		sipc__why_set(why, whylen, "cannot read %s file '%s': %s", what,
			      sipc__tls_quote(q, sizeof(q), file), e ? strerror(e) : "open failed");
		ERR_clear_error();
	}
	return bio;
}

static int load_key(const char *file, EVP_PKEY **keyp, char *why, size_t whylen)
{
	BIO *bio = open_pem(file, "key", why, whylen);
	unsigned long e;
	char r[160], q[QUOTE_MAX];

	if (bio == NULL)
		return SIPC_ETLS_CONFIG;
	*keyp = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (*keyp != NULL) {
		ERR_clear_error();
		return 0;
	}
	e = ERR_peek_last_error();
	if (ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ ||
	    ERR_GET_REASON(e) == PEM_R_PROBLEMS_GETTING_PASSWORD)
		sipc__why_set(why, whylen, "the key in '%s' is encrypted (give an unencrypted key)",
			      sipc__tls_quote(q, sizeof(q), file));
	else
		sipc__why_set(why, whylen, "no PEM private key in '%s' (%s)",
			      sipc__tls_quote(q, sizeof(q), file), sipc__tls_reason(r, sizeof(r)));
	ERR_clear_error();
	return SIPC_ETLS_CONFIG;
}

int sipc__tls_load_cert(const char *cert, const char *key, X509 **certp, STACK_OF(X509) * *chainp,
			EVP_PKEY **keyp, char *why, size_t whylen)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x, *ca;
	BIO *bio;
	char r[160], q[QUOTE_MAX], q2[QUOTE_MAX];
	int rc = SIPC_ETLS_CONFIG;

	bio = open_pem(cert, "certificate", why, whylen);
	if (bio == NULL)
		return SIPC_ETLS_CONFIG;
	x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	if (x == NULL) {
		sipc__why_set(why, whylen, "no PEM certificate in '%s' (%s)",
			      sipc__tls_quote(q, sizeof(q), cert), sipc__tls_reason(r, sizeof(r)));
		BIO_free(bio);
		ERR_clear_error();
		return SIPC_ETLS_CONFIG;
	}
	/* The rest of the file is the chain up to (not necessarily
	 * including) the root, sent along with the certificate. */
	chain = sk_X509_new_null();
	while (chain != NULL && (ca = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL)
		if (!sk_X509_push(chain, ca)) {
			X509_free(ca);
			break;
		}
	BIO_free(bio);
	ERR_clear_error();
	if (chain == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (load_key(key ? key : cert, &pk, why, whylen) < 0)
		goto fail;
	if (X509_check_private_key(x, pk) != 1) {
		sipc__why_set(why, whylen,
			      "the key in '%s' does not belong to the certificate in '%s'",
			      sipc__tls_quote(q, sizeof(q), key ? key : cert),
			      sipc__tls_quote(q2, sizeof(q2), cert));
		ERR_clear_error();
		goto fail;
	}
	*certp = x;
	*chainp = chain;
	*keyp = pk;
	return 0;
fail:
	X509_free(x);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(pk);
	return rc;
}

X509_STORE *sipc__tls_default_store(void)
{
	X509_STORE *store = X509_STORE_new();
	const char *dir = getenv(X509_get_default_cert_dir_env());
	const char *file = getenv(X509_get_default_cert_file_env());

	if (store == NULL)
		return NULL;
	/* The hashed directory is read one certificate at a time as needed,
	 * where the bundle file would be parsed whole (a few hundred CAs)
	 * for every new config; SSL_CERT_FILE is honoured when set. */
	if (dir == NULL)
		dir = X509_get_default_cert_dir();
	X509_STORE_load_path(store, dir);
	if (file != NULL)
		X509_STORE_load_file(store, file);
	ERR_clear_error();
	return store;
}

int sipc__tls_load_ca(const char *path, X509_STORE **storep, STACK_OF(X509_NAME) * *namesp,
		      char *why, size_t whylen)
{
	STACK_OF(X509_NAME) *names = NULL;
	X509_STORE *store;
	struct stat st;
	char r[160], q[QUOTE_MAX];

	if (stat(path, &st) < 0) {
		sipc__why_set(why, whylen, "cannot read CA '%s': %s",
			      sipc__tls_quote(q, sizeof(q), path), strerror(errno));
		return SIPC_ETLS_CONFIG;
	}
	store = X509_STORE_new();
	if (store == NULL)
		return -ENOMEM;
	if (S_ISDIR(st.st_mode)) {
		if (X509_STORE_load_path(store, path) != 1) {
			sipc__why_set(why, whylen, "cannot use CA directory '%s' (%s)",
				      sipc__tls_quote(q, sizeof(q), path),
				      sipc__tls_reason(r, sizeof(r)));
			goto fail;
		}
	} else {
		if (X509_STORE_load_file(store, path) != 1) {
			sipc__why_set(why, whylen, "no PEM CA certificate in '%s' (%s)",
				      sipc__tls_quote(q, sizeof(q), path),
				      sipc__tls_reason(r, sizeof(r)));
			goto fail;
		}
		/* The names a server lists in its CertificateRequest, so a
		 * client with several certificates picks the right one. */
		names = SSL_load_client_CA_file(path);
	}
	ERR_clear_error();
	*storep = store;
	*namesp = names;
	return 0;
fail:
	ERR_clear_error();
	X509_STORE_free(store);
	return SIPC_ETLS_CONFIG;
}
