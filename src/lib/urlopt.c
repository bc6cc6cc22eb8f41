/*
 * urlopt.c - the socket options of an endpoint URL's query, parsed and
 * printed: "tcp://h:80?keepalive=30&rcvbuf=1M".  One table names every
 * option, its kind of value, its range and the schemes it means anything
 * on; parsing checks all of that up front, so that a configuration with a
 * wrong option fails when it is read (serve --check), not when the socket
 * is made.  Printing walks the same table in its order and writes each
 * value the way it parses (sizes with K or M when they divide evenly), so
 * that format(parse(text)) parses back to the same options.  What the
 * options do to a socket is sockopt.c's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "sockopt.h"
#include "url.h"
#include "why.h"

/* Which socket kinds an option means anything on. */
#define ON_TCP  1u /* tcp*, tls* */
#define ON_UDP  2u /* udp* */
#define ON_UNIX 4u /* unix, unixgram, unixpacket */
#define ON_SHM  8u /* shm: its own options only (the socket is a rendezvous) */
#define ON_IP   (ON_TCP | ON_UDP)
#define ON_ALL  (ON_IP | ON_UNIX)

enum vkind {
	V_BOOL,   /* 0 or 1 */
	V_NUM,    /* a decimal number */
	V_HEX,    /* decimal, or hexadecimal after 0x; printed in hex */
	V_SIZE,   /* a number of bytes, K or M (1024, 1048576) after it */
	V_IFNAME, /* an interface name */
	V_ADDR,   /* an IPv4 or IPv6 literal */
	V_POW2,   /* a V_SIZE that is a power of two */
	V_SPIN,   /* a number, or "always" (-1) */
};

static const struct optdef {
	const char *name;
	enum vkind kind;
	long long min, max;
	unsigned on;
	const char *on_text; /* the schemes of ON, for the error */
} defs[SIPC__OPT_COUNT] = {
	/* Linux's limits: MAX_TCP_KEEPIDLE/KEEPINTVL 32767, MAX_TCP_KEEPCNT
	 * 127, an IP TTL or TOS byte, a 32-bit mark. */
	[SIPC__OPT_KEEPALIVE] = {"keepalive", V_NUM, 1, 32767, ON_TCP, "tcp and tls"},
	[SIPC__OPT_KEEPINTVL] = {"keepintvl", V_NUM, 1, 32767, ON_TCP, "tcp and tls"},
	[SIPC__OPT_KEEPCNT] = {"keepcnt", V_NUM, 1, 127, ON_TCP, "tcp and tls"},
	[SIPC__OPT_RCVBUF] = {"rcvbuf", V_SIZE, 1, 1LL << 30, ON_ALL, "every scheme but shm"},
	[SIPC__OPT_SNDBUF] = {"sndbuf", V_SIZE, 1, 1LL << 30, ON_ALL, "every scheme but shm"},
	[SIPC__OPT_NODELAY] = {"nodelay", V_BOOL, 0, 1, ON_TCP, "tcp and tls"},
	[SIPC__OPT_REUSEPORT] = {"reuseport", V_BOOL, 0, 1, ON_IP, "tcp, tls and udp"},
	[SIPC__OPT_V6ONLY] = {"v6only", V_BOOL, 0, 1, ON_IP, "tcp, tls and udp"},
	[SIPC__OPT_TTL] = {"ttl", V_NUM, 1, 255, ON_IP, "tcp, tls and udp"},
	[SIPC__OPT_TOS] = {"tos", V_HEX, 0, 255, ON_IP, "tcp, tls and udp"},
	[SIPC__OPT_DEVICE] = {"device", V_IFNAME, 0, 0, ON_IP, "tcp, tls and udp"},
	[SIPC__OPT_MARK] = {"mark", V_HEX, 0, 0xffffffffLL, ON_IP, "tcp, tls and udp"},
	[SIPC__OPT_USER_TIMEOUT] = {"user_timeout", V_NUM, 0, INT_MAX, ON_TCP, "tcp and tls"},
	[SIPC__OPT_FASTOPEN] = {"fastopen", V_NUM, 0, 65535, ON_TCP, "tcp and tls"},
	[SIPC__OPT_LINGER] = {"linger", V_NUM, 0, 65535, ON_TCP, "tcp and tls"},
	[SIPC__OPT_IFACE] = {"iface", V_IFNAME, 0, 0, ON_UDP, "udp"},
	[SIPC__OPT_MCAST_TTL] = {"mcast_ttl", V_NUM, 0, 255, ON_UDP, "udp"},
	[SIPC__OPT_MCAST_LOOP] = {"mcast_loop", V_BOOL, 0, 1, ON_UDP, "udp"},
	[SIPC__OPT_SOURCE] = {"source", V_ADDR, 0, 0, ON_UDP, "udp"},
	[SIPC__OPT_BROADCAST] = {"broadcast", V_BOOL, 0, 1, ON_UDP, "udp"},
	/* ring.h's SIPC__RING_MIN..SIPC__RING_MAX; a second of spinning is
	 * already far past any use. */
	[SIPC__OPT_RING] = {"ring", V_POW2, 4096, 1LL << 30, ON_SHM, "shm"},
	[SIPC__OPT_SPIN] = {"spin", V_SPIN, 0, 1000000, ON_SHM, "shm"},
	/* Any size (the peer's is a power of two, the cap need not be). */
	[SIPC__OPT_RING_MAX] = {"ring_max", V_SIZE, 4096, 1LL << 30, ON_SHM, "shm"},
};

const char *sipc__urlopt_name(enum sipc__opt id)
{
	return id < SIPC__OPT_COUNT ? defs[id].name : "?";
}

static unsigned kind_of(sipc_scheme s)
{
	if (s == SIPC_SHM)
		return ON_SHM;
	if (sipc_scheme_is_unix(s))
		return ON_UNIX;
	return sipc_scheme_socktype(s) == SOCK_DGRAM ? ON_UDP : ON_TCP;
}

/* Digits only (no sign, no space), saturating above LLONG_MAX / 16 so a
 * long string is "out of range", never wrapped.  BASE 10 or 16. */
static bool digits(const char *s, size_t n, int base, long long *v)
{
	long long x = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		if (x < LLONG_MAX / 32)
			x = x * base + d;
	}
	*v = x;
	return true;
}

static int bad_value(const struct optdef *d, const char *v, size_t n, const char *what, char *why,
		     size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];

	sipc__why_set(why, whylen, "option %s: '%s' is not %s", d->name, sipc__url_quote(q, v, n),
		      what);
	return SIPC_EURL_OPTION;
}

static int parse_number(const struct optdef *d, const char *v, size_t n, long long *out, char *why,
			size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];
	long long x, mult = 1;
	bool ok;

	switch (d->kind) {
	case V_BOOL:
		if (n != 1 || (v[0] != '0' && v[0] != '1'))
			return bad_value(d, v, n, "0 or 1", why, whylen);
		*out = v[0] - '0';
		return 0;
	case V_HEX:
		if (n > 2 && v[0] == '0' && (v[1] | 0x20) == 'x')
			ok = digits(v + 2, n - 2, 16, &x);
		else
			ok = digits(v, n, 10, &x);
		if (!ok)
			return bad_value(d, v, n, "a number (decimal, or hexadecimal after 0x)",
					 why, whylen);
		break;
	case V_SPIN:
		if (n == 6 && memcmp(v, "always", 6) == 0) {
			*out = -1;
			return 0;
		}
		if (!digits(v, n, 10, &x))
			return bad_value(d, v, n, "a number of microseconds or 'always'", why,
					 whylen);
		break;
	case V_SIZE:
	case V_POW2:
		if (n > 1 && (v[n - 1] | 0x20) == 'k')
			mult = 1024;
		else if (n > 1 && (v[n - 1] | 0x20) == 'm')
			mult = 1024 * 1024;
		if (!digits(v, mult > 1 ? n - 1 : n, 10, &x))
			return bad_value(d, v, n, "a size (bytes, or K or M after the number)", why,
					 whylen);
		x = x > d->max ? d->max + 1 : x * mult;
		break;
	default:
		if (!digits(v, n, 10, &x))
			return bad_value(d, v, n, "a number", why, whylen);
		break;
	}
	if (x < d->min || x > d->max) {
		if (d->kind == V_SIZE || d->kind == V_POW2)
			sipc__why_set(why, whylen, "option %s: '%s' is out of range %lld-%lldM",
				      d->name, sipc__url_quote(q, v, n), d->min, d->max >> 20);
		else
			sipc__why_set(why, whylen, "option %s: '%s' is out of range %lld-%lld",
				      d->name, sipc__url_quote(q, v, n), d->min, d->max);
		return SIPC_EURL_OPTION;
	}
	if (d->kind == V_POW2 && (x & (x - 1)) != 0)
		return bad_value(d, v, n, "a power of two (4K, 64K, 1M...)", why, whylen);
	*out = x;
	return 0;
}

/* An interface name as the kernel takes it (dev_valid_name): 1 to 15
 * bytes, no '/', ':' or white space; here also nothing outside printable
 * ASCII, and no '%' or '&' that would read as URL syntax. */
static int parse_ifname(const struct optdef *d, const char *v, size_t n, char *out, char *why,
			size_t whylen)
{
	if (n == 0 || n >= IF_NAMESIZE)
		return bad_value(d, v, n, "an interface name (1 to 15 characters)", why, whylen);
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c <= 0x20 || c >= 0x7f || strchr("/:%&=?", c) != NULL)
			return bad_value(d, v, n, "an interface name", why, whylen);
	}
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* An IPv4 or IPv6 literal (brackets allowed), kept in inet_ntop's form
 * and of a family the scheme can use. */
static int parse_addr(sipc_scheme scheme, const struct optdef *d, const char *v, size_t n,
		      char *out, char *why, size_t whylen)
{
	char lit[INET6_ADDRSTRLEN + 2], q[SIPC__QUOTE_MAX + 4];
	unsigned char a[sizeof(struct in6_addr)];
	int fam = AF_INET;

	if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return bad_value(d, v, n, "an IPv4 or IPv6 address", why, whylen);
	memcpy(lit, v, n);
	lit[n] = '\0';
	if (inet_pton(AF_INET, lit, a) != 1) {
		fam = AF_INET6;
		if (inet_pton(AF_INET6, lit, a) != 1)
			return bad_value(d, v, n, "an IPv4 or IPv6 address", why, whylen);
	}
	if ((scheme == SIPC_UDP4 && fam != AF_INET) || (scheme == SIPC_UDP6 && fam != AF_INET6)) {
		sipc__why_set(why, whylen, "option %s: '%s' is not an %s address, as %s:// needs",
			      d->name, sipc__url_quote(q, v, n), fam == AF_INET ? "IPv6" : "IPv4",
			      sipc_scheme_name(scheme));
		return SIPC_EURL_OPTION;
	}
	inet_ntop(fam, a, out, INET6_ADDRSTRLEN);
	return 0;
}

static int parse_value(sipc_scheme scheme, enum sipc__opt id, const char *v, size_t n,
		       struct sipc__sockopts *o, char *why, size_t whylen)
{
	const struct optdef *d = &defs[id];

	switch (d->kind) {
	case V_IFNAME:
		return parse_ifname(d, v, n, id == SIPC__OPT_DEVICE ? o->device : o->iface, why,
				    whylen);
	case V_ADDR:
		return parse_addr(scheme, d, v, n, o->source, why, whylen);
	default:
		return parse_number(d, v, n, &o->num[id], why, whylen);
	}
}

static int find_opt(const char *name, size_t n)
{
	for (int i = 0; i < SIPC__OPT_COUNT; i++)
		if (strlen(defs[i].name) == n && memcmp(defs[i].name, name, n) == 0)
			return i;
	return -1;
}

static int unknown(const char *name, size_t n, bool unix_path, char *why, size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4], known[256] = "";

	for (int i = 0; i < SIPC__OPT_COUNT; i++) {
		strncat(known, i ? ", " : "", sizeof(known) - strlen(known) - 1);
		strncat(known, defs[i].name, sizeof(known) - strlen(known) - 1);
	}
	sipc__why_set(why, whylen, "unknown option '%s' (known: %s)%s", sipc__url_quote(q, name, n),
		      known, unix_path ? "; a '?' in a unix path is written %3F" : "");
	return SIPC_EURL_OPTION;
}

/* One NAME=VALUE of N bytes at P. */
static int parse_pair(sipc_scheme scheme, const char *p, size_t n, struct sipc__sockopts *o,
		      char *why, size_t whylen)
{
	bool unix_path = sipc_scheme_is_unix(scheme);
	const char *eq = memchr(p, '=', n);
	size_t nl = eq != NULL ? (size_t)(eq - p) : n;
	char q[SIPC__QUOTE_MAX + 4];
	int id = find_opt(p, nl);

	if (n == 0) {
		sipc__why_set(why, whylen, "empty option (an '&' or '?' with nothing after it)");
		return SIPC_EURL_OPTION;
	}
	if (id < 0)
		return unknown(p, nl, unix_path, why, whylen);
	if (eq == NULL) {
		sipc__why_set(why, whylen, "option %s has no value (write %s=VALUE)", defs[id].name,
			      defs[id].name);
		return SIPC_EURL_OPTION;
	}
	if (!(defs[id].on & kind_of(scheme))) {
		sipc__why_set(why, whylen, "option %s does not apply to %s:// (only to %s)",
			      defs[id].name, sipc_scheme_name(scheme), defs[id].on_text);
		return SIPC_EURL_OPTION;
	}
	if (sipc__opt_has(o, (enum sipc__opt)id)) {
		sipc__why_set(why, whylen, "option %s is given twice", defs[id].name);
		return SIPC_EURL_OPTION;
	}
	if (eq + 1 == p + n) {
		sipc__why_set(why, whylen, "option %s has an empty value (in '%s')", defs[id].name,
			      sipc__url_quote(q, p, n));
		return SIPC_EURL_OPTION;
	}
	int rc = parse_value(scheme, (enum sipc__opt)id, eq + 1, n - nl - 1, o, why, whylen);
	if (rc < 0)
		return rc;
	o->set |= 1u << id;
	return 0;
}

int sipc__urlopt_parse(sipc_scheme scheme, const char *query, size_t n, struct sipc__sockopts *out,
		       char *why, size_t whylen)
{
	struct sipc__sockopts o;
	size_t at = 0;

	memset(&o, 0, sizeof(o));
	/* "?" alone, "a=1&" and "a=1&&b=2" are all an empty option: a
	 * written query always means something. */
	for (;;) {
		const char *amp = memchr(query + at, '&', n - at);
		size_t len = amp != NULL ? (size_t)(amp - (query + at)) : n - at;
		int rc = parse_pair(scheme, query + at, len, &o, why, whylen);

		if (rc < 0)
			return rc;
		if (amp == NULL)
			break;
		at += len + 1;
	}
	/* The cap on the peer's ring is at least our own: a peer with the
	 * same URL must get through. */
	if (sipc__opt_has(&o, SIPC__OPT_RING) && sipc__opt_has(&o, SIPC__OPT_RING_MAX) &&
	    o.num[SIPC__OPT_RING_MAX] < o.num[SIPC__OPT_RING]) {
		char a[32], b[32];

		sipc__urlopt_pair(&o, SIPC__OPT_RING_MAX, a, sizeof(a));
		sipc__urlopt_pair(&o, SIPC__OPT_RING, b, sizeof(b));
		sipc__why_set(why, whylen,
			      "option %s is below %s: the cap on the peer's ring cannot be "
			      "under this side's own ring",
			      a, b);
		return SIPC_EURL_OPTION;
	}
	*out = o;
	return 0;
}

/* A size the way it parses: with M or K when it divides evenly. */
static int put_size(char *buf, size_t cap, long long v)
{
	if (v % (1024 * 1024) == 0)
		return snprintf(buf, cap, "%lldM", v / (1024 * 1024));
	if (v % 1024 == 0)
		return snprintf(buf, cap, "%lldK", v / 1024);
	return snprintf(buf, cap, "%lld", v);
}

/* Option ID's value of O the way it parses back. */
static void put_value(const struct sipc__sockopts *o, int id, char *val, size_t cap)
{
	switch (defs[id].kind) {
	case V_SIZE:
	case V_POW2:
		put_size(val, cap, o->num[id]);
		break;
	case V_SPIN:
		if (o->num[id] < 0)
			snprintf(val, cap, "always");
		else
			snprintf(val, cap, "%lld", o->num[id]);
		break;
	case V_HEX:
		snprintf(val, cap, "0x%llx", o->num[id]);
		break;
	case V_IFNAME:
		snprintf(val, cap, "%s", id == SIPC__OPT_DEVICE ? o->device : o->iface);
		break;
	case V_ADDR:
		snprintf(val, cap, "%s", o->source);
		break;
	default:
		snprintf(val, cap, "%lld", o->num[id]);
		break;
	}
}

void sipc__urlopt_pair(const struct sipc__sockopts *o, enum sipc__opt id, char *buf, size_t cap)
{
	char val[INET6_ADDRSTRLEN + 1];

	if (id >= SIPC__OPT_COUNT) {
		snprintf(buf, cap, "?");
		return;
	}
	put_value(o, id, val, sizeof(val));
	snprintf(buf, cap, "%s=%s", defs[id].name, val);
}

int sipc__urlopt_format(const struct sipc__sockopts *o, char *buf, size_t cap)
{
	size_t at = 0;

	if (cap == 0)
		return SIPC_EBUFSIZE;
	buf[0] = '\0';
	for (int i = 0; i < SIPC__OPT_COUNT; i++) {
		char val[INET6_ADDRSTRLEN + 1];
		int m;

		if (!sipc__opt_has(o, (enum sipc__opt)i))
			continue;
		put_value(o, i, val, sizeof(val));
		m = snprintf(buf + at, cap - at, "%c%s=%s", at == 0 ? '?' : '&', defs[i].name, val);
		if (m < 0 || (size_t)m >= cap - at)
			return SIPC_EBUFSIZE;
		at += (size_t)m;
	}
	return (int)at;
}
