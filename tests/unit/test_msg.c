/*
 * test_msg.c - message framing (msg.c) over socketpairs: a frame that
 * trickles in a byte at a time, a peer that closes cleanly or mid-frame,
 * oversize headers refused before anything is allocated, timeouts in the
 * middle of a frame that lose nothing, a buffer too small, datagram
 * truncation, and seqpacket boundaries (with the empty record told from
 * end of stream).
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h" /* to check that nothing was allocated for a frame */
#include "sockipc.h"

/* Wraps sv[0] of a new socketpair in an endpoint; *peer gets sv[1] raw. */
static sipc_endpoint *pair(int type, sipc_scheme scheme, size_t max, int *peer)
{
	sipc_options o = {.max_msg = max};
	sipc_endpoint *ep = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, type, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], scheme, &o, &ep), 0);
	*peer = sv[1];
	return ep;
}

/* Both ends wrapped. */
static void pair2(int type, sipc_scheme scheme, sipc_endpoint **a, sipc_endpoint **b)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, type, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], scheme, NULL, a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], scheme, NULL, b), 0);
}

static void put_hdr(int fd, uint32_t len)
{
	uint32_t be = htonl(len);

	assert_int_equal(write(fd, &be, 4), 4);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

struct trickle {
	int fd;
	const uint8_t *bytes;
	size_t len;
};

static void *trickle_main(void *arg)
{
	struct trickle *t = arg;
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (write(t->fd, t->bytes + i, 1) != 1)
			break;
		sleep_ms(2);
	}
	return NULL;
}

static void frame_trickles_in_one_byte_at_a_time(void **state)
{
	static const char body[] = "a frame that arrives one byte at a time";
	uint8_t wire[4 + sizeof body];
	struct trickle t;
	pthread_t th;
	sipc_endpoint *ep;
	uint32_t be = htonl(sizeof body);
	char buf[128];
	int peer;
	(void)state;

	ep = pair(SOCK_STREAM, SIPC_UNIX, 0, &peer);
	memcpy(wire, &be, 4);
	memcpy(wire + 4, body, sizeof body);
	t = (struct trickle){.fd = peer, .bytes = wire, .len = sizeof wire};
	assert_int_equal(pthread_create(&th, NULL, trickle_main, &t), 0);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(10000)), sizeof body);
	assert_memory_equal(buf, body, sizeof body);
	pthread_join(th, NULL);
	/* And the same through recv_alloc. */
	t.bytes = wire;
	assert_int_equal(pthread_create(&th, NULL, trickle_main, &t), 0);
	{
		void *m = NULL;
		assert_int_equal(sipc_recv_alloc(ep, &m, sipc_test_ms(10000)), sizeof body);
		assert_memory_equal(m, body, sizeof body);
		free(m);
	}
	pthread_join(th, NULL);
	close(peer);
	sipc_endpoint_close(ep);
}

static void close_mid_frame_is_partial(void **state)
{
	sipc_endpoint *ep;
	char buf[64];
	void *m = NULL;
	int peer;
	(void)state;

	/* In the body. */
	ep = pair(SOCK_STREAM, SIPC_UNIX, 0, &peer);
	put_hdr(peer, 10);
	assert_int_equal(write(peer, "abc", 3), 3);
	close(peer);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(2000)), SIPC_EPARTIAL);
	assert_int_equal(sipc_recv_alloc(ep, &m, sipc_test_ms(2000)), SIPC_EPARTIAL);
	assert_null(m);
	sipc_endpoint_close(ep);

	/* In the header. */
	ep = pair(SOCK_STREAM, SIPC_UNIX, 0, &peer);
	assert_int_equal(write(peer, "\0\0", 2), 2);
	close(peer);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(2000)), SIPC_EPARTIAL);
	sipc_endpoint_close(ep);
}

static void clean_close_is_closed(void **state)
{
	sipc_endpoint *a, *b;
	char buf[64];
	(void)state;

	pair2(SOCK_STREAM, SIPC_UNIX, &a, &b);
	assert_int_equal(sipc_send(a, "last", 4, sipc_test_ms(2000)), 4);
	sipc_endpoint_close(a);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), 4);
	assert_memory_equal(buf, "last", 4);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), SIPC_ECLOSED);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, 0), SIPC_ECLOSED);
	sipc_endpoint_close(b);
}

static void oversize_header_breaks_without_allocating(void **state)
{
	static const uint32_t bad[] = {0xFFFFFFFFu, 17};
	char buf[64];
	size_t i;
	int peer;
	(void)state;

	for (i = 0; i < 2; i++) {
		sipc_endpoint *ep = pair(SOCK_STREAM, SIPC_UNIX, 16, &peer);
		void *m = NULL;

		put_hdr(peer, bad[i]);
		if (i == 0)
			assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(2000)),
					 SIPC_EMSGSIZE);
		else
			assert_int_equal(sipc_recv_alloc(ep, &m, sipc_test_ms(2000)),
					 SIPC_EMSGSIZE);
		assert_null(m);
		assert_null(ep->rx.body); /* nothing allocated for it */
		assert_int_equal(sipc_recv(ep, buf, sizeof buf, 0), SIPC_EBROKEN);
		assert_int_equal(sipc_recv_alloc(ep, &m, 0), SIPC_EBROKEN);
		close(peer);
		sipc_endpoint_close(ep);
	}

	/* Exactly the maximum is fine, one more on the send side is refused. */
	{
		sipc_endpoint *ep = pair(SOCK_STREAM, SIPC_UNIX, 16, &peer);
		char big[17] = "0123456789abcdef";

		put_hdr(peer, 16);
		assert_int_equal(write(peer, big, 16), 16);
		assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(2000)), 16);
		assert_int_equal(sipc_send(ep, big, 17, 0), SIPC_EMSGSIZE);
		assert_int_equal(sipc_send(ep, big, 16, sipc_test_ms(2000)), 16);
		close(peer);
		sipc_endpoint_close(ep);
	}
}

/* A header that claims a large body costs only what has arrived: the
 * receiver grows its buffer with the data, so a peer that sends a 16 MiB
 * claim and stops holds at most one step of memory. */
static void claimed_length_is_not_allocated_up_front(void **state)
{
	const uint32_t claim = 16u * 1024 * 1024;
	char part[100];
	void *m = NULL;
	int peer;
	(void)state;

	sipc_endpoint *ep = pair(SOCK_STREAM, SIPC_UNIX, 0, &peer);
	put_hdr(peer, claim);
	memset(part, 'x', sizeof part);
	assert_int_equal(write(peer, part, sizeof part), (ssize_t)sizeof part);
	assert_int_equal(sipc_recv_alloc(ep, &m, 50), SIPC_ETIMEDOUT);
	assert_null(m);
	assert_int_equal(ep->rx.body_have, sizeof part);
	assert_true(ep->rx.body_cap <= 64 * 1024);
	assert_true(ep->rx.body_cap < claim);
	close(peer);
	assert_int_equal(sipc_recv_alloc(ep, &m, sipc_test_ms(2000)), SIPC_EPARTIAL);
	sipc_endpoint_close(ep);
}

static void zero_length_round_trips(void **state)
{
	sipc_endpoint *a, *b;
	char buf[8];
	void *m = NULL;
	(void)state;

	pair2(SOCK_STREAM, SIPC_UNIX, &a, &b);
	assert_int_equal(sipc_send(a, NULL, 0, sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_send(a, "", 0, sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_send(a, "x", 1, sipc_test_ms(2000)), 1);
	assert_int_equal(sipc_recv(b, buf, 0, sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), 0);
	assert_non_null(m);
	free(m);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), 1);
	assert_int_equal(buf[0], 'x');
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

static void timeout_mid_frame_resumes(void **state)
{
	sipc_endpoint *ep;
	char buf[64];
	void *m = NULL;
	int peer;
	(void)state;

	ep = pair(SOCK_STREAM, SIPC_UNIX, 0, &peer);

	/* Nothing at all: a timeout, and timeout 0 does not block. */
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(30)), SIPC_ETIMEDOUT);

	/* Half a header, then half a body, then the rest, through sipc_recv. */
	assert_int_equal(write(peer, "\0\0", 2), 2);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(30)), SIPC_ETIMEDOUT);
	assert_int_equal(write(peer,
			       "\0\x0a"
			       "hello",
			       7),
			 7);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(30)), SIPC_ETIMEDOUT);
	memset(buf, 'Z', sizeof buf); /* the kept part must not live in BUF */
	assert_int_equal(write(peer, "world", 5), 5);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(2000)), 10);
	assert_memory_equal(buf, "helloworld", 10);

	/* The same through recv_alloc, and a switch from recv to recv_alloc. */
	put_hdr(peer, 6);
	assert_int_equal(write(peer, "abc", 3), 3);
	assert_int_equal(sipc_recv_alloc(ep, &m, sipc_test_ms(30)), SIPC_ETIMEDOUT);
	assert_null(m);
	assert_int_equal(write(peer, "def", 3), 3);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(2000)), 6);
	assert_memory_equal(buf, "abcdef", 6);

	put_hdr(peer, 4);
	assert_int_equal(write(peer, "wx", 2), 2);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(30)), SIPC_ETIMEDOUT);
	assert_int_equal(write(peer, "yz", 2), 2);
	assert_int_equal(sipc_recv_alloc(ep, &m, sipc_test_ms(2000)), 4);
	assert_memory_equal(m, "wxyz", 4);
	free(m);

	/* A frame left half-read at close is freed by the endpoint (ASan). */
	put_hdr(peer, 8);
	assert_int_equal(write(peer, "1234", 4), 4);
	assert_int_equal(sipc_recv(ep, buf, sizeof buf, sipc_test_ms(30)), SIPC_ETIMEDOUT);
	close(peer);
	sipc_endpoint_close(ep);
}

static void small_buffer_leaves_frame_queued(void **state)
{
	sipc_endpoint *a, *b;
	char small[4], buf[64];
	void *m = NULL;
	(void)state;

	pair2(SOCK_STREAM, SIPC_UNIX, &a, &b);
	assert_int_equal(sipc_send(a, "too long for four", 17, sipc_test_ms(2000)), 17);
	assert_int_equal(sipc_send(a, "next", 4, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_recv(b, small, sizeof small, sipc_test_ms(2000)), SIPC_EBUFSIZE);
	assert_int_equal(sipc_recv(b, small, sizeof small, sipc_test_ms(2000)), SIPC_EBUFSIZE);
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), 17);
	assert_memory_equal(m, "too long for four", 17);
	free(m);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), 4);
	assert_memory_equal(buf, "next", 4);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

/* Receives up to 4 messages on EP into a reader thread, for a sender that
 * must not block on a full socket buffer. */
struct collector {
	sipc_endpoint *ep;
	void *msg[4];
	ssize_t len[4];
	int n;
	pthread_t th;
};

static void *collector_main(void *arg)
{
	struct collector *c = arg;

	for (c->n = 0; c->n < 4; c->n++) {
		c->len[c->n] = sipc_recv_alloc(c->ep, &c->msg[c->n], sipc_test_ms(2000));
		if (c->len[c->n] < 0)
			break;
	}
	return NULL;
}

static void collector_free(struct collector *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->msg[i]);
}

/*
 * A send that times out part way through a frame keeps the rest: the
 * stream stays framed, a repeat of the same call sends only what is left,
 * and a different message goes after the rest.  Both with a timeout and
 * with timeout 0 (non-blocking).
 */
static void send_timeout_mid_frame_keeps_the_rest(void **state)
{
	static const int timeouts[] = {50, 0};
	sipc_endpoint *a, *b;
	size_t big = 4u << 20, i;
	char *data = malloc(big);
	struct collector c;
	ssize_t r;
	int k;
	(void)state;

	assert_non_null(data);
	for (i = 0; i < big; i++)
		data[i] = (char)(i * 7 + i / 4096);
	for (k = 0; k < 2; k++) {
		pair2(SOCK_STREAM, SIPC_UNIX, &a, &b);
		/* Nobody reads: the socket buffers fill part way through. */
		r = sipc_send(a, data, big, timeouts[k] ? sipc_test_ms(timeouts[k]) : 0);
		assert_int_equal(r, SIPC_ETIMEDOUT);
		memset(&c, 0, sizeof c);
		c.ep = b;
		assert_int_equal(pthread_create(&c.th, NULL, collector_main, &c), 0);
		if (k == 0) {
			/* The repeat: the frame completes, once. */
			assert_int_equal(sipc_send(a, data, big, sipc_test_ms(2000)), (ssize_t)big);
			assert_int_equal(sipc_send(a, "x", 1, sipc_test_ms(2000)), 1);
		} else {
			/* Another message: the rest first, then it. */
			assert_int_equal(sipc_send(a, "y", 1, sipc_test_ms(2000)), 1);
		}
		sipc_endpoint_close(a);
		pthread_join(c.th, NULL);
		assert_int_equal(c.n, 2);
		assert_int_equal(c.len[0], (ssize_t)big);
		assert_true(memcmp(c.msg[0], data, big) == 0);
		assert_int_equal(c.len[1], 1);
		assert_memory_equal(c.msg[1], k == 0 ? "x" : "y", 1);
		assert_int_equal(c.len[2], SIPC_ECLOSED);
		collector_free(&c);
		sipc_endpoint_close(b);
	}
	free(data);
}

/* A send that fails part way for another reason than time still breaks
 * the stream: the peer is gone and nothing can mend the frame. */
static void send_error_mid_frame_breaks_stream(void **state)
{
	sipc_endpoint *a, *b;
	size_t big = 4u << 20;
	char *data = calloc(1, big);
	(void)state;

	assert_non_null(data);
	pair2(SOCK_STREAM, SIPC_UNIX, &a, &b);
	assert_int_equal(sipc_send(a, data, big, 0), SIPC_ETIMEDOUT);
	sipc_endpoint_close(b);
	assert_int_equal(sipc_send(a, data, big, sipc_test_ms(1000)), -EPIPE);
	assert_int_equal(sipc_send(a, "x", 1, sipc_test_ms(50)), SIPC_EBROKEN);
	free(data);
	sipc_endpoint_close(a);
}

/* max_msg holds for datagram and seqpacket messages too, whatever the
 * caller's buffer could take. */
static void max_msg_holds_for_every_kind(void **state)
{
	static const struct {
		int type;
		sipc_scheme scheme;
	} kinds[] = {{SOCK_DGRAM, SIPC_UNIXGRAM}, {SOCK_SEQPACKET, SIPC_UNIXPACKET}};
	sipc_endpoint *a, *b;
	char big[100], buf[200];
	sipc_addr from;
	size_t k;
	(void)state;

	memset(big, 'm', sizeof big);
	for (k = 0; k < 2; k++) {
		pair2(kinds[k].type, kinds[k].scheme, &a, &b);
		sipc_endpoint_set_max_msg(b, 50);
		assert_int_equal(sipc_send(a, big, 100, sipc_test_ms(2000)), 100);
		assert_int_equal(sipc_send(a, big, 50, sipc_test_ms(2000)), 50);
		assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), SIPC_EMSGSIZE);
		/* The oversize one is gone; the next is delivered. */
		assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), 50);
		if (kinds[k].type == SOCK_DGRAM) {
			assert_int_equal(sipc_send(a, big, 51, sipc_test_ms(2000)), 51);
			assert_int_equal(
				sipc_recvfrom(b, buf, sizeof buf, &from, sipc_test_ms(2000)),
				SIPC_EMSGSIZE);
		}
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

static void datagram_truncation_drops_one(void **state)
{
	sipc_endpoint *a, *b;
	char big[100], buf[10];
	void *m = NULL;
	(void)state;

	memset(big, 'b', sizeof big);
	pair2(SOCK_DGRAM, SIPC_UNIXGRAM, &a, &b);
	assert_int_equal(sipc_send(a, big, sizeof big, sipc_test_ms(2000)), 100);
	assert_int_equal(sipc_send(a, "small", 5, sipc_test_ms(2000)), 5);
	assert_int_equal(sipc_send(a, "", 0, sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), SIPC_ETRUNC);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, sipc_test_ms(2000)), 5);
	assert_memory_equal(buf, "small", 5);
	/* An empty datagram is a message, not an end. */
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), 0);
	assert_non_null(m);
	free(m);
	assert_int_equal(sipc_recv(b, buf, sizeof buf, 0), SIPC_ETIMEDOUT);

	/* recv_alloc sizes from a peek and drops what is over the maximum. */
	sipc_endpoint_set_max_msg(b, 50);
	assert_int_equal(sipc_send(a, big, sizeof big, sipc_test_ms(2000)), 100);
	assert_int_equal(sipc_send(a, big, 50, sipc_test_ms(2000)), 50);
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), SIPC_EMSGSIZE);
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), 50);
	assert_memory_equal(m, big, 50);
	free(m);
	sipc_endpoint_set_max_msg(a, 50);
	assert_int_equal(sipc_send(a, big, sizeof big, 0), SIPC_EMSGSIZE);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

static void seqpacket_keeps_boundaries(void **state)
{
	static const size_t sizes[] = {7, 0, 3000, 1};
	sipc_endpoint *a, *b;
	char out[3000], in[4000];
	void *m = NULL;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof out; i++)
		out[i] = (char)(i * 7);
	pair2(SOCK_SEQPACKET, SIPC_UNIXPACKET, &a, &b);
	for (i = 0; i < 4; i++)
		assert_int_equal(sipc_send(a, out, sizes[i], sipc_test_ms(2000)), sizes[i]);
	for (i = 0; i < 3; i++) {
		assert_int_equal(sipc_recv(b, in, sizeof in, sipc_test_ms(2000)), sizes[i]);
		assert_memory_equal(in, out, sizes[i]);
	}
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), 1);
	free(m);
	/* An empty record just before the close, then the end of stream: the
	 * two both read as 0 bytes from the kernel and must not be confused. */
	assert_int_equal(sipc_send(a, "", 0, sipc_test_ms(2000)), 0);
	sipc_endpoint_close(a);
	assert_int_equal(sipc_recv(b, in, sizeof in, sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_recv(b, in, sizeof in, sipc_test_ms(2000)), SIPC_ECLOSED);
	assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), SIPC_ECLOSED);
	sipc_endpoint_close(b);
}

static void sendto_needs_connectionless(void **state)
{
	sipc_endpoint *a, *b;
	sipc_addr to = {0};
	char buf[4];
	(void)state;

	pair2(SOCK_STREAM, SIPC_UNIX, &a, &b);
	assert_int_equal(sipc_sendto(a, "x", 1, &to, 0), SIPC_EKIND);
	assert_int_equal(sipc_recvfrom(a, buf, sizeof buf, NULL, 0), SIPC_EKIND);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
	pair2(SOCK_SEQPACKET, SIPC_UNIXPACKET, &a, &b);
	assert_int_equal(sipc_sendto(a, "x", 1, &to, 0), SIPC_EKIND);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_trickles_in_one_byte_at_a_time),
		cmocka_unit_test(close_mid_frame_is_partial),
		cmocka_unit_test(clean_close_is_closed),
		cmocka_unit_test(oversize_header_breaks_without_allocating),
		cmocka_unit_test(claimed_length_is_not_allocated_up_front),
		cmocka_unit_test(zero_length_round_trips),
		cmocka_unit_test(timeout_mid_frame_resumes),
		cmocka_unit_test(small_buffer_leaves_frame_queued),
		cmocka_unit_test(send_timeout_mid_frame_keeps_the_rest),
		cmocka_unit_test(send_error_mid_frame_breaks_stream),
		cmocka_unit_test(max_msg_holds_for_every_kind),
		cmocka_unit_test(datagram_truncation_drops_one),
		cmocka_unit_test(seqpacket_keeps_boundaries),
		cmocka_unit_test(sendto_needs_connectionless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
