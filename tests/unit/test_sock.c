/*
 * test_sock.c - the socket lifecycle layer (src/lib/sys/sock.c) where the
 * kernel's corner cases matter: connect interrupted by a signal goes on
 * and is waited for, accept retries EINTR and ECONNABORTED, a unix connect
 * to a full backlog waits until its deadline, and the stale-path probe
 * never takes a busy listener for a dead one.  connect and accept4 are
 * wrapped (test_sock.wrap) to inject the errors.
 */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sockipc.h"
#include "sys/sys.h"

int __real_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __real_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);

/* How many of the next calls fail with the given errno before the real
 * call runs.  connect_eintr: the real connect starts, then EINTR is
 * reported, as when a signal arrives during a blocking connect. */
static int connect_eintr;
static int accept_fail[4];
static int accept_fail_n;

int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int rc = __real_connect(fd, sa, len);

	if (connect_eintr > 0 && (rc == 0 || errno == EINPROGRESS)) {
		connect_eintr--;
		errno = EINTR;
		return -1;
	}
	return rc;
}

int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	if (accept_fail_n > 0) {
		errno = accept_fail[--accept_fail_n];
		return -1;
	}
	return __real_accept4(fd, sa, len, flags);
}

static void connect_interrupted_goes_on(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char url[SIPC_URL_MAX];
	sipc_addr a;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_endpoint_local(l, &a), 0);
	assert_true(sipc_addr_format(&a, url, sizeof(url)) > 0);
	connect_eintr = 1;
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_int_equal(connect_eintr, 0);
	assert_int_equal(sipc_endpoint_peer(d, &a), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	sipc_endpoint_close(s);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

static void accept_retries_eintr_and_aborted(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char url[SIPC_URL_MAX];
	sipc_addr a;

	(void)state;
	snprintf(url, sizeof(url), "unix://@sipc-test-%d-accept", (int)getpid());
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_int_equal(sipc_endpoint_local(l, &a), 0);
	assert_true(sipc_addr_format(&a, url, sizeof(url)) > 0);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	accept_fail[0] = EINTR;
	accept_fail[1] = ECONNABORTED;
	accept_fail[2] = EINTR;
	accept_fail_n = 3;
	assert_int_equal(sipc_accept(l, 0, &s), 0);
	assert_int_equal(accept_fail_n, 0);
	sipc_endpoint_close(s);
	s = NULL;
	/* EMFILE is not retried: it comes back as it is. */
	accept_fail[0] = EMFILE;
	accept_fail_n = 1;
	assert_int_equal(sipc_accept(l, 0, &s), -EMFILE);
	assert_null(s);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

/* Fills the backlog of the unix stream listener at ADDR (listen(fd, 1)
 * queues two) with raw connects; returns how many it made. */
static int fill_unix_backlog(const struct sockaddr_un *sun, int *fds, int max)
{
	int n = 0;

	while (n < max) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		if (__real_connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
			assert_int_equal(errno, EAGAIN);
			close(fd);
			break;
		}
		fds[n++] = fd;
	}
	return n;
}

static void unix_full_backlog(void **state)
{
	char *dir = sipc_test_tmpdir();
	char url[SIPC_URL_MAX];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	sipc_options o = {.backlog = 1};
	sipc_endpoint *l = NULL, *l2 = NULL, *d = NULL;
	int fds[16], n, rc;
	long t0, took;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.80s/full.sock", dir);
	snprintf(url, sizeof(url), "unix://%s", sun.sun_path);
	assert_int_equal(sipc_listen(url, &o, &l), 0);
	n = fill_unix_backlog(&sun, fds, 16);
	assert_true(n >= 1 && n < 16);

	/* The connect waits for room until its deadline, then gives up. */
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_dial(url, NULL, 150, &d), SIPC_ETIMEDOUT);
	took = sipc_test_now_ms() - t0;
	assert_true(took >= 140);
	assert_true(took < 150 + sipc_test_ms(1000));
	rc = sipc__sys_socket(AF_UNIX, SOCK_STREAM);
	assert_true(rc >= 0);
	assert_int_equal(
		sipc__sys_connect(rc, (struct sockaddr *)&sun, sizeof(sun), sipc__deadline(0)),
		SIPC_ETIMEDOUT);
	sipc__sys_close(rc);

	/* A busy listener is alive: its file is never replaced. */
	assert_int_equal(sipc_listen(url, NULL, &l2), -EADDRINUSE);
	assert_int_equal(stat(sun.sun_path, &st), 0);

	/* Room again: the connect goes through. */
	for (int i = 0; i < n; i++)
		close(fds[i]);
	for (int i = 0; i < n; i++) {
		sipc_endpoint *s = NULL;
		assert_int_equal(sipc_accept(l, sipc_test_ms(1000), &s), 0);
		sipc_endpoint_close(s);
	}
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
	sipc_test_rmtree(dir);
	free(dir);
}

static void sock_helpers_report_errno(void **state)
{
	int fd = sipc__sys_socket(AF_INET, SOCK_DGRAM);
	int v;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &v), 0);
	assert_int_equal(v, SOCK_DGRAM);
	assert_int_equal(sipc__sys_set_nonblock(fd, false), 0);
	assert_int_equal(sipc__sys_set_nonblock(fd, true), 0);
	assert_int_equal(sipc__sys_set_cloexec(fd), 0);
	assert_int_equal(sipc__sys_close(fd), 0);
	assert_int_equal(sipc__sys_socket(AF_INET, 12345), -EINVAL);
	assert_int_equal(sipc__sys_close(fd), -EBADF);
	assert_int_equal(sipc__sys_set_cloexec(fd), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(connect_interrupted_goes_on),
		cmocka_unit_test(accept_retries_eintr_and_aborted),
		cmocka_unit_test(unix_full_backlog),
		cmocka_unit_test(sock_helpers_report_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
