/*
 * inherit.c - the pool of sockets serve was given (inherit.h): reading
 * the socket-activation variables of sd_listen_fds(3) without libsystemd
 * (the protocol is three environment variables and descriptors from 3 on;
 * a library dependency for that would outweigh the code), and matching a
 * given socket to a service line by name, else by address and kind.  A
 * socket is only ever compared, never bound: getsockname, SO_TYPE,
 * SO_DOMAIN and SO_ACCEPTCONN say what it is.
 */
#include "serve/inherit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/net.h"
#include "sys/sys.h"

/* More descriptors than any activator passes; a bound on a hostile count. */
#define FDS_MAX 4096
/* Addresses one URL may resolve to (a name with a v4 and a v6 address). */
#define ADDRS_MAX 16

struct sock {
	int fd;
	char *name; /* NULL: no name given */
	bool conn;  /* a connection to serve (--inetd), not a listener */
};

struct sipc__inherit {
	struct sock *v;
	size_t n, cap;
};

int sipc__inherit_new(struct sipc__inherit **poolp)
{
	struct sipc__inherit *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return -ENOMEM;
	*poolp = pool;
	return 0;
}

static int add(struct sipc__inherit *pool, int fd, const char *name, bool conn)
{
	char *copy = NULL;

	if (pool == NULL || fd < 0) {
		if (fd >= 0)
			sipc__sys_close(fd);
		return -EINVAL;
	}
	if (pool->n == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 8;
		struct sock *v = realloc(pool->v, cap * sizeof(*v));
		if (v == NULL)
			goto nomem;
		pool->v = v;
		pool->cap = cap;
	}
	if (name != NULL && (copy = strdup(name)) == NULL)
		goto nomem;
	pool->v[pool->n].fd = fd;
	pool->v[pool->n].name = copy;
	pool->v[pool->n].conn = conn;
	pool->n++;
	return 0;
nomem:
	sipc__sys_close(fd);
	return -ENOMEM;
}

int sipc__inherit_add(struct sipc__inherit *pool, int fd, const char *name)
{
	return add(pool, fd, name, false);
}

int sipc__inherit_add_connection(struct sipc__inherit *pool, int fd, const char *name)
{
	return add(pool, fd, name, true);
}

size_t sipc__inherit_count(const struct sipc__inherit *pool)
{
	return pool != NULL ? pool->n : 0;
}

void sipc__inherit_free(struct sipc__inherit *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->n; i++) {
		sipc__sys_close(pool->v[i].fd);
		free(pool->v[i].name);
	}
	free(pool->v);
	free(pool);
}

/* ---- the environment of sd_listen_fds(3) ---- */

static void unset_all(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* A whole decimal number in [1, max]: the value, or -1. */
static long whole(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > max)
		return -1;
	return v;
}

/* Checks the I-th name of LISTEN_FDNAMES (LEN bytes at P). */
static int check_name(const char *p, size_t len, size_t i, char *why, size_t whylen)
{
	if (len == 0) {
		snprintf(why, whylen, "LISTEN_FDNAMES: name %zu is empty", i + 1);
		return -1;
	}
	if (len > SIPC_INHERIT_NAME_MAX) {
		snprintf(why, whylen, "LISTEN_FDNAMES: name %zu is longer than %d characters",
			 i + 1, SIPC_INHERIT_NAME_MAX);
		return -1;
	}
	for (size_t k = 0; k < len; k++) {
		unsigned char ch = (unsigned char)p[k];
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(why, whylen,
				 "LISTEN_FDNAMES: name %zu holds a control character (byte %zu)",
				 i + 1, k + 1);
			return -1;
		}
	}
	return 0;
}

/* Splits NAMES into N names (colon-separated) into the pool's sockets. */
static int set_names(struct sipc__inherit *pool, const char *names, char *why, size_t whylen)
{
	const char *p = names;
	size_t i = 0;

	for (;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (i == pool->n) {
			snprintf(why, whylen, "LISTEN_FDNAMES: more names than LISTEN_FDS=%zu",
				 pool->n);
			return -1;
		}
		if (check_name(p, len, i, why, whylen) < 0)
			return -1;
		pool->v[i].name = strndup(p, len);
		if (pool->v[i].name == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		i++;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	if (i != pool->n) {
		snprintf(why, whylen, "LISTEN_FDNAMES: %zu name(s) for LISTEN_FDS=%zu", i, pool->n);
		return -1;
	}
	return 0;
}

int sipc__inherit_from_env(struct sipc__inherit **poolp, char *why, size_t whylen)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	struct sipc__inherit *pool = NULL;
	long pid, n;
	int rc = -1;

	*poolp = NULL;
	if (pid_s == NULL || fds_s == NULL) {
		unset_all();
		return 0;
	}
	pid = whole(pid_s, LONG_MAX);
	if (pid < 0) {
		snprintf(why, whylen, "LISTEN_PID: not a process id");
		goto out;
	}
	/* Meant for another process (a parent that did not clean up): the
	 * descriptors are not ours to touch. */
	if ((pid_t)pid != getpid()) {
		rc = 0;
		goto out;
	}
	n = whole(fds_s, FDS_MAX);
	if (n < 0 && strcmp(fds_s, "0") == 0) {
		rc = 0;
		goto out;
	}
	if (n < 0) {
		snprintf(why, whylen, "LISTEN_FDS: not a count of descriptors 1-%d", FDS_MAX);
		goto out;
	}
	if (sipc__inherit_new(&pool) < 0)
		goto nomem;
	for (long i = 0; i < n; i++) {
		int fd = SIPC_INHERIT_FDS_START + (int)i;
		if (fcntl(fd, F_GETFD) < 0) {
			snprintf(why, whylen, "LISTEN_FDS=%ld: descriptor %d is not open", n, fd);
			goto out;
		}
		/* The descriptors are ours now: no exec child inherits them. */
		(void)sipc__sys_set_cloexec(fd);
		if (sipc__inherit_add(pool, fd, NULL) < 0)
			goto nomem;
	}
	if (names != NULL && set_names(pool, names, why, whylen) < 0)
		goto out;
	*poolp = pool;
	pool = NULL;
	rc = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory");
out:
	/* On failure the pool closes what it took: a half-adopted set of
	 * sockets would be worse than none. */
	sipc__inherit_free(pool);
	unset_all();
	return rc;
}

/* ---- matching ---- */

bool sipc__inherit_names_line(const struct sipc_serve_line *line, const char *name)
{
	if (name == NULL)
		return false;
	/* The block's name (`service NAME { ... }`), the URL as written, or
	 * the service run there. */
	return (line->conf != NULL && line->conf->name != NULL &&
		strcmp(name, line->conf->name) == 0) ||
	       (line->argc > 0 && strcmp(name, line->argv[0]) == 0) ||
	       (line->argc > 1 && strcmp(name, line->argv[1]) == 0);
}

/* What a socket is, from the kernel. */
struct kind {
	int type, family, listening; /* listening: -1 unknown */
	sipc_addr local;             /* ss_family AF_UNSPEC: unknown */
};

static int kind_of_fd(int fd, sipc_scheme scheme, struct kind *k)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	memset(k, 0, sizeof(*k));
	k->listening = -1;
	k->local.ss.ss_family = AF_UNSPEC;
	rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &k->type);
	if (rc == 0)
		rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &k->family);
	if (rc < 0)
		return rc;
	if (sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &k->listening) < 0)
		k->listening = -1;
	if (sipc__sys_getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		(void)sipc_addr_from_sockaddr(&k->local, scheme, (struct sockaddr *)&ss, len);
	return 0;
}

static const char *family_word(int family)
{
	return family == AF_INET    ? "IPv4"
	       : family == AF_INET6 ? "IPv6"
	       : family == AF_UNIX  ? "unix"
				    : "other";
}

static const char *type_word(int type)
{
	return type == SOCK_STREAM      ? "stream"
	       : type == SOCK_DGRAM     ? "datagram"
	       : type == SOCK_SEQPACKET ? "seqpacket"
					: "other";
}

/* "IPv4 stream listener tcp://127.0.0.1:7007" into BUF. */
static void describe(int fd, char *buf, size_t len)
{
	struct kind k;
	char url[SIPC_URL_MAX] = "?";

	if (kind_of_fd(fd, SIPC_SCHEME_NONE, &k) < 0) {
		snprintf(buf, len, "not a socket");
		return;
	}
	k.local.scheme = k.type == SOCK_STREAM  ? (k.family == AF_UNIX ? SIPC_UNIX : SIPC_TCP)
			 : k.type == SOCK_DGRAM ? (k.family == AF_UNIX ? SIPC_UNIXGRAM : SIPC_UDP)
			 : k.type == SOCK_SEQPACKET ? SIPC_UNIXPACKET
						    : SIPC_SCHEME_NONE;
	if (k.local.ss.ss_family == AF_UNSPEC || sipc_addr_format(&k.local, url, sizeof(url)) < 0)
		snprintf(url, sizeof(url), "?");
	snprintf(buf, len, "%s %s %s %s", family_word(k.family), type_word(k.type),
		 k.type == SOCK_DGRAM ? "socket"
		 : k.listening == 1   ? "listener"
				      : "socket, not listening",
		 url);
}

static bool family_fits(sipc_scheme s, int family)
{
	if (sipc_scheme_is_unix(s))
		return family == AF_UNIX;
	if (s == SIPC_TCP4 || s == SIPC_UDP4 || s == SIPC_TLS4)
		return family == AF_INET;
	if (s == SIPC_TCP6 || s == SIPC_UDP6 || s == SIPC_TLS6)
		return family == AF_INET6;
	return family == AF_INET || family == AF_INET6;
}

/* Whether a socket of kind K can serve a line on SCHEME (CONN: as the
 * one connection of --inetd). */
static bool fits(const struct kind *k, sipc_scheme scheme, bool conn)
{
	int type = sipc_scheme_socktype(scheme);

	if (k->type != type || !family_fits(scheme, k->family))
		return false;
	return type == SOCK_DGRAM || k->listening == (conn ? 0 : 1);
}

/* Whether K's address is one of the N in ADDRS. */
static bool bound_to(const struct kind *k, const sipc_addr *addrs, int n)
{
	for (int i = 0; i < n; i++)
		if (sipc_addr_equal(&k->local, &addrs[i]))
			return true;
	return false;
}

static void take_at(struct sipc__inherit *pool, size_t i, int *fdp)
{
	*fdp = pool->v[i].fd;
	free(pool->v[i].name);
	/* The order stays: of two sockets with one name (two lines with the
	 * same URL as written), the first line takes the first. */
	memmove(&pool->v[i], &pool->v[i + 1], (pool->n - i - 1) * sizeof(pool->v[0]));
	pool->n--;
}

/* WHY: the socket at I of POOL cannot serve LINE (on SCHEME). */
static void wrong_kind(const struct sipc__inherit *pool, size_t i,
		       const struct sipc_serve_line *line, sipc_scheme scheme, char *why,
		       size_t whylen)
{
	char what[SIPC_URL_MAX + 64];
	int type = sipc_scheme_socktype(scheme);

	describe(pool->v[i].fd, what, sizeof(what));
	snprintf(why, whylen,
		 "%s: the socket named '%s' (descriptor %d: %s) cannot serve %s on %s://, which "
		 "needs a%s",
		 line->origin, pool->v[i].name, pool->v[i].fd, what,
		 line->argc > 1 ? line->argv[1] : "the service", sipc_scheme_name(scheme),
		 type == SOCK_STREAM      ? " stream listener"
		 : type == SOCK_SEQPACKET ? " seqpacket listener"
					  : " datagram socket");
}

/*
 * The first socket named for LINE that fits it (one bound to one of its
 * addresses first); -ENOENT when none does.  A name may stand for several
 * lines (systemd gives every socket of a unit its FileDescriptorName=, a
 * service name has a tcp and a udp line): a named socket of another kind
 * may be another line's, and only the end tells (sipc__inherit_check_rest).
 * A socket named with the line's URL as written is that line's alone: of
 * the wrong kind, it is an error at once (-EINVAL, WHY).
 */
static int take_by_name(struct sipc__inherit *pool, const struct sipc_serve_line *line,
			sipc_scheme scheme, const sipc_addr *addrs, int naddrs, int *fdp, char *why,
			size_t whylen)
{
	size_t best = pool->n, wrong = pool->n;
	struct kind k;

	for (size_t i = 0; i < pool->n; i++) {
		if (!sipc__inherit_names_line(line, pool->v[i].name))
			continue;
		if (kind_of_fd(pool->v[i].fd, scheme, &k) < 0 ||
		    !fits(&k, scheme, pool->v[i].conn)) {
			if (wrong == pool->n && strcmp(pool->v[i].name, line->argv[0]) == 0)
				wrong = i;
			continue;
		}
		if (best == pool->n || bound_to(&k, addrs, naddrs))
			best = i;
		if (bound_to(&k, addrs, naddrs))
			break;
	}
	if (best < pool->n) {
		take_at(pool, best, fdp);
		return 0;
	}
	if (wrong == pool->n)
		return -ENOENT;
	wrong_kind(pool, wrong, line, scheme, why, whylen);
	return -EINVAL;
}

int sipc__inherit_check_rest(const struct sipc__inherit *pool, const struct sipc_serve_line *lines,
			     size_t nlines, char *why, size_t whylen)
{
	for (size_t i = 0; pool != NULL && i < pool->n; i++) {
		for (size_t l = 0; l < nlines; l++) {
			sipc_url *url;
			if (!sipc__inherit_names_line(&lines[l], pool->v[i].name) ||
			    sipc_url_parse(lines[l].argv[0], &url, NULL, 0) < 0)
				continue;
			wrong_kind(pool, i, &lines[l], sipc_url_scheme(url), why, whylen);
			sipc_url_free(url);
			return -1;
		}
	}
	return 0;
}

int sipc__inherit_take(struct sipc__inherit *pool, const struct sipc_serve_line *line, int *fdp,
		       char *why, size_t whylen)
{
	sipc_addr addrs[ADDRS_MAX];
	char detail[SIPC_WHY_MAX];
	sipc_url *url;
	sipc_scheme scheme;
	int naddrs, rc;

	if (pool == NULL || pool->n == 0 || line->argc < 1)
		return -ENOENT;
	if (sipc_url_parse(line->argv[0], &url, detail, sizeof(detail)) < 0)
		return -ENOENT; /* the server's check names it */
	scheme = sipc_url_scheme(url);
	/* A URL that does not resolve (a name without DNS) can still be
	 * matched by name. */
	naddrs = sipc_url_resolve(url, true, addrs, ADDRS_MAX);
	sipc_url_free(url);
	if (naddrs < 0)
		naddrs = 0;
	rc = take_by_name(pool, line, scheme, addrs, naddrs, fdp, why, whylen);
	if (rc != -ENOENT)
		return rc;
	for (size_t i = 0; i < pool->n; i++) {
		struct kind k;
		/* A connection is matched by its name alone: another
		 * connection may have the same local address. */
		if (!pool->v[i].conn && kind_of_fd(pool->v[i].fd, scheme, &k) == 0 &&
		    fits(&k, scheme, false) && bound_to(&k, addrs, naddrs)) {
			take_at(pool, i, fdp);
			return 0;
		}
	}
	return -ENOENT;
}

void sipc__inherit_close_rest(struct sipc__inherit *pool, void (*warn)(void *arg, const char *what),
			      void *arg)
{
	char what[SIPC_URL_MAX + SIPC_INHERIT_NAME_MAX + 128], desc[SIPC_URL_MAX + 64];

	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->n; i++) {
		describe(pool->v[i].fd, desc, sizeof(desc));
		snprintf(what, sizeof(what), "descriptor %d%s%s%s (%s)", pool->v[i].fd,
			 pool->v[i].name ? " '" : "", pool->v[i].name ? pool->v[i].name : "",
			 pool->v[i].name ? "'" : "", desc);
		if (warn != NULL)
			warn(arg, what);
		sipc__sys_close(pool->v[i].fd);
		free(pool->v[i].name);
	}
	pool->n = 0;
}
