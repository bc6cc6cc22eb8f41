/*
 * backend_epoll.c - the loop's backend on Linux (loop_impl.h): one epoll
 * instance per loop, level-triggered, and an eventfd that another thread
 * (or a signal handler) writes to wake the loop.  The only file that
 * speaks EPOLL*: the loop's own flags are translated here, for free while
 * they keep epoll's values.
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct epoll_backend {
	int epfd;
	int wakefd; /* eventfd: wake() writes, the wake io reads */
	sipc_loop_io wake_io;
	struct epoll_event ev[SIPC__LOOP_BATCH];
};

/* The loop's flags are epoll's values (loop.h); if they ever part, the
 * translations below still hold, at a few instructions per event. */
#define SAME_AS_EPOLL                                                                              \
	(SIPC_LOOP_IN == EPOLLIN && SIPC_LOOP_PRI == EPOLLPRI && SIPC_LOOP_OUT == EPOLLOUT &&      \
	 SIPC_LOOP_ERR == EPOLLERR && SIPC_LOOP_HUP == EPOLLHUP &&                                 \
	 SIPC_LOOP_EXCLUSIVE == EPOLLEXCLUSIVE && SIPC_LOOP_ONESHOT == EPOLLONESHOT)

static inline uint32_t to_epoll(uint32_t e)
{
	if (SAME_AS_EPOLL)
		return e;
	return (e & SIPC_LOOP_IN ? EPOLLIN : 0) | (e & SIPC_LOOP_PRI ? EPOLLPRI : 0) |
	       (e & SIPC_LOOP_OUT ? EPOLLOUT : 0) | (e & SIPC_LOOP_ERR ? EPOLLERR : 0) |
	       (e & SIPC_LOOP_HUP ? EPOLLHUP : 0) |
	       (e & SIPC_LOOP_EXCLUSIVE ? (uint32_t)EPOLLEXCLUSIVE : 0) |
	       (e & SIPC_LOOP_ONESHOT ? (uint32_t)EPOLLONESHOT : 0);
}

static inline uint32_t from_epoll(uint32_t e)
{
	if (SAME_AS_EPOLL)
		return e;
	return (e & EPOLLIN ? SIPC_LOOP_IN : 0) | (e & EPOLLPRI ? SIPC_LOOP_PRI : 0) |
	       (e & EPOLLOUT ? SIPC_LOOP_OUT : 0) | (e & EPOLLERR ? SIPC_LOOP_ERR : 0) |
	       (e & EPOLLHUP ? SIPC_LOOP_HUP : 0);
}

static struct epoll_backend *bk_of(const sipc_loop *loop)
{
	return loop->bk;
}

static int ctl(sipc_loop *loop, int op, sipc_loop_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};

	return epoll_ctl(bk_of(loop)->epfd, op, io->fd, &ev) < 0 ? -errno : 0;
}

static int ep_open(sipc_loop *loop)
{
	struct epoll_backend *b;
	int err;

	b = malloc(sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0) {
		err = -errno;
		goto free_b;
	}
	b->wakefd = sipc__wakefd_open(&b->wake_io);
	if (b->wakefd < 0) {
		err = b->wakefd;
		goto close_ep;
	}
	loop->bk = b;
	/* Not through sipc__io_start: the wake io is not the caller's. */
	err = ctl(loop, EPOLL_CTL_ADD, &b->wake_io, SIPC_LOOP_IN);
	if (err < 0)
		goto close_wake;
	b->wake_io.events = SIPC_LOOP_IN;
	b->wake_io.active = true;
	return 0;

close_wake:
	loop->bk = NULL;
	close(b->wakefd);
close_ep:
	close(b->epfd);
free_b:
	free(b);
	return err;
}

static void ep_close(sipc_loop *loop)
{
	struct epoll_backend *b = bk_of(loop);

	close(b->wakefd);
	close(b->epfd);
	free(b);
	loop->bk = NULL;
}

static int ep_add(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	return ctl(loop, EPOLL_CTL_ADD, io, events);
}

static int ep_modify(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	return ctl(loop, EPOLL_CTL_MOD, io, events);
}

static void ep_del(sipc_loop *loop, sipc_loop_io *io)
{
	/* A failure means the descriptor is already gone from the set (closed
	 * elsewhere); either way the kernel no longer reports it. */
	(void)epoll_ctl(bk_of(loop)->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

static int ep_poll(sipc_loop *loop, int timeout_ms)
{
	struct epoll_backend *b = bk_of(loop);
	int n = epoll_wait(b->epfd, b->ev, SIPC__LOOP_BATCH, timeout_ms);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		loop->batch[i].io = b->ev[i].data.ptr;
		loop->batch[i].events = from_epoll(b->ev[i].events);
	}
	return n;
}

static void ep_wake(sipc_loop *loop)
{
	sipc__wakefd_write(bk_of(loop)->wakefd);
}

const struct sipc__loop_backend sipc__loop_backend_epoll = {
	.name = "epoll",
	.open = ep_open,
	.close = ep_close,
	.add = ep_add,
	.modify = ep_modify,
	.del = ep_del,
	.poll = ep_poll,
	.wake = ep_wake,
};
