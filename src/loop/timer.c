/*
 * timer.c - one-shot timers of the event loop, kept in a binary min-heap
 * ordered by deadline.  The loop asks the heap for its earliest deadline to
 * size the backend's wait, and pops what is due after each wait.
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <stdlib.h>

#include "sys/sys.h"

static bool before(const sipc_loop_timer *a, const sipc_loop_timer *b)
{
	return a->when < b->when;
}

static void place(struct sipc__timer_heap *h, size_t i, sipc_loop_timer *t)
{
	h->v[i] = t;
	t->heap_index = i;
}

static void sift_up(struct sipc__timer_heap *h, size_t i)
{
	sipc_loop_timer *t = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(t, h->v[parent]))
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void sift_down(struct sipc__timer_heap *h, size_t i)
{
	sipc_loop_timer *t = h->v[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const sipc_loop_timer *best = t;
		if (l < h->n && before(h->v[l], best)) {
			m = l;
			best = h->v[l];
		}
		if (r < h->n && before(h->v[r], best))
			m = r;
		if (m == i)
			break;
		place(h, i, h->v[m]);
		i = m;
	}
	place(h, i, t);
}

int sipc__theap_push(struct sipc__timer_heap *h, sipc_loop_timer *t)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		sipc_loop_timer **v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	place(h, h->n++, t);
	sift_up(h, h->n - 1);
	return 0;
}

void sipc__theap_remove(struct sipc__timer_heap *h, sipc_loop_timer *t)
{
	size_t i = t->heap_index;
	sipc_loop_timer *last = h->v[--h->n];

	t->heap_index = SIZE_MAX;
	if (i == h->n)
		return;
	place(h, i, last);
	/* The moved timer may belong above or below its new place. */
	if (i > 0 && before(last, h->v[(i - 1) / 2]))
		sift_up(h, i);
	else
		sift_down(h, i);
}

sipc_loop_timer *sipc__theap_top(const struct sipc__timer_heap *h)
{
	return h->n ? h->v[0] : NULL;
}

void sipc__theap_free(struct sipc__timer_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

int64_t sipc__loop_clock_ms(void)
{
	/* The library's monotonic clock: CLOCK_MONOTONIC, GetTickCount64. */
	return sipc__now_ms();
}

void sipc__timer_init(sipc_loop_timer *t, sipc_loop_timer_fn *cb, void *arg)
{
	t->when = 0;
	t->heap_index = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
}

bool sipc__timer_armed(const sipc_loop_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

int sipc__timer_start_at(sipc_loop *loop, sipc_loop_timer *t, int64_t when)
{
	if (sipc__timer_armed(t)) {
		/* Re-arming in place keeps the heap's slot: no allocation. */
		int64_t old = t->when;
		t->when = when;
		if (when < old)
			sift_up(&loop->timers, t->heap_index);
		else
			sift_down(&loop->timers, t->heap_index);
		return 0;
	}
	t->when = when;
	return sipc__theap_push(&loop->timers, t);
}

int sipc__timer_start(sipc_loop *loop, sipc_loop_timer *t, int64_t ms)
{
	return sipc__timer_start_at(loop, t, loop->now + (ms < 0 ? 0 : ms));
}

void sipc__timer_stop(sipc_loop *loop, sipc_loop_timer *t)
{
	if (sipc__timer_armed(t))
		sipc__theap_remove(&loop->timers, t);
}

size_t sipc__loop_timer_count(const sipc_loop *loop)
{
	return loop->timers.n;
}
