/*
 * execenv.h - the environment of a program that runs on a connection:
 * serve's exec children and the programs of connect -e and listen -e get
 * the same variables (SOCKIPC_PEER, SOCKIPC_LOCAL and the UCSPI ones),
 * built here once.
 */
#ifndef SIPC_SERVE_EXECENV_H
#define SIPC_SERVE_EXECENV_H

#include <stdbool.h>

#include "serve/svcconf.h"
#include "sockipc.h"

/* The variables one connection sets in its program's environment. */
#define SIPC__EXECENV_VARS 16
struct sipc__execenv {
	char var[SIPC__EXECENV_VARS][SIPC_TLS_INFO_MAX + 32];
	int n;
};

/* Adds NAME=VALUE to E (the sipc__serve_tls_identity callback shape);
 * past SIPC__EXECENV_VARS it is left out. */
void sipc__execenv_put(void *e, const char *name, const char *value);

/*
 * SOCKIPC_PEER and SOCKIPC_LOCAL (URLs; LOCAL_TEXT when LOCAL has none),
 * and what UCSPI servers set, so scripts written for tcpserver,
 * s6-tcpserver or unixserver run unchanged: PROTO=TCP with TCPREMOTEIP,
 * TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT; PROTO=UNIX with
 * UNIXREMOTEPID, UNIXREMOTEEUID and UNIXREMOTEEGID from the credentials
 * of the peer of FD (SO_PEERCRED).
 */
void sipc__execenv_fill(struct sipc__execenv *e, const sipc_addr *peer, const sipc_addr *local,
			const char *local_text, int fd);

/* Whether VAR ("NAME=...") of our own environment must not reach a
 * program: ours, or a UCSPI variable that would describe another
 * connection. */
bool sipc__execenv_ours(const char *var);

/*
 * The program's environment (malloc'd array; its strings are E's, CONF's
 * and environ's, not copied).  Without CONF or with neither `env` nor
 * `passenv`: ours without the variables of sipc__execenv_ours, then E's.
 * With either (xinetd's clean environment): E's, then the `passenv`
 * variables we have, then `env`.  E's win.  NULL when out of memory.
 */
char **sipc__execenv_make(const struct sipc__execenv *e, const struct sipc_svc_conf *conf);

#endif /* SIPC_SERVE_EXECENV_H */
