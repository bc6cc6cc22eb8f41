/*
 * proxyname.h - a host name a proxy client asked for, resolved without
 * blocking the worker's loop.  getaddrinfo(3) blocks, for seconds when a
 * name server is slow, and a worker's loop serves many clients: each
 * lookup runs on a small detached thread of its own, which calls the
 * library's resolver (sipc_url_resolve: the same getaddrinfo flags and
 * the same translated errors as every other lookup of the program) and
 * then makes an eventfd readable; the connection watches that descriptor
 * on its loop like any other.  A client that goes away first just drops
 * the lookup: the thread cannot be interrupted inside getaddrinfo, so the
 * job is freed by whichever of the two lets go of it last.  Why threads
 * and not getaddrinfo_a(3): glibc runs that on threads too, but its
 * cancel cannot stop a lookup under way either, and it leaves the bound
 * on them to a process-wide setting; here the bound is the program's.
 */
#ifndef SIPC_SERVE_PROXYNAME_H
#define SIPC_SERVE_PROXYNAME_H

#include "serve/dialer.h"
#include "sockipc.h"

/* Lookups under way at once in the process; one more is -EAGAIN. */
#define SIPC__PX_LOOKUPS_MAX 32
/* Longest name looked up (RFC 1035: 253 in text). */
#define SIPC__PX_NAME_MAX 253

struct sipc__px_lookup;

/* Whether NAME (N bytes) may be looked up: 1..253 letters, digits, '-',
 * '.' and '_', not starting with '-' or '.'.  Anything else (a NUL, a
 * newline, a space, '%', a URL's punctuation) is no host name. */
bool sipc__px_name_ok(const char *name, size_t n);
/* Starts looking up NAME (sipc__px_name_ok) for PORT.  0 and *LP, or
 * -EAGAIN when SIPC__PX_LOOKUPS_MAX are under way, or -errno. */
int sipc__px_lookup_start(const char *name, int port, struct sipc__px_lookup **lp);
/* The descriptor that becomes readable when the lookup is done. */
int sipc__px_lookup_fd(const struct sipc__px_lookup *l);
/* Once done: the addresses found (at most MAX) into OUT, their count, or
 * a negative code (SIPC_ERESOLVE_*); -EAGAIN while still running. */
int sipc__px_lookup_result(const struct sipc__px_lookup *l, sipc_addr *out, int max);
/* Lets go of L, done or not (the thread frees it if it still runs). */
void sipc__px_lookup_drop(struct sipc__px_lookup *l);

#endif /* SIPC_SERVE_PROXYNAME_H */
