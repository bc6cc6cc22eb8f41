/*
 * inherit.h - sockets `sockipc serve` was given instead of binding them:
 * passed by systemd (or systemd-socket-activate, or any other activator)
 * through LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES as sd_listen_fds(3)
 * describes, handed over by another serve process, or kept across a
 * reload.  sipc__server_new takes each service line's socket from this
 * pool before it would bind one, and never binds what it was given.
 */
#ifndef SIPC_SERVE_INHERIT_H
#define SIPC_SERVE_INHERIT_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/config.h"

/* systemd passes its sockets from this descriptor on (SD_LISTEN_FDS_START). */
#define SIPC_INHERIT_FDS_START 3
/* sd_listen_fds(3): a name is at most 255 characters. */
#define SIPC_INHERIT_NAME_MAX 255

struct sipc__inherit; /* the pool */

/* An empty pool: 0 or -ENOMEM. */
int sipc__inherit_new(struct sipc__inherit **poolp);

/*
 * The sockets of LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES: descriptors 3 and
 * up, each made close-on-exec, named by LISTEN_FDNAMES when it is set.
 * The three variables are unset whatever happens (an exec child must not
 * take them for its own).  LISTEN_PID naming another process means the
 * descriptors are not ours: *poolp = NULL and 0, as without the variables.
 * A malformed count or PID, a descriptor that is not open, or a name that
 * is too long, empty, holds a control character or a count of names that
 * is not LISTEN_FDS: -1 with WHY.
 */
int sipc__inherit_from_env(struct sipc__inherit **poolp, char *why, size_t whylen);

/* A socket handed over by another serve process or kept across a reload;
 * the pool owns FD from here on (also on failure, when it is closed).
 * NAME may be NULL (matched by address only).  0 or -ENOMEM / -EINVAL. */
int sipc__inherit_add(struct sipc__inherit *pool, int fd, const char *name);

/*
 * The socket for LINE, removed from the pool into *FDP: first one whose
 * name names the line (sipc__inherit_names_line), else one bound to an
 * address the line's URL resolves to, of the socket type the URL's scheme
 * makes and, for stream and seqpacket, listening.  0; -ENOENT when none
 * matches (the caller binds); -EINVAL with WHY naming both the socket and
 * the line when a socket named with the line's URL as written is of the
 * wrong kind.  POOL may be NULL (-ENOENT).
 */
int sipc__inherit_take(struct sipc__inherit *pool, const struct sipc_serve_line *line, int *fdp,
		       char *why, size_t whylen);

/* Once every line has taken its socket: a socket left whose name names
 * one of the NLINES LINES is of the wrong kind for them all (a udp socket
 * named "echo" where echo runs on tcp only).  0, or -1 with WHY naming
 * the socket and the line. */
int sipc__inherit_check_rest(const struct sipc__inherit *pool, const struct sipc_serve_line *lines,
			     size_t nlines, char *why, size_t whylen);

/* True when a socket named NAME is meant for LINE.  The one place a name
 * is compared with a line: the service block's name of a configuration
 * file, the URL as written, or the name of the service it runs. */
bool sipc__inherit_names_line(const struct sipc_serve_line *line, const char *name);

/* As sipc__inherit_add for a connected socket that is served as the one
 * connection of --inetd (matched by NAME only, and not listening). */
int sipc__inherit_add_connection(struct sipc__inherit *pool, int fd, const char *name);

/* The number of sockets still in the pool. */
size_t sipc__inherit_count(const struct sipc__inherit *pool);

/* Calls WARN with a sentence naming each socket left in the pool (fd,
 * name, address, kind), then closes them all. */
void sipc__inherit_close_rest(struct sipc__inherit *pool, void (*warn)(void *arg, const char *what),
			      void *arg);

/* Closes what was not taken; NULL does nothing. */
void sipc__inherit_free(struct sipc__inherit *pool);

#endif /* SIPC_SERVE_INHERIT_H */
