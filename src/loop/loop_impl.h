/*
 * loop_impl.h - the inside of a sipc_loop, shared by loop.c (epoll, wake,
 * run) and timer.c (the timer API on the heap).  Private to src/loop.
 */
#ifndef SIPC_LOOP_IMPL_H
#define SIPC_LOOP_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "loop/loop.h"
#include "spin.h"
#include "loop/timer.h"

/* Events taken from the kernel per turn; more wait for the next turn.
 * 256 (3 KiB) lets a worker with a thousand busy connections take them in
 * four epoll_wait calls instead of sixteen; sipc__io_stop's scan of the
 * rest of the batch stays short next to the epoll_ctl it follows. */
#define SIPC__LOOP_BATCH 256

/* Busy-polling for good (SIPC_SPIN_ALWAYS) still takes the kernel's events
 * every this many microseconds. */
#define SIPC__LOOP_SPIN_SLICE 50
/* A spin asks the kernel for its events (epoll_wait without waiting) once
 * in this many passes: a few microseconds apart with a few connections. */
#define SIPC__LOOP_SPIN_KERNEL 256
/* Turns that dispatch what spinning caught may skip the look at the
 * kernel's events; one in this many takes it anyway, so a connection that
 * always has bytes cannot starve the others. */
#define SIPC__LOOP_SPIN_FAIR 8

struct sipc_loop {
	int epfd;
	int wakefd; /* eventfd: sipc__loop_wake writes, the loop reads */
	sipc_loop_io wake_io;
	sipc_loop_wake_fn *on_wake;
	void *wake_arg;
	bool stop;
	int64_t now;
	size_t nios;
	struct sipc__timer_heap timers;
	/* The batch being dispatched, so sipc__io_stop can drop pending events
	 * of an io that a callback stopped (and perhaps freed). */
	struct epoll_event batch[SIPC__LOOP_BATCH];
	int batch_n;
	int batch_i;
	/* The spinning ios, and the budget they share (spin.h). */
	sipc_loop_io *spin_head;
	size_t nspin;
	struct sipc__spin spin;
	unsigned spin_streak; /* turns in a row dispatched from a spin */
};

#endif /* SIPC_LOOP_IMPL_H */
