/*
 * opt.h - the one option parser of the sockipc program, shared by every
 * subcommand (connect, listen, send, resolve, serve, ...).
 *
 * A subcommand describes its options in a table and calls sipc_opt_parse:
 *
 *	static bool framed;
 *	static int idle_ms = -1;
 *	static const struct sipc_opt opts[] = {
 *		{"framed", 0, SIPC__OPT_FLAG, &framed, 0, 0, NULL,
 *		 "one line = one length-prefixed message"},
 *		{"idle-timeout", 'i', SIPC__OPT_SECONDS, &idle_ms, 0, 86400000, "S",
 *		 "end after S seconds without traffic"},
 *		{NULL},
 *	};
 *	static const struct sipc_opt_spec spec = {
 *		"connect", "[OPTIONS] URL", "Connects to URL and ...", opts, 1, 1};
 *	int nargs, rc = sipc_opt_parse(&spec, argc, argv, &nargs);
 *	if (rc != SIPC__OPT_OK)
 *		return rc == SIPC__OPT_HELP ? 0 : 2;
 *	// argv[1] .. argv[nargs] are now the positional arguments, in order.
 *
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, bundled
 * short flags (-vq), "--" to end the options, and options after positional
 * arguments (they are moved out of the way).  A lone "-" is positional.
 * The global options of DESIGN.md (--trace, --hex, -v/--verbose,
 * -q/--quiet, -h/--help) are accepted by every subcommand without being in
 * its table, except those its spec refuses (a subcommand with nothing to
 * trace or dump says so rather than ignoring the option); they set
 * sipc_cli_globals (cli.h).
 *
 * Every value is checked: numbers must be whole (or decimal seconds for
 * SIPC__OPT_SECONDS) and lie in [min, max]; an error prints one line that
 * names the subcommand, the option and the value, e.g.
 *	sockipc: connect: --idle-timeout: 'x' is not a number of seconds
 * and sipc_opt_parse returns SIPC__OPT_ERROR (the caller exits 2).
 * --help prints the usage, generated from the table, on stdout and returns
 * SIPC__OPT_HELP (the caller exits 0).  Not thread-safe (program start-up).
 */
#ifndef SIPC_CLI_OPT_H
#define SIPC_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum sipc_opt_type {
	SIPC__OPT_FLAG,      /* bool *: set to true; takes no value */
	SIPC__OPT_INT,       /* long *: a whole number in [min, max] */
	SIPC__OPT_MS,        /* int *: whole milliseconds in [min, max] */
	SIPC__OPT_SECONDS,   /* int *: decimal seconds ("0.5"), stored as
			       milliseconds, checked against [min, max] in ms */
	SIPC__OPT_SIZE,      /* size_t *: bytes with optional K/M/G suffix
			       (powers of 1024), in [min, max] */
	SIPC__OPT_STRING,    /* const char **: the value as given (argv owns it);
			       a repeated option keeps the last one */
	SIPC__OPT_FUNC,      /* calls fn(dest, value, why, whylen) for each use
			       (repeatable options such as serve's -e LINE); fn
			       returns 0, or -1 after writing WHY */
	SIPC__OPT_OPTSTRING, /* const char **: "" when given alone, the value
				only as --name=VALUE (listen's --recv-fd[=DIR]);
				long names only */
};

/* Callback of SIPC__OPT_FUNC. */
typedef int sipc_opt_fn(void *dest, const char *value, char *why, size_t whylen);

struct sipc_opt {
	const char *name; /* long name without "--"; NULL ends the table */
	char short_name;  /* 0 when there is none */
	enum sipc_opt_type type;
	void *dest;       /* what the type above says */
	long min, max;    /* range for the numeric types */
	const char *arg;  /* the value's name in --help ("S", "N", "URL") */
	const char *help; /* one line for --help */
	sipc_opt_fn *fn;  /* SIPC__OPT_FUNC only */
};

struct sipc_opt_spec {
	const char *cmd;      /* subcommand name, for messages */
	const char *synopsis; /* "[OPTIONS] URL" */
	const char *about;    /* a paragraph for --help (may be NULL) */
	const struct sipc_opt *opts;
	int min_args; /* positional arguments required */
	int max_args; /* at most this many; -1: no limit */
	/* Options end at the first positional argument: what follows belongs
	 * to it (serve's `URL exec ls -l`).  false: options may follow. */
	bool stop_at_positional;
	/* The global options this subcommand cannot honour (SIPC__OPT_G_*):
	 * given, they are a usage error naming them, and --help leaves them
	 * out. */
	unsigned refuse;
};

/* Bits of sipc_opt_spec.refuse, one per global option. */
enum {
	SIPC__OPT_G_TRACE = 1 << 0,
	SIPC__OPT_G_HEX = 1 << 1,
	SIPC__OPT_G_VERBOSE = 1 << 2,
	SIPC__OPT_G_QUIET = 1 << 3,
};

enum { SIPC__OPT_OK = 0, SIPC__OPT_HELP = 1, SIPC__OPT_ERROR = 2 };

/*
 * Parses ARGV[1..ARGC-1] (ARGV[0] is the subcommand's name) against SPEC
 * and the global options.  On SIPC__OPT_OK the positional arguments are
 * moved to ARGV[1..*NARGS] in their order (ARGV is permuted in place) and
 * ARGV[*NARGS + 1] is NULL.
 */
int sipc_opt_parse(const struct sipc_opt_spec *spec, int argc, char **argv, int *nargs);

/* Prints the usage of SPEC (synopsis, about, its options, the globals). */
void sipc_opt_usage(const struct sipc_opt_spec *spec, FILE *out);

#endif /* SIPC_CLI_OPT_H */
