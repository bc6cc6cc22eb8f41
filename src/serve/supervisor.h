/*
 * supervisor.h - the process `sockipc serve` runs as: a small
 * single-threaded supervisor that binds every endpoint once and forks a
 * generation, the server of server.h serving on those sockets
 * (config.h: struct sipc__serve_gen).
 *
 *   SIGHUP          re-reads the configuration (LOAD again); on an error the
 *                   running one stays and the log says why.  Endpoints whose
 *                   URL as written is unchanged keep their socket (no
 *                   rebind: no refused connection, port 0 stays the port),
 *                   new ones are bound, a new generation is forked, and once
 *                   it accepts the old one stops accepting and lets its
 *                   connections end, with no deadline; removed endpoints
 *                   are closed then.
 *                   The service manager hears RELOADING=1 at the SIGHUP
 *                   and READY=1 once the new generation accepts (or the
 *                   old configuration stays).
 *   SIGINT/SIGTERM  forwarded to every generation (a second one too); the
 *                   supervisor exits with the current generation's status
 *                   once all have ended.
 *   SIGUSR1         forwarded (counters).
 *   --handover PATH a new serve started with the same PATH takes over the
 *                   listening sockets (handover.h) while this one drains.
 *
 * The supervisor is the process a service manager knows (notify.h): it
 * sends READY=1, RELOADING=1, STOPPING=1 and WATCHDOG=1, and passes on
 * the current generation's STATUS=.  It adopts the sockets of socket
 * activation, and drops privileges (privdrop.h) once every endpoint of
 * the first configuration is bound, before the first generation starts:
 * a reload then binds as the dropped user.
 */
#ifndef SIPC_SERVE_SUPERVISOR_H
#define SIPC_SERVE_SUPERVISOR_H

#include <stddef.h>

#include "serve/config.h"
#include "serve/inherit.h"

/* Builds CFG (initialised here) from the command line again: 0, or an
 * exit status with CFG freed.  When WHY is not NULL the error goes there
 * rather than to stderr. */
typedef int sipc__serve_load_fn(struct sipc_serve_config *cfg, void *arg, char *why, size_t whylen);

struct sipc__supervisor_opts {
	sipc__serve_load_fn *load;
	void *load_arg;
	const char *handover; /* --handover PATH, or NULL */
	/* The sockets passed in by socket activation (LISTEN_FDS: LISTEN_PID
	 * names the supervisor), taken before anything is bound; taken over
	 * and freed.  NULL: none. */
	struct sipc__inherit *inherit;
};

/* Serves CFG (taken over, freed here) until SIGINT/SIGTERM and the end of
 * every generation.  Returns the exit status: 0 drained, 1 a bind or
 * runtime failure, 2 a usage error found by the server. */
int sipc__supervise(struct sipc_serve_config *cfg, const struct sipc__supervisor_opts *o);

#endif /* SIPC_SERVE_SUPERVISOR_H */
