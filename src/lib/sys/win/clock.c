/*
 * clock.c - the monotonic clock of the deadlines (sys/deadline.c):
 * GetTickCount64, milliseconds since boot, which changes of the wall
 * clock do not move.
 */
#include "sys/win/win.h"

int64_t sipc__now_ms(void)
{
	return (int64_t)GetTickCount64();
}
