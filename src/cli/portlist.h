/*
 * portlist.h - the port part of a scan URL: a comma-separated list of port
 * numbers, ranges (20-25) and service names (ssh, http), as nmap's -p and
 * nc's port ranges take them.  The library's URL parser takes one port;
 * scan alone needs a list, so the list grammar lives here, beside it.
 */
#ifndef SIPC_CLI_PORTLIST_H
#define SIPC_CLI_PORTLIST_H

#include <stddef.h>
#include <stdint.h>

/* Every port is 0..65535, so a list holds at most this many. */
#define SIPC_CLI_PORTS_MAX 65536

struct sipc_cli_portlist {
	uint16_t *ports; /* ascending, each port once */
	size_t n;
};

/*
 * Parses TEXT ("20-25,80,ssh") into *PL: ascending, duplicates merged (a
 * port named twice, or ranges that overlap, is scanned once).  Service
 * names are looked up in the services database for PROTO ("tcp" or
 * "udp"); a name that is itself the whole item wins over a range, so
 * "netbios-ns" is a name.  Range ends are numbers.  Returns 0, or -1 with a
 * sentence in WHY that quotes TEXT and names the bad item and what is wrong
 * with it ("bad port list '20-': range '20-' without an end"; bytes that
 * are not printable ASCII quoted as '?'); *PL is untouched then.
 * SIPC_CLI_PORTLIST_WHY holds any such sentence.  Thread-safe.
 */
#define SIPC_CLI_PORTLIST_WHY 256
int sipc_cli_portlist_parse(const char *text, const char *proto, struct sipc_cli_portlist *pl,
			    char *why, size_t whylen);
void sipc_cli_portlist_free(struct sipc_cli_portlist *pl);

/* The services database's name of PORT over PROTO into BUF, or "" when it
 * has none.  Thread-safe (getservbyport_r). */
const char *sipc_cli_port_service(int port, const char *proto, char *buf, size_t len);

#endif /* SIPC_CLI_PORTLIST_H */
