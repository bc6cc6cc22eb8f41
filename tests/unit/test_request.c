/*
 * test_request.c - sipc_request, the datagram client that resends (seed
 * 000): against a fake server that drops the first two requests and answers
 * the third, over udp and unixgram, the reply comes back and the server saw
 * exactly three copies; against one that never answers, SIPC_ETIMEDOUT comes
 * after the sum of the doubling waits, no sooner and not much later.  On a
 * stream the request goes once and the wait is the same sum.
 */
#include "support.h"

#include <pthread.h>
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
	/* A reply already waiting is taken at once. */
	assert_int_equal(sipc_send(b, "pong", 4, sipc_test_ms(1000)), 4);
	assert_int_equal(sipc_request(a, "ping", 4, buf, sizeof buf, t, 2), 4);
	assert_memory_equal(buf, "pong", 4);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(third_copy_gets_the_reply),
		cmocka_unit_test(silent_server_times_out_after_backoff),
		cmocka_unit_test(stream_sends_once_and_waits_the_sum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
