/*
 * tls.c - the TLS transport table (tls://, tls4://, tls6://): TCP's socket
 * set-up (SO_REUSEADDR, IPV6_V6ONLY, TCP_NODELAY) with conn.c's I/O, and
 * the state each endpoint gets.  A listener keeps a reference to its
 * server config, so every accepted connection starts from the config as
 * it is then (after a reload: the new certificate).  A dialed connection
 * gets a client SSL that sends the URL host (or server_name) as SNI and
 * checks the certificate against it, or against the address for an IP
 * literal, which RFC 6066 3 does not allow as SNI; sipc_dial then runs
 * the handshake within its own deadline.  An accepted one gets a server
 * SSL and shakes hands on first use.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tls/tls.h"
#include "transport/transport.h"
#include "url.h"

static void why_out(const sipc_options *opts, const char *text)
{
	if (opts != NULL && opts->why != NULL && opts->whylen > 0)
		snprintf(opts->why, opts->whylen, "%s", text);
}

static int tls_check_opts(const sipc_options *opts, bool listening)
{
	const sipc_tls_config *cfg = opts ? opts->tls : NULL;
	sipc_tls_config *m = (sipc_tls_config *)cfg;
	bool has_cert;

	if (!listening) {
		if (cfg != NULL && cfg->role != SIPC_TLS_CLIENT) {
			why_out(opts, "dialing tls:// needs a client TLS config, not a server one");
			return SIPC_ETLS_CONFIG;
		}
		return 0;
	}
	if (cfg == NULL) {
		why_out(opts, "a tls:// listener needs a server TLS config with a certificate "
			      "(sipc_options.tls)");
		return SIPC_ETLS_CONFIG;
	}
	if (cfg->role != SIPC_TLS_SERVER) {
		why_out(opts, "a tls:// listener needs a server TLS config, not a client one");
		return SIPC_ETLS_CONFIG;
	}
	pthread_mutex_lock(&m->mu);
	has_cert = m->cert != NULL;
	pthread_mutex_unlock(&m->mu);
	if (!has_cert) {
		why_out(opts, "the server TLS config has no certificate (sipc_tls_config_cert or "
			      "sipc_tls_config_self_signed)");
		return SIPC_ETLS_CONFIG;
	}
	return 0;
}

/* Sets the name (or address) the client checks and sends as SNI. */
static int client_host(struct sipc__tls_conn *c, const char *host, char *why, size_t whylen)
{
	unsigned char a[sizeof(struct in6_addr)];
	size_t n = strcspn(host, "%"); /* an IPv6 zone is not in certificates */

	if (n >= sizeof(c->host))
		n = sizeof(c->host) - 1;
	memcpy(c->host, host, n);
	c->host[n] = '\0';
	/* A trailing dot (a fully qualified name) is not in certificates. */
	if (n > 1 && c->host[n - 1] == '.')
		c->host[n - 1] = '\0';
	c->host_ip = inet_pton(AF_INET, c->host, a) == 1 || inet_pton(AF_INET6, c->host, a) == 1;
	if (c->host[0] == '\0') {
		if (c->snap->verify == SIPC_TLS_VERIFY_NONE || c->snap->npins > 0)
			return 0;
		snprintf(why, whylen,
			 "no host name to check the server's certificate against "
			 "(dial a name, or set server_name)");
		return SIPC_ETLS_CONFIG;
	}
	if (c->host_ip)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host) == 1
			       ? 0
			       : -ENOMEM;
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set_tlsext_host_name(c->ssl, c->host) != 1 || SSL_set1_host(c->ssl, c->host) != 1)
		return -ENOMEM;
	return 0;
}

/* A connection's state on EP from SNAP (taken over); HOST: client side. */
static int conn_new(sipc_endpoint *ep, struct sipc__tls_snap *snap, const char *host, char *why,
		    size_t whylen)
{
	struct sipc__tls_conn *c = calloc(1, sizeof(*c));
	BIO *bio;
	int rc = -ENOMEM;

	if (c == NULL) {
		sipc__tls_snap_put(snap);
		return -ENOMEM;
	}
	c->snap = snap;
	c->fd = ep->fd;
	c->ssl = SSL_new(snap->ctx);
	bio = c->ssl ? sipc__tls_bio_new(c) : NULL;
	if (bio == NULL)
		goto fail;
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_app_data(c->ssl, c);
	if (snap->role == SIPC_TLS_CLIENT) {
		SSL_set_connect_state(c->ssl);
		rc = client_host(c,
				 snap->server_name ? snap->server_name
				 : host            ? host
						   : "",
				 why, whylen);
		if (rc < 0)
			goto fail;
		c->want_hs = POLLOUT;
	} else {
		SSL_set_accept_state(c->ssl);
		c->want_hs = POLLIN;
	}
	c->want_rd = POLLIN;
	c->want_wr = POLLOUT;
	ep->tp_state = c;
	ERR_clear_error();
	return 0;
fail:
	ERR_clear_error();
	SSL_free(c->ssl);
	sipc__tls_snap_put(c->snap);
	free(c);
	return rc;
}

static int attach_listener(sipc_endpoint *ep, const sipc_tls_config *cfg)
{
	struct sipc__tls_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	c->cfg = sipc__tls_config_ref(cfg);
	c->fd = ep->fd;
	ep->tp_state = c;
	return 0;
}

/* A snapshot of CFG for a new connection; a client without a config gets
 * the defaults (system CAs, verification on). */
static struct sipc__tls_snap *snap_for(const sipc_tls_config *cfg, sipc_tls_role role, char *why,
				       size_t whylen)
{
	sipc_tls_config *tmp = NULL;
	struct sipc__tls_snap *snap;

	if (cfg == NULL) {
		if (role != SIPC_TLS_CLIENT || sipc_tls_config_new(role, &tmp) < 0)
			return NULL;
		cfg = tmp;
	}
	snap = sipc__tls_snap_get((sipc_tls_config *)cfg, why, whylen);
	sipc_tls_config_free(tmp);
	return snap;
}

static int tls_attach(sipc_endpoint *ep, const struct sipc__attach *how)
{
	const sipc_tls_config *cfg = how->opts ? how->opts->tls : NULL;
	struct sipc__tls_snap *snap;
	char why[SIPC_WHY_MAX] = "";
	int rc;

	switch (how->kind) {
	case SIPC__ATTACH_LISTEN:
		return attach_listener(ep, cfg);
	case SIPC__ATTACH_ACCEPT:
		cfg = ((const struct sipc__tls_conn *)how->listener->tp_state)->cfg;
		break;
	case SIPC__ATTACH_DIAL:
		break;
	case SIPC__ATTACH_FROM_FD:
		if (ep->listener) {
			rc = tls_check_opts(how->opts, true);
			return rc < 0 ? rc : attach_listener(ep, cfg);
		}
		break;
	}
	snap = snap_for(cfg, cfg ? cfg->role : SIPC_TLS_CLIENT, why, sizeof(why));
	if (snap == NULL) {
		rc = why[0] ? SIPC_ETLS_CONFIG : -ENOMEM;
	} else {
		rc = conn_new(ep, snap, how->host, why, sizeof(why));
	}
	if (rc < 0 && why[0] != '\0') {
		sipc__ep_why(ep, "%s", why);
		why_out(how->opts, why);
	}
	return rc;
}

const struct sipc__transport sipc__transport_tls = {
	.proto = "tls",
	.socktype = SOCK_STREAM,
	.listens = true,
	.before_bind = sipc__tcp_before_bind,
	.bind = sipc__tcp_bind,
	.before_connect = NULL,
	.after_connect = sipc__tcp_after_connect,
	.check_opts = tls_check_opts,
	.attach = tls_attach,
	.io = &sipc__conn_ops_tls,
};

void sipc__tls_thread_done(void)
{
	OPENSSL_thread_stop();
}
