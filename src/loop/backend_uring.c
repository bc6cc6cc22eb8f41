/*
 * backend_uring.c - the loop's backend on io_uring (loop_impl.h): the
 * readiness interface through the ring, and completion receive.  Every
 * watched io is a one-shot IORING_OP_POLL_ADD, armed again after each
 * completion; an eventfd polled the same way wakes the loop; an io that
 * receives (sipc__io_recv_start) has a multishot receive into the loop's
 * provided buffer ring beside its poll.  The only file that speaks
 * io_uring.
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
 * took serve's TCP echo at 100 connections, depth 1, from 3.03-3.06 system
 * calls per echoed message to 2.06-2.09 (epoll: 2.02; perf's
 * raw_syscalls:sys_enter on serve -w 1, 3 runs each, 2026-12-03).  A
 * PRI-only probe poll armed in a second, non-waiting round of the same
 * poll() saved that call but cost more than it saved (its arming and
 * removal per event: 100 connections at depth 16 ran at 0.3-0.45x epoll,
 * against about 1x with poll(2); measured 2026-12-03).
 *
 * Requests are tagged by slot and generation (user_data: slot in the low
 * 32 bits, generation in the next 28; bit 63 for the removals and cancels,
 * whose completions are ignored; bit 62 for receives (below, whose bits
 * 32..61 are their own), 61 for sends, 60 for accepts).  add()
 * takes a slot and stores its index in io->bk_slot; modify() and del()
 * bump the generation, so a completion of a request made before is
 * dropped, even once the io is freed or its slot is used by another io.
 * add() and modify() only mark the slot; poll() brings the kernel's
 * requests in line with them (a POLL_REMOVE for a request of an old
 * generation, a POLL_ADD for the current one) and submits them with its
 * wait: one io_uring_enter per turn.  del() submits its POLL_REMOVE at
 * once (a system call, as epoll_ctl's DEL): a poll request holds a
 * reference to the descriptor's file, and a close() after del() must end
 * the file then, as with epoll.  A full submission queue is submitted and
 * filled again; a request that still finds no room stays marked for the
 * next turn, never dropped.
 *
 * Completion receive (recv_start, loop.h): where readiness costs a turn
 * and a recv(2) per chunk, a multishot IORING_OP_RECV with
 * IOSQE_BUFFER_SELECT hands the loop the bytes themselves, in buffers the
 * kernel takes from a provided buffer ring of the loop's (registered by
 * hand with io_uring_register_buf_ring: liburing 2.3 has no
 * io_uring_setup_buf_ring; set up by the first recv_start, so a loop that
 * never receives costs nothing more, nor does an io that does not
 * receive).  An idle connection holds no buffer: one is taken only when
 * bytes arrive.  A receive is tagged like the polls, with TAG_RECV, the
 * slot, the io's generation on the slot (io_gen, bumped by add and del:
 * a completion of a freed io gives its buffer back and is dropped) and
 * the request's number (recv_seq: data of a cancelled request is still
 * the io's, but its end says nothing of the current one).  Each data
 * completion becomes a batch entry (SIPC__LOOP_DATA) holding its buffer
 * until loop.c has dispatched it (recv_release).  A stopped receiver's
 * request is cancelled (IORING_OP_ASYNC_CANCEL, with the turn's submit),
 * and what it posted before the cancel took effect, with what loop.c had
 * in its batch for it, is kept on the slot's queue (copied out of the
 * ring's buffers, which go back at once: kept_copy), and flushed first into the batch after the
 * next recv_start (while a slot keeps anything its newer completions are kept behind it, so the
 * order holds).  del() cancels at once (with its POLL_REMOVE) and frees what is kept.  A receive
 * that ends without F_MORE is armed again, except after the end or an error (given to the callback,
 * then receiving stops) and -ENOBUFS: the ring ran dry (never told to the callback), the slot waits
 * until buffers are back (unstarve()).  While an io receives, loop.c asks the poll without IN (the
 * receive takes the bytes; a poll for IN would complete at each); the poll for OUT, PRI or nothing
 * but ERR and HUP goes on beside it, and the RDHUP rule below holds for it as for any poll.
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
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING_SQ    256
#define RING_CQ    4096
#define TAG_REMOVE (1ull << 63)
#define TAG_RECV   (1ull << 62)
#define TAG_SEND   (1ull << 61) /* a completion send's (bits 32..55: io_gen) */
#define TAG_ACCEPT (1ull << 60) /* a multishot accept's (bits 32..55: io_gen) */
#define TAG_KIND   (TAG_REMOVE | TAG_RECV | TAG_SEND | TAG_ACCEPT)
#define TAG_FIXED  (TAG_REMOVE | TAG_SEND) /* a registration's (bits 32..55: io_gen) */
#define GEN_MASK   0x0fffffffu             /* a poll's generation: bits 32..59 */
#define IOGEN_MASK 0xffffffu               /* a receive's io generation: bits 32..55 */
#define SEQ_MASK   0x3fu                   /* a receive's request number: bits 56..61 */
#define NO_SLOT    UINT32_MAX

/* The provided buffer ring (completion receive).  16 KiB buffers: a
 * multishot receive fills one buffer per completion, so the size is the
 * most a completion carries; 16 KiB is serve's receive buffer per
 * connection on the readiness path, holds any message of request-response
 * traffic whole and moves a bulk stream at 4 pages per completion, while
 * 64 KiB would pin four times the memory for each small message in
 * flight.  256 of them by default: 4 MiB of address space per loop,
 * touched as the kernel fills them (the ring is FIFO: after a few MiB of
 * traffic all of it is resident).  A buffer is held only from its
 * completion until its callback returns (a stopped receiver keeps a
 * copy, not the buffer).  When they run out a receive ends with ENOBUFS and is armed
 * again once buffers are back: more bytes in flight than buffers cost
 * waits and completions, never bytes.
 *
 * Measured 2026-12-03 (kernel 6.18, liburing 2.3, 2-vCPU Xeon VM; a
 * forked writer, 16 KiB writes; the receiver's system calls by strace -c):
 * one 1 MiB transfer in 16 KiB chunks: epoll readiness + recv(2) 65
 * recvfrom + 5 epoll_wait (unix socketpair; tcp 69 + 11), the epoll
 * emulation of this API the same (66 + 5; tcp 69 + 8), uring readiness
 * 65 recvfrom + 5 io_uring_enter (tcp 67 + 8), uring completion receive
 * 6 io_uring_enter and no recvfrom (tcp 3): about 1.1 system calls per
 * chunk against 0.05-0.1.  200 tcp connections receiving 1 MiB each at
 * once, by ring size: 32 buffers 516 io_uring_enter (peak RSS 2.1 MB),
 * 64: 210 (2.7 MB), 128: 133 (3.8 MB), 256: 59 (5.7 MB), 1024: 53 (18
 * MB); uring readiness + recv(2) made 13761 recvfrom + 16 enters (1.6
 * MB).  256 is the knee: four times more buffers save nothing. */
#define BUF_SIZE    (16 * 1024)
#define BUF_DEFAULT 256u
#define BUF_GROUP   0

static unsigned nbufs_wanted = BUF_DEFAULT;

void sipc__loop_uring_set_nbufs(unsigned n)
{
	nbufs_wanted = n == 0 ? BUF_DEFAULT : n;
}

/* A completion kept for a slot that does not receive now: N bytes at OFF
 * in buffer BID, or the end (0) or an error (-errno) with no buffer. */
struct kept {
	uint32_t bid; /* SIPC__LOOP_NOBUF with n > 0: the bytes are in copy */
	uint32_t off;
	ssize_t n;
	uint8_t *copy; /* kept_copy(): the bytes, moved out of the ring */
};

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
	/* Completion receive. */
	uint32_t io_gen;   /* bumped by add() and del(): a receive's tag */
	bool recv;         /* receiving */
	bool recv_armed;   /* a multishot receive of recv_seq is in the kernel */
	bool starved;      /* it ended with ENOBUFS: armed when buffers are back */
	bool term_kept;    /* an end or error is kept: no new request */
	bool recv_renew;   /* the peer's end was seen by the poll: receive anew */
	bool renewed;      /* ... done, once per io */
	bool on_kept;      /* on the kept list */
	uint8_t recv_seq;  /* the request's number (an old one's data is kept) */
	int lost;          /* -ENOMEM: a completion could not be kept (keep()) */
	struct kept *kept; /* kept[kept_head .. kept_head + kept_n) */
	uint32_t kept_head, kept_n, kept_cap;
	/* Completion send: send_buf is the loop's while a send is in flight
	 * (or queued: send_want), and a slot holding one is not freed. */
	void *send_buf;
	size_t send_len, send_done;
	bool send_want;  /* a request (of the rest) is to be made */
	bool send_armed; /* a send request is in the kernel */
	/* Registered descriptors (fixed_setup). */
	bool fix_sent; /* fd's registration at the slot's index is submitted */
	bool fixed;    /* ... and done: requests name the index */
	/* Completion accept (accept_start, below). */
	bool acc;        /* accepting */
	bool acc_armed;  /* a multishot accept of acc_seq is in the kernel */
	bool acc_term;   /* it ended (an error told, or to tell): not again */
	bool acc_listed; /* on the accepted list */
	bool acc_one;    /* one-shot requests (sipc__io_accept_start_shared) */
	bool acc_ending; /* accept_end: cancel, give what comes, then -ECANCELED */
	bool acc_cancel; /* ... the cancel is submitted */
	uint8_t acc_seq;
	int *afd; /* accepted, kept: afd[(afd_head + k) & (afd_cap - 1)] */
	uint32_t afd_head, afd_n, afd_cap;
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
	/* The provided buffer ring, set up by the first recv_start. */
	struct io_uring_buf_ring *br;
	char *bufs;
	unsigned nbufs; /* when set up; before, the number it will have */
	unsigned held;  /* buffers out of the ring: in a batch, or kept */
	int br_err;     /* its setup failed: loop.c emulates */
	uint32_t nstarved;
	uint32_t *kl; /* the slots with kept completions (cap, as dirty) */
	uint32_t kl_n;
	/* The registered descriptor table: slot I's descriptor at index I
	 * for the first nfixed slots (0: none).  fixed_fds[I] is what its
	 * registration request reads (stable: slots move, this does not). */
	unsigned nfixed;
	int *fixed_fds;
	/* Completion accept: the slots with accepted descriptors kept. */
	uint32_t *al;
	uint32_t al_n, al_cap;
	bool acc_ok;      /* a multishot accept has given a descriptor */
	pid_t pid;        /* the process that made the ring (a fork child's differs) */
	bool acc_refused; /* the kernel refused one: loop.c emulates */
};

static unsigned nfixed_wanted = UINT32_MAX;

void sipc__loop_uring_set_nfixed(unsigned n)
{
	nfixed_wanted = n;
}

bool sipc__loop_uring_fixed(const sipc_loop *loop, const sipc_loop_io *io)
{
	const struct uring_backend *b;

	if (loop->be != &sipc__loop_backend_uring)
		return false;
	b = loop->bk;
	return io->bk_slot < b->nslots && b->slots[io->bk_slot].io == io &&
	       b->slots[io->bk_slot].fixed;
}

static struct uring_backend *bk_of(const sipc_loop *loop)
{
	return loop->bk;
}

unsigned sipc__loop_uring_held(const sipc_loop *loop)
{
	if (loop->be != &sipc__loop_backend_uring)
		return 0;
	return bk_of(loop)->held;
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
/* POLLRDHUP, which poll.h has only with _GNU_SOURCE. */
#define POLL_RDHUP 0x2000u

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
	return (uint64_t)slot | (uint64_t)(gen & GEN_MASK) << 32;
}

/* A receive's tag: its slot, the io's generation there, its number. */
static inline uint64_t rtag(uint32_t slot, const struct slot *s)
{
	return (uint64_t)slot | (uint64_t)(s->io_gen & IOGEN_MASK) << 32 |
	       (uint64_t)(s->recv_seq & SEQ_MASK) << 56 | TAG_RECV;
}

/* A send's tag: its slot, the io's generation there. */
static inline uint64_t stag(uint32_t slot, const struct slot *s)
{
	return (uint64_t)slot | (uint64_t)(s->io_gen & IOGEN_MASK) << 32 | TAG_SEND;
}

/* What a registration to -1 (the index emptied) reads. */
static int no_fd = -1;

/* SQE, prepared for slot I with its descriptor, names it by its index in
 * the registered table once the kernel has it there. */
static inline void use_fixed(struct io_uring_sqe *sqe, const struct slot *s, uint32_t i)
{
	if (s->fixed) {
		sqe->fd = (int)i;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
}

static void give_back(struct uring_backend *b, uint32_t bid)
{
	if (bid == SIPC__LOOP_NOBUF || b->br == NULL || bid >= b->nbufs)
		return;
	io_uring_buf_ring_add(b->br, b->bufs + (size_t)bid * BUF_SIZE, BUF_SIZE,
			      (unsigned short)bid, io_uring_buf_ring_mask(b->nbufs), 0);
	io_uring_buf_ring_advance(b->br, 1);
	b->held--;
}

/* Sets up the buffer ring; 0 or -errno (remembered). */
static int bufs_setup(struct uring_backend *b)
{
	struct io_uring_buf_reg reg;
	unsigned n = b->nbufs;
	void *br = NULL;
	int err;

	if (b->br != NULL || b->br_err != 0)
		return b->br_err;
	if (posix_memalign(&br, 4096, n * sizeof(struct io_uring_buf)) != 0) {
		b->br_err = -ENOMEM;
		return b->br_err;
	}
	b->bufs = mmap(NULL, (size_t)n * BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->bufs == MAP_FAILED) {
		b->bufs = NULL;
		free(br);
		b->br_err = -ENOMEM;
		return b->br_err;
	}
	b->br = br;
	io_uring_buf_ring_init(b->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = n;
	reg.bgid = BUF_GROUP;
	err = io_uring_register_buf_ring(&b->ring, &reg, 0);
	if (err < 0) {
		munmap(b->bufs, (size_t)n * BUF_SIZE);
		free(br);
		b->br = NULL;
		b->bufs = NULL;
		b->br_err = err;
		return err;
	}
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(b->br, b->bufs + (size_t)i * BUF_SIZE, BUF_SIZE,
				      (unsigned short)i, io_uring_buf_ring_mask(n), (int)i);
	io_uring_buf_ring_advance(b->br, n);
	return 0;
}

/* Slot I has completions kept: on the kept list (which has room for
 * every slot: take_slot grows it). */
static void kept_list(struct uring_backend *b, uint32_t i)
{
	if (b->slots[i].on_kept)
		return;
	b->kl[b->kl_n++] = i;
	b->slots[i].on_kept = true;
}

/* Room in slot S's kept queue for one more at either end; false when
 * memory ran out. */
static bool kept_room(struct slot *s)
{
	uint32_t head;

	if (s->kept_head > 0 && s->kept_head + s->kept_n < s->kept_cap)
		return true;
	if (s->kept_n + 1 >= s->kept_cap) {
		uint32_t cap = s->kept_cap ? s->kept_cap * 2 : 8;
		struct kept *p = realloc(s->kept, cap * sizeof(*p));

		if (p == NULL)
			return false;
		s->kept = p;
		s->kept_cap = cap;
	}
	/* Re-centred: room at both ends. */
	head = (s->kept_cap - s->kept_n) / 2;
	memmove(s->kept + head, s->kept + s->kept_head, s->kept_n * sizeof(*s->kept));
	s->kept_head = head;
	return true;
}

/* Frees what K holds: its ring buffer, or its copy. */
static void kept_free(struct uring_backend *b, const struct kept *k)
{
	if (k->bid == SIPC__LOOP_NOBUF && k->n > 0)
		free(k->copy);
	else
		give_back(b, k->bid);
}

/*
 * A slot that does not receive (its owner stopped it: backpressure) keeps
 * its bytes in memory of its own, not in the ring's buffers: the ring is
 * the loop's, and a few peers that send and never read would otherwise
 * hold all of it, leaving every other connection of the loop without a
 * buffer (ENOBUFS) until one of them reads.  The copy is made once, on
 * this path only; out of memory, the buffer stays kept as it is.
 */
static void kept_copy(struct uring_backend *b, struct kept *k)
{
	uint8_t *c;

	if (k->bid == SIPC__LOOP_NOBUF || k->n <= 0)
		return;
	c = malloc((size_t)k->n);
	if (c == NULL)
		return;
	memcpy(c, b->bufs + (size_t)k->bid * BUF_SIZE + k->off, (size_t)k->n);
	give_back(b, k->bid);
	k->bid = SIPC__LOOP_NOBUF;
	k->off = 0;
	k->copy = c;
}

/* Keeps K for slot I, after what it keeps or (FRONT) before.  Out of
 * memory, its bytes cannot be kept: they are dropped, with everything
 * after them, and receiving ends with -ENOMEM (lost) after what came
 * before them: never a gap in the stream. */
static void keep(struct uring_backend *b, uint32_t i, struct kept k, bool front)
{
	struct slot *s = &b->slots[i];

	if (s->lost != 0 || !kept_room(s)) {
		kept_free(b, &k);
		if (front) {
			for (uint32_t j = 0; j < s->kept_n; j++)
				kept_free(b, &s->kept[s->kept_head + j]);
			s->kept_n = 0;
		}
		s->lost = -ENOMEM;
		s->term_kept = true;
		kept_list(b, i);
		return;
	}
	if (!s->recv)
		kept_copy(b, &k);
	if (front) {
		s->kept_head--;
		s->kept[s->kept_head] = k;
	} else {
		s->kept[s->kept_head + s->kept_n] = k;
	}
	s->kept_n++;
	if (k.n <= 0)
		s->term_kept = true;
	kept_list(b, i);
}

/* Gives back what slot S keeps. */
static void kept_drop(struct uring_backend *b, struct slot *s)
{
	for (uint32_t k = 0; k < s->kept_n; k++)
		kept_free(b, &s->kept[s->kept_head + k]);
	s->kept_n = 0;
	s->kept_head = 0;
	s->term_kept = false;
	s->lost = 0;
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
		d = realloc(b->kl, cap * sizeof(*d));
		if (d == NULL)
			return NO_SLOT;
		b->kl = d;
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

/* Completion accept (below ur_recv_release). */
static bool sync_accept(struct uring_backend *b, uint32_t i);
static void accept_drop(struct uring_backend *b, struct slot *s);
static bool complete_accept(struct uring_backend *b, sipc_loop *loop,
			    const struct io_uring_cqe *cqe, int n);
static int flush_accepted(struct uring_backend *b, sipc_loop *loop, int n);
static void accept_close_all(struct uring_backend *b);

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
	s->io_gen++;
	s->recv = false;
	s->recv_armed = false; /* an old io's request: its tag's io_gen is stale */
	s->starved = false;
	s->recv_renew = false;
	s->renewed = false;
	s->fix_sent = false; /* del() emptied the index */
	s->fixed = false;
	kept_drop(b, s);
	accept_drop(b, s);
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
	s->recv = false;
	if (s->starved) {
		s->starved = false;
		b->nstarved--;
	}
	kept_drop(b, s);
	accept_drop(b, s); /* its cancel goes with the submit below */
	/* The kernel's poll and receive requests hold a reference to the
	 * descriptor's file: they are removed now, not at the next turn, so
	 * that a close() after this ends the file at once, as with epoll (a
	 * peer sees the end, a port is free again), and the receive writes
	 * into no buffer after.  A system call, as epoll_ctl's DEL.  A
	 * completion posted before (a receive's data) has the old io_gen: its
	 * buffer goes back and it is dropped. */
	if (s->send_want) {
		/* Not in the kernel yet: no one else holds the buffer. */
		s->send_want = false;
		if (!s->send_armed) {
			free(s->send_buf);
			s->send_buf = NULL;
		}
	}
	if ((s->armed || s->recv_armed || s->send_armed || s->fix_sent) && b->enabled) {
		bool any = false;
		struct io_uring_sqe *sqe;

		if (s->armed && (sqe = get_sqe(b)) != NULL) {
			io_uring_prep_poll_remove(sqe, tag((uint32_t)(s - b->slots), s->armed_gen));
			io_uring_sqe_set_data64(sqe, TAG_REMOVE);
			s->armed = false;
			any = true;
		}
		if (s->recv_armed && (sqe = get_sqe(b)) != NULL) {
			io_uring_prep_cancel64(sqe, rtag((uint32_t)(s - b->slots), s), 0);
			io_uring_sqe_set_data64(sqe, TAG_REMOVE);
			s->recv_armed = false;
			any = true;
		}
		/* The send's buffer is freed by its completion (complete_send:
		 * the kernel may read it until then), which keeps the slot. */
		if (s->send_armed && (sqe = get_sqe(b)) != NULL) {
			io_uring_prep_cancel64(sqe, stag((uint32_t)(s - b->slots), s), 0);
			io_uring_sqe_set_data64(sqe, TAG_REMOVE);
			any = true;
		}
		/* The table holds a reference to the file too: emptied now,
		 * or the close() after this would not end it.  Never left for
		 * later: without room in the queue, the register call. */
		if (s->fix_sent) {
			sqe = get_sqe(b);
			if (sqe != NULL) {
				io_uring_prep_files_update(sqe, &no_fd, 1, (int)(s - b->slots));
				io_uring_sqe_set_data64(sqe, TAG_REMOVE);
				any = true;
			} else {
				(void)io_uring_register_files_update(
					&b->ring, (unsigned)(s - b->slots), &no_fd, 1);
			}
			s->fix_sent = false;
			s->fixed = false;
		}
		if (any)
			(void)io_uring_submit_and_get_events(&b->ring);
	}
	s->io_gen++;
	mark(b, (uint32_t)(s - b->slots));
}

/* Brings the kernel's request of slot I in line with it; false when the
 * submission queue had no room (the slot stays dirty). */
static bool sync_slot(struct uring_backend *b, uint32_t i)
{
	struct slot *s = &b->slots[i];
	struct io_uring_sqe *sqe;

	if (s->io != NULL && !s->fix_sent && i < b->nfixed) {
		/* Requests made before it completes name the descriptor. */
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		b->fixed_fds[i] = s->fd;
		io_uring_prep_files_update(sqe, &b->fixed_fds[i], 1, (int)i);
		io_uring_sqe_set_data64(
			sqe, (uint64_t)i | (uint64_t)(s->io_gen & IOGEN_MASK) << 32 | TAG_FIXED);
		s->fix_sent = true;
	}
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
		use_fixed(sqe, s, i);
		io_uring_sqe_set_data64(sqe, tag(i, s->gen));
		s->armed = true;
		s->armed_gen = s->gen;
	}
	if (s->recv_armed && (s->io == NULL || !s->recv || s->recv_renew)) {
		/* Data it posts before the cancel takes effect is kept. */
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		io_uring_prep_cancel64(sqe, rtag(i, s), 0);
		io_uring_sqe_set_data64(sqe, TAG_REMOVE);
		s->recv_armed = false;
	}
	s->recv_renew = false;
	if (s->io != NULL && s->recv && !s->recv_armed && !s->term_kept && !s->starved) {
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		s->recv_seq++;
		io_uring_prep_recv_multishot(sqe, s->fd, NULL, 0, 0);
		use_fixed(sqe, s, i);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BUF_GROUP;
		io_uring_sqe_set_data64(sqe, rtag(i, s));
		s->recv_armed = true;
	}
	if (s->io != NULL && s->send_want && !s->send_armed) {
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		/* MSG_WAITALL: the kernel goes on after a short send (polling
		 * the socket as a blocking send would wait), so the request
		 * ends when every byte is out or with an error. */
		io_uring_prep_send(sqe, s->fd, (char *)s->send_buf + s->send_done,
				   s->send_len - s->send_done, MSG_WAITALL | MSG_NOSIGNAL);
		use_fixed(sqe, s, i);
		io_uring_sqe_set_data64(sqe, stag(i, s));
		s->send_want = false;
		s->send_armed = true;
	}
	if (!sync_accept(b, i))
		return false;
	s->dirty = false;
	if (s->io == NULL && !s->armed && s->send_buf == NULL) {
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

/* A send's completion CQE into the batch at N; whether it made an entry. */
static bool complete_send(struct uring_backend *b, sipc_loop *loop, const struct io_uring_cqe *cqe,
			  int n);
/* The completion CQE into the batch at N; whether it made an event. */
static bool complete_recv(struct uring_backend *b, sipc_loop *loop, const struct io_uring_cqe *cqe,
			  int n);

static bool complete(struct uring_backend *b, sipc_loop *loop, const struct io_uring_cqe *cqe,
		     int n)
{
	uint64_t ud = cqe->user_data;
	uint32_t i = (uint32_t)ud, gen = (uint32_t)(ud >> 32);
	uint32_t want, ev;
	struct slot *s;

	if ((ud & (TAG_RECV | TAG_REMOVE)) == TAG_RECV)
		return complete_recv(b, loop, cqe, n);
	if ((ud & TAG_KIND) == TAG_SEND)
		return complete_send(b, loop, cqe, n);
	if ((ud & TAG_KIND) == TAG_FIXED) {
		/* A registration: the slot's requests name the index from now
		 * on (refused: they go on naming the descriptor). */
		uint32_t iog = (uint32_t)(ud >> 32) & IOGEN_MASK;

		if (i < b->nslots && b->slots[i].io != NULL &&
		    (b->slots[i].io_gen & IOGEN_MASK) == iog && b->slots[i].fix_sent &&
		    cqe->res >= 1)
			b->slots[i].fixed = true;
		return false;
	}
	if ((ud & (TAG_ACCEPT | TAG_REMOVE)) == TAG_ACCEPT)
		return complete_accept(b, loop, cqe, n);
	if (ud & TAG_KIND || i >= b->nslots)
		return false;
	s = &b->slots[i];
	gen &= GEN_MASK;
	if (!s->armed || (s->armed_gen & GEN_MASK) != gen)
		return false; /* a request of an old generation: removed */
	if (!(cqe->flags & IORING_CQE_F_MORE))
		s->armed = false;
	if (s->io == NULL || (s->gen & GEN_MASK) != gen) {
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
		/* A multishot receive can miss the peer's shutdown: on this
		 * kernel (6.18), a unix stream peer's 4 MB and then
		 * shutdown(SHUT_WR) left the receive waiting, with every byte
		 * taken, in 15-17 of 300 runs (with or without DEFER_TASKRUN;
		 * measured 2026-12-03 with a minimal loop and liburing alone),
		 * until the peer closed.  The poll sees it (RDHUP): the
		 * receive is cancelled and made anew, which finds the end at
		 * once.  Bytes the old one posted come first, in order. */
		if ((cqe->res & POLL_RDHUP) && s->recv && !s->renewed) {
			s->recv_renew = true;
			s->renewed = true;
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

		if (loop->batch[j].io != s->io || s->io == NULL ||
		    (loop->batch[j].events & SIPC__LOOP_DATA))
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

/* A receive's completion CQE into the batch at N (or kept); whether it
 * made an entry.  Its buffer is ours from here: given back when the entry
 * is dispatched, at once when the completion is dropped. */
static bool complete_recv(struct uring_backend *b, sipc_loop *loop, const struct io_uring_cqe *cqe,
			  int n)
{
	uint64_t ud = cqe->user_data;
	uint32_t i = (uint32_t)ud, iog = (uint32_t)(ud >> 32) & IOGEN_MASK;
	uint32_t seq = (uint32_t)(ud >> 56) & SEQ_MASK;
	uint32_t bid = SIPC__LOOP_NOBUF;
	struct kept k;
	struct slot *s;
	bool cur;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		b->held++;
	}
	if (i >= b->nslots || b->slots[i].io == NULL || (b->slots[i].io_gen & IOGEN_MASK) != iog) {
		give_back(b, bid); /* the io is gone: stale */
		return false;
	}
	s = &b->slots[i];
	cur = s->recv_armed && (s->recv_seq & SEQ_MASK) == seq;
	if (cur && !(cqe->flags & IORING_CQE_F_MORE)) {
		s->recv_armed = false;
		if (s->recv)
			mark(b, i); /* armed again (or not: an end) by sync */
	}
	if (cqe->res == -ENOBUFS) {
		/* The ring ran dry: the bytes wait in the socket; armed again
		 * once buffers are back.  Never the callback's business. */
		give_back(b, bid);
		if (cur && !s->starved) {
			s->starved = true;
			b->nstarved++;
		}
		return false;
	}
	if (cqe->res == -ECANCELED) {
		give_back(b, bid); /* our cancel (or the ring's) */
		return false;
	}
	k.bid = bid;
	k.off = 0;
	k.n = cqe->res;
	k.copy = NULL;
	if (k.n > 0 && bid == SIPC__LOOP_NOBUF)
		k.n = -EIO; /* bytes without a buffer: cannot be */
	if (k.n <= 0)
		give_back(b, bid);
	if (!s->recv || s->kept_n > 0 || s->lost != 0 || n >= SIPC__LOOP_BATCH) {
		keep(b, i, k, false);
		return false;
	}
	loop->batch[n].io = s->io;
	loop->batch[n].events = SIPC__LOOP_DATA;
	loop->batch[n].bid = k.n > 0 ? bid : SIPC__LOOP_NOBUF;
	loop->batch[n].data = k.n > 0 ? b->bufs + (size_t)bid * BUF_SIZE : NULL;
	loop->batch[n].n = k.n;
	if (k.n <= 0)
		s->term_kept = true; /* no new request until it is dispatched */
	return true;
}

static bool complete_send(struct uring_backend *b, sipc_loop *loop, const struct io_uring_cqe *cqe,
			  int n)
{
	uint64_t ud = cqe->user_data;
	uint32_t i = (uint32_t)ud, iog = (uint32_t)(ud >> 32) & IOGEN_MASK;
	struct slot *s;
	void *buf;

	if (i >= b->nslots || b->slots[i].send_buf == NULL || !b->slots[i].send_armed)
		return false; /* cannot be: a slot with a send is kept */
	s = &b->slots[i];
	s->send_armed = false;
	if (s->io == NULL || (s->io_gen & IOGEN_MASK) != iog) {
		/* Stopped (cancelled, or done before the cancel): the kernel
		 * is done with the buffer, and the slot may go. */
		free(s->send_buf);
		s->send_buf = NULL;
		mark(b, i);
		return false;
	}
	if (cqe->res > 0 && s->send_done + (size_t)cqe->res < s->send_len) {
		/* Short (a signal, or MSG_WAITALL not kept): the rest. */
		s->send_done += (size_t)cqe->res;
		s->send_want = true;
		mark(b, i);
		return false;
	}
	buf = s->send_buf;
	s->send_buf = NULL;
	loop->batch[n].io = s->io;
	loop->batch[n].events = SIPC__LOOP_SENT;
	loop->batch[n].bid = SIPC__LOOP_NOBUF;
	loop->batch[n].data = buf;
	loop->batch[n].n = cqe->res > 0 ? (ssize_t)s->send_len : cqe->res == 0 ? -EPIPE : cqe->res;
	return true;
}

/* What receiving slots keep goes into the batch, from its start; how
 * many entries that made. */
static int flush_kept(struct uring_backend *b, sipc_loop *loop)
{
	uint32_t w = 0;
	int n = 0;

	for (uint32_t r = 0; r < b->kl_n; r++) {
		uint32_t i = b->kl[r];
		struct slot *s = &b->slots[i];

		while (s->io != NULL && s->recv && s->kept_n > 0 && n < SIPC__LOOP_BATCH) {
			struct kept *k = &s->kept[s->kept_head];

			loop->batch[n].io = s->io;
			loop->batch[n].events = SIPC__LOOP_DATA;
			loop->batch[n].bid = k->bid;
			loop->batch[n].data =
				k->n <= 0 ? NULL
				: k->bid == SIPC__LOOP_NOBUF
					? (const char *)k->copy
					: b->bufs + (size_t)k->bid * BUF_SIZE + k->off;
			loop->batch[n].n = k->n;
			n++;
			s->kept_head++;
			s->kept_n--;
			/* An end stays in term_kept until dispatched: it is
			 * kept again (by recv_keep) or ends receiving. */
		}
		if (s->io != NULL && s->recv && s->kept_n == 0 && s->lost != 0 &&
		    n < SIPC__LOOP_BATCH) {
			loop->batch[n].io = s->io;
			loop->batch[n].events = SIPC__LOOP_DATA;
			loop->batch[n].bid = SIPC__LOOP_NOBUF;
			loop->batch[n].data = NULL;
			loop->batch[n].n = s->lost;
			n++;
			s->lost = 0;
		}
		if (s->kept_n > 0 || s->lost != 0) {
			b->kl[w++] = i;
		} else {
			s->on_kept = false;
			s->kept_head = 0;
		}
	}
	b->kl_n = w;
	return n;
}

/* Slots that ran out of buffers are armed again when some are back. */
static void unstarve(struct uring_backend *b)
{
	if (b->nstarved == 0 || b->held >= b->nbufs)
		return;
	for (uint32_t i = 0; i < b->nslots; i++)
		if (b->slots[i].starved) {
			b->slots[i].starved = false;
			mark(b, i);
		}
	b->nstarved = 0;
}

/* Submits what is queued and waits at most WAIT_MS (0: not at all, -1: no
 * limit) for a completion; 0, 1 when the wait timed out, or -errno. */
static int enter(struct uring_backend *b, int wait_ms)
{
	struct io_uring_cqe *cqe;
	int err = 0;

	if (io_uring_cq_ready(&b->ring) > 0) {
		/* With GETEVENTS even so: under DEFER_TASKRUN a completion
		 * whose wake-up came from outside (a socket that turned
		 * readable) is posted only by an enter that asks for events,
		 * while a poll armed on a socket ready already completes at
		 * once.  With more ios ready all the time than a batch takes,
		 * the queue was never empty here, and a plain submit left a
		 * newly ready io untold for good (test_loop_poll
		 * test_many_ready: 1100 pipes always ready, one more written). */
		if (io_uring_sq_ready(&b->ring) > 0)
			err = io_uring_submit_and_get_events(&b->ring);
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

		unstarve(b);
		sync_all(b);
		/* Kept completions of slots receiving again come first (none of
		 * the slot's newer ones go before them: complete_recv keeps
		 * those while the slot keeps any). */
		if (b->kl_n > 0)
			n = flush_kept(b, loop);
		if (b->al_n > 0)
			n = flush_accepted(b, loop, n);
		err = enter(b, n > 0 ? 0 : wait);
		got = io_uring_peek_batch_cqe(&b->ring, cqes, (unsigned)(SIPC__LOOP_BATCH - n));
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

/*
 * Registered descriptors: a request that names a descriptor makes the
 * kernel look it up in the process's table and take a reference to its
 * file (fdget/fdput, atomic when the table is shared, as by serve's
 * threads); one that names an index of the ring's own table
 * (IOSQE_FIXED_FILE) does not.  Each slot's descriptor is registered at
 * the slot's index by a request submitted with the turn's wait (no
 * system call), and emptied by del() with its removals.  The table is
 * sparse, as large as RLIMIT_NOFILE allows up to FIXED_MAX (a slot past
 * it goes on naming its descriptor).  Measured 2026-12-03 (kernel 6.18,
 * liburing 2.3, 2-vCPU VM) in bench/peers/uring_echo.c with and without
 * it, unix echo, 100 connections, 3 runs each interleaved, the process
 * with a second (idle) thread as serve has: depth 16 1.05-1.07x the
 * messages/s (4.06-4.13 -> 4.35-4.39 M/s, 0.22 -> 0.20-0.22 µs of CPU
 * per message), depth 1 0.97-1.03x (noise); single-threaded 0.98-1.12x.
 */
#define FIXED_MAX 16384u

static unsigned fixed_setup(struct io_uring *ring, int **fds)
{
	unsigned n = nfixed_wanted;
	struct rlimit rl;

	if (n == UINT32_MAX) {
		n = FIXED_MAX;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n)
			n = (unsigned)rl.rlim_cur;
	}
	if (n == 0)
		return 0;
	*fds = calloc(n, sizeof(**fds));
	if (*fds == NULL)
		return 0;
	if (io_uring_register_files_sparse(ring, n) < 0) {
		free(*fds);
		*fds = NULL;
		return 0;
	}
	return n;
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
	b->nbufs = nbufs_wanted;
	b->pid = getpid();
	err = ring_init(&b->ring, &disabled);
	if (err < 0)
		goto free_b;
	b->enabled = !disabled;
	b->nfixed = fixed_setup(&b->ring, &b->fixed_fds);
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
	free(b->fixed_fds);
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
	accept_close_all(b);
	io_uring_queue_exit(&b->ring);
	close(b->wakefd);
	/* The buffers go with the ring: every receive was cancelled by del()
	 * (the loop's caller stops its ios first), and in a fork child they
	 * are the child's copy. */
	if (b->bufs != NULL)
		munmap(b->bufs, (size_t)b->nbufs * BUF_SIZE);
	free(b->br);
	for (uint32_t i = 0; i < b->nslots; i++) {
		struct slot *sl = &b->slots[i];

		free(sl->send_buf); /* the ring is gone: so are its requests */
		for (uint32_t k = 0; k < sl->kept_n; k++)
			if (sl->kept[sl->kept_head + k].bid == SIPC__LOOP_NOBUF &&
			    sl->kept[sl->kept_head + k].n > 0)
				free(sl->kept[sl->kept_head + k].copy);
		free(sl->kept);
	}
	free(b->kl);
	free(b->slots);
	free(b->dirty);
	free(b->fixed_fds);
	free(b);
	loop->bk = NULL;
}

static int ur_recv_start(sipc_loop *loop, sipc_loop_io *io, size_t max)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	(void)max; /* one buffer size; loop.c cuts a buffer to MAX */
	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return -ENOENT;
	if (bufs_setup(b) < 0)
		return -EOPNOTSUPP;
	s = &b->slots[io->bk_slot];
	if (!s->recv) {
		s->recv = true;
		mark(b, io->bk_slot);
	}
	return 0;
}

static void ur_recv_stop(sipc_loop *loop, sipc_loop_io *io)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return;
	s = &b->slots[io->bk_slot];
	s->recv = false;
	/* An end dispatched (or kept again by recv_keep) is done with. */
	s->term_kept = false;
	for (uint32_t k = 0; k < s->kept_n; k++)
		if (s->kept[s->kept_head + k].n <= 0)
			s->term_kept = true;
	if (s->lost != 0)
		s->term_kept = true;
	mark(b, io->bk_slot); /* sync cancels the request */
}

static void ur_recv_keep(sipc_loop *loop, sipc_loop_io *io, const struct sipc__loop_event *ev,
			 size_t off)
{
	struct uring_backend *b = bk_of(loop);
	struct kept k;

	k.bid = ev->bid;
	k.off = 0;
	k.n = ev->n;
	k.copy = NULL;
	if (ev->n > 0 && ev->bid == SIPC__LOOP_NOBUF) {
		/* A copy (kept_copy), given from its start: what is left of
		 * it moves there. */
		k.copy = (uint8_t *)ev->data;
		memmove(k.copy, k.copy + off, (size_t)ev->n - off);
		k.n = ev->n - (ssize_t)off;
	} else if (ev->n > 0) {
		k.off = (uint32_t)(ev->data - (b->bufs + (size_t)ev->bid * BUF_SIZE) + off);
		k.n = ev->n - (ssize_t)off;
	}
	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io) {
		kept_free(b, &k);
		return;
	}
	keep(b, io->bk_slot, k, true);
}

static void ur_recv_release(sipc_loop *loop, const struct sipc__loop_event *ev)
{
	if (ev->bid == SIPC__LOOP_NOBUF && ev->n > 0)
		free((void *)ev->data); /* a copy (kept_copy), from its start */
	else
		give_back(bk_of(loop), ev->bid);
}

/* ---------------------------------------------------- completion accept */

/*
 * Completion accept (accept_start, loop.h): a multishot IORING_OP_ACCEPT
 * (SOCK_NONBLOCK | SOCK_CLOEXEC) per accepting slot posts a completion
 * per connection with its descriptor: no accept(2) and no readiness turn
 * per connection.  Tagged TAG_ACCEPT | slot | io_gen (bits 32..55) |
 * acc_seq (bits 56..59): a completion of a freed or stopped-and-freed io
 * (stale io_gen) closes its descriptor; one of a request cancelled by a
 * stop (an older acc_seq) is still the io's connection and is kept.  Each
 * descriptor becomes a batch entry (SIPC__LOOP_ACCEPT); the ones that find
 * the batch full, or the slot stopped, or others kept before them, are
 * kept on the slot's queue (afd) and flushed first into the next batch
 * while the slot accepts.  A completion without IORING_CQE_F_MORE (the
 * request ended: the completion queue overflowed, or an error) is armed
 * again, except after an error that ends accepting (EMFILE, ENFILE,
 * ENOMEM, ENOBUFS...: the connection stays in the backlog, the caller
 * restarts when it wants, loop.h); one connection's error
 * (sipc__accept_transient) is told and the request armed again.  EINVAL
 * is the kernel refusing a multishot accept (before 5.19): an entry with
 * SIPC__LOOP_ACCEPT_EMUL makes loop.c emulate with accept4(2), and later
 * accept_starts on this loop are refused at once.  del() cancels at once
 * (the request holds the listener's file: a close() after del() must
 * free the port) and closes what is kept.  accept_end cancels too, and
 * once its request is over empties the listener's backlog with
 * accept4(2) (accept_leftovers says why) before it tells the end.
 */

/* A stale or refused accept value kept on the queue: the refusal. */
#define ACC_REFUSED INT_MIN
#define ACC_SEQ(ud) ((uint32_t)((ud) >> 56) & 0xfu)

static bool refuse_accept;

void sipc__loop_uring_refuse_accept(bool refuse)
{
	refuse_accept = refuse;
}

static inline uint64_t atag(uint32_t slot, const struct slot *s)
{
	return (uint64_t)slot | (uint64_t)(s->io_gen & IOGEN_MASK) << 32 |
	       (uint64_t)(s->acc_seq & 0xfu) << 56 | TAG_ACCEPT;
}

static void close_value(int v)
{
	if (v >= 0)
		close(v);
}

/* Slot I is on the accepted list, which has room for every slot; false
 * when memory ran out. */
static bool accept_list(struct uring_backend *b, uint32_t i)
{
	if (b->slots[i].acc_listed)
		return true;
	if (b->al_n == b->al_cap) {
		uint32_t cap = b->cap > b->al_cap ? b->cap : b->al_cap * 2 + 8;
		uint32_t *p = realloc(b->al, cap * sizeof(*p));

		if (p == NULL)
			return false;
		b->al = p;
		b->al_cap = cap;
	}
	b->al[b->al_n++] = i;
	b->slots[i].acc_listed = true;
	return true;
}

/* Keeps V (a descriptor, -errno or ACC_REFUSED) for slot I, after what it
 * keeps or (FRONT) before.  Out of memory a descriptor is closed: that
 * peer sees its connection end, nothing leaks. */
static void accept_push(struct uring_backend *b, uint32_t i, int v, bool front)
{
	struct slot *s = &b->slots[i];

	if (s->afd_n == s->afd_cap) {
		uint32_t cap = s->afd_cap ? s->afd_cap * 2 : 16;
		int *p = malloc(cap * sizeof(*p));

		if (p == NULL) {
			close_value(v);
			return;
		}
		for (uint32_t k = 0; k < s->afd_n; k++)
			p[k] = s->afd[(s->afd_head + k) & (s->afd_cap - 1)];
		free(s->afd);
		s->afd = p;
		s->afd_cap = cap;
		s->afd_head = 0;
	}
	if (!accept_list(b, i)) {
		close_value(v);
		return;
	}
	if (front) {
		s->afd_head = (s->afd_head - 1) & (s->afd_cap - 1);
		s->afd[s->afd_head] = v;
	} else {
		s->afd[(s->afd_head + s->afd_n) & (s->afd_cap - 1)] = v;
	}
	s->afd_n++;
}

/* Closes what slot S keeps and forgets its accepting; a request still in
 * the kernel for a freed io (S->io NULL, from del()) is cancelled: queued
 * for del()'s submit, or submitted here when del() has none. */
static void accept_drop(struct uring_backend *b, struct slot *s)
{
	for (uint32_t k = 0; k < s->afd_n; k++)
		close_value(s->afd[(s->afd_head + k) & (s->afd_cap - 1)]);
	s->afd_n = 0;
	s->afd_head = 0;
	if (s->acc_armed && s->io == NULL && b->enabled) {
		struct io_uring_sqe *sqe = get_sqe(b);

		if (sqe != NULL) {
			io_uring_prep_cancel64(sqe, atag((uint32_t)(s - b->slots), s), 0);
			io_uring_sqe_set_data64(sqe, TAG_REMOVE);
			if (!s->armed && !s->recv_armed && !s->send_armed && !s->fix_sent)
				(void)io_uring_submit_and_get_events(&b->ring);
		}
	}
	s->acc = false;
	s->acc_armed = false;
	s->acc_term = false;
	s->acc_ending = false;
	s->acc_cancel = false;
}

/* Brings slot I's accept request in line; false when the submission queue
 * had no room (the slot stays dirty). */
static bool sync_accept(struct uring_backend *b, uint32_t i)
{
	struct slot *s = &b->slots[i];
	struct io_uring_sqe *sqe;

	if (s->acc_armed && s->acc_ending && !s->acc_cancel && s->io != NULL && s->acc) {
		/* accept_end: its last completion says when it is over. */
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		io_uring_prep_cancel64(sqe, atag(i, s), 0);
		io_uring_sqe_set_data64(sqe, TAG_REMOVE);
		s->acc_cancel = true;
	}
	if (s->acc_armed && (s->io == NULL || !s->acc)) {
		/* What it accepts before the cancel takes effect is kept. */
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		io_uring_prep_cancel64(sqe, atag(i, s), 0);
		io_uring_sqe_set_data64(sqe, TAG_REMOVE);
		s->acc_armed = false;
	}
	if (s->io != NULL && s->acc && !s->acc_armed && !s->acc_term && !s->acc_ending) {
		sqe = get_sqe(b);
		if (sqe == NULL)
			return false;
		s->acc_seq++;
		if (s->acc_one)
			io_uring_prep_accept(sqe, s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		else
			io_uring_prep_multishot_accept(sqe, s->fd, NULL, NULL,
						       SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (refuse_accept)
			sqe->len = 1; /* for tests: the kernel says EINVAL */
		io_uring_sqe_set_data64(sqe, atag(i, s));
		s->acc_armed = true;
	}
	return true;
}

/* Puts V (a descriptor, -errno or ACC_REFUSED) of slot I into the batch at
 * N, or keeps it; whether it made an entry. */
static bool accept_entry(struct uring_backend *b, sipc_loop *loop, uint32_t i, int v, int n)
{
	struct slot *s = &b->slots[i];

	if (!s->acc || s->afd_n > 0 || n >= SIPC__LOOP_BATCH) {
		accept_push(b, i, v, false);
		return false;
	}
	loop->batch[n].io = s->io;
	loop->batch[n].events = SIPC__LOOP_ACCEPT | (v == ACC_REFUSED ? SIPC__LOOP_ACCEPT_EMUL : 0);
	loop->batch[n].bid = SIPC__LOOP_NOBUF;
	loop->batch[n].data = NULL;
	loop->batch[n].n = v;
	return true;
}

/*
 * The backlog of slot I's listener once its ended request is gone
 * (accept_end), accepted with accept4(2) until it is empty, after what
 * the request took: each into the batch at N (MADE: whether an entry was
 * made there) or kept.
 *
 * Why: the kernel's accept request polls the listener exclusively
 * (IORING_OP_ACCEPT's poll_exclusive, as EPOLLEXCLUSIVE), and a wake-up
 * of the listener's queue stops at the first exclusive waiter that takes
 * it; io_poll_wake takes it (returns 1) even when the request already has
 * a wake-up pending, not yet run by its task (DEFER_TASKRUN: run in the
 * ring's next io_uring_enter).  A cancel that comes first (accept_end's
 * is submitted by the same enter, before the task work runs) ends the
 * request with -ECANCELED and accepts nothing: every connection whose
 * wake-up it took stays in the backlog, and the other requests and
 * epoll entries on the listener (another worker's, the next generation's
 * after a reload) are not woken for them.  A multishot request stays
 * first on the queue and takes every wake-up until it is gone: serve's
 * uring/serve_reload, six reloads under 4 clients connecting without
 * pause, lost 1-4 of 300-1600 clients in 6 of 40 runs of --model thread
 * and fork and 3 of 10 of the event model with -w 1 (one worker: a
 * multishot accept; the event model's default -w 2 shares the listener
 * with one-shot requests, which leave the queue at their wake-up), each
 * accepted by the new generation only when another connection woke it,
 * 10 s later (the clients' timeout; measured 2026-12-03).  Once the
 * request is off the queue later wake-ups go to the others; these are
 * the connections that came before, at the head of the backlog.
 * Bounded (a backlog holds at most somaxconn, 4096 by default); a
 * blocking listener (the loop's callers give non-blocking ones) is left
 * as it is.  An error other than one connection's (sipc__accept_transient)
 * ends it: the connections wait for the next wake-up.
 */
#define ACC_LEFTOVERS_MAX 4096

static void accept_leftovers(struct uring_backend *b, sipc_loop *loop, uint32_t i, int n,
			     bool *made)
{
	int fd = b->slots[i].fd, fl = fcntl(fd, F_GETFL);

	if (fl < 0 || !(fl & O_NONBLOCK))
		return;
	for (int k = 0; k < ACC_LEFTOVERS_MAX; k++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0 && (errno == EINTR || sipc__accept_transient(-errno)))
			continue;
		if (c < 0)
			return;
		if (*made)
			accept_push(b, i, c, false);
		else
			*made = accept_entry(b, loop, i, c, n);
	}
}

static bool complete_accept(struct uring_backend *b, sipc_loop *loop,
			    const struct io_uring_cqe *cqe, int n)
{
	uint64_t ud = cqe->user_data;
	uint32_t i = (uint32_t)ud, iog = (uint32_t)(ud >> 32) & IOGEN_MASK;
	int res = cqe->res;
	struct slot *s;
	bool cur;

	if (i >= b->nslots || b->slots[i].io == NULL || (b->slots[i].io_gen & IOGEN_MASK) != iog) {
		close_value(res); /* the io is gone: nobody owns it */
		return false;
	}
	s = &b->slots[i];
	cur = s->acc_armed && (s->acc_seq & 0xfu) == ACC_SEQ(ud);
	if (cur && !(cqe->flags & IORING_CQE_F_MORE)) {
		s->acc_armed = false;
		if (s->acc)
			mark(b, i); /* armed again by sync, but after an end */
	}
	if (s->acc_ending && cur && !(cqe->flags & IORING_CQE_F_MORE)) {
		/* accept_end's request is over: what it took, what its
		 * wake-ups left in the backlog (accept_leftovers), then the
		 * end (kept behind them: one entry per completion). */
		bool made = false;

		s->acc_term = true;
		s->acc_ending = false;
		s->acc_cancel = false;
		if (res >= 0) {
			b->acc_ok = true;
			made = accept_entry(b, loop, i, res, n);
		}
		accept_leftovers(b, loop, i, n, &made);
		if (made)
			accept_push(b, i, -ECANCELED, false);
		else
			made = accept_entry(b, loop, i, -ECANCELED, n);
		return made;
	}
	if (res >= 0) {
		b->acc_ok = true;
		return accept_entry(b, loop, i, res, n);
	}
	/* An error ends the request.  Those of an old request, our cancel's,
	 * and EAGAIN say nothing of the current one. */
	if (!cur || res == -ECANCELED || res == -EAGAIN || res == -EINTR)
		return false;
	if (sipc__accept_transient(res))
		return accept_entry(b, loop, i, res, n);
	s->acc_term = true; /* until loop.c tells it (accept_stop) */
	if (res == -EINVAL && !b->acc_ok) {
		b->acc_refused = true;
		res = ACC_REFUSED;
	}
	return accept_entry(b, loop, i, res, n);
}

/* What accepting slots keep goes into the batch from N; the batch's new
 * number of entries. */
static int flush_accepted(struct uring_backend *b, sipc_loop *loop, int n)
{
	uint32_t w = 0;

	for (uint32_t r = 0; r < b->al_n; r++) {
		uint32_t i = b->al[r];
		struct slot *s = &b->slots[i];

		while (s->io != NULL && s->acc && s->afd_n > 0 && n < SIPC__LOOP_BATCH) {
			int v = s->afd[s->afd_head];

			s->afd_head = (s->afd_head + 1) & (s->afd_cap - 1);
			s->afd_n--;
			loop->batch[n].io = s->io;
			loop->batch[n].events =
				SIPC__LOOP_ACCEPT | (v == ACC_REFUSED ? SIPC__LOOP_ACCEPT_EMUL : 0);
			loop->batch[n].bid = SIPC__LOOP_NOBUF;
			loop->batch[n].data = NULL;
			loop->batch[n].n = v;
			n++;
		}
		if (s->afd_n > 0)
			b->al[w++] = i;
		else
			s->acc_listed = false;
	}
	b->al_n = w;
	return n;
}

static int ur_accept_start(sipc_loop *loop, sipc_loop_io *io)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return -ENOENT;
	if (b->acc_refused)
		return -EOPNOTSUPP;
	s = &b->slots[io->bk_slot];
	s->acc_one = io->accept_shared;
	if (!s->acc) {
		s->acc = true;
		mark(b, io->bk_slot);
	}
	return 0;
}

static void ur_accept_stop(sipc_loop *loop, sipc_loop_io *io)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return;
	s = &b->slots[io->bk_slot];
	s->acc = false;
	s->acc_term = false;
	s->acc_ending = false;
	mark(b, io->bk_slot); /* sync cancels the request */
}

static bool ur_accept_end(sipc_loop *loop, sipc_loop_io *io)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return false;
	s = &b->slots[io->bk_slot];
	if (!s->acc_armed || s->acc_term) {
		/* Nothing in the kernel: what is kept (and in the batch),
		 * then the end. */
		s->acc_term = true;
		accept_push(b, io->bk_slot, -ECANCELED, false);
		return true;
	}
	s->acc_ending = true;
	mark(b, io->bk_slot);
	return true;
}

static void ur_accept_keep(sipc_loop *loop, sipc_loop_io *io, int fd)
{
	struct uring_backend *b = bk_of(loop);

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io) {
		close_value(fd);
		return;
	}
	accept_push(b, io->bk_slot, fd, true);
}

/* ur_close: what the slots keep, and the descriptors of accept
 * completions still in the completion queue, are closed.  Not the queue's
 * in a fork child (`--model fork`): the queue is the parent's, shared,
 * and a completion posted after the fork names a descriptor of the
 * parent's table, whose number may be another file here (the child's own
 * connection: closing it reset the child's peer). */
static void accept_close_all(struct uring_backend *b)
{
	struct io_uring_cqe *cqe;
	unsigned head;

	for (uint32_t i = 0; i < b->nslots; i++) {
		struct slot *s = &b->slots[i];

		for (uint32_t k = 0; k < s->afd_n; k++)
			close_value(s->afd[(s->afd_head + k) & (s->afd_cap - 1)]);
		free(s->afd);
	}
	free(b->al);
	if (b->pid != getpid())
		return;
	io_uring_for_each_cqe(&b->ring, head, cqe)
	{
		if ((cqe->user_data & (TAG_ACCEPT | TAG_REMOVE)) == TAG_ACCEPT)
			close_value(cqe->res);
	}
}

static int ur_send(sipc_loop *loop, sipc_loop_io *io, void *buf, size_t len)
{
	struct uring_backend *b = bk_of(loop);
	struct slot *s;

	if (io->bk_slot >= b->nslots || b->slots[io->bk_slot].io != io)
		return -ENOENT;
	s = &b->slots[io->bk_slot];
	if (s->send_buf != NULL)
		return -EBUSY;
	s->send_buf = buf;
	s->send_len = len;
	s->send_done = 0;
	s->send_want = true;
	mark(b, io->bk_slot); /* submitted with the turn's wait */
	return 0;
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
	.recv_start = ur_recv_start,
	.recv_stop = ur_recv_stop,
	.recv_keep = ur_recv_keep,
	.recv_release = ur_recv_release,
	.send = ur_send,
	.accept_start = ur_accept_start,
	.accept_stop = ur_accept_stop,
	.accept_keep = ur_accept_keep,
	.accept_end = ur_accept_end,
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
