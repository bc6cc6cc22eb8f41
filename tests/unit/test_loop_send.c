/*
 * test_loop_send.c - the loop's completion send (sipc__io_send, loop.h),
 * every case on both backends: epoll, where loop.c sends with send(2) on
 * OUT, and io_uring, where it is a send request (MSG_WAITALL) submitted
 * with the turn's wait.  Sends of 1 byte to 4 MiB, chained from the
 * callback, arrive whole and in order at a reader thread, each callback
 * once with the whole length; a second send while one is in flight is
 * refused (EBUSY), as are bad arguments; an io stopped (and freed) with a
 * send that cannot complete (its peer does not read) never hears of it
 * and its buffer is freed by the loop (ASan: no leak, no use after free);
 * a send to a closed peer fails once, with EPIPE; OUT reaches on_io only
 * when asked for; and an echo made of completion receive and send moves
 * 2 MiB through the loop without a byte lost or reordered.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop/loop_impl.h"

static const struct sipc__loop_backend *be = &sipc__loop_backend_epoll;

static sipc_loop *new_loop(void)
{
	sipc_loop *loop;

	assert_int_equal(sipc__loop_new_on(&loop, be, NULL, NULL), 0);
	assert_string_equal(sipc__loop_backend_name(loop), be->name);
	return loop;
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 131u + (i >> 11));
}

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* A sender: sends pat() from off in pieces of the sizes in SIZES, each
 * from the callback of the one before, until TOTAL. */
struct snd {
	sipc_loop_io io;
	size_t off, total;
	const size_t *sizes;
	size_t nsizes, k;
	int calls;
	int errs;
	ssize_t err;
	size_t sent;      /* what the callbacks said went out */
	uint32_t revents; /* on_io's, or-ed */
	/* The callback stops the io and frees this at its first call. */
	bool free_in_cb;
};

static void on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct snd *s = io->arg;

	(void)loop;
	s->revents |= revents;
}

static void on_sent(sipc_loop *loop, sipc_loop_io *io, void *buf, ssize_t n);

/* The next piece: a malloc'd buffer of pat() bytes, handed to the loop. */
static void send_next(sipc_loop *loop, struct snd *s)
{
	size_t len = s->sizes[s->k++ % s->nsizes];
	uint8_t *p;

	if (len > s->total - s->off)
		len = s->total - s->off;
	if (len == 0)
		return;
	p = malloc(len);
	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = pat(s->off + i);
	assert_int_equal(sipc__io_send(loop, &s->io, p, len, on_sent), 0);
	assert_true(sipc__io_sending(&s->io));
	/* One at a time. */
	assert_int_equal(sipc__io_send(loop, &s->io, p, len, on_sent), -EBUSY);
	s->off += len;
}

static void on_sent(sipc_loop *loop, sipc_loop_io *io, void *buf, ssize_t n)
{
	struct snd *s = io->arg;

	s->calls++;
	assert_false(sipc__io_sending(io));
	free(buf);
	if (n < 0) {
		s->errs++;
		s->err = n;
		return;
	}
	s->sent += (size_t)n;
	if (s->free_in_cb) {
		sipc__io_stop(loop, io);
		memset(s, 0xa5, sizeof(*s));
		free(s);
		return;
	}
	send_next(loop, s);
}

/* A reader thread: reads FD to its end, checking pat(). */
struct reader {
	pthread_t t;
	int fd;
	size_t got, bad;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[65536];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(20000);

	while (sipc_test_now_ms() < end) {
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0) {
			struct pollfd pfd = {.fd = r->fd, .events = POLLIN};

			if (errno != EAGAIN && errno != EINTR)
				break;
			(void)poll(&pfd, 1, 100);
			continue;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pat(r->got + (size_t)i))
				r->bad++;
		r->got += (size_t)n;
	}
	return NULL;
}

/* TOTAL bytes in pieces of SIZES, each sent from the last one's callback;
 * the reader gets every byte in order, each callback says its length. */
static void chain(const size_t *sizes, size_t nsizes, size_t total)
{
	sipc_loop *loop = new_loop();
	struct snd s = {.total = total, .sizes = sizes, .nsizes = nsizes};
	struct reader r = {0};
	int sv[2];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(20000);
	int pieces = 0;

	pair(sv);
	r.fd = sv[1];
	sipc__io_init(&s.io, sv[0], on_io, &s);
	assert_int_equal(sipc__io_start(loop, &s.io, 0), 0);
	send_next(loop, &s);
	assert_int_equal(pthread_create(&r.t, NULL, read_all, &r), 0);
	while (s.sent < total && s.errs == 0 && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 100), 0);
	assert_int_equal(s.sent, total);
	assert_int_equal(s.errs, 0);
	/* The emulation's OUT is loop.c's, never on_io's (not asked). */
	assert_int_equal(s.revents & SIPC_LOOP_OUT, 0);
	assert_false(sipc__io_sending(&s.io));
	for (size_t off = 0, k = 0; off < total; k++, pieces++)
		off += sizes[k % nsizes] < total - off ? sizes[k % nsizes] : total - off;
	assert_int_equal(s.calls, pieces);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(pthread_join(r.t, NULL), 0);
	assert_int_equal(r.got, total);
	assert_int_equal(r.bad, 0);
	sipc__io_stop(loop, &s.io);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

static void test_chain_small(void **state)
{
	static const size_t sizes[] = {1, 2, 100, 4096, 7, 65536, 3};

	(void)state;
	chain(sizes, sizeof(sizes) / sizeof(sizes[0]), 1 << 20);
}

static void test_chain_big(void **state)
{
	/* Each larger than the socket's buffer: the kernel (or loop.c)
	 * goes on after short sends. */
	static const size_t sizes[] = {4 << 20, 1 << 20, 3 << 20};

	(void)state;
	chain(sizes, sizeof(sizes) / sizeof(sizes[0]), 16 << 20);
}

static void test_bad_args(void **state)
{
	sipc_loop *loop = new_loop();
	sipc_loop_io io;
	char *p = malloc(8);
	int sv[2];

	(void)state;
	pair(sv);
	sipc__io_init(&io, sv[0], on_io, NULL);
	/* Not started. */
	assert_int_equal(sipc__io_send(loop, &io, p, 8, on_sent), -EINVAL);
	assert_int_equal(sipc__io_start(loop, &io, 0), 0);
	assert_int_equal(sipc__io_send(loop, &io, p, 0, on_sent), -EINVAL);
	assert_int_equal(sipc__io_send(loop, &io, p, 8, NULL), -EINVAL);
	assert_false(sipc__io_sending(&io));
	sipc__io_stop(loop, &io);
	free(p);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

/* A send that cannot complete (8 MiB, nobody reads) and its io stopped
 * and freed: no callback, the loop frees the buffer (ASan's leak check
 * says so), and the loop goes on with other ios. */
static void test_stop_in_flight(void **state)
{
	static const size_t sizes[] = {8 << 20};
	sipc_loop *loop = new_loop();
	struct snd *s = calloc(1, sizeof(*s));
	struct snd other = {.total = 4096, .sizes = sizes, .nsizes = 1};
	int sv[2], ov[2];
	char buf[4096];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(5000);

	(void)state;
	pair(sv);
	pair(ov);
	s->total = 8 << 20;
	s->sizes = sizes;
	s->nsizes = 1;
	sipc__io_init(&s->io, sv[0], on_io, s);
	assert_int_equal(sipc__io_start(loop, &s->io, 0), 0);
	send_next(loop, s);
	/* A few turns: the send is in the kernel, stuck. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(s->calls, 0);
	assert_true(sipc__io_sending(&s->io));
	sipc__io_stop(loop, &s->io);
	assert_false(sipc__io_sending(&s->io));
	memset(s, 0xa5, sizeof(*s));
	free(s);
	close(sv[0]);
	/* The peer gets what went before the stop, and then the end. */
	ssize_t n, got = 0;
	while ((n = read(sv[1], buf, sizeof(buf))) > 0 || (n < 0 && errno == EAGAIN)) {
		if (n > 0)
			got += n;
		else if (sipc_test_now_ms() >= end)
			break;
		else
			assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	}
	assert_int_equal(n, 0);
	assert_true(got < (ssize_t)(8 << 20));
	/* Another io of the same loop, afterwards: sent, once. */
	sipc__io_init(&other.io, ov[0], on_io, &other);
	assert_int_equal(sipc__io_start(loop, &other.io, 0), 0);
	send_next(loop, &other);
	while (other.calls == 0 && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(other.calls, 1);
	assert_int_equal(other.sent, 4096);
	assert_int_equal(read(ov[1], buf, sizeof(buf)), 4096);
	sipc__io_stop(loop, &other.io);
	close(sv[1]);
	close(ov[0]);
	close(ov[1]);
	sipc__loop_free(loop);
}

/* Stopped with the send not yet submitted (no turn since): the same. */
static void test_stop_before_turn(void **state)
{
	static const size_t sizes[] = {1000};
	sipc_loop *loop = new_loop();
	struct snd s = {.total = 1000, .sizes = sizes, .nsizes = 1};
	int sv[2];
	char buf[2000];

	(void)state;
	pair(sv);
	sipc__io_init(&s.io, sv[0], on_io, &s);
	assert_int_equal(sipc__io_start(loop, &s.io, 0), 0);
	send_next(loop, &s);
	sipc__io_stop(loop, &s.io);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(s.calls, 0);
	/* Never submitted: nothing went out. */
	assert_int_equal(read(sv[1], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

/* The callback stops the io and frees it: nothing after. */
static void test_free_in_cb(void **state)
{
	static const size_t sizes[] = {5000};
	sipc_loop *loop = new_loop();
	struct snd *s = calloc(1, sizeof(*s));
	int sv[2];
	char buf[8192];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(5000);
	ssize_t got = 0, n;

	(void)state;
	pair(sv);
	s->total = 50000;
	s->sizes = sizes;
	s->nsizes = 1;
	s->free_in_cb = true;
	sipc__io_init(&s->io, sv[0], on_io, s);
	assert_int_equal(sipc__io_start(loop, &s->io, 0), 0);
	send_next(loop, s);
	while (got < 5000 && sipc_test_now_ms() < end) {
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
		if ((n = read(sv[1], buf, sizeof(buf))) > 0)
			got += n;
	}
	assert_int_equal(got, 5000);
	assert_int_equal(sipc__loop_io_count(loop), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), -1);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

/* A send to a peer that has closed: the callback once, with EPIPE (no
 * SIGPIPE). */
static void test_closed_peer(void **state)
{
	static const size_t sizes[] = {3000};
	sipc_loop *loop = new_loop();
	struct snd s = {.total = 3000, .sizes = sizes, .nsizes = 1};
	int sv[2];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(5000);

	(void)state;
	pair(sv);
	close(sv[1]);
	sipc__io_init(&s.io, sv[0], on_io, &s);
	assert_int_equal(sipc__io_start(loop, &s.io, 0), 0);
	send_next(loop, &s);
	while (s.calls == 0 && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.errs, 1);
	assert_int_equal(s.err, -EPIPE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(s.calls, 1);
	sipc__io_stop(loop, &s.io);
	close(sv[0]);
	sipc__loop_free(loop);
}

/* OUT asked by the io's owner still reaches on_io while a send is in
 * flight. */
static void test_out_asked(void **state)
{
	static const size_t sizes[] = {100};
	sipc_loop *loop = new_loop();
	struct snd s = {.total = 100, .sizes = sizes, .nsizes = 1};
	int sv[2];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(5000);

	(void)state;
	pair(sv);
	sipc__io_init(&s.io, sv[0], on_io, &s);
	assert_int_equal(sipc__io_start(loop, &s.io, SIPC_LOOP_OUT), 0);
	send_next(loop, &s);
	while ((s.calls == 0 || !(s.revents & SIPC_LOOP_OUT)) && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(s.calls, 1);
	assert_true(s.revents & SIPC_LOOP_OUT);
	sipc__io_stop(loop, &s.io);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

/* An echo made of the two: what comes in is sent back by the loop
 * (receiving stops while a send is in flight, as serve's budget does). */
struct echo {
	sipc_loop_io io;
	uint8_t *acc; /* bytes waiting for the send in flight */
	size_t acc_n;
	size_t echoed;
	bool eof;
};

static void echo_data(sipc_loop *loop, sipc_loop_io *io, const void *buf, ssize_t n);

static void echo_sent(sipc_loop *loop, sipc_loop_io *io, void *buf, ssize_t n)
{
	struct echo *e = io->arg;

	assert_true(n > 0);
	e->echoed += (size_t)n;
	free(buf);
	if (e->acc_n > 0) {
		assert_int_equal(sipc__io_send(loop, io, e->acc, e->acc_n, echo_sent), 0);
		e->acc = NULL;
		e->acc_n = 0;
	}
	if (!e->eof && !sipc__io_receiving(io))
		assert_int_equal(sipc__io_recv_start(loop, io, echo_data, 16384), 0);
}

static void echo_data(sipc_loop *loop, sipc_loop_io *io, const void *buf, ssize_t n)
{
	struct echo *e = io->arg;

	if (n <= 0) {
		e->eof = true;
		return;
	}
	e->acc = realloc(e->acc, e->acc_n + (size_t)n);
	assert_non_null(e->acc);
	memcpy(e->acc + e->acc_n, buf, (size_t)n);
	e->acc_n += (size_t)n;
	if (!sipc__io_sending(io)) {
		assert_int_equal(sipc__io_send(loop, io, e->acc, e->acc_n, echo_sent), 0);
		e->acc = NULL;
		e->acc_n = 0;
	} else if (e->acc_n >= 256 * 1024) {
		sipc__io_recv_stop(loop, io); /* backpressure */
	}
}

/* A thread that writes pat() and reads the echo back, checking it. */
struct client {
	pthread_t t;
	int fd;
	size_t total, got, bad;
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	uint8_t buf[65536];
	size_t off = 0;
	int64_t end = sipc_test_now_ms() + sipc_test_ms(20000);

	while (c->got < c->total && sipc_test_now_ms() < end) {
		bool idle = true;

		if (off < c->total) {
			size_t len = c->total - off < 3001 ? c->total - off : 3001;

			for (size_t i = 0; i < len; i++)
				buf[i] = pat(off + i);
			ssize_t w = write(c->fd, buf, len);
			if (w > 0) {
				off += (size_t)w;
				idle = false;
			}
		}
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != pat(c->got + (size_t)i))
					c->bad++;
			c->got += (size_t)n;
			idle = false;
		}
		if (idle) {
			struct pollfd pfd = {
				.fd = c->fd,
				.events = (short)(POLLIN | (off < c->total ? POLLOUT : 0))};

			(void)poll(&pfd, 1, 100);
		}
	}
	return NULL;
}

static void test_echo(void **state)
{
	sipc_loop *loop = new_loop();
	struct echo e = {0};
	struct client c = {.total = 2 << 20};
	int sv[2];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(20000);

	(void)state;
	pair(sv);
	c.fd = sv[1];
	sipc__io_init(&e.io, sv[0], on_io, &e);
	assert_int_equal(sipc__io_start(loop, &e.io, 0), 0);
	assert_int_equal(sipc__io_recv_start(loop, &e.io, echo_data, 16384), 0);
	assert_int_equal(pthread_create(&c.t, NULL, client_run, &c), 0);
	while (e.echoed < c.total && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(pthread_join(c.t, NULL), 0);
	assert_int_equal(e.echoed, c.total);
	assert_int_equal(c.got, c.total);
	assert_int_equal(c.bad, 0);
	sipc__io_stop(loop, &e.io);
	free(e.acc);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

/* An io whose on_io stops the loop, in the same batch as a send's
 * completion after it: the completion is not lost (told in that dispatch
 * or, on epoll, whose send waits for OUT, in a later one), and only once. */
static void on_stopper(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)io;
	(void)revents;
	sipc__loop_stop(loop);
}

static void test_loop_stopped_in_batch(void **state)
{
	static const size_t sizes[] = {64};
	sipc_loop *loop = new_loop();
	struct snd s = {.total = 64, .sizes = sizes, .nsizes = 1};
	sipc_loop_io stopper;
	int sv[2], av[2];
	char buf[128];

	(void)state;
	pair(sv);
	pair(av);
	assert_int_equal(write(av[1], "x", 1), 1);
	/* Armed first: its completion comes first in the batch. */
	sipc__io_init(&stopper, av[0], on_stopper, NULL);
	assert_int_equal(sipc__io_start(loop, &stopper, SIPC_LOOP_IN), 0);
	sipc__io_init(&s.io, sv[0], on_io, &s);
	assert_int_equal(sipc__io_start(loop, &s.io, 0), 0);
	send_next(loop, &s);
	assert_int_equal(sipc__loop_run_once(loop, 100), 0);
	assert_true(sipc__loop_stopped(loop));
	loop->stop = false; /* as sipc__loop_run does on its way out */
	sipc__io_stop(loop, &stopper);
	for (int i = 0; i < 5 && s.calls == 0; i++)
		assert_int_equal(sipc__loop_run_once(loop, 100), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.sent, 64);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 64);
	sipc__io_stop(loop, &s.io);
	close(sv[0]);
	close(sv[1]);
	close(av[0]);
	close(av[1]);
	sipc__loop_free(loop);
}

static int on_epoll(void **state)
{
	(void)state;
	be = &sipc__loop_backend_epoll;
	return 0;
}

static int on_uring(void **state)
{
	(void)state;
	be = &sipc__loop_backend_uring;
	return 0;
}

static int on_poll(void **state)
{
	(void)state;
	be = &sipc__loop_backend_poll;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_small),
		cmocka_unit_test(test_chain_big),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_stop_in_flight),
		cmocka_unit_test(test_stop_before_turn),
		cmocka_unit_test(test_free_in_cb),
		cmocka_unit_test(test_closed_peer),
		cmocka_unit_test(test_out_asked),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_loop_stopped_in_batch),
	};
	/* SIGPIPE is left as it is: a send without MSG_NOSIGNAL to the
	 * closed peer would end the run. */
	int rc = cmocka_run_group_tests_name("epoll", tests, on_epoll, NULL);

	rc |= cmocka_run_group_tests_name("uring", tests, on_uring, NULL);
	return rc | cmocka_run_group_tests_name("poll", tests, on_poll, NULL);
}
