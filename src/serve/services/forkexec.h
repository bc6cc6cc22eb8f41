/*
 * forkexec.h - starting an exec child with what posix_spawn(3) cannot set
 * (its user, nice, umask, resource limits): fork, then in the child only
 * async-signal-safe calls until execve.  exec.c uses it for the services
 * that set such an attribute and keeps posix_spawnp for the others;
 * connect -e and listen -e (cli/program.c) start every program with it,
 * so their children get the same clean start (signals, mask, descriptors).
 */
#ifndef SIPC_SERVE_FORKEXEC_H
#define SIPC_SERVE_FORKEXEC_H

#include "serve/privdrop.h"
#include "serve/svcconf.h"

struct sipc__forkexec {
	char **argv; /* PROGRAM ARGS..., looked up in PATH as execvp does */
	char **envp;
	/* The child's stdin and stdout: the same socket for serve's exec,
	 * two pipes for connect -e.  SAME_PGRP: stay in our process group (a
	 * foreground connect -e, whose terminal's ^C reaches both). */
	int in_fd, out_fd;
	bool same_pgrp;
	int nice;                                      /* SIPC_SVC_NICE_UNSET: leave it */
	long umask;                                    /* SIPC_SVC_UNSET: leave it */
	long long rlimit_as, rlimit_cpu, rlimit_files; /* SIPC_SVC_UNSET: leave */
	const struct sipc__ids *ids;                   /* NULL: keep the server's */
};

/*
 * Starts the child: its own process group (unless SAME_PGRP), IN_FD on 0
 * and OUT_FD on 1, stderr shared,
 * no other descriptor, default signal dispositions and an empty mask,
 * then nice, limits, umask and ids, and PROGRAM.  Returns once the program
 * runs (or could not): its pid, or a negative errno with *STEP naming what
 * failed ("setuid", "execve"...), the child already reaped.
 */
int sipc__forkexec(const struct sipc__forkexec *fx, const char **step);

#endif /* SIPC_SERVE_FORKEXEC_H */
