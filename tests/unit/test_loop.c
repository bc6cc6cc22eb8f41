/*
 * test_loop.c - the event loop of src/loop: timers fire in deadline order
 * and not early, re-arming and stopping work, an io stopped by another
 * callback of the same batch is not dispatched, a wake from another
 * thread reaches the loop's callback, and the busy-poll: an io that
 * spins is dispatched from memory without its descriptor, armed before the
 * loop sleeps, never starves the kernel's events or the timers, and leaves
 * the loop when it is stopped; and spin.h's adaptive budget.
 */
#include "support.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop/loop.h"
#include "sockipc.h"
#include "spin.h"

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
		assert_int_equal(sipc__io_start(loop, &p.io[i], SIPC_LOOP_IN), 0);
	}
	assert_int_equal(sipc__loop_io_count(loop), 2);
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(1000)), 0);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	assert_int_equal(sipc__loop_io_count(loop), 0);
	/* Changing events of a started io, and exclusive re-adds. */
	assert_int_equal(sipc__io_start(loop, &p.io[0], SIPC_LOOP_IN), 0);
	assert_int_equal(sipc__io_start(loop, &p.io[0], SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE), 0);
	assert_int_equal(sipc__io_start(loop, &p.io[0], SIPC_LOOP_IN), 0);
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

/* ---- busy-polling ---- */

/* A spinning io whose "ring" is a flag in memory, and a pipe whose read
 * end the loop watches (the "wake-up socket"). */
struct spinner {
	sipc_loop_io io;
	int pfd[2];
	uint32_t ready_ev; /* what ready() says */
	uint32_t sleep_ev; /* what sleep() says (after arming) */
	bool arm_writes;   /* sleep() writes a byte: the peer's wake-up */
	int readies, sleeps, calls;
	uint32_t last;
	struct spinner *victim; /* its callback stops this one */
	sipc_loop *loop;
};

static uint32_t sp_ready(sipc_loop_io *io)
{
	struct spinner *s = io->arg;

	s->readies++;
	return s->ready_ev;
}

static uint32_t sp_sleep(sipc_loop_io *io)
{
	struct spinner *s = io->arg;

	s->sleeps++;
	if (s->arm_writes)
		assert_int_equal(write(s->pfd[1], "w", 1), 1);
	return s->sleep_ev;
}

static void sp_cb(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct spinner *s = io->arg;

	s->calls++;
	s->last = revents;
	if (s->victim != NULL)
		sipc__io_stop(loop, &s->victim->io);
}

static void sp_open(sipc_loop *loop, struct spinner *s, long us)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(pipe(s->pfd), 0);
	s->loop = loop;
	sipc__io_init(&s->io, s->pfd[0], sp_cb, s);
	assert_int_equal(sipc__io_start(loop, &s->io, SIPC_LOOP_IN), 0);
	sipc__io_spin(loop, &s->io, sp_ready, sp_sleep, us);
}

static void sp_close(sipc_loop *loop, struct spinner *s)
{
	sipc__io_stop(loop, &s->io);
	close(s->pfd[0]);
	close(s->pfd[1]);
}

/* Caught in memory: dispatched with ready()'s events, the descriptor never
 * readable, and never armed (no sleep). */
static void test_spin_catches(void **state)
{
	sipc_loop *loop;
	struct spinner s;

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sp_open(loop, &s, 50);
	assert_int_equal(sipc__loop_spin_count(loop), 1);
	s.ready_ev = SIPC_LOOP_IN | SIPC_LOOP_OUT;
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(5000)), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last, SIPC_LOOP_IN | SIPC_LOOP_OUT);
	assert_int_equal(s.sleeps, 0);
	sp_close(loop, &s);
	assert_int_equal(sipc__loop_spin_count(loop), 0);
	sipc__loop_free(loop);
}

/* Nothing in memory: the loop arms (sleep()) before it waits, and the
 * wake-up that arming brings is what dispatches the io, from the kernel;
 * or sleep() finds the io ready after arming, and the loop does not wait. */
static void test_spin_arms_before_sleep(void **state)
{
	sipc_loop *loop;
	struct spinner s;

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sp_open(loop, &s, 20);
	s.arm_writes = true;
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(5000)), 0);
	assert_int_equal(s.sleeps, 1);
	assert_true(s.readies >= 1);
	assert_int_equal(s.calls, 1);
	assert_true(s.last & SIPC_LOOP_IN);
	/* Ready once armed: dispatched with sleep()'s events, not epoll's. */
	char b;
	assert_int_equal(read(s.pfd[0], &b, 1), 1);
	s.arm_writes = false;
	s.sleep_ev = SIPC_LOOP_OUT;
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(5000)), 0);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.last, SIPC_LOOP_OUT);
	/* Not spinning any more (us 0): no hook is called, the loop only
	 * waits on the descriptor. */
	sipc__io_spin(loop, &s.io, sp_ready, sp_sleep, 0);
	assert_int_equal(sipc__loop_spin_count(loop), 0);
	int r = s.readies, z = s.sleeps;
	assert_int_equal(sipc__loop_run_once(loop, 0), 0);
	assert_int_equal(s.readies, r);
	assert_int_equal(s.sleeps, z);
	sp_close(loop, &s);
	sipc__loop_free(loop);
}

/* An io that is always ready does not starve the kernel's events: another
 * descriptor that is readable is served within SIPC__LOOP_SPIN_FAIR turns. */
static void test_spin_fair(void **state)
{
	sipc_loop *loop;
	struct spinner hot, other;
	int turns;

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sp_open(loop, &hot, SIPC_SPIN_ALWAYS);
	hot.ready_ev = SIPC_LOOP_IN;
	sp_open(loop, &other, 0); /* not spinning: the kernel tells */
	assert_int_equal(sipc__loop_spin_count(loop), 1);
	/* A streak of catches first, then the other descriptor's byte. */
	for (turns = 0; turns < 3; turns++)
		assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(5000)), 0);
	assert_int_equal(write(other.pfd[1], "x", 1), 1);
	for (turns = 0; other.calls == 0 && turns < 2 * 8 + 2; turns++)
		assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(5000)), 0);
	assert_int_equal(other.calls, 1);
	assert_true(hot.calls >= 3);
	sp_close(loop, &hot);
	sp_close(loop, &other);
	sipc__loop_free(loop);
}

/* A descriptor that becomes readable while the loop spins is served
 * during the spin, not after the budget: here the budget is 10 s and the
 * byte comes at the spin's first look at memory; a loop that waited for
 * the budget to run out would arm (sleep()) first. */
static struct spinner *poke;
static uint32_t sp_ready_poke(sipc_loop_io *io)
{
	struct spinner *s = io->arg;

	if (s->readies++ == 0)
		assert_int_equal(write(poke->pfd[1], "x", 1), 1);
	return 0;
}

static void test_spin_sees_kernel(void **state)
{
	sipc_loop *loop;
	struct spinner idle, other;

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sp_open(loop, &idle, 10 * 1000 * 1000);
	sp_open(loop, &other, 0);
	poke = &other;
	sipc__io_spin(loop, &idle.io, sp_ready_poke, sp_sleep, 10 * 1000 * 1000);
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(20000)), 0);
	assert_int_equal(other.calls, 1);
	assert_true(other.last & SIPC_LOOP_IN);
	assert_int_equal(idle.sleeps, 0);
	assert_int_equal(idle.calls, 0);
	sp_close(loop, &idle);
	sp_close(loop, &other);
	sipc__loop_free(loop);
}

static void on_stop(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)t;
	fired++;
	sipc__loop_stop(loop);
}

/* Busy-polling for good (SIPC_SPIN_ALWAYS) with nothing ever ready still
 * runs the timers: the loop stops from one, not from a test timeout. */
static void test_spin_always_timers(void **state)
{
	sipc_loop *loop;
	sipc_loop_timer t;
	struct spinner s;

	(void)state;
	fired = 0;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sp_open(loop, &s, SIPC_SPIN_ALWAYS);
	sipc__timer_init(&t, on_stop, NULL);
	assert_int_equal(sipc__timer_start(loop, &t, 20), 0);
	assert_int_equal(sipc__loop_run(loop), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(s.calls, 0);
	/* It spun (many looks at memory) and never slept (never armed). */
	assert_true(s.readies > 100);
	assert_int_equal(s.sleeps, 0);
	sp_close(loop, &s);
	sipc__loop_free(loop);
}

/* A callback that stops another spinning io caught in the same pass: that
 * io is neither dispatched nor looked at again. */
static void test_spin_stop_in_batch(void **state)
{
	sipc_loop *loop;
	struct spinner a, b;

	(void)state;
	assert_int_equal(sipc__loop_new(&loop, NULL, NULL), 0);
	sp_open(loop, &a, 50);
	sp_open(loop, &b, 50);
	a.ready_ev = SIPC_LOOP_IN;
	b.ready_ev = SIPC_LOOP_IN;
	/* Both are caught in one pass; whichever runs first stops the other. */
	a.victim = &b;
	b.victim = &a;
	assert_int_equal(sipc__loop_run_once(loop, sipc_test_ms(5000)), 0);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(sipc__loop_spin_count(loop), 1); /* the one that ran */
	assert_false((a.calls ? &b : &a)->io.active);
	sp_close(loop, &a);
	sp_close(loop, &b);
	sipc__loop_free(loop);
}

/* spin.h: a miss halves the budget down to the floor, where only one wait
 * in SIPC__SPIN_PROBE spins, for the whole budget; a catch restores it.  A
 * fixed budget never moves. */
static void test_spin_budget(void **state)
{
	struct sipc__spin s;
	int spun = 0;

	(void)state;
	sipc__spin_init(&s, 50, true);
	assert_int_equal(sipc__spin_budget(&s), 50);
	sipc__spin_result(&s, false);
	assert_int_equal(sipc__spin_budget(&s), 25);
	for (int i = 0; i < 10; i++)
		sipc__spin_result(&s, false);
	for (int i = 0; i < SIPC__SPIN_PROBE; i++) {
		long b = sipc__spin_budget(&s);
		assert_true(b == 0 || b == 50);
		spun += b == 50;
	}
	assert_int_equal(spun, 1);
	sipc__spin_result(&s, true);
	assert_int_equal(sipc__spin_budget(&s), 50);
	sipc__spin_init(&s, 30, false);
	sipc__spin_result(&s, false);
	assert_int_equal(sipc__spin_budget(&s), 30);
	sipc__spin_init(&s, 0, true);
	assert_int_equal(sipc__spin_budget(&s), 0);
}

static int on_uring(void **state)
{
	char why[256];

	(void)state;
	return sipc__loop_choose("uring", why, sizeof(why)) == 0 ? 0 : -1;
}

static int on_epoll(void **state)
{
	(void)state;
	return sipc__loop_choose("epoll", NULL, 0);
}

static int on_poll(void **state)
{
	(void)state;
	return sipc__loop_choose("poll", NULL, 0);
}

/* Every case runs on every backend (sipc__loop_choose). */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_stop_rearm),
		cmocka_unit_test(test_io_stop_in_batch),
		cmocka_unit_test(test_wake_from_thread),
		cmocka_unit_test(test_timer_no_spin),
		cmocka_unit_test(test_spin_catches),
		cmocka_unit_test(test_spin_arms_before_sleep),
		cmocka_unit_test(test_spin_fair),
		cmocka_unit_test(test_spin_always_timers),
		cmocka_unit_test(test_spin_stop_in_batch),
		cmocka_unit_test(test_spin_budget),
		cmocka_unit_test(test_spin_sees_kernel),
	};
	int rc = cmocka_run_group_tests_name("epoll", tests, on_epoll, NULL);

	rc |= cmocka_run_group_tests_name("uring", tests, on_uring, on_epoll);
	return rc | cmocka_run_group_tests_name("poll", tests, on_poll, on_epoll);
}
