/*
 * execenv.c - the environment a program gets for its connection
 * (execenv.h), shared by serve's exec service and the -e of connect and
 * listen, so that a script sees the same variables whichever side started
 * it.  Every value is made from addresses the kernel reported, formatted
 * by sipc_addr_format (which escapes the bytes a peer chose in a unix
 * name), so nothing a peer sends reaches the environment raw.
 */
#include "serve/execenv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"
#include "why.h"

extern char **environ;

static void env_set(struct sipc__execenv *e, const char *name, const char *fmt, ...)
	SIPC__PRINTF(3, 4);

static void env_set(struct sipc__execenv *e, const char *name, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (e->n == SIPC__EXECENV_VARS)
		return;
	k = snprintf(e->var[e->n], sizeof(e->var[0]), "%s=", name);
	va_start(ap, fmt);
	vsnprintf(e->var[e->n] + k, sizeof(e->var[0]) - (size_t)k, fmt, ap);
	va_end(ap);
	e->n++;
}

void sipc__execenv_put(void *e, const char *name, const char *value)
{
	env_set(e, name, "%s", value);
}

/* IP and port of A as tcpserver writes them: an IPv4-mapped peer of a
 * dual-stack listener as plain IPv4.  False for a non-IP address. */
static bool ip_port(const sipc_addr *a, char *ip, size_t len, unsigned *port)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)len) != NULL;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip,
					 (socklen_t)len) != NULL;
		return inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)len) != NULL;
	}
	return false;
}

void sipc__execenv_fill(struct sipc__execenv *e, const sipc_addr *peer, const sipc_addr *local,
			const char *local_text, int fd)
{
	char url[SIPC_URL_MAX], ip[INET6_ADDRSTRLEN];
	unsigned port;
	sipc_cred cred;

	if (sipc_addr_format(peer, url, sizeof(url)) < 0)
		snprintf(url, sizeof(url), "?");
	env_set(e, "SOCKIPC_PEER", "%s", url);
	if (sipc_addr_format(local, url, sizeof(url)) < 0)
		snprintf(url, sizeof(url), "%s", local_text);
	env_set(e, "SOCKIPC_LOCAL", "%s", url);
	if (ip_port(peer, ip, sizeof(ip), &port)) {
		env_set(e, "PROTO", "TCP");
		env_set(e, "TCPREMOTEIP", "%s", ip);
		env_set(e, "TCPREMOTEPORT", "%u", port);
		if (ip_port(local, ip, sizeof(ip), &port)) {
			env_set(e, "TCPLOCALIP", "%s", ip);
			env_set(e, "TCPLOCALPORT", "%u", port);
		}
	} else if (peer->ss.ss_family == AF_UNIX || local->ss.ss_family == AF_UNIX) {
		env_set(e, "PROTO", "UNIX");
		if (sipc__sys_peercred(fd, &cred) == 0) {
			env_set(e, "UNIXREMOTEPID", "%ld", (long)cred.pid);
			env_set(e, "UNIXREMOTEEUID", "%lu", (unsigned long)cred.uid);
			env_set(e, "UNIXREMOTEEGID", "%lu", (unsigned long)cred.gid);
		}
	}
}

bool sipc__execenv_ours(const char *var)
{
	static const char *const prefixes[] = {
		"SOCKIPC_PEER=", "SOCKIPC_LOCAL=", "PROTO=",    "TCPREMOTE",
		"TCPLOCAL",      "UNIXREMOTE",     "UNIXLOCAL", "SSL_",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(var, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The value of NAME in our environment, as "NAME=VALUE", or NULL. */
static char *env_find(const char *name)
{
	size_t len = strlen(name);

	for (char **p = environ; p != NULL && *p != NULL; p++)
		if (strncmp(*p, name, len) == 0 && (*p)[len] == '=')
			return *p;
	return NULL;
}

/* Whether the service's `env` list sets NAME. */
static bool env_sets(const struct sipc_svc_conf *conf, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < conf->nenv; i++)
		if (strncmp(conf->env[i], name, len) == 0 && conf->env[i][len] == '=')
			return true;
	return false;
}

char **sipc__execenv_make(const struct sipc__execenv *e, const struct sipc_svc_conf *conf)
{
	size_t nenv = conf != NULL ? conf->nenv : 0, npass = conf != NULL ? conf->npassenv : 0;
	bool clean = nenv > 0 || npass > 0;
	size_t n = 0, k = 0;
	char **envp;

	while (!clean && environ != NULL && environ[n] != NULL)
		n++;
	envp = malloc((n + SIPC__EXECENV_VARS + nenv + npass + 1) * sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!sipc__execenv_ours(environ[i]))
			envp[k++] = environ[i];
	for (int i = 0; i < e->n; i++)
		envp[k++] = (char *)e->var[i];
	for (size_t i = 0; i < npass; i++) {
		char *v = env_find(conf->passenv[i]);
		if (v != NULL && !sipc__execenv_ours(v) && !env_sets(conf, conf->passenv[i]))
			envp[k++] = v;
	}
	for (size_t i = 0; i < nenv; i++)
		if (!sipc__execenv_ours(conf->env[i]))
			envp[k++] = conf->env[i];
	envp[k] = NULL;
	return envp;
}
