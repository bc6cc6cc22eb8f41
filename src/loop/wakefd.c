/*
 * wakefd.c - the wake of the Linux backends (epoll, io_uring): an eventfd
 * that wake() writes (one write(2): thread-safe and async-signal-safe) and
 * whose io's callback reads, many wakes becoming one read.  Linux's alone:
 * the Windows build leaves this file out with the backends that use it
 * (backend_poll.c wakes through a socket pair instead).
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

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
