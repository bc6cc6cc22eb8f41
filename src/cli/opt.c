/*
 * opt.c - the table-driven option parser every subcommand uses (opt.h
 * describes the API), the global options (--trace, --hex, -v, -q, --help)
 * and the usage text generated from a subcommand's table.  Values are
 * checked here once, so no subcommand parses a number by hand; an error
 * names the subcommand, the option and the value, as STYLE.md asks.
 */
#include "cli/opt.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plat.h"

static const struct sipc_opt global_opts[] = {
	{"trace", 0, SIPC__OPT_FLAG, &sipc_cli_globals.trace, 0, 0, NULL,
	 "one stderr line per socket call, and the association once connected"},
	{"hex", 0, SIPC__OPT_FLAG, &sipc_cli_globals.hex, 0, 0, NULL,
	 "hex and ASCII dump of the data of each direction on stderr"},
	{"verbose", 'v', SIPC__OPT_FLAG, &sipc_cli_globals.verbose, 0, 0, NULL,
	 "print notices (connected, accepted) on stderr"},
	{"quiet", 'q', SIPC__OPT_FLAG, &sipc_cli_globals.quiet, 0, 0, NULL,
	 "print nothing on stderr but errors"},
	{"help", 'h', SIPC__OPT_FLAG, NULL, 0, 0, NULL, "show this help"},
	{NULL},
};
/* --help is handled here, after the whole line is read. */
#define HELP_OPT (&global_opts[4])

/* Whether SPEC refuses O, one of global_opts: bit i of refuse is
 * global_opts[i] (the order of SIPC__OPT_G_*). */
static bool refused(const struct sipc_opt_spec *spec, const struct sipc_opt *o)
{
	for (unsigned i = 0; &global_opts[i] != HELP_OPT; i++)
		if (o == &global_opts[i])
			return (spec->refuse & (1u << i)) != 0;
	return false;
}

static const struct sipc_opt *find_long(const struct sipc_opt *t, const char *name, size_t len)
{
	for (; t->name != NULL; t++)
		if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

static const struct sipc_opt *find_short(const struct sipc_opt *t, char c)
{
	for (; t->name != NULL; t++)
		if (t->short_name != 0 && t->short_name == c)
			return t;
	return NULL;
}

static const struct sipc_opt *lookup_long(const struct sipc_opt_spec *spec, const char *name,
					  size_t len)
{
	const struct sipc_opt *o = spec->opts ? find_long(spec->opts, name, len) : NULL;

	return o ? o : find_long(global_opts, name, len);
}

static const struct sipc_opt *lookup_short(const struct sipc_opt_spec *spec, char c)
{
	const struct sipc_opt *o = spec->opts ? find_short(spec->opts, c) : NULL;

	return o ? o : find_short(global_opts, c);
}

/* Whole number in [min, max]; the text must be all digits (with a sign). */
static int parse_long(const char *s, long min, long max, long *out, char *why, size_t whylen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || end == s) {
		snprintf(why, whylen, "'%s' is not a whole number", s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(why, whylen, "'%s' is out of range %ld-%ld", s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, long min, long max, int *out, char *why, size_t whylen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* strtod also takes "inf", "nan" and hex floats; a timeout is none
	 * of those, so only digits and one dot get through. */
	if (*s == '\0' || *end != '\0' || strspn(s, "0123456789.") != strlen(s)) {
		snprintf(why, whylen, "'%s' is not a number of seconds", s);
		return -1;
	}
	v *= 1000.0;
	if (errno == ERANGE || v < (double)min || v > (double)max) {
		snprintf(why, whylen, "'%s' is out of range %g-%g seconds", s, (double)min / 1000.0,
			 (double)max / 1000.0);
		return -1;
	}
	*out = (int)(v + 0.5); /* v >= 0: rounds to the nearest ms */
	return 0;
}

static int parse_size(const char *s, long min, long max, size_t *out, char *why, size_t whylen)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (*s < '0' || *s > '9') {
		snprintf(why, whylen, "'%s' is not a size", s);
		return -1;
	}
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0') {
		snprintf(why, whylen, "'%s' is not a size (N, NK, NM or NG)", s);
		return -1;
	}
	if (errno == ERANGE || v > ((unsigned long long)max >> shift) ||
	    (v << shift) < (unsigned long long)min) {
		snprintf(why, whylen, "'%s' is out of range %ld-%ld bytes", s, min, max);
		return -1;
	}
	*out = (size_t)(v << shift);
	return 0;
}

/* Stores VALUE for option O; returns 0, or -1 with WHY filled. */
static int apply(const struct sipc_opt *o, const char *value, char *why, size_t whylen)
{
	long l;

	switch (o->type) {
	case SIPC__OPT_FLAG:
		if (o->dest != NULL)
			*(bool *)o->dest = true;
		return 0;
	case SIPC__OPT_INT:
		if (parse_long(value, o->min, o->max, &l, why, whylen) < 0)
			return -1;
		*(long *)o->dest = l;
		return 0;
	case SIPC__OPT_MS:
		if (parse_long(value, o->min, o->max, &l, why, whylen) < 0)
			return -1;
		*(int *)o->dest = (int)l;
		return 0;
	case SIPC__OPT_SECONDS:
		return parse_seconds(value, o->min, o->max, (int *)o->dest, why, whylen);
	case SIPC__OPT_SIZE:
		return parse_size(value, o->min, o->max, (size_t *)o->dest, why, whylen);
	case SIPC__OPT_STRING:
		*(const char **)o->dest = value;
		return 0;
	case SIPC__OPT_OPTSTRING:
		if (value[0] == '\0' && o->arg != NULL) {
			snprintf(why, whylen, "'=' without a value: give --%s=%s, or --%s alone",
				 o->name, o->arg, o->name);
			return -1;
		}
		*(const char **)o->dest = value;
		return 0;
	case SIPC__OPT_FUNC:
		return o->fn(o->dest, value, why, whylen);
	}
	snprintf(why, whylen, "unknown option type");
	return -1;
}

static void print_opts(FILE *out, const struct sipc_opt_spec *spec, const struct sipc_opt *t)
{
	char left[64];

	for (; t->name != NULL; t++) {
		const char *arg = t->arg, *help = t->help;

		/* What this system cannot do is not offered either. */
		if (refused(spec, t) || sipc_cli_plat_absent_opt(spec->cmd, t->name))
			continue;
		sipc_cli_plat_opt_words(spec->cmd, t->name, &arg, &help);
		if (t->type == SIPC__OPT_OPTSTRING)
			snprintf(left, sizeof(left), "    --%s[=%s]", t->name, arg ? arg : "");
		else if (t->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", t->short_name, t->name,
				 arg ? " " : "", arg ? arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", t->name, arg ? " " : "",
				 arg ? arg : "");
		fprintf(out, "  %-26s %s\n", left, help ? help : "");
	}
}

void sipc_opt_usage(const struct sipc_opt_spec *spec, FILE *out)
{
	fprintf(out, "usage: sockipc %s %s\n", spec->cmd, spec->synopsis);
	if (spec->about != NULL)
		fprintf(out, "\n%s\n", spec->about);
	if (spec->opts != NULL && spec->opts[0].name != NULL) {
		fprintf(out, "\noptions:\n");
		print_opts(out, spec, spec->opts);
	}
	fprintf(out, "\nglobal options:\n");
	print_opts(out, spec, global_opts);
}

static int usage_error(const struct sipc_opt_spec *spec, const char *what, const char *why)
{
	if (what != NULL)
		fprintf(stderr, "sockipc: %s: %s: %s\n", spec->cmd, what, why);
	else
		fprintf(stderr, "sockipc: %s: %s\n", spec->cmd, why);
	fprintf(stderr, "sockipc: try 'sockipc help %s'\n", spec->cmd);
	return SIPC__OPT_ERROR;
}

static int not_supported(const struct sipc_opt_spec *spec, const char *what)
{
	char why[128];

	snprintf(why, sizeof(why), "not supported by %s", spec->cmd);
	return usage_error(spec, what, why);
}

int sipc_opt_parse(const struct sipc_opt_spec *spec, int argc, char **argv, int *nargs)
{
	char why[256], what[80];
	int npos = 0;
	bool help = false, only_pos = false;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct sipc_opt *o;
		const char *value = NULL;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			argv[++npos] = a; /* npos < i, so nothing unread is lost */
			if (spec->stop_at_positional)
				only_pos = true;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			o = lookup_long(spec, name, len);
			snprintf(what, sizeof(what), "--%.*s", (int)(len > 40 ? 40 : len), name);
			if (o == NULL) {
				snprintf(why, sizeof(why), "unknown option '%s'", what);
				return usage_error(spec, NULL, why);
			}
			if (refused(spec, o))
				return not_supported(spec, what);
			if (sipc_cli_plat_absent_opt(spec->cmd, o->name))
				return usage_error(spec, what, "not supported on this system");
			if (o->type == SIPC__OPT_FLAG) {
				if (eq != NULL)
					return usage_error(spec, what, "takes no value");
			} else if (eq != NULL) {
				value = eq + 1;
			} else if (o->type == SIPC__OPT_OPTSTRING) {
				value = NULL; /* alone: "" below */
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				return usage_error(spec, what, "needs a value");
			}
			if (o == HELP_OPT)
				help = true;
			else if (o->type == SIPC__OPT_OPTSTRING && value == NULL)
				*(const char **)o->dest = "";
			else if (apply(o, value, why, sizeof(why)) < 0)
				return usage_error(spec, what, why);
			continue;
		}
		/* Short options: -v, -vq (bundled flags), -t5 or -t 5. */
		for (const char *p = a + 1; *p != '\0'; p++) {
			o = lookup_short(spec, *p);
			snprintf(what, sizeof(what), "-%c", *p);
			if (o == NULL) {
				snprintf(why, sizeof(why), "unknown option '%s'", what);
				return usage_error(spec, NULL, why);
			}
			if (refused(spec, o))
				return not_supported(spec, what);
			if (sipc_cli_plat_absent_opt(spec->cmd, o->name))
				return usage_error(spec, what, "not supported on this system");
			if (o->type == SIPC__OPT_FLAG) {
				if (o == HELP_OPT)
					help = true;
				else
					apply(o, NULL, why, sizeof(why));
				continue;
			}
			if (p[1] != '\0')
				value = p + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return usage_error(spec, what, "needs a value");
			if (apply(o, value, why, sizeof(why)) < 0)
				return usage_error(spec, what, why);
			break;
		}
	}
	argv[npos + 1] = NULL;
	if (help) {
		sipc_opt_usage(spec, stdout);
		return SIPC__OPT_HELP;
	}
	if (npos < spec->min_args) {
		snprintf(why, sizeof(why), "missing argument (usage: sockipc %s %s)", spec->cmd,
			 spec->synopsis);
		return usage_error(spec, NULL, why);
	}
	if (spec->max_args >= 0 && npos > spec->max_args) {
		snprintf(why, sizeof(why), "unexpected argument '%s'", argv[spec->max_args + 1]);
		return usage_error(spec, NULL, why);
	}
	*nargs = npos;
	return SIPC__OPT_OK;
}
