/*
 * svcopt.c - the options a service takes at the head of its arguments,
 * `--name=VALUE` words before the first other word (or a lone "--"), as in
 * `exec --max-children=8 /bin/cat` or `forward --idle=5 udp://h:53`.  They
 * live in the service line rather than among serve's own options so that
 * each endpoint can have its own, and so that `exec PROGRAM -l` leaves the
 * program's arguments alone.  Only start-up code calls this.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/services/services.h"

static int parse_int(const struct sipc_svc_opt *o, const char *v, char *why, size_t whylen)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || l < o->min || l > o->max) {
		snprintf(why, whylen, "--%s: '%s' is not a whole number in %ld..%ld", o->name, v,
			 o->min, o->max);
		return -1;
	}
	*(long *)o->dest = l;
	return 0;
}

static int parse_ms(const struct sipc_svc_opt *o, const char *v, char *why, size_t whylen)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	/* The range is checked in milliseconds, as serve's own options are. */
	if (*v == '\0' || *end != '\0' || errno != 0 || !(d * 1000.0 >= (double)o->min) ||
	    !(d * 1000.0 <= (double)o->max)) {
		snprintf(why, whylen, "--%s: '%s' is not a number of seconds in %g..%g", o->name, v,
			 (double)o->min / 1000.0, (double)o->max / 1000.0);
		return -1;
	}
	*(int *)o->dest = (int)(d * 1000.0 + 0.5);
	return 0;
}

static int parse_size(const struct sipc_svc_opt *o, const char *v, char *why, size_t whylen)
{
	char *end;
	unsigned long long n;
	unsigned long long mult = 1;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1024;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024;
	else if (*end == 'G' || *end == 'g')
		mult = 1024ULL * 1024 * 1024;
	if (mult != 1)
		end++;
	if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0 ||
	    n > (unsigned long long)o->max || n * mult < (unsigned long long)o->min ||
	    n * mult > (unsigned long long)o->max) {
		snprintf(why, whylen, "--%s: '%s' is not a size in %ld..%ld bytes (K, M suffixes)",
			 o->name, v, o->min, o->max);
		return -1;
	}
	*(size_t *)o->dest = (size_t)(n * mult);
	return 0;
}

static int parse_string(const struct sipc_svc_opt *o, const char *v, char *why, size_t whylen)
{
	if (*v == '\0') {
		snprintf(why, whylen, "--%s: empty value", o->name);
		return -1;
	}
	*(const char **)o->dest = v;
	return 0;
}

static int parse_list(const struct sipc_svc_opt *o, const char *v, char *why, size_t whylen)
{
	struct sipc_svc_list *l = o->dest;

	if (*v == '\0') {
		snprintf(why, whylen, "--%s: empty value", o->name);
		return -1;
	}
	if (l->n >= o->max) {
		snprintf(why, whylen, "--%s: more than %ld given", o->name, o->max);
		return -1;
	}
	l->v[l->n++] = v;
	return 0;
}

int sipc__svc_opts_parse(const char *svc, int argc, char **argv, const struct sipc_svc_opt *opts,
			 int *used, char *why, size_t whylen)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *name, *eq;
		const struct sipc_svc_opt *o;
		size_t len;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2) != 0)
			break;
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		for (o = opts; o->name != NULL; o++)
			if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
				break;
		if (o->name == NULL) {
			char known[256] = "";
			for (const struct sipc_svc_opt *k = opts; k->name != NULL; k++) {
				strncat(known, k == opts ? "--" : ", --",
					sizeof(known) - strlen(known) - 1);
				strncat(known, k->name, sizeof(known) - strlen(known) - 1);
			}
			snprintf(why, whylen, "%s: unknown option '%.*s' (known: %s)", svc,
				 (int)(len > 40 ? 40 : len), name, opts->name ? known : "none");
			return -1;
		}
		if (o->type == SIPC__SVC_OPT_FLAG) {
			if (eq != NULL) {
				snprintf(why, whylen, "%s: --%s takes no value", svc, o->name);
				return -1;
			}
			*(bool *)o->dest = true;
			continue;
		}
		if (eq == NULL) {
			snprintf(why, whylen, "%s: --%s needs a value: --%s=VALUE", svc, o->name,
				 o->name);
			return -1;
		}
		char detail[200];
		int rc;
		switch (o->type) {
		case SIPC__SVC_OPT_INT:
			rc = parse_int(o, eq + 1, detail, sizeof(detail));
			break;
		case SIPC__SVC_OPT_MS:
			rc = parse_ms(o, eq + 1, detail, sizeof(detail));
			break;
		case SIPC__SVC_OPT_STRING:
			rc = parse_string(o, eq + 1, detail, sizeof(detail));
			break;
		case SIPC__SVC_OPT_LIST:
			rc = parse_list(o, eq + 1, detail, sizeof(detail));
			break;
		default:
			rc = parse_size(o, eq + 1, detail, sizeof(detail));
			break;
		}
		if (rc < 0) {
			snprintf(why, whylen, "%s: %s", svc, detail);
			return -1;
		}
	}
	*used = i;
	return 0;
}

const char *sipc__svc_arg_shown(const char *arg, char *buf, size_t len)
{
	const char *colon;

	if (strncmp(arg, "--user=", 7) != 0 || (colon = strchr(arg + 7, ':')) == NULL)
		return arg;
	snprintf(buf, len, "%.*s:***", (int)(colon - arg), arg);
	return buf;
}
