/*
 * limits.h - the per-service access limits of `sockipc serve` at run time
 * (xinetd's instances, per_source, cps, only_from, no_access and
 * access_times; the values are the service's conf, svcconf.h).
 *
 * One `struct sipc__limits` per service (per distinct conf that has
 * lines), made by sipc__server_new and shared by every endpoint of the
 * service and every worker thread.  A connection is admitted once, at
 * accept (worker.c), and gets a ticket; the ticket is released exactly
 * once when the connection ends: by conn.c (event and thread models, and
 * exec, whose connection stays open while the child runs) or by the fork
 * parent when it reaps the connection's process (model_fork.c).
 *
 * Datagram endpoints have no connection to count: only only_from,
 * no_access and access_times apply to them, per datagram (dgram.c);
 * instances, per_source and cps are for stream and seqpacket endpoints.
 *
 * Sources for per_source: an IPv4 peer (or IPv4-mapped IPv6) by address,
 * an IPv6 peer by its first per_source_prefix6 bits, a unix peer by uid.
 * The table of sources is bounded (SIPC_LIMITS_SOURCES_MAX): beyond it a
 * new source is refused with that reason, so spoofed or many sources cost
 * bounded memory.
 */
#ifndef SIPC_SERVE_LIMITS_H
#define SIPC_SERVE_LIMITS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/guard.h"
#include "serve/svcconf.h"
#include "sockipc.h"

/* How many distinct sources one service tracks at once (per_source). */
#define SIPC_LIMITS_SOURCES_MAX 4096

/* A per_source key: the family and the (masked) address, or the uid. */
struct sipc__source {
	uint8_t family; /* AF_INET, AF_INET6, AF_UNIX (by uid), AF_UNSPEC */
	uint8_t a[16];
};

struct sipc__limits;

/* What an admitted connection holds; released once. */
struct sipc__ticket {
	struct sipc__limits *l; /* NULL: nothing held */
	struct sipc__source src;
	bool per_source; /* counted in the source table */
};

/* Who connects: the address, and a unix peer's credentials (NULL when
 * not a unix peer or unknown). */
struct sipc__peer {
	const sipc_addr *addr;
	const sipc_cred *cred;
};

/* The limits of CONF, or NULL (out of memory). */
struct sipc__limits *sipc__limits_new(const struct sipc_svc_conf *conf);
void sipc__limits_free(struct sipc__limits *l);
const struct sipc_svc_conf *sipc__limits_conf(const struct sipc__limits *l);

/* The local time as minutes since midnight, for access_times. */
int sipc__limits_minute_now(void);

/*
 * only_from, no_access and access_times: NULL when PEER may connect (or
 * send a datagram) at local time MINUTE, else why not ("not in
 * only_from", "in no_access", "outside access_times").  IP peers are
 * matched against the CIDR blocks, unix peers with credentials against
 * uid:/gid: (the server's own uid passes only_from, as with --allow-uid;
 * no_access names whom it refuses, the server's uid too).  Both come on
 * top of the global --allow.
 */
const char *sipc__limits_access(const struct sipc_svc_conf *conf, const struct sipc__peer *peer,
				int minute);

/* What sipc__limits_admit did. */
enum {
	SIPC_LIMITS_ADMITTED = 0,
	SIPC_LIMITS_REFUSED = 1, /* WHY says why */
	SIPC_LIMITS_PAUSED = 2,  /* refused, and this one began a cps pause */
};

/*
 * Admits a new connection from PEER at NOW_MS (CLOCK_MONOTONIC) and local
 * MINUTE (-1: take it now, only when access_times needs it): access,
 * cps, instances, per_source, in that order.  On ADMITTED *T holds what
 * must be released; otherwise *T holds nothing and WHY says why.
 * Thread-safe.
 */
int sipc__limits_admit(struct sipc__limits *l, const struct sipc__peer *peer, int64_t now_ms,
		       int minute, struct sipc__ticket *t, char *why, size_t whylen);
/* Gives back what T holds (nothing when T->l is NULL) and empties T, so a
 * second release does nothing.  Thread-safe. */
void sipc__limits_release(struct sipc__ticket *t);

/* cps: how long accepting stays paused from NOW_MS (0: not paused). */
int64_t sipc__limits_paused(struct sipc__limits *l, int64_t now_ms);
/* True once per pause, for the first caller at or after its end: that
 * caller writes the "accepting again" line. */
bool sipc__limits_pause_over(struct sipc__limits *l, int64_t now_ms);

/* Open connections of the service now (instances), and from SRC. */
long sipc__limits_instances(struct sipc__limits *l);
long sipc__limits_source_count(struct sipc__limits *l, const struct sipc__source *src);
/* The per_source key of PEER under CONF's IPv6 prefix. */
void sipc__limits_source_of(const struct sipc_svc_conf *conf, const struct sipc__peer *peer,
			    struct sipc__source *src);

/*
 * The refusal lines of the service under a flood: whether a refusal of a
 * connection from FROM at NOW_MS gets a line (guard.h's drop-line limiter,
 * one per service under its lock).  When it does, *MORE is the number of
 * refusals not logged since the last line written for the service.
 */
bool sipc__limits_log_take(struct sipc__limits *l, const sipc_addr *from, int64_t now_ms,
			   uint64_t *more);

#endif /* SIPC_SERVE_LIMITS_H */
