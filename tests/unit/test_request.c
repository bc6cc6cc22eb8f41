/*
 * test_request.c - sipc_request, the datagram client that resends (seed
 * 000): against a fake server that drops the first two requests and answers
 * the third, over udp and unixgram, the reply comes back and the server saw
 * exactly three copies; against one that never answers, SIPC_ETIMEDOUT comes
 * after the sum of the doubling waits, no sooner and not much later.  On a
 * stream the request goes once and the wait is the same sum.
 */
#include "support.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockipc.h"

struct server {
	sipc_endpoint *ep;
	int answer_on; /* reply to this request (1-based); 0: never */
	int quiet_ms;  /* stop after this long without a request */
	int seen;      /* requests received */
	int bad;       /* requests that were not the one sent */
	pthread_t th;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	char buf[64];
	sipc_addr from;
	ssize_t n;
	int i;

	/* Bounded: at most 10 requests, each wait at most quiet_ms. */
	for (i = 0; i < 10; i++) {
		n = sipc_recvfrom(s->ep, buf, sizeof buf, &from, s->quiet_ms);
		if (n < 0)
			break;
		s->seen++;
		if (n != 4 || memcmp(buf, "ping", 4) != 0)
			s->bad++;
		if (s->seen == s->answer_on)
			sipc_sendto(s->ep, "pong", 4, &from, sipc_test_ms(1000));
	}
	return NULL;
}

static void server_start(struct server *s, const char *url, int answer_on, char *dial, size_t dlen)
{
	sipc_addr local;

	memset(s, 0, sizeof *s);
	s->answer_on = answer_on;
	s->quiet_ms = sipc_test_ms(400);
	assert_int_equal(sipc_listen(url, NULL, &s->ep), 0);
	assert_int_equal(sipc_endpoint_local(s->ep, &local), 0);
	assert_true(sipc_addr_format(&local, dial, dlen) > 0);
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->th, NULL);
	sipc_endpoint_close(s->ep);
}

static void listen_url(char *buf, size_t len, int kind)
{
	if (kind == 0)
		snprintf(buf, len, "udp://127.0.0.1:0");
	else
		snprintf(buf, len, "unixgram://@sipc-test-request-%d-%ld", (int)getpid(),
			 (long)sipc_test_now_ms());
}

static void third_copy_gets_the_reply(void **state)
{
	char url[128], dial[SIPC_URL_MAX], reply[16];
	struct server s;
	sipc_endpoint *c;
	int kind;
	(void)state;

	for (kind = 0; kind < 2; kind++) {
		listen_url(url, sizeof url, kind);
		server_start(&s, url, 3, dial, sizeof dial);
		assert_int_equal(sipc_dial(dial, NULL, sipc_test_ms(1000), &c), 0);
		assert_int_equal(
			sipc_request(c, "ping", 4, reply, sizeof reply, sipc_test_ms(50), 3), 4);
		assert_memory_equal(reply, "pong", 4);
		/* The server goes quiet after the answer: no fourth copy came. */
		server_stop(&s);
		assert_int_equal(s.seen, 3);
		assert_int_equal(s.bad, 0);
		sipc_endpoint_close(c);
	}
}

static void silent_server_times_out_after_backoff(void **state)
{
	char url[128], dial[SIPC_URL_MAX], reply[16];
	struct server s;
	sipc_endpoint *c;
	int64_t t0, took;
	int t = sipc_test_ms(30);
	int total = t + 2 * t + 4 * t; /* retries = 2: three waits, doubling */
	int kind;
	(void)state;

	for (kind = 0; kind < 2; kind++) {
		listen_url(url, sizeof url, kind);
		server_start(&s, url, 0, dial, sizeof dial);
		s.quiet_ms = sipc_test_ms(400);
		assert_int_equal(sipc_dial(dial, NULL, sipc_test_ms(1000), &c), 0);
		t0 = sipc_test_now_ms();
		assert_int_equal(sipc_request(c, "ping", 4, reply, sizeof reply, t, 2),
				 SIPC_ETIMEDOUT);
		took = sipc_test_now_ms() - t0;
		assert_true(took >= total - 3);
		assert_true(took < total + sipc_test_ms(300));
		server_stop(&s);
		assert_int_equal(s.seen, 3);
		sipc_endpoint_close(c);
	}
}

static void stream_sends_once_and_waits_the_sum(void **state)
{
	sipc_endpoint *a, *b;
	char buf[16];
	int64_t t0, took;
	int sv[2], t = sipc_test_ms(20), total = t + 2 * t + 4 * t;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_request(a, "ping", 4, buf, sizeof buf, t, 2), SIPC_ETIMEDOUT);
	took = sipc_test_now_ms() - t0;
	assert_true(took >= total - 3 && took < total + sipc_test_ms(300));
	/* Exactly one copy went out. */
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(1000)), 4);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);

	/* A reply already waiting is taken at once. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	assert_int_equal(sipc_send(b, "pong", 4, sipc_test_ms(1000)), 4);
	assert_int_equal(sipc_request(a, "ping", 4, buf, sizeof buf, t, 2), 4);
	assert_memory_equal(buf, "pong", 4);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

/*
 * A server that answers request "A" only once the client has given up on
 * it (so the answer comes late) and every other request at once, echoing
 * the request's first byte.  Stream servers serve one connection.
 */
struct late {
	sipc_endpoint *ep;
	bool stream;
	atomic_int gave_up;   /* set by the test when request A timed out */
	atomic_int late_sent; /* set by the server once A's reply is out */
	pthread_t th;
};

static void *late_main(void *arg)
{
	struct late *s = arg;
	sipc_endpoint *conn = NULL, *ep = s->ep;
	sipc_addr from, *to = NULL;
	char buf[16];
	ssize_t n;
	int i, j;

	if (s->stream) {
		if (sipc_accept(s->ep, sipc_test_ms(2000), &conn) < 0)
			return NULL;
		ep = conn;
	} else {
		to = &from;
	}
	/* Bounded: at most 4 requests, each wait bounded. */
	for (i = 0; i < 4; i++) {
		n = s->stream ? sipc_recv(ep, buf, sizeof buf, sipc_test_ms(1000))
			      : sipc_recvfrom(ep, buf, sizeof buf, &from, sipc_test_ms(1000));
		if (n < 1)
			break;
		if (buf[0] == 'A') {
			/* A flag, polled with a bound: the test sets it right
			 * after its request returned. */
			for (j = 0; j < 2000 && !atomic_load(&s->gave_up); j++)
				usleep(1000);
		}
		if (s->stream)
			sipc_send(ep, buf, 1, sipc_test_ms(1000));
		else
			sipc_sendto(ep, buf, 1, to, sipc_test_ms(1000));
		if (buf[0] == 'A')
			atomic_store(&s->late_sent, 1);
	}
	sipc_endpoint_close(conn);
	return NULL;
}

/*
 * Request A times out; its reply arrives late, before request B; B must not
 * return A's reply.  On datagrams the late reply is dropped and B gets its
 * own; on a stream nothing tells the two apart, so the endpoint is out of
 * step and says so.
 */
static void late_reply_is_never_the_next_ones(void **state)
{
	static const char *const urls[] = {"udp://127.0.0.1:0", "unixgram://@",
					   "tcp://127.0.0.1:0"};
	char dial[SIPC_URL_MAX], reply[16], url[128];
	sipc_addr local;
	struct late s;
	sipc_endpoint *c;
	ssize_t r;
	int k, i;
	(void)state;

	for (k = 0; k < 3; k++) {
		memset(&s, 0, sizeof s);
		s.stream = k == 2;
		snprintf(url, sizeof url, "%s", urls[k]);
		if (k == 1)
			snprintf(url, sizeof url, "unixgram://@sipc-test-late-%d", (int)getpid());
		assert_int_equal(sipc_listen(url, NULL, &s.ep), 0);
		assert_int_equal(sipc_endpoint_local(s.ep, &local), 0);
		assert_true(sipc_addr_format(&local, dial, sizeof dial) > 0);
		assert_int_equal(pthread_create(&s.th, NULL, late_main, &s), 0);
		assert_int_equal(sipc_dial(dial, NULL, sipc_test_ms(1000), &c), 0);

		r = sipc_request(c, "A", 1, reply, sizeof reply, sipc_test_ms(20), 0);
		assert_int_equal(r, SIPC_ETIMEDOUT);
		atomic_store(&s.gave_up, 1);
		for (i = 0; i < 2000 && !atomic_load(&s.late_sent); i++)
			usleep(1000);
		assert_true(atomic_load(&s.late_sent));

		r = sipc_request(c, "B", 1, reply, sizeof reply, sipc_test_ms(1000), 0);
		if (s.stream) {
			if (r != SIPC_EOUTOFSTEP)
				print_error("stream: got %zd (%s)\n", r, r == 1 ? reply : "");
			assert_int_equal(r, SIPC_EOUTOFSTEP);
			assert_int_equal(sipc_send(c, "C", 1, 0), SIPC_EOUTOFSTEP);
			assert_int_equal(sipc_recv(c, reply, sizeof reply, 0), SIPC_EOUTOFSTEP);
		} else {
			if (r != 1 || reply[0] != 'B')
				print_error("%s: got %zd '%c'\n", urls[k], r,
					    r == 1 ? reply[0] : '-');
			assert_int_equal(r, 1);
			assert_int_equal(reply[0], 'B');
		}
		sipc_endpoint_close(c);
		pthread_join(s.th, NULL);
		sipc_endpoint_close(s.ep);
	}
}

/*
 * Timeout 0 with as many retries as an int holds: one non-blocking try,
 * at once, on a datagram endpoint and on a stream (before: a wait computed
 * in a loop as long as the retry number, inside a loop over the retries,
 * and a counter that overflowed at INT_MAX).
 */
static void many_retries_end_at_once(void **state)
{
	sipc_endpoint *srv, *c, *a, *b;
	char dial[SIPC_URL_MAX], buf[16];
	sipc_addr local;
	int64_t t0;
	int sv[2], copies = 0;
	(void)state;

	/* A stuck loop ends the test process instead of hanging the suite. */
	alarm((unsigned)(10 * sipc_test_scale()));
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &srv), 0);
	assert_int_equal(sipc_endpoint_local(srv, &local), 0);
	assert_true(sipc_addr_format(&local, dial, sizeof dial) > 0);
	assert_int_equal(sipc_dial(dial, NULL, sipc_test_ms(1000), &c), 0);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_request(c, "p", 1, buf, sizeof buf, 0, INT_MAX), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(1000));
	while (sipc_recvfrom(srv, buf, sizeof buf, NULL, 0) == 1)
		copies++;
	assert_int_equal(copies, 1);
	sipc_endpoint_close(c);
	sipc_endpoint_close(srv);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_request(a, "p", 1, buf, sizeof buf, 0, INT_MAX), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(1000));
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(third_copy_gets_the_reply),
		cmocka_unit_test(silent_server_times_out_after_backoff),
		cmocka_unit_test(stream_sends_once_and_waits_the_sum),
		cmocka_unit_test(late_reply_is_never_the_next_ones),
		cmocka_unit_test(many_retries_end_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
