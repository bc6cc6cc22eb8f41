/*
 * forkexec.h - starting an exec child with what posix_spawn(3) cannot set
 * (its user, nice, umask, resource limits): fork, then in the child only
 * async-signal-safe calls until execve.  exec.c uses it for the services
 * that set such an attribute and keeps posix_spawnp for the others.
 */
#ifndef SIPC_SERVE_FORKEXEC_H
#define SIPC_SERVE_FORKEXEC_H

#include "serve/privdrop.h"
#include "serve/svcconf.h"

struct sipc__forkexec {
	char **argv; /* PROGRAM ARGS..., looked up in PATH as execvp does */
	char **envp;
	int fd;                                        /* the child's stdin and stdout */
	int nice;                                      /* SIPC_SVC_NICE_UNSET: leave it */
	long umask;                                    /* SIPC_SVC_UNSET: leave it */
	long long rlimit_as, rlimit_cpu, rlimit_files; /* SIPC_SVC_UNSET: leave */
	const struct sipc__ids *ids;                   /* NULL: keep the server's */
};

/*
 * Starts the child: its own process group, FD on 0 and 1, stderr shared,
 * no other descriptor, default signal dispositions and an empty mask,
 * then nice, limits, umask and ids, and PROGRAM.  Returns once the program
 * runs (or could not): its pid, or a negative errno with *STEP naming what
 * failed ("setuid", "execve"...), the child already reaped.
 */
int sipc__forkexec(const struct sipc__forkexec *fx, const char **step);

#endif /* SIPC_SERVE_FORKEXEC_H */
