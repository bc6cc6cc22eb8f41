/*
 * backend_poll.c - the loop's backend over poll(2) (loop_impl.h): one
 * struct pollfd array per loop, scanned after each wait.  The same file
 * is Windows' backend, the default there: the wait is sipc__sys_poll
 * (poll(2) on POSIX, WSAPoll on Windows) and the wake a connected stream
 * socket pair (sipc__sys_socketpair: socketpair(2), or a loopback TCP
 * connection), so nothing here is one system's.
 *
 * The array holds the watched ios, pfd[i] for slots[i].io, whose
 * io->bk_slot is i: add() appends, del() moves the last entry into the
 * hole (swap-remove, O(1)), and nothing moves while poll() scans, since
 * del() and add() run from callbacks, after poll() has filled the batch
 * (loop.c drops the batch entries of an io stopped in between).
 *
 * Level-triggered, as poll(2) is.  ERR and HUP are reported whether asked
 * for or not (poll(2) does; POLLNVAL, a descriptor closed while watched,
 * is ERR).  ONESHOT is emulated: an io reported with it is taken out of
 * the array (bk_slot DISARMED, so neither readiness nor an error or
 * hang-up is told again, as epoll's disabled entry) until modify() arms
 * it again.  EXCLUSIVE is accepted and means nothing more than a plain
 * registration: poll(2) has no exclusive wake-up, so every loop watching
 * a shared listener wakes for a connection and all but one find nothing
 * to accept (-EAGAIN, which the accept paths take as "nothing pending").
 * A batch takes at most SIPC__LOOP_BATCH ready ios; the next scan starts
 * where a full one stopped, so a thousand always-ready descriptors
 * cannot starve the ones after them.  The wait costs O(ios) per turn
 * (epoll's is O(ready)): fine for the hundreds a Windows server sees.
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <stdlib.h>

#include "sys/sys.h"

/* io->bk_slot of an io not in this backend (sipc__io_init's value), and of
 * a ONESHOT io whose shot has fired. */
#define NO_SLOT  UINT32_MAX
#define DISARMED (UINT32_MAX - 1)

/* The wake io's reads per callback (a full pair's buffer is read again by
 * the next turn: it stays readable). */
#define WAKE_READS 16

struct poll_slot {
	sipc_loop_io *io;
	uint32_t events; /* SIPC_LOOP_*, ONESHOT included */
};

struct poll_backend {
	struct pollfd *pfd;
	struct poll_slot *slots; /* slots[i] watches pfd[i] */
	size_t n, cap;
	size_t next; /* where the next scan starts (after a full batch) */
	int pair[2]; /* the wake: pair[1] written, pair[0] is wake_io's */
	sipc_loop_io wake_io;
};

static struct poll_backend *bk_of(const sipc_loop *loop)
{
	return loop->bk;
}

static short to_poll(uint32_t e)
{
	return (short)((e & SIPC_LOOP_IN ? POLLIN : 0) | (e & SIPC_LOOP_PRI ? POLLPRI : 0) |
		       (e & SIPC_LOOP_OUT ? POLLOUT : 0));
}

static uint32_t from_poll(short re)
{
	return (re & POLLIN ? SIPC_LOOP_IN : 0) | (re & POLLPRI ? SIPC_LOOP_PRI : 0) |
	       (re & POLLOUT ? SIPC_LOOP_OUT : 0) |
	       (re & (POLLERR | POLLNVAL) ? SIPC_LOOP_ERR : 0) | (re & POLLHUP ? SIPC_LOOP_HUP : 0);
}

/* Puts IO into the array with EVENTS: 0 or -ENOMEM. */
static int append(struct poll_backend *b, sipc_loop_io *io, uint32_t events)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct pollfd *pfd;
		struct poll_slot *slots;

		if (cap >= DISARMED)
			return -ENOMEM;
		pfd = realloc(b->pfd, cap * sizeof(*pfd));
		if (pfd == NULL)
			return -ENOMEM;
		b->pfd = pfd;
		slots = realloc(b->slots, cap * sizeof(*slots));
		if (slots == NULL)
			return -ENOMEM;
		b->slots = slots;
		b->cap = cap;
	}
	b->pfd[b->n].fd = io->fd;
	b->pfd[b->n].events = to_poll(events);
	b->pfd[b->n].revents = 0;
	b->slots[b->n].io = io;
	b->slots[b->n].events = events;
	io->bk_slot = (uint32_t)b->n++;
	return 0;
}

/* Takes entry I out of the array: the last one moves into its place. */
static void remove_at(struct poll_backend *b, size_t i)
{
	size_t last = --b->n;

	if (i != last) {
		b->pfd[i] = b->pfd[last];
		b->slots[i] = b->slots[last];
		b->slots[i].io->bk_slot = (uint32_t)i;
	}
}

/* The wake io's callback: the bytes the wakes wrote are read (many
 * wakes, one call), then on_wake. */
static void on_wake_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	char buf[256];

	(void)revents;
	for (int k = 0; k < WAKE_READS; k++)
		if (sipc__sys_recv(io->fd, buf, sizeof(buf), MSG_DONTWAIT) < (ssize_t)sizeof(buf))
			break;
	sipc__loop_woken(loop);
}

static int pl_open(sipc_loop *loop)
{
	struct poll_backend *b = calloc(1, sizeof(*b));
	int err;

	if (b == NULL)
		return -ENOMEM;
	err = sipc__sys_socketpair(b->pair);
	if (err < 0) {
		free(b);
		return err;
	}
	/* Not through sipc__io_start: the wake io is not the caller's. */
	sipc__io_init(&b->wake_io, b->pair[0], on_wake_io, NULL);
	err = append(b, &b->wake_io, SIPC_LOOP_IN);
	if (err < 0) {
		sipc__sys_close(b->pair[0]);
		sipc__sys_close(b->pair[1]);
		free(b);
		return err;
	}
	b->wake_io.events = SIPC_LOOP_IN;
	b->wake_io.active = true;
	loop->bk = b;
	return 0;
}

static void pl_close(sipc_loop *loop)
{
	struct poll_backend *b = bk_of(loop);

	sipc__sys_close(b->pair[0]);
	sipc__sys_close(b->pair[1]);
	free(b->pfd);
	free(b->slots);
	free(b);
	loop->bk = NULL;
}

static int pl_add(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	/* epoll's answer to a second add of the same io. */
	if (io->bk_slot != NO_SLOT)
		return -EEXIST;
	return append(bk_of(loop), io, events);
}

static int pl_modify(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	struct poll_backend *b = bk_of(loop);
	size_t i = io->bk_slot;

	if (io->bk_slot == NO_SLOT)
		return -ENOENT;
	/* A fired one-shot is armed again. */
	if (io->bk_slot == DISARMED)
		return append(b, io, events);
	b->pfd[i].events = to_poll(events);
	b->slots[i].events = events;
	return 0;
}

static void pl_del(sipc_loop *loop, sipc_loop_io *io)
{
	struct poll_backend *b = bk_of(loop);

	if (io->bk_slot < b->n && b->slots[io->bk_slot].io == io)
		remove_at(b, io->bk_slot);
	io->bk_slot = NO_SLOT;
}

static int pl_poll(sipc_loop *loop, int timeout_ms)
{
	struct poll_backend *b = bk_of(loop);
	size_t start = b->next < b->n ? b->next : 0;
	int r, seen = 0, n = 0;

	r = sipc__sys_poll(b->pfd, b->n, timeout_ms);
	if (r <= 0)
		return r;
	b->next = 0;
	for (size_t k = 0; k < b->n && seen < r; k++) {
		size_t i = start + k < b->n ? start + k : start + k - b->n;
		short re = b->pfd[i].revents;
		uint32_t ev;

		if (re == 0)
			continue;
		seen++;
		ev = from_poll(re) & (b->slots[i].events | SIPC_LOOP_ERR | SIPC_LOOP_HUP);
		if (ev == 0)
			continue;
		loop->batch[n++] = (struct sipc__loop_event){.io = b->slots[i].io, .events = ev};
		if (n == SIPC__LOOP_BATCH) {
			b->next = i + 1; /* the rest first, next time */
			break;
		}
	}
	/* The one-shots told now are out until modify() arms them again (the
	 * scan is over: the array may move). */
	for (int j = 0; j < n; j++) {
		sipc_loop_io *io = loop->batch[j].io;

		if (b->slots[io->bk_slot].events & SIPC_LOOP_ONESHOT) {
			remove_at(b, io->bk_slot);
			io->bk_slot = DISARMED;
		}
	}
	return n;
}

static void pl_wake(sipc_loop *loop)
{
	int saved = errno;

	/* One send(2) (async-signal-safe); -EAGAIN: the pair is full, a wake
	 * is pending already.  errno is a signal handler's to keep. */
	(void)sipc__sys_send(bk_of(loop)->pair[1], "", 1, MSG_DONTWAIT);
	errno = saved;
}

const struct sipc__loop_backend sipc__loop_backend_poll = {
	.name = "poll",
	.open = pl_open,
	.close = pl_close,
	.add = pl_add,
	.modify = pl_modify,
	.del = pl_del,
	.poll = pl_poll,
	.wake = pl_wake,
};
