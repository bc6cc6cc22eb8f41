/*
 * model.h - the concurrency models of `sockipc serve` (--model) behind one
 * table of operations, so the core (server.c: endpoints, signals, the
 * control loop; worker.c: the accepting event-loop worker; conn.c: one
 * connection) never names a particular model: it looks the model up once
 * at start (sipc__server_new sets srv->ops) and calls through the table.
 * Each model is one file: model_event.c (the workers serve what they
 * accept), model_thread.c (a thread per connection), model_fork.c (a
 * process per connection); model.c holds the list of them.
 *
 * The six operations of DESIGN.md (init, run, conn, drain, stats, fini)
 * plus two the code showed it needs: `idle`, because the control loop of
 * the main thread may end only when the model's own connections (thread:
 * the connection threads, which belong to no worker) are gone too; and
 * `handshakes`, because --max-handshakes counts TLS handshakes per worker
 * (event), over the shared connection threads (thread) or not at all
 * (fork: each handshake is a process of its own, bounded by --max-conns).
 * What differs only as a value (default worker count, how --hex names a
 * connection) is a field, not an operation.  Every operation but `run`
 * and `conn` is optional (NULL: nothing to do).
 */
#ifndef SIPC_SERVE_MODEL_H
#define SIPC_SERVE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "sockipc.h"

struct sipc__server;
struct sipc_serve_config;
struct sipc_srv_endpoint;
struct sipc_srv_stats;
struct sipc_worker;
struct sipc__ticket;
struct sipc__conn_who;

struct sipc__model_ops {
	const char *name;     /* --model NAME */
	unsigned bit;         /* SIPC__MODEL_* (service.h): cfg->model, sipc_service.models */
	int default_workers;  /* workers without --workers; 0: one per CPU */
	bool conn_is_process; /* a connection is named by the pid serving it (--hex) */

	/* Refuses a configuration the model cannot run (before binding): 0,
	 * or -1 with WHY (a usage error). */
	int (*check)(const struct sipc_serve_config *cfg, char *why, size_t whylen);
	/* After the endpoints are bound and the workers made: 0 or -errno. */
	int (*init)(struct sipc__server *srv);
	/* Runs the server until the drain has ended; returns the exit status. */
	int (*run)(struct sipc__server *srv);
	/* A worker accepted EP (it passed --allow, the credentials,
	 * --max-conns, whose slot is counted in srv->open_conns, and the
	 * service's limits, whose ticket T holds): serve it, and release T
	 * exactly once when the connection ends (limits.h). */
	void (*conn)(struct sipc_worker *acceptor, struct sipc_srv_endpoint *sep, sipc_endpoint *ep,
		     const struct sipc__conn_who *who, struct sipc__ticket *t);
	/* From the main thread, after the workers were asked: drain (1) or
	 * close (2) the connections the model holds outside the workers. */
	void (*drain)(struct sipc__server *srv, int level);
	/* True when no connection is left outside the workers. */
	bool (*idle)(struct sipc__server *srv);
	/* Adds the counters of endpoint I kept outside the workers to TO. */
	void (*stats)(struct sipc__server *srv, size_t i, struct sipc_srv_stats *to);
	/* The TLS handshakes in progress that ACCEPTOR's --max-handshakes
	 * bound counts; may scale *MAX to what that count is held to. */
	long (*handshakes)(const struct sipc_worker *acceptor, long *max);
	void (*fini)(struct sipc__server *srv);
};

/* The models in the order --help and error messages list them. */
extern const struct sipc__model_ops *const sipc__models[];

/* The model named NAME, or NULL. */
const struct sipc__model_ops *sipc__model_find(const char *name);
/* The model whose bit is BIT, or NULL. */
const struct sipc__model_ops *sipc__model_of(unsigned bit);
/* "event, thread or fork" into BUF (for error messages); returns BUF. */
const char *sipc__model_names(char *buf, size_t len);

#endif /* SIPC_SERVE_MODEL_H */
