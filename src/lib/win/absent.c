/*
 * absent.c - the transports this Windows build does not have, and the
 * TLS calls: each says SIPC_ENOTSUP ("Not supported on this system") with
 * the reason in the caller's why buffer, at the first call that would
 * need it, so tls:// and shm:// URLs still parse, format and name their
 * scheme, as on Linux.
 *  - tls://: the TLS transport is OpenSSL 3, and Debian has no OpenSSL
 *    built for mingw-w64 (the build would need one beside it).
 *  - shm://: its rings are memfds sealed and handed over with SCM_RIGHTS
 *    on a unix socket; Windows has neither.
 */
#include <stdio.h>

#include "sockipc.h"
#include "transport/transport.h"

static int why_absent(const sipc_options *opts, const char *what)
{
	if (opts != NULL && opts->why != NULL && opts->whylen > 0)
		snprintf(opts->why, opts->whylen, "%s", what);
	return SIPC_ENOTSUP;
}

#define NO_TLS                                                                                     \
	"tls:// is not in this build: it needs OpenSSL, which has no mingw-w64 build in Debian"
#define NO_SHM                                                                                     \
	"shm:// needs sealed memfds passed over a unix socket (SCM_RIGHTS), which Windows does "   \
	"not have"

static int tls_check(const sipc_options *opts, bool listening)
{
	(void)listening;
	return why_absent(opts, NO_TLS);
}

static int tls_attach(sipc_endpoint *ep, const struct sipc__attach *how)
{
	(void)ep;
	return why_absent(how->opts, NO_TLS);
}

static int shm_check(const sipc_options *opts, bool listening)
{
	(void)listening;
	return why_absent(opts, NO_SHM);
}

static int shm_attach(sipc_endpoint *ep, const struct sipc__attach *how)
{
	(void)ep;
	return why_absent(how->opts, NO_SHM);
}

const struct sipc__transport sipc__transport_tls = {
	.proto = "tls",
	.socktype = SOCK_STREAM,
	.listens = true,
	.check_opts = tls_check,
	.attach = tls_attach,
	.io = &sipc__conn_ops_sock,
};

const struct sipc__transport sipc__transport_shm = {
	.proto = "shm",
	.socktype = SOCK_STREAM,
	.listens = true,
	.check_opts = shm_check,
	.attach = shm_attach,
	.io = &sipc__conn_ops_sock,
};

/* ---- the TLS calls: no configuration can be made, so none is given. */

static int no_tls(char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", NO_TLS);
	return SIPC_ENOTSUP;
}

int sipc_tls_config_new(sipc_tls_role role, sipc_tls_config **cfgp)
{
	(void)role;
	(void)cfgp;
	return SIPC_ENOTSUP;
}

void sipc_tls_config_free(sipc_tls_config *cfg)
{
	(void)cfg;
}

int sipc_tls_config_cert(sipc_tls_config *cfg, const char *cert, const char *key, char *why,
			 size_t whylen)
{
	(void)cfg, (void)cert, (void)key;
	return no_tls(why, whylen);
}

int sipc_tls_config_self_signed(sipc_tls_config *cfg, const char *name, char *why, size_t whylen)
{
	(void)cfg, (void)name;
	return no_tls(why, whylen);
}

int sipc_tls_config_ca(sipc_tls_config *cfg, const char *path, char *why, size_t whylen)
{
	(void)cfg, (void)path;
	return no_tls(why, whylen);
}

int sipc_tls_config_verify(sipc_tls_config *cfg, sipc_tls_verify mode)
{
	(void)cfg, (void)mode;
	return SIPC_ENOTSUP;
}

int sipc_tls_config_server_name(sipc_tls_config *cfg, const char *name)
{
	(void)cfg, (void)name;
	return SIPC_ENOTSUP;
}

int sipc_tls_config_alpn(sipc_tls_config *cfg, const char *list, char *why, size_t whylen)
{
	(void)cfg, (void)list;
	return no_tls(why, whylen);
}

int sipc_tls_config_min_version(sipc_tls_config *cfg, const char *version, char *why, size_t whylen)
{
	(void)cfg, (void)version;
	return no_tls(why, whylen);
}

int sipc_tls_config_pin(sipc_tls_config *cfg, const char *pin, char *why, size_t whylen)
{
	(void)cfg, (void)pin;
	return no_tls(why, whylen);
}

int sipc_tls_config_reload(sipc_tls_config *cfg, char *why, size_t whylen)
{
	(void)cfg;
	return no_tls(why, whylen);
}

int sipc_tls_config_fingerprint(const sipc_tls_config *cfg, char *buf, size_t len)
{
	(void)cfg, (void)buf, (void)len;
	return SIPC_ENOTSUP;
}

int sipc_tls_info(const sipc_endpoint *ep, sipc_tls_field field, char *buf, size_t len)
{
	(void)ep, (void)field, (void)buf, (void)len;
	return SIPC_ENOTSUP;
}

void sipc__tls_thread_done(void)
{
}
