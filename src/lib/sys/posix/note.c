/*
 * note.c - sys.h's note on Linux: one eventfd, written by the posters
 * (one write(2): thread-safe and async-signal-safe) and read to clear
 * (reading resets its counter, so many posts become one wake-up).
 */
#include "sys/sys.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

int sipc__sys_note_open(struct sipc__sys_note *n)
{
	n->rd = n->wr = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return n->rd < 0 ? -errno : 0;
}

void sipc__sys_note_post(const struct sipc__sys_note *n)
{
	uint64_t one = 1;
	/* EAGAIN: the counter is full, a wake-up is pending anyway. */
	ssize_t w = write(n->wr, &one, sizeof(one));
	(void)w;
}

void sipc__sys_note_clear(const struct sipc__sys_note *n)
{
	uint64_t v;

	while (read(n->rd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

void sipc__sys_note_close(struct sipc__sys_note *n)
{
	if (n->rd >= 0)
		close(n->rd);
	n->rd = n->wr = -1;
}
