/*
 * exec.c - `exec [--max-children=N] PROGRAM [ARGS...]` on stream and
 * seqpacket endpoints, inetd's `nowait`: a child process per connection
 * with the socket as its stdin and stdout, stderr shared with the server's
 * log, SOCKIPC_PEER and SOCKIPC_LOCAL and the UCSPI variables of
 * tcpserver and unixserver (PROTO, TCPREMOTEIP...) in its environment
 * (execenv.c builds it, for connect -e and listen -e too),
 * its own process group (so a drain reaches its children too), default signal
 * dispositions and an empty signal mask (the server ignores SIGPIPE and
 * blocks the signals its signalfd reads; a child must inherit neither;
 * glibc's posix_spawn alone leaves its two internal signals, 32 and 33,
 * ignored, which glibc programs take back; the fork path resets them too),
 * and no other descriptor (every one is close-on-exec, and closefrom(3)
 * in the spawn makes sure).  posix_spawnp(3) looks PROGRAM up in PATH as
 * execvp does and reports a program that cannot run to the parent, so the
 * client is closed with the reason in the log.  A service whose block sets
 * what posix_spawn has no field for (nice, umask, rlimit_*, or a `user`
 * the server does not already run as: privdrop.h) starts its children
 * with fork and exec instead (forkexec.c), about a quarter slower per
 * connection, with the same child and the failing step in the log.  `env`
 * and `passenv` give the child a clean environment, as xinetd does: our
 * variables, the passed ones, then env's (ours win).  The child is reaped
 * through a pidfd watched by the connection's own loop, without SIGCHLD:
 * the connection stays open (the server does no I/O on it) until the child
 * exits, and its close line gives the exit status and, on TCP, the bytes
 * the kernel counted (TCP_INFO).  When the server drains, each child's
 * process group gets SIGTERM; a connection closed by the server first
 * (drain deadline, --idle-timeout, which cannot see the child's traffic)
 * sends SIGKILL to the group and leaves the reaping to a list swept
 * without blocking, so no worker ever waits for a child.  Per endpoint at
 * most --max-children (default 64) run at once; more are refused at once.
 * Who may connect at all (--allow, the uid rules of an own-only unix
 * endpoint) is decided at accept (worker.c, acl.h); setup says it once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/acl.h"
#include "serve/privdrop.h"
#include "serve/relay.h"
#include "serve/config.h"
#include "serve/execenv.h"
#include "serve/services/execsetup.h"
#include "serve/services/forkexec.h"
#include "serve/services/services.h"
#include "serve/tls.h"
#include "sys/net.h"
#include "sys/sys.h"

/* pidfd_open(2) came with Linux 5.3 and glibc 2.36; the raw system call
 * works with older C libraries.  Without it, children are polled. */
#if defined(SYS_pidfd_open)
#define HAVE_PIDFD 1
#else
#define HAVE_PIDFD 0
#endif
/* posix_spawn_file_actions_addclosefrom_np: glibc 2.34. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define HAVE_SPAWN_CLOSEFROM 1
#else
#define HAVE_SPAWN_CLOSEFROM 0
#endif

/* Reaping without a pidfd: how often to ask waitpid. */
#define EXEC_POLL_MS 100

struct exec_ep {
	struct sipc__exec_ep common; /* the program, --max-children */
	const struct sipc_svc_conf *conf;
	/* nice, umask or an rlimit: what posix_spawn cannot set (forkexec.c's
	 * fork path); the user's ids too, decided per child (the server may
	 * have become that user already). */
	bool attrs;
	bool has_ids;
	struct sipc__ids ids; /* the service's user, resolved at setup */
};

struct exec_conn {
	pid_t pid; /* 0: no child (any more) */
	int pidfd;
	bool counted; /* holds one of the endpoint's running slots */
	sipc_loop_io io;
	sipc_loop_timer poll;
	char end[96]; /* the close line's end=, kept here until the line */
	/* TLS: the child has one end of a socketpair, the relay moves the
	 * bytes between the other end and the client (relay.h). */
	bool relayed;
	bool relay_over; /* both directions ended, or one failed */
	bool reaped;     /* the child has exited: END holds its status */
	struct sipc__relay relay;
};

static struct sipc_srv_endpoint *ep_of(struct sipc_conn *c)
{
	return sipc__conn_endpoint(c);
}

static void release(struct sipc_conn *c, struct exec_conn *st)
{
	struct exec_ep *ee = sipc__svc_ep_state(sipc__conn_endpoint(c));

	if (st->counted) {
		sipc__exec_release(&ee->common);
		st->counted = false;
	}
	sipc__io_stop(sipc__conn_loop(c), &st->io);
	sipc__timer_stop(sipc__conn_loop(c), &st->poll);
	if (st->pidfd >= 0) {
		sipc__sys_close(st->pidfd);
		st->pidfd = -1;
	}
}

/*
 * Children killed with their connection (SIGKILL sent, not yet reaped).
 * Waiting for them there would block the worker loop, if only briefly, so
 * they wait here and every exec event (and teardown) reaps those that have
 * gone, without blocking.  Process-wide: connection threads share it.
 */
static struct {
	pthread_mutex_t lock;
	pid_t *v;
	size_t n, cap;
} graves = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static void sweep(bool block)
{
	pthread_mutex_lock(&graves.lock);
	for (size_t i = 0; i < graves.n;) {
		pid_t r;
		do
			r = waitpid(graves.v[i], NULL, block ? 0 : WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			i++;
			continue;
		}
		graves.v[i] = graves.v[--graves.n];
	}
	pthread_mutex_unlock(&graves.lock);
}

static void bury(pid_t pid)
{
	pthread_mutex_lock(&graves.lock);
	if (graves.n == graves.cap) {
		size_t cap = graves.cap ? graves.cap * 2 : 16;
		pid_t *v = realloc(graves.v, cap * sizeof(*v));
		if (v != NULL) {
			graves.v = v;
			graves.cap = cap;
		}
	}
	/* Out of memory: a zombie is better than a stuck worker. */
	if (graves.n < graves.cap)
		graves.v[graves.n++] = pid;
	pthread_mutex_unlock(&graves.lock);
	sweep(false);
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
}

/* The child may have ended: reap it and end the connection with its status. */
static void try_reap(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);
	int status;
	pid_t r;

	if (st->pid <= 0)
		return;
	do
		r = waitpid(st->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		if (st->pidfd < 0)
			sipc__timer_start(sipc__conn_loop(c), &st->poll, EXEC_POLL_MS);
		return;
	}
	if (r < 0)
		snprintf(st->end, sizeof(st->end), "child %ld: %s", (long)st->pid, strerror(errno));
	else {
		describe(status, st->end, sizeof(st->end));
		sipc__conn_child_status(c, status);
	}
	st->pid = 0;
	st->reaped = true;
	release(c, st);
	/* What the child wrote before it exited may still be on its way to
	 * a relayed client: the relay's end closes then. */
	if (!st->relayed || st->relay_over)
		sipc__conn_close(c, st->end);
}

static void on_pidfd(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	(void)revents;
	try_reap(io->arg);
}

static void on_poll(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)loop;
	try_reap(t->arg);
}

/* The connection's variables (execenv.h, shared with connect -e), and
 * on TLS the client's identity (tls.h). */
static void fill_env(struct sipc_conn *c, struct sipc__execenv *e)
{
	sipc__execenv_fill(e, sipc__conn_peer(c), sipc__conn_local(c),
			   sipc__svc_ep_url(sipc__conn_endpoint(c)), sipc__conn_fd(c));
	if (sipc_scheme_is_tls(sipc__svc_ep_scheme(sipc__conn_endpoint(c))))
		sipc__serve_tls_identity(sipc__conn_ep(c), sipc__execenv_put, e);
}

/* posix_spawnp with FD on the child's stdin and stdout: its pid, or a
 * negative errno. */
static int spawn_posix(char **argv, char **envp, int fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int rc;

	rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		return -rc;
	rc = posix_spawnattr_init(&at);
	if (rc != 0)
		goto out_fa;
	/* dup2 onto 0 and 1 clears close-on-exec on the copies. */
	if ((rc = posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO)) != 0)
		goto out_at;
#if HAVE_SPAWN_CLOSEFROM
	if ((rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)) != 0)
		goto out_at;
#endif
	sigemptyset(&none);
	sigfillset(&all);
	/* A process group of its own (pgid = its pid): the drain signals the
	 * group, so what the program started goes too instead of being
	 * orphaned, and a Ctrl-C meant for the server does not reach it. */
	if ((rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(&at, &all)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
							POSIX_SPAWN_SETPGROUP)) != 0)
		goto out_at;
	rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp);
out_at:
	posix_spawnattr_destroy(&at);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
	return rc != 0 ? -rc : (int)pid;
}

/*
 * Starts the child with FD on its stdin and stdout: its pid, or a
 * negative errno with *STEP naming what failed when it was not the
 * program itself.  posix_spawnp is the fast way; a service with nice,
 * umask, a resource limit or a user the server is not goes through
 * fork and exec instead (forkexec.c), which can set them.
 */
static int spawn(struct sipc_conn *c, char **argv, int fd, const char **step)
{
	struct exec_ep *ee = sipc__svc_ep_state(sipc__conn_endpoint(c));
	const struct sipc_svc_conf *conf = ee->conf;
	bool ids = ee->has_ids && sipc__privdrop_child_needs(conf);
	struct sipc__execenv e = {.n = 0};
	char **envp;
	int rc;

	*step = NULL;
	fill_env(c, &e);
	envp = sipc__execenv_make(&e, conf);
	if (envp == NULL)
		return -ENOMEM;
	/* O_NONBLOCK belongs to the open file description, which a dup shares:
	 * it is cleared for the server's copy too.  That is harmless: from now
	 * on the server does no I/O on this socket, only closes it (the
	 * child's end of a socketpair is the child's alone). */
	(void)sipc__sys_set_nonblock(fd, false);
	if (ee->attrs || ids) {
		struct sipc__forkexec fx = {
			.argv = argv,
			.envp = envp,
			.in_fd = fd,
			.out_fd = fd,
			.nice = conf->nice,
			.umask = conf->umask,
			.rlimit_as = conf->rlimit_as,
			.rlimit_cpu = conf->rlimit_cpu,
			.rlimit_files = conf->rlimit_files,
			.ids = ids ? &ee->ids : NULL,
		};
		rc = sipc__forkexec(&fx, step);
	} else {
		rc = spawn_posix(argv, envp, fd);
	}
	free(envp);
	return rc;
}

static void relay_end(struct sipc__relay *r, const char *why)
{
	struct sipc_conn *c = r->c;
	struct exec_conn *st = sipc__conn_state(c);

	st->relay_over = true;
	/* Nothing more for the client's descriptor to tell: a level-triggered
	 * readiness would come back on every turn. */
	(void)sipc__conn_set_events(c, SIPC_LOOP_ONESHOT);
	if (st->reaped) {
		sipc__conn_close(c, st->end);
		return;
	}
	/* The child sees the end of its socketpair (our end closes) and
	 * decides; its exit closes the connection with its status. */
	if (why != NULL)
		sipc__svc_log(ep_of(c), 2, "exec child %ld: %s", (long)st->pid, why);
	sipc__relay_free(r);
}

/*
 * Starts the child on the client's socket, or, when the client's bytes
 * go through a transport of the server's own (TLS: the child could only
 * read the records; shm: the socket carries wake-ups, the bytes are in
 * the rings), on one end of a socketpair whose other end the
 * relay joins to the client.  The child's pid, or a negative errno.
 */
static int start_child(struct sipc_conn *c, struct exec_conn *st, char **argv, const char **step)
{
	int sv[2], pid;

	*step = NULL;
	if (sipc_scheme_is_raw(sipc__svc_ep_scheme(sipc__conn_endpoint(c))))
		return spawn(c, argv, sipc__conn_fd(c), step);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = spawn(c, argv, sv[1], step);
	sipc__sys_close(sv[1]);
	if (pid < 0 || sipc__sys_set_nonblock(sv[0], true) < 0) {
		sipc__sys_close(sv[0]);
		if (pid > 0) {
			kill(-pid, SIGKILL);
			bury(pid);
			return -EIO;
		}
		return pid;
	}
	st->relayed = true;
	sipc__relay_init(&st->relay, c, "child", relay_end);
	sipc__relay_start(&st->relay, sv[0], NULL);
	return pid;
}

static void exec_open(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);
	struct sipc_srv_endpoint *sep = sipc__conn_endpoint(c);
	struct exec_ep *ee = sipc__svc_ep_state(sep);
	const char *step;
	int pid;

	st->pidfd = -1;
	sipc__io_init(&st->io, -1, on_pidfd, c);
	sipc__timer_init(&st->poll, on_poll, c);
	/* The child alone reads and writes the socket.  No events, one shot:
	 * a reset or hang-up is reported once instead of on every turn. */
	(void)sipc__conn_set_events(c, SIPC_LOOP_ONESHOT);
	if (!sipc__exec_admit(c, &ee->common))
		return;
	st->counted = true;
	pid = start_child(c, st, ee->common.argv, &step);
	if (pid < 0) {
		/* The program is the configuration's, not a peer's: as written. */
		snprintf(st->end, sizeof(st->end), "exec %s: %s%s%s", ee->common.argv[0],
			 step ? step : "", step ? ": " : "", strerror(-pid));
		sipc__svc_log(ep_of(c), 0, "%s", st->end);
		release(c, st);
		sipc__conn_close(c, st->end);
		return;
	}
	st->pid = pid;
	sipc__conn_child(c, pid);
	sipc__svc_log(ep_of(c), 2, "exec %s: child %d", ee->common.argv[0], pid);
#if HAVE_PIDFD
	st->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
#endif
	if (st->pidfd >= 0) {
		sipc__io_init(&st->io, st->pidfd, on_pidfd, c);
		if (sipc__io_start(sipc__conn_loop(c), &st->io, SIPC_LOOP_IN) < 0) {
			sipc__sys_close(st->pidfd);
			st->pidfd = -1;
		}
	}
	if (st->pidfd < 0)
		sipc__timer_start(sipc__conn_loop(c), &st->poll, EXEC_POLL_MS);
}

static void exec_io(struct sipc_conn *c, uint32_t revents)
{
	struct exec_conn *st = sipc__conn_state(c);

	/* A reset or hang-up of the client: the child sees it on its own
	 * descriptors (or the relay passes it on) and decides; we wait for
	 * it to exit. */
	if (st->relayed && !st->relay_over)
		sipc__relay_client_io(&st->relay, revents);
}

/* SIGINT/SIGTERM: the child's process group is asked to stop; it has
 * until the drain timeout, when exec_close kills what is left. */
static void exec_drain(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);

	if (st->pid > 0) {
		sipc__svc_log(ep_of(c), 2, "exec child %ld: SIGTERM to its process group",
			      (long)st->pid);
		kill(-st->pid, SIGTERM);
	}
}

/*
 * The bytes that flowed between the client and the child, for the close
 * line: the server moved none itself.  On TCP the kernel counts them for
 * the socket the server still holds (TCP_INFO, Linux 4.2+): what came in,
 * and what the child wrote (acknowledged, plus what still waits in the
 * send queue, SIOCOUTQ).  A unix socket keeps no such count.
 */
static void count_bytes(struct sipc_conn *c)
{
	uint64_t in, out;

	if (sipc__conn_local(c)->ss.ss_family == AF_UNIX ||
	    sipc__sys_tcp_bytes(sipc__conn_fd(c), &in, &out) < 0) {
		sipc__conn_bytes_unknown(c);
		return;
	}
	sipc__conn_count(c, in, out);
}

static void exec_close(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);

	if (st->pid > 0) {
		/* The server is ending this connection first (drain deadline,
		 * idle timeout, stop): the child and its process group go with
		 * it, reaped later without blocking this loop. */
		kill(-st->pid, SIGKILL);
		sipc__svc_log(ep_of(c), 1, "exec child %ld: SIGKILL to its process group",
			      (long)st->pid);
		bury(st->pid);
		st->pid = 0;
	}
	/* A relay counted the bytes it moved. */
	if (st->relayed)
		sipc__relay_free(&st->relay);
	else
		count_bytes(c);
	release(c, st);
	sweep(false);
}

/*
 * The process attributes of the service (svcconf.h): whether its children
 * need the fork path, and its user's ids, resolved now, as root and
 * before any fork (the group database is no reading for a forked child).
 * A variable of ours named in `env` or `passenv` is said once: ours win.
 */
static int set_attrs(struct sipc_srv_endpoint *sep, struct exec_ep *ee, char *why, size_t whylen)
{
	const struct sipc_svc_conf *conf = sipc__svc_ep_conf(sep);
	char var[256];

	ee->conf = conf;
	ee->attrs = conf->nice != SIPC_SVC_NICE_UNSET || conf->umask != SIPC_SVC_UNSET ||
		    conf->rlimit_as != SIPC_SVC_UNSET || conf->rlimit_cpu != SIPC_SVC_UNSET ||
		    conf->rlimit_files != SIPC_SVC_UNSET;
	if (conf->user != NULL) {
		if (sipc__privdrop_ids(conf, &ee->ids, why, whylen) < 0)
			return -1;
		ee->has_ids = true;
	}
	for (size_t i = 0; i < conf->nenv + conf->npassenv; i++) {
		const char *v = i < conf->nenv ? conf->env[i] : conf->passenv[i - conf->nenv];
		snprintf(var, sizeof(var), "%s%s", v, i < conf->nenv ? "" : "=");
		if (sipc__execenv_ours(var)) {
			var[strcspn(var, "=")] = '\0';
			sipc__svc_log(
				sep, 0, "exec on %s: %s %s: the connection's own variable wins",
				sipc__svc_ep_url(sep), i < conf->nenv ? "env" : "passenv", var);
		}
	}
	return 0;
}

static int exec_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why,
		      size_t whylen)
{
	struct exec_ep *ee = calloc(1, sizeof(*ee));

	if (ee == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (sipc__exec_setup(sep, argc, argv, &ee->common, why, whylen) < 0 ||
	    set_attrs(sep, ee, why, whylen) < 0) {
		sipc__privdrop_ids_free(&ee->ids);
		free(ee);
		return -1;
	}
	sipc__svc_ep_set_state(sep, ee);
	return 0;
}

static void exec_teardown(struct sipc_srv_endpoint *sep)
{
	/* Every worker has stopped: what was killed can be waited for. */
	sweep(true);
	pthread_mutex_lock(&graves.lock);
	free(graves.v);
	graves.v = NULL;
	graves.cap = 0;
	pthread_mutex_unlock(&graves.lock);
	struct exec_ep *ee = sipc__svc_ep_state(sep);
	if (ee != NULL)
		sipc__privdrop_ids_free(&ee->ids);
	free(ee);
	sipc__svc_ep_set_state(sep, NULL);
}

const struct sipc_service sipc__svc_exec = {
	.name = "exec",
	.usage = "exec [--max-children=N] PROGRAM [ARGS...]",
	.min_args = 1,
	.max_args = -1,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.setup = exec_setup,
	.teardown = exec_teardown,
	.conn_size = sizeof(struct exec_conn),
	.on_open = exec_open,
	.on_io = exec_io,
	.on_close = exec_close,
	.on_drain = exec_drain,
};
