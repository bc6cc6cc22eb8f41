/*
 * guard.h - the loop guard of datagram endpoints.  Two echo or chargen
 * servers that answer each other bounce a datagram forever (a spoofed
 * source is enough to start it); xinetd once refused well-known source
 * ports for this reason.  A datagram is dropped, and counted, when its
 * source port is 0 or in the guarded set (default 0-1023), or its source
 * address is broadcast, multicast or unspecified.
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

/* Enabled, ports 0-1023. */
void sipc__guard_default(struct sipc_guard *g);
/* Replaces the port set with LIST: "0-1023,2049,5353" ("" or "none":
 * only port 0).  0, or -1 with WHY. */
int sipc__guard_set_ports(struct sipc_guard *g, const char *list, char *why, size_t whylen);
/* Why a datagram from FROM must be dropped ("source port 53", "multicast
 * source"), or NULL to serve it.  Unix sources are never dropped. */
const char *sipc__guard_check(const struct sipc_guard *g, const sipc_addr *from);

#endif /* SIPC_SERVE_GUARD_H */
