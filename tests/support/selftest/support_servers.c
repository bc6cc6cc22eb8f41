/*
 * support_servers.c - support.c's promise about the servers a unit test
 * starts: none outlives the test program, whether a failed assertion
 * skipped the test's own stop or the program crashed.  Each case runs a
 * small cmocka program in a child process and then looks for the server
 * it started.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

static int report_fd = -1;

/* The inner test: starts a server, reports its pid, then fails (or, with
 * crash set, dies of SIGABRT without any exit handler). */
static bool crash;
static void inner_starts_server_then_fails(void **state)
{
	static const char *const args[] = {"-e", "tcp://127.0.0.1:0 echo", NULL};
	struct sipc_test_server s;

	(void)state;
	sipc_test_server_start(&s, 1, args);
	assert_true(write(report_fd, &s.pid, sizeof(s.pid)) == (ssize_t)sizeof(s.pid));
	if (crash)
		abort();
	fail_msg("a deliberate failure before the test stops its server");
}

/* Runs the inner test in a child; returns the server's pid. */
static pid_t run_inner(bool with_crash)
{
	int p[2], st;
	pid_t child, server = 0;

	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		const struct CMUnitTest inner[] = {
			cmocka_unit_test(inner_starts_server_then_fails),
		};
		close(p[0]);
		report_fd = p[1];
		crash = with_crash;
		_exit(cmocka_run_group_tests_name("inner (fails on purpose)", inner, NULL, NULL) ==
				      1
			      ? 0
			      : 3);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &server, sizeof(server)), (ssize_t)sizeof(server));
	close(p[0]);
	st = sipc_test_wait_child(child, sipc_test_ms(20000));
	if (with_crash)
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	else
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return server;
}

/* True once PID is gone (or a zombie nobody reaped), bounded by MS. */
static bool gone_within(pid_t pid, int ms)
{
	struct timespec nap = {0, 10 * 1000 * 1000};
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int waited = 0; waited <= ms; waited += 10) {
		FILE *f = fopen(path, "r");
		if (f == NULL)
			return true;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *rp = strrchr(buf, ')');
		if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z')
			return true;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	return false;
}

static void server_stopped_after_a_failed_assertion(void **state)
{
	(void)state;
	pid_t server = run_inner(false);
	assert_true(server > 0);
	assert_true(gone_within(server, sipc_test_ms(5000)));
}

static void server_killed_when_the_test_crashes(void **state)
{
	(void)state;
	pid_t server = run_inner(true);
	assert_true(server > 0);
	assert_true(gone_within(server, sipc_test_ms(5000)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(server_stopped_after_a_failed_assertion),
		cmocka_unit_test(server_killed_when_the_test_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
