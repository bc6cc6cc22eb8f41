/*
 * acl.h - who may talk to `sockipc serve`.
 *
 * IP peers: the --allow list, IPv4 and IPv6 CIDR blocks a peer must fall
 * in; an empty list allows everyone.  An IPv4-mapped block and an IPv4
 * block are the same rule on every listener family.
 *
 * Unix peers (unix, unixpacket): the credentials the kernel records at
 * connect (SO_PEERCRED: pid, uid and primary gid; supplementary groups
 * are not sent, so --allow-gid matches the primary gid only).  The
 * server's own uid is always admitted: it could do anything the server
 * does.  With --allow-uid or --allow-gid given, any other peer must have
 * a listed uid or gid, on every unix stream and seqpacket endpoint.
 * Without them, an endpoint admits everyone file permissions let in,
 * except an "own only" one (exec on an abstract name or on a path others
 * may connect to), which admits the server's own uid alone.
 */
#ifndef SIPC_SERVE_ACL_H
#define SIPC_SERVE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/net.h" /* uid_t, gid_t */

#include "sockipc.h"

struct sipc_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int prefix;
};

struct sipc_acl {
	struct sipc_cidr *v;
	size_t n;
	unsigned long *uids; /* --allow-uid */
	size_t nuids;
	unsigned long *gids; /* --allow-gid */
	size_t ngids;
};

/* Adds "10.0.0.0/8", "::1", "fe80::/10" (no prefix: the one address).
 * 0, or -1 with WHY naming what is wrong. */
int sipc__acl_add(struct sipc_acl *acl, const char *text, char *why, size_t whylen);
/* True when PEER may talk to the server.  IPv4-mapped IPv6 peers
 * (::ffff:a.b.c.d, from dual-stack listeners) match IPv4 blocks. */
bool sipc__acl_allows(const struct sipc_acl *acl, const sipc_addr *peer);
/* True when the list is not empty and every block lies in loopback or in
 * the network of one of this host's interface addresses: no peer beyond
 * the host and its own networks is served. */
bool sipc__acl_is_local(const struct sipc_acl *acl);
/* "127.0.0.0/8, ::1/128": the blocks, for log lines. */
void sipc__acl_describe(const struct sipc_acl *acl, char *buf, size_t len);
/* Adds "root,1000" (names looked up now with getpwnam / getgrnam, or
 * numbers) to --allow-uid or --allow-gid.  0, or -1 with WHY. */
int sipc__acl_add_uids(struct sipc_acl *acl, const char *text, char *why, size_t whylen);
int sipc__acl_add_gids(struct sipc_acl *acl, const char *text, char *why, size_t whylen);
/* True when --allow-uid or --allow-gid was given. */
bool sipc__acl_has_creds(const struct sipc_acl *acl);
/* True when a unix peer with UID and (primary) GID may talk to an
 * endpoint; OWN is the server's uid; OWN_ONLY: the endpoint admits only
 * OWN unless the lists say otherwise (see above). */
bool sipc__acl_cred_allows(const struct sipc_acl *acl, bool own_only, uid_t own, uid_t uid,
			   gid_t gid);
/* "uid 0 (the server's own), uid 65534,1000, gid 100": whom the uid and
 * gid rules admit, for the start-up line of an exec endpoint. */
void sipc__acl_cred_describe(const struct sipc_acl *acl, uid_t own, char *buf, size_t len);
void sipc__acl_free(struct sipc_acl *acl);

#endif /* SIPC_SERVE_ACL_H */
