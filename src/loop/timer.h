/*
 * timer.h - the binary min-heap of timers behind sipc__timer_*.  Private to
 * src/loop: users arm timers through loop.h.  Each timer remembers its
 * index in the heap so that stopping or re-arming one is O(log n) without
 * a search.
 */
#ifndef SIPC_LOOP_TIMER_H
#define SIPC_LOOP_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "loop/loop.h"

struct sipc__timer_heap {
	sipc_loop_timer **v;
	size_t n;
	size_t cap;
};

/* Inserts T (not armed) keyed by T->when; 0 or -ENOMEM. */
int sipc__theap_push(struct sipc__timer_heap *h, sipc_loop_timer *t);
/* Removes T (armed in H). */
void sipc__theap_remove(struct sipc__timer_heap *h, sipc_loop_timer *t);
/* The earliest timer, or NULL. */
sipc_loop_timer *sipc__theap_top(const struct sipc__timer_heap *h);
void sipc__theap_free(struct sipc__timer_heap *h);

#endif /* SIPC_LOOP_TIMER_H */
