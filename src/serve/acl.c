/*
 * acl.c - the --allow list: parsing CIDR blocks and matching a peer
 * against them.  Matching runs once per accepted connection or received
 * datagram, so it is a plain scan of a short list.
 */
#include "serve/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

void sipc__acl_free(struct sipc_acl *acl)
{
	free(acl->v);
	acl->v = NULL;
	acl->n = 0;
}
