/*
 * test_shm.c - the shm:// transport beyond the conformance suite: framing
 * at ring boundaries (4 KiB rings: frames that wrap, that fill the ring
 * exactly, a 1 MiB message, zero length), timeouts, sipc_request, the
 * descriptor's pollability, a half-close, a peer killed with SIGKILL mid-
 * message and between messages, handshakes from hostile clients (garbage,
 * no descriptor, an unsealed memfd, one too small, two descriptors, a
 * pipe), a peer that scribbles on the rings, and 1,000 connections at
 * once.  The URL options ring= and spin= are checked here too.
 */
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "sockipc.h"
#include "transport/shm/ring.h"

/* ------------------------------------------------------------ helpers */

static int seq;

/* A fresh abstract name with QUERY ("?ring=4K" or ""). */
static void shm_url(char *buf, size_t len, const char *query)
{
	snprintf(buf, len, "shm://@sipc-test-shm-%d-%d%s", (int)getpid(), seq++, query);
}

struct dialer {
	char url[700];
	int timeout_ms;
	sipc_endpoint *ep;
	int rc;
	pthread_t th;
};

static void *dial_main(void *arg)
{
	struct dialer *d = arg;

	d->rc = sipc_dial(d->url, NULL, d->timeout_ms, &d->ep);
	return NULL;
}

/* A connected pair: C dialed URL (with DIAL_QUERY), S accepted from the
 * listener on URL (with LISTEN_QUERY), both handshakes done. */
static void pair_q(const char *listen_query, const char *dial_query, sipc_endpoint **c,
		   sipc_endpoint **s, sipc_endpoint **lp)
{
	char lurl[256];
	struct dialer d;
	sipc_endpoint *l;

	shm_url(lurl, sizeof lurl, listen_query);
	assert_int_equal(sipc_listen(lurl, NULL, &l), 0);
	memset(&d, 0, sizeof d);
	snprintf(d.url, sizeof d.url, "%.*s%s", (int)strcspn(lurl, "?"), lurl, dial_query);
	d.timeout_ms = sipc_test_ms(5000);
	assert_int_equal(pthread_create(&d.th, NULL, dial_main, &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), s), 0);
	assert_int_equal(sipc_handshake(*s, sipc_test_ms(5000)), 0);
	pthread_join(d.th, NULL);
	assert_int_equal(d.rc, 0);
	*c = d.ep;
	if (lp != NULL)
		*lp = l;
	else
		sipc_endpoint_close(l);
}

static void pair(const char *query, sipc_endpoint **c, sipc_endpoint **s)
{
	pair_q(query, query, c, s, NULL);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void fill(uint8_t *p, size_t n, unsigned salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + i / 257 + salt);
}

/* Echoes messages on EP until the end (in a thread). */
struct echo {
	sipc_endpoint *ep;
	int echoed;
	ssize_t last;
	pthread_t th;
};

static void *echo_main(void *arg)
{
	struct echo *e = arg;

	for (int i = 0; i < 1000; i++) {
		void *m = NULL;
		ssize_t n = sipc_recv_alloc(e->ep, &m, sipc_test_ms(10000));

		if (n < 0) {
			e->last = n;
			break;
		}
		if (sipc_send(e->ep, m, (size_t)n, sipc_test_ms(10000)) != n) {
			free(m);
			e->last = -1;
			break;
		}
		free(m);
		e->echoed++;
	}
	return NULL;
}

/* ------------------------------------------------------ framing, sizes */

/* Messages whose frames wrap around a 4 KiB ring at every offset the
 * sizes lead to, fill it exactly (4092 + 4 header bytes), exceed it, are
 * empty, and one of 1 MiB: each comes back whole. */
static void test_ring_boundaries(void **state)
{
	static const size_t sizes[] = {0,    1,    3,    4092, 4093, 4091, 4096,  5000,
				       8188, 8192, 1000, 0,    2047, 2049, 12345, 4092};
	size_t big = 1 << 20;
	uint8_t *out = malloc(big), *in = malloc(big);
	sipc_endpoint *c, *s;
	struct echo e = {0};

	(void)state;
	assert_non_null(out);
	assert_non_null(in);
	pair("?ring=4K", &c, &s);
	e.ep = s;
	assert_int_equal(pthread_create(&e.th, NULL, echo_main, &e), 0);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			fill(out, sizes[i], (unsigned)(i + round));
			assert_int_equal(sipc_send(c, out, sizes[i], sipc_test_ms(5000)), sizes[i]);
			assert_int_equal(sipc_recv(c, in, big, sipc_test_ms(5000)), sizes[i]);
			assert_memory_equal(in, out, sizes[i]);
		}
	}
	/* 1 MiB through 4 KiB rings, both ways, with the alloc call. */
	fill(out, big, 7);
	assert_int_equal(sipc_send(c, out, big, sipc_test_ms(10000)), big);
	{
		void *m = NULL;

		assert_int_equal(sipc_recv_alloc(c, &m, sipc_test_ms(10000)), big);
		assert_memory_equal(m, out, big);
		free(m);
	}
	/* A request is answered by the echo. */
	assert_int_equal(sipc_request(c, "ping", 4, in, big, sipc_test_ms(2000), 2), 4);
	assert_memory_equal(in, "ping", 4);
	sipc_endpoint_close(c);
	pthread_join(e.th, NULL);
	assert_int_equal(e.last, SIPC_ECLOSED);
	assert_int_equal(e.echoed, 3 * 16 + 2);
	sipc_endpoint_close(s);
	free(out);
	free(in);
}

/* The maximum message size holds as on unix://: a larger frame ends the
 * connection with SIPC_EMSGSIZE and nothing is allocated for it. */
static void test_max_msg(void **state)
{
	sipc_endpoint *c, *s;
	uint8_t buf[2000];

	(void)state;
	pair("?ring=4K", &c, &s);
	memset(buf, 'x', sizeof buf);
	sipc_endpoint_set_max_msg(s, 1000);
	assert_int_equal(sipc_send(c, buf, 1000, sipc_test_ms(2000)), 1000);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(2000)), 1000);
	assert_int_equal(sipc_send(c, buf, 1001, sipc_test_ms(2000)), 1001);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(2000)), SIPC_EMSGSIZE);
	/* The sender's own maximum too. */
	sipc_endpoint_set_max_msg(c, 10);
	assert_int_equal(sipc_send(c, buf, 11, sipc_test_ms(2000)), SIPC_EMSGSIZE);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* ------------------------------------------------- timeouts, readiness */

static void timeouts_and_poll(const char *query)
{
	sipc_endpoint *c, *s;
	struct pollfd pfd;
	uint8_t big[20000];
	char buf[64];
	int64_t t0;
	ssize_t n;

	pair(query, &c, &s);
	/* Nothing there: timeout 0 returns at once, a timeout waits it out. */
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 100), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 >= 95);

	/* The descriptor: not readable while nothing came, readable once
	 * the peer sends (the caller's own poll loop). */
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
	assert_int_equal(sipc_endpoint_pending(s), 0);
	pfd = (struct pollfd){.fd = sipc_endpoint_fd(s), .events = sipc_endpoint_want(s, POLLIN)};
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(sipc_send(c, "hello", 5, sipc_test_ms(2000)), 5);
	assert_int_equal(poll(&pfd, 1, sipc_test_ms(5000)), 1);
	assert_true(pfd.revents & POLLIN);
	assert_true(sipc_endpoint_pending(s) > 0);
	n = sipc_recv(s, buf, sizeof buf, 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);

	/* A full ring: the send times out (part of the frame out, the rest
	 * kept), and the descriptor wakes the writer once the reader took
	 * some. */
	memset(big, 'b', sizeof big);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_send(c, big, sizeof big, 100), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 >= 95);
	pfd = (struct pollfd){.fd = sipc_endpoint_fd(c), .events = sipc_endpoint_want(c, POLLOUT)};
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(sipc_read(s, buf, sizeof buf, sipc_test_ms(2000)), sizeof buf);
	/* 64 bytes may be below what the writer waits for: read more until
	 * it is told, bounded by the ring's size. */
	for (int i = 0; i < 200 && poll(&pfd, 1, 0) == 0; i++)
		assert_int_equal(sipc_read(s, buf, sizeof buf, sipc_test_ms(2000)), sizeof buf);
	assert_int_equal(poll(&pfd, 1, sipc_test_ms(2000)), 1);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

static void test_timeouts_poll(void **state)
{
	(void)state;
	timeouts_and_poll("?ring=4K");
}

static void test_timeouts_poll_nospin(void **state)
{
	(void)state;
	timeouts_and_poll("?ring=4K&spin=0");
}

/* A loop that polls the descriptor for POLLIN without sipc_endpoint_want
 * and without reading until EAGAIN first still hears of every message:
 * the reader is armed from the handshake on and whenever a read empties
 * the ring.  (A wake-up left over may make one poll return early: the
 * read then times out at once, as a socket's may after a spurious
 * wake-up, and the loop polls again.) */
static void test_poll_naive(void **state)
{
	struct pollfd pfd;
	sipc_endpoint *c, *s;
	char buf[16];
	ssize_t n = 0;

	(void)state;
	pair("?ring=4K", &c, &s);
	pfd = (struct pollfd){.fd = sipc_endpoint_fd(s), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(sipc_send(c, "msg", 3, sipc_test_ms(2000)), 3);
		/* Bounded: each pass waits for the descriptor. */
		for (int k = 0; k < 10; k++) {
			assert_int_equal(poll(&pfd, 1, sipc_test_ms(5000)), 1);
			n = sipc_recv(s, buf, sizeof buf, 0);
			if (n != SIPC_ETIMEDOUT)
				break;
		}
		assert_int_equal(n, 3);
		/* The read took the wake-up that brought it: the descriptor
		 * does not wake the loop once more for nothing. */
		assert_int_equal(poll(&pfd, 1, 0), 0);
	}
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}


/* A loop that spins (sipc_endpoint_ready, sipc_endpoint_spin): messages are
 * found in memory and cost the peer no wake-up, so the descriptor stays
 * quiet; sipc_endpoint_want before a sleep arms it, and the next message
 * wakes it; the peer's end shows in memory too. */
static void test_ready_spinning_loop(void **state)
{
	struct pollfd pfd;
	sipc_endpoint *c, *s, *u, *l;
	char buf[16], url[256];

	(void)state;
	pair("?ring=4K", &c, &s);
	pfd = (struct pollfd){.fd = sipc_endpoint_fd(s), .events = POLLIN};
	/* Room to write, nothing to read; from now on nothing arms but want. */
	assert_int_equal(sipc_endpoint_ready(s, POLLIN | POLLOUT), POLLOUT);
	assert_int_equal(sipc_endpoint_want(s, POLLIN), POLLIN);
	assert_int_equal(sipc_send(c, "first", 5, sipc_test_ms(2000)), 5);
	assert_int_equal(poll(&pfd, 1, sipc_test_ms(5000)), 1); /* armed: woken */
	assert_int_equal(sipc_endpoint_ready(s, POLLIN), POLLIN);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), 5);
	/* Empty: the read takes the wake-up, and arms nothing. */
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(sipc_send(c, "msg", 3, sipc_test_ms(2000)), 3);
		assert_int_equal(sipc_endpoint_ready(s, POLLIN), POLLIN);
		assert_int_equal(poll(&pfd, 1, 0), 0); /* no wake-up was sent */
		assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), 3);
		assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
		assert_int_equal(sipc_endpoint_ready(s, POLLIN), 0);
		assert_int_equal(poll(&pfd, 1, 0), 0);
	}
	/* About to sleep: want arms, and the next message wakes. */
	assert_int_equal(sipc_endpoint_want(s, POLLIN), POLLIN);
	assert_int_equal(sipc_send(c, "abc", 3, sipc_test_ms(2000)), 3);
	assert_int_equal(poll(&pfd, 1, sipc_test_ms(5000)), 1);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), 3);
	/* The peer's end, seen by a loop that spins: ready says go on. */
	sipc_endpoint_close(c);
	assert_int_equal(sipc_endpoint_ready(s, POLLIN), POLLIN);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, 0), SIPC_ECLOSED);
	sipc_endpoint_close(s);

	/* What a loop is told to spin: the URL's spin=, 0 for sockets. */
	pair("?spin=always", &c, &s);
	assert_int_equal(sipc_endpoint_spin(s), SIPC_SPIN_ALWAYS);
	assert_int_equal(sipc_endpoint_spin(c), SIPC_SPIN_ALWAYS);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
	pair("?spin=0", &c, &s);
	assert_int_equal(sipc_endpoint_spin(s), 0);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
	pair("?spin=30", &c, &s);
	assert_int_equal(sipc_endpoint_spin(s), 30);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
	snprintf(url, sizeof url, "unix://@sipc-test-ready-%d", (int)getpid());
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(5000), &u), 0);
	assert_int_equal(sipc_endpoint_spin(u), 0);
	assert_int_equal(sipc_endpoint_ready(u, POLLIN | POLLOUT), 0);
	sipc_endpoint_close(u);
	sipc_endpoint_close(l);
}

static void test_busy_poll(void **state)
{
	sipc_endpoint *c, *s;
	struct echo e = {0};
	char buf[16];
	int64_t t0;

	(void)state;
	pair("?ring=4K&spin=always", &c, &s);
	/* Busy-polling still keeps its deadline. */
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_recv(c, buf, sizeof buf, 50), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 >= 45);
	e.ep = s;
	assert_int_equal(pthread_create(&e.th, NULL, echo_main, &e), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(sipc_send(c, "0123456789", 10, sipc_test_ms(2000)), 10);
		assert_int_equal(sipc_recv(c, buf, sizeof buf, sipc_test_ms(2000)), 10);
	}
	sipc_endpoint_close(c);
	pthread_join(e.th, NULL);
	assert_int_equal(e.echoed, 100);
	assert_int_equal(e.last, SIPC_ECLOSED);
	sipc_endpoint_close(s);
}

/* Echoes 200 messages with no deadline (-1) and counts the thread's
 * voluntary context switches (sleeps) meanwhile. */
struct nodl {
	sipc_endpoint *ep;
	int echoed;
	long sleeps;
	pthread_t th;
};

static void *nodl_main(void *arg)
{
	struct nodl *e = arg;
	struct rusage r0, r1;
	char buf[64];

	getrusage(RUSAGE_THREAD, &r0);
	for (int i = 0; i < 200; i++) {
		ssize_t n = sipc_recv(e->ep, buf, sizeof buf, -1);

		if (n < 0 || sipc_send(e->ep, buf, (size_t)n, -1) != n)
			break;
		e->echoed++;
	}
	getrusage(RUSAGE_THREAD, &r1);
	e->sleeps = r1.ru_nvcsw - r0.ru_nvcsw;
	return NULL;
}

/* A wait without a deadline busy-polls too (it once slept in poll at
 * every message: -1, "no deadline", was taken for "no time left"), and
 * the end still comes through it (the peer's close). */
static void test_busy_poll_no_deadline(void **state)
{
	sipc_endpoint *c, *s;
	struct nodl e = {0};
	char buf[64];

	(void)state;
	pair("?ring=4K&spin=always", &c, &s);
	e.ep = s;
	assert_int_equal(pthread_create(&e.th, NULL, nodl_main, &e), 0);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(sipc_send(c, "0123456789", 10, sipc_test_ms(5000)), 10);
		assert_int_equal(sipc_recv(c, buf, sizeof buf, sipc_test_ms(5000)), 10);
	}
	pthread_join(e.th, NULL);
	assert_int_equal(e.echoed, 200);
	/* Each of the 200 waits slept before; busy-polling never does (a
	 * few for page faults or the first message at most). */
	assert_true(e.sleeps < 20);
	/* The peer's end ends a wait without a deadline. */
	sipc_endpoint_close(c);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, -1), SIPC_ECLOSED);
	sipc_endpoint_close(s);
}

/* shutdown_write: the peer reads what came, then the end; the other
 * direction goes on. */
static void test_half_close(void **state)
{
	sipc_endpoint *c, *s;
	char buf[16];

	(void)state;
	pair("?ring=4K", &c, &s);
	assert_int_equal(sipc_send(c, "last", 4, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_shutdown_write(c), 0);
	assert_int_equal(sipc_send(c, "more", 4, sipc_test_ms(2000)), -EPIPE);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(2000)), SIPC_ECLOSED);
	assert_int_equal(sipc_send(s, "reply", 5, sipc_test_ms(2000)), 5);
	assert_int_equal(sipc_recv(c, buf, sizeof buf, sipc_test_ms(2000)), 5);
	assert_memory_equal(buf, "reply", 5);
	sipc_endpoint_close(s);
	assert_int_equal(sipc_recv(c, buf, sizeof buf, sipc_test_ms(2000)), SIPC_ECLOSED);
	sipc_endpoint_close(c);
}

/* ---------------------------------------------------- a peer that dies */

/* A child dials URL and writes BYTES raw bytes (a frame header and part
 * of a body, or whole frames), says so on the pipe, and waits to be
 * killed. */
static pid_t child_writes(const char *url, const void *bytes, size_t n, int *ready_fd)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sipc_endpoint *ep;

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a failed test */
		if (sipc_dial(url, NULL, 5000, &ep) != 0)
			_exit(2);
		if (sipc_write_all(ep, bytes, n, 5000) != (ssize_t)n)
			_exit(3);
		if (write(p[1], "r", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(p[1]);
	*ready_fd = p[0];
	return pid;
}

static void killed(bool mid_message)
{
	uint8_t bytes[4 + 2000];
	char url[256], buf[4096];
	sipc_endpoint *l, *s;
	int ready, st, rc;
	pid_t pid;

	/* A whole 1000-byte frame; mid-message, also the header of a
	 * 100000-byte one and 996 of its bytes. */
	memset(bytes, 'k', sizeof bytes);
	bytes[0] = 0, bytes[1] = 0, bytes[2] = 1000 >> 8, bytes[3] = 1000 & 0xff;
	bytes[1004] = 0, bytes[1005] = 1, bytes[1006] = 0x86, bytes[1007] = 0xa0;
	shm_url(url, sizeof url, "?ring=4K");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	pid = child_writes(url, bytes, mid_message ? sizeof bytes : 1004, &ready);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	rc = sipc_handshake(s, sipc_test_ms(5000));
	if (rc != 0)
		print_message("handshake: %s: %s\n", sipc_strerror(rc), sipc_endpoint_why(s));
	assert_int_equal(rc, 0);
	/* The bytes are in the ring before the child dies. */
	assert_int_equal(read(ready, buf, 1), 1);
	close(ready);
	assert_int_equal(kill(pid, SIGKILL), 0);
	st = sipc_test_wait_child(pid, sipc_test_ms(5000));
	assert_true(WIFSIGNALED(st));
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(5000)), 1000);
	{
		void *m = NULL;

		rc = (int)sipc_recv_alloc(s, &m, sipc_test_ms(5000));
		free(m);
	}
	if (rc != (mid_message ? SIPC_EPARTIAL : SIPC_ECLOSED))
		print_message("recv: %s: %s\n", sipc_strerror(rc), sipc_endpoint_why(s));
	assert_int_equal(rc, mid_message ? SIPC_EPARTIAL : SIPC_ECLOSED);
	/* Writing to the dead peer fails, never hangs or raises SIGPIPE. */
	assert_true(sipc_send(s, "x", 1, sipc_test_ms(1000)) < 0);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
}

static void test_killed_mid_message(void **state)
{
	(void)state;
	killed(true);
}

static void test_killed_between_messages(void **state)
{
	(void)state;
	killed(false);
}

/* A reader blocked with no timeout wakes when the peer is killed. */
static void test_killed_while_waiting(void **state)
{
	char url[256], buf[16];
	sipc_endpoint *l, *s;
	int ready;
	pid_t pid;

	(void)state;
	shm_url(url, sizeof url, "");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	pid = child_writes(url, "", 0, &ready);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
	assert_int_equal(read(ready, buf, 1), 1);
	close(ready);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* -1: forever, were the end not seen. */
	assert_int_equal(sipc_recv(s, buf, sizeof buf, -1), SIPC_ECLOSED);
	assert_true(WIFSIGNALED(sipc_test_wait_child(pid, sipc_test_ms(5000))));
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
}

/* -------------------------------------------------- hostile handshakes */

/* The hello as handshake.c sends it. */
static void hello(uint8_t h[32], uint64_t ring)
{
	memset(h, 0, 32);
	memcpy(h, "SIPCSHM1", 8);
	h[8] = 1;
	for (int i = 0; i < 8; i++)
		h[16 + i] = (uint8_t)(ring >> (8 * i));
}

static int raw_connect(const sipc_endpoint *l)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len = sizeof sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(getsockname(sipc_endpoint_fd(l), (struct sockaddr *)&sun, &len), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, len), 0);
	return fd;
}

static void send_with_fds(int sock, const void *buf, size_t n, const int *fds, size_t nfds)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};

	assert_int_equal(sipc__fdpass_send(sock, &iov, 1, fds, nfds, NULL, 0), (ssize_t)n);
}

enum attack {
	GARBAGE,
	NO_FD,
	UNSEALED,
	TOO_SMALL,
	TWO_FDS,
	A_PIPE,
	WRONG_SIZE,
	CLOSE_EARLY,
	BAD_ACK,
	NOT_FRESH
};

static int attack(enum attack a, const sipc_endpoint *l)
{
	uint8_t h[32];
	int sock = raw_connect(l), fds[2] = {-1, -1}, p[2];
	size_t nfds = 0;

	hello(h, 4096);
	switch (a) {
	case GARBAGE:
		assert_int_equal(write(sock, "GET / HTTP/1.0\r\n\r\n", 18), 18);
		break;
	case NO_FD:
		assert_int_equal(write(sock, h, sizeof h), (ssize_t)sizeof h);
		break;
	case UNSEALED:
		fds[0] = memfd_create("unsealed", MFD_CLOEXEC);
		assert_true(fds[0] >= 0);
		assert_int_equal(ftruncate(fds[0], 8192), 0);
		nfds = 1;
		break;
	case TOO_SMALL:
		fds[0] = memfd_create("small", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		assert_true(fds[0] >= 0);
		assert_int_equal(ftruncate(fds[0], 100), 0);
		assert_int_equal(fcntl(fds[0], F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
		nfds = 1;
		break;
	case TWO_FDS:
		fds[0] = sipc__ring_create(4096, "one");
		fds[1] = sipc__ring_create(4096, "two");
		assert_true(fds[0] >= 0 && fds[1] >= 0);
		nfds = 2;
		break;
	case A_PIPE:
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		fds[0] = p[0];
		close(p[1]);
		nfds = 1;
		break;
	case WRONG_SIZE:
		/* A good ring, but the hello says another size. */
		fds[0] = sipc__ring_create(8192, "wrong");
		assert_true(fds[0] >= 0);
		nfds = 1;
		break;
	case CLOSE_EARLY:
		assert_int_equal(write(sock, h, 10), 10);
		break;
	case BAD_ACK:
		/* A good ring and hello, then the wrong last byte. */
		fds[0] = sipc__ring_create(4096, "good");
		assert_true(fds[0] >= 0);
		nfds = 1;
		break;
	case NOT_FRESH: {
		/* A ring that already claims bytes before we mapped it. */
		struct sipc__ring r;
		char why[128];

		fds[0] = sipc__ring_create(4096, "written");
		assert_true(fds[0] >= 0);
		assert_int_equal(sipc__ring_map(&r, fds[0], true, why, sizeof why), 0);
		assert_int_equal(sipc__ring_write(&r, &(struct iovec){"early", 5}, 1), 5);
		sipc__ring_unmap(&r);
		nfds = 1;
		break;
	}
	}
	if (nfds > 0)
		send_with_fds(sock, h, sizeof h, fds, nfds);
	if (a == BAD_ACK)
		assert_int_equal(write(sock, "X", 1), 1);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (a == CLOSE_EARLY) {
		close(sock);
		sock = -1;
	}
	return sock;
}

static void test_hostile_handshakes(void **state)
{
	static const enum attack attacks[] = {GARBAGE, NO_FD,    UNSEALED,   TOO_SMALL,
					      TWO_FDS, A_PIPE,   WRONG_SIZE, CLOSE_EARLY,
					      BAD_ACK, NOT_FRESH};
	char url[256], buf[16];
	sipc_endpoint *l, *s, *c;
	struct dialer d;
	int before;

	(void)state;
	shm_url(url, sizeof url, "");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	before = count_fds();
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		int sock = attack(attacks[i], l);
		int rc;

		assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
		rc = sipc_handshake(s, sipc_test_ms(5000));
		print_message("attack %zu: %s: %s\n", i, sipc_strerror(rc), sipc_endpoint_why(s));
		assert_int_equal(rc, SIPC_ESHM_HANDSHAKE);
		assert_true(strlen(sipc_endpoint_why(s)) > 0);
		/* The connection stays failed; reads say so at once. */
		assert_int_equal(sipc_recv(s, buf, sizeof buf, -1), SIPC_ESHM_HANDSHAKE);
		sipc_endpoint_close(s);
		if (sock >= 0)
			close(sock);
		/* Every descriptor that came with the attack is closed. */
		assert_int_equal(count_fds(), before);
	}
	/* The listener goes on serving a real client. */
	memset(&d, 0, sizeof d);
	snprintf(d.url, sizeof d.url, "%s", url);
	d.timeout_ms = sipc_test_ms(5000);
	assert_int_equal(pthread_create(&d.th, NULL, dial_main, &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
	pthread_join(d.th, NULL);
	assert_int_equal(d.rc, 0);
	c = d.ep;
	assert_int_equal(sipc_send(c, "ok", 2, sipc_test_ms(2000)), 2);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(2000)), 2);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
}

/* A sealed memfd of LEN bytes, sparse (ftruncate allocates nothing), the
 * way a peer that wants us to map a huge ring would make it. */
static int sparse_memfd(off_t len)
{
	int fd = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, len), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

/* The client's hello of RING bytes with memfd FD (closed here) to the
 * listener L; the accepted side's handshake fails with a sentence holding
 * WANT, and every descriptor that came is closed. */
static void refused_ring(sipc_endpoint *l, uint64_t ring, int fd, const char *want)
{
	sipc_endpoint *s;
	uint8_t h[32];
	char buf[8];
	int sock = raw_connect(l), before, rc;

	hello(h, ring);
	send_with_fds(sock, h, sizeof h, &fd, 1);
	close(fd);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	before = count_fds();
	rc = sipc_handshake(s, sipc_test_ms(5000));
	print_message("ring %llu: %s: %s\n", (unsigned long long)ring, sipc_strerror(rc),
		      sipc_endpoint_why(s));
	assert_int_equal(rc, SIPC_ESHM_HANDSHAKE);
	assert_non_null(strstr(sipc_endpoint_why(s), want));
	/* The peer's memfd was not kept (ours went with the hello). */
	assert_true(count_fds() <= before);
	/* The client hears the refusal: the socket is shut. */
	assert_true(read(sock, buf, sizeof buf) >= 0);
	sipc_endpoint_close(s);
	close(sock);
}

/* ring_max=: a peer's ring over the cap is refused before it is mapped,
 * on the listener's side (default 64 MiB, or the URL's) and the dialer's;
 * a memfd whose size is not the hello's is refused too. */
static void test_ring_max(void **state)
{
	char url[256], why[SIPC_WHY_MAX];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	sipc_options o = {0};
	sipc_endpoint *l, *c;
	uint8_t h[32];
	int lfd, fd;

	(void)state;
	/* The default cap: 64 MiB.  A 1 GiB ring costs nothing here (a
	 * sparse memfd), and would cost the listener 1 GiB mapped. */
	shm_url(url, sizeof url, "");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	refused_ring(l, (uint64_t)1 << 30, sparse_memfd(((off_t)1 << 30) + 4096),
		     "the peer's ring of 1073741824 bytes is over ring_max=67108864");
	/* Over 1 GiB is over the cap first, whatever else is wrong. */
	refused_ring(l, (uint64_t)1 << 31, sparse_memfd(8192),
		     "the peer's ring of 2147483648 bytes is over ring_max=67108864");
	/* A small hello with a huge memfd: its real size decides. */
	refused_ring(l, 4096, sparse_memfd((off_t)1 << 30), "its memfd holds 1073741824");
	sipc_endpoint_close(l);

	/* The URL's cap; a peer at the cap gets through (below). */
	shm_url(url, sizeof url, "?ring_max=64K");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	refused_ring(l, 128 * 1024, sipc__ring_create(128 * 1024, "big"),
		     "the peer's ring of 131072 bytes is over ring_max=65536");
	{
		struct dialer d = {.timeout_ms = sipc_test_ms(5000)};
		sipc_endpoint *s;

		snprintf(d.url, sizeof d.url, "%.*s?ring=64K", (int)(strchr(url, '?') - url), url);
		assert_int_equal(pthread_create(&d.th, NULL, dial_main, &d), 0);
		assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
		assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
		pthread_join(d.th, NULL);
		assert_int_equal(d.rc, 0);
		sipc_endpoint_close(d.ep);
		sipc_endpoint_close(s);
	}
	sipc_endpoint_close(l);

	/* The dialer's cap, against a server that hands over 128 KiB. */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "sipc-test-shm-%d-%d", (int)getpid(),
		 seq++);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
					  strlen(sun.sun_path + 1))),
			 0);
	assert_int_equal(listen(lfd, 4), 0);
	/* The server speaks first: its hello waits in the dialer's socket. */
	snprintf(url, sizeof url, "shm://@%s?ring=4K&ring_max=64K", sun.sun_path + 1);
	{
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			int a = accept(lfd, NULL, NULL);

			fd = sipc__ring_create(128 * 1024, "server");
			hello(h, 128 * 1024);
			if (a < 0 || fd < 0)
				_exit(1);
			send_with_fds(a, h, sizeof h, &fd, 1);
			/* Until the dialer hangs up. */
			while (read(a, why, sizeof why) > 0)
				;
			_exit(0);
		}
		o.why = why;
		o.whylen = sizeof why;
		why[0] = '\0';
		assert_int_equal(sipc_dial(url, &o, sipc_test_ms(5000), &c), SIPC_ESHM_HANDSHAKE);
		print_message("dial: %s\n", why);
		assert_non_null(
			strstr(why, "the peer's ring of 131072 bytes is over ring_max=65536"));
		assert_int_equal(sipc_test_wait_child(pid, sipc_test_ms(5000)), 0);
	}
	close(lfd);
}

/* A client that closes without a word is the plain end, not an attack;
 * a dial to a plain unix:// listener that answers nothing times out. */
static void test_not_shm_peers(void **state)
{
	char url[256], uurl[300];
	sipc_endpoint *l, *s, *c;
	int sock;

	(void)state;
	shm_url(url, sizeof url, "");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	sock = raw_connect(l);
	close(sock);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), SIPC_ECLOSED);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);

	snprintf(uurl, sizeof uurl, "unix://@sipc-test-shm-plain-%d", (int)getpid());
	assert_int_equal(sipc_listen(uurl, NULL, &l), 0);
	snprintf(url, sizeof url, "shm://@sipc-test-shm-plain-%d", (int)getpid());
	assert_int_equal(sipc_dial(url, NULL, 200, &c), SIPC_ETIMEDOUT);
	sipc_endpoint_close(l);
}

/* ---------------------------------------------------- a scribbling peer */

/* A child that does the handshake by hand, maps both rings and writes
 * 0xff over their headers (every position impossible), then rings. */
static pid_t scribbler(const char *url_path, int *ready_fd, int *go_fd)
{
	int p[2], g[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(g), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		uint8_t h[32], in[32];
		struct iovec iov = {.iov_base = in, .iov_len = sizeof in};
		int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), mine, theirs = -1;
		size_t nfds = 0, have = 0;
		struct stat st;
		uint8_t *a, *b;

		char go;

		close(p[0]);
		close(g[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* An abstract name: a NUL, then the name. */
		memcpy(sun.sun_path + 1, url_path, strlen(url_path));
		if (connect(sock, (struct sockaddr *)&sun,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
					strlen(url_path))) < 0)
			_exit(2);
		mine = sipc__ring_create(4096, "scribble");
		hello(h, 4096);
		if (sipc__fdpass_send(sock, &(struct iovec){h, sizeof h}, 1, &mine, 1, NULL, 0) !=
		    32)
			_exit(3);
		while (have < 32) {
			int fds[2];
			ssize_t r;

			iov.iov_base = in + have;
			iov.iov_len = sizeof in - have;
			r = sipc__fdpass_recv(sock, &iov, 1, fds, 2, &nfds, NULL, NULL, 0);
			if (r <= 0)
				_exit(4);
			if (nfds == 1)
				theirs = fds[0];
			have += (size_t)r;
		}
		/* The handshake's last bytes: "mapped" both ways. */
		if (write(sock, "M", 1) != 1 || read(sock, &go, 1) != 1 || go != 'M')
			_exit(10);
		if (theirs < 0 || fstat(mine, &st) < 0)
			_exit(5);
		a = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, mine, 0);
		if (fstat(theirs, &st) < 0)
			_exit(6);
		b = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, theirs, 0);
		if (a == MAP_FAILED || b == MAP_FAILED)
			_exit(7);
		/* Only once the other side has mapped both rings. */
		if (read(g[0], &go, 1) != 1)
			_exit(9);
		/* The headers: everything before the data, at most a page. */
		memset(a, 0xff,
		       (size_t)st.st_size - 4096 < 4096 ? (size_t)st.st_size - 4096 : 4096);
		memset(b, 0xff,
		       (size_t)st.st_size - 4096 < 4096 ? (size_t)st.st_size - 4096 : 4096);
		if (write(sock, "w", 1) != 1 || write(p[1], "r", 1) != 1)
			_exit(8);
		for (;;)
			pause();
	}
	close(p[1]);
	close(g[0]);
	*ready_fd = p[0];
	*go_fd = g[1];
	return pid;
}

static void test_scribbling_peer(void **state)
{
	char url[256], buf[64], name[256];
	sipc_endpoint *l, *s;
	int ready, go;
	pid_t pid;

	(void)state;
	shm_url(url, sizeof url, "?ring=4K");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	/* The abstract name is after the '@', without the query. */
	snprintf(name, sizeof name, "%.*s", (int)strcspn(strchr(url, '@') + 1, "?"),
		 strchr(url, '@') + 1);
	pid = scribbler(name, &ready, &go);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	assert_int_equal(read(ready, buf, 1), 1);
	close(ready);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(5000)), SIPC_ESHM_CORRUPT);
	print_message("scribbled: %s\n", sipc_endpoint_why(s));
	/* Over for good, both ways. */
	assert_int_equal(sipc_send(s, "x", 1, sipc_test_ms(1000)), SIPC_ESHM_CORRUPT);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(1000)), SIPC_ESHM_CORRUPT);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
	kill(pid, SIGKILL);
	sipc_test_wait_child(pid, sipc_test_ms(5000));
}

/* --------------------------------------------------- many connections */

struct many {
	char url[256];
	int n, done;
	sipc_endpoint **eps;
};

static void *many_dial(void *arg)
{
	struct many *m = arg;

	for (int i = 0; i < m->n; i++) {
		if (sipc_dial(m->url, NULL, sipc_test_ms(10000), &m->eps[i]) != 0)
			break;
		m->done++;
	}
	return NULL;
}

static void test_thousand_connections(void **state)
{
	struct rlimit rl;
	char lurl[256];
	struct many m = {.n = 1000};
	sipc_endpoint *l, **srv;
	pthread_t th;
	int base = count_fds();

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * (rlim_t)m.n + 64) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur < 2 * (rlim_t)m.n + 64) {
		print_message("RLIMIT_NOFILE hard limit %llu: too low for 1000 connections\n",
			      (unsigned long long)rl.rlim_max);
		skip();
	}
	shm_url(lurl, sizeof lurl, "?ring=4K");
	snprintf(m.url, sizeof m.url, "%s", lurl);
	m.eps = calloc((size_t)m.n, sizeof *m.eps);
	srv = calloc((size_t)m.n, sizeof *srv);
	assert_non_null(m.eps);
	assert_non_null(srv);
	assert_int_equal(sipc_listen(lurl, &(sipc_options){.backlog = 2048}, &l), 0);
	assert_int_equal(pthread_create(&th, NULL, many_dial, &m), 0);
	for (int i = 0; i < m.n; i++) {
		assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &srv[i]), 0);
		assert_int_equal(sipc_handshake(srv[i], sipc_test_ms(10000)), 0);
	}
	pthread_join(th, NULL);
	assert_int_equal(m.done, m.n);
	/* Once mapped, a connection holds only its socket. */
	assert_int_equal(count_fds(), base + 1 + 2 * m.n);
	for (int i = 0; i < m.n; i++) {
		char b[16];
		int k = snprintf(b, sizeof b, "%d", i);

		assert_int_equal(sipc_send(m.eps[i], b, (size_t)k, sipc_test_ms(2000)), k);
	}
	for (int i = m.n - 1; i >= 0; i--) {
		char b[16], want[16];
		int k = snprintf(want, sizeof want, "%d", i);

		assert_int_equal(sipc_recv(srv[i], b, sizeof b, sipc_test_ms(2000)), k);
		assert_memory_equal(b, want, (size_t)k);
		assert_int_equal(sipc_send(srv[i], b, (size_t)k, sipc_test_ms(2000)), k);
		assert_int_equal(sipc_recv(m.eps[i], b, sizeof b, sipc_test_ms(2000)), k);
	}
	for (int i = 0; i < m.n; i++) {
		sipc_endpoint_close(m.eps[i]);
		sipc_endpoint_close(srv[i]);
	}
	sipc_endpoint_close(l);
	assert_int_equal(count_fds(), base);
	free(m.eps);
	free(srv);
}

/* Two ends of a socketpair wrapped with sipc_endpoint_from_fd: the
 * handshake goes step by step without blocking (timeout 0), in one
 * thread, as in a caller's own event loop. */
static void test_from_fd_stepwise(void **state)
{
	sipc_endpoint *a, *b;
	char buf[8];
	int sv[2], ra = SIPC_ETIMEDOUT, rb = SIPC_ETIMEDOUT;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_SHM, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_SHM, NULL, &b), 0);
	/* Bounded: each round moves the handshake on by a step. */
	for (int i = 0; i < 10 && (ra != 0 || rb != 0); i++) {
		if (ra != 0)
			ra = sipc_handshake(a, 0);
		if (rb != 0)
			rb = sipc_handshake(b, 0);
		assert_true(ra == 0 || ra == SIPC_ETIMEDOUT);
		assert_true(rb == 0 || rb == SIPC_ETIMEDOUT);
	}
	assert_int_equal(ra, 0);
	assert_int_equal(rb, 0);
	assert_int_equal(sipc_send(a, "abc", 3, sipc_test_ms(2000)), 3);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), 3);
	assert_int_equal(sipc_send(b, "de", 2, sipc_test_ms(2000)), 2);
	assert_int_equal(sipc_recv(a, buf, sizeof buf, sipc_test_ms(2000)), 2);
	sipc_endpoint_close(a);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), SIPC_ECLOSED);
	sipc_endpoint_close(b);
}

/* The hello EP sends first, read raw from the other end SOCK of its
 * socketpair: the ring size and spin fields its URL options made. */
static void first_hello(sipc_endpoint *ep, int sock, uint64_t *ring, uint32_t *mode, uint32_t *us)
{
	struct iovec iov;
	uint8_t h[32];
	size_t nfds = 0, have = 0;
	int fds[2];

	assert_int_equal(sipc_handshake(ep, 0), SIPC_ETIMEDOUT);
	while (have < sizeof h) {
		iov.iov_base = h + have;
		iov.iov_len = sizeof h - have;
		ssize_t r = sipc__fdpass_recv(sock, &iov, 1, fds, 2, &nfds, NULL, NULL, 0);
		assert_true(r > 0);
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		have += (size_t)r;
	}
	*ring = 0;
	for (int i = 7; i >= 0; i--)
		*ring = *ring << 8 | h[16 + i];
	*mode = (uint32_t)h[12] | (uint32_t)h[13] << 8;
	*us = (uint32_t)h[24] | (uint32_t)h[25] << 8 | (uint32_t)h[26] << 16;
}

static void close_pair(sipc_endpoint *ep, int sock)
{
	sipc_endpoint_close(ep);
	close(sock);
}

/* sipc_endpoint_from_fd with opts.url: the URL's ring= and spin= reach the
 * handshake of a wrapped descriptor (bench --new-conn's, serve's); without
 * one, the defaults.  A URL of another scheme is -EINVAL, and dial options
 * of tcp:// cannot be set on a descriptor made elsewhere. */
static void test_from_fd_url(void **state)
{
	static const struct {
		const char *url;
		uint64_t ring;
		uint32_t mode, us; /* handshake.c's SPIN_ADAPTIVE 0, FIXED 1, NEVER 2 */
	} cases[] = {
		{NULL, 256 * 1024, 0, 50},
		{"shm://@x?ring=8K&spin=0", 8192, 2, 0},
		{"shm://@x?ring=16K&spin=20", 16384, 1, 20},
	};
	char why[SIPC_WHY_MAX];
	sipc_options o = {0};
	sipc_endpoint *ep;
	sipc_url *u;
	int sv[2];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t ring;
		uint32_t mode, us;

		u = NULL;
		if (cases[i].url)
			assert_int_equal(sipc_url_parse(cases[i].url, &u, NULL, 0), 0);
		o.url = u;
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_SHM, &o, &ep), 0);
		sipc_url_free(u); /* the endpoint keeps a copy */
		first_hello(ep, sv[1], &ring, &mode, &us);
		print_message("%s: ring %llu, spin mode %u, %u us\n",
			      cases[i].url ? cases[i].url : "(none)", (unsigned long long)ring,
			      mode, us);
		assert_int_equal(ring, cases[i].ring);
		/* Adaptive: up to 50 us, but never on one processor. */
		if (cases[i].mode == 0 && sysconf(_SC_NPROCESSORS_ONLN) < 2) {
			assert_int_equal(mode, 2);
			close_pair(ep, sv[1]);
			continue;
		}
		assert_int_equal(mode, cases[i].mode);
		assert_int_equal(us, cases[i].us);
		close_pair(ep, sv[1]);
	}
	/* The wrong scheme: the descriptor stays the caller's. */
	assert_int_equal(sipc_url_parse("unix://@x", &u, NULL, 0), 0);
	o.url = u;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_SHM, &o, &ep), -EINVAL);
	/* unix:// without options is fine. */
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, &o, &ep), 0);
	sipc_endpoint_close(ep);
	close(sv[1]);
	sipc_url_free(u);
	/* Dial options on a descriptor made elsewhere: refused, with why. */
	assert_int_equal(sipc_url_parse("tcp://127.0.0.1:1?keepalive=30", &u, NULL, 0), 0);
	o.url = u;
	o.why = why;
	o.whylen = sizeof why;
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv[0] >= 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_TCP, &o, &ep), SIPC_EURL_OPTION);
	print_message("tcp: %s\n", why);
	assert_non_null(strstr(why, "set them on the descriptor"));
	close(sv[0]);
	sipc_url_free(u);
}

/* ------------------------------------------------------------ URLs */

static void test_urls(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{"shm:///tmp/a.sock", "shm:///tmp/a.sock"},
		{"shm://@name", "shm://@name"},
		{"shm://@name?ring=4K", "shm://@name?ring=4K"},
		{"shm://@name?ring=1048576&spin=0", "shm://@name?ring=1M&spin=0"},
		{"shm://@name?spin=always", "shm://@name?spin=always"},
		{"shm://@name?spin=20", "shm://@name?spin=20"},
		{"shm://@name?ring_max=4M&ring=1M", "shm://@name?ring=1M&ring_max=4M"},
		{"shm://@name?ring=1M&ring_max=1M", "shm://@name?ring=1M&ring_max=1M"},
		{"shm://@name?ring_max=5000", "shm://@name?ring_max=5000"},
	};
	static const char *const bad[] = {
		"shm://@name?ring=5000",
		"shm://@name?ring=2K",
		"shm://@name?ring=2048M",
		"shm://@name?spin=x",
		"shm://@name?spin=-1",
		"shm://@name?rcvbuf=1M",
		"unix://@name?ring=4K",
		"tcp://127.0.0.1:1?spin=0",
		"shm://@name?ring_max=2K",
		"shm://@name?ring_max=2048M",
		"shm://@name?ring=1M&ring_max=512K",
		"unix://@name?ring_max=4M",
	};
	char buf[SIPC_URL_MAX], why[SIPC_WHY_MAX];
	sipc_url *u;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(sipc_url_parse(good[i].in, &u, why, sizeof why), 0);
		assert_int_equal(sipc_url_scheme(u), SIPC_SHM);
		assert_true(sipc_url_format(u, buf, sizeof buf) > 0);
		assert_string_equal(buf, good[i].out);
		sipc_url_free(u);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(sipc_url_parse(bad[i], &u, why, sizeof why), SIPC_EURL_OPTION);
		print_message("%s: %s\n", bad[i], why);
		assert_true(strstr(why, "ring") != NULL || strstr(why, "spin") != NULL ||
			    strstr(why, "rcvbuf") != NULL);
	}
	assert_string_equal(sipc_scheme_name(SIPC_SHM), "shm");
	assert_true(sipc_scheme_is_stream(SIPC_SHM));
	assert_true(sipc_scheme_is_unix(SIPC_SHM));
	assert_false(sipc_scheme_is_datagram(SIPC_SHM));
}

/* A socket file on a path: the listener makes it, peer credentials work
 * as on unix://, and it is gone after close. */
static void test_path_and_peercred(void **state)
{
	char *dir = sipc_test_tmpdir(), path[512], url[600], text[SIPC_URL_MAX];
	struct dialer d;
	sipc_endpoint *l, *s;
	sipc_cred cr;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	sipc_test_path(path, sizeof path, dir, "shm.sock");
	snprintf(url, sizeof url, "shm://%s", path);
	assert_int_equal(sipc_listen(url, &(sipc_options){.unix_mode = 0600}, &l), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	sipc_test_local_url(l, text, sizeof text);
	assert_string_equal(text, url);
	memset(&d, 0, sizeof d);
	snprintf(d.url, sizeof d.url, "%s", url);
	d.timeout_ms = sipc_test_ms(5000);
	assert_int_equal(pthread_create(&d.th, NULL, dial_main, &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
	pthread_join(d.th, NULL);
	assert_int_equal(d.rc, 0);
	assert_int_equal(sipc_endpoint_peercred(s, &cr), 0);
	assert_int_equal(cr.pid, getpid());
	assert_int_equal(cr.uid, getuid());
	/* The peer's pidfd, as on unix://, where the kernel has SO_PEERPIDFD. */
	{
		int pfd = sipc_endpoint_peerpidfd(s);

		if (pfd != -ENOPROTOOPT && pfd != -EOPNOTSUPP) {
			assert_true(pfd >= 0);
			close(pfd);
		}
	}
	/* Descriptors do not ride on shm:// messages: the bytes are in the
	 * rings, the socket carries wake-ups. */
	{
		int one = 0;

		assert_int_equal(sipc_send_fds(d.ep, "x", 1, &one, 1, 1000), SIPC_EKIND);
	}
	sipc_endpoint_close(d.ep);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
	assert_int_equal(stat(path, &st), -1);
	sipc_test_rmtree(dir);
	free(dir);
}

/* The accepted side says nothing before the dialer's hello, then sends
 * its hello and its "mapped" byte in one call (a recvmsg stops after the
 * bytes that came with descriptors: two sends would give 32 bytes here),
 * and the connection carries bytes once the dialer's byte came. */
static void test_accepted_answers_hello(void **state)
{
	char url[256], buf[64];
	uint8_t h[32], in[64];
	struct iovec iov = {in, sizeof in};
	sipc_endpoint *l, *s;
	int sock, mine, fds[2] = {-1, -1};
	size_t nfds = 0;

	(void)state;
	shm_url(url, sizeof url, "");
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	sock = raw_connect(l);
	assert_int_equal(sipc_accept(l, sipc_test_ms(5000), &s), 0);
	assert_int_equal(sipc_handshake(s, 0), SIPC_ETIMEDOUT);
	assert_int_equal(recv(sock, in, sizeof in, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	mine = sipc__ring_create(4096, "dialer");
	assert_true(mine >= 0);
	hello(h, 4096);
	send_with_fds(sock, h, sizeof h, &mine, 1);
	assert_int_equal(sipc_handshake(s, 0), SIPC_ETIMEDOUT); /* waits for our byte */
	assert_int_equal(sipc__fdpass_recv(sock, &iov, 1, fds, 2, &nfds, NULL, NULL, 0), 33);
	assert_int_equal(nfds, 1);
	assert_memory_equal(in, "SIPCSHM1", 8);
	assert_int_equal(in[32], 'M');
	assert_int_equal(write(sock, "M", 1), 1);
	assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
	close(fds[0]);
	close(mine);
	close(sock);
	assert_int_equal(sipc_recv(s, buf, sizeof buf, sipc_test_ms(2000)), SIPC_ECLOSED);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_ring_boundaries),
		cmocka_unit_test(test_max_msg),
		cmocka_unit_test(test_timeouts_poll),
		cmocka_unit_test(test_timeouts_poll_nospin),
		cmocka_unit_test(test_poll_naive),
		cmocka_unit_test(test_busy_poll),
		cmocka_unit_test(test_ready_spinning_loop),
		cmocka_unit_test(test_busy_poll_no_deadline),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_killed_mid_message),
		cmocka_unit_test(test_killed_between_messages),
		cmocka_unit_test(test_killed_while_waiting),
		cmocka_unit_test(test_hostile_handshakes),
		cmocka_unit_test(test_ring_max),
		cmocka_unit_test(test_not_shm_peers),
		cmocka_unit_test(test_scribbling_peer),
		cmocka_unit_test(test_path_and_peercred),
		cmocka_unit_test(test_from_fd_stepwise),
		cmocka_unit_test(test_from_fd_url),
		cmocka_unit_test(test_accepted_answers_hello),
		cmocka_unit_test(test_thousand_connections),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
