/*
 * clock.c - the monotonic clock of the deadlines (sys/deadline.c):
 * CLOCK_MONOTONIC, which changes of the wall clock do not move.
 */
#include "sys/sys.h"

#include <time.h>

int64_t sipc__now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
