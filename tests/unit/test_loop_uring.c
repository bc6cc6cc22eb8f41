/*
 * test_loop_uring.c - the io_uring backend (backend_uring.c) through the
 * loop's API, beside the cases test_loop.c and test_loop_backend.c run on
 * both backends: a completion of an io stopped and freed is never
 * dispatched (not to its slot's next io either), a thousand ios (more than
 * the submission queue holds) each reported once, level-triggered
 * re-reports of data read in part, a socket whose peer has shut its side
 * down is not reported over and over for nothing (RDHUP), and the wake
 * from another thread and from a signal handler, one listener polled
 * EXCLUSIVE by two loops wakes one of them, and PRI, which io_uring says
 * for any byte, reported only where an urgent byte is.  Registered
 * descriptors: an io's requests name its index in the ring's table once
 * registered, slots past the table go on with their descriptor, and a
 * close() after sipc__io_stop ends the file at once (the peer reads its
 * end: the table does not keep it), receiving or not.  And
 * sipc__loop_choose.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop/loop_impl.h"

static sipc_loop *new_loop(sipc_loop_wake_fn *on_wake, void *arg)
{
	sipc_loop *loop;

	assert_int_equal(sipc__loop_new_on(&loop, &sipc__loop_backend_uring, on_wake, arg), 0);
	assert_string_equal(sipc__loop_backend_name(loop), "uring");
	return loop;
}

static int calls;
static uint32_t last_ev;

static void on_count(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	(void)io;
	calls++;
	last_ev = revents;
}

/* serve's TCP connections ask IN|PRI, and io_uring's completions say PRI
 * for any byte: the backend looks at all of a batch's with one poll(2).
 * Eight connections in one batch, an urgent byte on every third: PRI is
 * reported on those alone, IN on every one, each to its own io. */
#define NPRI 8
static uint32_t pri_ev[NPRI];

static void on_pri(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	pri_ev[(intptr_t)io->arg] |= revents;
}

static void test_pri_confirmed_per_io(void **state)
{
	sipc_loop *loop = new_loop(NULL, NULL);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	sipc_loop_io io[NPRI];
	int l, c[NPRI], s[NPRI];

	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, NPRI), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	for (int k = 0; k < NPRI; k++) {
		c[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(c[k] >= 0);
		assert_int_equal(connect(c[k], (struct sockaddr *)&sin, sizeof(sin)), 0);
		s[k] = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		assert_true(s[k] >= 0);
		sipc__io_init(&io[k], s[k], on_pri, (void *)(intptr_t)k);
		assert_int_equal(sipc__io_start(loop, &io[k], SIPC_LOOP_IN | SIPC_LOOP_PRI), 0);
	}
	/* Armed, quiet. */
	memset(pri_ev, 0, sizeof(pri_ev));
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	for (int k = 0; k < NPRI; k++)
		assert_int_equal(pri_ev[k], 0);
	/* Data on every one, an urgent byte after it on every third. */
	for (int k = 0; k < NPRI; k++) {
		assert_int_equal(send(c[k], "d", 1, 0), 1);
		if (k % 3 == 1)
			assert_int_equal(send(c[k], "u", 1, MSG_OOB), 1);
	}
	for (int round = 0; round < 100; round++) {
		int seen = 0;

		for (int k = 0; k < NPRI; k++)
			seen += (pri_ev[k] & SIPC_LOOP_IN) != 0;
		if (seen == NPRI)
			break;
		assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	}
	for (int k = 0; k < NPRI; k++) {
		assert_true(pri_ev[k] & SIPC_LOOP_IN);
		if (k % 3 == 1)
			assert_true(pri_ev[k] & SIPC_LOOP_PRI);
		else
			assert_false(pri_ev[k] & SIPC_LOOP_PRI);
	}
	for (int k = 0; k < NPRI; k++) {
		sipc__io_stop(loop, &io[k]);
		close(c[k]);
		close(s[k]);
	}
	close(l);
	sipc__loop_free(loop);
}

/* An io stopped and freed while the kernel completes its poll: the
 * completion is dropped, and the next io on its slot (another pipe, empty)
 * hears nothing of it. */
static void test_stale_completion(void **state)
{
	sipc_loop *loop = new_loop(NULL, NULL);
	sipc_loop_io *io, next;
	int p[2], q[2];
	uint32_t slot;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC | O_NONBLOCK), 0);
	io = malloc(sizeof(*io));
	assert_non_null(io);
	calls = 0;
	sipc__io_init(io, p[0], on_count, NULL);
	assert_int_equal(sipc__io_start(loop, io, SIPC_LOOP_IN), 0);
	/* Armed in the kernel by this turn. */
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(calls, 0);
	slot = io->bk_slot;
	/* The kernel completes the poll; the io goes before the loop sees
	 * it. */
	assert_int_equal(write(p[1], "x", 1), 1);
	sipc__io_stop(loop, io);
	memset(io, 0xa5, sizeof(*io));
	free(io);
	/* The turn that takes the completion (the kernel posted it when
	 * the stop removed the request) drops it, and frees the slot. */
	assert_int_equal(sipc__loop_run_once(loop, 20), 0);
	assert_int_equal(calls, 0);
	sipc__io_init(&next, q[0], on_count, NULL);
	assert_int_equal(sipc__io_start(loop, &next, SIPC_LOOP_IN), 0);
	assert_int_equal(next.bk_slot, slot);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 20), 0);
	assert_int_equal(calls, 0);
	/* The slot's new io is reported for what is its own. */
	assert_int_equal(write(q[1], "y", 1), 1);
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(last_ev, SIPC_LOOP_IN);
	sipc__io_stop(loop, &next);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	sipc__loop_free(loop);
}

#define MANY 1000

static int many_seen[MANY];

static void on_many(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	uint64_t v;

	assert_int_equal(revents, SIPC_LOOP_IN);
	assert_int_equal(read(io->fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	many_seen[(int)(intptr_t)io->arg]++;
	sipc__io_stop(loop, io);
}

/* A thousand eventfds (the submission queue holds 256): each reported
 * once, none lost. */
static void test_thousand_ios(void **state)
{
	sipc_loop *loop = new_loop(NULL, NULL);
	sipc_loop_io *ios = calloc(MANY, sizeof(*ios));
	struct rlimit rl;
	int64_t end;
	int seen = 0;

	(void)state;
	assert_non_null(ios);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < MANY + 64) {
		rl.rlim_cur = rl.rlim_max;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
		assert_true(rl.rlim_cur >= MANY + 64);
	}
	memset(many_seen, 0, sizeof(many_seen));
	for (int i = 0; i < MANY; i++) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		assert_true(fd >= 0);
		sipc__io_init(&ios[i], fd, on_many, (void *)(intptr_t)i);
		assert_int_equal(sipc__io_start(loop, &ios[i], SIPC_LOOP_IN), 0);
	}
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	for (int i = 0; i < MANY; i++) {
		uint64_t one = 1;

		assert_int_equal(write(ios[i].fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	}
	end = sipc_test_now_ms() + sipc_test_ms(5000);
	while (sipc__loop_io_count(loop) > 0 && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 100), 0);
	for (int i = 0; i < MANY; i++) {
		assert_int_equal(many_seen[i], 1);
		seen += many_seen[i];
		close(ios[i].fd);
	}
	assert_int_equal(seen, MANY);
	free(ios);
	sipc__loop_free(loop);
}

static void on_one_byte(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	char c;

	(void)loop;
	assert_int_equal(revents, SIPC_LOOP_IN);
	assert_int_equal(read(io->fd, &c, 1), 1);
	calls++;
}

/* Level-triggered: a callback that reads one byte of ten is called ten
 * times, once a turn, and then no more. */
static void test_level_partial_read(void **state)
{
	sipc_loop *loop = new_loop(NULL, NULL);
	sipc_loop_io io;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	sipc__io_init(&io, p[0], on_one_byte, NULL);
	assert_int_equal(sipc__io_start(loop, &io, SIPC_LOOP_IN), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	calls = 0;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
		assert_int_equal(calls, i + 1);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(calls, 10);
	sipc__io_stop(loop, &io);
	close(p[0]);
	close(p[1]);
	sipc__loop_free(loop);
}

/* A socket whose peer has shut its side down, asked only for OUT while its
 * buffer is full: quiet (the kernel's RDHUP is not news to report on every
 * turn); OUT once the peer reads; and IN when asked (the end). */
static void test_rdhup_quiet(void **state)
{
	sipc_loop *loop = new_loop(NULL, NULL);
	sipc_loop_io io;
	char buf[65536];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	memset(buf, 'z', sizeof(buf));
	while (write(sv[0], buf, sizeof(buf)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	calls = 0;
	sipc__io_init(&io, sv[0], on_count, NULL);
	assert_int_equal(sipc__io_start(loop, &io, SIPC_LOOP_OUT), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(calls, 0);
	while (read(sv[1], buf, sizeof(buf)) > 0)
		;
	for (int i = 0; i < 10 && calls == 0; i++)
		assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(last_ev, SIPC_LOOP_OUT);
	/* Still writable: reported again (level-triggered). */
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(sipc__io_start(loop, &io, SIPC_LOOP_IN), 0);
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(calls, 3);
	assert_int_equal(last_ev, SIPC_LOOP_IN);
	sipc__io_stop(loop, &io);
	close(sv[0]);
	close(sv[1]);
	sipc__loop_free(loop);
}

static volatile sig_atomic_t wakes;
static sipc_loop *sig_loop;

static void on_wake(sipc_loop *loop, void *arg)
{
	(void)loop;
	(void)arg;
	wakes++;
}

static void *waker(void *arg)
{
	usleep(50 * 1000);
	sipc__loop_wake(arg);
	return NULL;
}

static void on_sigusr2(int sig)
{
	(void)sig;
	sipc__loop_wake(sig_loop);
}

static void *signaller(void *arg)
{
	usleep(50 * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

/* The wake from another thread, and from a signal handler, ends a wait
 * with no limit; each reaches on_wake once. */
static void test_wake_thread_signal(void **state)
{
	sipc_loop *loop = new_loop(on_wake, NULL);
	struct sigaction sa = {0}, old;
	pthread_t t, self = pthread_self();
	int64_t start;

	(void)state;
	wakes = 0;
	assert_int_equal(pthread_create(&t, NULL, waker, loop), 0);
	start = sipc_test_now_ms();
	for (int i = 0; i < 10 && wakes == 0; i++)
		assert_int_equal(sipc__loop_run_once(loop, -1), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(wakes, 1);
	assert_true(sipc_test_now_ms() - start < sipc_test_ms(2000));

	sig_loop = loop;
	sa.sa_handler = on_sigusr2;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	assert_int_equal(pthread_create(&t, NULL, signaller, &self), 0);
	/* The signal interrupts the wait (a turn with nothing: -EINTR is
	 * not an error); the wake it wrote ends the next. */
	for (int i = 0; i < 10 && wakes == 1; i++)
		assert_int_equal(sipc__loop_run_once(loop, -1), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(wakes, 2);
	assert_int_equal(sigaction(SIGUSR2, &old, NULL), 0);
	sipc__loop_free(loop);
}

/* A loop made in one thread and run in another (the thread model): the
 * ring's single issuer is the thread that runs it. */
static void *run_there(void *arg)
{
	sipc_loop *loop = arg;

	sipc__loop_wake(loop);
	for (int i = 0; i < 10 && wakes == 0; i++)
		if (sipc__loop_run_once(loop, sipc_test_ms(1000)) < 0)
			return (void *)1;
	return NULL;
}

static void test_other_thread_runs(void **state)
{
	sipc_loop *loop = new_loop(on_wake, NULL);
	pthread_t t;
	void *rc;

	(void)state;
	wakes = 0;
	assert_int_equal(pthread_create(&t, NULL, run_there, loop), 0);
	assert_int_equal(pthread_join(t, &rc), 0);
	assert_null(rc);
	assert_int_equal(wakes, 1);
	sipc__loop_free(loop);
}

/* How many of two loops, both watching one listener for IN (| EXTRA),
 * hear of a connection: both polls are in the kernel before it comes. */
static int woke[2];

static void on_woke(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	(void)revents;
	woke[*(const int *)io->arg]++;
}

static int loops_woken(uint32_t extra)
{
	static const int ids[2] = {0, 1};
	sipc_loop *loop[2] = {new_loop(NULL, NULL), new_loop(NULL, NULL)};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(sa_family_t);
	sipc_loop_io io[2];
	int l, c, n = 0;

	/* An abstract name the kernel picks (autobind): nothing to clean up. */
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, len), 0);
	len = sizeof(sun);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sun, &len), 0);
	assert_int_equal(listen(l, 4), 0);
	woke[0] = woke[1] = 0;
	for (int i = 0; i < 2; i++) {
		sipc__io_init(&io[i], l, on_woke, (void *)&ids[i]);
		assert_int_equal(sipc__io_start(loop[i], &io[i], SIPC_LOOP_IN | extra), 0);
		assert_int_equal(sipc__loop_run_once(loop[i], 0), 0);
	}
	assert_int_equal(woke[0] + woke[1], 0);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sun, len), 0);
	/* The first to hear of it does so at once; the other gets 100 ms. */
	for (int t = 0; t < sipc_test_ms(2000) && woke[0] + woke[1] == 0; t++)
		for (int i = 0; i < 2; i++)
			assert_int_equal(sipc__loop_run_once(loop[i], 1), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sipc__loop_run_once(loop[i], 100), 0);
	for (int i = 0; i < 2; i++) {
		n += woke[i] > 0;
		sipc__io_stop(loop[i], &io[i]);
		sipc__loop_free(loop[i]);
	}
	close(c);
	close(l);
	return n;
}

static void test_exclusive_wakes_one(void **state)
{
	(void)state;
	assert_int_equal(loops_woken(SIPC_LOOP_EXCLUSIVE), 1);
	/* The control: without EXCLUSIVE both hear of it. */
	assert_int_equal(loops_woken(0), 2);
}

static void test_choose(void **state)
{
	char why[256];
	sipc_loop *loop;

	(void)state;
	assert_int_equal(sipc__loop_choose("uring", why, sizeof(why)), 0);
	assert_string_equal(sipc__loop_chosen(), "uring");
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	assert_string_equal(sipc__loop_backend_name(loop), "uring");
	sipc__loop_free(loop);
	assert_int_equal(sipc__loop_choose("kqueue", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "kqueue"));
	assert_int_equal(sipc__loop_choose(NULL, why, sizeof(why)), 0);
	assert_string_equal(sipc__loop_chosen(), "epoll");
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	assert_string_equal(sipc__loop_backend_name(loop), "epoll");
	sipc__loop_free(loop);
}

/* Received bytes, for the registered-descriptor cases. */
struct fx {
	sipc_loop_io io;
	size_t got;
};

static void fx_data(sipc_loop *loop, sipc_loop_io *io, const void *buf, ssize_t n)
{
	struct fx *f = io->arg;

	(void)loop;
	(void)buf;
	if (n > 0)
		f->got += (size_t)n;
}

/* NFX ios on a loop whose table has NFIXED entries (the wake is slot 0):
 * the first NFIXED - 1 are registered, the rest not, and every one
 * receives; each, stopped and closed, ends its file at once. */
static void fixed_case(unsigned nfixed, int nfx, bool receive)
{
	sipc_loop *loop;
	struct fx f[8];
	int sv[8][2];
	int64_t end = sipc_test_now_ms() + sipc_test_ms(5000);
	char buf[64];

	assert_true(nfx <= 8);
	sipc__loop_uring_set_nfixed(nfixed);
	loop = new_loop(NULL, NULL);
	sipc__loop_uring_set_nfixed(UINT32_MAX);
	for (int k = 0; k < nfx; k++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv[k]), 0);
		memset(&f[k], 0, sizeof(f[k]));
		sipc__io_init(&f[k].io, sv[k][0], on_count, &f[k]);
		assert_int_equal(sipc__io_start(loop, &f[k].io, receive ? 0 : SIPC_LOOP_OUT), 0);
		if (receive)
			assert_int_equal(sipc__io_recv_start(loop, &f[k].io, fx_data, 4096), 0);
	}
	/* Registered with the first turn; the requests after name them. */
	for (int t = 0; t < 3; t++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	for (int k = 0; k < nfx; k++)
		assert_int_equal(sipc__loop_uring_fixed(loop, &f[k].io), (unsigned)k + 1 < nfixed);
	if (receive) {
		for (int k = 0; k < nfx; k++)
			assert_int_equal(write(sv[k][1], "0123456789", 10), 10);
		for (int k = 0; k < nfx; k++)
			while (f[k].got < 10 && sipc_test_now_ms() < end)
				assert_int_equal(sipc__loop_run_once(loop, 10), 0);
		for (int k = 0; k < nfx; k++)
			assert_int_equal(f[k].got, 10);
	}
	for (int k = 0; k < nfx; k++) {
		sipc__io_stop(loop, &f[k].io);
		close(sv[k][0]);
		/* At once: not after a turn of the loop. */
		assert_int_equal(read(sv[k][1], buf, sizeof(buf)), 0);
		close(sv[k][1]);
	}
	sipc__loop_free(loop);
}

static void test_fixed_files(void **state)
{
	(void)state;
	fixed_case(4, 6, true);
	fixed_case(4, 6, false);
	fixed_case(0, 2, true);
	fixed_case(UINT32_MAX, 8, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_completion),
		cmocka_unit_test(test_thousand_ios),
		cmocka_unit_test(test_level_partial_read),
		cmocka_unit_test(test_rdhup_quiet),
		cmocka_unit_test(test_wake_thread_signal),
		cmocka_unit_test(test_other_thread_runs),
		cmocka_unit_test(test_exclusive_wakes_one),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_pri_confirmed_per_io),
		cmocka_unit_test(test_fixed_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
