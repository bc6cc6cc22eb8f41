/*
 * main.c - the subcommand table.  `sockipc SUBCOMMAND ...` finds its entry
 * here and hands over; each subcommand lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plat.h"
#include "sockipc.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"serve", sipc_cmd_serve, "run the concurrent multi-service server"},
	{"connect", sipc_cmd_connect, "connect to URL and relay stdin/stdout"},
	{"listen", sipc_cmd_listen, "wait for one peer on URL and relay stdin/stdout"},
	{"send", sipc_cmd_send, "send messages to URL and print the replies"},
	{"resolve", sipc_cmd_resolve, "print the addresses a host and service resolve to"},
	{"bench", sipc_cmd_bench, "measure throughput and latency of an echo endpoint"},
	{"xinetd-import", sipc_cmd_xinetd_import,
	 "convert xinetd.conf files to a serve configuration"},
	{"scan", sipc_cmd_scan, "report which ports of a host are open (nc -z, nmap -sT/-sU)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sockipc SUBCOMMAND [OPTIONS] ARGS\n\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-14s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n`sockipc help SUBCOMMAND` for its options; --version for the version.\n");
}

static const struct subcommand *find(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;

	sipc_cli_plat_init();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("sockipc %s\n", sipc_version());
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		sc = find(argv[2]);
		if (sc == NULL) {
			fprintf(stderr, "sockipc: help: unknown subcommand '%s'\n", argv[2]);
			return 2;
		}
		char *help_argv[] = {argv[2], "--help", NULL};
		return sc->run(2, help_argv);
	}
	sc = find(argv[1]);
	if (sc == NULL) {
		fprintf(stderr, "sockipc: unknown subcommand '%s' (try sockipc --help)\n", argv[1]);
		return 2;
	}
	return sc->run(argc - 1, argv + 1);
}
