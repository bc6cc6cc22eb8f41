/*
 * svcconf.c - the attributes of one service (svcconf.h): parsing each
 * `key = value` of a configuration block into its field, filling what a
 * block left unset from the defaults, and printing the effective result
 * for `serve --check`.  Names of users and groups are resolved here, at
 * load, so a typo fails the start (or the reload) rather than the first
 * connection.
 */
#include "serve/svcconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/acl.h"
#include "sys/sys.h"

struct sipc_svc_conf *sipc__svc_conf_new(const char *name, const char *origin)
{
	struct sipc_svc_conf *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	sc->name = name ? strdup(name) : NULL;
	sc->origin = strdup(origin ? origin : "flags");
	if ((name != NULL && sc->name == NULL) || sc->origin == NULL) {
		sipc__svc_conf_free(sc);
		return NULL;
	}
	sc->instances = sc->per_source = sc->cps = SIPC_SVC_UNSET;
	sc->per_source_prefix6 = -1;
	sc->cps_pause_ms = -1;
	sc->nice = SIPC_SVC_NICE_UNSET;
	sc->umask = SIPC_SVC_UNSET;
	sc->rlimit_as = sc->rlimit_cpu = sc->rlimit_files = SIPC_SVC_UNSET;
	sc->log_on_success = sc->log_on_failure = ~0u; /* unset */
	sc->idle_ms = -1;
	sc->max_msg = 0;
	return sc;
}

static void strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

void sipc__svc_conf_free(struct sipc_svc_conf *sc)
{
	if (sc == NULL)
		return;
	free(sc->name);
	free(sc->origin);
	sipc__acl_free(&sc->only_from);
	sipc__acl_free(&sc->no_access);
	sipc__acl_free(&sc->accept_proxy);
	free(sc->times);
	free(sc->user);
	free(sc->group);
	strv_free(sc->env);
	strv_free(sc->passenv);
	free(sc->banner);
	free(sc);
}

/* ---- lists ---- */

static int strv_push(char ***vp, size_t *np, const char *s)
{
	char **v = realloc(*vp, (*np + 2) * sizeof(*v));

	if (v == NULL)
		return -1;
	*vp = v;
	v[*np] = strdup(s);
	if (v[*np] == NULL)
		return -1;
	v[++*np] = NULL;
	return 0;
}

static int strv_copy(char ***to, size_t *nto, char *const *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strv_push(to, nto, from[i]) < 0)
			return -1;
	return 0;
}

static void strv_clear(char ***vp, size_t *np)
{
	strv_free(*vp);
	*vp = NULL;
	*np = 0;
}

static int acl_copy(struct sipc_acl *to, const struct sipc_acl *from)
{
	if (from->n > 0) {
		to->v = malloc(from->n * sizeof(*to->v));
		if (to->v == NULL)
			return -1;
		memcpy(to->v, from->v, from->n * sizeof(*to->v));
		to->n = from->n;
	}
	if (from->nuids > 0) {
		to->uids = malloc(from->nuids * sizeof(*to->uids));
		if (to->uids == NULL)
			return -1;
		memcpy(to->uids, from->uids, from->nuids * sizeof(*to->uids));
		to->nuids = from->nuids;
	}
	if (from->ngids > 0) {
		to->gids = malloc(from->ngids * sizeof(*to->gids));
		if (to->gids == NULL)
			return -1;
		memcpy(to->gids, from->gids, from->ngids * sizeof(*to->gids));
		to->ngids = from->ngids;
	}
	return 0;
}

static bool acl_empty(const struct sipc_acl *a)
{
	return a->n == 0 && a->nuids == 0 && a->ngids == 0;
}

int sipc__svc_conf_inherit(struct sipc_svc_conf *c, const struct sipc_svc_conf *d)
{
	if (c->instances == SIPC_SVC_UNSET)
		c->instances = d->instances;
	if (c->per_source == SIPC_SVC_UNSET)
		c->per_source = d->per_source;
	if (c->per_source_prefix6 < 0)
		c->per_source_prefix6 = d->per_source_prefix6;
	if (c->cps == SIPC_SVC_UNSET) {
		c->cps = d->cps;
		if (c->cps_pause_ms < 0)
			c->cps_pause_ms = d->cps_pause_ms;
	}
	if (acl_empty(&c->only_from) && acl_copy(&c->only_from, &d->only_from) < 0)
		return -1;
	if (acl_empty(&c->no_access) && acl_copy(&c->no_access, &d->no_access) < 0)
		return -1;
	if (acl_empty(&c->accept_proxy) && acl_copy(&c->accept_proxy, &d->accept_proxy) < 0)
		return -1;
	if (c->ntimes == 0 && d->ntimes > 0) {
		c->times = malloc(d->ntimes * sizeof(*c->times));
		if (c->times == NULL)
			return -1;
		memcpy(c->times, d->times, d->ntimes * sizeof(*c->times));
		c->ntimes = d->ntimes;
	}
	if (c->user == NULL && d->user != NULL) {
		c->user = strdup(d->user);
		if (c->user == NULL)
			return -1;
		c->uid = d->uid;
		c->groups = d->groups;
		if (c->group == NULL)
			c->gid = d->gid;
	}
	if (c->group == NULL && d->group != NULL) {
		c->group = strdup(d->group);
		if (c->group == NULL)
			return -1;
		c->gid = d->gid;
	}
	if (c->nice == SIPC_SVC_NICE_UNSET)
		c->nice = d->nice;
	if (c->umask == SIPC_SVC_UNSET)
		c->umask = d->umask;
	if (c->nenv == 0 && strv_copy(&c->env, &c->nenv, d->env, d->nenv) < 0)
		return -1;
	if (c->npassenv == 0 && strv_copy(&c->passenv, &c->npassenv, d->passenv, d->npassenv) < 0)
		return -1;
	if (c->banner == NULL && d->banner != NULL && (c->banner = strdup(d->banner)) == NULL)
		return -1;
	if (c->rlimit_as == SIPC_SVC_UNSET)
		c->rlimit_as = d->rlimit_as;
	if (c->rlimit_cpu == SIPC_SVC_UNSET)
		c->rlimit_cpu = d->rlimit_cpu;
	if (c->rlimit_files == SIPC_SVC_UNSET)
		c->rlimit_files = d->rlimit_files;
	if (c->log_on_success == ~0u)
		c->log_on_success = d->log_on_success;
	if (c->log_on_failure == ~0u)
		c->log_on_failure = d->log_on_failure;
	if (c->idle_ms < 0)
		c->idle_ms = d->idle_ms;
	if (c->max_msg == 0)
		c->max_msg = d->max_msg;
	return 0;
}

void sipc__svc_conf_complete(struct sipc_svc_conf *c)
{
	if (c->instances == SIPC_SVC_UNSET)
		c->instances = SIPC_SVC_UNLIMITED;
	if (c->per_source == SIPC_SVC_UNSET)
		c->per_source = SIPC_SVC_UNLIMITED;
	if (c->per_source_prefix6 < 0)
		c->per_source_prefix6 = SIPC_SVC_PREFIX6_DEFAULT;
	if (c->cps == SIPC_SVC_UNSET)
		c->cps = SIPC_SVC_UNLIMITED;
	if (c->cps_pause_ms < 0)
		c->cps_pause_ms = SIPC_SVC_CPS_PAUSE_DEFAULT;
	if (c->log_on_success == ~0u)
		c->log_on_success = SIPC_LOGF_SUCCESS_DEFAULT;
	if (c->log_on_failure == ~0u)
		c->log_on_failure = SIPC_LOGF_FAILURE_DEFAULT;
	if (c->idle_ms < 0)
		c->idle_ms = 0;
}

/* ---- values ---- */

static bool is_unlimited(const char *s)
{
	return strcasecmp(s, "UNLIMITED") == 0;
}

/* A whole number in [MIN, MAX] with an optional K/M/G suffix when SIZE. */
static int parse_num(const char *s, long long min, long long max, bool size, long long *out,
		     char *why, size_t whylen)
{
	char *end;
	long long v, mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (size && end != s && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K':
		case 'k':
			mult = 1024;
			break;
		case 'M':
		case 'm':
			mult = 1024 * 1024;
			break;
		case 'G':
		case 'g':
			mult = 1024LL * 1024 * 1024;
			break;
		}
		if (mult != 1)
			end++;
	}
	if (end == s || *end != '\0' || errno != 0 || v > max / mult || v * mult < min) {
		snprintf(why, whylen, "'%.60s' is not a whole number in %lld..%lld%s", s, min, max,
			 size ? " (K, M, G suffixes)" : "");
		return -1;
	}
	*out = v * mult;
	return 0;
}

/* N | UNLIMITED, N in [MIN, MAX]. */
static int parse_limit(const char *s, long long min, long long max, bool size, long long *out,
		       char *why, size_t whylen)
{
	if (is_unlimited(s)) {
		*out = SIPC_SVC_UNLIMITED;
		return 0;
	}
	if (parse_num(s, min, max, size, out, why, whylen) < 0) {
		size_t n = strlen(why);
		snprintf(why + n, whylen - n, " or UNLIMITED");
		return -1;
	}
	return 0;
}

static int parse_yesno(const char *s, bool *out, char *why, size_t whylen)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0) {
		*out = false;
		return 0;
	}
	snprintf(why, whylen, "'%.60s' is not yes or no", s);
	return -1;
}

/* HH:MM-HH:MM, as xinetd writes access_times. */
static int parse_range(const char *s, struct sipc_time_range *r, char *why, size_t whylen)
{
	int h1, m1, h2, m2, used = 0;

	if (sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &used) != 4 || s[used] != '\0' ||
	    h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
	    (h2 == 24 && m2 != 0) || !isdigit((unsigned char)s[0])) {
		snprintf(why, whylen, "'%.60s' is not a range HH:MM-HH:MM", s);
		return -1;
	}
	r->from = h1 * 60 + m1;
	r->to = h2 * 60 + m2;
	return 0;
}

static bool env_name_ok(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static bool value_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static const struct {
	const char *name;
	unsigned bit;
} log_fields[] = {
	{"PID", SIPC_LOGF_PID},         {"HOST", SIPC_LOGF_HOST},
	{"EXIT", SIPC_LOGF_EXIT},       {"DURATION", SIPC_LOGF_DURATION},
	{"TRAFFIC", SIPC_LOGF_TRAFFIC}, {"ATTEMPT", SIPC_LOGF_ATTEMPT},
};

static int parse_log(char *const *argv, int argc, bool failure, unsigned *bits, char *why,
		     size_t whylen)
{
	for (int i = 0; i < argc; i++) {
		size_t k;
		for (k = 0; k < sizeof(log_fields) / sizeof(log_fields[0]); k++)
			if (strcasecmp(argv[i], log_fields[k].name) == 0)
				break;
		if (k == sizeof(log_fields) / sizeof(log_fields[0])) {
			snprintf(why, whylen,
				 "'%.40s' is not a field (PID, HOST, EXIT, DURATION, TRAFFIC%s)%s",
				 argv[i], failure ? ", ATTEMPT" : "",
				 strcasecmp(argv[i], "USERID") == 0
					 ? ": USERID (an ident lookup) is not supported"
					 : "");
			return -1;
		}
		*bits |= log_fields[k].bit;
	}
	return 0;
}

/* "no user 'NAME'", or why users cannot be named on this system. */
static void lookup_failed(const char *what, const char *name, int err, char *why, size_t whylen)
{
	if (err == -ENOENT)
		snprintf(why, whylen, "no %s '%.60s'", what, name);
	else
		snprintf(why, whylen, "%s '%.60s': %s", what, name, sipc_strerror(err));
}

static int set_user(struct sipc_svc_conf *c, const char *name, char *why, size_t whylen)
{
	char found[256];
	unsigned uid, gid;
	int err = sipc__sys_user(name, found, sizeof(found), &uid, &gid);

	if (err < 0) {
		lookup_failed("user", name, err, why, whylen);
		return -1;
	}
	free(c->user);
	c->user = strdup(found);
	if (c->user == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	c->uid = uid;
	if (c->group == NULL)
		c->gid = gid;
	return 0;
}

static int set_group(struct sipc_svc_conf *c, const char *name, char *why, size_t whylen)
{
	char found[256];
	unsigned gid;
	int err = sipc__sys_group(name, found, sizeof(found), &gid);

	if (err < 0) {
		lookup_failed("group", name, err, why, whylen);
		return -1;
	}
	free(c->group);
	c->group = strdup(found);
	if (c->group == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	c->gid = gid;
	return 0;
}

/* only_from / no_access words: CIDR blocks, uid:X and gid:X. */
static int add_access(struct sipc_acl *acl, const char *w, char *why, size_t whylen)
{
	if (strncmp(w, "uid:", 4) == 0)
		return sipc__acl_add_uids(acl, w + 4, why, whylen);
	if (strncmp(w, "gid:", 4) == 0)
		return sipc__acl_add_gids(acl, w + 4, why, whylen);
	return sipc__acl_add(acl, w, why, whylen);
}

static int want_args(int argc, int min, int max, char *why, size_t whylen)
{
	if (argc < min) {
		snprintf(why, whylen, "a value is missing");
		return -1;
	}
	if (max >= 0 && argc > max) {
		snprintf(why, whylen, "takes %s value%s, not %d", max == 1 ? "one" : "two",
			 max == 1 ? "" : "s", argc);
		return -1;
	}
	return 0;
}

int sipc__svc_conf_set(struct sipc_svc_conf *c, const char *key, char *const *argv, int argc,
		       bool append, char *why, size_t whylen)
{
	long long v;
	bool list = strcmp(key, "only_from") == 0 || strcmp(key, "no_access") == 0 ||
		    strcmp(key, "accept_proxy") == 0 || strcmp(key, "access_times") == 0 ||
		    strcmp(key, "env") == 0 || strcmp(key, "passenv") == 0 ||
		    strcmp(key, "log_on_success") == 0 || strcmp(key, "log_on_failure") == 0;

	if (append && !list) {
		snprintf(why, whylen, "+= applies to lists only; use =");
		return -1;
	}
	if (!list && want_args(argc, 1, strcmp(key, "cps") == 0 ? 2 : 1, why, whylen) < 0)
		return -1;

	if (strcmp(key, "instances") == 0 || strcmp(key, "per_source") == 0) {
		if (parse_limit(argv[0], 1, 100000000, false, &v, why, whylen) < 0)
			return -1;
		*(key[0] == 'i' ? &c->instances : &c->per_source) = (long)v;
	} else if (strcmp(key, "per_source_prefix6") == 0) {
		if (parse_num(argv[0], 0, 128, false, &v, why, whylen) < 0)
			return -1;
		c->per_source_prefix6 = (int)v;
	} else if (strcmp(key, "cps") == 0) {
		if (parse_limit(argv[0], 1, 1000000, false, &v, why, whylen) < 0)
			return -1;
		c->cps = (long)v;
		if (argc == 2) {
			if (parse_num(argv[1], 1, 86400, false, &v, why, whylen) < 0)
				return -1;
			c->cps_pause_ms = (int)v * 1000;
		}
	} else if (strcmp(key, "only_from") == 0 || strcmp(key, "no_access") == 0) {
		struct sipc_acl *acl = key[0] == 'o' ? &c->only_from : &c->no_access;
		if (!append) {
			sipc__acl_free(acl);
			memset(acl, 0, sizeof(*acl));
		}
		for (int i = 0; i < argc; i++)
			if (add_access(acl, argv[i], why, whylen) < 0)
				return -1;
	} else if (strcmp(key, "accept_proxy") == 0) {
		/* Trusted upstreams are IP proxies (haproxy, a load balancer):
		 * CIDR blocks, no uid:/gid:. */
		if (!append) {
			sipc__acl_free(&c->accept_proxy);
			memset(&c->accept_proxy, 0, sizeof(c->accept_proxy));
		}
		for (int i = 0; i < argc; i++)
			if (sipc__acl_add(&c->accept_proxy, argv[i], why, whylen) < 0)
				return -1;
	} else if (strcmp(key, "access_times") == 0) {
		if (!append) {
			free(c->times);
			c->times = NULL;
			c->ntimes = 0;
		}
		for (int i = 0; i < argc; i++) {
			struct sipc_time_range r, *t;
			if (parse_range(argv[i], &r, why, whylen) < 0)
				return -1;
			t = realloc(c->times, (c->ntimes + 1) * sizeof(*t));
			if (t == NULL)
				goto nomem;
			c->times = t;
			c->times[c->ntimes++] = r;
		}
	} else if (strcmp(key, "user") == 0) {
		return set_user(c, argv[0], why, whylen);
	} else if (strcmp(key, "group") == 0) {
		return set_group(c, argv[0], why, whylen);
	} else if (strcmp(key, "groups") == 0) {
		return parse_yesno(argv[0], &c->groups, why, whylen);
	} else if (strcmp(key, "nice") == 0) {
		if (parse_num(argv[0], -20, 19, false, &v, why, whylen) < 0)
			return -1;
		c->nice = (int)v;
	} else if (strcmp(key, "umask") == 0) {
		char *end;
		errno = 0;
		unsigned long m = strtoul(argv[0], &end, 8);
		if (*argv[0] == '\0' || *end != '\0' || errno != 0 || m > 0777) {
			snprintf(why, whylen, "'%.60s' is not an octal mode 000..777", argv[0]);
			return -1;
		}
		c->umask = (long)m;
	} else if (strcmp(key, "env") == 0) {
		if (!append)
			strv_clear(&c->env, &c->nenv);
		for (int i = 0; i < argc; i++) {
			const char *eq = strchr(argv[i], '=');
			if (eq == NULL || !env_name_ok(argv[i], (size_t)(eq - argv[i])) ||
			    !value_printable(argv[i])) {
				snprintf(why, whylen, "'%.60s' is not NAME=VALUE", argv[i]);
				return -1;
			}
			if (strv_push(&c->env, &c->nenv, argv[i]) < 0)
				goto nomem;
		}
	} else if (strcmp(key, "passenv") == 0) {
		if (!append)
			strv_clear(&c->passenv, &c->npassenv);
		for (int i = 0; i < argc; i++) {
			if (!env_name_ok(argv[i], strlen(argv[i]))) {
				snprintf(why, whylen, "'%.60s' is not a variable name", argv[i]);
				return -1;
			}
			if (strv_push(&c->passenv, &c->npassenv, argv[i]) < 0)
				goto nomem;
		}
	} else if (strcmp(key, "banner") == 0) {
		free(c->banner);
		c->banner = strdup(argv[0]);
		if (c->banner == NULL)
			goto nomem;
	} else if (strcmp(key, "rlimit_as") == 0) {
		return parse_limit(argv[0], 1024 * 1024, 1LL << 50, true, &c->rlimit_as, why,
				   whylen);
	} else if (strcmp(key, "rlimit_cpu") == 0) {
		return parse_limit(argv[0], 1, 1LL << 31, false, &c->rlimit_cpu, why, whylen);
	} else if (strcmp(key, "rlimit_files") == 0) {
		return parse_limit(argv[0], 3, 1 << 20, false, &c->rlimit_files, why, whylen);
	} else if (strcmp(key, "log_on_success") == 0 || strcmp(key, "log_on_failure") == 0) {
		unsigned *bits = key[7] == 's' ? &c->log_on_success : &c->log_on_failure;
		if (!append || *bits == ~0u)
			*bits = 0;
		return parse_log(argv, argc, key[7] == 'f', bits, why, whylen);
	} else if (strcmp(key, "idle_timeout") == 0) {
		char *end;
		double d = strtod(argv[0], &end);
		if (*argv[0] == '\0' || *end != '\0' || !(d >= 0 && d <= 86400)) {
			snprintf(why, whylen, "'%.60s' is not a number of seconds in 0..86400",
				 argv[0]);
			return -1;
		}
		c->idle_ms = (int)(d * 1000.0 + 0.5);
	} else if (strcmp(key, "max_msg") == 0) {
		if (parse_num(argv[0], 1, 16 * 1024 * 1024, true, &v, why, whylen) < 0)
			return -1;
		c->max_msg = (size_t)v;
	} else {
		snprintf(why, whylen, "unknown attribute");
		return -1;
	}
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

bool sipc__svc_conf_time_allows(const struct sipc_svc_conf *c, int minute)
{
	if (c->ntimes == 0)
		return true;
	for (size_t i = 0; i < c->ntimes; i++) {
		const struct sipc_time_range *r = &c->times[i];
		if (r->from <= r->to ? (minute >= r->from && minute < r->to)
				     : (minute >= r->from || minute < r->to))
			return true;
	}
	return false;
}

/* ---- printing (serve --check) ---- */

static void print_limit(FILE *f, const char *key, long long v)
{
	if (v == SIPC_SVC_UNLIMITED)
		fprintf(f, "    %-18s = UNLIMITED\n", key);
	else if (v != SIPC_SVC_UNSET)
		fprintf(f, "    %-18s = %lld\n", key, v);
}

static void print_acl(FILE *f, const char *key, const struct sipc_acl *a)
{
	char buf[4096];

	if (acl_empty(a))
		return;
	fprintf(f, "    %-18s =", key);
	for (size_t i = 0; i < a->n; i++) {
		struct sipc_acl one = {.v = a->v + i, .n = 1};
		sipc__acl_describe(&one, buf, sizeof(buf));
		fprintf(f, " %s", buf);
	}
	for (size_t i = 0; i < a->nuids; i++)
		fprintf(f, " uid:%lu", a->uids[i]);
	for (size_t i = 0; i < a->ngids; i++)
		fprintf(f, " gid:%lu", a->gids[i]);
	fprintf(f, "\n");
}

static void print_log(FILE *f, const char *key, unsigned bits)
{
	fprintf(f, "    %-18s =", key);
	for (size_t k = 0; k < sizeof(log_fields) / sizeof(log_fields[0]); k++)
		if (bits & log_fields[k].bit)
			fprintf(f, " %s", log_fields[k].name);
	fprintf(f, "\n");
}

/* A word as the block parser reads it back: quoted when it must be. */
void sipc__svc_conf_print_word(FILE *f, const char *w)
{
	bool plain = *w != '\0';

	for (const char *p = w; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || strchr("/._-:=+,@%", *p) != NULL))
			plain = false;
	if (plain) {
		fprintf(f, " %s", w);
		return;
	}
	fputs(" '", f);
	for (const char *p = w; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

void sipc__svc_conf_print(const struct sipc_svc_conf *c, FILE *f)
{
	print_limit(f, "instances", c->instances);
	print_limit(f, "per_source", c->per_source);
	fprintf(f, "    %-18s = %d\n", "per_source_prefix6", c->per_source_prefix6);
	if (c->cps == SIPC_SVC_UNLIMITED)
		fprintf(f, "    %-18s = UNLIMITED\n", "cps");
	else
		fprintf(f, "    %-18s = %ld %d\n", "cps", c->cps, c->cps_pause_ms / 1000);
	print_acl(f, "only_from", &c->only_from);
	print_acl(f, "no_access", &c->no_access);
	print_acl(f, "accept_proxy", &c->accept_proxy);
	if (c->ntimes > 0) {
		fprintf(f, "    %-18s =", "access_times");
		for (size_t i = 0; i < c->ntimes; i++)
			fprintf(f, " %02d:%02d-%02d:%02d", c->times[i].from / 60,
				c->times[i].from % 60, c->times[i].to / 60, c->times[i].to % 60);
		fprintf(f, "\n");
	}
	if (c->user != NULL) {
		fprintf(f, "    %-18s =", "user");
		sipc__svc_conf_print_word(f, c->user);
		fprintf(f, "\n    %-18s = %s\n", "groups", c->groups ? "yes" : "no");
	}
	if (c->group != NULL) {
		fprintf(f, "    %-18s =", "group");
		sipc__svc_conf_print_word(f, c->group);
		fprintf(f, "\n");
	}
	if (c->nice != SIPC_SVC_NICE_UNSET)
		fprintf(f, "    %-18s = %d\n", "nice", c->nice);
	if (c->umask != SIPC_SVC_UNSET)
		fprintf(f, "    %-18s = %03lo\n", "umask", (unsigned long)c->umask);
	if (c->nenv > 0) {
		fprintf(f, "    %-18s =", "env");
		for (size_t i = 0; i < c->nenv; i++)
			sipc__svc_conf_print_word(f, c->env[i]);
		fprintf(f, "\n");
	}
	if (c->npassenv > 0) {
		fprintf(f, "    %-18s =", "passenv");
		for (size_t i = 0; i < c->npassenv; i++)
			sipc__svc_conf_print_word(f, c->passenv[i]);
		fprintf(f, "\n");
	}
	if (c->banner != NULL) {
		fprintf(f, "    %-18s =", "banner");
		sipc__svc_conf_print_word(f, c->banner);
		fprintf(f, "\n");
	}
	print_limit(f, "rlimit_as", c->rlimit_as);
	print_limit(f, "rlimit_cpu", c->rlimit_cpu);
	print_limit(f, "rlimit_files", c->rlimit_files);
	print_log(f, "log_on_success", c->log_on_success);
	print_log(f, "log_on_failure", c->log_on_failure);
	fprintf(f, "    %-18s = %d.%03d\n", "idle_timeout", c->idle_ms / 1000, c->idle_ms % 1000);
	fprintf(f, "    %-18s = %zu\n", "max_msg", c->max_msg);
}
