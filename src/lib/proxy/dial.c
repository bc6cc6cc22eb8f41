/*
 * dial.c - sipc_dial through a proxy (opts->proxy): the proxy's own
 * address is what the dial connects to, and once connected the handshake
 * of proxy.h runs to its end under the dial's one deadline, with poll on
 * the descriptor; then the dial goes on as for a direct connection (a
 * tls:// URL does its handshake over the tunnel, verified against the
 * destination's name, not the proxy's).  endpoint.c calls the two
 * functions here and nothing else of proxies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "endpoint.h"
#include "proxy/proxy.h"
#include "sys/sys.h"
#include "url.h"
#include "why.h"

int sipc__proxy_dial_prepare(const sipc_url *url, const sipc_options *opts,
			     struct sipc__proxy_dial *pd, sipc_addr *addrs, size_t max)
{
	char *why = opts->why;
	size_t whylen = opts->why != NULL ? opts->whylen : 0;
	sipc_url *pu;
	int rc;

	memset(pd, 0, sizeof(*pd));
	rc = sipc__proxy_url_parse(opts->proxy, &pd->px, why, whylen);
	if (rc < 0)
		return rc;
	rc = sipc__proxy_dest_make(&pd->px, url, &pd->dest, why, whylen);
	if (rc < 0)
		return rc;
	rc = sipc_url_parse(pd->px.endpoint, &pu, why, whylen);
	if (rc < 0)
		return rc;
	rc = sipc_url_resolve(pu, false, addrs, max);
	sipc_url_free(pu);
	if (rc < 0)
		sipc__why_set(why, whylen, "resolving the proxy %s", pd->px.shown);
	return rc;
}

/* The sentence of a failed handshake goes where a dial's failure puts
 * it: the endpoint, which the dial copies to opts->why. */
static int fail(sipc_endpoint *ep, int rc, const char *why)
{
	sipc__ep_why(ep, "%s", why);
	return rc;
}

int sipc__proxy_dial_run(sipc_endpoint *ep, struct sipc__proxy_dial *pd, int64_t deadline)
{
	struct sipc__proxy_hs hs;
	char why[SIPC_WHY_MAX] = "";
	int rc, w;

	sipc__proxy_start(&hs, &pd->px, &pd->dest, ep->trace, ep->trace_arg);
	/* Bounded: each pass makes progress or waits for what is left of
	 * the deadline, and a reply has a bounded length. */
	for (;;) {
		rc = sipc__proxy_step(&hs, ep->fd, why, sizeof(why));
		if (rc != SIPC__PROXY_WANT_READ && rc != SIPC__PROXY_WANT_WRITE)
			break;
		w = sipc__sys_wait(ep->fd, rc == SIPC__PROXY_WANT_READ ? POLLIN : POLLOUT,
				   deadline);
		if (w < 0) {
			rc = w;
			snprintf(why, sizeof(why), "waiting for the %s proxy's %s",
				 sipc__proxy_kind_name(pd->px.kind),
				 hs.replied ? "reply to end" : "reply");
			break;
		}
	}
	pd->answered = hs.replied;
	memset(&hs.out, 0, sizeof(hs.out)); /* it held the password */
	return rc < 0 ? fail(ep, rc, why) : 0;
}

void sipc__proxy_dial_unreached(const struct sipc__proxy_dial *pd, const sipc_options *opts, int rc)
{
	/* Connecting to the proxy itself failed: say so, or "Connection
	 * refused" would read as the destination's. */
	if (rc < 0 && !pd->answered && opts->why != NULL && opts->whylen > 0 &&
	    opts->why[0] == '\0')
		sipc__why_set(opts->why, opts->whylen, "connecting to the proxy at %s",
			      pd->px.endpoint);
}
