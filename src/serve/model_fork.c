/*
 * model_fork.c - `--model fork`: a process per connection, the forking
 * server of seed 000 (accept, fork, the child serves, the parent goes back
 * to accept).  The parent is single-threaded: the main thread runs the one
 * acceptor worker's loop itself, with the signalfd (SIGINT, SIGTERM,
 * SIGUSR1, SIGCHLD) on that loop, so fork() never copies a process in
 * which another thread holds a lock.  A child closes the listeners and the
 * parent's loop and signal descriptors, serves its one connection with a
 * solo worker (a fresh loop; the same non-blocking service callbacks run
 * unchanged), drains on SIGTERM like any worker, and leaves with _exit.
 * The parent closes its copy of the connection, counts the child against
 * --max-conns until it reaps it, forwards SIGINT/SIGTERM to its children
 * when it drains, and SIGKILLs any still alive a second after the drain
 * timeout.  Datagram endpoints are served by the parent's worker itself,
 * no fork per datagram.  SIGUSR1 counters are the parent's: connections
 * open, total and refused, and every datagram counter; the bytes of
 * connections are counted in the children and not sent back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/ctlsig.h"
#include "serve/limits.h"
#include "serve/model.h"
#include "serve/server.h"
#include "serve/tls.h"

/* After the drain timeout, how long children get to exit by themselves
 * before the parent kills them. */
#define GRACE_MS 1000

struct kid {
	pid_t pid;
	size_t ep;                  /* endpoint index, for the open counter */
	struct sipc__ticket ticket; /* the service's limits it holds, released at reaping */
};

struct mfork {
	struct sipc_worker *w; /* the acceptor, run by the main thread */
	struct kid *kids;
	size_t nkids, cap;
	int signals_seen;
	bool draining;
	bool retiring;
	sipc_loop_timer grace;
};

static struct mfork *state(struct sipc__server *srv)
{
	return srv->model;
}

static void on_grace(sipc_loop *loop, sipc_loop_timer *t)
{
	struct mfork *f = t->arg;

	(void)loop;
	if (f->nkids > 0)
		sipc__serve_log(f->w->srv, 0,
				"drain: killing %zu connection process(es) still alive", f->nkids);
	for (size_t i = 0; i < f->nkids; i++)
		kill(f->kids[i].pid, SIGKILL);
}

static int mfork_init(struct sipc__server *srv)
{
	struct mfork *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -ENOMEM;
	f->w = &srv->workers[0];
	sipc__timer_init(&f->grace, on_grace, f);
	srv->model = f;
	return 0;
}

static void mfork_fini(struct sipc__server *srv)
{
	struct mfork *f = state(srv);

	if (f == NULL)
		return;
	if (f->w->loop != NULL)
		sipc__timer_stop(f->w->loop, &f->grace);
	free(f->kids);
	free(f);
	srv->model = NULL;
}

/* ---- the child ---- */

struct child_signals {
	struct sipc_worker *w;
	int from_parent, from_others;
};

static void on_child_signal(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct child_signals *cs = io->arg;
	struct signalfd_siginfo si;

	(void)loop;
	(void)revents;
	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		/* The first signal asks the connection to finish within the
		 * drain timeout, a second closes it.  Counted apart by sender:
		 * a Ctrl-C reaches this process both from the terminal and
		 * forwarded by the parent, and that is still one request. */
		int n = (pid_t)si.ssi_pid == getppid() ? ++cs->from_parent : ++cs->from_others;
		sipc__worker_request_drain(cs->w, n >= 2 ? 2 : 1);
	}
}

/* Runs in the new child process; never returns. */
static void child(struct sipc__server *srv, struct sipc_srv_endpoint *sep, sipc_endpoint *ep,
		  const struct sipc__conn_who *who)
{
	struct sipc_worker *parent = state(srv)->w;
	struct sipc_worker w;
	struct child_signals cs = {&w, 0, 0};
	sipc_loop_io sig_io;
	sigset_t set;
	int sigfd;

	/* A listener left open here would keep accepting into a queue nobody
	 * serves once the parent has gone; the parent's epoll and eventfd are
	 * shared with the parent and must not be touched, only closed. */
	for (size_t i = 0; i < srv->neps; i++)
		close(srv->eps[i].fd);
	sipc__proxyin_forget(parent);
	sipc__loop_free(parent->loop);
	parent->loop = NULL;
	if (parent->spare_fd >= 0)
		close(parent->spare_fd);
	sipc__server_signal_close(srv);

	memset(&w, 0, sizeof(w));
	if (sipc__worker_init(&w, srv, 0) < 0) {
		sipc__serve_log(srv, 0, "%s %s: connection process: out of memory", sep->svc->name,
				sep->url);
		_exit(1);
	}
	if (w.spare_fd >= 0)
		close(w.spare_fd);
	w.spare_fd = -1;
	w.solo = true;
	/* The signals stay blocked (inherited mask); this process reads its
	 * own SIGINT/SIGTERM from a signalfd of its own. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd >= 0) {
		sipc__io_init(&sig_io, sigfd, on_child_signal, &cs);
		(void)sipc__io_start(w.loop, &sig_io, SIPC_LOOP_IN);
	}
	/* The parent holds the ticket and releases it when it reaps this
	 * process: the limits are the parent's (this copy is not shared). */
	sipc__conn_new(&w, sep, ep, who, NULL);
	if (w.nconns > 0) {
		int err = sipc__loop_run(w.loop);
		if (err < 0) {
			sipc__serve_log(srv, 0, "connection process: event loop: %s",
					sipc_strerror(err));
			w.draining = true;
			sipc__conn_close_all(&w, "stopped");
		}
	}
	/* _exit: nothing of the parent's (atexit handlers, stdio buffers) is
	 * this process's to run or flush. */
	_exit(0);
}

/* ---- the parent ---- */

static void mfork_conn(struct sipc_worker *acceptor, struct sipc_srv_endpoint *sep,
		       sipc_endpoint *ep, const struct sipc__conn_who *who, struct sipc__ticket *t)
{
	struct sipc__server *srv = acceptor->srv;
	struct mfork *f = state(srv);
	const char *what = "fork";
	int err = 0;
	pid_t pid;

	if (f->nkids == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct kid *k = realloc(f->kids, cap * sizeof(*k));
		if (k == NULL) {
			err = -ENOMEM;
			what = "connection table";
			goto refuse;
		}
		f->kids = k;
		f->cap = cap;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto refuse;
	}
	if (pid == 0)
		child(srv, sep, ep, who);
	/* The child has its copy; ours would keep the connection open after
	 * the child closes it. */
	sipc_endpoint_close(ep);
	f->kids[f->nkids].pid = pid;
	f->kids[f->nkids].ep = sep->index;
	f->kids[f->nkids].ticket = *t;
	memset(t, 0, sizeof(*t));
	f->nkids++;
	SIPC__STAT_ADD(acceptor->stats[sep->index].open, 1);
	SIPC__STAT_ADD(acceptor->stats[sep->index].total, 1);
	sipc__serve_log(srv, 2, "%s %s: connection process %ld", sep->svc->name, sep->url,
			(long)pid);
	return;
refuse:
	sipc__limits_release(t);
	SIPC__STAT_ADD(acceptor->stats[sep->index].refused, 1);
	sipc__serve_log(srv, 0, "refused %s local=%s: %s: %s", sep->svc->name, sep->url, what,
			sipc_strerror(err));
	sipc_endpoint_close(ep);
	__atomic_fetch_sub(&srv->open_conns, 1, __ATOMIC_RELAXED);
}

static void forward_signal(struct mfork *f, int sig)
{
	for (size_t i = 0; i < f->nkids; i++)
		kill(f->kids[i].pid, sig);
}

/*
 * Whether the parent is done: draining or retired, no child left, and its
 * worker has stopped accepting for good.  Not before the worker says so:
 * on io_uring its ring's accept ends (sipc__io_accept_end) by handing
 * over what it had taken (w->nending), and a connection waiting for its
 * PROXY header is the worker's too (w->nproxyin).  A parent that stopped
 * on the last child's SIGCHLD in between closed those connections as it
 * freed its loop: with the ring's accept, the churn of uring/serve_reload
 * saw 3-4 clients reset in 5 of 40 runs of --model fork, 0 of 40 with
 * this (2026-12-03).
 */
static bool finished(const struct mfork *f)
{
	const struct sipc_worker *w = f->w;

	return (f->draining || f->retiring) && f->nkids == 0 && (w->draining || w->retiring) &&
	       w->nending == 0 && w->nproxyin == 0;
}

static void reap(struct sipc__server *srv, struct mfork *f)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		size_t i;
		for (i = 0; i < f->nkids && f->kids[i].pid != pid; i++)
			;
		if (i == f->nkids)
			continue; /* not a connection process (a service's own) */
		SIPC__STAT_ADD(f->w->stats[f->kids[i].ep].open, -1);
		__atomic_fetch_sub(&srv->open_conns, 1, __ATOMIC_RELAXED);
		sipc__limits_release(&f->kids[i].ticket);
		f->kids[i] = f->kids[--f->nkids];
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
			sipc__serve_log(srv, 0, "connection process %ld: killed by signal %d (%s)",
					(long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			sipc__serve_log(srv, 0, "connection process %ld: exit status %d", (long)pid,
					WEXITSTATUS(status));
	}
	if (finished(f))
		sipc__loop_stop(f->w->loop);
}

static void on_signal(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc__server *srv = io->arg;
	struct mfork *f = state(srv);
	struct sipc__ctl_sig si;

	(void)revents;
	while (sipc__server_signal_next(srv, &si) == 1) {
		int sig = si.signo;

		if (si.what == SIPC__CTL_CHILD) {
			reap(srv, f);
			continue;
		}
		if (si.what == SIPC__CTL_STATS) {
			sipc__server_print_stats(srv);
			continue;
		}
		if (si.what == SIPC__CTL_RETIRE) {
			/* Retired: no new child; the open ones run to their end. */
			if (!f->draining && !srv->retiring) {
				sipc__server_retire(srv);
				f->retiring = true;
			}
			continue;
		}
		f->signals_seen++;
		sipc__server_stopping(srv);
		if (f->signals_seen == 1) {
			sipc__serve_log(srv, 1,
					"%s: no longer accepting; %zu connection process(es) have "
					"%d.%03d s to finish",
					si.name, f->nkids, srv->cfg->drain_ms / 1000,
					srv->cfg->drain_ms % 1000);
			f->draining = true;
			/* The worker stops watching the endpoints (and stops its
			 * loop: it holds no connection itself). */
			sipc__worker_request_drain(f->w, 1);
			sipc__timer_start(loop, &f->grace, (int64_t)srv->cfg->drain_ms + GRACE_MS);
		} else {
			sipc__serve_log(srv, 1, "%s again: closing every connection now", si.name);
		}
		forward_signal(f, sig);
	}
}

static int mfork_run(struct sipc__server *srv)
{
	struct mfork *f = state(srv);
	struct sipc_worker *w = f->w;
	int err;

	if (sipc__server_signalfd(srv, true) < 0)
		return 1;
	sipc__io_init(&srv->sig_io, srv->sigfd, on_signal, srv);
	err = sipc__io_start(w->loop, &srv->sig_io, SIPC_LOOP_IN);
	if (err == 0)
		err = sipc__worker_listen(w);
	if (err < 0) {
		sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
		return 1;
	}
	srv->start_ms = sipc__loop_clock_ms();
	sipc__server_started(srv, w->loop);
	/* The worker's loop stops once when the drain begins (it has no
	 * connection of its own), then once more when the last child is
	 * reaped. */
	for (;;) {
		err = sipc__loop_run(w->loop);
		if (err < 0) {
			sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
			forward_signal(f, SIGKILL);
			while (f->nkids > 0 && waitpid(-1, NULL, 0) > 0)
				f->nkids--;
			break;
		}
		if (finished(f))
			break;
	}
	sipc__server_stopped(srv);
	sipc__io_stop(w->loop, &srv->sig_io);
	sipc__timer_stop(w->loop, &f->grace);
	/* As in the other models the signals stay blocked. */
	return err < 0 ? 1 : 0;
}

static int mfork_check(const struct sipc_serve_config *cfg, char *why, size_t whylen)
{
	if (cfg->workers > 1) {
		snprintf(why, whylen,
			 "--workers: --model fork accepts in one process (a child serves each "
			 "connection)");
		return -1;
	}
	return 0;
}

/* No drain, idle or stats: the parent drains its children from its own
 * signal handling (on_signal) and counts them in its one worker; no
 * handshake bound: each handshake is a process, which --max-conns bounds. */
const struct sipc__model_ops sipc__model_fork = {
	.name = "fork",
	.bit = SIPC__MODEL_FORK,
	.default_workers = 1,
	.conn_is_process = true,
	.check = mfork_check,
	.init = mfork_init,
	.run = mfork_run,
	.conn = mfork_conn,
	.fini = mfork_fini,
};
