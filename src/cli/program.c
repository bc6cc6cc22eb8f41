/*
 * program.c - connect -e / --sh-exec and listen -e: a program with the
 * connection as its stdin and stdout, ncat's -e and -c.  The program
 * never holds the socket itself: it gets two pipes and the relay of
 * connect (relay.c) moves the bytes between them and the endpoint.  One
 * shape for every scheme, because TLS could not be handed over anyway
 * (the bytes must go through the library), and because only separate
 * pipes pass the half-close on both ways: a program that closes its
 * stdout (its output is complete) makes the relay shut down the socket's
 * write side while the program can still read, and the peer's end of
 * stream closes the program's stdin pipe.  A socket shared as stdin and
 * stdout cannot tell the first, as ncat's direct -e shows; splice keeps
 * the extra hop cheap on plain sockets.  The program starts as serve
 * starts its exec children (forkexec.c: default signal dispositions, glibc's
 * 32 and 33 included, an empty mask, no other descriptor) with the same
 * environment (execenv.c), so a script moves between the two unchanged.
 */
#include "cli/program.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/connect.h"
#include "serve/execenv.h"
#include "serve/services/forkexec.h"
#include "serve/tls.h"
#include "sys/sys.h"

/* How long a program asked to stop (SIGTERM) has before SIGKILL. */
#define STOP_GRACE_MS 2000

int sipc_program_argv(const char *cmd, const char *exec, const char *sh, char ***argvp)
{
	const char *text = exec != NULL ? exec : sh;
	size_t len, words = 0;
	char **argv, *p;

	*argvp = NULL;
	if (exec == NULL && sh == NULL)
		return 0;
	if (exec != NULL && sh != NULL) {
		sipc_cli_error("%s: -e and --sh-exec: choose one", cmd);
		return SIPC_EXIT_USAGE;
	}
	if (text[strspn(text, " \t")] == '\0') {
		sipc_cli_error("%s: %s: no program given", cmd, exec != NULL ? "-e" : "--sh-exec");
		return SIPC_EXIT_USAGE;
	}
	/* One block: at most len/2 + 1 words, then the text they point into. */
	len = strlen(text);
	argv = malloc((len / 2 + 4) * sizeof(*argv) + len + 1);
	if (argv == NULL) {
		sipc_cli_error("%s: out of memory", cmd);
		return SIPC_EXIT_FAIL;
	}
	p = (char *)(argv + len / 2 + 4);
	memcpy(p, text, len + 1);
	if (sh != NULL) {
		argv[words++] = "/bin/sh";
		argv[words++] = "-c";
		argv[words++] = p;
	} else {
		/* ncat -e: blanks separate the words; no quoting, no shell. */
		for (char *tok = strtok(p, " \t"); tok != NULL; tok = strtok(NULL, " \t"))
			argv[words++] = tok;
	}
	argv[words] = NULL;
	*argvp = argv;
	return 0;
}

void sipc_program_argv_free(char **argv)
{
	free(argv);
}

/* The environment of the program (execenv.h), malloc'd; NULL when out of
 * memory.  A listener's peer is a client: on TLS it gets the client's
 * identity as serve's exec children do.  A client's peer is the server,
 * whose certificate the SSL_CLIENT_ names would misname: only the
 * protocol and the cipher. */
static char **program_env(const struct sipc_relay_cfg *cfg, sipc_endpoint *ep,
			  struct sipc__execenv *e)
{
	sipc_addr peer, local;
	char v[SIPC_TLS_INFO_MAX];

	memset(&peer, 0, sizeof(peer));
	memset(&local, 0, sizeof(local));
	(void)sipc_endpoint_peer(ep, &peer);
	(void)sipc_endpoint_local(ep, &local);
	sipc__execenv_fill(e, &peer, &local, cfg->url, sipc_endpoint_fd(ep));
	if (sipc_scheme_is_tls(sipc_endpoint_scheme(ep))) {
		if (strcmp(cfg->cmd, "listen") == 0) {
			sipc__serve_tls_identity(ep, sipc__execenv_put, e);
		} else {
			if (sipc_tls_info(ep, SIPC_TLS_VERSION, v, sizeof(v)) >= 0)
				sipc__execenv_put(e, "SSL_PROTOCOL", v);
			if (sipc_tls_info(ep, SIPC_TLS_CIPHER, v, sizeof(v)) >= 0)
				sipc__execenv_put(e, "SSL_CIPHER", v);
		}
	}
	return sipc__execenv_make(e, NULL);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		sipc__sys_close(*fd);
	*fd = -1;
}

/* Starts ARGV on two new pipes: *TO (its stdin) and *FROM (its stdout),
 * ours non-blocking.  Its pid, or a negative errno with *STEP set. */
static int start(char **argv, char **envp, bool same_pgrp, int *to, int *from, const char **step)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, pid;

	*step = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		pid = -errno;
		goto fail;
	}
	struct sipc__forkexec fx = {
		.argv = argv,
		.envp = envp,
		.in_fd = in[0],
		.out_fd = out[1],
		.same_pgrp = same_pgrp,
		.nice = SIPC_SVC_NICE_UNSET,
		.umask = SIPC_SVC_UNSET,
		.rlimit_as = SIPC_SVC_UNSET,
		.rlimit_cpu = SIPC_SVC_UNSET,
		.rlimit_files = SIPC_SVC_UNSET,
	};
	pid = sipc__forkexec(&fx, step);
	if (pid < 0)
		goto fail;
	close_fd(&in[0]);
	close_fd(&out[1]);
	/* Ours only: the program's ends stay blocking, as any stdio. */
	(void)sipc__sys_set_nonblock(in[1], true);
	(void)sipc__sys_set_nonblock(out[0], true);
	*to = in[1];
	*from = out[0];
	return pid;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	return pid;
}

/* Waits up to MS for PID to exit: true when it has (not reaped yet). */
static bool exits_within(pid_t pid, int ms)
{
#if defined(SYS_pidfd_open)
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int64_t deadline = sipc__deadline(ms);
		int n;

		do
			n = poll(&p, 1, sipc__deadline_left(deadline));
		while (n < 0 && errno == EINTR);
		sipc__sys_close(pfd);
		return n > 0;
	}
#endif
	(void)ms;
	return false;
}

/* Waits for PID; with STOP, asks its process group (or it alone, in ours)
 * to end first.  Its wait status. */
static int reap(pid_t pid, bool stop, bool same_pgrp)
{
	pid_t who = same_pgrp ? pid : -pid;
	int status = 0;

	if (stop) {
		kill(who, SIGTERM);
		if (!exits_within(pid, STOP_GRACE_MS))
			kill(who, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int sipc_program_run(char **argv, const struct sipc_relay_cfg *cfg, sipc_endpoint *ep, int stop_fd,
		     bool same_pgrp, bool *stopped)
{
	struct sipc_relay_io io = {.in_fd = -1, .out_fd = -1, .stop_fd = stop_fd, .program = true};
	struct sipc_relay_cfg rc_cfg = *cfg;
	struct sipc__execenv e = {.n = 0};
	const char *step;
	char **envp;
	int pid, rc, status;

	if (stopped != NULL)
		*stopped = false;
	envp = program_env(cfg, ep, &e);
	if (envp == NULL) {
		sipc_cli_error("%s: out of memory", cfg->cmd);
		return SIPC_EXIT_FAIL;
	}
	pid = start(argv, envp, same_pgrp, &io.out_fd, &io.in_fd, &step);
	free(envp);
	if (pid < 0) {
		/* The program is the user's own words: as written. */
		sipc_cli_error("%s: exec %s: %s%s%s", cfg->cmd, argv[0], step ? step : "",
			       step ? ": " : "", strerror(-pid));
		return pid == -ENOENT ? 127 : 126;
	}
	/* The program's output is a pipe, never a terminal: on datagram
	 * URLs each of its writes (each read) is one datagram, unless
	 * --lines or --chunk. */
	if (rc_cfg.mode == SIPC_RELAY_DGRAM && rc_cfg.chunk == 0 && !sipc_relay_opts.lines)
		rc_cfg.chunk = SIPC_RELAY_DGRAM_READ;
	rc = sipc_relay_run(&rc_cfg, ep, &io);
	close_fd(&io.in_fd);
	close_fd(&io.out_fd);
	if (stopped != NULL)
		*stopped = io.stopped;
	status = reap(pid, io.stopped, same_pgrp);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : SIPC_EXIT_FAIL;
	/* A connection that failed (reset, truncated TLS) is not a success
	 * because the program did not notice it. */
	return rc != SIPC_EXIT_OK && status == 0 ? rc : status;
}
