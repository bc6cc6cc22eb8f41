/*
 * relay.h - a connection of `sockipc serve` relayed, both ways, to a
 * second stream: forward's backend, or exec's child on a socketpair when
 * the client's bytes need a transport of their own (TLS, shm) and the
 * child cannot be given the socket.  Each direction is a sipc__flow
 * (flow.h): splice(2) through a pipe between plain sockets, a bounded
 * buffer otherwise, and the endpoints' own operations for a side that is
 * TLS or shm (sipc_scheme_is_raw false).  A
 * direction reads only while its pipe or buffer has room, so a slow side
 * slows the other instead of growing memory; the end of one side's data
 * is passed on as a shutdown of the other side's write half (close_notify
 * then FIN on TLS) once everything before it is delivered; the relay ends
 * when both directions have, or at once on a reset or an error.
 * Seqpacket (unixpacket to unixpacket): one whole message at a time, an
 * empty one included.  The service keeps a struct sipc__relay in its
 * connection state and calls these from its own callbacks; the client
 * connection must be a raw one (on_io, service.h).
 */
#ifndef SIPC_SERVE_RELAY_H
#define SIPC_SERVE_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "loop/loop.h"
#include "serve/service.h"
#include "sockipc.h"

struct sipc__relay;

/* The relay is over: WHY is NULL when both directions ended cleanly, else
 * what went wrong ("client: reset by peer", "backend URL: ..."), valid
 * until the relay is freed. */
typedef void sipc__relay_end_fn(struct sipc__relay *r, const char *why);

struct sipc__relay {
	struct sipc_conn *c;
	const char *other; /* the other side in error words: "backend tcp://b:7" */
	sipc__relay_end_fn *on_end;
	bool seqpacket;
	bool started, ended;
	int bfd;
	sipc_endpoint *bep; /* the other side through the library, or NULL (owns bfd) */
	sipc_loop_io bio;
	sipc_loop_timer kick; /* more to move next turn; bytes epoll cannot see */
	bool client_hup, other_hup;
	/* shm:// sides spin with the loop, on bio (loop.h): what each waits
	 * for (poll(2) events), 0 for a side that does not spin. */
	short cspin, bspin;
	struct sipc__flow up;   /* client -> other */
	struct sipc__flow down; /* other -> client; a flow is done once ended,
				   drained, and OUT's write side shut down */
	/* Seqpacket: an empty record read and not yet passed on (a flow's
	 * buffer cannot show one). */
	bool up_empty, down_empty;
	char end[SIPC_URL_MAX + SIPC_WHY_MAX + 128];
};

/* Prepares R for connection C (nothing to free yet).  OTHER names the
 * other side in errors and must outlive R. */
void sipc__relay_init(struct sipc__relay *r, struct sipc_conn *c, const char *other,
		      sipc__relay_end_fn *on_end);
/* Starts moving bytes between C and the other side: BEP when it is an
 * endpoint (seqpacket, TLS), else the descriptor BFD.  R owns them from
 * here on, also when it fails (on_end is called then). */
void sipc__relay_start(struct sipc__relay *r, int bfd, sipc_endpoint *bep);
/* The client's descriptor has events (the service's on_io). */
void sipc__relay_client_io(struct sipc__relay *r, uint32_t revents);
/* Stops everything R watches and closes the other side; R may be freed
 * again (on_close). */
void sipc__relay_free(struct sipc__relay *r);

#endif /* SIPC_SERVE_RELAY_H */
