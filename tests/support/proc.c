/*
 * proc.c - the child processes of support.h (POSIX only): a server a test
 * starts runs in a process group of its own and is killed with its parent
 * (PR_SET_PDEATHSIG), and the groups of servers not yet reaped are stopped
 * at exit: a failed assertion jumps out of the test before its stop, and
 * the server must not outlive the test program.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The servers started and not yet reaped, for stop_servers at exit. */
#define MAX_SERVERS 64
static pid_t servers[MAX_SERVERS];

static void forget_server(pid_t pid)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (servers[i] == pid)
			servers[i] = 0;
}

/* Waits at most MS for PID; 0 and its status in *STATUS once reaped. */
static int reap_within(pid_t pid, int ms, int *status)
{
	struct timespec nap = {0, 5 * 1000 * 1000};

	for (int waited = 0; waited <= ms; waited += 5) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid) {
			forget_server(pid);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&nap, NULL);
	}
	return -1;
}

int sipc_test_wait_child(pid_t pid, int ms)
{
	int status;

	if (reap_within(pid, ms, &status) == 0)
		return status;
	/* The group too, when PID leads one (a server), so nothing it
	 * started is left waiting. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	forget_server(pid);
	return -1;
}

/* atexit: TERM to each server group still here, KILL after a bounded wait. */
static void stop_servers(void)
{
	int status;

	for (int i = 0; i < MAX_SERVERS; i++) {
		pid_t pid = servers[i];

		if (pid <= 0)
			continue;
		kill(-pid, SIGTERM);
		if (reap_within(pid, sipc_test_ms(5000), &status) != 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		kill(-pid, SIGKILL);
		servers[i] = 0;
	}
}

static void remember_server(pid_t pid)
{
	static bool registered;

	if (!registered) {
		atexit(stop_servers);
		registered = true;
	}
	for (int i = 0; i < MAX_SERVERS; i++)
		if (servers[i] == 0) {
			servers[i] = pid;
			return;
		}
	fail_msg("more than %d servers at once", MAX_SERVERS);
}

void sipc_test_server_start(struct sipc_test_server *s, int nlines, const char *const *args)
{
	const char *bin = getenv("SOCKIPC");
	char buf[4096];
	size_t have = 0;
	int pfd[2];

	assert_non_null(bin);
	assert_true(nlines <= SIPC_TEST_MAXURLS);
	assert_int_equal(pipe(pfd), 0);
	pid_t parent = getpid();
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		const char *argv[32] = {bin, "serve", "-q"};
		int n = 3;

		setpgid(0, 0);
		/* Dies with the test, even one that crashed; the check
		 * after it catches a parent that died before prctl. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);

		for (int i = 0; args[i] != NULL && n < 31; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	setpgid(s->pid, s->pid); /* both sides, whichever runs first */
	remember_server(s->pid);
	close(pfd[1]);
	s->nurls = 0;
	while (s->nurls < nlines) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		ssize_t n;
		char *nl;

		assert_int_equal(poll(&p, 1, sipc_test_ms(10000)), 1);
		n = read(pfd[0], buf + have, sizeof(buf) - 1 - have);
		assert_true(n > 0);
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			assert_true(sscanf(buf, "listening %319s", s->urls[s->nurls]) == 1);
			s->nurls++;
			memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
			have -= (size_t)(nl + 1 - buf);
		}
	}
	close(pfd[0]);
}

void sipc_test_server_wait(struct sipc_test_server *s, int ms)
{
	int st = sipc_test_wait_child(s->pid, ms);

	assert_true(st != -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

void sipc_test_server_stop(struct sipc_test_server *s)
{
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	sipc_test_server_wait(s, sipc_test_ms(15000));
}
