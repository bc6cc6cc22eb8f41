/*
 * scan.h - what the two halves of `sockipc scan` share: scan.c reads the
 * command line (URLs, port lists, options) and prints the results;
 * scanprobe.c probes ports, a bounded number at a time, each through the
 * library's dial.
 */
#ifndef SIPC_CLI_SCAN_H
#define SIPC_CLI_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/portlist.h"
#include "sockipc.h"

/* What a probe found, in nmap's words. */
enum sipc_scan_state {
	SIPC_SCAN_PENDING = 0,   /* not probed yet */
	SIPC_SCAN_OPEN,          /* TCP: connected; UDP: a reply came */
	SIPC_SCAN_CLOSED,        /* TCP: refused (RST); UDP: ICMP port unreachable */
	SIPC_SCAN_FILTERED,      /* no answer in time, or host/net unreachable */
	SIPC_SCAN_OPEN_FILTERED, /* UDP: nothing came back at all */
	SIPC_SCAN_ERROR,         /* the probe itself failed (out of descriptors...) */
};

/* One URL of the command line, its host resolved once. */
struct sipc_scan_target {
	const char *text;         /* the URL as written, for messages */
	const char *scheme;       /* as written: "tls", "udp6" */
	const char *probe_scheme; /* what is dialed: tcp* for tls* (see scan.c) */
	const char *proto;        /* "tcp" or "udp": services database, JSON */
	bool udp;
	const char *host_text;   /* the host as written (JSON "host") */
	char host[SIPC_URL_MAX]; /* the address probed, as a URL host: "[::1]" */
	const char *query;       /* "?NAME=VALUE..." as written, or "" */
	struct sipc_cli_portlist ports;
};

struct sipc_scan_probe {
	const struct sipc_scan_target *t;
	uint16_t port;
	enum sipc_scan_state state; /* written once, under the pool's lock */
	int code;                   /* the library's code behind the state (0: open) */
	int tries;                  /* datagrams sent (UDP) */
};

struct sipc_scan_cfg {
	int timeout_ms;  /* each connect, and each wait for a UDP reply */
	int retries;     /* UDP: datagrams sent again when nothing came back */
	int concurrency; /* probes at once, at most */
};

/* Called by sipc_scan_run on its own thread for each probe in array
 * order, as soon as that probe and all before it are done. */
typedef void sipc_scan_report_fn(const struct sipc_scan_probe *p, void *arg);

/*
 * Probes P[0..N) with at most CFG->concurrency probes (threads, each
 * holding one socket) at once, and hands each result to REPORT in order.
 * Returns 0, or -errno when not even one thread could start.
 */
int sipc_scan_run(struct sipc_scan_probe *p, size_t n, const struct sipc_scan_cfg *cfg,
		  sipc_scan_report_fn *report, void *arg);

/* "open", "closed", "filtered", "open|filtered", "error". */
const char *sipc_scan_state_name(enum sipc_scan_state s);

#endif /* SIPC_CLI_SCAN_H */
