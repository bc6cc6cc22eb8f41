/*
 * test_timeout.c - refused connections and every kind of timeout, through
 * sockipc.h alone, so that the same file runs on Linux and on Windows
 * under Wine (cmake/windows.cmake): a dial to a closed port is refused
 * with the system's code, an accept, a receive, a request and a dial to a
 * full backlog each give up when their timeout runs out (not before, not
 * long after), and a timeout of 0 looks once without waiting.
 * test_dial.c covers the rest of dialing on Linux with raw sockets.
 */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sockipc.h"

#define WAIT 200

/* A loopback port nobody listens on: bound, read back, closed. */
static int closed_port(void)
{
	sipc_endpoint *l = NULL;
	int port;

	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	port = sipc_test_local_port(l);
	sipc_endpoint_close(l);
	return port;
}

/* Fails unless CODE is WANT, naming both. */
static void expect_code(ssize_t code, ssize_t want, const char *what)
{
	if (code != want)
		fail_msg("%s: %s (%d), expected %s (%d)", what, sipc_strerror((int)code), (int)code,
			 sipc_strerror((int)want), (int)want);
}

/* Fails unless a call that began at T0 took about WAIT ms: the timeout
 * ran out, and the call did not sleep on long after it. */
static void took_the_timeout(int64_t t0, const char *what)
{
	int64_t took = sipc_test_now_ms() - t0;

	print_message("%s: gave up after %d ms (timeout %d)\n", what, (int)took, WAIT);
	if (took < WAIT - 10 || took > WAIT + sipc_test_ms(1000))
		fail_msg("%s took %d ms with a timeout of %d", what, (int)took, WAIT);
}

static void dial_closed_port_is_refused(void **state)
{
	char url[64];
	sipc_endpoint *d = NULL;
	int64_t t0;

	(void)state;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", closed_port());
	t0 = sipc_test_now_ms();
	expect_code(sipc_dial(url, NULL, sipc_test_ms(5000), &d), -ECONNREFUSED, url);
	assert_null(d);
	/* Refused is an answer: no waiting for the timeout. */
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(2000));
	assert_true(strlen(sipc_strerror(-ECONNREFUSED)) > 0);
}

static void accept_times_out(void **state)
{
	sipc_endpoint *l = NULL, *s = NULL;
	int64_t t0;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	t0 = sipc_test_now_ms();
	expect_code(sipc_accept(l, WAIT, &s), SIPC_ETIMEDOUT, "accept");
	took_the_timeout(t0, "accept");
	assert_null(s);
	t0 = sipc_test_now_ms();
	expect_code(sipc_accept(l, 0, &s), SIPC_ETIMEDOUT, "accept, timeout 0");
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(150));
	sipc_endpoint_close(l);
}

/* A connection on which nothing comes: each receive call gives up. */
static void recv_times_out(void **state)
{
	sipc_endpoint *l = NULL, *c = NULL, *s = NULL;
	char url[SIPC_URL_MAX], buf[16];
	void *m = NULL;
	int64_t t0;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &c), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	t0 = sipc_test_now_ms();
	expect_code(sipc_recv(c, buf, sizeof(buf), WAIT), SIPC_ETIMEDOUT, "recv");
	took_the_timeout(t0, "recv");
	t0 = sipc_test_now_ms();
	expect_code(sipc_recv_alloc(s, &m, WAIT), SIPC_ETIMEDOUT, "recv_alloc");
	took_the_timeout(t0, "recv_alloc");
	assert_null(m);
	t0 = sipc_test_now_ms();
	expect_code(sipc_read(c, buf, sizeof(buf), WAIT), SIPC_ETIMEDOUT, "read");
	took_the_timeout(t0, "read");
	t0 = sipc_test_now_ms();
	expect_code(sipc_read(c, buf, sizeof(buf), 0), SIPC_ETIMEDOUT, "read, timeout 0");
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(150));
	/* The connection is still good after all that. */
	assert_int_equal(sipc_send(s, "late", 4, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(2000)), 4);
	assert_memory_equal(buf, "late", 4);
	sipc_endpoint_close(s);
	sipc_endpoint_close(c);
	sipc_endpoint_close(l);
}

/* A datagram request nobody answers: it is sent again once (retries 1),
 * the second wait twice the first (100 + 200 ms), then the call gives up;
 * the listener did get both copies. */
static void request_without_answer_times_out(void **state)
{
	sipc_endpoint *l = NULL, *c = NULL;
	char url[SIPC_URL_MAX], buf[16];
	int64_t t0, took;
	int tries = 0;

	(void)state;
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &c), 0);
	t0 = sipc_test_now_ms();
	expect_code(sipc_request(c, "ping", 4, buf, sizeof(buf), 100, 1), SIPC_ETIMEDOUT,
		    "request");
	took = sipc_test_now_ms() - t0;
	print_message("request: gave up after %d ms (waits of 100 and 200 ms)\n", (int)took);
	assert_true(took >= 290);
	assert_true(took <= 300 + sipc_test_ms(1000));
	while (tries < 5 && sipc_recvfrom(l, buf, sizeof(buf), NULL, 0) == 4)
		tries++;
	assert_int_equal(tries, 2);
	sipc_endpoint_close(c);
	sipc_endpoint_close(l);
}

/*
 * A listener whose accept queue is full leaves new connects unanswered
 * (Linux drops the SYN), so a dial neither completes nor fails: only its
 * timeout ends it.  The queue is filled with dials of the library itself;
 * a system that refuses instead (Windows answers a full backlog with a
 * reset) is skipped out loud.
 */
static void dial_times_out_on_full_backlog(void **state)
{
	sipc_options o = {.backlog = 1};
	sipc_endpoint *l = NULL, *held[16] = {NULL};
	char url[SIPC_URL_MAX];
	int n = 0, rc = 0;
	int64_t t0;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", &o, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	/* Bounded: a backlog of 1 holds two or three at most. */
	while (n < 16) {
		t0 = sipc_test_now_ms();
		rc = sipc_dial(url, NULL, WAIT, &held[n]);
		if (rc != 0)
			break;
		n++;
	}
	print_message("full backlog: %d connections queued, then %s\n", n, sipc_strerror(rc));
	if (rc != SIPC_ETIMEDOUT) {
		for (int i = 0; i < n; i++)
			sipc_endpoint_close(held[i]);
		sipc_endpoint_close(l);
		if (rc == -ECONNREFUSED || rc == -ECONNRESET)
			skip();
		fail_msg("a dial to a full backlog: %s", sipc_strerror(rc));
	}
	took_the_timeout(t0, "dial to a full backlog");
	assert_null(held[n]);
	/* Timeout 0: one look, no wait. */
	t0 = sipc_test_now_ms();
	expect_code(sipc_dial(url, NULL, 0, &held[n]), SIPC_ETIMEDOUT, "dial, timeout 0");
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(150));
	for (int i = 0; i < n; i++)
		sipc_endpoint_close(held[i]);
	sipc_endpoint_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dial_closed_port_is_refused),
		cmocka_unit_test(accept_times_out),
		cmocka_unit_test(recv_times_out),
		cmocka_unit_test(request_without_answer_times_out),
		cmocka_unit_test(dial_times_out_on_full_backlog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
