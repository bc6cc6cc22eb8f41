/*
 * deadline.c - deadlines for every blocking call of the library.  A call's
 * timeout_ms becomes one absolute deadline on the monotonic clock
 * (sipc__now_ms, sys/posix/clock.c or sys/win/clock.c) at its start, so
 * that a wait split over many system calls (a frame read in pieces, a
 * poll cut short by a signal) still ends when the caller asked, and so
 * that changes of the wall clock cannot stretch or shorten it.
 */
#include "sys/sys.h"

#include <limits.h>

int64_t sipc__deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return SIPC__NEVER;
	return sipc__now_ms() + timeout_ms;
}

int sipc__deadline_left(int64_t deadline)
{
	int64_t left;

	if (deadline == SIPC__NEVER)
		return -1;
	left = deadline - sipc__now_ms();
	if (left <= 0)
		return 0;
	/* poll() takes an int; a longer wait is done in INT_MAX slices by the
	 * caller's loop, which checks the deadline again after each. */
	return left > INT_MAX ? INT_MAX : (int)left;
}
