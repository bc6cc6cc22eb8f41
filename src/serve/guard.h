/*
 * guard.h - the loop guard of datagram endpoints.  Two echo or chargen
 * servers that answer each other bounce a datagram forever (a spoofed
 * source is enough to start it); xinetd once refused well-known source
 * ports for this reason.  A datagram is dropped, and counted, when
 *  - its source is one of this server's own udp endpoints (any of their
 *    bound addresses; a wildcard-bound one matches every local address):
 *    echo and chargen of one server would otherwise answer each other, or
 *    an echo itself;
 *  - its source port is 0, or, for the services that reflect (every one
 *    but forward, whose clients legitimately send from 53 or 123), in the
 *    guarded set: by default 0-1023 and the ports of sockipc's built-in
 *    configuration (7007, 7009, 7013, 7019, 7037), so that two servers,
 *    whatever their own ports, cannot be looped through those;
 *  - its source address is broadcast, multicast or unspecified.
 * Drops are logged at the default verbosity, rate-limited per source
 * (struct sipc_droplog), so a flood of them cannot flood the log.
 */
#ifndef SIPC_SERVE_GUARD_H
#define SIPC_SERVE_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "sockipc.h"

struct sipc_guard {
	bool enabled;
	uint8_t ports[65536 / 8]; /* bit set: datagrams from that port are dropped */
};

/* Enabled, ports 0-1023 and 7007, 7009, 7013, 7019, 7037. */
void sipc__guard_default(struct sipc_guard *g);
/* Replaces the port set with LIST: "0-1023,2049,5353" ("" or "none":
 * only port 0).  0, or -1 with WHY. */
int sipc__guard_set_ports(struct sipc_guard *g, const char *list, char *why, size_t whylen);
/* Why a datagram from FROM must be dropped ("guarded source port",
 * "multicast source address"), or NULL to serve it.  ANY_PORT (forward)
 * leaves out the guarded port set, not port 0.  Unix sources are never
 * dropped. */
const char *sipc__guard_check(const struct sipc_guard *g, const sipc_addr *from, bool any_port);

/* An IP address and port, IPv4 held as IPv4-mapped IPv6. */
struct sipc_guard_ip {
	uint8_t a[16];
	uint16_t port; /* host order */
	bool any;      /* bound to the wildcard address */
};

/* The server's own udp endpoints, and the machine's addresses that a
 * wildcard-bound one answers on.  Filled before the workers start, read
 * only afterwards (by every worker, without a lock). */
struct sipc_guard_self {
	struct sipc_guard_ip *own;
	size_t nown;
	struct sipc_guard_ip *local; /* getifaddrs() when an endpoint is wildcard-bound */
	size_t nlocal;
};

/* Adds a bound endpoint's local address (IP ones only): 0 or -ENOMEM. */
int sipc__guard_self_add(struct sipc_guard_self *s, const sipc_addr *bound);
/* Takes the machine's interface addresses when a wildcard-bound endpoint
 * needs them.  127.0.0.0/8 and ::1 are always local.  0 or a code. */
int sipc__guard_self_locals(struct sipc_guard_self *s);
/* True when FROM is one of the server's own udp endpoints. */
bool sipc__guard_is_self(const struct sipc_guard_self *s, const sipc_addr *from);
void sipc__guard_self_free(struct sipc_guard_self *s);
/* sipc_addr_equal, with an IPv4 address equal to its IPv4-mapped form (a
 * dual-stack socket sees the one, a URL gives the other). */
bool sipc__guard_same(const sipc_addr *a, const sipc_addr *b);

/* How often a drop from one source is logged, and how many drop lines a
 * worker writes per interval whatever the sources (a spoofed flood from
 * random addresses). */
#define SIPC_DROPLOG_INTERVAL_MS 1000
#define SIPC_DROPLOG_LINES       16
#define SIPC_DROPLOG_SLOTS       64

struct sipc_droplog {
	struct {
		sipc_addr from;
		int64_t since_ms;    /* when a line for FROM was last written */
		uint64_t suppressed; /* drops from FROM since, not logged */
	} slot[SIPC_DROPLOG_SLOTS];
	int64_t window_ms; /* start of the current interval of the line budget */
	unsigned lines;    /* lines written in it */
	uint64_t unlogged; /* drops over the budget, not logged */
};

/* Whether a drop from FROM at NOW_MS gets a log line.  When it does,
 * *SUPPRESSED is the number of drops from FROM not logged since its last
 * line, and *OTHERS those from any source left out by the line budget. */
bool sipc__droplog_take(struct sipc_droplog *dl, const sipc_addr *from, int64_t now_ms,
			uint64_t *suppressed, uint64_t *others);

#endif /* SIPC_SERVE_GUARD_H */
