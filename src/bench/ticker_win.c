/*
 * ticker_win.c - ticker.h on Windows.  WSAPoll, the loop's wait, takes
 * sockets only, so a waitable timer cannot wake it: a thread waits on
 * the timer and writes one byte into a loopback socket pair
 * (sipc__sys_socketpair) whose other end the worker's loop polls.  The
 * timer is a high-resolution one where the system has them (Windows 10
 * 1803 and later), else an ordinary one, which may expire up to a clock
 * tick (15.6 ms) late: the schedule is read from the clock at each
 * expiry, so a late one releases every request that is due, and the rate
 * holds; only the latencies show it.
 */
#include "bench/ticker.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "sys/sys.h"
#include "sys/win/win.h"

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002
#endif

struct sipc__ticker {
	int pair[2]; /* [0] polled by the worker, [1] written by the thread */
	HANDLE timer;
	HANDLE quit;
	HANDLE thread;
};

static DWORD WINAPI ticker_thread(LPVOID arg)
{
	struct sipc__ticker *t = arg;
	HANDLE h[2] = {t->quit, t->timer};
	char b = 0;

	while (WaitForMultipleObjects(2, h, FALSE, INFINITE) == WAIT_OBJECT_0 + 1)
		/* A full pair (the worker has bytes to drain already) loses
		 * nothing: one byte wakes it as well as two. */
		(void)send(SIPC__SOCK(t->pair[1]), &b, 1, 0);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int sipc__ticker_new(struct sipc__ticker **out)
{
	struct sipc__ticker *t = calloc(1, sizeof *t);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	rc = sipc__sys_socketpair(t->pair);
	if (rc < 0)
		goto fail_free;
	/* A synchronization (auto-reset) timer: each expiry wakes the
	 * thread once. */
	t->timer = CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
					  TIMER_ALL_ACCESS);
	if (t->timer == NULL)
		t->timer = CreateWaitableTimerW(NULL, FALSE, NULL);
	if (t->timer == NULL) {
		rc = -sipc__win_errno((int)GetLastError());
		goto fail_pair;
	}
	t->quit = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (t->quit == NULL) {
		rc = -sipc__win_errno((int)GetLastError());
		goto fail_timer;
	}
	t->thread = CreateThread(NULL, 0, ticker_thread, t, 0, NULL);
	if (t->thread == NULL) {
		rc = -sipc__win_errno((int)GetLastError());
		goto fail_quit;
	}
	*out = t;
	return 0;

fail_quit:
	CloseHandle(t->quit);
fail_timer:
	CloseHandle(t->timer);
fail_pair:
	sipc__sys_close(t->pair[0]);
	sipc__sys_close(t->pair[1]);
fail_free:
	free(t);
	return rc;
}

int sipc__ticker_fd(const struct sipc__ticker *t)
{
	return t->pair[0];
}

void sipc__ticker_arm(struct sipc__ticker *t, int64_t when)
{
	int64_t rel = when - now_ns();
	LARGE_INTEGER due;

	/* Negative: relative, in units of 100 ns; -1 is as soon as can be. */
	due.QuadPart = rel >= 100 ? -(rel / 100) : -1;
	SetWaitableTimer(t->timer, &due, 0, NULL, NULL, FALSE);
}

void sipc__ticker_drain(struct sipc__ticker *t)
{
	char buf[64];

	/* Bounded: the thread writes a byte per expiry, one expiry per
	 * arming, so a few at most wait here. */
	for (int i = 0; i < 16; i++)
		if (sipc__sys_recv(t->pair[0], buf, sizeof buf, 0) < (ssize_t)sizeof buf)
			break;
}

void sipc__ticker_free(struct sipc__ticker *t)
{
	if (t == NULL)
		return;
	SetEvent(t->quit);
	WaitForSingleObject(t->thread, INFINITE);
	CloseHandle(t->thread);
	CloseHandle(t->quit);
	CancelWaitableTimer(t->timer);
	CloseHandle(t->timer);
	sipc__sys_close(t->pair[0]);
	sipc__sys_close(t->pair[1]);
	free(t);
}
