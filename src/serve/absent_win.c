/*
 * absent_win.c - what the Windows build of `sockipc serve` does without:
 *  - the supervisor (supervisor.c forks a generation per configuration,
 *    for reloads and --handover): serve runs the server in its own
 *    process, as --inetd does on Linux; there is no reload;
 *  - socket activation (LISTEN_FDS) and the service manager's
 *    notifications (NOTIFY_SOCKET): systemd's, nothing to read here;
 *  - --inetd (a socket as descriptor 0), --user and --group: their
 *    options are refused by name first (cli/plat_win.c), and users and
 *    groups cannot even be named (sys/win/user.c), so the stand-ins below
 *    are never reached with anything to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "serve/inetd.h"
#include "serve/inherit.h"
#include "serve/notify.h"
#include "serve/privdrop.h"
#include "serve/server.h"
#include "serve/supervisor.h"

int sipc__supervise(struct sipc_serve_config *cfg, const struct sipc__supervisor_opts *o)
{
	struct sipc__server *srv = NULL;
	char why[1024];
	int rc;

	(void)o;
	if (sipc__server_check(cfg, why, sizeof(why)) < 0) {
		sipc__serve_log(NULL, 0, "serve: %s", why);
		rc = 2;
	} else if (sipc__banner_preload(cfg, why, sizeof(why)) < 0) {
		sipc__serve_log(NULL, 0, "serve: %s", why);
		rc = 2;
	} else if ((rc = sipc__server_new(cfg, &srv, why, sizeof(why))) != 0) {
		sipc__serve_log(NULL, 0, "serve: %s", why);
	} else {
		rc = sipc__server_run(srv);
		sipc__server_free(srv);
	}
	sipc__serve_config_free(cfg);
	free(cfg);
	return rc;
}

/* ---- inherit.h: nothing is passed in ---- */

int sipc__inherit_from_env(struct sipc__inherit **poolp, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	*poolp = NULL;
	return 0;
}

int sipc__inherit_take(struct sipc__inherit *pool, const struct sipc_serve_line *line, int *fdp,
		       char *why, size_t whylen)
{
	(void)pool;
	(void)line;
	(void)fdp;
	(void)why;
	(void)whylen;
	return -ENOENT;
}

int sipc__inherit_check_rest(const struct sipc__inherit *pool, const struct sipc_serve_line *lines,
			     size_t nlines, char *why, size_t whylen)
{
	(void)pool;
	(void)lines;
	(void)nlines;
	(void)why;
	(void)whylen;
	return 0;
}

void sipc__inherit_close_rest(struct sipc__inherit *pool, void (*warn)(void *arg, const char *what),
			      void *arg)
{
	(void)pool;
	(void)warn;
	(void)arg;
}

void sipc__inherit_free(struct sipc__inherit *pool)
{
	(void)pool;
}

/* ---- notify.h: no service manager to tell ---- */

int sipc__notify_init(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}

bool sipc__notify_enabled(void)
{
	return false;
}

void sipc__notify(const char *text)
{
	(void)text;
}

int64_t sipc__notify_watchdog_ms(void)
{
	return 0;
}

/* ---- privdrop.h: nobody to become (users cannot be named) ---- */

int sipc__privdrop_check(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	(void)cfg;
	(void)why;
	(void)whylen;
	return 0;
}

int sipc__privdrop_apply(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	(void)cfg;
	(void)why;
	(void)whylen;
	return 0;
}

/* ---- inetd.h: --inetd is refused by name ---- */

int sipc__inetd_config(struct sipc_serve_config *cfg, struct sipc__inherit **poolp,
		       char *const *words, int nwords, const struct sipc__inetd_how *how, char *why,
		       size_t whylen)
{
	(void)cfg;
	(void)words;
	(void)nwords;
	(void)how;
	*poolp = NULL;
	snprintf(why, whylen, "--inetd: not supported on this system");
	return -1;
}

int sipc__inetd_serve(struct sipc__server *srv)
{
	(void)srv;
	return 1;
}
