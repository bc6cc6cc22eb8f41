/*
 * test_loop_backend.c - the seam between the loop and its backend
 * (loop_impl.h).  The epoll backend, driven through the interface alone:
 * each of the loop's flags asked for and reported by the kernel (IN, OUT,
 * PRI, ERR, HUP, ONESHOT, EXCLUSIVE) with nothing else in revents, add,
 * modify and del, and its wake.  And loop.c on a scripted backend: which
 * operation each sipc__io_start/stop becomes (EXCLUSIVE's del and add,
 * nothing for unchanged events, a failed add leaves the io stopped), the
 * timeout it is asked to wait, a stopped io's pending events dropped,
 * -EINTR no error, and the wake's way to on_wake.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop/loop_impl.h"

/* The backend the kernel cases drive: each runs on epoll, uring, poll. */
static const struct sipc__loop_backend *be_under_test = &sipc__loop_backend_epoll;

#define ALL_REPORTED (SIPC_LOOP_IN | SIPC_LOOP_PRI | SIPC_LOOP_OUT | SIPC_LOOP_ERR | SIPC_LOOP_HUP)

static void on_nothing(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	(void)io;
	(void)revents;
}

/* Polls the backend for at most MS and returns IO's events (0: none).
 * Every event of the batch carries only the loop's flags. */
static uint32_t poll_io(sipc_loop *loop, sipc_loop_io *io, int ms)
{
	uint32_t got = 0;
	int n = loop->be->poll(loop, ms);

	assert_true(n >= 0 && n <= SIPC__LOOP_BATCH);
	for (int i = 0; i < n; i++) {
		assert_int_equal(loop->batch[i].events & ~ALL_REPORTED, 0);
		if (loop->batch[i].io == io)
			got |= loop->batch[i].events;
	}
	return got;
}

/* Polls until IO reports all of WANT (or a bounded time passes); what IO
 * reported last. */
static uint32_t poll_until(sipc_loop *loop, sipc_loop_io *io, uint32_t want)
{
	int64_t end = sipc_test_now_ms() + sipc_test_ms(2000);
	uint32_t got;

	do
		got = poll_io(loop, io, 10);
	while ((got & want) != want && sipc_test_now_ms() < end);
	return got;
}

static void test_epoll_in_oneshot_del(void **state)
{
	sipc_loop *loop;
	sipc_loop_io io;
	int p[2];

	(void)state;
	assert_int_equal(sipc__loop_new_on(&loop, be_under_test, NULL, NULL), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	sipc__io_init(&io, p[0], on_nothing, NULL);
	assert_int_equal(loop->be->add(loop, &io, SIPC_LOOP_IN), 0);
	io.events = SIPC_LOOP_IN;
	assert_int_equal(poll_io(loop, &io, 0), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(poll_io(loop, &io, sipc_test_ms(1000)), SIPC_LOOP_IN);
	/* Level-triggered: still readable, reported again. */
	assert_int_equal(poll_io(loop, &io, 0), SIPC_LOOP_IN);
	/* One shot: reported once, then quiet until modified again. */
	assert_int_equal(loop->be->modify(loop, &io, SIPC_LOOP_IN | SIPC_LOOP_ONESHOT), 0);
	io.events = SIPC_LOOP_IN | SIPC_LOOP_ONESHOT;
	assert_int_equal(poll_io(loop, &io, 0), SIPC_LOOP_IN);
	assert_int_equal(poll_io(loop, &io, 0), 0);
	assert_int_equal(loop->be->modify(loop, &io, SIPC_LOOP_IN), 0);
	io.events = SIPC_LOOP_IN;
	assert_int_equal(poll_io(loop, &io, 0), SIPC_LOOP_IN);
	/* Asked for OUT only, a readable pipe is not reported. */
	assert_int_equal(loop->be->modify(loop, &io, SIPC_LOOP_OUT), 0);
	io.events = SIPC_LOOP_OUT;
	assert_int_equal(poll_io(loop, &io, 0), 0);
	loop->be->del(loop, &io);
	assert_int_equal(poll_io(loop, &io, 0), 0);
	/* Adding twice is the backend's error, passed on as -errno. */
	assert_int_equal(loop->be->add(loop, &io, SIPC_LOOP_IN), 0);
	assert_int_equal(loop->be->add(loop, &io, SIPC_LOOP_IN), -EEXIST);
	loop->be->del(loop, &io);
	close(p[0]);
	close(p[1]);
	sipc__loop_free(loop);
}

static void test_epoll_out_err_hup(void **state)
{
	sipc_loop *loop;
	sipc_loop_io r, w;
	int p[2];

	(void)state;
	assert_int_equal(sipc__loop_new_on(&loop, be_under_test, NULL, NULL), 0);
	assert_string_equal(loop->be->name, be_under_test->name);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	sipc__io_init(&w, p[1], on_nothing, NULL);
	sipc__io_init(&r, p[0], on_nothing, NULL);
	assert_int_equal(loop->be->add(loop, &w, SIPC_LOOP_OUT), 0);
	assert_int_equal(poll_io(loop, &w, sipc_test_ms(1000)), SIPC_LOOP_OUT);
	/* Nothing asked but the one shot: only an error or a hang-up. */
	assert_int_equal(loop->be->add(loop, &r, SIPC_LOOP_ONESHOT), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(poll_io(loop, &r, 0), 0);
	/* The reader gone: the writer's error, reported unasked. */
	loop->be->del(loop, &r);
	close(p[0]);
	assert_int_equal(poll_io(loop, &w, 0), SIPC_LOOP_OUT | SIPC_LOOP_ERR);
	loop->be->del(loop, &w);
	close(p[1]);

	/* The writer gone: the reader's hang-up, unasked, once in one shot. */
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	sipc__io_init(&r, p[0], on_nothing, NULL);
	assert_int_equal(loop->be->add(loop, &r, SIPC_LOOP_ONESHOT), 0);
	close(p[1]);
	assert_int_equal(poll_io(loop, &r, 0), SIPC_LOOP_HUP);
	assert_int_equal(poll_io(loop, &r, 0), 0);
	/* Level-triggered again: the hang-up (no bytes: not readable). */
	assert_int_equal(loop->be->modify(loop, &r, SIPC_LOOP_IN), 0);
	assert_int_equal(poll_io(loop, &r, 0), SIPC_LOOP_HUP);
	assert_int_equal(poll_io(loop, &r, 0), SIPC_LOOP_HUP);
	loop->be->del(loop, &r);
	close(p[0]);
	sipc__loop_free(loop);
}

/* A loopback TCP listener on a port from the kernel, and a client
 * connected to it (not accepted yet). */
static void tcp_connect(int *client, int *listener_out)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int l;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*client >= 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*listener_out = l;
}

static void test_epoll_pri_exclusive(void **state)
{
	sipc_loop *loop, *other;
	sipc_loop_io lio, lio2, sio;
	int c, s, l;

	(void)state;
	assert_int_equal(sipc__loop_new_on(&loop, be_under_test, NULL, NULL), 0);
	assert_int_equal(sipc__loop_new_on(&other, be_under_test, NULL, NULL), 0);
	tcp_connect(&c, &l);
	/* One listener in two loops, exclusive: a connection is reported. */
	sipc__io_init(&lio, l, on_nothing, NULL);
	sipc__io_init(&lio2, l, on_nothing, NULL);
	assert_int_equal(loop->be->add(loop, &lio, SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE), 0);
	assert_int_equal(other->be->add(other, &lio2, SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE), 0);
	assert_int_equal(poll_io(loop, &lio, sipc_test_ms(1000)), SIPC_LOOP_IN);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	assert_true(s >= 0);
	assert_int_equal(poll_io(loop, &lio, 0), 0);
	loop->be->del(loop, &lio);
	other->be->del(other, &lio2);

	/* Urgent data: PRI when asked (the urgent byte alone is not IN);
	 * with a byte after it, IN too when asked. */
	sipc__io_init(&sio, s, on_nothing, NULL);
	assert_int_equal(loop->be->add(loop, &sio, SIPC_LOOP_PRI), 0);
	assert_int_equal(poll_io(loop, &sio, 0), 0);
	assert_int_equal(send(c, "u", 1, MSG_OOB), 1);
	assert_int_equal(poll_io(loop, &sio, sipc_test_ms(1000)), SIPC_LOOP_PRI);
	assert_int_equal(send(c, "n", 1, 0), 1);
	assert_int_equal(loop->be->modify(loop, &sio, SIPC_LOOP_IN | SIPC_LOOP_PRI), 0);
	assert_int_equal(poll_until(loop, &sio, SIPC_LOOP_IN | SIPC_LOOP_PRI),
			 SIPC_LOOP_IN | SIPC_LOOP_PRI);
	/* Readable now, but IN not asked: not reported. */
	assert_int_equal(loop->be->modify(loop, &sio, SIPC_LOOP_PRI), 0);
	assert_int_equal(poll_io(loop, &sio, 0), SIPC_LOOP_PRI);
	loop->be->del(loop, &sio);
	close(c);
	close(s);
	close(l);
	sipc__loop_free(other);
	sipc__loop_free(loop);
}

static int wakes;
static void on_wake_count(sipc_loop *loop, void *arg)
{
	(void)loop;
	assert_ptr_equal(arg, &wakes);
	wakes++;
}

static void test_epoll_wake(void **state)
{
	sipc_loop *loop;
	int n;

	(void)state;
	wakes = 0;
	assert_int_equal(sipc__loop_new_on(&loop, be_under_test, on_wake_count, &wakes), 0);
	assert_int_equal(loop->be->poll(loop, 0), 0);
	/* Two wakes, one event: the backend's own io, whose callback reaches
	 * on_wake; and it is not the caller's io. */
	sipc__loop_wake(loop);
	sipc__loop_wake(loop);
	n = loop->be->poll(loop, sipc_test_ms(1000));
	assert_int_equal(n, 1);
	assert_int_equal(loop->batch[0].events, SIPC_LOOP_IN);
	assert_int_equal(sipc__loop_io_count(loop), 0);
	loop->batch[0].io->cb(loop, loop->batch[0].io, loop->batch[0].events);
	assert_int_equal(wakes, 1);
	assert_int_equal(loop->be->poll(loop, 0), 0);
	sipc__loop_free(loop);
}

/* ---- loop.c on a scripted backend ---- */

enum { OP_OPEN, OP_CLOSE, OP_ADD, OP_MOD, OP_DEL, OP_POLL, OP_WAKE };

struct call {
	int op;
	sipc_loop_io *io;
	uint32_t events; /* asked for (add, modify) */
	uint32_t before; /* io->events when called */
	int timeout;     /* poll */
};

static struct fake {
	struct call calls[64];
	int ncalls;
	/* What the next poll returns: N events from EV, or ERR if non-zero. */
	struct sipc__loop_event ev[4];
	int n;
	int err;
	int add_err;
	bool woken;
	sipc_loop_io wake_io;
} fk;

static void record(int op, sipc_loop_io *io, uint32_t events, int timeout)
{
	assert_true(fk.ncalls < 64);
	fk.calls[fk.ncalls++] = (struct call){op, io, events, io ? io->events : 0, timeout};
}

static void fk_on_wake_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)io;
	(void)revents;
	sipc__loop_woken(loop);
}

static int fk_open(sipc_loop *loop)
{
	loop->bk = &fk;
	sipc__io_init(&fk.wake_io, -1, fk_on_wake_io, NULL);
	record(OP_OPEN, NULL, 0, 0);
	return 0;
}

static void fk_close(sipc_loop *loop)
{
	assert_ptr_equal(loop->bk, &fk);
	record(OP_CLOSE, NULL, 0, 0);
}

static int fk_add(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	(void)loop;
	record(OP_ADD, io, events, 0);
	return fk.add_err;
}

static int fk_modify(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	(void)loop;
	record(OP_MOD, io, events, 0);
	return 0;
}

static void fk_del(sipc_loop *loop, sipc_loop_io *io)
{
	(void)loop;
	record(OP_DEL, io, 0, 0);
}

static int fk_poll(sipc_loop *loop, int timeout_ms)
{
	int n = 0;

	record(OP_POLL, NULL, 0, timeout_ms);
	if (fk.err != 0) {
		int err = fk.err;
		fk.err = 0;
		return err;
	}
	if (fk.woken) {
		loop->batch[n++] = (struct sipc__loop_event){&fk.wake_io, SIPC_LOOP_IN};
		fk.woken = false;
	}
	for (int i = 0; i < fk.n; i++)
		loop->batch[n++] = fk.ev[i];
	fk.n = 0;
	return n;
}

static void fk_wake(sipc_loop *loop)
{
	(void)loop;
	record(OP_WAKE, NULL, 0, 0);
	fk.woken = true;
}

static const struct sipc__loop_backend fake_backend = {
	.name = "fake",
	.open = fk_open,
	.close = fk_close,
	.add = fk_add,
	.modify = fk_modify,
	.del = fk_del,
	.poll = fk_poll,
	.wake = fk_wake,
};

static void expect_call(int k, int op, sipc_loop_io *io, uint32_t events, uint32_t before)
{
	assert_true(k < fk.ncalls);
	assert_int_equal(fk.calls[k].op, op);
	assert_ptr_equal(fk.calls[k].io, io);
	assert_int_equal(fk.calls[k].events, events);
	assert_int_equal(fk.calls[k].before, before);
}

static void test_fake_io_ops(void **state)
{
	sipc_loop *loop;
	sipc_loop_io a, b, c;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	assert_int_equal(sipc__loop_new_on(&loop, &fake_backend, NULL, NULL), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(fk.calls[0].op, OP_OPEN);
	fk.ncalls = 0;
	sipc__io_init(&a, 10, on_nothing, NULL);
	sipc__io_init(&b, 11, on_nothing, NULL);
	sipc__io_init(&c, 12, on_nothing, NULL);

	assert_int_equal(sipc__io_start(loop, &a, SIPC_LOOP_IN), 0);
	expect_call(0, OP_ADD, &a, SIPC_LOOP_IN, 0);
	/* Unchanged events: no call. */
	assert_int_equal(sipc__io_start(loop, &a, SIPC_LOOP_IN), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(sipc__io_start(loop, &a, SIPC_LOOP_IN | SIPC_LOOP_OUT), 0);
	expect_call(1, OP_MOD, &a, SIPC_LOOP_IN | SIPC_LOOP_OUT, SIPC_LOOP_IN);
	assert_int_equal(a.events, SIPC_LOOP_IN | SIPC_LOOP_OUT);

	/* Exclusive: never modified, deleted and added again. */
	assert_int_equal(sipc__io_start(loop, &b, SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE), 0);
	expect_call(2, OP_ADD, &b, SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE, 0);
	assert_int_equal(sipc__io_start(loop, &b, SIPC_LOOP_IN), 0);
	expect_call(3, OP_DEL, &b, 0, SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE);
	expect_call(4, OP_ADD, &b, SIPC_LOOP_IN, 0);
	assert_int_equal(sipc__loop_io_count(loop), 2);

	/* A failed add leaves the io stopped and uncounted. */
	fk.add_err = -EMFILE;
	assert_int_equal(sipc__io_start(loop, &c, SIPC_LOOP_IN), -EMFILE);
	fk.add_err = 0;
	assert_false(c.active);
	assert_int_equal(c.events, 0);
	assert_int_equal(sipc__loop_io_count(loop), 2);
	assert_int_equal(fk.ncalls, 6);

	/* Stop: one del; a second stop does nothing. */
	sipc__io_stop(loop, &a);
	expect_call(6, OP_DEL, &a, 0, SIPC_LOOP_IN | SIPC_LOOP_OUT);
	sipc__io_stop(loop, &a);
	sipc__io_stop(loop, &c);
	assert_int_equal(fk.ncalls, 7);
	assert_int_equal(sipc__loop_io_count(loop), 1);
	sipc__io_stop(loop, &b);
	sipc__loop_free(loop);
	assert_int_equal(fk.calls[fk.ncalls - 1].op, OP_CLOSE);
}

static void on_fire_nothing(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)loop;
	(void)t;
}

struct disp {
	sipc_loop_io io[3];
	uint32_t got[3];
	int order[8];
	int n;
};

static void on_disp(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct disp *d = io->arg;
	int i = (int)(io - d->io);

	d->got[i] = revents;
	d->order[d->n++] = i;
	if (i == 0) /* the first stops the second, which has an event pending */
		sipc__io_stop(loop, &d->io[1]);
}

static void test_fake_turn(void **state)
{
	sipc_loop *loop;
	sipc_loop_timer t;
	struct disp d = {0};

	(void)state;
	memset(&fk, 0, sizeof(fk));
	wakes = 0;
	assert_int_equal(sipc__loop_new_on(&loop, &fake_backend, on_wake_count, &wakes), 0);
	for (int i = 0; i < 3; i++) {
		sipc__io_init(&d.io[i], 20 + i, on_disp, &d);
		assert_int_equal(sipc__io_start(loop, &d.io[i], SIPC_LOOP_IN), 0);
	}
	/* The batch in its order, with its events; a stopped io's dropped. */
	fk.ev[0] = (struct sipc__loop_event){&d.io[0], SIPC_LOOP_IN};
	fk.ev[1] = (struct sipc__loop_event){&d.io[1], SIPC_LOOP_IN | SIPC_LOOP_HUP};
	fk.ev[2] = (struct sipc__loop_event){&d.io[2], SIPC_LOOP_OUT | SIPC_LOOP_ERR};
	fk.n = 3;
	fk.ncalls = 0;
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.order[0], 0);
	assert_int_equal(d.order[1], 2);
	assert_int_equal(d.got[0], SIPC_LOOP_IN);
	assert_int_equal(d.got[1], 0);
	assert_int_equal(d.got[2], SIPC_LOOP_OUT | SIPC_LOOP_ERR);
	assert_int_equal(fk.calls[0].op, OP_POLL);
	assert_int_equal(fk.calls[0].timeout, 0);

	/* The wait asked of the backend: the caller's, or the next timer's. */
	fk.ncalls = 0;
	assert_int_equal(sipc__loop_run_once(loop, 7), 0);
	assert_int_equal(fk.calls[0].timeout, 7);
	sipc__timer_init(&t, on_fire_nothing, NULL);
	assert_int_equal(sipc__timer_start(loop, &t, 60000), 0);
	fk.ncalls = 0;
	assert_int_equal(sipc__loop_run_once(loop, -1), 0);
	assert_true(fk.calls[0].timeout > 50000 && fk.calls[0].timeout <= 60000);
	sipc__timer_stop(loop, &t);
	fk.ncalls = 0;
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(fk.calls[0].timeout, 0);

	/* -EINTR is a turn with nothing; another error is the turn's. */
	fk.err = -EINTR;
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	fk.err = -EIO;
	assert_int_equal(sipc__loop_run_once(loop, 0), -EIO);

	/* The wake: the backend's, and its io reaches on_wake, uncounted. */
	assert_int_equal(sipc__loop_io_count(loop), 2);
	fk.ncalls = 0;
	sipc__loop_wake(loop);
	assert_int_equal(fk.calls[0].op, OP_WAKE);
	assert_int_equal(wakes, 0);
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(wakes, 1);
	sipc__io_stop(loop, &d.io[0]);
	sipc__io_stop(loop, &d.io[2]);
	sipc__loop_free(loop);
}

static int on_uring(void **state)
{
	(void)state;
	be_under_test = &sipc__loop_backend_uring;
	return 0;
}

static int on_poll(void **state)
{
	(void)state;
	be_under_test = &sipc__loop_backend_poll;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoll_in_oneshot_del),
		cmocka_unit_test(test_epoll_out_err_hup),
		cmocka_unit_test(test_epoll_pri_exclusive),
		cmocka_unit_test(test_epoll_wake),
		cmocka_unit_test(test_fake_io_ops),
		cmocka_unit_test(test_fake_turn),
	};
	/* The kernel's cases again, through the io_uring backend. */
	const struct CMUnitTest uring[] = {
		cmocka_unit_test(test_epoll_in_oneshot_del),
		cmocka_unit_test(test_epoll_out_err_hup),
		cmocka_unit_test(test_epoll_pri_exclusive),
		cmocka_unit_test(test_epoll_wake),
	};
	int rc = cmocka_run_group_tests_name("epoll", tests, NULL, NULL);

	rc |= cmocka_run_group_tests_name("uring", uring, on_uring, NULL);
	/* And through the poll(2) backend (ONESHOT and EXCLUSIVE emulated). */
	return rc | cmocka_run_group_tests_name("poll", uring, on_poll, NULL);
}
