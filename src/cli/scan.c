/*
 * scan.c - `sockipc scan URL...`: which ports of a host answer, as
 * `nc -z` and a small `nmap -sT`/`-sU` tell.  The port part of each URL is
 * a list (portlist.c: "20-25,80,ssh"); the host is resolved once, and
 * every port is then probed at that one address with the library's dial
 * (scanprobe.c), so what connect would reach is what scan reports.
 *
 * The URL is taken apart here, not in the library: the library's URL has
 * one port.  Scheme and host are checked by the library's own parser (the
 * URL with port 0), so their errors read as everywhere else; a "?NAME=
 * VALUE" suffix (socket options) is kept as written and appended to every
 * probe's URL, so options apply to each probe.
 *
 * tls:// URLs are probed with a TCP connect and no handshake: a port that
 * accepts the connection is open whether or not it then speaks TLS (a
 * handshake would take a round trip more per port and only tell what
 * `sockipc connect tls://` tells better, with the certificate).
 *
 * Output follows nc -z -v and nmap: by default one line per port that may
 * be listening (open, and open|filtered for UDP), -v every port, -q none
 * (the exit status says it all, as nc -z without -v); a summary line on
 * stderr.  Exit 0 when some port is open, 1 when none is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "cli/portlist.h"
#include "cli/proxyopt.h"
#include "cli/scan.h"

/* Probes at once when --concurrency is not given... */
#define DEFAULT_CONCURRENCY 64
/* ...and UDP to a host other than this one, where the reply that says
 * "closed" is an ICMP error the kernel sends at a limited rate (see
 * udp_paced). */
#define DEFAULT_CONCURRENCY_UDP_REMOTE 1
/* Addresses of a name looked at (the first is scanned). */
#define MAX_ADDRS 16

static int timeout_ms = 1000;
static long concurrency = -1; /* -1: not given */
static long retries = 1;
static bool json;

static const struct sipc_opt opts_table[] = {
	{"timeout", 'w', SIPC__OPT_SECONDS, &timeout_ms, 1, 3600000, "S",
	 "give each connect, and each wait for a UDP reply, S seconds (default 1)"},
	{"concurrency", 0, SIPC__OPT_INT, &concurrency, 1, 1000, "N",
	 "probe at most N ports at once (default 64; UDP to another host: 1)"},
	{"retries", 'r', SIPC__OPT_INT, &retries, 0, 16, "N",
	 "UDP: send the probe again up to N times when nothing comes back (default 1)"},
	{"json", 0, SIPC__OPT_FLAG, &json, 0, 0, NULL,
	 "print one JSON document with every port on stdout"},
	SIPC_CLI_PROXY_OPT,
	{NULL},
};

static const struct sipc_opt_spec spec = {
	"scan",
	"[OPTIONS] URL...",
	"Probes the ports of each URL and reports each as open, closed (refused,\n"
	"or ICMP port unreachable for UDP), filtered (no answer in time, or the\n"
	"host is unreachable) or, for UDP, open|filtered (nothing came back).\n"
	"The port is a list of ports, ranges and service names:\n"
	"tcp://HOST:20-25,80,443, udp://HOST:53,ntp.  tls:// is probed with a TCP\n"
	"connect (no handshake).  Prints the open (and open|filtered) ports, -v\n"
	"every port, -q none; a summary on stderr.  Exit status 0 when a port is\n"
	"open, 1 when none is.",
	opts_table,
	1,
	-1,
	.refuse = SIPC__OPT_G_HEX,
};

/* A command-line URL while it is read: what scan.h keeps, and the
 * library's URL of its host (port 0) for the resolution. */
struct parsed {
	struct sipc_scan_target t;
	sipc_url *url;
	char *owned; /* the copy of the text the target's strings point into */
	bool skip;   /* the host did not resolve */
};

/* The scheme a tls* URL is probed with: its TCP. */
static const char *probe_scheme_of(sipc_scheme s)
{
	switch (s) {
	case SIPC_TLS:
		return "tcp";
	case SIPC_TLS4:
		return "tcp4";
	case SIPC_TLS6:
		return "tcp6";
	default:
		return sipc_scheme_name(s);
	}
}

/* Takes TEXT apart into scheme, host, port list and query (in P->owned);
 * checks scheme and host with the library's parser.  0, or the exit status
 * of a usage error after its message. */
static int parse_target(const char *text, struct parsed *p)
{
	char why[SIPC_WHY_MAX] = "", *s, *sep, *q, *colon, *base;
	const char *list;
	size_t blen;
	int rc;

	p->owned = s = strdup(text);
	if (s == NULL) {
		sipc_cli_error("scan: out of memory");
		return SIPC_EXIT_FAIL;
	}
	sep = strstr(s, "://");
	if (sep == NULL) {
		sipc_cli_error("scan: bad URL '%s': not SCHEME://HOST:PORTS (tcp://HOST:20-25,80)",
			       text);
		return SIPC_EXIT_USAGE;
	}
	*sep = '\0';
	/* Schemes are case-insensitive (RFC 3986 3.1), as the library reads
	 * them. */
	if (strcasecmp(s, "unix") == 0 || strcasecmp(s, "unixgram") == 0 ||
	    strcasecmp(s, "unixpacket") == 0) {
		sipc_cli_error("scan: bad URL '%s': %s:// sockets have paths, not ports to scan "
			       "(sockipc connect tests one)",
			       text, s);
		return SIPC_EXIT_USAGE;
	}
	p->t.host_text = sep + 3;
	q = strchr(sep + 3, '?');
	p->t.query = q != NULL ? text + (q - s) : "";
	if (q != NULL)
		*q = '\0';
	/* The port list follows the last ':' of HOST:PORTS, or the ':'
	 * right after a bracketed IPv6 address. */
	if (p->t.host_text[0] == '[') {
		char *rb = strchr(p->t.host_text, ']');

		colon = rb != NULL && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strrchr(p->t.host_text, ':');
	}
	if (colon == NULL || colon[1] == '\0') {
		sipc_cli_error("scan: bad URL '%s': missing ports after ':' (a port, a range or a "
			       "list: tcp://HOST:20-25,80,ssh)",
			       text);
		return SIPC_EXIT_USAGE;
	}
	*colon = '\0';
	list = colon + 1;

	/* The library's parser checks scheme, host and ?options of the URL
	 * with one port: first with port 0 for the scheme (which says how
	 * to read service names), then with the list's first port, so that
	 * a message that quotes the URL quotes a port the user wrote. */
	blen = strlen(s) + strlen(p->t.host_text) + strlen(p->t.query) + 16;
	base = malloc(blen);
	if (base == NULL) {
		sipc_cli_error("scan: out of memory");
		return SIPC_EXIT_FAIL;
	}
	snprintf(base, blen, "%s://%s:0%s", s, p->t.host_text, p->t.query);
	rc = sipc_url_parse(base, &p->url, why, sizeof(why));
	if (rc == SIPC_EURL_SCHEME) {
		free(base);
		sipc_cli_error("scan: bad URL '%s': %s", text, why[0] ? why : sipc_strerror(rc));
		return SIPC_EXIT_USAGE;
	}
	if (rc == 0)
		p->t.proto = sipc_scheme_is_datagram(sipc_url_scheme(p->url)) ? "udp" : "tcp";
	else
		p->t.proto = strncasecmp(s, "udp", 3) == 0 ? "udp" : "tcp";
	sipc_url_free(p->url);
	p->url = NULL;
	if (sipc_cli_portlist_parse(list, p->t.proto, &p->t.ports, why, sizeof(why)) < 0) {
		free(base);
		sipc_cli_error("scan: %s", why);
		return SIPC_EXIT_USAGE;
	}
	snprintf(base, blen, "%s://%s:%u%s", s, p->t.host_text, (unsigned)p->t.ports.ports[0],
		 p->t.query);
	rc = sipc_url_parse(base, &p->url, why, sizeof(why));
	free(base);
	if (rc < 0) {
		sipc_cli_error("scan: bad URL '%s': %s", text, why[0] ? why : sipc_strerror(rc));
		return SIPC_EXIT_USAGE;
	}
	p->t.text = text;
	p->t.scheme = sipc_scheme_name(sipc_url_scheme(p->url));
	p->t.probe_scheme = probe_scheme_of(sipc_url_scheme(p->url));
	p->t.udp = sipc_scheme_is_datagram(sipc_url_scheme(p->url));
	return 0;
}

/* Whether ADDR is a loopback address (127/8, ::1, ::ffff:127/104). */
static bool is_loopback(const sipc_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(in6) ||
		       (IN6_IS_ADDR_V4MAPPED(in6) && in6->s6_addr[12] == 127);
	}
	return false;
}

/*
 * Resolves P's host once, into P->t.host as the URL host of its first
 * address; the probes then dial that address, never the name again (a
 * name with many addresses would otherwise be probed at a different one
 * per port, as round-robin DNS hands them out).  0, or the library's code
 * after a message.  *LOOPBACK says whether the address is one of ours.
 *
 * With --proxy the name goes to the library as written: it resolves it
 * for socks5:// and socks4://, and sends it to the proxy for the others
 * (socks5h://: a name only the proxy's side knows).
 */
static int resolve_target(struct parsed *p, bool *loopback)
{
	sipc_addr addrs[MAX_ADDRS];
	char buf[SIPC_URL_MAX], *h, *end;
	int rc, n;

	*loopback = false;
	if (sipc_cli_proxy != NULL) {
		snprintf(p->t.host, sizeof(p->t.host), "%s", p->t.host_text);
		return 0;
	}
	n = sipc_url_resolve(p->url, false, addrs, MAX_ADDRS);
	if (n < 0) {
		sipc_cli_error("scan %s: %s", p->t.text, sipc_strerror(n));
		return n;
	}
	rc = sipc_addr_format(&addrs[0], buf, sizeof(buf));
	if (rc < 0) {
		sipc_cli_error("scan %s: %s", p->t.text, sipc_strerror(rc));
		return rc;
	}
	/* "tcp://[::1]:0" -> "[::1]" */
	h = strstr(buf, "://") + 3;
	end = strrchr(h, ':');
	*end = '\0';
	snprintf(p->t.host, sizeof(p->t.host), "%s", h);
	*loopback = is_loopback(&addrs[0]);
	if (n > 1)
		sipc_cli_notice("scan %s: the host has %d addresses; probing the first, %s",
				p->t.text, n, p->t.host);
	return 0;
}

/* What the report callback counts and prints to. */
struct out {
	size_t count[SIPC_SCAN_ERROR + 1];
	size_t printed; /* JSON elements so far */
};

static void print_json(const struct sipc_scan_probe *p, const char *url, const char *service,
		       struct out *o)
{
	const struct sipc_scan_target *t = p->t;
	char addr[SIPC_URL_MAX];
	const char *reason;
	size_t n = strlen(t->host);

	/* The address without brackets: "::1". */
	if (t->host[0] == '[' && n >= 2)
		snprintf(addr, sizeof(addr), "%.*s", (int)(n - 2), t->host + 1);
	else
		snprintf(addr, sizeof(addr), "%s", t->host);
	if (p->state == SIPC_SCAN_OPEN)
		reason = t->udp ? "reply" : "connected";
	else if (p->state == SIPC_SCAN_OPEN_FILTERED)
		reason = "no reply";
	else
		reason = sipc_strerror(p->code);
	printf("%s\n  {\"url\": ", o->printed++ ? "," : "");
	sipc_cli_json_str(stdout, url);
	printf(", \"scheme\": ");
	sipc_cli_json_str(stdout, t->scheme);
	printf(", \"host\": ");
	sipc_cli_json_str(stdout, t->host_text);
	printf(", \"address\": ");
	sipc_cli_json_str(stdout, addr);
	printf(", \"port\": %u, \"state\": \"%s\", \"service\": ", (unsigned)p->port,
	       sipc_scan_state_name(p->state));
	if (service[0] != '\0')
		sipc_cli_json_str(stdout, service);
	else
		printf("null");
	printf(", \"reason\": ");
	sipc_cli_json_str(stdout, reason);
	if (t->udp)
		printf(", \"datagrams\": %d", p->tries);
	printf("}");
}

static void report(const struct sipc_scan_probe *p, void *arg)
{
	struct out *o = arg;
	char url[SIPC_URL_MAX + 16], service[64];

	o->count[p->state]++;
	snprintf(url, sizeof(url), "%s://%s:%u", p->t->scheme, p->t->host, (unsigned)p->port);
	sipc_cli_port_service(p->port, p->t->proto, service, sizeof(service));
	if (p->state == SIPC_SCAN_ERROR)
		sipc_cli_error("scan %s: %s", url, sipc_strerror(p->code));
	if (json) {
		print_json(p, url, service, o);
	} else if (!sipc_cli_globals.quiet &&
		   (sipc_cli_globals.verbose || p->state == SIPC_SCAN_OPEN ||
		    p->state == SIPC_SCAN_OPEN_FILTERED)) {
		printf("%s %s%s%s\n", url, sipc_scan_state_name(p->state), service[0] ? " " : "",
		       service);
	}
	/* Line by line, so a long scan shows its open ports as it goes. */
	if (!json)
		fflush(stdout);
}

static void print_summary(const struct out *o, size_t n)
{
	if (sipc_cli_globals.quiet)
		return;
	fprintf(stderr,
		"sockipc: scan: %zu port%s: %zu open, %zu closed, %zu filtered, %zu open|filtered",
		n, n == 1 ? "" : "s", o->count[SIPC_SCAN_OPEN], o->count[SIPC_SCAN_CLOSED],
		o->count[SIPC_SCAN_FILTERED], o->count[SIPC_SCAN_OPEN_FILTERED]);
	if (o->count[SIPC_SCAN_ERROR] > 0)
		fprintf(stderr, ", %zu failed", o->count[SIPC_SCAN_ERROR]);
	fputc('\n', stderr);
}

/* Ends the JSON document: the URLs whose host did not resolve, the counts. */
static void print_json_end(const struct parsed *ps, int nt, const struct out *o, size_t n)
{
	bool first = true;

	printf("\n ],\n \"unresolved\": [");
	for (int i = 0; i < nt; i++) {
		if (!ps[i].skip)
			continue;
		printf("%s", first ? "" : ", ");
		sipc_cli_json_str(stdout, ps[i].t.text);
		first = false;
	}
	printf("],\n \"summary\": {\"ports\": %zu, \"open\": %zu, \"closed\": %zu, "
	       "\"filtered\": %zu, \"open|filtered\": %zu, \"error\": %zu}\n}\n",
	       n, o->count[SIPC_SCAN_OPEN], o->count[SIPC_SCAN_CLOSED],
	       o->count[SIPC_SCAN_FILTERED], o->count[SIPC_SCAN_OPEN_FILTERED],
	       o->count[SIPC_SCAN_ERROR]);
}

/* Resolves every target and lays out one probe per port, URL by URL in
 * port order.  Returns the probe array (*NP entries) or NULL. */
static struct sipc_scan_probe *plan(struct parsed *ps, int nt, size_t *np, bool *udp_remote)
{
	struct sipc_scan_probe *probes;
	size_t n = 0, k = 0;

	*udp_remote = false;
	for (int i = 0; i < nt; i++) {
		bool loopback = false;

		if (resolve_target(&ps[i], &loopback) < 0) {
			ps[i].skip = true;
			continue;
		}
		if (ps[i].t.udp && !loopback)
			*udp_remote = true;
		n += ps[i].t.ports.n;
	}
	probes = calloc(n > 0 ? n : 1, sizeof(*probes));
	if (probes == NULL)
		return NULL;
	for (int i = 0; i < nt; i++) {
		if (ps[i].skip)
			continue;
		for (size_t j = 0; j < ps[i].t.ports.n; j++) {
			probes[k].t = &ps[i].t;
			probes[k].port = ps[i].t.ports.ports[j];
			k++;
		}
	}
	*np = n;
	return probes;
}

int sipc_cmd_scan(int argc, char **argv)
{
	struct sipc_scan_cfg cfg;
	struct sipc_scan_probe *probes = NULL;
	struct parsed *ps;
	struct out o = {{0}};
	size_t n = 0;
	bool udp_remote;
	int nargs, rc, nt;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	nt = nargs;
	ps = calloc((size_t)nt, sizeof(*ps));
	if (ps == NULL) {
		sipc_cli_error("scan: out of memory");
		return SIPC_EXIT_FAIL;
	}
	/* Every URL is checked before anything is resolved or probed. */
	for (int i = 0; i < nt; i++) {
		sipc_options checked = {0};

		if ((rc = parse_target(argv[i + 1], &ps[i])) != 0 ||
		    (rc = sipc_cli_proxy_setup("scan", ps[i].url, &checked)) != 0)
			goto out;
	}
	probes = plan(ps, nt, &n, &udp_remote);
	if (probes == NULL) {
		sipc_cli_error("scan: out of memory");
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	cfg.timeout_ms = timeout_ms;
	cfg.retries = (int)retries;
	/*
	 * Linux sends ICMP errors at a limited rate (net.ipv4.icmp_ratelimit,
	 * net.ipv6.icmp.ratelimit: after a burst of 6, about one a second to
	 * each destination; icmp_msgs_per_sec overall), so a fast UDP scan of
	 * another host sees most closed ports as open|filtered.  Loopback is
	 * exempt (icmpv4_xrlim_allow and icmpv6_xrlim_allow let every error
	 * out on a loopback device; the test scans 1000 closed UDP ports of
	 * 127.0.0.1 and ::1 and finds each closed).  One probe at a time that
	 * waits a whole --timeout for each silent port, with a retry, lets the
	 * limit's bucket refill (one a second) before the retry.
	 */
	if (concurrency > 0)
		cfg.concurrency = (int)concurrency;
	else if (udp_remote)
		cfg.concurrency = DEFAULT_CONCURRENCY_UDP_REMOTE;
	else
		cfg.concurrency = DEFAULT_CONCURRENCY;
	if (udp_remote && concurrency < 0)
		sipc_cli_notice("scan: UDP to another host: one probe at a time, as its ICMP "
				"errors are rate-limited (--concurrency to change)");
	if (json)
		printf("{\n \"ports\": [");
	rc = sipc_scan_run(probes, n, &cfg, report, &o);
	if (rc < 0) {
		sipc_cli_error("scan: cannot start probing: %s", sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	if (json)
		print_json_end(ps, nt, &o, n);
	fflush(stdout);
	print_summary(&o, n);
	rc = o.count[SIPC_SCAN_OPEN] > 0 ? SIPC_EXIT_OK : SIPC_EXIT_FAIL;
out:
	for (int i = 0; i < nt; i++) {
		sipc_url_free(ps[i].url);
		sipc_cli_portlist_free(&ps[i].t.ports);
		free(ps[i].owned);
	}
	free(ps);
	free(probes);
	return rc;
}
