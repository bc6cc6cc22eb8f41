/*
 * absent_win.c - what the Windows build of sockipc does not have yet:
 * the subcommands scan and xinetd-import (a later step of
 * issue 14 ports them) say so in one line with status 2, and the calls of
 * connect and listen into programs (program.c, progpool.c: fork, exec,
 * dup2 onto stdio) and descriptor passing (fdcli.c: SCM_RIGHTS) are here
 * as stand-ins.  Their options are refused by name first
 * (sipc_cli_plat_absent_opt, "not supported on this system"), so these
 * are never reached with anything to do.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/fdcli.h"
#include "cli/progpool.h"
#include "cli/program.h"

static int absent(const char *cmd)
{
	sipc_cli_error("%s: not in the Windows build yet", cmd);
	return SIPC_EXIT_USAGE;
}

int sipc_cmd_scan(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return absent("scan");
}

int sipc_cmd_xinetd_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return absent("xinetd-import");
}

/* ---- program.h, progpool.h: -e and --sh-exec are refused ---- */

int sipc_program_argv(const char *cmd, const char *exec, const char *sh, char ***argvp)
{
	*argvp = NULL;
	if (exec == NULL && sh == NULL)
		return 0;
	sipc_cli_error("%s: %s: not supported on this system", cmd,
		       exec != NULL ? "--exec" : "--sh-exec");
	return SIPC_EXIT_USAGE;
}

void sipc_program_argv_free(char **argv)
{
	(void)argv;
}

int sipc_program_run(char **argv, const struct sipc_relay_cfg *cfg, sipc_endpoint *ep, int stop_fd,
		     bool same_pgrp, bool *stopped)
{
	(void)argv;
	(void)cfg;
	(void)ep;
	(void)stop_fd;
	(void)same_pgrp;
	(void)stopped;
	return SIPC_EXIT_FAIL;
}

int sipc_progpool_init(struct sipc_progpool *p, long max, char **argv,
		       const struct sipc_relay_cfg *cfg, int stop_fd)
{
	(void)p;
	(void)max;
	(void)argv;
	(void)cfg;
	(void)stop_fd;
	return SIPC_ENOTSUP;
}

int sipc_progpool_wait(struct sipc_progpool *p)
{
	(void)p;
	return 1;
}

int sipc_progpool_start(struct sipc_progpool *p, sipc_endpoint *conn)
{
	(void)p;
	(void)conn;
	return SIPC_ENOTSUP;
}

void sipc_progpool_finish(struct sipc_progpool *p)
{
	(void)p;
}

/* ---- fdcli.h: send --fd and listen --recv-fd are refused ---- */

int sipc_cli_fd_opt(void *dest, const char *value, char *why, size_t whylen)
{
	(void)dest;
	(void)value;
	snprintf(why, whylen, "not supported on this system");
	return -1;
}

int sipc_cli_fd_check(const char *cmd, const char *option, sipc_scheme sc)
{
	(void)sc;
	sipc_cli_error("%s: %s: not supported on this system", cmd, option);
	return SIPC_EXIT_USAGE;
}

int sipc_cli_fds_open(const char *cmd, struct sipc_cli_fds *f)
{
	(void)cmd;
	(void)f;
	return 0;
}

void sipc_cli_fds_close(struct sipc_cli_fds *f)
{
	(void)f;
}

int sipc_cli_recv_fds(const char *url, sipc_endpoint *ep, const char *dir, int stop_fd, int idle_ms)
{
	(void)url;
	(void)ep;
	(void)dir;
	(void)stop_fd;
	(void)idle_ms;
	return SIPC_EXIT_FAIL;
}
