/*
 * resolve.c - `sockipc resolve HOST [SERVICE]`: prints what getaddrinfo
 * gives for HOST (and SERVICE, default port 0) as canonical URLs, one per
 * line, first over tcp:// then over udp://, each address once.  It asks
 * the library (sipc_url_resolve) rather than getaddrinfo itself, so what
 * it prints is exactly what connect and listen would try.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"

#define MAX_ADDRS 64

static const struct sipc_opt_spec spec = {
	"resolve",
	"[OPTIONS] HOST [SERVICE]",
	"Prints the addresses HOST (a name or an address) and SERVICE (a port\n"
	"number or a name from the services database; 0 when absent) resolve to,\n"
	"one canonical URL per line, for tcp:// and udp://, in the resolver's order.\n"
	"An unknown host is exit status 1.",
	NULL,
	1,
	2,
	/* getaddrinfo only: no socket call to trace, no data, no notice. */
	.refuse = SIPC__OPT_G_TRACE | SIPC__OPT_G_HEX | SIPC__OPT_G_VERBOSE,
};

/* Prints the addresses of HOST:SERVICE over SCHEME.  Returns the count
 * printed, or a negative code (SIPC_EURL_* when the URL is bad, with WHY). */
static int resolve_one(const char *scheme, const char *host, const char *service, char *why,
		       size_t whylen)
{
	char text[SIPC_URL_MAX + 64], buf[SIPC_URL_MAX];
	sipc_addr addrs[MAX_ADDRS];
	sipc_url *url = NULL;
	int n, printed = 0;
	/* An IPv6 literal needs brackets inside a URL; the user types it
	 * bare, as getent and dig take it. */
	bool bracket = strchr(host, ':') != NULL && host[0] != '[';

	snprintf(text, sizeof(text), "%s://%s%s%s:%s", scheme, bracket ? "[" : "", host,
		 bracket ? "]" : "", service);
	n = sipc_url_parse(text, &url, why, whylen);
	if (n < 0)
		return n;
	n = sipc_url_resolve(url, false, addrs, MAX_ADDRS);
	sipc_url_free(url);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = sipc_addr_equal(&addrs[i], &addrs[j]);
		if (seen || sipc_addr_format(&addrs[i], buf, sizeof(buf)) < 0)
			continue;
		printf("%s\n", buf);
		printed++;
	}
	return printed;
}

int sipc_cmd_resolve(int argc, char **argv)
{
	static const char *const schemes[] = {"tcp", "udp"};
	char why[SIPC_WHY_MAX] = "";
	const char *host, *service;
	int nargs, rc, total = 0, last_err = 0;
	bool bad_service = true;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	host = argv[1];
	service = nargs > 1 ? argv[2] : "0";
	if (host[0] == '\0') {
		sipc_cli_error("resolve: empty HOST");
		return SIPC_EXIT_USAGE;
	}

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		char w[SIPC_WHY_MAX] = "";

		rc = resolve_one(schemes[i], host, service, w, sizeof(w));
		if (rc == SIPC_EURL_SERVICE) {
			/* A service known over one protocol only (e.g. a name
			 * /etc/services lists for tcp alone) prints that one. */
			snprintf(why, sizeof(why), "%s", w);
			continue;
		}
		bad_service = false;
		if (rc <= SIPC_EURL_SYNTAX && rc >= SIPC_EURL_FAMILY) {
			sipc_cli_error("resolve: bad host or service '%s' '%s': %s", host, service,
				       w[0] ? w : sipc_strerror(rc));
			return SIPC_EXIT_USAGE;
		}
		if (rc < 0)
			last_err = rc;
		else
			total += rc;
	}
	fflush(stdout);
	if (bad_service) {
		sipc_cli_error("resolve: bad service '%s': %s", service, why);
		return SIPC_EXIT_USAGE;
	}
	if (total == 0) {
		sipc_cli_error("resolve %s: %s", host,
			       sipc_strerror(last_err ? last_err : SIPC_ERESOLVE_NOHOST));
		return SIPC_EXIT_FAIL;
	}
	return SIPC_EXIT_OK;
}
