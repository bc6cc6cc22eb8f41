/*
 * execsetup.h - what the exec service's endpoint does the same on every
 * system (exec.c on POSIX, exec_win.c on Windows): its arguments, and the
 * start-up line that says who may run its program through it.
 */
#ifndef SIPC_SERVE_SERVICES_EXECSETUP_H
#define SIPC_SERVE_SERVICES_EXECSETUP_H

#include <stddef.h>

#include "serve/service.h"

/* Children of one endpoint at once, without --max-children. */
#define SIPC__EXEC_MAX_CHILDREN_DEFAULT 64

/* `[--max-children=N] PROGRAM [ARGS...]`: *MAX_CHILDREN, and *PROG the
 * NULL-terminated PROGRAM ARGS... within ARGV.  0, or -1 with WHY. */
int sipc__exec_args(int argc, char **argv, long *max_children, char ***prog, char *why,
		    size_t whylen);
/* Logs who may run PROG through SEP: the peers --allow admits (a warning
 * when that reaches beyond this host), the uids of a unix socket (and
 * marks one others may reach own-only, acl.h), or TLS's certificates. */
void sipc__exec_say_who(struct sipc_srv_endpoint *sep, const char *prog);

#endif /* SIPC_SERVE_SERVICES_EXECSETUP_H */
