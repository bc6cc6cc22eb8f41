/*
 * model_event.c - `--model event` (the default): N worker threads, one
 * event loop each, and every connection is served by the worker that
 * accepted it.  Nothing lives outside the workers, so the server's common
 * run (server.c) is the whole model.
 */
#include "serve/model.h"
#include "serve/server.h"

/* Each worker bounds its own handshakes. */
static long event_handshakes(const struct sipc_worker *acceptor, long *max)
{
	(void)max;
	return acceptor->handshakes;
}

const struct sipc__model_ops sipc__model_event = {
	.name = "event",
	.bit = SIPC__MODEL_EVENT,
	.default_workers = 0,
	.run = sipc__server_run_workers,
	.conn = sipc__conn_new,
	.handshakes = event_handshakes,
};
