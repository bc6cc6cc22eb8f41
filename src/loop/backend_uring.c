/*
 * backend_uring.c - the loop's backend on io_uring (loop_impl.h): the
 * readiness interface through the ring.  Every watched io is a one-shot
 * IORING_OP_POLL_ADD, armed again after each completion; an eventfd polled
 * the same way wakes the loop.  The only file that speaks io_uring.
 *
 * Level-triggered, by re-arming: a one-shot poll that finds the descriptor
 * ready when it is armed completes at once (inside the same io_uring_enter
 * that submits it), so an io whose callback read only part of what was
 * there is reported again on the next turn, as epoll's level mode does.
 * Multishot polls (IORING_POLL_ADD_MULTI) were not taken: they post a
 * completion per wake-up of the descriptor's wait queue, and
 * IORING_POLL_ADD_LEVEL changes only the look taken as the request is
 * armed.  Measured here (kernel 6.18, liburing 2.3): a multishot poll, with
 * or without IORING_POLL_ADD_LEVEL, on a pipe holding 6 bytes posts one
 * completion, and none in the next two waits (50 ms each) after 1 of the
 * 6 bytes is read; the loop's callers read part of what is there and
 * count on being told again.  The re-arm costs no system call: it is an
 * SQE submitted by the enter that waits.
 *
 * The kernel adds EPOLLRDHUP (and ERR, HUP) to every poll, so a one-shot
 * poll on a socket whose peer has shut its side down completes at once
 * whatever it asks; such a slot (a completion with nothing asked for in
 * it) is polled multishot from then on, which completes on wake-ups, and
 * after each event it reports is replaced by a fresh one (whose look as it
 * is armed keeps the level-triggered promise).  io_uring also reports the
 * wake-up's key rather than a fresh look, and a socket's reader is woken
 * with PRI in the key for any byte: when a completion of a slot that asks
 * PRI says PRI, poll(2) says what is really there, before the batch is
 * dispatched (IN and PRI must come together, as from epoll: serve reads up
 * to the urgent byte's mark only when it knows).  One poll(2) looks at
 * every such event of the batch (serve's TCP connections of services that
 * take urgent data ask PRI): a system call per turn, not per event, which
 * took serve's TCP echo at 100 connections, depth 1, from 3.03-3.06
 * system calls per echoed message to 2.06-2.09 (epoll: 2.02; perf's
 * raw_syscalls:sys_enter on serve -w 1, 3 runs each, 2026-12-03).  A PRI-only probe poll armed in a
 * second, non-waiting round of the same poll() saved that call but cost more than it saved (its
 * arming and removal per event: 100 connections at depth 16 ran at 0.3-0.45x epoll, against about
 * 1x with poll(2); measured 2026-12-03).
 *
 * Requests are tagged by slot and generation (user_data: slot in the low
 * 32 bits, generation in the next 31, bit 63 for the removals, whose
 * completions are ignored).  add() takes a slot and stores its index in
 * io->bk_slot; modify() and del() bump the generation, so a completion of a
 * request made before is dropped, even once the io is freed or its slot is
 * used by another io.  add() and modify() only mark the slot; poll()
 * brings the kernel's requests in line with them (a POLL_REMOVE for a
 * request of an old generation, a POLL_ADD for the current one) and
 * submits them with its wait: one io_uring_enter per turn.  del() submits
 * its POLL_REMOVE at once (a system call, as epoll_ctl's DEL): a poll
 * request holds a reference to the descriptor's file, and a close() after
 * del() must end the file then, as with epoll.  A full
 * submission queue is submitted and filled again; a request that still
 * finds no room stays marked for the next turn, never dropped.
 *
 * The ring is IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN when
 * the kernel has them (6.1), set up disabled (IORING_SETUP_R_DISABLED)
 * and enabled by the first poll(): the thread model makes its loops in
 * the main thread and runs them in the workers, and a single issuer is
 * the thread that enables the ring.  With DEFER_TASKRUN, completions are
 * posted only in io_uring_enter(GETEVENTS), so poll(loop, 0) enters the
 * kernel (without waiting) when the completion queue is empty.  The ring's
 * descriptor is close-on-exec (the kernel's default for io_uring); a
 * `--model fork` child frees its parent's loop without submitting
 * anything (close() only unmaps and closes) and makes its own.
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING_SQ    256
#define RING_CQ    4096
#define TAG_REMOVE (1ull << 63)
#define NO_SLOT    UINT32_MAX

struct slot {
	sipc_loop_io *io; /* NULL: stopped (free once its request is gone) */
	int fd;
	uint32_t events; /* SIPC_LOOP_* wanted */
	uint32_t gen;    /* current generation (31 bits) */
	uint32_t armed_gen;
	bool armed; /* a POLL_ADD of armed_gen is in the kernel (or the SQ) */
	bool quiet; /* no re-arm until modify(): a ONESHOT fired, or an error */
	bool dirty; /* on the dirty list */
	bool multi; /* polled multishot (complete(): RDHUP) */
	uint32_t next_free;
};

struct uring_backend {
	struct io_uring ring;
	bool enabled;
	int wakefd;
	sipc_loop_io wake_io;
	struct slot *slots;
	uint32_t nslots, cap;
	uint32_t free_head;
	uint32_t *dirty; /* slot indices whose requests poll() brings in line (cap) */
	uint32_t ndirty;
	/* The batch's events that ask PRI, for confirm()'s one poll(2). */
	struct pollfd confirm[SIPC__LOOP_BATCH];
	uint32_t confirm_slot[SIPC__LOOP_BATCH];
	unsigned nconfirm;
};

static struct uring_backend *bk_of(const sipc_loop *loop)
{
	return loop->bk;
}

/* The kernel's mask for the loop's events.  PRI is asked with RDBAND too:
 * io_uring's poll ignores EPOLLPRI in the wake-up's key (it is one of its
 * IO_ASYNC_POLL_COMMON bits), so a poll for PRI alone never completes on
 * TCP's urgent byte; RDBAND is in the key of every wake-up of a socket's
 * reader, so the poll does.  (complete() checks what it says.) */
static inline uint32_t to_poll(uint32_t e)
{
	return (e & SIPC_LOOP_IN ? POLLIN : 0) | (e & SIPC_LOOP_PRI ? POLLPRI | POLLRDBAND : 0) |
	       (e & SIPC_LOOP_OUT ? POLLOUT : 0) | POLLERR | POLLHUP;
}

/* epoll's EPOLLEXCLUSIVE, which io_uring's poll takes too (for one-shot
 * requests only: a multishot one with it is refused): a wake-up of the
 * descriptor completes the first exclusive request on it and no other,
 * so one listener polled by every worker's ring wakes one worker per
 * connection, as with epoll.  Its value in the uapi, without including
 * epoll's header here. */
#define POLL_EXCLUSIVE (1u << 28)

/* The mask of slot S's request. */
static inline uint32_t req_poll(const struct slot *s)
{
	return to_poll(s->events) |
	       (s->events & SIPC_LOOP_EXCLUSIVE && !s->multi ? POLL_EXCLUSIVE : 0);
}

static inline uint32_t from_poll(uint32_t e)
{
	return (e & POLLIN ? SIPC_LOOP_IN : 0) | (e & POLLPRI ? SIPC_LOOP_PRI : 0) |
	       (e & POLLOUT ? SIPC_LOOP_OUT : 0) | (e & (POLLERR | POLLNVAL) ? SIPC_LOOP_ERR : 0) |
	       (e & POLLHUP ? SIPC_LOOP_HUP : 0);
}

static inline uint64_t tag(uint32_t slot, uint32_t gen)
{
	return (uint64_t)slot | (uint64_t)(gen & 0x7fffffffu) << 32;
}

/* Puts slot I on the dirty list; the list has room for every slot
 * (take_slot grows both), so this cannot fail. */
static void mark(struct uring_backend *b, uint32_t i)
{
	if (b->slots[i].dirty)
		return;
	b->dirty[b->ndirty++] = i;
	b->slots[i].dirty = true;
}

/* A free slot, or NO_SLOT (out of memory). */
static uint32_t take_slot(struct uring_backend *b)
{
	uint32_t i;

	if (b->free_head != NO_SLOT) {
		i = b->free_head;
		b->free_head = b->slots[i].next_free;
		return i;
	}
	if (b->nslots == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 64;
		struct slot *s;
		uint32_t *d;

		if (cap >= NO_SLOT / 2)
			return NO_SLOT;
		d = realloc(b->dirty, cap * sizeof(*d));
		if (d == NULL)
			return NO_SLOT;
		b->dirty = d;
		s = realloc(b->slots, cap * sizeof(*s));
		if (s == NULL)
			return NO_SLOT;
		b->slots = s;
		b->cap = cap;
	}
	i = b->nslots++;
	memset(&b->slots[i], 0, sizeof(b->slots[i]));
	return i;
}

/* An SQE, submitting the queue when it is full; NULL when the kernel takes
 * nothing (the caller keeps its request for the next turn). */
static struct io_uring_sqe *get_sqe(struct uring_backend *b)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	for (int tries = 0; sqe == NULL && tries < 4; tries++) {
		int n = io_uring_submit(&b->ring);

		if (n < 0 && n != -EINTR && n != -EAGAIN && n != -EBUSY)
			return NULL;
		sqe = io_uring_get_sqe(&b->ring);
	}
	return sqe;
}

static int ur_add(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;
	uint32_t i;

	if (io->bk_slot < b->nslots && b->slots[io->bk_slot].io == io)
		return -EEXIST;
	if (io->fd < 0)
		return -EBADF;
	i = take_slot(b);
	if (i == NO_SLOT)
		return -ENOMEM;
	s = &b->slots[i];
	s->io = io;
	s->fd = io->fd;
	s->events = events;
	s->gen++;
	s->quiet = false;
	s->multi = false;
	s->next_free = NO_SLOT;
	io->bk_slot = i;
	mark(b, i);
	return 0;
}

static int ur_modify(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return -ENOENT;
	s = &b->slots[io->bk_slot];
	mark(b, io->bk_slot);
	s->events = events;
	s->gen++;
	s->quiet = false;
	return 0;
}

static void ur_del(sipc_loop *loop, sipc_loop_io *io)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return;
	s = &b->slots[io->bk_slot];
	s->io = NULL;
	s->events = 0;
	s->gen++;
	io->bk_slot = NO_SLOT;
	/* The kernel's poll request holds a reference to the descriptor's
	 * file: it is removed now, not at the next turn, so that a close()
	 * after this ends the file at once, as with epoll (a peer sees the
	 * end, a port is free again).  A system call, as epoll_ctl's DEL. */
	if (s->armed && b->enabled) {
		struct io_uring_sqe *sqe = get_sqe(b);

		if (sqe != NULL) {
			io_uring_prep_poll_remove(sqe, tag((uint32_t)(s - b->slots), s->armed_gen));
			io_uring_sqe_set_data64(sqe, TAG_REMOVE);
			s->armed = false;
			(void)io_uring_submit_and_get_events(&b->ring);
		}
	}
	mark(b, (uint32_t)(s - b->slots));
}

/* Brings the kernel's request of slot I in line with it; false when the
 * submission queue had no room (the slot stays dirty). */
static bool sync_slot(struct uring_backend *b, uint32_t i)
{
	struct slot *s = &b->slots[i];
	struct io_uring_sqe *sqe;

	if (s->armed && (s->io == NULL || s->armed_gen != s->gen)) {
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		io_uring_prep_poll_remove(sqe, tag(i, s->armed_gen));
		io_uring_sqe_set_data64(sqe, TAG_REMOVE);
		s->armed = false;
	}
	if (s->io != NULL && !s->armed && !s->quiet) {
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		if (s->multi)
			io_uring_prep_poll_multishot(sqe, s->fd, req_poll(s));
		else
			io_uring_prep_poll_add(sqe, s->fd, req_poll(s));
		io_uring_sqe_set_data64(sqe, tag(i, s->gen));
		s->armed = true;
		s->armed_gen = s->gen;
	}
	s->dirty = false;
	if (s->io == NULL && !s->armed) {
		s->next_free = b->free_head;
		b->free_head = i;
	}
	return true;
}

static void sync_all(struct uring_backend *b)
{
	uint32_t k = 0;

	while (k < b->ndirty && sync_slot(b, b->dirty[k]))
		k++;
	memmove(b->dirty, b->dirty + k, (b->ndirty - k) * sizeof(*b->dirty));
	b->ndirty -= k;
}

/* The completion CQE into the batch at N; whether it made an event. */
static bool complete(struct uring_backend *b, sipc_loop *loop, const struct io_uring_cqe *cqe,
		     int n)
{
	uint64_t ud = cqe->user_data;
	uint32_t i = (uint32_t)ud, gen = (uint32_t)(ud >> 32) & 0x7fffffffu;
	uint32_t want, ev;
	struct slot *s;

	if (ud & TAG_REMOVE || i >= b->nslots)
		return false;
	s = &b->slots[i];
	if (!s->armed || (s->armed_gen & 0x7fffffffu) != gen)
		return false; /* a request of an old generation: removed */
	if (!(cqe->flags & IORING_CQE_F_MORE))
		s->armed = false;
	if (s->io == NULL || (s->gen & 0x7fffffffu) != gen) {
		mark(b, i); /* removed since, or changed: in line next turn */
		return false;
	}
	if (cqe->res < 0) {
		/* The descriptor could not be polled (closed under us: -EBADF):
		 * reported once as an error, then quiet until modified. */
		loop->batch[n].events = SIPC_LOOP_ERR;
		loop->batch[n].io = s->io;
		s->quiet = true;
		s->gen++; /* a multishot request is removed */
		mark(b, i);
		return true;
	}
	want = s->events | SIPC_LOOP_ERR | SIPC_LOOP_HUP;
	ev = from_poll((uint32_t)cqe->res) & want;
	/* io_uring reports the wake-up's key, and a socket's reader is woken
	 * with PRI in the key for any byte: when PRI is asked (TCP's urgent
	 * mode in serve), poll(2) says what is really ready, as epoll would.
	 * One-shot slots are looked at together, by one poll(2) for the whole
	 * batch (confirm()); a multishot slot (a half-closed peer, rare) at
	 * once, since a false event must not replace its request. */
	if (ev != 0 && (s->events & SIPC_LOOP_PRI) && !s->multi) {
		b->confirm[b->nconfirm].fd = s->fd;
		b->confirm[b->nconfirm].events = (short)to_poll(s->events);
		b->confirm_slot[b->nconfirm++] = i;
	} else if (ev != 0 && (s->events & SIPC_LOOP_PRI)) {
		struct pollfd pfd = {.fd = s->fd, .events = (short)to_poll(s->events)};

		if (poll(&pfd, 1, 0) >= 0)
			ev = from_poll((uint32_t)pfd.revents) & want;
	}
	if (ev == 0) {
		/* Nothing asked for: RDHUP (the kernel adds it to every poll:
		 * a socket whose peer has shut its side down completes each
		 * one-shot poll at once), or PRI that was not.  The slot is
		 * polled multishot from now on: it completes on wake-ups, not
		 * on a state that stays. */
		if (!s->multi) {
			s->multi = true;
			s->gen++;
		}
		mark(b, i);
		return false;
	}
	loop->batch[n].events = ev;
	loop->batch[n].io = s->io;
	if (s->events & SIPC_LOOP_ONESHOT)
		s->quiet = true;
	/* Level-triggered: armed again by the next poll(), whose one-shot
	 * request completes at once if IO is still ready.  A multishot one
	 * is replaced by a fresh one (which looks at the state as it is
	 * armed, and so reports what is still ready). */
	if (s->multi)
		s->gen++;
	mark(b, i);
	return true;
}

/* The events of the batch's one-shot slots that ask PRI, from one
 * poll(2) (complete() put them in b->confirm, in batch order): a slot
 * with nothing asked ready after all is dropped from the batch and polled
 * multishot, as complete() does with such a completion. */
static void confirm(struct uring_backend *b, sipc_loop *loop, int n)
{
	unsigned k = 0;

	if (b->nconfirm == 0)
		return;
	if (poll(b->confirm, b->nconfirm, 0) < 0) {
		b->nconfirm = 0;
		return; /* the kernel's word stands */
	}
	for (int j = 0; j < n && k < b->nconfirm; j++) {
		struct slot *s = &b->slots[b->confirm_slot[k]];
		uint32_t ev;

		if (loop->batch[j].io != s->io || s->io == NULL)
			continue;
		ev = from_poll((uint32_t)b->confirm[k].revents) &
		     (s->events | SIPC_LOOP_ERR | SIPC_LOOP_HUP);
		k++;
		if (ev != 0) {
			loop->batch[j].events = ev;
			continue;
		}
		loop->batch[j].io = NULL;
		if (s->events & SIPC_LOOP_ONESHOT)
			s->quiet = false;
		s->multi = true;
		s->gen++;
	}
	b->nconfirm = 0;
}

/* Submits what is queued and waits at most WAIT_MS (0: not at all, -1: no
 * limit) for a completion; 0, 1 when the wait timed out, or -errno. */
static int enter(struct uring_backend *b, int wait_ms)
{
	struct io_uring_cqe *cqe;
	int err = 0;

	if (io_uring_cq_ready(&b->ring) > 0) {
		if (io_uring_sq_ready(&b->ring) > 0)
			err = io_uring_submit(&b->ring);
	} else if (wait_ms == 0) {
		err = io_uring_submit_and_get_events(&b->ring);
	} else if (wait_ms < 0) {
		err = io_uring_submit_and_wait(&b->ring, 1);
	} else {
		struct __kernel_timespec ts = {.tv_sec = wait_ms / 1000,
					       .tv_nsec = (long long)(wait_ms % 1000) * 1000000};

		err = io_uring_submit_and_wait_timeout(&b->ring, &cqe, 1, &ts, NULL);
		if (err == -ETIME)
			return 1;
	}
	/* EAGAIN, EBUSY: the kernel is short of room for now (the completions
	 * it holds back are taken below, the queue is submitted next time). */
	if (err < 0 && err != -EAGAIN && err != -EBUSY)
		return err;
	return 0;
}

static int ur_poll(sipc_loop *loop, int timeout_ms)
{
	struct uring_backend *b = bk_of(loop);
	struct io_uring_cqe *cqes[SIPC__LOOP_BATCH];
	int64_t end = timeout_ms > 0 ? loop->now + timeout_ms : 0;
	int wait = timeout_ms;

	if (!b->enabled) {
		/* io_uring_enable_rings is declared by liburing 2.3 but not
		 * exported: the register call itself. */
		int err = io_uring_register(b->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);

		if (err < 0)
			return err;
		b->enabled = true;
	}
	/* A wait may end with completions that make no event (removals, a
	 * request of an old generation): then it waits again, for what is
	 * left of the time. */
	for (int rounds = 0;; rounds++) {
		unsigned got;
		int n = 0, err;

		sync_all(b);
		err = enter(b, wait);
		got = io_uring_peek_batch_cqe(&b->ring, cqes, SIPC__LOOP_BATCH);
		for (unsigned k = 0; k < got; k++)
			if (complete(b, loop, cqes[k], n))
				n++;
		io_uring_cq_advance(&b->ring, got);
		confirm(b, loop, n);
		if (n > 0)
			return n;
		if (err < 0)
			return err; /* -EINTR too: the loop's, not an error */
		if (err == 1 || wait == 0 || rounds >= 64)
			return 0;
		if (timeout_ms > 0) {
			int64_t left = end - sipc__loop_clock_ms();

			wait = left > 0 ? (int)left : 0;
		}
	}
}

static void ur_wake(sipc_loop *loop)
{
	sipc__wakefd_write(bk_of(loop)->wakefd);
}

/* The ring's flags, best first: the kernel refuses (EINVAL) those it does
 * not know. */
static const unsigned ring_flags[] = {
	IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED | IORING_SETUP_SINGLE_ISSUER |
		IORING_SETUP_DEFER_TASKRUN,
	IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED | IORING_SETUP_COOP_TASKRUN,
	IORING_SETUP_CQSIZE,
	0,
};

static int ring_init(struct io_uring *ring, bool *disabled)
{
	int err = -EINVAL;

	for (size_t k = 0; k < sizeof(ring_flags) / sizeof(ring_flags[0]); k++) {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		p.flags = ring_flags[k];
		p.cq_entries = RING_CQ;
		err = io_uring_queue_init_params(RING_SQ, ring, &p);
		if (err != -EINVAL) {
			*disabled = err == 0 && (p.flags & IORING_SETUP_R_DISABLED);
			return err;
		}
	}
	return err;
}

static int ur_open(sipc_loop *loop)
{
	struct uring_backend *b;
	bool disabled = false;
	int err;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->free_head = NO_SLOT;
	err = ring_init(&b->ring, &disabled);
	if (err < 0)
		goto free_b;
	b->enabled = !disabled;
	b->wakefd = sipc__wakefd_open(&b->wake_io);
	if (b->wakefd < 0) {
		err = b->wakefd;
		goto exit_ring;
	}
	loop->bk = b;
	err = ur_add(loop, &b->wake_io, SIPC_LOOP_IN);
	if (err < 0)
		goto close_wake;
	b->wake_io.events = SIPC_LOOP_IN;
	b->wake_io.active = true;
	return 0;

close_wake:
	loop->bk = NULL;
	close(b->wakefd);
exit_ring:
	io_uring_queue_exit(&b->ring);
free_b:
	free(b->slots);
	free(b->dirty);
	free(b);
	return err;
}

static void ur_close(sipc_loop *loop)
{
	struct uring_backend *b = bk_of(loop);

	/* Nothing is submitted: in a fork child this is the parent's ring.
	 * Closing the ring's last descriptor cancels its requests. */
	io_uring_queue_exit(&b->ring);
	close(b->wakefd);
	free(b->slots);
	free(b->dirty);
	free(b);
	loop->bk = NULL;
}

const struct sipc__loop_backend sipc__loop_backend_uring = {
	.name = "uring",
	.open = ur_open,
	.close = ur_close,
	.add = ur_add,
	.modify = ur_modify,
	.del = ur_del,
	.poll = ur_poll,
	.wake = ur_wake,
};

int sipc__loop_uring_probe(char *why, size_t n)
{
	struct io_uring ring;
	bool disabled;
	int err = ring_init(&ring, &disabled);
	const char *reason;
	FILE *f;
	int sysctl = -1;

	if (err == 0) {
		io_uring_queue_exit(&ring);
		return 0;
	}
	f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	if (f != NULL) {
		if (fscanf(f, "%d", &sysctl) != 1)
			sysctl = -1;
		fclose(f);
	}
	switch (err) {
	case -ENOSYS:
		reason = "io_uring_setup: ENOSYS: the kernel has no io_uring";
		break;
	case -EPERM:
		if (sysctl == 2)
			reason = "io_uring_setup: EPERM: sysctl kernel.io_uring_disabled=2";
		else if (sysctl == 1)
			reason = "io_uring_setup: EPERM: sysctl kernel.io_uring_disabled=1 and "
				 "this user is not in kernel.io_uring_group";
		else
			reason = "io_uring_setup: EPERM: refused by a seccomp filter, as "
				 "containers' default profiles do";
		break;
	case -ENOMEM:
		reason = "io_uring_setup: ENOMEM: the locked-memory limit (ulimit -l) is too low";
		break;
	default:
		reason = NULL;
		break;
	}
	if (reason != NULL)
		snprintf(why, n, "%s", reason);
	else
		snprintf(why, n, "io_uring_setup: %s", strerror(-err));
	return err;
}
