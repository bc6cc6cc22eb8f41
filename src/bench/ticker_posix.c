/*
 * ticker_posix.c - ticker.h on Linux: a timerfd (nanosecond resolution)
 * set with TFD_TIMER_ABSTIME, so that a late wake-up does not push the
 * whole schedule back.  The thread's timer slack goes from the default
 * 50 us to 1 ns: the slack would delay every release by up to that much.
 */
#include "bench/ticker.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct sipc__ticker {
	int fd;
};

int sipc__ticker_new(struct sipc__ticker **out)
{
	struct sipc__ticker *t = malloc(sizeof *t);

	if (t == NULL)
		return -ENOMEM;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0) {
		int rc = -errno;

		free(t);
		return rc;
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	*out = t;
	return 0;
}

int sipc__ticker_fd(const struct sipc__ticker *t)
{
	return t->fd;
}

void sipc__ticker_arm(struct sipc__ticker *t, int64_t when)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = when / 1000000000, .tv_nsec = when % 1000000000},
	};

	/* All zero would disarm it: the earliest time there is instead. */
	if (when <= 0)
		its.it_value = (struct timespec){.tv_sec = 0, .tv_nsec = 1};
	timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void sipc__ticker_drain(struct sipc__ticker *t)
{
	uint64_t expirations;

	/* EAGAIN: nothing had expired; the schedule is read from the clock
	 * anyway, so the count itself is not needed. */
	if (read(t->fd, &expirations, sizeof expirations) < 0) {
	}
}

void sipc__ticker_free(struct sipc__ticker *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	free(t);
}
