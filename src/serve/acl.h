/*
 * acl.h - the --allow list of `sockipc serve`: IPv4 and IPv6 CIDR blocks a
 * peer must fall in.  An empty list allows everyone; unix peers are always
 * allowed (file permissions and --unix-mode guard those).
 */
#ifndef SIPC_SERVE_ACL_H
#define SIPC_SERVE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockipc.h"

struct sipc_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int prefix;
};

struct sipc_acl {
	struct sipc_cidr *v;
	size_t n;
};

/* Adds "10.0.0.0/8", "::1", "fe80::/10" (no prefix: the one address).
 * 0, or -1 with WHY naming what is wrong. */
int sipc__acl_add(struct sipc_acl *acl, const char *text, char *why, size_t whylen);
/* True when PEER may talk to the server.  IPv4-mapped IPv6 peers
 * (::ffff:a.b.c.d, from dual-stack listeners) match IPv4 blocks. */
bool sipc__acl_allows(const struct sipc_acl *acl, const sipc_addr *peer);
void sipc__acl_free(struct sipc_acl *acl);

#endif /* SIPC_SERVE_ACL_H */
