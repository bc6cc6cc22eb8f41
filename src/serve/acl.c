/*
 * acl.c - who may talk to `sockipc serve`: the --allow list of CIDR blocks
 * matched against IP peers, and the --allow-uid / --allow-gid lists
 * matched against the credentials of unix peers.  Matching runs once per
 * accepted connection or received datagram, so it is a plain scan of a
 * short list.  IPv4 lives in one form only: an IPv4-mapped IPv6 block
 * (::ffff:a.b.c.d/96+n) is stored as the IPv4 block, and an IPv4 peer is
 * matched in both forms, so one rule means the same on tcp4, tcp6 and a
 * dual-stack listener.
 */
#include "serve/acl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"

int sipc__acl_add(struct sipc_acl *acl, const char *text, char *why, size_t whylen)
{
	struct sipc_cidr c = {0};
	char host[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	int max;

	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(why, whylen, "'%s': expected ADDRESS[/PREFIX]", text);
		return -1;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "'%s': '%s' is not an IPv4 or IPv6 address", text, host);
		return -1;
	}
	c.prefix = max;
	if (slash != NULL) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || v < 0 || v > max) {
			snprintf(why, whylen, "'%s': the prefix must be 0-%d", text, max);
			return -1;
		}
		c.prefix = (int)v;
	}
	/* ::ffff:127.0.0.1/128 is 127.0.0.1/32: a tcp4 listener's peers are
	 * plain IPv4, and the rule must match them too. */
	if (c.family == AF_INET6 && c.prefix >= 96 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)c.addr)) {
		memmove(c.addr, c.addr + 12, 4);
		memset(c.addr + 4, 0, 12);
		c.family = AF_INET;
		c.prefix -= 96;
	}
	struct sipc_cidr *v = realloc(acl->v, (acl->n + 1) * sizeof(*v));
	if (v == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	acl->v = v;
	acl->v[acl->n++] = c;
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool sipc__acl_allows(const struct sipc_acl *acl, const sipc_addr *peer)
{
	uint8_t v4[4], v6[16];
	bool has4 = false, has6 = false;

	if (acl->n == 0 || peer->ss.ss_family == AF_UNIX)
		return true;
	if (peer->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&peer->ss;
		memcpy(v4, &sin->sin_addr, 4);
		has4 = true;
		/* And as ::ffff:a.b.c.d, for blocks such as ::ffff:0:0/96 or
		 * ::/0 that cover the mapped range without being IPv4. */
		memset(v6, 0, 10);
		v6[10] = v6[11] = 0xff;
		memcpy(v6 + 12, v4, 4);
		has6 = true;
	} else if (peer->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&peer->ss;
		memcpy(v6, &sin6->sin6_addr, 16);
		has6 = true;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(v4, v6 + 12, 4);
			has4 = true;
		}
	}
	for (size_t i = 0; i < acl->n; i++) {
		const struct sipc_cidr *c = &acl->v[i];
		if (c->family == AF_INET && has4 && prefix_match(c->addr, v4, c->prefix))
			return true;
		if (c->family == AF_INET6 && has6 && prefix_match(c->addr, v6, c->prefix))
			return true;
	}
	return false;
}

/* Whether block C lies inside NET/BITS of the same family. */
static bool block_within(const struct sipc_cidr *c, int family, const uint8_t *net, int bits)
{
	return c->family == family && c->prefix >= bits && prefix_match(c->addr, net, bits);
}

/* Whether block C lies inside the network of one of this host's
 * interface addresses. */
static bool within_own_net(const struct sipc_cidr *c, const struct sipc__if_addr *ifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ifs[i].family == c->family &&
		    block_within(c, c->family, ifs[i].addr, ifs[i].prefix))
			return true;
	return false;
}

bool sipc__acl_is_local(const struct sipc_acl *acl)
{
	static const uint8_t lo4[4] = {127, 0, 0, 0};
	static const uint8_t lo6[16] = {[15] = 1};
	struct sipc__if_addr *ifs = NULL;
	size_t nifs = 0;
	bool local = acl->n > 0;

	if (sipc__sys_if_addrs(&ifs, &nifs) < 0)
		nifs = 0;
	for (size_t i = 0; i < acl->n && local; i++) {
		const struct sipc_cidr *c = &acl->v[i];
		local = block_within(c, AF_INET, lo4, 8) || block_within(c, AF_INET6, lo6, 128) ||
			within_own_net(c, ifs, nifs);
	}
	free(ifs);
	return local;
}

void sipc__acl_describe(const struct sipc_acl *acl, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < acl->n && used < len; i++) {
		char host[INET6_ADDRSTRLEN];
		const struct sipc_cidr *c = &acl->v[i];
		int k;

		if (inet_ntop(c->family, c->addr, host, sizeof(host)) == NULL)
			snprintf(host, sizeof(host), "?");
		k = snprintf(buf + used, len - used, "%s%s/%d", i ? ", " : "", host, c->prefix);
		if (k < 0)
			return;
		used += (size_t)k;
	}
}

/* One item of --allow-uid / --allow-gid: a number or a name.  0 and *ID,
 * or -1 with WHY. */
static int parse_id(const char *item, bool group, unsigned long *id, char *why, size_t whylen)
{
	char *end, name[256];
	unsigned uid = 0, gid = 0;
	int err;

	if (*item >= '0' && *item <= '9') {
		errno = 0;
		unsigned long v = strtoul(item, &end, 10);
		if (*end != '\0' || errno != 0 || v >= (unsigned long)(uid_t)-1) {
			snprintf(why, whylen, "'%s' is not a %s id", item,
				 group ? "group" : "user");
			return -1;
		}
		*id = v;
		return 0;
	}
	err = group ? sipc__sys_group(item, name, sizeof(name), &gid)
		    : sipc__sys_user(item, name, sizeof(name), &uid, &gid);
	if (err == 0) {
		*id = group ? gid : uid;
		return 0;
	}
	if (err == -ENOENT)
		snprintf(why, whylen, "no %s named '%s'", group ? "group" : "user", item);
	else
		snprintf(why, whylen, "%s '%s': %s", group ? "group" : "user", item,
			 sipc_strerror(err));
	return -1;
}

static int add_ids(const char *text, bool group, unsigned long **vp, size_t *np, char *why,
		   size_t whylen)
{
	char item[256];
	const char *p = text;

	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned long id, *v;

		if (len == 0 || len >= sizeof(item)) {
			snprintf(why, whylen, "'%s': expected a comma-separated list of %s", text,
				 group ? "group names or gids" : "user names or uids");
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_id(item, group, &id, why, whylen) < 0)
			return -1;
		v = realloc(*vp, (*np + 1) * sizeof(*v));
		if (v == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		*vp = v;
		v[(*np)++] = id;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

int sipc__acl_add_uids(struct sipc_acl *acl, const char *text, char *why, size_t whylen)
{
	return add_ids(text, false, &acl->uids, &acl->nuids, why, whylen);
}

int sipc__acl_add_gids(struct sipc_acl *acl, const char *text, char *why, size_t whylen)
{
	return add_ids(text, true, &acl->gids, &acl->ngids, why, whylen);
}

bool sipc__acl_has_creds(const struct sipc_acl *acl)
{
	return acl->nuids > 0 || acl->ngids > 0;
}

static bool has_id(const unsigned long *v, size_t n, unsigned long id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

bool sipc__acl_cred_allows(const struct sipc_acl *acl, bool own_only, uid_t own, uid_t uid,
			   gid_t gid)
{
	if (uid == own)
		return true;
	if (sipc__acl_has_creds(acl))
		return has_id(acl->uids, acl->nuids, uid) || has_id(acl->gids, acl->ngids, gid);
	return !own_only;
}

/* Appends " NAME a,b,c" for a non-empty list. */
static void describe_ids(char *buf, size_t len, const char *name, const unsigned long *v, size_t n)
{
	size_t used = strlen(buf);

	for (size_t i = 0; i < n && used < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%lu", i == 0 ? name : ",", v[i]);
		if (k < 0)
			return;
		used += (size_t)k;
	}
}

void sipc__acl_cred_describe(const struct sipc_acl *acl, uid_t own, char *buf, size_t len)
{
	snprintf(buf, len, "uid %lu (the server's own)", (unsigned long)own);
	describe_ids(buf, len, ", uid ", acl->uids, acl->nuids);
	describe_ids(buf, len, ", gid ", acl->gids, acl->ngids);
}

void sipc__acl_free(struct sipc_acl *acl)
{
	free(acl->v);
	free(acl->uids);
	free(acl->gids);
	memset(acl, 0, sizeof(*acl));
}
