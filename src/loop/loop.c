/*
 * loop.c - the event loop itself, whatever its backend (loop_impl.h): the
 * turn that waits for descriptors until the next timer is due and
 * dispatches both, the io's bookkeeping around the backend's add, modify
 * and del, the wake's way to the wake callback, and the busy-poll that
 * spins on memory-backed connections (shm://) before the turn sleeps.
 * The API and its rules are described in loop.h.
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sockipc.h"

void sipc__loop_woken(sipc_loop *loop)
{
	if (loop->on_wake != NULL)
		loop->on_wake(loop, loop->wake_arg);
}

static void on_wakefd(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	uint64_t v;

	(void)revents;
	/* Reading resets the eventfd counter: many wakes become one call. */
	while (read(io->fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	sipc__loop_woken(loop);
}

int sipc__wakefd_open(sipc_loop_io *io)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	sipc__io_init(io, fd, on_wakefd, NULL);
	return fd;
}

void sipc__wakefd_write(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	/* EAGAIN means the counter is already non-zero: a wake is pending. */
	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

int sipc__loop_new_on(sipc_loop **loopp, const struct sipc__loop_backend *be,
		      sipc_loop_wake_fn *on_wake, void *wake_arg)
{
	sipc_loop *loop;
	int err;

	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return -ENOMEM;
	loop->be = be;
	loop->on_wake = on_wake;
	loop->wake_arg = wake_arg;
	loop->now = sipc__loop_clock_ms();
	err = be->open(loop);
	if (err < 0) {
		free(loop);
		return err;
	}
	*loopp = loop;
	return 0;
}

/* The process's choice (sipc__loop_choose); set before threads make loops. */
static const struct sipc__loop_backend *chosen = &sipc__loop_backend_epoll;

int sipc__loop_choose(const char *name, char *why, size_t n)
{
	if (why != NULL && n > 0)
		why[0] = '\0';
	if (name == NULL || name[0] == '\0' || strcmp(name, "epoll") == 0) {
		chosen = &sipc__loop_backend_epoll;
		return 0;
	}
	if (strcmp(name, "uring") == 0 || strcmp(name, "io_uring") == 0) {
		char buf[256];

		if (sipc__loop_uring_probe(buf, sizeof(buf)) < 0) {
			if (why != NULL)
				snprintf(why, n, "%s", buf);
			chosen = &sipc__loop_backend_epoll;
			return 1;
		}
		chosen = &sipc__loop_backend_uring;
		return 0;
	}
	if (why != NULL)
		snprintf(why, n, "unknown backend '%s' (epoll or uring)", name);
	return -EINVAL;
}

const char *sipc__loop_chosen(void)
{
	return chosen->name;
}

const char *sipc__loop_backend_name(const sipc_loop *loop)
{
	return loop->be->name;
}

int sipc__loop_new(sipc_loop **loopp, sipc_loop_wake_fn *on_wake, void *wake_arg)
{
	return sipc__loop_new_on(loopp, chosen, on_wake, wake_arg);
}

void sipc__loop_free(sipc_loop *loop)
{
	if (loop == NULL)
		return;
	loop->be->close(loop);
	sipc__theap_free(&loop->timers);
	free(loop);
}

void sipc__io_init(sipc_loop_io *io, int fd, sipc_loop_io_fn *cb, void *arg)
{
	io->fd = fd;
	io->events = 0;
	io->active = false;
	io->bk_slot = UINT32_MAX;
	io->cb = cb;
	io->arg = arg;
	io->spin_us = 0;
	io->spin_ready = NULL;
	io->spin_sleep = NULL;
	io->spin_prev = NULL;
	io->spin_next = NULL;
}

static void spin_unlink(sipc_loop *loop, sipc_loop_io *io)
{
	if (io->spin_us == 0)
		return;
	if (io->spin_prev != NULL)
		io->spin_prev->spin_next = io->spin_next;
	else
		loop->spin_head = io->spin_next;
	if (io->spin_next != NULL)
		io->spin_next->spin_prev = io->spin_prev;
	io->spin_prev = NULL;
	io->spin_next = NULL;
	io->spin_us = 0;
	loop->nspin--;
}

void sipc__io_spin(sipc_loop *loop, sipc_loop_io *io, sipc_loop_spin_fn *ready,
		   sipc_loop_spin_fn *sleep, long us)
{
	if (!io->active || us == 0 || ready == NULL || sleep == NULL) {
		spin_unlink(loop, io);
		return;
	}
	if (io->spin_us == 0) {
		io->spin_prev = NULL;
		io->spin_next = loop->spin_head;
		if (loop->spin_head != NULL)
			loop->spin_head->spin_prev = io;
		loop->spin_head = io;
		loop->nspin++;
	}
	io->spin_us = us;
	io->spin_ready = ready;
	io->spin_sleep = sleep;
}

size_t sipc__loop_spin_count(const sipc_loop *loop)
{
	return loop->nspin;
}

int sipc__io_start(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	int err;

	if (io->active) {
		if (io->events == events)
			return 0;
		/* epoll refuses to modify an exclusive entry (EINVAL): a
		 * backend's modify() never sees one. */
		if ((io->events | events) & SIPC_LOOP_EXCLUSIVE) {
			sipc__io_stop(loop, io);
		} else {
			err = loop->be->modify(loop, io, events);
			if (err < 0)
				return err;
			io->events = events;
			return 0;
		}
	}
	err = loop->be->add(loop, io, events);
	if (err < 0)
		return err;
	io->events = events;
	io->active = true;
	loop->nios++;
	return 0;
}

void sipc__io_stop(sipc_loop *loop, sipc_loop_io *io)
{
	if (!io->active)
		return;
	loop->be->del(loop, io);
	io->active = false;
	io->events = 0;
	loop->nios--;
	spin_unlink(loop, io);
	/* Events of this io already taken from the kernel must not be
	 * dispatched: its owner may free it as soon as we return. */
	for (int i = loop->batch_i + 1; i < loop->batch_n; i++)
		if (loop->batch[i].io == io)
			loop->batch[i].io = NULL;
}

size_t sipc__loop_io_count(const sipc_loop *loop)
{
	return loop->nios;
}

void sipc__loop_stop(sipc_loop *loop)
{
	loop->stop = true;
}

bool sipc__loop_stopped(const sipc_loop *loop)
{
	return loop->stop;
}

void sipc__loop_wake(sipc_loop *loop)
{
	loop->be->wake(loop);
}

int64_t sipc__loop_now(const sipc_loop *loop)
{
	return loop->now;
}

void sipc__loop_update_now(sipc_loop *loop)
{
	loop->now = sipc__loop_clock_ms();
}

static int wait_ms(const sipc_loop *loop, int timeout_ms)
{
	const sipc_loop_timer *t = sipc__theap_top(&loop->timers);
	int64_t left;

	if (t == NULL)
		return timeout_ms;
	left = t->when - loop->now;
	if (left < 0)
		left = 0;
	if (left > INT_MAX)
		left = INT_MAX;
	if (timeout_ms >= 0 && timeout_ms < left)
		return timeout_ms;
	return (int)left;
}

static void run_timers(sipc_loop *loop)
{
	/* Only the timers armed when this phase starts may run: a callback
	 * that re-arms itself for "now" waits for the next turn instead of
	 * spinning here. */
	size_t budget = loop->timers.n;
	sipc_loop_timer *t;

	while (budget-- > 0 && !loop->stop) {
		t = sipc__theap_top(&loop->timers);
		if (t == NULL || t->when > loop->now)
			break;
		sipc__theap_remove(&loop->timers, t);
		t->cb(loop, t);
	}
}

/* Fills the batch with the spinning ios that can go on, their events as
 * ready() (or, about to sleep, sleep()) says; their number.  Neither
 * callback may start, stop or free an io. */
static int spin_collect(sipc_loop *loop, bool sleep)
{
	int n = 0;

	for (sipc_loop_io *io = loop->spin_head; io != NULL && n < SIPC__LOOP_BATCH;
	     io = io->spin_next) {
		uint32_t ev = sleep ? io->spin_sleep(io) : io->spin_ready(io);

		if (ev != 0) {
			loop->batch[n].events = ev;
			loop->batch[n].io = io;
			n++;
		}
	}
	return n;
}

/* Spins on the spinning ios for the budget, never past TIMEOUT_MS (-1:
 * no timer), looking at the kernel's events now and then
 * (SIPC__LOOP_SPIN_KERNEL) so other descriptors wait microseconds, not
 * the whole budget: how many events it found (in the batch), 0 when the
 * budget ran out, SLICE_OVER when a busy-poll slice ended (look again),
 * or -errno from the backend's poll. */
#define SLICE_OVER INT_MIN /* never an -errno */

static int spin(sipc_loop *loop, int timeout_ms)
{
	long most = 0, budget;
	int64_t end;
	int n = 0;

	for (sipc_loop_io *io = loop->spin_head; io != NULL; io = io->spin_next) {
		if (io->spin_us == SIPC_SPIN_ALWAYS) {
			most = SIPC_SPIN_ALWAYS;
			break;
		}
		if (io->spin_us > most)
			most = io->spin_us;
	}
	if (most == SIPC_SPIN_ALWAYS) {
		budget = SIPC__LOOP_SPIN_SLICE;
	} else {
		if (loop->spin.max != most)
			sipc__spin_init(&loop->spin, most, true);
		budget = sipc__spin_budget(&loop->spin);
		if (budget == 0)
			return 0;
	}
	if (timeout_ms >= 0 && budget > (long)timeout_ms * 1000)
		budget = (long)timeout_ms * 1000;
	end = sipc__spin_now_us() + budget;
	for (unsigned i = 0;; i++) {
		n = spin_collect(loop, false);
		if (n > 0)
			break;
		if (i % SIPC__LOOP_SPIN_KERNEL == SIPC__LOOP_SPIN_KERNEL - 1) {
			/* The kernel's events are not the spin's catch: the
			 * budget stays as it is. */
			n = loop->be->poll(loop, 0);
			if (n != 0)
				return n;
		}
		if ((i & 15) == 15 && sipc__spin_now_us() >= end)
			break;
		sipc__spin_pass(i);
	}
	if (most == SIPC_SPIN_ALWAYS)
		return n > 0 ? n : SLICE_OVER;
	sipc__spin_result(&loop->spin, n > 0);
	return n;
}

/* A turn's wait when ios spin: the kernel's events first, without
 * waiting (but not on every turn of a streak of catches: one in
 * SIPC__LOOP_SPIN_FAIR); then the spin; then, armed, the sleep.  The
 * number of events in the batch, or -errno. */
static int spin_then_wait(sipc_loop *loop, int timeout_ms)
{
	int n;

	if (loop->spin_streak % SIPC__LOOP_SPIN_FAIR == 0) {
		n = loop->be->poll(loop, 0);
		if (n != 0) {
			loop->spin_streak = 0;
			return n;
		}
	}
	n = spin(loop, wait_ms(loop, timeout_ms));
	if (n > 0) {
		loop->spin_streak++;
		return n;
	}
	loop->spin_streak = 0;
	if (n == SLICE_OVER)
		return 0;
	if (n < 0)
		return n;
	n = spin_collect(loop, true);
	if (n > 0)
		return n;
	/* The spin took time: a timer may be due sooner now. */
	loop->now = sipc__loop_clock_ms();
	return loop->be->poll(loop, wait_ms(loop, timeout_ms));
}

int sipc__loop_run_once(sipc_loop *loop, int timeout_ms)
{
	int n, t = wait_ms(loop, timeout_ms);

	if (loop->spin_head != NULL && t != 0)
		n = spin_then_wait(loop, timeout_ms);
	else
		n = loop->be->poll(loop, t);
	if (n < 0) {
		if (n != -EINTR)
			return n;
		n = 0;
	}
	loop->now = sipc__loop_clock_ms();
	loop->batch_n = n;
	for (loop->batch_i = 0; loop->batch_i < n && !loop->stop; loop->batch_i++) {
		sipc_loop_io *io = loop->batch[loop->batch_i].io;
		if (io != NULL)
			io->cb(loop, io, loop->batch[loop->batch_i].events);
	}
	loop->batch_n = 0;
	loop->batch_i = 0;
	run_timers(loop);
	return 0;
}

int sipc__loop_run(sipc_loop *loop)
{
	int err = 0;

	/* A stop asked before the loop ran still counts; the flag is cleared
	 * on the way out so the loop can be run again. */
	while (!loop->stop) {
		err = sipc__loop_run_once(loop, -1);
		if (err < 0)
			break;
	}
	loop->stop = false;
	return err;
}
