/*
 * xinetd_map.c - turns the blocks xinetd.c read into `sockipc serve`
 * configuration blocks (svcconf.h, configfile.c).  Each service gets its
 * effective attributes the way xinetd computes them (xinetd.conf(5)): the
 * defaults block's cumulative attributes accumulate, a service's `=`
 * replaces the default, and its `+=` / `-=` start from the default.  The
 * result is written folded into each service, so it means the same
 * whatever the order of the blocks.  Every value written is checked with
 * the very parser that will read it back (sipc__svc_conf_set), and every
 * attribute that is not carried over, or only in part, gets one line on
 * the diagnostic stream and a comment in the block.
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
#include "serve/xinetd.h"

enum {
	A_ID,
	A_TYPE,
	A_FLAGS,
	A_DISABLE,
	A_SOCKET_TYPE,
	A_PROTOCOL,
	A_WAIT,
	A_USER,
	A_GROUP,
	A_GROUPS,
	A_INSTANCES,
	A_NICE,
	A_SERVER,
	A_SERVER_ARGS,
	A_ONLY_FROM,
	A_NO_ACCESS,
	A_ACCESS_TIMES,
	A_LOG_TYPE,
	A_LOG_ON_SUCCESS,
	A_LOG_ON_FAILURE,
	A_ENV,
	A_PASSENV,
	A_PORT,
	A_REDIRECT,
	A_BIND,
	A_BANNER,
	A_BANNER_SUCCESS,
	A_BANNER_FAIL,
	A_PER_SOURCE,
	A_CPS,
	A_MAX_LOAD,
	A_UMASK,
	A_RLIMIT_AS,
	A_RLIMIT_CPU,
	A_RLIMIT_FILES,
	A_RLIMIT_DATA,
	A_RLIMIT_RSS,
	A_RLIMIT_STACK,
	A_DENY_TIME,
	A_LIBWRAP,
	A_MDNS,
	A_RPC_VERSION,
	A_RPC_NUMBER,
	A_V6ONLY,
	A_DISABLED,
	A_ENABLED,
	A_COUNT
};

#define F_LIST  1 /* a set: += and -= apply */
#define F_DEF   2 /* allowed in defaults */
#define F_CUMUL 4 /* in defaults, = adds to what is there */
#define F_SVC   8 /* allowed in a service */

static const struct attr_info {
	const char *name;
	unsigned flags;
	const char *unsupported; /* why it is not carried over; NULL: it is */
} attrs[A_COUNT] = {
	[A_ID] = {"id", F_SVC, NULL},
	[A_TYPE] = {"type", F_SVC, NULL},
	[A_FLAGS] = {"flags", F_SVC, NULL},
	[A_DISABLE] = {"disable", F_SVC, NULL},
	[A_SOCKET_TYPE] = {"socket_type", F_SVC, NULL},
	[A_PROTOCOL] = {"protocol", F_SVC, NULL},
	[A_WAIT] = {"wait", F_SVC, NULL},
	[A_USER] = {"user", F_SVC, NULL},
	[A_GROUP] = {"group", F_SVC, NULL},
	[A_GROUPS] = {"groups", F_SVC | F_DEF, NULL},
	[A_INSTANCES] = {"instances", F_SVC | F_DEF, NULL},
	[A_NICE] = {"nice", F_SVC, NULL},
	[A_SERVER] = {"server", F_SVC, NULL},
	[A_SERVER_ARGS] = {"server_args", F_SVC, NULL},
	[A_ONLY_FROM] = {"only_from", F_SVC | F_DEF | F_LIST | F_CUMUL, NULL},
	[A_NO_ACCESS] = {"no_access", F_SVC | F_DEF | F_LIST | F_CUMUL, NULL},
	[A_ACCESS_TIMES] = {"access_times", F_SVC, NULL},
	[A_LOG_TYPE] = {"log_type", F_SVC | F_DEF | F_CUMUL, NULL},
	[A_LOG_ON_SUCCESS] = {"log_on_success", F_SVC | F_DEF | F_LIST | F_CUMUL, NULL},
	[A_LOG_ON_FAILURE] = {"log_on_failure", F_SVC | F_DEF | F_LIST | F_CUMUL, NULL},
	[A_ENV] = {"env", F_SVC | F_LIST, NULL},
	[A_PASSENV] = {"passenv", F_SVC | F_DEF | F_LIST | F_CUMUL, NULL},
	[A_PORT] = {"port", F_SVC, NULL},
	[A_REDIRECT] = {"redirect", F_SVC, NULL},
	[A_BIND] = {"bind", F_SVC | F_DEF, NULL},
	[A_BANNER] = {"banner", F_SVC | F_DEF, NULL},
	[A_BANNER_SUCCESS] = {"banner_success", F_SVC | F_DEF, NULL},
	[A_BANNER_FAIL] = {"banner_fail", F_SVC | F_DEF,
			   "sockipc sends nothing to a refused client"},
	[A_PER_SOURCE] = {"per_source", F_SVC | F_DEF, NULL},
	[A_CPS] = {"cps", F_SVC | F_DEF, NULL},
	[A_MAX_LOAD] = {"max_load", F_SVC | F_DEF,
			"sockipc does not stop accepting at a load average; instances, "
			"per_source and cps bound the load a service takes on"},
	[A_UMASK] = {"umask", F_SVC | F_DEF, NULL},
	[A_RLIMIT_AS] = {"rlimit_as", F_SVC, NULL},
	[A_RLIMIT_CPU] = {"rlimit_cpu", F_SVC, NULL},
	[A_RLIMIT_FILES] = {"rlimit_files", F_SVC, NULL},
	[A_RLIMIT_DATA] = {"rlimit_data", F_SVC,
			   "sockipc sets rlimit_as, rlimit_cpu and rlimit_files only (rlimit_as "
			   "bounds the data segment too)"},
	[A_RLIMIT_RSS] = {"rlimit_rss", F_SVC,
			  "sockipc sets rlimit_as, rlimit_cpu and rlimit_files only (Linux "
			  "ignores RLIMIT_RSS)"},
	[A_RLIMIT_STACK] = {"rlimit_stack", F_SVC,
			    "sockipc sets rlimit_as, rlimit_cpu and rlimit_files only (rlimit_as "
			    "bounds the stack too)"},
	[A_DENY_TIME] = {"deny_time", F_SVC | F_DEF,
			 "sockipc has no SENSOR services, so nothing to deny for a time"},
	[A_LIBWRAP] = {"libwrap", F_SVC,
		       "sockipc does not consult tcp_wrappers (/etc/hosts.allow, "
		       "/etc/hosts.deny): write those rules as only_from / no_access"},
	[A_MDNS] = {"mdns", F_SVC | F_DEF, "sockipc registers no service with mDNS"},
	[A_RPC_VERSION] = {"rpc_version", F_SVC, "sockipc serves no RPC services"},
	[A_RPC_NUMBER] = {"rpc_number", F_SVC, "sockipc serves no RPC services"},
	[A_V6ONLY] = {"v6only", F_SVC | F_DEF, NULL},
	[A_DISABLED] = {"disabled", F_DEF | F_CUMUL, NULL},
	[A_ENABLED] = {"enabled", F_DEF | F_CUMUL, NULL},
};

static int attr_find(const char *name)
{
	if (strcmp(name, "interface") == 0) /* xinetd's synonym */
		return A_BIND;
	for (int i = 0; i < A_COUNT; i++)
		if (strcmp(attrs[i].name, name) == 0)
			return i;
	return -1;
}

/* An attribute's effective value: words borrowed from the parsed file. */
struct eff {
	const char **v;
	int n, cap;
	const struct sipc_xattr *at; /* the line that set it last */
	bool set;
};

struct ctx {
	const struct sipc_xinetd *x;
	struct sipc_xinetd_map *m;
	struct eff def[A_COUNT];
	char **labels; /* block names written, each once */
	size_t nlabels;
	char **said; /* diagnostics about defaults lines, said once */
	size_t nsaid;
	/* Names resolved so far: the defaults' names recur in every service. */
	struct resolved {
		char *name, *out, *why;
		int rc;
	} * cache;
	size_t ncache;
	bool oom;
};

/* One service being written. */
struct svc {
	struct ctx *c;
	const struct sipc_xblock *b;
	char label[132];
	struct eff e[A_COUNT];
	FILE *body;  /* the block's lines */
	FILE *notes; /* its comments on what was not carried over, after them */
	char *nbuf;
	size_t nlen;
	int family;      /* flags: 4 (IPv4), 6 (IPv6), 0 (neither) */
	bool nameinargs; /* flags: NAMEINARGS */
	char *buf;
	size_t len;
	char **access[2]; /* the blocks of only_from, no_access written */
	const char *skip; /* why it is not converted; NULL: it is */
	char skipbuf[300];
	bool disabled;
};

static void eff_clear(struct eff *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int eff_add(struct eff *e, const char *w, bool unique)
{
	if (unique)
		for (int i = 0; i < e->n; i++)
			if (strcmp(e->v[i], w) == 0)
				return 0;
	if (e->n + 1 >= e->cap) {
		int cap = e->cap ? e->cap * 2 : 8;
		const char **v = realloc(e->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return -1;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = w;
	e->v[e->n] = NULL;
	return 0;
}

static void eff_remove(struct eff *e, const char *w)
{
	for (int i = 0; i < e->n;)
		if (strcmp(e->v[i], w) == 0)
			memmove(&e->v[i], &e->v[i + 1], (size_t)(e->n-- - i) * sizeof(*e->v));
		else
			i++;
}

static int eff_copy(struct eff *to, const struct eff *from)
{
	eff_clear(to);
	for (int i = 0; i < from->n; i++)
		if (eff_add(to, from->v[i], false) < 0)
			return -1;
	to->at = from->at;
	to->set = from->set;
	return 0;
}

static bool eff_has(const struct eff *e, const char *w)
{
	for (int i = 0; i < e->n; i++)
		if (strcasecmp(e->v[i], w) == 0)
			return true;
	return false;
}

static void diag(struct ctx *c, const char *file, unsigned line, const char *who, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

static void diag(struct ctx *c, const char *file, unsigned line, const char *who, const char *fmt,
		 ...)
{
	va_list ap;

	if (c->m->diag == NULL)
		return;
	fprintf(c->m->diag, "%s%s:%u: %s: ", c->m->diag_prefix ? c->m->diag_prefix : "", file, line,
		who);
	va_start(ap, fmt);
	vfprintf(c->m->diag, fmt, ap);
	va_end(ap);
	fputc('\n', c->m->diag);
}

static const char *who_of(const struct svc *s, char *buf, size_t len)
{
	if (s == NULL)
		return "defaults";
	snprintf(buf, len, "service %s", s->label);
	return buf;
}

/* True when AT is a line of a defaults block. */
static bool from_defaults(const struct ctx *c, const struct sipc_xattr *at)
{
	for (size_t i = 0; i < c->x->nblocks; i++) {
		const struct sipc_xblock *b = &c->x->blocks[i];

		if (b->name == NULL && b->nattrs > 0 && at >= b->attrs && at < b->attrs + b->nattrs)
			return true;
	}
	return false;
}

/* One diagnostic line about AT.  A line of the defaults applies to every
 * service: what it says is said once, about "defaults". */
static void report(struct ctx *c, struct svc *s, const struct sipc_xattr *at, bool error,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct ctx *c, struct svc *s, const struct sipc_xattr *at, bool error,
		   const char *fmt, ...)
{
	char who[160], text[700], *keep;
	bool shared = s == NULL || from_defaults(c, at);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (shared) {
		char key[900];

		snprintf(key, sizeof(key), "%p %s", (const void *)at, text);
		for (size_t i = 0; i < c->nsaid; i++)
			if (strcmp(c->said[i], key) == 0)
				return;
		char **v = realloc(c->said, (c->nsaid + 1) * sizeof(*v));
		if (v == NULL || (keep = strdup(key)) == NULL) {
			c->said = v ? v : c->said;
			c->oom = true;
			return;
		}
		c->said = v;
		c->said[c->nsaid++] = keep;
	}
	diag(c, at->file, at->line, shared ? "defaults" : who_of(s, who, sizeof(who)), "%s", text);
	if (error)
		c->m->errors++;
	else
		c->m->warnings++;
}

/* An attribute not carried over: a line, and a comment in the block. */
static void not_supported(struct ctx *c, struct svc *s, const struct sipc_xattr *at,
			  const char *what, const char *reason)
{
	report(c, s, at, false, "%s not supported: %s", what, reason);
	fprintf(s != NULL ? s->notes : c->m->conf, "%s# not carried over: %s (%s:%u): %s\n",
		s != NULL ? "\t" : "", what, at->file, at->line, reason);
}

static void value_error(struct ctx *c, struct svc *s, const struct sipc_xattr *at, const char *fmt,
			...) __attribute__((format(printf, 4, 5)));

static void value_error(struct ctx *c, struct svc *s, const struct sipc_xattr *at, const char *fmt,
			...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report(c, s, at, true, "attribute '%s': %s", at->name, text);
}

/* log_on_success / log_on_failure words sockipc has no field for. */
static bool log_word_ok(struct ctx *c, struct svc *s, const struct sipc_xattr *at, const char *w)
{
	char what[96];

	if (strcasecmp(w, "USERID") == 0 || strcasecmp(w, "RECORD") == 0) {
		snprintf(what, sizeof(what), "attribute '%s' value '%s'", at->name, w);
		not_supported(c, s, at, what,
			      w[0] == 'U' || w[0] == 'u' ? "sockipc makes no RFC 1413 ident lookups"
							 : "RECORD is an obsolete xinetd field");
		return false;
	}
	return true;
}

/* Applies one attribute line to E (a service's, or the defaults'). */
static void apply(struct ctx *c, struct svc *s, struct eff *e, const struct eff *def, int id,
		  const struct sipc_xattr *at)
{
	bool in_defaults = s == NULL;
	bool cumulative = in_defaults && (attrs[id].flags & F_CUMUL);

	if (at->op != '=' && !(attrs[id].flags & F_LIST) && !cumulative) {
		value_error(c, s, at, "takes '=' only (it is not a list)");
		return;
	}
	if (at->op == '-' && id == A_ENV) {
		value_error(c, s, at, "xinetd takes no '-=' for env");
		return;
	}
	if (!in_defaults && at->op != '=' && !e->set && def != NULL && eff_copy(e, def) < 0)
		c->oom = true;
	if (at->op == '=' && !cumulative)
		eff_clear(e);
	for (int i = 0; i < at->nvalues; i++) {
		const char *w = at->values[i];

		if ((id == A_LOG_ON_SUCCESS || id == A_LOG_ON_FAILURE) && !log_word_ok(c, s, at, w))
			continue;
		if (at->op == '-') {
			eff_remove(e, w);
		} else if (e->n >= SIPC_XINETD_VALUES_MAX) {
			value_error(c, s, at, "more than %d values", SIPC_XINETD_VALUES_MAX);
			break;
		} else if (eff_add(e, w, attrs[id].flags & F_LIST) < 0) {
			c->oom = true;
		}
	}
	e->at = at;
	e->set = true;
}

/* Walks BLOCK's attributes into E (DEF: the defaults, for += and -=). */
static void collect(struct ctx *c, struct svc *s, const struct sipc_xblock *b, struct eff *e,
		    const struct eff *def)
{
	char who[160];

	for (size_t i = 0; i < b->nattrs; i++) {
		const struct sipc_xattr *at = &b->attrs[i];
		int id = attr_find(at->name);
		char what[96];

		snprintf(what, sizeof(what), "attribute '%s'", at->name);
		if (id < 0) {
			not_supported(c, s, at, what, "xinetd.conf(5) has no such attribute");
		} else if (s == NULL && !(attrs[id].flags & F_DEF)) {
			diag(c, at->file, at->line, "defaults",
			     "attribute '%s' ignored: xinetd takes it in a service, not in "
			     "defaults",
			     at->name);
			c->m->warnings++;
		} else if (s != NULL && !(attrs[id].flags & F_SVC)) {
			diag(c, at->file, at->line, who_of(s, who, sizeof(who)),
			     "attribute '%s' ignored: xinetd takes it in defaults only", at->name);
			c->m->warnings++;
		} else if (id == A_LOG_TYPE) {
			not_supported(c, s, at, what,
				      at->nvalues > 0 && strcasecmp(at->values[0], "FILE") == 0
					      ? "serve writes no log file: it logs to stderr (to a "
						"file by redirection, or to the journal under "
						"systemd), or to syslog with 'sockipc serve --log "
						"syslog'"
					      : "serve logs to stderr, or to syslog with 'sockipc "
						"serve --log syslog' for every service at once (no "
						"facility or level per service)");
		} else if (attrs[id].unsupported != NULL) {
			not_supported(c, s, at, what, attrs[id].unsupported);
		} else {
			apply(c, s, &e[id], def ? &def[id] : NULL, id, at);
		}
	}
}

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

static void put_line(struct svc *s, const char *key, const char *const *words, int n)
{
	fprintf(s->body, "\t%-14s =", key);
	for (int i = 0; i < n; i++)
		print_word(s->body, words[i]);
	fputc('\n', s->body);
}

/* Writes KEY = WORDS once the parser that reads it back takes it. */
static void put_checked(struct svc *s, const char *key, const struct sipc_xattr *at,
			const char *const *words, int n)
{
	struct sipc_svc_conf *scratch = sipc__svc_conf_new("x", "x");
	char why[300];

	if (scratch == NULL) {
		s->c->oom = true;
		return;
	}
	if (n == 0)
		value_error(s->c, s, at, "a value is missing");
	else if (sipc__svc_conf_set(scratch, key, (char *const *)words, n, false, why,
				    sizeof(why)) < 0)
		value_error(s->c, s, at, "%s", why);
	else
		put_line(s, key, words, n);
	sipc__svc_conf_free(scratch);
}

static void put_eff(struct svc *s, int id, const char *key)
{
	if (s->e[id].set)
		put_checked(s, key, s->e[id].at, s->e[id].v, s->e[id].n);
}

static void refuse(struct svc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(struct svc *s, const char *fmt, ...)
{
	va_list ap;

	if (s->skip != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s->skipbuf, sizeof(s->skipbuf), fmt, ap);
	va_end(ap);
	s->skip = s->skipbuf;
}

static bool yes_no(struct svc *s, int id, bool dflt)
{
	const struct eff *e = &s->e[id];

	if (!e->set || e->n == 0)
		return dflt;
	if (e->n == 1 && strcasecmp(e->v[0], "yes") == 0)
		return true;
	if (e->n == 1 && strcasecmp(e->v[0], "no") == 0)
		return false;
	value_error(s->c, s, e->at, "'%s' is not yes or no", e->v[0]);
	return dflt;
}

static const char *one(struct svc *s, int id)
{
	const struct eff *e = &s->e[id];

	if (!e->set)
		return NULL;
	if (e->n != 1) {
		value_error(s->c, s, e->at, "takes one value, not %d", e->n);
		return NULL;
	}
	return e->v[0];
}

/* A port number, or -1 after an error. */
static int port_of(struct svc *s, const struct sipc_xattr *at, const char *text)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535) {
		value_error(s->c, s, at, "'%.60s' is not a port number (1-65535)", text);
		return -1;
	}
	return (int)v;
}

/* HOST as a URL's host part: an IPv6 literal in brackets; a name or an
 * IPv4 address as it is.  NULL after an error. */
static const char *url_host(struct svc *s, const struct sipc_xattr *at, const char *host, char *buf,
			    size_t len)
{
	for (const char *p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-_:%", *p) == NULL) {
			value_error(s->c, s, at, "'%.60s' is not an address or a host name", host);
			return NULL;
		}
	snprintf(buf, len, strchr(host, ':') ? "[%s]" : "%s", host);
	return buf;
}

static const char *const internals[] = {"echo", "discard", "chargen", "daytime", "time"};

/* The flags: what they change here (FAMILY 4 or 6, DISABLE, NAMEINARGS);
 * what has no equivalent, a line each. */
static void read_flags(struct svc *s, int *family, bool *nameinargs)
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
		{"REUSE", NULL},     /* sockipc sets SO_REUSEADDR always, as xinetd now does */
		{"INTERCEPT", "sockipc checks only_from / no_access itself on every connection "
			      "and datagram; there is no intercepting process"},
		{"NORETRY", "sockipc has no setting for retrying a failed fork"},
		{"IDONLY", "sockipc makes no RFC 1413 ident lookups"},
		{"NODELAY", "sockipc has no per-service TCP_NODELAY setting"},
		{"KEEPALIVE", "sockipc has no per-service SO_KEEPALIVE setting"},
		{"SENSOR", "sockipc has no sensor services (a connection that bans its source)"},
		{"LABELED", "sockipc does not change SELinux contexts"},
	};
	const struct eff *e = &s->e[A_FLAGS];

	for (int i = 0; i < e->n; i++) {
		size_t k;
		char what[96];

		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcasecmp(e->v[i], known[k].name) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0])) {
			value_error(s->c, s, e->at, "unknown flag '%.40s'", e->v[i]);
		} else if (known[k].reason != NULL) {
			snprintf(what, sizeof(what), "flag '%s'", known[k].name);
			not_supported(s->c, s, e->at, what, known[k].reason);
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
static void check_type(struct svc *s)
{
	const struct eff *t = &s->e[A_TYPE];

	for (int i = 0; i < t->n; i++)
		if (strcasecmp(t->v[i], "INTERNAL") != 0 && strcasecmp(t->v[i], "UNLISTED") != 0 &&
		    strcasecmp(t->v[i], "RPC") != 0 && strcasecmp(t->v[i], "TCPMUX") != 0 &&
		    strcasecmp(t->v[i], "TCPMUXPLUS") != 0)
			value_error(s->c, s, t->at, "unknown type '%.40s'", t->v[i]);
	if (eff_has(t, "RPC"))
		refuse(s, "RPC services (type = RPC) are not supported: sockipc registers "
			  "nothing with the portmapper");
	else if (eff_has(t, "TCPMUX") || eff_has(t, "TCPMUXPLUS"))
		refuse(s, "TCPMUX services (type = TCPMUX, RFC 1078) are not supported");
}

/* `run = ...`: the internal service, the redirect, or the server. */
static void put_run(struct svc *s, bool stream, bool wait)
{
	const struct eff *t = &s->e[A_TYPE];

	if (eff_has(t, "INTERNAL")) {
		const char *name = s->b->name;
		size_t k;

		for (k = 0; k < sizeof(internals) / sizeof(internals[0]); k++)
			if (strcmp(name, internals[k]) == 0)
				break;
		if (k == sizeof(internals) / sizeof(internals[0])) {
			refuse(s,
			       "xinetd's internal service '%.60s' has no sockipc "
			       "equivalent (internal: echo, discard, chargen, daytime, time)",
			       name);
			return;
		}
		put_line(s, "run", &internals[k], 1);
		if (stream && wait) {
			/* One client at a time is what wait = yes gives a stream. */
			fprintf(s->body, "\t# wait = yes: one client at a time\n");
			const char *w[] = {"1"};
			put_line(s, "instances", w, 1);
			s->e[A_INSTANCES].set = false;
		}
		return;
	}
	if (s->e[A_REDIRECT].set) {
		const struct eff *r = &s->e[A_REDIRECT];
		char host[300], url[400];
		int port;

		if (!stream) {
			refuse(s, "redirect forwards tcp connections; this service is dgram");
			return;
		}
		if (r->n != 2) {
			value_error(s->c, s, r->at, "expected 'HOST PORT', not %d values", r->n);
			return;
		}
		if (url_host(s, r->at, r->v[0], host, sizeof(host)) == NULL ||
		    (port = port_of(s, r->at, r->v[1])) < 0)
			return;
		snprintf(url, sizeof(url), "tcp://%s:%d", host, port);
		const char *w[] = {"forward", url};
		put_line(s, "run", w, 2);
		if (s->e[A_SERVER].set)
			not_supported(s->c, s, s->e[A_SERVER].at, "attribute 'server'",
				      "redirect takes priority over it (xinetd.conf(5))");
		return;
	}
	if (!s->e[A_SERVER].set) {
		refuse(s, "nothing to run: no server, redirect or type = INTERNAL");
		return;
	}
	if (!stream) {
		refuse(s, "a datagram server reads its socket itself (wait = yes); "
			  "sockipc's exec serves stream connections only");
		return;
	}
	if (wait) {
		refuse(s, "wait = yes: the server accepts connections itself from the "
			  "listening socket; sockipc accepts each connection and starts "
			  "the server on it (wait = no)");
		return;
	}
	const char *server = one(s, A_SERVER);
	const struct eff *a = &s->e[A_SERVER_ARGS];
	const char **w = calloc((size_t)a->n + 3, sizeof(*w));
	int n = 0, first = 0;

	if (server == NULL || w == NULL) {
		s->c->oom = w == NULL;
		free(w);
		return;
	}
	if (s->nameinargs && a->n > 0) {
		char what[200];

		first = 1;
		snprintf(what, sizeof(what), "flag 'NAMEINARGS' (argv[0] '%.60s')", a->v[0]);
		not_supported(s->c, s, s->e[A_FLAGS].at, what,
			      "exec starts PROGRAM with its own path as argv[0]; the remaining "
			      "server_args are carried over");
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
		diag(s->c, s->b->file, s->b->line, who_of(s, who, sizeof(who)),
		     "no user: xinetd refuses a server without one, and so does sockipc serve "
		     "run as root (write 'user = root' to mean it)");
		s->c->m->warnings++;
	}
}

/* `listen = URL`: xinetd listens on every address unless bind says. */
static void put_listen(struct svc *s, bool stream)
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
	} else if (eff_has(&s->e[A_TYPE], "UNLISTED")) {
		{
			refuse(s, "an UNLISTED service needs a port (xinetd refuses it too)");
			return;
		}
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
	struct ctx *c = arg;
	sipc_xinetd_resolve_fn *fn = c->m->resolve ? c->m->resolve : sipc__xinetd_resolve;
	struct resolved *v, *r;

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
static void put_access(struct svc *s, int id)
{
	const struct eff *e = &s->e[id];
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
			value_error(s->c, s, at, "%s", why);
		} else if (rc == SIPC_XADDR_REFUSED) {
			snprintf(what, sizeof(what), "attribute '%s' value '%.60s'", attrs[id].name,
				 e->v[i]);
			not_supported(s->c, s, at, what, why);
			dropped = true;
		} else {
			if (rc == SIPC_XADDR_RESOLVED)
				fprintf(s->body,
					"\t# %s: '%s' resolved when imported (xinetd matched "
					"the client's name): %s\n",
					attrs[id].name, e->v[i], out);
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
			put_checked(s, attrs[id].name, at, (const char *const *)argv, argc);
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
static void check_overlap(struct svc *s)
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
				not_supported(
					s->c, s, s->e[A_NO_ACCESS].at, what,
					"xinetd let the more specific entry decide; sockipc "
					"refuses whatever no_access matches: narrow no_access");
			}
out:
	sipc__acl_free(&acl[0]);
	sipc__acl_free(&acl[1]);
}

static void put_banners(struct svc *s)
{
	const char *banner = one(s, A_BANNER), *success = one(s, A_BANNER_SUCCESS);

	if (banner != NULL) {
		const char *w[] = {banner};

		put_line(s, "banner", w, 1);
		report(s->c, s, s->e[A_BANNER].at, false,
		       "attribute 'banner' carried over in part: sockipc sends it to admitted "
		       "clients only (xinetd sent it to refused ones too)");
	}
	if (success != NULL && banner == NULL) {
		/* banner_success is exactly what sockipc's banner is. */
		const char *w[] = {success};

		put_line(s, "banner", w, 1);
	} else if (success != NULL) {
		not_supported(s->c, s, s->e[A_BANNER_SUCCESS].at, "attribute 'banner_success'",
			      "sockipc has one banner per service, and 'banner' is set");
	}
}

/* user / group: written even when this machine has no such name (the
 * import may run elsewhere); serve --check resolves it where it runs. */
static void put_owner(struct svc *s, int id, const char *key)
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

		diag(s->c, s->e[id].at->file, s->e[id].at->line, who_of(s, who, sizeof(who)),
		     "%s '%.60s' does not exist on this machine: serve refuses the service "
		     "until it does",
		     key, name);
		s->c->m->warnings++;
	}
}

/* The label: the id (else the name) in the characters a sockipc service
 * name may hold, and not one already written. */
static void make_label(struct svc *s)
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

		diag(s->c, s->b->file, s->b->line, who_of(s, who, sizeof(who)),
		     "id '%.60s' written as '%s' (%s)", id, s->label,
		     strcmp(base, id) != 0 ? "a sockipc service name holds letters, digits, "
					     "'-', '_' and '.' only"
					   : "an earlier service has that name");
	}
}

static void put_service(struct ctx *c, const struct sipc_xblock *b)
{
	struct svc s = {.c = c, .b = b};
	const char *socket_type, *protocol;
	bool stream = true, wait;
	unsigned errors = c->m->errors;
	char who[160];

	s.body = open_memstream(&s.buf, &s.len);
	if (s.body == NULL) {
		c->oom = true;
		return;
	}
	s.notes = open_memstream(&s.nbuf, &s.nlen);
	if (s.notes == NULL) {
		fclose(s.body);
		free(s.buf);
		c->oom = true;
		return;
	}
	make_label(&s);
	collect(c, &s, b, s.e, c->def);
	for (int i = 0; i < A_COUNT; i++)
		if (!s.e[i].set && c->def[i].set && (attrs[i].flags & F_SVC) &&
		    eff_copy(&s.e[i], &c->def[i]) < 0)
			c->oom = true;

	check_type(&s);
	socket_type = one(&s, A_SOCKET_TYPE);
	protocol = one(&s, A_PROTOCOL);
	if (s.skip != NULL) {
	} else if (socket_type == NULL) {
		refuse(&s, "no socket_type (xinetd refuses it too)");
	} else if (strcmp(socket_type, "raw") == 0) {
		refuse(&s, "socket_type 'raw' (direct IP access) is not supported: sockipc "
			   "serves TCP, UDP and unix sockets");
	} else if (strcmp(socket_type, "seqpacket") == 0) {
		refuse(&s, "socket_type 'seqpacket' over IP (SCTP) is not supported; sockipc's "
			   "seqpacket endpoints are unix sockets (unixpacket://PATH)");
	} else if (strcmp(socket_type, "dgram") == 0) {
		stream = false;
	} else if (strcmp(socket_type, "stream") != 0) {
		value_error(c, &s, s.e[A_SOCKET_TYPE].at,
			    "'%.40s' is not stream, dgram, raw or seqpacket", socket_type);
	}
	if (s.skip == NULL && protocol != NULL && strcasecmp(protocol, stream ? "tcp" : "udp") != 0)
		refuse(&s,
		       "protocol '%.40s' with socket_type %s: sockipc serves tcp streams and "
		       "udp datagrams",
		       protocol, stream ? "stream" : "dgram");
	wait = yes_no(&s, A_WAIT, !stream);
	if (s.skip == NULL)
		read_flags(&s, &s.family, &s.nameinargs);
	if (s.skip == NULL)
		put_listen(&s, stream);
	if (s.skip == NULL)
		put_run(&s, stream, wait);
	if (s.skip == NULL) {
		put_owner(&s, A_USER, "user");
		put_owner(&s, A_GROUP, "group");
		put_eff(&s, A_GROUPS, "groups");
		put_eff(&s, A_INSTANCES, "instances");
		put_eff(&s, A_PER_SOURCE, "per_source");
		put_eff(&s, A_CPS, "cps");
		put_access(&s, A_ONLY_FROM);
		put_access(&s, A_NO_ACCESS);
		check_overlap(&s);
		put_eff(&s, A_ACCESS_TIMES, "access_times");
		put_eff(&s, A_NICE, "nice");
		put_eff(&s, A_UMASK, "umask");
		put_eff(&s, A_ENV, "env");
		put_eff(&s, A_PASSENV, "passenv");
		put_banners(&s);
		put_eff(&s, A_RLIMIT_AS, "rlimit_as");
		put_eff(&s, A_RLIMIT_CPU, "rlimit_cpu");
		put_eff(&s, A_RLIMIT_FILES, "rlimit_files");
		put_eff(&s, A_LOG_ON_SUCCESS, "log_on_success");
		put_eff(&s, A_LOG_ON_FAILURE, "log_on_failure");
		/* The defaults' lists name services by id (xinetd.conf(5)). */
		const char *id = s.e[A_ID].n == 1 ? s.e[A_ID].v[0] : b->name;

		if (yes_no(&s, A_DISABLE, false) || eff_has(&c->def[A_DISABLED], id) ||
		    (c->def[A_ENABLED].n > 0 && !eff_has(&c->def[A_ENABLED], id)))
			s.disabled = true;
		fprintf(s.body, "\t%-14s = %s\n", "disable", s.disabled ? "yes" : "no");
	}
	fclose(s.body);
	fclose(s.notes);
	if (s.skip != NULL) {
		diag(c, b->file, b->line, who_of(&s, who, sizeof(who)), "not converted: %s",
		     s.skip);
		fprintf(c->m->conf, "# %s:%u: xinetd service %s not converted: %s\n\n", b->file,
			b->line, s.label, s.skip);
		c->m->warnings++;
	} else if (c->m->errors == errors) {
		char **v = realloc(c->labels, (c->nlabels + 1) * sizeof(*v));

		if (v != NULL && (v[c->nlabels] = strdup(s.label)) != NULL) {
			c->labels = v;
			c->nlabels++;
		} else {
			c->labels = v ? v : c->labels;
			c->oom = true;
		}
		fprintf(c->m->conf, "# %s:%u: xinetd service %s\nservice %s\n{\n%s%s}\n\n", b->file,
			b->line, b->name, s.label, s.buf ? s.buf : "", s.nbuf ? s.nbuf : "");
		c->m->services++;
	}
	free(s.buf);
	free(s.nbuf);
	sipc__serve_words_free(s.access[0]);
	sipc__serve_words_free(s.access[1]);
	for (int i = 0; i < A_COUNT; i++)
		eff_clear(&s.e[i]);
}

int sipc__xinetd_map(const struct sipc_xinetd *x, const char *sources, struct sipc_xinetd_map *m)
{
	struct ctx c = {.x = x, .m = m};

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
			collect(&c, NULL, &x->blocks[i], c.def, NULL);
			fputc('\n', m->conf);
		}
	for (size_t i = 0; i < x->nblocks && !c.oom; i++) {
		if (x->blocks[i].name != NULL)
			put_service(&c, &x->blocks[i]);
		if (ftell(m->conf) > SIPC_XINETD_OUT_MAX) {
			diag(&c, x->blocks[i].file, x->blocks[i].line, "service",
			     "the configuration written passes %d bytes: stopped",
			     SIPC_XINETD_OUT_MAX);
			m->errors++;
			break;
		}
	}
	for (int i = 0; i < A_COUNT; i++)
		eff_clear(&c.def[i]);
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
