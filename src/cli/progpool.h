/*
 * progpool.h - listen --keep-open -e: up to N connections served at once,
 * each by its own program (program.h) on a thread of its own.
 */
#ifndef SIPC_CLI_PROGPOOL_H
#define SIPC_CLI_PROGPOOL_H

#include <pthread.h>
#include <stdbool.h>

#include "cli/relay.h"
#include "sockipc.h"

struct sipc_progslot;

struct sipc_progpool {
	long max;                  /* --max-conns */
	char **argv;               /* the program (not owned) */
	struct sipc_relay_cfg cfg; /* a copy: the threads read it */
	int stop_fd;               /* readable: every program is asked to end */
	int wake[2];               /* a slot that ended writes a byte */
	struct sipc_progslot *slots;
};

/* Sets P up for MAX programs at once.  0 or a negative errno. */
int sipc_progpool_init(struct sipc_progpool *p, long max, char **argv,
		       const struct sipc_relay_cfg *cfg, int stop_fd);
/* Waits until a slot is free (0; connections wait in the listener's
 * backlog meanwhile) or STOP_FD is readable (1). */
int sipc_progpool_wait(struct sipc_progpool *p);
/* Serves CONN in a free slot (after sipc_progpool_wait said 0): the pool
 * owns CONN from then on.  0, or a negative errno (CONN still the
 * caller's). */
int sipc_progpool_start(struct sipc_progpool *p, sipc_endpoint *conn);
/* Waits for every program (each ends on its own, or when STOP_FD is
 * readable) and frees P.  P may be finished twice. */
void sipc_progpool_finish(struct sipc_progpool *p);

#endif /* SIPC_CLI_PROGPOOL_H */
