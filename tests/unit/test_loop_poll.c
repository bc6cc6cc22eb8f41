/*
 * test_loop_poll.c - what the poll(2) backend (backend_poll.c) does by
 * itself, and what every backend must do that the other loop tests do not
 * ask: the wake from a signal handler (async-signal-safe: the handler's
 * wake ends a wait the loop is blocked in); a flood of wakes that nobody
 * reads never blocks the waker and leaves the loop quiet once woken;
 * 1100 ios always ready, more than a batch (SIPC__LOOP_BATCH), each
 * reported within a few turns and none more than once a turn (the scan
 * starts where a full batch stopped); ios stopped and started from inside
 * the dispatch while the array swap-removes under them: a stopped io is
 * never called again, the others go on; and sipc__loop_choose("poll").
 * The cases run on poll, epoll and uring.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loop/loop_impl.h"

static const struct sipc__loop_backend *be = &sipc__loop_backend_poll;

static sipc_loop *new_loop(sipc_loop_wake_fn *on_wake, void *arg)
{
	sipc_loop *loop;

	assert_int_equal(sipc__loop_new_on(&loop, be, on_wake, arg), 0);
	assert_string_equal(sipc__loop_backend_name(loop), be->name);
	return loop;
}

/* ---- the wake from a signal handler ---- */

static sipc_loop *sig_loop;
static volatile sig_atomic_t sig_seen;
static int woken;

static void on_sig(int sig)
{
	(void)sig;
	sig_seen = 1;
	sipc__loop_wake(sig_loop);
}

static void on_wake_stop(sipc_loop *loop, void *arg)
{
	(void)arg;
	woken++;
	sipc__loop_stop(loop);
}

static void on_guard(sipc_loop *loop, sipc_loop_timer *t)
{
	int *fired = t->arg;

	*fired = 1;
	sipc__loop_stop(loop);
}

struct kicker {
	pthread_t target;
	int ms;
};

/* Signals the loop's thread once it is (very likely) in its wait; the
 * test does not count on that: a signal before the wait still wakes. */
static void *kick(void *arg)
{
	struct kicker *k = arg;

	usleep((useconds_t)k->ms * 1000);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static void test_wake_from_signal(void **state)
{
	struct sigaction sa, old;
	struct kicker k = {pthread_self(), 30};
	sipc_loop_timer guard;
	pthread_t th;
	int fired = 0;

	(void)state;
	woken = 0;
	sig_seen = 0;
	sig_loop = new_loop(on_wake_stop, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* the wait must end by the wake, not EINTR */
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	/* A guard so a broken wake fails the test instead of hanging it. */
	sipc__timer_init(&guard, on_guard, &fired);
	assert_int_equal(sipc__timer_start(sig_loop, &guard, sipc_test_ms(5000)), 0);
	assert_int_equal(pthread_create(&th, NULL, kick, &k), 0);
	assert_int_equal(sipc__loop_run(sig_loop), 0);
	pthread_join(th, NULL);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(sig_seen, 1);
	assert_int_equal(fired, 0);
	assert_int_equal(woken, 1);
	sipc__timer_stop(sig_loop, &guard);
	sipc__loop_free(sig_loop);
	sig_loop = NULL;
}

static void on_wake_count(sipc_loop *loop, void *arg)
{
	(void)loop;
	(void)arg;
	woken++;
}

/* 100000 wakes with nobody reading: the waker never blocks (the pair is
 * non-blocking; full means a wake is pending), the loop is woken, and
 * within a few turns it is quiet again (what the wakes wrote is read). */
static void test_wake_flood(void **state)
{
	sipc_loop *loop;
	int64_t t0;
	int turns = 0;

	(void)state;
	woken = 0;
	loop = new_loop(on_wake_count, NULL);
	t0 = sipc_test_now_ms();
	for (int i = 0; i < 100000; i++)
		sipc__loop_wake(loop);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(5000));
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_true(woken >= 1);
	/* Quiet within a bounded number of turns: no wake left behind. */
	for (turns = 0; turns < 100; turns++) {
		int before = woken;

		assert_int_equal(sipc__loop_run_once(loop, 0), 0);
		if (woken == before)
			break;
	}
	assert_true(turns < 100);
	assert_int_equal(loop->be->poll(loop, 0), 0);
	/* And a wake after that is told again. */
	woken = 0;
	sipc__loop_wake(loop);
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(woken, 1);
	sipc__loop_free(loop);
}

/* ---- many ios, a batch's worth and more ---- */

#define NIOS 1100

struct many {
	sipc_loop_io io[NIOS];
	int fds[NIOS][2];
	int calls[NIOS];
	int turn_calls[NIOS]; /* calls this turn */
	bool stopped[NIOS];
	bool churn; /* callbacks stop others (and themselves) */
	int bad;    /* calls of a stopped io, or twice in a turn */
	sipc_loop_io extra;
	int extra_fd[2];
	int extra_calls;
};

static struct many *mg;

static void on_extra(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	(void)loop;
	(void)io;
	(void)revents;
	mg->extra_calls++;
}

static void on_many(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	int i = (int)(io - mg->io);

	assert_true(revents & SIPC_LOOP_IN);
	if (mg->stopped[i] || mg->turn_calls[i]++ > 0)
		mg->bad++;
	mg->calls[i]++;
	if (!mg->churn || i % 3 != 0)
		return;
	/* Stop two others (one near, one far: the swap-remove moves the
	 * array's last entries into their places) and, every ninth, this
	 * one; once, start a new io in the middle of the dispatch. */
	for (int k = 0; k < 2; k++) {
		int j = k == 0 ? (i + 1) % NIOS : NIOS - 1 - i;

		if (!mg->stopped[j] && j != i) {
			sipc__io_stop(loop, &mg->io[j]);
			mg->stopped[j] = true;
		}
	}
	if (i % 9 == 0) {
		sipc__io_stop(loop, io);
		mg->stopped[i] = true;
	}
	if (!mg->extra.active)
		assert_int_equal(sipc__io_start(loop, &mg->extra, SIPC_LOOP_IN), 0);
}

/* One turn: 0 < callbacks <= SIPC__LOOP_BATCH, none twice. */
static int one_turn(sipc_loop *loop)
{
	int n = 0;

	memset(mg->turn_calls, 0, sizeof(mg->turn_calls));
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	for (int i = 0; i < NIOS; i++)
		n += mg->turn_calls[i];
	assert_true(n <= SIPC__LOOP_BATCH);
	return n;
}

static void test_many_ready(void **state)
{
	struct rlimit rl;
	sipc_loop *loop;
	int live = 0, turns;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * NIOS + 64) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		if (rl.rlim_cur < 2 * NIOS + 64)
			skip(); /* not enough descriptors allowed here */
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	mg = calloc(1, sizeof(*mg));
	assert_non_null(mg);
	loop = new_loop(NULL, NULL);
	for (int i = 0; i < NIOS; i++) {
		assert_int_equal(pipe2(mg->fds[i], O_CLOEXEC | O_NONBLOCK), 0);
		assert_int_equal(write(mg->fds[i][1], "x", 1), 1);
		sipc__io_init(&mg->io[i], mg->fds[i][0], on_many, NULL);
		assert_int_equal(sipc__io_start(loop, &mg->io[i], SIPC_LOOP_IN), 0);
	}
	assert_int_equal(pipe2(mg->extra_fd, O_CLOEXEC | O_NONBLOCK), 0);
	sipc__io_init(&mg->extra, mg->extra_fd[0], on_extra, NULL);
	assert_int_equal(sipc__loop_io_count(loop), NIOS);

	/* All ready, all the time (level-triggered, never read): every one
	 * is told within a few turns more than NIOS / BATCH, never twice in
	 * a turn; a full batch each turn. */
	for (turns = 0; turns < 2 * (NIOS / SIPC__LOOP_BATCH + 2); turns++) {
		bool all = true;

		assert_true(one_turn(loop) > 0);
		for (int i = 0; i < NIOS && all; i++)
			all = mg->calls[i] > 0;
		if (all)
			break;
	}
	assert_true(turns < 2 * (NIOS / SIPC__LOOP_BATCH + 2));
	assert_int_equal(mg->bad, 0);

	/* Churn: callbacks stop others and themselves while the batch is
	 * dispatched, and start an io.  A stopped io is never called again;
	 * every live one still is, within a few turns. */
	mg->churn = true;
	for (int t = 0; t < 8; t++)
		one_turn(loop);
	mg->churn = false;
	assert_int_equal(mg->bad, 0);
	memset(mg->calls, 0, sizeof(mg->calls));
	for (int i = 0; i < NIOS; i++)
		live += !mg->stopped[i];
	assert_true(live > 0 && live < NIOS);
	assert_int_equal(sipc__loop_io_count(loop), (size_t)live + 1); /* + extra */
	for (turns = 0; turns < 2 * (NIOS / SIPC__LOOP_BATCH + 2); turns++) {
		bool all = true;

		one_turn(loop);
		for (int i = 0; i < NIOS && all; i++)
			all = mg->stopped[i] || mg->calls[i] > 0;
		if (all)
			break;
	}
	assert_true(turns < 2 * (NIOS / SIPC__LOOP_BATCH + 2));
	assert_int_equal(mg->bad, 0);
	/* The io started in the dispatch is watched: told once written. */
	assert_int_equal(mg->extra_calls, 0);
	assert_int_equal(write(mg->extra_fd[1], "y", 1), 1);
	for (int t = 0; t < 20 && mg->extra_calls == 0; t++)
		one_turn(loop);
	assert_true(mg->extra_calls > 0);

	/* Read everything: quiet. */
	for (int i = 0; i < NIOS; i++) {
		char c;

		if (!mg->stopped[i])
			assert_int_equal(read(mg->fds[i][0], &c, 1), 1);
	}
	{
		char c;

		assert_int_equal(read(mg->extra_fd[0], &c, 1), 1);
	}
	/* Quiet: at once on poll and epoll, which look at the descriptors
	 * each turn; io_uring may still hand over completions posted before
	 * the reads (a batch's worth a turn), then nothing. */
	for (turns = 0; turns < 2 * (NIOS / SIPC__LOOP_BATCH + 2); turns++)
		if (one_turn(loop) == 0)
			break;
	assert_true(turns < 2 * (NIOS / SIPC__LOOP_BATCH + 2));
	if (be != &sipc__loop_backend_uring)
		assert_int_equal(turns, 0);
	memset(mg->calls, 0, sizeof(mg->calls));
	mg->extra_calls = 0;
	assert_int_equal(one_turn(loop), 0);
	assert_int_equal(mg->extra_calls, 0);

	sipc__io_stop(loop, &mg->extra);
	for (int i = 0; i < NIOS; i++) {
		sipc__io_stop(loop, &mg->io[i]);
		close(mg->fds[i][0]);
		close(mg->fds[i][1]);
	}
	close(mg->extra_fd[0]);
	close(mg->extra_fd[1]);
	assert_int_equal(sipc__loop_io_count(loop), 0);
	sipc__loop_free(loop);
	free(mg);
	mg = NULL;
}

/* ---- the chooser ---- */

static void test_choose_poll(void **state)
{
	char why[256];
	sipc_loop *loop;

	(void)state;
	assert_int_equal(sipc__loop_choose("poll", why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_string_equal(sipc__loop_chosen(), "poll");
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	assert_string_equal(sipc__loop_backend_name(loop), "poll");
	sipc__loop_free(loop);
	/* An unknown name lists the known ones, and changes nothing. */
	assert_int_equal(sipc__loop_choose("kqueue", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "unknown backend 'kqueue' (epoll, uring or poll)");
	assert_string_equal(sipc__loop_chosen(), "poll");
	/* io_uring's other name still works; none at all is the default. */
	if (sipc__loop_choose("io_uring", why, sizeof(why)) == 0)
		assert_string_equal(sipc__loop_chosen(), "uring");
	assert_int_equal(sipc__loop_choose("", why, sizeof(why)), 0);
	assert_string_equal(sipc__loop_chosen(), "epoll");
	assert_int_equal(sipc__loop_choose("poll", NULL, 0), 0);
	assert_int_equal(sipc__loop_choose(NULL, NULL, 0), 0);
	assert_string_equal(sipc__loop_chosen(), "epoll");
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
		cmocka_unit_test(test_wake_from_signal),
		cmocka_unit_test(test_wake_flood),
		cmocka_unit_test(test_many_ready),
	};
	const struct CMUnitTest choose[] = {cmocka_unit_test(test_choose_poll)};
	int rc = cmocka_run_group_tests_name("poll", tests, on_poll, NULL);

	rc |= cmocka_run_group_tests_name("epoll", tests, on_epoll, NULL);
	rc |= cmocka_run_group_tests_name("uring", tests, on_uring, NULL);
	return rc | cmocka_run_group_tests_name("choose", choose, NULL, NULL);
}
