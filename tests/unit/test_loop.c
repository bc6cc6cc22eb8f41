/*
 * test_loop.c - the event loop of src/loop: timers fire in deadline order
 * and not early, re-arming and stopping work, an io stopped by another
 * callback of the same batch is not dispatched, and a wake from another
 * thread reaches the loop's callback.
 */
#include "support.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop/loop.h"

struct rec {
	int order[16];
	int n;
};

static void on_rec(sipc_loop *loop, sipc_loop_timer *t)
{
	struct rec *r = t->arg;
	(void)loop;
	r->order[r->n++] = (int)(t->when % 1000000);
}

static void test_timer_order(void **state)
{
	sipc_loop *loop;
	sipc_loop_timer t[5];
	struct rec r = {0};
	int64_t delays[5] = {40, 10, 30, 0, 20};

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	for (int i = 0; i < 5; i++) {
		sipc__timer_init(&t[i], on_rec, &r);
		assert_int_equal(sipc__timer_start(loop, &t[i], delays[i]), 0);
	}
	assert_int_equal(sipc__loop_timer_count(loop), 5);
	int64_t start = sipc__loop_now(loop);
	for (int turns = 0; r.n < 5 && turns < 100; turns++)
		assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(r.n, 5);
	for (int i = 1; i < 5; i++)
		assert_true(r.order[i - 1] <= r.order[i]);
	/* The last deadline (40 ms) cannot have fired early. */
	assert_true(sipc__loop_now(loop) - start >= 40);
	assert_int_equal(sipc__loop_timer_count(loop), 0);
	sipc__loop_free(loop);
}

static int fired;
static void on_fire(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)loop;
	(void)t;
	fired++;
}

static void test_timer_stop_rearm(void **state)
{
	sipc_loop *loop;
	sipc_loop_timer a, b, c;

	(void)state;
	fired = 0;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sipc__timer_init(&a, on_fire, NULL);
	sipc__timer_init(&b, on_fire, NULL);
	sipc__timer_init(&c, on_fire, NULL);
	sipc__timer_start(loop, &a, 5);
	sipc__timer_start(loop, &b, 5);
	sipc__timer_start(loop, &c, 5);
	sipc__timer_stop(loop, &b);
	sipc__timer_stop(loop, &b); /* twice is harmless */
	assert_false(sipc__timer_armed(&b));
	/* Re-arming an armed timer moves it; it still fires once. */
	sipc__timer_start(loop, &c, 10000);
	sipc__timer_start(loop, &c, 15);
	assert_int_equal(sipc__loop_timer_count(loop), 2);
	for (int turns = 0; fired < 2 && turns < 100; turns++)
		sipc__loop_run_once(loop, sipc_test_ms(1000));
	assert_int_equal(fired, 2);
	assert_int_equal(sipc__loop_timer_count(loop), 0);
	/* Many timers in random order come out sorted (heap property). */
	sipc_loop_timer many[300];
	for (int i = 0; i < 300; i++) {
		sipc__timer_init(&many[i], on_fire, NULL);
		sipc__timer_start_at(loop, &many[i], 1000000 + (i * 7919) % 300);
	}
	for (int i = 0; i < 300; i += 3)
		sipc__timer_stop(loop, &many[i]);
	int64_t last = -1;
	size_t left = sipc__loop_timer_count(loop);
	assert_int_equal(left, 200);
	/* Stop the earliest repeatedly: each must not precede the last. */
	for (size_t k = 0; k < left; k++) {
		sipc_loop_timer *best = NULL;
		for (int i = 0; i < 300; i++)
			if (sipc__timer_armed(&many[i]) &&
			    (best == NULL || many[i].when < best->when))
				best = &many[i];
		assert_non_null(best);
		assert_true(best->when >= last);
		/* Deadlines are distinct, so the earliest is the heap's top. */
		assert_int_equal(best->heap_index, 0);
		last = best->when;
		sipc__timer_stop(loop, best);
	}
	assert_int_equal(sipc__loop_timer_count(loop), 0);
	sipc__loop_free(loop);
}

/* Two ios ready in one batch; the first callback stops and "frees" the
 * second, which must then not be called. */
struct pair {
	sipc_loop_io io[2];
	int calls[2];
	int fds[2][2];
};

static void on_pair(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct pair *p = io->arg;
	int me = io == &p->io[0] ? 0 : 1;

	(void)revents;
	p->calls[me]++;
	sipc__io_stop(loop, &p->io[1 - me]);
	sipc__io_stop(loop, io);
}

static void test_io_stop_in_batch(void **state)
{
	sipc_loop *loop;
	struct pair p = {0};

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pipe(p.fds[i]), 0);
		assert_int_equal(write(p.fds[i][1], "x", 1), 1);
		sipc__io_init(&p.io[i], p.fds[i][0], on_pair, &p);
		assert_int_equal(sipc__io_start(loop, &p.io[i], EPOLLIN), 0);
	}
	assert_int_equal(sipc__loop_io_count(loop), 2);
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	assert_int_equal(sipc__loop_io_count(loop), 0);
	/* Changing events of a started io, and exclusive re-adds. */
	assert_int_equal(sipc__io_start(loop, &p.io[0], EPOLLIN), 0);
	assert_int_equal(sipc__io_start(loop, &p.io[0], EPOLLIN | EPOLLEXCLUSIVE), 0);
	assert_int_equal(sipc__io_start(loop, &p.io[0], EPOLLIN), 0);
	assert_int_equal(sipc__loop_io_count(loop), 1);
	sipc__io_stop(loop, &p.io[0]);
	for (int i = 0; i < 2; i++) {
		close(p.fds[i][0]);
		close(p.fds[i][1]);
	}
	sipc__loop_free(loop);
}

static int woken;
static void on_wake(sipc_loop *loop, void *arg)
{
	(void)arg;
	woken++;
	sipc__loop_stop(loop);
}

static void *waker(void *arg)
{
	usleep(20000);
	sipc__loop_wake(arg);
	return NULL;
}

static void on_guard(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)t;
	sipc__loop_stop(loop);
}

static void test_wake_from_thread(void **state)
{
	sipc_loop *loop;
	pthread_t th;
	sipc_loop_timer guard;

	(void)state;
	woken = 0;
	assert_int_equal(sipc__loop_new(&loop, on_wake, NULL), 0);
	/* A guard so a broken wake fails the test instead of hanging it. */
	sipc__timer_init(&guard, on_guard, NULL);
	sipc__timer_start(loop, &guard, sipc_test_ms(5000));
	assert_int_equal(pthread_create(&th, NULL, waker, loop), 0);
	assert_int_equal(sipc__loop_run(loop), 0);
	pthread_join(th, NULL);
	assert_int_equal(woken, 1);
	assert_true(sipc__timer_armed(&guard));
	/* Several wakes before a turn coalesce into one callback. */
	sipc__loop_wake(loop);
	sipc__loop_wake(loop);
	sipc__loop_wake(loop);
	assert_int_equal(sipc__loop_run(loop), 0);
	assert_int_equal(woken, 2);
	/* A stop asked before run makes run return at once. */
	sipc__loop_stop(loop);
	assert_int_equal(sipc__loop_run(loop), 0);
	assert_int_equal(woken, 2);
	sipc__timer_stop(loop, &guard);
	sipc__loop_free(loop);
}

/* A timer that re-arms itself for "now" runs once per turn, not forever. */
static int spins;
static void on_spin(sipc_loop *loop, sipc_loop_timer *t)
{
	spins++;
	sipc__timer_start(loop, t, 0);
}

static void test_timer_no_spin(void **state)
{
	sipc_loop *loop;
	sipc_loop_timer t;

	(void)state;
	spins = 0;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sipc__timer_init(&t, on_spin, NULL);
	sipc__timer_start(loop, &t, 0);
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(spins, 1);
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(spins, 2);
	sipc__timer_stop(loop, &t);
	sipc__loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),      cmocka_unit_test(test_timer_stop_rearm),
		cmocka_unit_test(test_io_stop_in_batch), cmocka_unit_test(test_wake_from_thread),
		cmocka_unit_test(test_timer_no_spin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
