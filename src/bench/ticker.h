/*
 * ticker.h - the open loop's clock (bench --rate): a one-shot timer on
 * CLOCK_MONOTONIC, armed for an absolute time in nanoseconds, whose expiry
 * makes a descriptor readable so that a worker's loop (src/loop) wakes for
 * it like for any socket.  The loop's own timers count milliseconds, too
 * coarse for a schedule of thousands of requests a second.  One file per
 * system: ticker_posix.c (a timerfd, with the thread's timer slack cut to
 * 1 ns), ticker_win.c (a waitable timer whose thread writes a byte into
 * a loopback socket pair, since WSAPoll waits on sockets only).
 *
 * A ticker belongs to one worker thread: arm, drain and free are called
 * from it alone.
 */
#ifndef SIPC_BENCH_TICKER_H
#define SIPC_BENCH_TICKER_H

#include <stdint.h>

struct sipc__ticker;

/* A new, unarmed ticker in *OUT: 0, or -errno (nothing made). */
int sipc__ticker_new(struct sipc__ticker **out);

/* The descriptor that is readable (SIPC_LOOP_IN) once the ticker has
 * expired, until sipc__ticker_drain. */
int sipc__ticker_fd(const struct sipc__ticker *t);

/* Arms T to expire at WHEN, nanoseconds of CLOCK_MONOTONIC (a time in the
 * past or 0 expires at once); replaces an earlier arming. */
void sipc__ticker_arm(struct sipc__ticker *t, int64_t when);

/* Takes the expiry that made the descriptor readable, if any. */
void sipc__ticker_drain(struct sipc__ticker *t);

/* Stops and frees T; NULL does nothing.  Its descriptor is closed: stop
 * the loop's io on it first. */
void sipc__ticker_free(struct sipc__ticker *t);

#endif /* SIPC_BENCH_TICKER_H */
