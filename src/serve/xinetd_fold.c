/*
 * xinetd_fold.c - every attribute of xinetd.conf(5) and whether sockipc
 * carries it over (the table), and the effective attributes of a service
 * the way xinetd computes them: the defaults block's cumulative attributes
 * accumulate, a service's `=` replaces the default, its `+=` / `-=` start
 * from it.  Also the diagnostic lines, one per thing not carried over.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/xinetd_map.h"

const struct sipc__xattr_info sipc__xinetd_attrs[A_COUNT] = {
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
		if (strcmp(sipc__xinetd_attrs[i].name, name) == 0)
			return i;
	return -1;
}

void sipc__xinetd_eff_clear(struct sipc__xeff *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int eff_add(struct sipc__xeff *e, const char *w, bool unique)
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

static void eff_remove(struct sipc__xeff *e, const char *w)
{
	for (int i = 0; i < e->n;)
		if (strcmp(e->v[i], w) == 0)
			memmove(&e->v[i], &e->v[i + 1], (size_t)(e->n-- - i) * sizeof(*e->v));
		else
			i++;
}

int sipc__xinetd_eff_copy(struct sipc__xeff *to, const struct sipc__xeff *from)
{
	sipc__xinetd_eff_clear(to);
	for (int i = 0; i < from->n; i++)
		if (eff_add(to, from->v[i], false) < 0)
			return -1;
	to->at = from->at;
	to->set = from->set;
	return 0;
}

bool sipc__xinetd_eff_has(const struct sipc__xeff *e, const char *w)
{
	for (int i = 0; i < e->n; i++)
		if (strcasecmp(e->v[i], w) == 0)
			return true;
	return false;
}

void sipc__xinetd_diag(struct sipc__xctx *c, const char *file, unsigned line, const char *who,
		       const char *fmt, ...)
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

const char *sipc__xinetd_who(const struct sipc__xsvc *s, char *buf, size_t len)
{
	if (s == NULL)
		return "defaults";
	snprintf(buf, len, "service %s", s->label);
	return buf;
}

/* True when AT is a line of a defaults block. */
static bool from_defaults(const struct sipc__xctx *c, const struct sipc_xattr *at)
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

void sipc__xinetd_report(struct sipc__xctx *c, struct sipc__xsvc *s, const struct sipc_xattr *at,
			 bool error, const char *fmt, ...)
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
	sipc__xinetd_diag(c, at->file, at->line,
			  shared ? "defaults" : sipc__xinetd_who(s, who, sizeof(who)), "%s", text);
	if (error)
		c->m->errors++;
	else
		c->m->warnings++;
}

/* An attribute not carried over: a line, and a comment in the block. */
void sipc__xinetd_unsupported(struct sipc__xctx *c, struct sipc__xsvc *s,
			      const struct sipc_xattr *at, const char *what, const char *reason)
{
	sipc__xinetd_report(c, s, at, false, "%s not supported: %s", what, reason);
	fprintf(s != NULL ? s->notes : c->m->conf, "%s# not carried over: %s (%s:%u): %s\n",
		s != NULL ? "\t" : "", what, at->file, at->line, reason);
}

void sipc__xinetd_value_error(struct sipc__xctx *c, struct sipc__xsvc *s,
			      const struct sipc_xattr *at, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sipc__xinetd_report(c, s, at, true, "attribute '%s': %s", at->name, text);
}

/* log_on_success / log_on_failure words sockipc has no field for. */
static bool log_word_ok(struct sipc__xctx *c, struct sipc__xsvc *s, const struct sipc_xattr *at,
			const char *w)
{
	char what[96];

	if (strcasecmp(w, "USERID") == 0 || strcasecmp(w, "RECORD") == 0) {
		snprintf(what, sizeof(what), "attribute '%s' value '%s'", at->name, w);
		sipc__xinetd_unsupported(c, s, at, what,
					 w[0] == 'U' || w[0] == 'u'
						 ? "sockipc makes no RFC 1413 ident lookups"
						 : "RECORD is an obsolete xinetd field");
		return false;
	}
	return true;
}

/* Applies one attribute line to E (a service's, or the defaults'). */
static void apply(struct sipc__xctx *c, struct sipc__xsvc *s, struct sipc__xeff *e,
		  const struct sipc__xeff *def, int id, const struct sipc_xattr *at)
{
	bool in_defaults = s == NULL;
	bool cumulative = in_defaults && (sipc__xinetd_attrs[id].flags & F_CUMUL);

	if (at->op != '=' && !(sipc__xinetd_attrs[id].flags & F_LIST) && !cumulative) {
		sipc__xinetd_value_error(c, s, at, "takes '=' only (it is not a list)");
		return;
	}
	if (at->op == '-' && id == A_ENV) {
		sipc__xinetd_value_error(c, s, at, "xinetd takes no '-=' for env");
		return;
	}
	if (!in_defaults && at->op != '=' && !e->set && def != NULL &&
	    sipc__xinetd_eff_copy(e, def) < 0)
		c->oom = true;
	if (at->op == '=' && !cumulative)
		sipc__xinetd_eff_clear(e);
	for (int i = 0; i < at->nvalues; i++) {
		const char *w = at->values[i];

		if ((id == A_LOG_ON_SUCCESS || id == A_LOG_ON_FAILURE) && !log_word_ok(c, s, at, w))
			continue;
		if (at->op == '-') {
			eff_remove(e, w);
		} else if (e->n >= SIPC_XINETD_VALUES_MAX) {
			sipc__xinetd_value_error(c, s, at, "more than %d values",
						 SIPC_XINETD_VALUES_MAX);
			break;
		} else if (eff_add(e, w, sipc__xinetd_attrs[id].flags & F_LIST) < 0) {
			c->oom = true;
		}
	}
	e->at = at;
	e->set = true;
}

/* Walks BLOCK's attributes into E (DEF: the defaults, for += and -=). */
void sipc__xinetd_collect(struct sipc__xctx *c, struct sipc__xsvc *s, const struct sipc_xblock *b,
			  struct sipc__xeff *e, const struct sipc__xeff *def)
{
	char who[160];

	for (size_t i = 0; i < b->nattrs; i++) {
		const struct sipc_xattr *at = &b->attrs[i];
		int id = attr_find(at->name);
		char what[96];

		snprintf(what, sizeof(what), "attribute '%s'", at->name);
		if (id < 0) {
			sipc__xinetd_unsupported(c, s, at, what,
						 "xinetd.conf(5) has no such attribute");
		} else if (s == NULL && !(sipc__xinetd_attrs[id].flags & F_DEF)) {
			sipc__xinetd_diag(
				c, at->file, at->line, "defaults",
				"attribute '%s' ignored: xinetd takes it in a service, not in "
				"defaults",
				at->name);
			c->m->warnings++;
		} else if (s != NULL && !(sipc__xinetd_attrs[id].flags & F_SVC)) {
			sipc__xinetd_diag(
				c, at->file, at->line, sipc__xinetd_who(s, who, sizeof(who)),
				"attribute '%s' ignored: xinetd takes it in defaults only",
				at->name);
			c->m->warnings++;
		} else if (id == A_LOG_TYPE) {
			sipc__xinetd_unsupported(
				c, s, at, what,
				at->nvalues > 0 && strcasecmp(at->values[0], "FILE") == 0
					? "serve writes no log file: it logs to stderr (to a "
					  "file by redirection, or to the journal under "
					  "systemd), or to syslog with 'sockipc serve --log "
					  "syslog'"
					: "serve logs to stderr, or to syslog with 'sockipc "
					  "serve --log syslog' for every service at once (no "
					  "facility or level per service)");
		} else if (sipc__xinetd_attrs[id].unsupported != NULL) {
			sipc__xinetd_unsupported(c, s, at, what,
						 sipc__xinetd_attrs[id].unsupported);
		} else {
			apply(c, s, &e[id], def ? &def[id] : NULL, id, at);
		}
	}
}
