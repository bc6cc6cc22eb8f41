/*
 * spin.h - the adaptive spin budget shared by the waits that spin before
 * they sleep: shm://'s blocking wait (transport/shm/conn.c) and the event
 * loop's busy-poll (src/loop).  A spin that caught the peer makes the
 * next spin as long as asked for; one that did not halves the budget, down
 * to a floor, where only one wait in SIPC__SPIN_PROBE spins, and that one
 * for the whole budget: a peer that is idle (or needs this CPU) then costs
 * little, and spinning is found to pay again as soon as the peer answers
 * within the budget.  The probe must be the whole budget: two sides of a
 * ping-pong that both shrank to a short spin would never catch each other,
 * since each answers only after the wake-up the other's sleep costs.  A
 * fixed budget (spin=USEC in a URL) does not adapt.
 */
#ifndef SIPC_SPIN_H
#define SIPC_SPIN_H

#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

/* The adaptive budget below which spinning only probes, microseconds. */
#define SIPC__SPIN_FLOOR 2
/* Adaptive spinning at its floor spins (the whole budget) one wait in
 * this many. */
#define SIPC__SPIN_PROBE 16
/* Spinning yields the CPU after this many empty passes: a peer waiting
 * for this CPU would otherwise get it only when the scheduler's slice
 * ends (milliseconds).  Alone on its CPU, a yield returns at once. */
#define SIPC__SPIN_YIELD_EVERY 32

struct sipc__spin {
	long max;       /* microseconds; 0 never spins */
	long cur;       /* adaptive: this wait's budget */
	unsigned skips; /* adaptive at its floor: waits since a spin */
	bool adaptive;
};

static inline int64_t sipc__spin_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline void sipc__spin_init(struct sipc__spin *s, long max, bool adaptive)
{
	s->max = max;
	s->cur = max;
	s->skips = 0;
	s->adaptive = adaptive;
}

/* This wait's budget in microseconds: 0 when it should not spin. */
static inline long sipc__spin_budget(struct sipc__spin *s)
{
	long budget = s->adaptive ? s->cur : s->max;

	if (budget <= 0)
		return 0;
	if (s->adaptive && budget <= SIPC__SPIN_FLOOR)
		return ++s->skips % SIPC__SPIN_PROBE == 0 ? s->max : 0;
	return budget;
}

/* After a spin: whether it caught what it waited for. */
static inline void sipc__spin_result(struct sipc__spin *s, bool caught)
{
	if (!s->adaptive)
		return;
	if (caught)
		s->cur = s->max;
	else
		s->cur = s->cur / 2 < SIPC__SPIN_FLOOR ? SIPC__SPIN_FLOOR : s->cur / 2;
}

/* Pass I of a spin loop: yields now and then (SIPC__SPIN_YIELD_EVERY). */
static inline void sipc__spin_pass(unsigned i)
{
	if (i % SIPC__SPIN_YIELD_EVERY == SIPC__SPIN_YIELD_EVERY - 1)
		sched_yield();
}

#endif /* SIPC_SPIN_H */
