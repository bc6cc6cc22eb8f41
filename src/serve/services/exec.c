/*
 * exec.c - `exec [--max-children=N] PROGRAM [ARGS...]` on stream and
 * seqpacket endpoints, inetd's `nowait`: a child process per connection
 * with the socket as its stdin and stdout, stderr shared with the server's
 * log, SOCKIPC_PEER and SOCKIPC_LOCAL in its environment, default signal
 * dispositions and an empty signal mask (the server ignores SIGPIPE and
 * blocks the signals its signalfd reads; a child must inherit neither),
 * and no other descriptor (every one is close-on-exec, and closefrom(3)
 * in the spawn makes sure).  posix_spawnp(3) looks PROGRAM up in PATH as
 * execvp does and reports a program that cannot run to the parent, so the
 * client is closed with the reason in the log.  The child is reaped
 * through a pidfd watched by the connection's own loop, without SIGCHLD:
 * the connection stays open (the server does no I/O on it) until the child
 * exits, and its close line gives the exit status.  A connection closed
 * by the server first (drain deadline, --idle-timeout, which cannot see
 * the child's traffic) kills its child and reaps it.  Per endpoint at most
 * --max-children (default 64) run at once; more are refused at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/server.h"
#include "serve/services/services.h"
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

extern char **environ;

#define EXEC_MAX_CHILDREN_DEFAULT 64
/* Reaping without a pidfd: how often to ask waitpid. */
#define EXEC_POLL_MS 100

struct exec_ep {
	long max_children;
	long running;          /* atomic: children of this endpoint now */
	unsigned long refused; /* atomic */
	char **argv;           /* PROGRAM ARGS..., NULL-terminated */
};

struct exec_conn {
	pid_t pid; /* 0: no child (any more) */
	int pidfd;
	bool counted; /* holds one of the endpoint's running slots */
	sipc_loop_io io;
	sipc_loop_timer poll;
	char end[96]; /* the close line's end=, kept here until the line */
};

static const struct sipc__server *srv_of(struct sipc_conn *c)
{
	return sipc__conn_endpoint(c)->srv;
}

static void release(struct sipc_conn *c, struct exec_conn *st)
{
	struct exec_ep *ee = sipc__svc_ep_state(sipc__conn_endpoint(c));

	if (st->counted) {
		__atomic_sub_fetch(&ee->running, 1, __ATOMIC_RELAXED);
		st->counted = false;
	}
	sipc__io_stop(sipc__conn_loop(c), &st->io);
	sipc__timer_stop(sipc__conn_loop(c), &st->poll);
	if (st->pidfd >= 0) {
		sipc__sys_close(st->pidfd);
		st->pidfd = -1;
	}
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
	else
		describe(status, st->end, sizeof(st->end));
	st->pid = 0;
	release(c, st);
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

/* ENVIRON without SOCKIPC_PEER and SOCKIPC_LOCAL, then those two. */
static char **make_env(struct sipc_conn *c, char *peer_var, size_t peer_len, char *local_var,
		       size_t local_len)
{
	char url[SIPC_URL_MAX];
	size_t n = 0, k = 0;
	char **envp;

	if (sipc_addr_format(sipc__conn_peer(c), url, sizeof(url)) < 0)
		snprintf(url, sizeof(url), "?");
	snprintf(peer_var, peer_len, "SOCKIPC_PEER=%s", url);
	if (sipc_addr_format(sipc__conn_local(c), url, sizeof(url)) < 0)
		snprintf(url, sizeof(url), "%s", sipc__svc_ep_url(sipc__conn_endpoint(c)));
	snprintf(local_var, local_len, "SOCKIPC_LOCAL=%s", url);
	while (environ != NULL && environ[n] != NULL)
		n++;
	envp = malloc((n + 3) * sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SOCKIPC_PEER=", 13) != 0 &&
		    strncmp(environ[i], "SOCKIPC_LOCAL=", 14) != 0)
			envp[k++] = environ[i];
	envp[k++] = peer_var;
	envp[k++] = local_var;
	envp[k] = NULL;
	return envp;
}

/* Starts the child: its pid, or a negative errno. */
static int spawn(struct sipc_conn *c, char **argv)
{
	char peer_var[SIPC_URL_MAX + 16], local_var[SIPC_URL_MAX + 16];
	int fd = sipc__conn_fd(c);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char **envp;
	pid_t pid;
	int rc;

	envp = make_env(c, peer_var, sizeof(peer_var), local_var, sizeof(local_var));
	if (envp == NULL)
		return -ENOMEM;
	/* O_NONBLOCK belongs to the open file description, which a dup shares:
	 * it is cleared for the server's copy too.  That is harmless: from now
	 * on the server does no I/O on this socket, only closes it. */
	(void)sipc__sys_set_nonblock(fd, false);
	rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		goto out_env;
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
	if ((rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(&at, &all)) != 0 ||
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) !=
		    0)
		goto out_at;
	rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp);
out_at:
	posix_spawnattr_destroy(&at);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
out_env:
	free(envp);
	return rc != 0 ? -rc : (int)pid;
}

static void exec_open(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);
	struct sipc_srv_endpoint *sep = sipc__conn_endpoint(c);
	struct exec_ep *ee = sipc__svc_ep_state(sep);
	char peer[SIPC_URL_MAX];
	int pid;

	st->pidfd = -1;
	sipc__io_init(&st->io, -1, on_pidfd, c);
	sipc__timer_init(&st->poll, on_poll, c);
	/* The child alone reads and writes the socket.  No events, one shot:
	 * a reset or hang-up is reported once instead of on every turn. */
	(void)sipc__conn_set_events(c, EPOLLONESHOT);
	if (__atomic_add_fetch(&ee->running, 1, __ATOMIC_RELAXED) > ee->max_children) {
		unsigned long n = __atomic_add_fetch(&ee->refused, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&ee->running, 1, __ATOMIC_RELAXED);
		if (sipc_addr_format(sipc__conn_peer(c), peer, sizeof(peer)) < 0)
			snprintf(peer, sizeof(peer), "?");
		sipc__serve_log(srv_of(c), 1,
				"refused exec local=%s peer=%s: %ld children running "
				"(--max-children=%ld); %lu refused so far",
				sep->url, peer, ee->max_children, ee->max_children, n);
		sipc__conn_close(c, "refused: --max-children reached");
		return;
	}
	st->counted = true;
	pid = spawn(c, ee->argv);
	if (pid < 0) {
		snprintf(st->end, sizeof(st->end), "exec %s: %s", ee->argv[0], strerror(-pid));
		sipc__serve_log(srv_of(c), 0, "exec %s: %s", ee->argv[0], strerror(-pid));
		release(c, st);
		sipc__conn_close(c, st->end);
		return;
	}
	st->pid = pid;
	sipc__serve_log(srv_of(c), 2, "exec %s: child %d", ee->argv[0], pid);
#if HAVE_PIDFD
	st->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
#endif
	if (st->pidfd >= 0) {
		sipc__io_init(&st->io, st->pidfd, on_pidfd, c);
		if (sipc__io_start(sipc__conn_loop(c), &st->io, EPOLLIN) < 0) {
			sipc__sys_close(st->pidfd);
			st->pidfd = -1;
		}
	}
	if (st->pidfd < 0)
		sipc__timer_start(sipc__conn_loop(c), &st->poll, EXEC_POLL_MS);
}

static void exec_io(struct sipc_conn *c, uint32_t revents)
{
	/* A reset or hang-up of the client: the child sees it on its own
	 * descriptors and decides; we wait for it to exit. */
	(void)c;
	(void)revents;
}

static void exec_close(struct sipc_conn *c)
{
	struct exec_conn *st = sipc__conn_state(c);
	int status;
	pid_t r;

	if (st->pid > 0) {
		/* The server is ending this connection first (drain deadline,
		 * idle timeout, stop): the child goes with it.  SIGKILL ends it
		 * at once, so the wait below is short. */
		kill(st->pid, SIGKILL);
		do
			r = waitpid(st->pid, &status, 0);
		while (r < 0 && errno == EINTR);
		if (r == st->pid) {
			char how[96];
			describe(status, how, sizeof(how));
			sipc__serve_log(srv_of(c), 1, "exec child %ld killed: %s", (long)st->pid,
					how);
		}
		st->pid = 0;
	}
	release(c, st);
}

/* Whether A is a loopback address (or a unix socket, local by nature). */
static bool is_local(const sipc_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return true;
}

static int exec_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why,
		      size_t whylen)
{
	struct exec_ep *ee;
	long max_children = EXEC_MAX_CHILDREN_DEFAULT;
	const struct sipc_svc_opt opts[] = {
		{"max-children", SIPC__SVC_OPT_INT, &max_children, 1, 100000},
		{NULL, 0, NULL, 0, 0},
	};
	sipc_addr local;
	int used;

	if (sipc__svc_opts_parse("exec", argc, argv, opts, &used, why, whylen) < 0)
		return -1;
	if (used >= argc) {
		snprintf(why, whylen, "exec: no PROGRAM (usage: %s)", sipc__svc_exec.usage);
		return -1;
	}
	ee = calloc(1, sizeof(*ee));
	if (ee == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	ee->max_children = max_children;
	ee->argv = argv + used; /* the line's words are NULL-terminated */
	sipc__svc_ep_set_state(sep, ee);
	if (sipc_endpoint_local(sep->ep, &local) == 0 && !is_local(&local))
		sipc__serve_log(NULL, 0,
				"WARNING: exec on %s runs '%s' for ANY peer that can reach it: "
				"this endpoint is bound beyond loopback; restrict it with "
				"--allow or bind 127.0.0.1 / a unix socket",
				sep->url, ee->argv[0]);
	return 0;
}

static void exec_teardown(struct sipc_srv_endpoint *sep)
{
	free(sipc__svc_ep_state(sep));
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
};
