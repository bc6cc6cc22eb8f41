/*
 * config.c - the TLS configuration object (sipc_tls_config_*): the setters,
 * reload, and the snapshot (an SSL_CTX with the settings its callbacks
 * read) that handshakes take.  A setter changes the config under its mutex
 * and drops the snapshot; the next handshake builds a new one, while the
 * connections already open keep theirs (each holds a reference), which is
 * how reload switches certificates without touching open connections.
 * What a setter reads from files is loaded and checked at once (pem.c), so
 * building a snapshot later can only fail for lack of memory.
 */
#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tls/tls.h"
#include "why.h"

int sipc_tls_config_new(sipc_tls_role role, sipc_tls_config **cfgp)
{
	sipc_tls_config *cfg;

	if (cfgp == NULL || (role != SIPC_TLS_CLIENT && role != SIPC_TLS_SERVER))
		return -EINVAL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	if (pthread_mutex_init(&cfg->mu, NULL) != 0) {
		free(cfg);
		return -ENOMEM;
	}
	atomic_init(&cfg->refs, 1);
	cfg->role = role;
	cfg->verify = role == SIPC_TLS_CLIENT ? SIPC_TLS_VERIFY_REQUIRE : SIPC_TLS_VERIFY_NONE;
	cfg->min_version = TLS1_2_VERSION;
	*cfgp = cfg;
	return 0;
}

sipc_tls_config *sipc__tls_config_ref(const sipc_tls_config *ccfg)
{
	/* Endpoints take a reference to a config their caller passed as
	 * const: the count is the one thing they change. */
	sipc_tls_config *cfg = (sipc_tls_config *)ccfg;

	atomic_fetch_add(&cfg->refs, 1);
	return cfg;
}

static void drop_snap(sipc_tls_config *cfg)
{
	sipc__tls_snap_put(cfg->snap);
	cfg->snap = NULL;
}

static void drop_cert(sipc_tls_config *cfg)
{
	X509_free(cfg->cert);
	sk_X509_pop_free(cfg->chain, X509_free);
	EVP_PKEY_free(cfg->key);
	cfg->cert = NULL;
	cfg->chain = NULL;
	cfg->key = NULL;
}

/* Installs a certificate (and the files it came from, taken over) for the
 * next handshakes. */
static void set_cert(sipc_tls_config *cfg, char *cert_file, char *key_file, X509 *x,
		     STACK_OF(X509) * chain, EVP_PKEY *pk)
{
	pthread_mutex_lock(&cfg->mu);
	drop_cert(cfg);
	free(cfg->cert_file);
	free(cfg->key_file);
	cfg->cert_file = cert_file;
	cfg->key_file = key_file;
	cfg->cert = x;
	cfg->chain = chain;
	cfg->key = pk;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
}

void sipc_tls_config_free(sipc_tls_config *cfg)
{
	if (cfg == NULL || atomic_fetch_sub(&cfg->refs, 1) != 1)
		return;
	drop_snap(cfg);
	drop_cert(cfg);
	X509_STORE_free(cfg->store);
	sk_X509_NAME_pop_free(cfg->client_cas, X509_NAME_free);
	free(cfg->cert_file);
	free(cfg->key_file);
	free(cfg->ca_path);
	free(cfg->server_name);
	free(cfg->alpn);
	free(cfg->pins);
	pthread_mutex_destroy(&cfg->mu);
	free(cfg);
}

/* strdup that keeps NULL. */
static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int sipc_tls_config_cert(sipc_tls_config *cfg, const char *cert, const char *key, char *why,
			 size_t whylen)
{
	X509 *x = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pk = NULL;
	char *cf, *kf;
	int rc;

	if (cfg == NULL || cert == NULL || cert[0] == '\0' || (key != NULL && key[0] == '\0'))
		return -EINVAL;
	rc = sipc__tls_load_cert(cert, key, &x, &chain, &pk, why, whylen);
	if (rc < 0)
		return rc;
	if (dup_opt(cert, &cf) < 0 || dup_opt(key, &kf) < 0) {
		free(cf);
		X509_free(x);
		sk_X509_pop_free(chain, X509_free);
		EVP_PKEY_free(pk);
		return -ENOMEM;
	}
	set_cert(cfg, cf, kf, x, chain, pk);
	return 0;
}

int sipc_tls_config_self_signed(sipc_tls_config *cfg, const char *name, char *why, size_t whylen)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	int rc;

	if (cfg == NULL || name == NULL || name[0] == '\0')
		return -EINVAL;
	rc = sipc__tls_make_self_signed(name, &x, &pk, why, whylen);
	if (rc < 0)
		return rc;
	/* Made in memory: reload has no file to read it from again. */
	set_cert(cfg, NULL, NULL, x, NULL, pk);
	return 0;
}

int sipc_tls_config_ca(sipc_tls_config *cfg, const char *path, char *why, size_t whylen)
{
	X509_STORE *store = NULL;
	STACK_OF(X509_NAME) *names = NULL;
	char *p;
	int rc;

	if (cfg == NULL || path == NULL || path[0] == '\0')
		return -EINVAL;
	rc = sipc__tls_load_ca(path, &store, &names, why, whylen);
	if (rc < 0)
		return rc;
	p = strdup(path);
	if (p == NULL) {
		X509_STORE_free(store);
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		return -ENOMEM;
	}
	pthread_mutex_lock(&cfg->mu);
	X509_STORE_free(cfg->store);
	sk_X509_NAME_pop_free(cfg->client_cas, X509_NAME_free);
	free(cfg->ca_path);
	cfg->store = store;
	cfg->client_cas = names;
	cfg->ca_path = p;
	/* A server given the CA of its clients' certificates means to check
	 * them (the header says so); _verify may relax it afterwards. */
	if (cfg->role == SIPC_TLS_SERVER)
		cfg->verify = SIPC_TLS_VERIFY_REQUIRE;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
	return 0;
}

int sipc_tls_config_verify(sipc_tls_config *cfg, sipc_tls_verify mode)
{
	if (cfg == NULL || (mode != SIPC_TLS_VERIFY_NONE && mode != SIPC_TLS_VERIFY_REQUIRE &&
			    mode != SIPC_TLS_VERIFY_OPTIONAL))
		return -EINVAL;
	/* A server cannot take a certificate "when there is one" from the
	 * client's point of view: the client always checks what it gets. */
	if (cfg->role == SIPC_TLS_CLIENT && mode == SIPC_TLS_VERIFY_OPTIONAL)
		return -EINVAL;
	pthread_mutex_lock(&cfg->mu);
	cfg->verify = mode;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
	return 0;
}

int sipc_tls_config_server_name(sipc_tls_config *cfg, const char *name)
{
	char *n;

	if (cfg == NULL || name == NULL || name[0] == '\0' || strlen(name) > 253)
		return -EINVAL;
	n = strdup(name);
	if (n == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&cfg->mu);
	free(cfg->server_name);
	cfg->server_name = n;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
	return 0;
}

int sipc_tls_config_alpn(sipc_tls_config *cfg, const char *list, char *why, size_t whylen)
{
	size_t n, len = 0, i = 0;
	unsigned char *wire;
	char q[80];

	if (cfg == NULL || list == NULL || list[0] == '\0')
		return -EINVAL;
	n = strlen(list);
	/* RFC 7301 3.1: each name 1-255 bytes, the list at most 65535. */
	if (n > 65534) {
		sipc__why_set(why, whylen, "ALPN list too long (%zu bytes, at most 65534)", n);
		return SIPC_ETLS_CONFIG;
	}
	wire = malloc(n + 1);
	if (wire == NULL)
		return -ENOMEM;
	for (size_t nth = 1; i <= n; nth++) {
		size_t e = i + strcspn(list + i, ",");
		size_t k = e - i;

		if (k == 0 || k > 255) {
			sipc__why_set(why, whylen,
				      "ALPN protocol %zu of '%s' is %s (each must be 1-255 bytes)",
				      nth, sipc__tls_quote(q, sizeof(q), list),
				      k == 0 ? "empty" : "too long");
			free(wire);
			return SIPC_ETLS_CONFIG;
		}
		wire[len++] = (unsigned char)k;
		memcpy(wire + len, list + i, k);
		len += k;
		i = e + 1;
	}
	pthread_mutex_lock(&cfg->mu);
	free(cfg->alpn);
	cfg->alpn = wire;
	cfg->alpn_len = len;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
	return 0;
}

int sipc_tls_config_min_version(sipc_tls_config *cfg, const char *version, char *why, size_t whylen)
{
	char q[40];
	int v;

	if (cfg == NULL || version == NULL || version[0] == '\0')
		return -EINVAL;
	if (strcmp(version, "1.2") == 0 || strcasecmp(version, "TLSv1.2") == 0)
		v = TLS1_2_VERSION;
	else if (strcmp(version, "1.3") == 0 || strcasecmp(version, "TLSv1.3") == 0)
		v = TLS1_3_VERSION;
	else {
		sipc__why_set(why, whylen, "unknown TLS version '%s' (expected 1.2 or 1.3)",
			      sipc__tls_quote(q, sizeof(q), version));
		return SIPC_ETLS_CONFIG;
	}
	pthread_mutex_lock(&cfg->mu);
	cfg->min_version = v;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
	return 0;
}

int sipc_tls_config_pin(sipc_tls_config *cfg, const char *pin, char *why, size_t whylen)
{
	uint8_t fp[SIPC__TLS_FP_LEN];
	uint8_t(*pins)[SIPC__TLS_FP_LEN];
	char q[112];

	if (cfg == NULL || pin == NULL || pin[0] == '\0')
		return -EINVAL;
	if (sipc__tls_parse_pin(pin, fp) < 0) {
		sipc__why_set(why, whylen,
			      "'%s' is not a SHA-256 fingerprint (64 hex digits, colons and a "
			      "SHA256: prefix allowed)",
			      sipc__tls_quote(q, sizeof(q), pin));
		return SIPC_ETLS_CONFIG;
	}
	pthread_mutex_lock(&cfg->mu);
	pins = realloc(cfg->pins, (cfg->npins + 1) * sizeof(*pins));
	if (pins == NULL) {
		pthread_mutex_unlock(&cfg->mu);
		return -ENOMEM;
	}
	memcpy(pins[cfg->npins], fp, sizeof(fp));
	cfg->pins = pins;
	cfg->npins++;
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
	return 0;
}

int sipc_tls_config_reload(sipc_tls_config *cfg, char *why, size_t whylen)
{
	X509 *x = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pk = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509_NAME) *names = NULL;
	char *cf = NULL, *kf = NULL, *ca = NULL;
	int rc = 0;

	if (cfg == NULL)
		return -EINVAL;
	/* Copy the names first: a setter on another thread may replace them
	 * while the files are read, outside the lock. */
	pthread_mutex_lock(&cfg->mu);
	if (dup_opt(cfg->cert_file, &cf) < 0 || dup_opt(cfg->key_file, &kf) < 0 ||
	    dup_opt(cfg->ca_path, &ca) < 0)
		rc = -ENOMEM;
	pthread_mutex_unlock(&cfg->mu);
	if (rc == 0 && cf != NULL)
		rc = sipc__tls_load_cert(cf, kf, &x, &chain, &pk, why, whylen);
	if (rc == 0 && ca != NULL)
		rc = sipc__tls_load_ca(ca, &store, &names, why, whylen);
	if (rc < 0) {
		X509_free(x);
		sk_X509_pop_free(chain, X509_free);
		EVP_PKEY_free(pk);
		goto out;
	}
	pthread_mutex_lock(&cfg->mu);
	if (x != NULL) {
		drop_cert(cfg);
		cfg->cert = x;
		cfg->chain = chain;
		cfg->key = pk;
	}
	if (store != NULL) {
		X509_STORE_free(cfg->store);
		sk_X509_NAME_pop_free(cfg->client_cas, X509_NAME_free);
		cfg->store = store;
		cfg->client_cas = names;
	}
	drop_snap(cfg);
	pthread_mutex_unlock(&cfg->mu);
out:
	free(cf);
	free(kf);
	free(ca);
	return rc;
}

int sipc_tls_config_fingerprint(const sipc_tls_config *ccfg, char *buf, size_t len)
{
	sipc_tls_config *cfg = (sipc_tls_config *)ccfg;
	char text[SIPC_TLS_FINGERPRINT_MAX];
	uint8_t fp[SIPC__TLS_FP_LEN];
	int rc;

	if (cfg == NULL || buf == NULL)
		return -EINVAL;
	pthread_mutex_lock(&cfg->mu);
	rc = cfg->cert ? sipc__tls_cert_fp(cfg->cert, fp) : -ENOENT;
	pthread_mutex_unlock(&cfg->mu);
	if (rc < 0)
		return rc;
	sipc__tls_fp_text(fp, text, sizeof(text));
	if (strlen(text) + 1 > len)
		return SIPC_EBUFSIZE;
	memcpy(buf, text, strlen(text) + 1);
	return (int)strlen(text);
}

/* ---------------------------------------------------------------- snapshots */

void sipc__tls_snap_put(struct sipc__tls_snap *snap)
{
	if (snap == NULL || atomic_fetch_sub(&snap->refs, 1) != 1)
		return;
	SSL_CTX_free(snap->ctx);
	free(snap->pins);
	free(snap->alpn);
	free(snap->server_name);
	free(snap);
}

/* RFC 7301: the server picks; the contract says the client's order
 * decides among the protocols both know.  A client that offers no ALPN at
 * all is not asked about it (the callback does not run). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	const struct sipc__tls_snap *snap = arg;

	(void)ssl;
	for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
		unsigned k = in[i];

		if (i + 1 + k > inlen)
			break;
		for (size_t j = 0; j < snap->alpn_len; j += 1u + snap->alpn[j])
			if (snap->alpn[j] == k && memcmp(snap->alpn + j + 1, in + i + 1, k) == 0) {
				*out = in + i + 1;
				*outlen = (unsigned char)k;
				return SSL_TLSEXT_ERR_OK;
			}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int verify_mode(const struct sipc__tls_snap *snap)
{
	if (snap->npins > 0)
		return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	switch (snap->verify) {
	case SIPC_TLS_VERIFY_NONE:
		return SSL_VERIFY_NONE;
	case SIPC_TLS_VERIFY_OPTIONAL:
		return SSL_VERIFY_PEER;
	case SIPC_TLS_VERIFY_REQUIRE:
		break;
	}
	return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
}

/* Copies the settings of CFG into SNAP (mutex held). */
static int snap_copy(const sipc_tls_config *cfg, struct sipc__tls_snap *snap)
{
	snap->role = cfg->role;
	snap->verify = cfg->verify;
	snap->min_version = cfg->min_version;
	snap->has_cert = cfg->cert != NULL;
	if (cfg->npins > 0) {
		snap->pins = malloc(cfg->npins * sizeof(*cfg->pins));
		if (snap->pins == NULL)
			return -ENOMEM;
		memcpy(snap->pins, cfg->pins, cfg->npins * sizeof(*cfg->pins));
		snap->npins = cfg->npins;
	}
	if (cfg->alpn_len > 0) {
		snap->alpn = malloc(cfg->alpn_len);
		if (snap->alpn == NULL)
			return -ENOMEM;
		memcpy(snap->alpn, cfg->alpn, cfg->alpn_len);
		snap->alpn_len = cfg->alpn_len;
	}
	if (cfg->server_name && (snap->server_name = strdup(cfg->server_name)) == NULL)
		return -ENOMEM;
	return 0;
}

static int ctx_setup(sipc_tls_config *cfg, struct sipc__tls_snap *snap)
{
	SSL_CTX *ctx = snap->ctx;
	X509_STORE *store = cfg->store;

	SSL_CTX_set_min_proto_version(ctx, snap->min_version);
	/* Records are written whole to our BIO (bio.c), which never refuses;
	 * partial writes would only add bookkeeping. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* No resumption: nobody keeps sessions, so tickets would only cost
	 * every handshake two encryptions and a round of bytes. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (snap->role == SIPC_TLS_SERVER) {
		SSL_CTX_set_num_tickets(ctx, 0);
		/* A client asking to renegotiate TLS 1.2 is refused with a
		 * no_renegotiation alert (a classic CPU exhaustion lever);
		 * the client side follows a server that renegotiates. */
		SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
		SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	}
	if (store == NULL && snap->verify != SIPC_TLS_VERIFY_NONE && snap->npins == 0) {
		store = sipc__tls_default_store();
		if (store == NULL)
			return -ENOMEM;
		SSL_CTX_set_cert_store(ctx, store); /* takes it */
	} else if (store != NULL) {
		SSL_CTX_set1_cert_store(ctx, store);
	}
	if (cfg->client_cas && snap->role == SIPC_TLS_SERVER) {
		STACK_OF(X509_NAME) *names = SSL_dup_CA_list(cfg->client_cas);

		if (names == NULL)
			return -ENOMEM;
		SSL_CTX_set_client_CA_list(ctx, names);
	}
	SSL_CTX_set_verify(ctx, verify_mode(snap), NULL);
	SSL_CTX_set_cert_verify_callback(ctx, sipc__tls_verify_cb, NULL);
	if (cfg->cert != NULL && (SSL_CTX_use_certificate(ctx, cfg->cert) != 1 ||
				  SSL_CTX_use_PrivateKey(ctx, cfg->key) != 1 ||
				  (cfg->chain != NULL && SSL_CTX_set1_chain(ctx, cfg->chain) != 1)))
		return SIPC_ETLS_CONFIG;
	if (snap->alpn_len > 0) {
		if (snap->role == SIPC_TLS_CLIENT) {
			/* Returns 0 on success, unlike the rest of OpenSSL. */
			if (SSL_CTX_set_alpn_protos(ctx, snap->alpn, (unsigned)snap->alpn_len) != 0)
				return -ENOMEM;
		} else {
			SSL_CTX_set_alpn_select_cb(ctx, alpn_select, snap);
		}
	}
	return 0;
}

static struct sipc__tls_snap *snap_build(sipc_tls_config *cfg, char *why, size_t whylen)
{
	struct sipc__tls_snap *snap = calloc(1, sizeof(*snap));
	int rc;

	if (snap == NULL) {
		sipc__why_set(why, whylen, "out of memory");
		return NULL;
	}
	atomic_init(&snap->refs, 1);
	snap->ctx = SSL_CTX_new(cfg->role == SIPC_TLS_CLIENT ? TLS_client_method()
							     : TLS_server_method());
	rc = snap->ctx == NULL ? -ENOMEM : snap_copy(cfg, snap);
	if (rc == 0)
		rc = ctx_setup(cfg, snap);
	if (rc < 0) {
		char r[160];

		sipc__why_set(why, whylen, "cannot set up the TLS context: %s",
			      rc == SIPC_ETLS_CONFIG ? sipc__tls_reason(r, sizeof(r))
						     : "out of memory");
		ERR_clear_error();
		sipc__tls_snap_put(snap);
		return NULL;
	}
	return snap;
}

struct sipc__tls_snap *sipc__tls_snap_get(sipc_tls_config *cfg, char *why, size_t whylen)
{
	struct sipc__tls_snap *snap;

	pthread_mutex_lock(&cfg->mu);
	if (cfg->snap == NULL)
		cfg->snap = snap_build(cfg, why, whylen);
	snap = cfg->snap;
	if (snap != NULL)
		atomic_fetch_add(&snap->refs, 1);
	pthread_mutex_unlock(&cfg->mu);
	return snap;
}
