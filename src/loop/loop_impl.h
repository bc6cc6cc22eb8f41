/*
 * loop_impl.h - the inside of a sipc_loop, shared by loop.c (the turn, the
 * batch, the busy-poll), timer.c (the timer API on the heap) and the
 * backends (backend_epoll.c, backend_uring.c, backend_poll.c).  Private
 * to src/loop.
 *
 * The backend interface (redis's aeApi* is the model).  A backend is one
 * file that defines one const struct sipc__loop_backend; it tells the loop
 * which descriptors are ready, and wakes it.  loop.c keeps everything else:
 * the io's bookkeeping (io->events, io->active, the io count), the
 * timers and the wait they allow, the batch's dispatch with its rule that
 * an io stopped during the batch gets none of its pending events, the
 * busy-poll, and SIPC_LOOP_EXCLUSIVE's "stop and add again" (an exclusive
 * io never sees modify()).  Every operation runs in the loop's thread,
 * except wake().
 *
 *   open(loop)   sets up loop->bk (the backend's state) and the wake;
 *                0 or -errno.  Called once, by sipc__loop_new.
 *   close(loop)  frees what open made.  Ios may still be registered: the
 *                loop's caller owns them and their descriptors.
 *   add(loop, io, events)     watches io->fd for EVENTS (SIPC_LOOP_*,
 *                modifiers included); io->events is still 0.  0 or -errno.
 *   modify(loop, io, events)  changes the events of a watched io (never 0,
 *                never EXCLUSIVE); io->events holds the old ones.  A
 *                ONESHOT registration that has fired is armed again by it.
 *   del(loop, io)  stops watching io; it cannot fail (a descriptor closed
 *                already is gone from the set anyway).  Events of io that
 *                poll() put in the batch already are loop.c's to drop.
 *   poll(loop, timeout_ms)  waits at most TIMEOUT_MS (0: does not wait,
 *                -1: no limit) for readiness and fills loop->batch[0..n)
 *                with (io, SIPC_LOOP_* events), n <= SIPC__LOOP_BATCH;
 *                returns n, or -errno (-EINTR: a signal, not an error).
 *                Level-triggered: an io still ready (and not ONESHOT) is
 *                reported again by the next poll.  ERR and HUP are
 *                reported whether asked for or not.  The backend's own
 *                ios (its wake) may appear in the batch: they carry their
 *                callback like any io, and are not counted in loop->nios.
 *   wake(loop)   thread-safe and async-signal-safe: makes a poll() now or
 *                soon return, and sipc__loop_woken(loop) run in the
 *                loop's thread (from the callback of the backend's own io
 *                in the batch, say).  Many wakes may become one call.
 *
 * Completion receive (sipc__io_recv_start, loop.h), optional: a backend
 * without recv_start (epoll) leaves it to loop.c, which adds IN to the
 * io's events and reads with recv(2) on IN into one buffer of the loop's.
 * A backend with it (io_uring) receives itself and puts the bytes into
 * the batch as data entries (SIPC__LOOP_DATA below); loop.c takes IN out
 * of the events it asks of the backend while the io receives.
 *
 *   recv_start(loop, io, max)  starts receiving for the started IO (or
 *                changes MAX when it receives); what the backend kept
 *                for IO comes first, in order, in the next poll()'s
 *                batch.  0, or -errno: -EOPNOTSUPP (this loop cannot:
 *                loop.c emulates for IO instead).
 *   recv_stop(loop, io)  stops receiving; data the kernel has posted or
 *                posts before the stop takes effect is kept, not lost.
 *                Also called by loop.c when a data entry ending the
 *                stream (n <= 0) is dispatched.
 *   recv_keep(loop, io, ev, off)  keeps batch entry EV's bytes from OFF
 *                (or its end or error) for IO, BEFORE what is kept
 *                already: loop.c gives a stopped io's pending entries
 *                back newest first.  EV's buffer is the backend's again.
 *   recv_release(loop, ev)  EV (a data entry) was delivered or dropped:
 *                its buffer goes back (IO may be freed: not looked at).
 *   del()        drops what is kept for IO and ends its receiving too.
 *
 * Completion send (sipc__io_send, loop.h), optional likewise: without
 * send (epoll) loop.c adds OUT to the io's events while it sends, and
 * sends with send(2) on OUT.
 *
 *   send(loop, io, buf, len)  sends LEN bytes at BUF for the started IO,
 *                all of them (a short send goes on with the rest), and
 *                puts a SIPC__LOOP_SENT entry into a later poll()'s batch
 *                when it is over (N: LEN, or -errno).  0, or -errno:
 *                -EOPNOTSUPP (loop.c emulates for IO instead).  del()
 *                while a send is in flight cancels it; the backend frees
 *                BUF once the kernel is done with it, and no entry comes.
 *                An entry in the batch of an io stopped before it was
 *                dispatched is loop.c's to free.
 * Completion accept (sipc__io_accept_start, loop.h), optional in the same
 * way: without accept_start (epoll) loop.c adds IN and calls accept4(2).
 * A backend with it puts each accepted descriptor (or -errno) into the
 * batch as an accept entry (SIPC__LOOP_ACCEPT, n the descriptor).
 *
 *   accept_start(loop, io)  starts accepting for the started IO (one
 *                request per connection when io->accept_shared); what it
 *                kept for IO comes first.  0, or -EOPNOTSUPP (loop.c
 *                emulates).  A refusal the kernel tells only in a
 *                completion comes as an entry with SIPC__LOOP_ACCEPT_EMUL
 *                too: loop.c emulates from then on; it has stopped.
 *   accept_stop(loop, io)   stops; descriptors accepted before the stop
 *                takes effect are kept.  Also called by loop.c when it
 *                dispatches an error that ends accepting.
 *   accept_keep(loop, io, fd)  keeps FD for IO before what it keeps
 *                (loop.c gives a stopped io's pending entries back newest
 *                first).
 *   del()        closes what is kept for IO, and what a request of IO
 *                made before completes with later.
 *
 * Completion backends (io_uring, backend_uring.c): the interface is
 * readiness, which io_uring gives with IORING_OP_POLL_ADD.  backend_uring
 * arms one-shot polls and arms them again after each completion (a
 * multishot poll reports wake-ups, not a state that stays, so an io read
 * in part would not be told again; measured, see its comment), and polls
 * multishot only a socket whose peer has shut its side down (the kernel's
 * RDHUP would complete every one-shot poll at once).  add() and modify()
 * queue their requests, which poll() submits with its wait (one
 * io_uring_enter a turn); del() removes at once (a poll request holds the
 * descriptor's file, which a close() after del() must end); poll(loop, 0)
 * enters the kernel without waiting (DEFER_TASKRUN posts completions only
 * there).  del() returns before the kernel has let go of a request, so
 * the request's tag is not the io pointer (a completion of a freed io
 * would be dispatched) but a slot with a generation number: completions
 * of stale generations are dropped.  The ring is a single issuer enabled
 * by the first poll(), in the thread that runs the loop.
 */
#ifndef SIPC_LOOP_IMPL_H
#define SIPC_LOOP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "loop/loop.h"
#include "spin.h"
#include "loop/timer.h"

/* Events taken from the backend per turn; more wait for the next turn.
 * 256 (4 KiB) lets a worker with a thousand busy connections take them in
 * four waits instead of sixteen; sipc__io_stop's scan of the rest of the
 * batch stays short next to the system call it follows. */
#define SIPC__LOOP_BATCH 256

/* Busy-polling for good (SIPC_SPIN_ALWAYS) still takes the kernel's events
 * every this many microseconds. */
#define SIPC__LOOP_SPIN_SLICE 50
/* A spin asks the kernel for its events (poll() without waiting) once
 * in this many passes: a few microseconds apart with a few connections. */
#define SIPC__LOOP_SPIN_KERNEL 256
/* Turns that dispatch what spinning caught may skip the look at the
 * kernel's events; one in this many takes it anyway, so a connection that
 * always has bytes cannot starve the others. */
#define SIPC__LOOP_SPIN_FAIR 8

/* A batch entry that carries received bytes rather than readiness (its
 * events are this flag alone). */
#define SIPC__LOOP_DATA (1u << 31)
/* A batch entry that carries a completed send (sipc__io_send) of a
 * backend: its buffer at DATA, N its length or -errno. */
#define SIPC__LOOP_SENT  (1u << 26)
#define SIPC__LOOP_NOBUF UINT32_MAX
/* A batch entry that carries an accepted descriptor (n) or -errno, and
 * the backend's refusal of the accept (loop.c emulates from then on). */
#define SIPC__LOOP_ACCEPT      (1u << 29)
#define SIPC__LOOP_ACCEPT_EMUL (1u << 27)

/* One ready io of a turn's batch, or (SIPC__LOOP_DATA) one completion of a
 * backend's receive: N bytes at DATA in the backend's buffer BID, or the
 * end (N 0, BID SIPC__LOOP_NOBUF) or an error (N -errno).  loop.c
 * dispatches readiness entries first, then data entries, each kind in
 * batch order, and sets an entry's io to NULL once it is dispatched. */
struct sipc__loop_event {
	sipc_loop_io *io; /* NULL: dropped (the io was stopped) or done */
	uint32_t events;  /* SIPC_LOOP_*, or SIPC__LOOP_DATA */
	uint32_t bid;     /* DATA: the backend's buffer, or SIPC__LOOP_NOBUF */
	const char *data; /* DATA: the bytes */
	ssize_t n;        /* DATA: their number, 0 (end) or -errno */
};

/* A backend (above). */
struct sipc__loop_backend {
	const char *name;
	int (*open)(sipc_loop *loop);
	void (*close)(sipc_loop *loop);
	int (*add)(sipc_loop *loop, sipc_loop_io *io, uint32_t events);
	int (*modify)(sipc_loop *loop, sipc_loop_io *io, uint32_t events);
	void (*del)(sipc_loop *loop, sipc_loop_io *io);
	int (*poll)(sipc_loop *loop, int timeout_ms);
	void (*wake)(sipc_loop *loop);
	/* Completion receive (above); NULL: loop.c emulates. */
	int (*recv_start)(sipc_loop *loop, sipc_loop_io *io, size_t max);
	void (*recv_stop)(sipc_loop *loop, sipc_loop_io *io);
	void (*recv_keep)(sipc_loop *loop, sipc_loop_io *io, const struct sipc__loop_event *ev,
			  size_t off);
	void (*recv_release)(sipc_loop *loop, const struct sipc__loop_event *ev);
	/* Completion send (below); NULL: loop.c emulates. */
	int (*send)(sipc_loop *loop, sipc_loop_io *io, void *buf, size_t len);
	/* Completion accept (above); NULL: loop.c emulates. */
	int (*accept_start)(sipc_loop *loop, sipc_loop_io *io);
	void (*accept_stop)(sipc_loop *loop, sipc_loop_io *io);
	void (*accept_keep)(sipc_loop *loop, sipc_loop_io *io, int fd);
	/* sipc__io_accept_end: cancels, goes on giving what comes, then an
	 * entry with -ECANCELED; false when it ended at once. */
	bool (*accept_end)(sipc_loop *loop, sipc_loop_io *io);
};

/* epoll(7) and an eventfd wake: Linux's, the default. */
extern const struct sipc__loop_backend sipc__loop_backend_epoll;
/* poll(2) over one array (WSAPoll on Windows, its default there), woken
 * through a socket pair: backend_poll.c, the same file on both. */
extern const struct sipc__loop_backend sipc__loop_backend_poll;

/* A backend sipc__loop_choose knows by NAME (or ALIAS, NULL for none);
 * PROBE, NULL when it always runs, says whether it can run here: 0, or
 * -errno with WHY saying why not in one phrase (the default runs then). */
struct sipc__loop_choice {
	const char *name;
	const char *alias;
	const struct sipc__loop_backend *be;
	int (*probe)(char *why, size_t n);
};
/* The platform's backends, ended by a NULL name (a NULL be: another
 * system's backend, which sipc__loop_choose refuses as not supported on
 * this system), and the one loops run on
 * when none is chosen: default_linux.c (epoll, uring, poll; epoll) or
 * default_win.c (poll), one file per platform, so loop.c names none. */
extern const struct sipc__loop_choice sipc__loop_choices[];
extern const struct sipc__loop_backend *const sipc__loop_backend_default;
/* io_uring: one-shot polls through a ring, and an eventfd wake. */
extern const struct sipc__loop_backend sipc__loop_backend_uring;
/* Whether an io_uring ring can be set up here: 0, or -errno with WHY
 * saying why not in one phrase. */
int sipc__loop_uring_probe(char *why, size_t n);
/* For tests: the number of buffers (a power of two, 0: the default) of
 * the provided buffer ring of uring loops made from now on.  A number the
 * kernel refuses (not a power of two) makes recv_start fall back to
 * loop.c's emulation, as on a kernel without buffer rings. */
void sipc__loop_uring_set_nbufs(unsigned n);
/* For tests: the buffers of LOOP's ring out of it (in a batch or kept);
 * 0 on a loop that is not io_uring's or has no ring. */
unsigned sipc__loop_uring_held(const sipc_loop *loop);
/* For tests: the size of the registered descriptor table of uring loops
 * made from now on (0: none; UINT32_MAX: the default). */
void sipc__loop_uring_set_nfixed(unsigned n);
/* For tests: whether IO's requests name its registered index. */
bool sipc__loop_uring_fixed(const sipc_loop *loop, const sipc_loop_io *io);
/* For tests: uring loops made from now on have their multishot accepts
 * refused by the kernel (an SQE it rejects with EINVAL, as a kernel
 * before 5.19 does), so loop.c emulates after the first completion. */
void sipc__loop_uring_refuse_accept(bool refuse);

struct sipc_loop {
	const struct sipc__loop_backend *be;
	void *bk; /* the backend's state */
	sipc_loop_wake_fn *on_wake;
	void *wake_arg;
	bool stop;
	int64_t now;
	size_t nios; /* the caller's started ios (not the backend's) */
	struct sipc__timer_heap timers;
	/* The batch being dispatched, so sipc__io_stop can drop pending events
	 * of an io that a callback stopped (and perhaps freed). */
	struct sipc__loop_event batch[SIPC__LOOP_BATCH];
	int batch_n;
	int batch_i;
	/* The spinning ios, and the budget they share (spin.h). */
	sipc_loop_io *spin_head;
	size_t nspin;
	struct sipc__spin spin;
	unsigned spin_streak; /* turns in a row dispatched from a spin */
	/* The emulated receive's buffer (allocated by the first read). */
	char *rbuf;
	size_t rbuf_size;
	int cur_data; /* the data entry being dispatched; -1 none */
};

/* As sipc__loop_new on backend BE. */
int sipc__loop_new_on(sipc_loop **loopp, const struct sipc__loop_backend *be,
		      sipc_loop_wake_fn *on_wake, void *wake_arg);
/* For a backend, in the loop's thread after wake(): calls on_wake. */
void sipc__loop_woken(sipc_loop *loop);
/* wakefd.c, Linux's: the wake both Linux backends use: an eventfd
 * (close-on-exec, non-blocking)
 * set up in IO, whose callback reads it (many wakes become one read) and
 * calls sipc__loop_woken.  The backend watches IO for SIPC_LOOP_IN its own
 * way.  Returns the descriptor, or -errno. */
int sipc__wakefd_open(sipc_loop_io *io);
/* wake() of a backend on sipc__wakefd_open's FD: thread-safe and
 * async-signal-safe (one write(2)). */
void sipc__wakefd_write(int fd);

#endif /* SIPC_LOOP_IMPL_H */
