/*
 * xinetd_import.c - `sockipc xinetd-import [FILE|DIR]...`: reads an xinetd
 * configuration (by default /etc/xinetd.conf, which includes
 * /etc/xinetd.d) and prints the equivalent `sockipc serve -f`
 * configuration on stdout, with one line on stderr for every attribute or
 * service it cannot carry over.  Nothing is printed on stdout unless the
 * whole conversion succeeded, so `> FILE` never leaves half a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "serve/xinetd.h"

static const struct sipc_opt_spec spec = {
	"xinetd-import",
	"[OPTIONS] [FILE|DIR]...",
	"Reads xinetd.conf(5) files (default /etc/xinetd.conf; a DIR is read as\n"
	"`includedir` reads one; - is standard input) and writes the equivalent sockipc serve\n"
	"configuration on stdout.  Each attribute or service that cannot be\n"
	"carried over gets one line on stderr, FILE:LINE: service NAME: why.\n"
	"Exit status: 0 converted (maybe with such lines), 1 a file could not be\n"
	"read, 2 a syntax error or a value xinetd would refuse (FILE:LINE named).",
	NULL,
	0,
	-1,
	/* Nothing is dialed or served: nothing to trace, dump or notice; and
	 * what it says on stderr is the point of it. */
	.refuse = SIPC__OPT_G_TRACE | SIPC__OPT_G_HEX | SIPC__OPT_G_VERBOSE | SIPC__OPT_G_QUIET,
};

int sipc_cmd_xinetd_import(int argc, char **argv)
{
	static char *const default_paths[] = {"/etc/xinetd.conf", NULL};
	struct sipc_xinetd x;
	struct sipc_xinetd_map m = {0};
	char why[1024], *conf = NULL, *sources = NULL;
	size_t conflen = 0, srclen = 0;
	char *const *paths;
	int nargs, rc = SIPC_EXIT_OK;
	FILE *srcf;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	paths = nargs > 0 ? argv + 1 : default_paths;

	sipc__xinetd_init(&x);
	srcf = open_memstream(&sources, &srclen);
	if (srcf == NULL) {
		sipc_cli_error("xinetd-import: out of memory");
		return SIPC_EXIT_FAIL;
	}
	for (int i = 0; paths[i] != NULL; i++) {
		const char *path = strcmp(paths[i], "-") == 0 ? "/dev/stdin" : paths[i];
		int r = sipc__xinetd_read_path(&x, path, why, sizeof(why));

		fprintf(srcf, "%s%s", i > 0 ? ", " : "", paths[i]);
		if (r < 0) {
			sipc_cli_error("xinetd-import: %s", why);
			rc = r == SIPC_XINETD_EREAD ? SIPC_EXIT_FAIL : SIPC_EXIT_USAGE;
			break;
		}
	}
	fclose(srcf);
	if (rc == SIPC_EXIT_OK) {
		m.conf = open_memstream(&conf, &conflen);
		m.diag = stderr;
		m.diag_prefix = "sockipc: ";
		if (m.conf == NULL) {
			sipc_cli_error("xinetd-import: out of memory");
			rc = SIPC_EXIT_FAIL;
		} else {
			if (sipc__xinetd_map(&x, sources ? sources : "", &m) < 0)
				rc = SIPC_EXIT_USAGE;
			fclose(m.conf);
		}
	}
	if (rc == SIPC_EXIT_OK) {
		fwrite(conf, 1, conflen, stdout);
		if (fflush(stdout) != 0) {
			sipc_cli_error("xinetd-import: writing the configuration failed");
			rc = SIPC_EXIT_FAIL;
		}
	} else if (m.errors > 0) {
		sipc_cli_error("xinetd-import: %u error%s: nothing written", m.errors,
			       m.errors == 1 ? "" : "s");
	}
	free(conf);
	free(sources);
	sipc__xinetd_free(&x);
	return rc;
}
