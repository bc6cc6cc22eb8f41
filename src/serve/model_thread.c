/*
 * model_thread.c - `--model thread`: a thread per connection.  The acceptor
 * workers (one unless --workers says more; they also serve the datagram
 * endpoints, since a datagram has no connection to give a thread) accept
 * and check --allow and --max-conns as under the event model, then hand
 * each connection here.  It gets a solo worker of its own (a loop, a
 * scratch buffer and counters, see server.h) in a new detached thread with
 * a small stack, so the same non-blocking service callbacks run unchanged
 * and the thread ends with the connection.  This file keeps the list of
 * live connection threads under one mutex, which is taken only when a
 * thread starts or ends and by the main thread (SIGUSR1, SIGTERM): the
 * hot path of a connection takes no lock.  Counters of finished threads
 * are folded into per-endpoint totals so SIGUSR1 still sums everything.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/limits.h"
#include "serve/model.h"
#include "serve/server.h"
#include "transport/transport.h"

/* Enough for the service callbacks and the log lines (a few KiB deep even
 * under AddressSanitizer), small enough that thousands of connections
 * cost little address space: 1,000 threads take 256 MiB of it, mostly
 * never touched. */
#define SOLO_STACK ((size_t)256 * 1024)

struct solo {
	struct sipc_worker w; /* first: a worker pointer is a solo pointer */
	struct solo *prev, *next;
};

struct mthread {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when nlive drops to 0 */
	pthread_attr_t attr;
	struct solo *live; /* connection threads running, doubly linked */
	size_t nlive;
	int drain_level;                /* what the main thread last asked */
	int next_id;                    /* ids of solo workers: nworkers and up */
	struct sipc_srv_stats *retired; /* [neps]: finished threads */
};

static struct mthread *state(struct sipc__server *srv)
{
	return srv->model;
}

static int mthread_init(struct sipc__server *srv)
{
	struct mthread *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	m->retired = calloc(srv->neps ? srv->neps : 1, sizeof(*m->retired));
	if (m->retired == NULL) {
		free(m);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->idle, NULL);
	pthread_attr_init(&m->attr);
	pthread_attr_setdetachstate(&m->attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&m->attr, SOLO_STACK);
	m->next_id = srv->nworkers;
	srv->model = m;
	return 0;
}

static void mthread_fini(struct sipc__server *srv)
{
	struct mthread *m = state(srv);

	if (m == NULL)
		return;
	/* sipc__server_run waited for the last thread; a server that never
	 * ran has none. */
	pthread_attr_destroy(&m->attr);
	pthread_cond_destroy(&m->idle);
	pthread_mutex_destroy(&m->lock);
	free(m->retired);
	free(m);
	srv->model = NULL;
}

/* With the lock held: folds the counters of S into the totals. */
static void fold(struct mthread *m, struct solo *s)
{
	for (size_t i = 0; i < s->w.srv->neps; i++)
		sipc__srv_stats_sum(&m->retired[i], &s->w.stats[i]);
}

static void unlink_solo(struct mthread *m, struct solo *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		m->live = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	m->nlive--;
}

/* A solo worker that never got (or no longer has) a thread. */
static void discard(struct mthread *m, struct solo *s)
{
	pthread_mutex_lock(&m->lock);
	fold(m, s);
	pthread_mutex_unlock(&m->lock);
	sipc__worker_fini(&s->w);
	free(s);
}

static void *solo_main(void *arg)
{
	struct solo *s = arg;
	struct sipc__server *srv = s->w.srv;
	struct mthread *m = state(srv);
	int err = sipc__loop_run(s->w.loop);

	if (err < 0) {
		sipc__serve_log(srv, 0, "connection thread: event loop: %s", sipc_strerror(err));
		s->w.draining = true;
		sipc__conn_close_all(&s->w, "stopped");
	}
	/* Everything, the wake-up of the control loop included, happens under
	 * the lock: once it is released the main thread may see no thread
	 * left and free the server, so this thread must touch nothing more.
	 * Not even OpenSSL's destructor of this thread's state may come
	 * after (the process may have exited): that state goes before. */
	pthread_mutex_lock(&m->lock);
	fold(m, s);
	unlink_solo(m, s);
	sipc__worker_fini(&s->w);
	free(s);
	sipc__tls_thread_done();
	if (m->nlive == 0) {
		pthread_cond_broadcast(&m->idle);
		if (srv->ctl != NULL)
			sipc__loop_wake(srv->ctl);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void refuse(struct sipc_worker *acceptor, struct sipc_srv_endpoint *sep, sipc_endpoint *ep,
		   const char *why, int err)
{
	SIPC__STAT_ADD(acceptor->stats[sep->index].refused, 1);
	sipc__serve_log(acceptor->srv, 1, "refused %s local=%s: %s: %s", sep->svc->name, sep->url,
			why, sipc_strerror(err));
	sipc_endpoint_close(ep);
	__atomic_fetch_sub(&acceptor->srv->open_conns, 1, __ATOMIC_RELAXED);
}

static void mthread_conn(struct sipc_worker *acceptor, struct sipc_srv_endpoint *sep,
			 sipc_endpoint *ep, const struct sipc__conn_who *who,
			 struct sipc__ticket *t)
{
	struct sipc__server *srv = acceptor->srv;
	struct mthread *m = state(srv);
	struct solo *s;
	pthread_t th;
	int err, id;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		sipc__limits_release(t);
		refuse(acceptor, sep, ep, "connection thread", -ENOMEM);
		return;
	}
	id = __atomic_fetch_add(&m->next_id, 1, __ATOMIC_RELAXED);
	if (id < srv->nworkers) /* wrapped around after 2^31 connections */
		id = srv->nworkers;
	err = sipc__worker_init(&s->w, srv, id);
	if (err < 0) {
		free(s);
		sipc__limits_release(t);
		refuse(acceptor, sep, ep, "connection thread", err);
		return;
	}
	/* A solo worker accepts nothing: it needs no spare descriptor. */
	if (s->w.spare_fd >= 0)
		close(s->w.spare_fd);
	s->w.spare_fd = -1;
	s->w.solo = true;
	/* Opened here, in the acceptor's thread, before the connection's
	 * thread exists: the loop may be used by any thread until it runs,
	 * and pthread_create orders all of it before the new thread. */
	sipc__conn_new(&s->w, sep, ep, who, t);
	if (s->w.nconns == 0) { /* it failed or ended at once */
		discard(m, s);
		return;
	}
	pthread_mutex_lock(&m->lock);
	s->next = m->live;
	if (m->live != NULL)
		m->live->prev = s;
	m->live = s;
	m->nlive++;
	/* Accepted just as the drain began: drained like the others. */
	if (m->drain_level > 0)
		sipc__worker_request_drain(&s->w, m->drain_level);
	err = pthread_create(&th, &m->attr, solo_main, s);
	if (err != 0) {
		unlink_solo(m, s);
		if (m->nlive == 0)
			pthread_cond_broadcast(&m->idle);
	}
	pthread_mutex_unlock(&m->lock);
	if (err != 0) {
		/* Out of threads (EAGAIN): this connection is closed, the
		 * server goes on. */
		sipc__serve_log(srv, 0, "%s %s: no thread for a connection: %s", sep->svc->name,
				sep->url, strerror(err));
		s->w.draining = true;
		sipc__conn_close_all(&s->w, "no thread");
		discard(m, s);
	}
}

static void mthread_drain(struct sipc__server *srv, int level)
{
	struct mthread *m = state(srv);

	pthread_mutex_lock(&m->lock);
	if (level > m->drain_level)
		m->drain_level = level;
	for (struct solo *s = m->live; s != NULL; s = s->next)
		sipc__worker_request_drain(&s->w, level);
	pthread_mutex_unlock(&m->lock);
}

static bool mthread_idle(struct sipc__server *srv)
{
	struct mthread *m = state(srv);
	bool idle;

	pthread_mutex_lock(&m->lock);
	idle = m->nlive == 0;
	pthread_mutex_unlock(&m->lock);
	return idle;
}

static void mthread_wait(struct sipc__server *srv)
{
	struct mthread *m = state(srv);

	pthread_mutex_lock(&m->lock);
	while (m->nlive > 0)
		pthread_cond_wait(&m->idle, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static void mthread_stats(struct sipc__server *srv, size_t i, struct sipc_srv_stats *to)
{
	struct mthread *m = state(srv);

	pthread_mutex_lock(&m->lock);
	sipc__srv_stats_sum(to, &m->retired[i]);
	for (struct solo *s = m->live; s != NULL; s = s->next)
		sipc__srv_stats_sum(to, &s->w.stats[i]);
	pthread_mutex_unlock(&m->lock);
}

/* The workers' run, then the connection threads: they end with their
 * connections, which the drain has asked to finish. */
static int mthread_run(struct sipc__server *srv)
{
	int rc = sipc__server_run_workers(srv);

	mthread_wait(srv);
	return rc;
}

/* The connection threads share one count (conn.c), bounded by
 * --max-handshakes per accepting worker. */
static long mthread_handshakes(const struct sipc_worker *acceptor, long *max)
{
	*max *= acceptor->srv->nworkers;
	return __atomic_load_n(&acceptor->srv->handshakes, __ATOMIC_RELAXED);
}

const struct sipc__model_ops sipc__model_thread = {
	.name = "thread",
	.bit = SIPC__MODEL_THREAD,
	.default_workers = 1,
	.init = mthread_init,
	.run = mthread_run,
	.conn = mthread_conn,
	.drain = mthread_drain,
	.idle = mthread_idle,
	.stats = mthread_stats,
	.handshakes = mthread_handshakes,
	.fini = mthread_fini,
};
