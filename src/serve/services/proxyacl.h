/*
 * proxyacl.h - what the proxy services (socks5, http-connect) decide
 * before they connect anywhere: where a client may go (--to, the list of
 * destination blocks and ports) and who the client is (--user, --users,
 * the user list checked in constant time).  The defaults are the safe
 * ones: loopback destinations only, since a proxy that forwards anywhere
 * is an open relay, and a destination list of `any` must be written out.
 * Only start-up code builds these; workers only read them.
 */
#ifndef SIPC_SERVE_PROXYACL_H
#define SIPC_SERVE_PROXYACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/acl.h"
#include "sockipc.h"

/* RFC 1929 gives a user name and a password one length byte each. */
#define SIPC__PX_CRED_MAX 255
/* Port ranges of one --to rule. */
#define SIPC__PX_PORT_RANGES 16

/* One --to rule: a block (or any address) and its ports (none: all). */
struct sipc__px_rule {
	struct sipc_acl net; /* one block; empty when ANY */
	bool any;
	int nports;
	uint16_t lo[SIPC__PX_PORT_RANGES], hi[SIPC__PX_PORT_RANGES];
};

struct sipc__px_rules {
	struct sipc__px_rule *v;
	size_t n;
	bool any; /* some rule opens every address */
};

/* Adds one --to value: "10.0.0.0/8", "10.0.0.0/8:80,443",
 * "[::1]:1-65535", "[fd00::/8]:443", "::1" (an IPv6 block without ports
 * needs no brackets), "any" or "any:443".  0, or -1 with WHY. */
int sipc__px_rules_add(struct sipc__px_rules *r, const char *text, char *why, size_t whylen);
/* The default list: 127.0.0.0/8 and ::1, any port. */
int sipc__px_rules_default(struct sipc__px_rules *r, char *why, size_t whylen);
/* Whether address A (with its port) may be reached.  An IPv4-mapped IPv6
 * address is matched as the IPv4 address it carries. */
bool sipc__px_rules_allow(const struct sipc__px_rules *r, const sipc_addr *a);
/* "127.0.0.0/8 any port, ::1/128 any port" for the start-up line. */
void sipc__px_rules_describe(const struct sipc__px_rules *r, char *buf, size_t len);
void sipc__px_rules_free(struct sipc__px_rules *r);

struct sipc__px_user {
	uint8_t name[SIPC__PX_CRED_MAX], pass[SIPC__PX_CRED_MAX];
	size_t nlen, plen;
};

struct sipc__px_users {
	struct sipc__px_user *v;
	size_t n;
};

/* Adds "NAME:PASSWORD" (one --user value, or one line of a --users file;
 * the first ':' ends the name, the password may hold more).  0, or -1
 * with WHY. */
int sipc__px_users_add(struct sipc__px_users *u, const char *text, char *why, size_t whylen);
/* Reads --users=FILE: one NAME:PASSWORD a line, blank lines and lines
 * starting with '#' left out.  An unreadable file, or a malformed line,
 * is -1 with WHY naming the file and the line. */
int sipc__px_users_load(struct sipc__px_users *u, const char *path, char *why, size_t whylen);
/* Whether NAME/PASS are one user's: every user is compared, each over the
 * longest possible length, so the time taken says nothing of which byte,
 * or which user, differed. */
bool sipc__px_users_check(const struct sipc__px_users *u, const uint8_t *name, size_t nlen,
			  const uint8_t *pass, size_t plen);
void sipc__px_users_free(struct sipc__px_users *u);

/* Decodes the base64 of an HTTP Basic credential (RFC 7617: padding
 * required, no line breaks) into OUT: its length, or -1 when TEXT is not
 * base64 or does not fit CAP. */
int sipc__px_base64_decode(const char *text, size_t len, uint8_t *out, size_t cap);

/* Peer-chosen bytes (a host name, a user name) as log text: every byte
 * that is not a letter, a digit or one of "-._~/:+,=@" as %XX, cut to
 * fit OUT.  The url module's escaper does the work. */
void sipc__px_escape(const void *bytes, size_t n, char *out, size_t cap);

#endif /* SIPC_SERVE_PROXYACL_H */
