/*
 * xinetd_map.c - writes the services xinetd.c read as `sockipc serve`
 * configuration blocks (svcconf.h, configfile.c), each with its effective
 * attributes (xinetd_fold.c) folded in, so it means the same whatever the
 * order of the blocks.  Every value written is checked with the very
 * parser that will read it back (sipc__svc_conf_set); what cannot be
 * carried over, or only in part, gets one line on the diagnostic stream
 * and a comment in the block; a service sockipc cannot run is left out
 * with a reason.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/acl.h"
#include "serve/config.h"
#include "serve/svcconf.h"
#include "serve/xinetd_map.h"

/* ---- writing a block ---- */

/* " WORD", quoted only when the splitter of -e lines would change it
 * (svcconf.c's printer quotes the brackets of IPv6 URLs too). */
static void print_word(FILE *f, const char *w)
{
	bool plain = *w != '\0';

	for (const char *p = w; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/._-:=+,@%[]", *p) == NULL)
			plain = false;
	if (plain)
		fprintf(f, " %s", w);
	else
		sipc__svc_conf_print_word(f, w);
}

static void put_line(struct sipc__xsvc *s, const char *key, const char *const *words, int n)
{
	fprintf(s->body, "\t%-14s =", key);
	for (int i = 0; i < n; i++)
		print_word(s->body, words[i]);
	fputc('\n', s->body);
}

/* Writes KEY = WORDS once the parser that reads it back takes it. */
static void put_checked(struct sipc__xsvc *s, const char *key, const struct sipc_xattr *at,
			const char *const *words, int n)
{
	struct sipc_svc_conf *scratch = sipc__svc_conf_new("x", "x");
	char why[300];

	if (scratch == NULL) {
		s->c->oom = true;
		return;
	}
	if (n == 0)
		sipc__xinetd_value_error(s->c, s, at, "a value is missing");
	else if (sipc__svc_conf_set(scratch, key, (char *const *)words, n, false, why,
				    sizeof(why)) < 0)
		sipc__xinetd_value_error(s->c, s, at, "%s", why);
	else
		put_line(s, key, words, n);
	sipc__svc_conf_free(scratch);
}

static void put_eff(struct sipc__xsvc *s, int id, const char *key)
{
	if (s->e[id].set)
		put_checked(s, key, s->e[id].at, s->e[id].v, s->e[id].n);
}

static void refuse(struct sipc__xsvc *s, const char *fmt, ...) SIPC__PRINTF(2, 3);

static void refuse(struct sipc__xsvc *s, const char *fmt, ...)
{
	va_list ap;

	if (s->skip != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s->skipbuf, sizeof(s->skipbuf), fmt, ap);
	va_end(ap);
	s->skip = s->skipbuf;
}

static bool yes_no(struct sipc__xsvc *s, int id, bool dflt)
{
	const struct sipc__xeff *e = &s->e[id];

	if (!e->set || e->n == 0)
		return dflt;
	if (e->n == 1 && strcasecmp(e->v[0], "yes") == 0)
		return true;
	if (e->n == 1 && strcasecmp(e->v[0], "no") == 0)
		return false;
	sipc__xinetd_value_error(s->c, s, e->at, "'%s' is not yes or no", e->v[0]);
	return dflt;
}

static const char *one(struct sipc__xsvc *s, int id)
{
	const struct sipc__xeff *e = &s->e[id];

	if (!e->set)
		return NULL;
	if (e->n != 1) {
		sipc__xinetd_value_error(s->c, s, e->at, "takes one value, not %d", e->n);
		return NULL;
	}
	return e->v[0];
}

/* A port number, or -1 after an error. */
static int port_of(struct sipc__xsvc *s, const struct sipc_xattr *at, const char *text)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535) {
		sipc__xinetd_value_error(s->c, s, at, "'%.60s' is not a port number (1-65535)",
					 text);
		return -1;
	}
	return (int)v;
}

/* HOST as a URL's host part: an IPv6 literal in brackets; a name or an
 * IPv4 address as it is.  NULL after an error. */
static const char *url_host(struct sipc__xsvc *s, const struct sipc_xattr *at, const char *host,
			    char *buf, size_t len)
{
	for (const char *p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-_:%", *p) == NULL) {
			sipc__xinetd_value_error(s->c, s, at,
						 "'%.60s' is not an address or a host name", host);
			return NULL;
		}
	snprintf(buf, len, strchr(host, ':') ? "[%s]" : "%s", host);
	return buf;
}

static const char *const internals[] = {"echo", "discard", "chargen", "daytime", "time"};

/* The flags: what they change here (FAMILY 4 or 6, DISABLE, NAMEINARGS);
 * what has no equivalent, a line each. */
static void read_flags(struct sipc__xsvc *s, int *family, bool *nameinargs)
{
	static const struct {
		const char *name;
		const char *reason; /* NULL: handled, or what sockipc does anyway */
	} known[] = {
		{"IPv4", NULL},
		{"IPv6", NULL},
		{"DISABLE", NULL},
		{"NAMEINARGS", NULL},
		{"NOLIBWRAP", NULL}, /* sockipc never consults tcp_wrappers */
		{"REUSE", NULL},     /* sockipc's TCP listeners set SO_REUSEADDR always */
		{"NODELAY", NULL},   /* and every TCP connection TCP_NODELAY (tcp.c) */
		{"INTERCEPT", "sockipc checks only_from / no_access itself; there is no "
			      "intercepting process"},
		{"NORETRY", "sockipc has no setting for retrying a failed fork"},
		{"IDONLY", "sockipc makes no RFC 1413 ident lookups"},
		{"KEEPALIVE", "sockipc has no per-service SO_KEEPALIVE setting"},
		{"SENSOR", "sockipc has no sensor services (a connection that bans its source)"},
		{"LABELED", "sockipc does not change SELinux contexts"},
	};
	const struct sipc__xeff *e = &s->e[A_FLAGS];

	for (int i = 0; i < e->n; i++) {
		size_t k;
		char what[96];

		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcasecmp(e->v[i], known[k].name) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0])) {
			sipc__xinetd_value_error(s->c, s, e->at, "unknown flag '%.40s'", e->v[i]);
		} else if (known[k].reason != NULL) {
			snprintf(what, sizeof(what), "flag '%s'", known[k].name);
			sipc__xinetd_unsupported(s->c, s, e->at, what, known[k].reason);
		} else if (k <= 1) {
			*family = k == 0 ? 4 : 6;
		} else if (k == 2) {
			s->disabled = true;
		} else if (k == 3) {
			*nameinargs = true;
		}
	}
}

/* type: what is not a service sockipc can run is refused here. */
static void check_type(struct sipc__xsvc *s)
{
	const struct sipc__xeff *t = &s->e[A_TYPE];

	for (int i = 0; i < t->n; i++)
		if (strcasecmp(t->v[i], "INTERNAL") != 0 && strcasecmp(t->v[i], "UNLISTED") != 0 &&
		    strcasecmp(t->v[i], "RPC") != 0 && strcasecmp(t->v[i], "TCPMUX") != 0 &&
		    strcasecmp(t->v[i], "TCPMUXPLUS") != 0)
			sipc__xinetd_value_error(s->c, s, t->at, "unknown type '%.40s'", t->v[i]);
	if (sipc__xinetd_eff_has(t, "RPC"))
		refuse(s, "RPC services (type = RPC) are not supported: sockipc registers "
			  "nothing with the portmapper");
	else if (sipc__xinetd_eff_has(t, "TCPMUX") || sipc__xinetd_eff_has(t, "TCPMUXPLUS"))
		refuse(s, "TCPMUX services (type = TCPMUX, RFC 1078) are not supported");
}

/* run = echo (daytime, ...): xinetd's internal services by their name. */
static void put_internal(struct sipc__xsvc *s, bool stream, bool wait)
{
	const char *name = s->b->name;
	size_t k;

	for (k = 0; k < sizeof(internals) / sizeof(internals[0]); k++)
		if (strcmp(name, internals[k]) == 0)
			break;
	if (k == sizeof(internals) / sizeof(internals[0])) {
		refuse(s,
		       "xinetd's internal service '%.60s' has no sockipc equivalent (internal: "
		       "echo, discard, chargen, daytime, time)",
		       name);
		return;
	}
	put_line(s, "run", &internals[k], 1);
	if (stream && wait) {
		/* One client at a time is what wait = yes gives a stream. */
		const char *w[] = {"1"};

		fprintf(s->body, "\t# wait = yes: one client at a time\n");
		put_line(s, "instances", w, 1);
		s->e[A_INSTANCES].set = false;
	}
}

/* run = forward tcp://HOST:PORT, from redirect = HOST PORT. */
static void put_redirect(struct sipc__xsvc *s, bool stream)
{
	const struct sipc__xeff *r = &s->e[A_REDIRECT];
	char host[300], url[400];
	int port;

	if (!stream) {
		refuse(s, "redirect forwards tcp connections; this service is dgram");
		return;
	}
	if (r->n != 2) {
		sipc__xinetd_value_error(s->c, s, r->at, "expected 'HOST PORT', not %d values",
					 r->n);
		return;
	}
	if (url_host(s, r->at, r->v[0], host, sizeof(host)) == NULL ||
	    (port = port_of(s, r->at, r->v[1])) < 0)
		return;
	snprintf(url, sizeof(url), "tcp://%s:%d", host, port);
	const char *w[] = {"forward", url};
	put_line(s, "run", w, 2);
	if (s->e[A_SERVER].set)
		sipc__xinetd_unsupported(s->c, s, s->e[A_SERVER].at, "attribute 'server'",
					 "redirect takes priority over it (xinetd.conf(5))");
}

/* run = exec SERVER ARGS..., for what sockipc's exec can serve: one
 * stream connection per process (wait = no). */
static void put_exec(struct sipc__xsvc *s, bool stream, bool wait)
{
	const struct sipc__xeff *a = &s->e[A_SERVER_ARGS];
	const char *server, **w;
	int n = 0, first = 0;

	if (!stream) {
		refuse(s, "a datagram server reads its socket itself (wait = yes); sockipc's "
			  "exec serves stream connections only");
		return;
	}
	if (wait) {
		refuse(s, "wait = yes: the server accepts connections itself from the listening "
			  "socket; sockipc accepts each connection and starts the server on it "
			  "(wait = no)");
		return;
	}
	if ((server = one(s, A_SERVER)) == NULL)
		return;
	if ((w = calloc((size_t)a->n + 3, sizeof(*w))) == NULL) {
		s->c->oom = true;
		return;
	}
	if (s->nameinargs && a->n > 0) {
		char what[200];

		first = 1;
		snprintf(what, sizeof(what), "flag 'NAMEINARGS' (argv[0] '%.60s')", a->v[0]);
		sipc__xinetd_unsupported(s->c, s, s->e[A_FLAGS].at, what,
					 "exec starts PROGRAM with its own path as argv[0]; the "
					 "remaining server_args are carried over");
	}
	w[n++] = "exec";
	w[n++] = server;
	for (int i = first; i < a->n; i++)
		w[n++] = a->v[i];
	put_line(s, "run", w, n);
	free(w);
	if (!s->e[A_USER].set) {
		char who[160];

		/* xinetd.conf(5) requires it of a server, and serve run as root
		 * refuses an exec service without it too. */
		sipc__xinetd_diag(s->c, s->b->file, s->b->line,
				  sipc__xinetd_who(s, who, sizeof(who)),
				  "no user: xinetd refuses a server without one, and so does "
				  "sockipc serve run as root (write 'user = root' to mean it); "
				  "disabled");
		s->c->m->warnings++;
		/* xinetd would not run it: neither does the converted file
		 * until someone says whom it runs as. */
		fprintf(s->body, "\t# no user: disabled until one is named\n");
		s->disabled = true;
	}
}

/* `run = ...`: the internal service, the redirect, or the server. */
static void put_run(struct sipc__xsvc *s, bool stream, bool wait)
{
	if (sipc__xinetd_eff_has(&s->e[A_TYPE], "INTERNAL"))
		put_internal(s, stream, wait);
	else if (s->e[A_REDIRECT].set)
		put_redirect(s, stream);
	else if (!s->e[A_SERVER].set)
		refuse(s, "nothing to run: no server, redirect or type = INTERNAL");
	else
		put_exec(s, stream, wait);
}

/* `listen = URL`: xinetd listens on every address unless bind says. */
static void put_listen(struct sipc__xsvc *s, bool stream)
{
	const char *port_text = one(s, A_PORT), *bind = one(s, A_BIND);
	const char *proto = stream ? "tcp" : "udp";
	int port;
	bool v6only = yes_no(s, A_V6ONLY, false);
	char host[300], url[400];
	const char *scheme = proto;

	if (port_text != NULL) {
		if ((port = port_of(s, s->e[A_PORT].at, port_text)) < 0)
			return;
	} else if (sipc__xinetd_eff_has(&s->e[A_TYPE], "UNLISTED")) {
		refuse(s, "an UNLISTED service needs a port (xinetd refuses it too)");
		return;
	} else {
		struct servent *se = getservbyname(s->b->name, proto);

		if (se == NULL) {
			refuse(s,
			       "no port, and '%.60s' is not in the services database for "
			       "%s (xinetd refuses it too)",
			       s->b->name, proto);
			return;
		}
		port = ntohs((uint16_t)se->s_port);
	}
	/* A wildcard bind is what xinetd does without one: the family is
	 * the flags'. */
	if (bind != NULL && strcmp(bind, "0.0.0.0") != 0 && strcmp(bind, "::") != 0) {
		if (url_host(s, s->e[A_BIND].at, bind, host, sizeof(host)) == NULL)
			return;
		v6only = v6only && strchr(bind, ':') != NULL;
	} else {
		snprintf(host, sizeof(host), "%s", s->family == 6 || v6only ? "[::]" : "0.0.0.0");
	}
	if (v6only)
		scheme = stream ? "tcp6" : "udp6";
	snprintf(url, sizeof(url), "%s://%s:%d", scheme, host, port);
	const char *w[] = {url};
	put_line(s, "listen", w, 1);
}

/* The resolver of M, asked once per name. */
static int cached_resolve(void *arg, const char *name, char *out, size_t outlen, char *why,
			  size_t whylen)
{
	struct sipc__xctx *c = arg;
	sipc_xinetd_resolve_fn *fn = c->m->resolve ? c->m->resolve : sipc__xinetd_resolve;
	struct sipc__xresolved *v, *r;

	for (size_t i = 0; i < c->ncache; i++)
		if (strcmp(c->cache[i].name, name) == 0) {
			snprintf(out, outlen, "%s", c->cache[i].out);
			snprintf(why, whylen, "%s", c->cache[i].why);
			return c->cache[i].rc;
		}
	out[0] = why[0] = '\0';
	int rc = fn(c->m->resolve_arg, name, out, outlen, why, whylen);
	v = realloc(c->cache, (c->ncache + 1) * sizeof(*v));
	if (v == NULL)
		return rc;
	c->cache = v;
	r = &v[c->ncache];
	r->name = strdup(name);
	r->out = strdup(out);
	r->why = strdup(why);
	r->rc = rc;
	if (r->name == NULL || r->out == NULL || r->why == NULL) {
		free(r->name);
		free(r->out);
		free(r->why);
	} else {
		c->ncache++;
	}
	return rc;
}

/* only_from / no_access, each xinetd form as CIDR blocks. */
static void put_access(struct sipc__xsvc *s, int id)
{
	const struct sipc__xeff *e = &s->e[id];
	const struct sipc_xattr *at = e->at;
	char *words = NULL, out[4096], why[300], what[200];
	size_t len = 0;
	bool dropped = false, first = true;
	FILE *f;

	if (!e->set)
		return;
	if (e->n == 0) {
		if (id == A_ONLY_FROM) {
			fprintf(s->body,
				"\t# only_from with no value (%s:%u): nobody may connect\n",
				at->file, at->line);
			s->disabled = true;
		}
		return;
	}
	f = open_memstream(&words, &len);
	if (f == NULL) {
		s->c->oom = true;
		return;
	}
	for (int i = 0; i < e->n; i++) {
		int rc = sipc__xinetd_addr(e->v[i], cached_resolve, s->c, out, sizeof(out), why,
					   sizeof(why));

		if (rc == SIPC_XADDR_INVALID) {
			sipc__xinetd_value_error(s->c, s, at, "%s", why);
		} else if (rc == SIPC_XADDR_REFUSED) {
			snprintf(what, sizeof(what), "attribute '%s' value '%.60s'",
				 sipc__xinetd_attrs[id].name, e->v[i]);
			sipc__xinetd_unsupported(s->c, s, at, what, why);
			dropped = true;
		} else {
			if (rc == SIPC_XADDR_RESOLVED)
				fprintf(s->body,
					"\t# %s: '%s' resolved when imported (xinetd matched "
					"the client's name): %s\n",
					sipc__xinetd_attrs[id].name, e->v[i], out);
			fprintf(f, "%s%s", first ? "" : " ", out);
			first = false;
		}
	}
	fclose(f);
	if (words != NULL && words[0] != '\0') {
		char **argv = NULL;
		int argc = 0;
		char detail[128];

		if (sipc__serve_split(words, &argv, &argc, detail, sizeof(detail)) == 0) {
			/* A name may resolve to an address listed already. */
			int kept = 0;

			for (int i = 0; i < argc; i++) {
				int j = 0;

				while (j < kept && strcmp(argv[j], argv[i]) != 0)
					j++;
				if (j < kept)
					free(argv[i]);
				else
					argv[kept++] = argv[i];
			}
			argv[argc = kept] = NULL;
			put_checked(s, sipc__xinetd_attrs[id].name, at, (const char *const *)argv,
				    argc);
			s->access[id == A_NO_ACCESS] = argv;
		} else {
			s->c->oom = true;
		}
	}
	if (dropped && id == A_NO_ACCESS) {
		/* Fewer refusals would admit someone xinetd refused. */
		fprintf(s->body, "\t# a no_access entry could not be carried over: disabled "
				 "until the list is complete\n");
		s->disabled = true;
	} else if (dropped && (words == NULL || words[0] == '\0')) {
		fprintf(s->body, "\t# no only_from entry could be carried over: disabled\n");
		s->disabled = true;
	}
	free(words);
}

/* True when block IN lies inside block OUT and is narrower. */
static bool narrower_inside(const struct sipc_cidr *in, const struct sipc_cidr *out)
{
	if (in->family != out->family || in->prefix <= out->prefix)
		return false;
	for (int bit = 0; bit < out->prefix; bit++) {
		int mask = 0x80 >> (bit % 8);
		if ((in->addr[bit / 8] & mask) != (out->addr[bit / 8] & mask))
			return false;
	}
	return true;
}

/* xinetd lets the more specific of an only_from and a no_access entry
 * decide (xinetd.conf(5)); sockipc refuses whatever no_access matches.
 * An only_from block inside a no_access block was admitted by xinetd and
 * is refused now: say so. */
static void check_overlap(struct sipc__xsvc *s)
{
	struct sipc_acl acl[2] = {{0}, {0}};
	char why[200];

	for (int k = 0; k < 2; k++)
		for (char **w = s->access[k]; w != NULL && *w != NULL; w++)
			if (sipc__acl_add(&acl[k], *w, why, sizeof(why)) < 0)
				goto out;
	for (size_t i = 0; i < acl[0].n; i++)
		for (size_t j = 0; j < acl[1].n; j++)
			if (narrower_inside(&acl[0].v[i], &acl[1].v[j])) {
				char what[200];

				snprintf(what, sizeof(what),
					 "the precedence of only_from '%s' over no_access '%s'",
					 s->access[0][i], s->access[1][j]);
				sipc__xinetd_unsupported(
					s->c, s, s->e[A_NO_ACCESS].at, what,
					"xinetd let the more specific entry decide; sockipc "
					"refuses whatever no_access matches: narrow no_access");
			}
out:
	sipc__acl_free(&acl[0]);
	sipc__acl_free(&acl[1]);
}

static void put_banners(struct sipc__xsvc *s)
{
	const char *banner = one(s, A_BANNER), *success = one(s, A_BANNER_SUCCESS);

	if (banner != NULL) {
		const char *w[] = {banner};

		put_line(s, "banner", w, 1);
		sipc__xinetd_report(
			s->c, s, s->e[A_BANNER].at, false,
			"attribute 'banner' carried over in part: sockipc sends it to admitted "
			"clients only (xinetd sent it to refused ones too)");
	}
	if (success != NULL && banner == NULL) {
		/* banner_success is exactly what sockipc's banner is. */
		const char *w[] = {success};

		put_line(s, "banner", w, 1);
	} else if (success != NULL) {
		sipc__xinetd_unsupported(s->c, s, s->e[A_BANNER_SUCCESS].at,
					 "attribute 'banner_success'",
					 "sockipc has one banner per service, and 'banner' is set");
	}
}

/* user / group: written even when this machine has no such name (the
 * import may run elsewhere); serve --check resolves it where it runs. */
static void put_owner(struct sipc__xsvc *s, int id, const char *key)
{
	const char *name = one(s, id);
	char *end;

	if (name == NULL)
		return;
	put_line(s, key, &name, 1);
	strtoul(name, &end, 10);
	if (*end != '\0' &&
	    (id == A_USER ? (void *)getpwnam(name) : (void *)getgrnam(name)) == NULL) {
		char who[160];

		sipc__xinetd_diag(
			s->c, s->e[id].at->file, s->e[id].at->line,
			sipc__xinetd_who(s, who, sizeof(who)),
			"%s '%.60s' does not exist on this machine: serve refuses the service "
			"until it does",
			key, name);
		s->c->m->warnings++;
	}
}

/* The label: the id (else the name) in the characters a sockipc service
 * name may hold, and not one already written. */
static void make_label(struct sipc__xsvc *s)
{
	const char *id = s->b->name;

	/* The id is read before the attributes are, so every line about them
	 * names the service as it is written. */
	for (size_t i = 0; i < s->b->nattrs; i++)
		if (strcmp(s->b->attrs[i].name, "id") == 0 && s->b->attrs[i].nvalues == 1)
			id = s->b->attrs[i].values[0];
	char base[120];
	size_t n = 0;

	for (const char *p = id; *p != '\0' && n + 1 < sizeof(base); p++)
		base[n++] = isalnum((unsigned char)*p) || strchr("-_.", *p) ? *p : '_';
	base[n] = '\0';
	if (n == 0)
		snprintf(base, sizeof(base), "service");
	snprintf(s->label, sizeof(s->label), "%s", base);
	for (int k = 2;; k++) {
		size_t i;

		for (i = 0; i < s->c->nlabels; i++)
			if (strcmp(s->c->labels[i], s->label) == 0)
				break;
		if (i == s->c->nlabels)
			break;
		snprintf(s->label, sizeof(s->label), "%s-%d", base, k);
	}
	if (strcmp(s->label, id) != 0) {
		char who[160];

		sipc__xinetd_diag(
			s->c, s->b->file, s->b->line, sipc__xinetd_who(s, who, sizeof(who)),
			"id '%.60s' written as '%s' (%s)", id, s->label,
			strcmp(base, id) != 0 ? "a sockipc service name holds letters, digits, "
						"'-', '_' and '.' only"
					      : "an earlier service has that name");
	}
}

/* socket_type and protocol: *STREAM, or the service refused. */
static void check_socket(struct sipc__xsvc *s, bool *stream)
{
	const char *socket_type = one(s, A_SOCKET_TYPE), *protocol = one(s, A_PROTOCOL);

	*stream = true;
	if (s->skip != NULL)
		return;
	if (socket_type == NULL) {
		refuse(s, "no socket_type (xinetd refuses it too)");
	} else if (strcmp(socket_type, "raw") == 0) {
		refuse(s, "socket_type 'raw' (direct IP access) is not supported: sockipc serves "
			  "TCP, UDP and unix sockets");
	} else if (strcmp(socket_type, "seqpacket") == 0) {
		refuse(s, "socket_type 'seqpacket' over IP (SCTP) is not supported; sockipc's "
			  "seqpacket endpoints are unix sockets (unixpacket://PATH)");
	} else if (strcmp(socket_type, "dgram") == 0) {
		*stream = false;
	} else if (strcmp(socket_type, "stream") != 0) {
		sipc__xinetd_value_error(s->c, s, s->e[A_SOCKET_TYPE].at,
					 "'%.40s' is not stream, dgram, raw or seqpacket",
					 socket_type);
	}
	if (s->skip == NULL && protocol != NULL &&
	    strcasecmp(protocol, *stream ? "tcp" : "udp") != 0)
		refuse(s,
		       "protocol '%.40s' with socket_type %s: sockipc serves tcp streams and udp "
		       "datagrams",
		       protocol, *stream ? "stream" : "dgram");
}

/* Everything after listen and run, in the order svcconf.c prints it. */
static void put_attributes(struct sipc__xsvc *s)
{
	struct sipc__xctx *c = s->c;
	/* The defaults' lists name services by id (xinetd.conf(5)). */
	const char *id = s->e[A_ID].n == 1 ? s->e[A_ID].v[0] : s->b->name;

	put_owner(s, A_USER, "user");
	if (one(s, A_USER) != NULL) {
		put_owner(s, A_GROUP, "group");
	} else if (one(s, A_GROUP) != NULL) {
		char who[160];

		/* serve changes ids only to a user's; a group alone changes
		 * nothing, and serve refuses it rather than ignore it. */
		sipc__xinetd_diag(c, s->e[A_GROUP].at->file, s->e[A_GROUP].at->line,
				  sipc__xinetd_who(s, who, sizeof(who)),
				  "attribute 'group' without 'user' not carried over: serve "
				  "changes the ids of a service only to a user's");
		c->m->warnings++;
	}
	put_eff(s, A_GROUPS, "groups");
	put_eff(s, A_INSTANCES, "instances");
	put_eff(s, A_PER_SOURCE, "per_source");
	put_eff(s, A_CPS, "cps");
	put_access(s, A_ONLY_FROM);
	put_access(s, A_NO_ACCESS);
	check_overlap(s);
	put_eff(s, A_ACCESS_TIMES, "access_times");
	put_eff(s, A_NICE, "nice");
	put_eff(s, A_UMASK, "umask");
	put_eff(s, A_ENV, "env");
	put_eff(s, A_PASSENV, "passenv");
	put_banners(s);
	put_eff(s, A_RLIMIT_AS, "rlimit_as");
	put_eff(s, A_RLIMIT_CPU, "rlimit_cpu");
	put_eff(s, A_RLIMIT_FILES, "rlimit_files");
	put_eff(s, A_LOG_ON_SUCCESS, "log_on_success");
	put_eff(s, A_LOG_ON_FAILURE, "log_on_failure");
	if (yes_no(s, A_DISABLE, false) || sipc__xinetd_eff_has(&c->def[A_DISABLED], id) ||
	    (c->def[A_ENABLED].n > 0 && !sipc__xinetd_eff_has(&c->def[A_ENABLED], id)))
		s->disabled = true;
	fprintf(s->body, "\t%-14s = %s\n", "disable", s->disabled ? "yes" : "no");
}

/* The block of S, or the comment saying why there is none. */
static void finish_service(struct sipc__xsvc *s, unsigned errors_before)
{
	struct sipc__xctx *c = s->c;
	const struct sipc_xblock *b = s->b;
	char who[160];

	if (s->skip != NULL) {
		sipc__xinetd_diag(c, b->file, b->line, sipc__xinetd_who(s, who, sizeof(who)),
				  "not converted: %s", s->skip);
		fprintf(c->m->conf, "# %s:%u: xinetd service %s not converted: %s\n\n", b->file,
			b->line, s->label, s->skip);
		c->m->warnings++;
		return;
	}
	if (c->m->errors != errors_before)
		return;
	char **v = realloc(c->labels, (c->nlabels + 1) * sizeof(*v));
	if (v != NULL)
		c->labels = v;
	if (v == NULL || (v[c->nlabels] = strdup(s->label)) == NULL) {
		c->oom = true;
		return;
	}
	c->nlabels++;
	fprintf(c->m->conf, "# %s:%u: xinetd service %s\nservice %s\n{\n%s%s}\n\n", b->file,
		b->line, b->name, s->label, s->buf ? s->buf : "", s->nbuf ? s->nbuf : "");
	c->m->services++;
}

static void put_service(struct sipc__xctx *c, const struct sipc_xblock *b)
{
	struct sipc__xsvc s = {.c = c, .b = b};
	unsigned errors = c->m->errors;
	bool stream, wait;

	s.body = open_memstream(&s.buf, &s.len);
	s.notes = open_memstream(&s.nbuf, &s.nlen);
	if (s.body == NULL || s.notes == NULL) {
		c->oom = true;
		goto out;
	}
	make_label(&s);
	sipc__xinetd_collect(c, &s, b, s.e, c->def);
	for (int i = 0; i < A_COUNT; i++)
		if (!s.e[i].set && c->def[i].set && (sipc__xinetd_attrs[i].flags & F_SVC) &&
		    sipc__xinetd_eff_copy(&s.e[i], &c->def[i]) < 0)
			c->oom = true;
	check_type(&s);
	check_socket(&s, &stream);
	wait = yes_no(&s, A_WAIT, !stream);
	if (s.skip == NULL)
		read_flags(&s, &s.family, &s.nameinargs);
	if (s.skip == NULL)
		put_listen(&s, stream);
	if (s.skip == NULL)
		put_run(&s, stream, wait);
	if (s.skip == NULL)
		put_attributes(&s);
	fclose(s.body);
	fclose(s.notes);
	s.body = s.notes = NULL;
	finish_service(&s, errors);
out:
	if (s.body != NULL)
		fclose(s.body);
	if (s.notes != NULL)
		fclose(s.notes);
	free(s.buf);
	free(s.nbuf);
	sipc__serve_words_free(s.access[0]);
	sipc__serve_words_free(s.access[1]);
	for (int i = 0; i < A_COUNT; i++)
		sipc__xinetd_eff_clear(&s.e[i]);
}

int sipc__xinetd_map(const struct sipc_xinetd *x, const char *sources, struct sipc_xinetd_map *m)
{
	struct sipc__xctx c = {.x = x, .m = m};

	m->warnings = m->errors = m->services = 0;
	fprintf(m->conf,
		"# sockipc serve configuration, converted from %s by `sockipc xinetd-import`.\n"
		"# Check it with `sockipc serve --check FILE`, run it with `sockipc serve -f "
		"FILE`.\n"
		"#\n"
		"# xinetd listens on every address of the machine, and so do these services\n"
		"# (0.0.0.0, or [::] with flags = IPv6), although sockipc's own default is\n"
		"# loopback: write 127.0.0.1 (or one interface's address) in a listen URL to\n"
		"# keep a service local.  xinetd's defaults are folded into each service.\n\n",
		sources);
	for (size_t i = 0; i < x->nblocks; i++)
		if (x->blocks[i].name == NULL) {
			sipc__xinetd_collect(&c, NULL, &x->blocks[i], c.def, NULL);
			fputc('\n', m->conf);
		}
	for (size_t i = 0; i < x->nblocks && !c.oom; i++) {
		if (x->blocks[i].name != NULL)
			put_service(&c, &x->blocks[i]);
		if (ftell(m->conf) > SIPC_XINETD_OUT_MAX) {
			sipc__xinetd_diag(&c, x->blocks[i].file, x->blocks[i].line, "service",
					  "the configuration written passes %d bytes: stopped",
					  SIPC_XINETD_OUT_MAX);
			m->errors++;
			break;
		}
	}
	for (int i = 0; i < A_COUNT; i++)
		sipc__xinetd_eff_clear(&c.def[i]);
	for (size_t i = 0; i < c.nlabels; i++)
		free(c.labels[i]);
	free(c.labels);
	for (size_t i = 0; i < c.nsaid; i++)
		free(c.said[i]);
	free(c.said);
	for (size_t i = 0; i < c.ncache; i++) {
		free(c.cache[i].name);
		free(c.cache[i].out);
		free(c.cache[i].why);
	}
	free(c.cache);
	if (c.oom) {
		if (m->diag != NULL)
			fprintf(m->diag, "%sout of memory\n", m->diag_prefix ? m->diag_prefix : "");
		m->errors++;
	}
	return m->errors > 0 ? -1 : 0;
}
