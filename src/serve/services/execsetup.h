/*
 * execsetup.h - what the exec service's endpoint does the same on every
 * system (exec.c on POSIX, exec_win.c on Windows): its arguments, and the
 * start-up line that says who may run its program through it.
 */
#ifndef SIPC_SERVE_SERVICES_EXECSETUP_H
#define SIPC_SERVE_SERVICES_EXECSETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/service.h"

/* Children of one endpoint at once, without --max-children. */
#define SIPC__EXEC_MAX_CHILDREN_DEFAULT 64

/* What an exec endpoint keeps on every system: its program and the
 * bound on its children (exec.c's state begins with it; exec_win.c's is
 * this alone). */
struct sipc__exec_ep {
	long max_children;
	long running;          /* atomic: children of this endpoint now */
	unsigned long refused; /* atomic */
	char **argv;           /* PROGRAM ARGS..., NULL-terminated */
};

/* `[--max-children=N] PROGRAM [ARGS...]` into EE; then logs who may run
 * the program through SEP: the peers --allow admits (a warning when that
 * reaches beyond this host), the uids of a unix socket (and marks one
 * others may reach own-only, acl.h), or TLS's certificates.  0, or -1
 * with WHY. */
int sipc__exec_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, struct sipc__exec_ep *ee,
		     char *why, size_t whylen);
/* Takes one of EE's child slots for connection C: true; false once C is
 * refused (--max-children reached: logged, C closed). */
bool sipc__exec_admit(struct sipc_conn *c, struct sipc__exec_ep *ee);
/* Gives back the slot sipc__exec_admit took. */
void sipc__exec_release(struct sipc__exec_ep *ee);

#endif /* SIPC_SERVE_SERVICES_EXECSETUP_H */
