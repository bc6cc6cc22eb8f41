/*
 * loop.h - the internal event loop shared by `sockipc serve` and `sockipc
 * bench`: readiness of descriptors from a backend (loop_impl.h: epoll,
 * backend_epoll.c, the default; or io_uring, backend_uring.c, chosen for
 * the process with sipc__loop_choose: `--io uring`), completion receive
 * for stream sockets (the bytes themselves: io_uring's multishot receive
 * into a buffer ring, no buffer per idle connection and no system call per
 * chunk; emulated with recv(2) on epoll), a min-heap of timers, and a wake
 * so another thread can reach the loop.  Callers speak only this header:
 * the loop's own event flags (SIPC_LOOP_IN, ...), never a backend's
 * (epoll's).
 *
 * One loop per thread.  Nothing here takes a lock: every function below
 * except sipc__loop_wake must be called from the thread that runs the loop
 * (or before it starts running).  sipc__loop_wake is the one thread-safe
 * entry: it makes the loop call its wake callback, in the loop's thread, on
 * its next turn.  Pass any message with it through your own atomics.
 *
 * Watching a descriptor (level-triggered, like poll):
 *
 *     sipc_loop_io io;
 *     sipc__io_init(&io, fd, on_io, arg);
 *     sipc__io_start(loop, &io, SIPC_LOOP_IN);   // register, or change events
 *     sipc__io_start(loop, &io, SIPC_LOOP_IN | SIPC_LOOP_OUT);
 *     sipc__io_stop(loop, &io);                   // deregister (safe to repeat)
 *
 *   The events asked for: SIPC_LOOP_IN (readable, or the peer's end),
 *   SIPC_LOOP_OUT (writable), SIPC_LOOP_PRI (urgent data, TCP's OOB byte),
 *   and two modifiers: SIPC_LOOP_ONESHOT (reported once, then quiet until
 *   sipc__io_start changes the events: a descriptor that has hung up is
 *   reported on every turn otherwise; ONESHOT alone watches for nothing
 *   but the descriptor's error or hang-up, once) and SIPC_LOOP_EXCLUSIVE
 *   (below).
 *   on_io(loop, io, revents) runs with what is ready: IN, OUT, PRI, and
 *   SIPC_LOOP_ERR (an error is pending) and SIPC_LOOP_HUP (hung up), which
 *   are reported whether asked for or not.  Their values are the loop's
 *   own; do not mix them with epoll's or poll(2)'s (epspin.h turns an
 *   endpoint's poll(2) events into these).  The caller owns the
 *   sipc_loop_io memory; it may stop the io and free it inside any
 *   callback, even an io that has another event pending in the same batch:
 *   sipc__io_stop removes pending events of that io.  SIPC_LOOP_EXCLUSIVE
 *   may be given (for one listening descriptor shared by several loops: a
 *   new connection wakes one of them); the backend may forbid changing the
 *   events in place, so sipc__io_start on a started exclusive io stops and
 *   adds it again.  A backend that cannot wake one only ignores it.
 *
 * Completion receive (a stream socket's bytes handed over, not its
 * readiness):
 *
 *     sipc__io_start(loop, &io, 0);                    // or OUT, IN, ...
 *     sipc__io_recv_start(loop, &io, on_data, 16384);  // on_data(loop, io, buf, n)
 *     sipc__io_recv_stop(loop, &io);                   // keeps what was taken
 *
 *   The loop receives for the io and calls on_data with the bytes, in
 *   order, at most MAX at a time: n > 0 bytes at buf (valid only during
 *   the call), n == 0 the peer's end of stream, n < 0 -errno; after an end
 *   or an error receiving has stopped by itself.  On io_uring this is a
 *   multishot receive into the loop's provided buffer ring: an idle
 *   connection holds no receive buffer, and a busy one is handed its bytes
 *   without a readiness turn and a recv(2) each.  On epoll (and wherever
 *   the kernel has no buffer rings) the loop emulates it: it watches IN
 *   and reads with recv(2) into one buffer of its own, a bounded number
 *   of reads per io and turn.  While receiving, IN is not reported to
 *   on_io (the loop reads); OUT, PRI, ERR and HUP still are.  Within a
 *   turn every io's on_io runs before any on_data (a writer empties its
 *   output before it is handed more), on both backends.  Not for
 *   ONESHOT or EXCLUSIVE ios (-EINVAL).  recv_stop loses nothing: bytes
 *   the backend had already taken off the socket are kept and given first
 *   after the next recv_start.  on_data may stop receiving, stop the io
 *   and free it, as on_io may.
 *
 * Completion accept (a listening socket's new connections handed over,
 * not its readiness):
 *
 *     sipc__io_start(loop, &io, 0);                  // not EXCLUSIVE
 *     sipc__io_accept_start(loop, &io, on_accept);   // on_accept(loop, io, fd)
 *     sipc__io_accept_stop(loop, &io);               // keeps what was taken
 *
 *   The loop accepts for the started listening io and calls on_accept with
 *   each new connection's descriptor (non-blocking, close-on-exec; the
 *   callback owns it) or -errno.  An error of one connection (ECONNABORTED
 *   and the others accept(2) says to retry: sipc__accept_transient) is
 *   told and accepting goes on; any other (EMFILE, ENFILE, ENOBUFS, ENOMEM,
 *   EINVAL...) is told after accepting has stopped by itself: the caller
 *   starts it again when it wants.  On io_uring this is a multishot
 *   IORING_OP_ACCEPT: no accept(2) and no readiness turn per connection.
 *   A listener that several loops accept on takes
 *   sipc__io_accept_start_shared instead: one accept request per
 *   connection, made anew by the next turn, so the loops take turns (the
 *   kernel wakes the first request on the listener, and a multishot one
 *   would stay first and take every connection).
 *   On epoll (and where the kernel refuses a multishot accept) the loop
 *   emulates it: it watches IN and calls accept4(2), at most
 *   SIPC__LOOP_ACCEPTS per io and turn.  While accepting, IN is not
 *   reported to on_io.  Not for ONESHOT or EXCLUSIVE ios (-EINVAL): a
 *   multishot accept has no exclusive mode.  accept_stop loses nothing:
 *   connections the backend had accepted already are kept and given first
 *   after the next accept_start; sipc__io_stop closes them (as it does
 *   those a freed io's requests complete with).  on_accept may stop
 *   accepting, stop the io and free it.
 *
 * Timers (one-shot, millisecond resolution, CLOCK_MONOTONIC):
 *
 *     sipc_loop_timer t;
 *     sipc__timer_init(&t, on_timer, arg);
 *     sipc__timer_start(loop, &t, 250);   // (re)arms: fires once in 250 ms
 *     sipc__timer_stop(loop, &t);         // safe when not armed
 *
 *   on_timer(loop, timer) runs once; it may re-arm or free its timer.  The
 *   heap gives O(log n) start/stop and O(1) "next deadline", so one timer
 *   per connection (idle timeouts) is fine at many thousands.  Timers that
 *   fire in the same turn run in deadline order.
 *
 * Busy-polling (for shm://, whose bytes arrive in memory that the
 * descriptor tells of only when it was armed, at a system call per
 * wake-up for the peer):
 *
 *     sipc__io_spin(loop, &io, ready, sleep, us);   // io started
 *
 *   Before it sleeps in the backend's wait the loop spins up to US microseconds
 *   (adaptive, spin.h; SIPC_SPIN_ALWAYS busy-polls, with a look at the
 *   kernel's events every SIPC__LOOP_SPIN_SLICE us) calling ready(io) of
 *   every spinning io, and dispatches the callbacks of those that return
 *   events, with those events.  ready() must look at memory only.  When
 *   the budget runs out it calls sleep(io) of every spinning io, which must
 *   make the descriptor report what ready() looks for (arm it) and returns
 *   what is ready now: those are dispatched instead of sleeping.  Every
 *   turn still takes the kernel's events first (without waiting) so that
 *   spinning connections never starve the others, and the spin never
 *   outlasts the next timer.  sipc__io_spin with US 0, and sipc__io_stop,
 *   end it.
 *
 * Running:
 *
 *     sipc_loop *loop;
 *     sipc__loop_new(&loop, on_wake, arg);  // on_wake may be NULL
 *     sipc__loop_run(loop);   // until sipc__loop_stop; returns 0 or -errno
 *     sipc__loop_free(loop);  // ios and timers are the caller's: stop them
 *
 *   sipc__loop_stop (loop thread) makes sipc__loop_run return after the
 *   current callback (a stop asked before run makes run return at once;
 *   run clears the flag on return).  sipc__loop_now gives the loop's cached time in ms,
 *   refreshed once per turn (cheap; use sipc__loop_update_now to refresh).
 */
#ifndef SIPC_LOOP_H
#define SIPC_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The events of sipc__io_start and of on_io's revents (above).  The
 * values are chosen so the epoll backend's translation is free; nothing
 * outside the backend may count on that. */
#define SIPC_LOOP_IN        0x001u
#define SIPC_LOOP_PRI       0x002u
#define SIPC_LOOP_OUT       0x004u
#define SIPC_LOOP_ERR       0x008u /* reported only */
#define SIPC_LOOP_HUP       0x010u /* reported only */
#define SIPC_LOOP_EXCLUSIVE (1u << 28)
#define SIPC_LOOP_ONESHOT   (1u << 30)

typedef struct sipc_loop sipc_loop;
typedef struct sipc_loop_io sipc_loop_io;
typedef struct sipc_loop_timer sipc_loop_timer;

typedef void sipc_loop_io_fn(sipc_loop *loop, sipc_loop_io *io, uint32_t revents);
typedef void sipc_loop_timer_fn(sipc_loop *loop, sipc_loop_timer *timer);
typedef void sipc_loop_wake_fn(sipc_loop *loop, void *arg);
/* A spinning io's ready() and sleep(): the SIPC_LOOP_* events to dispatch,
 * 0 for none. */
typedef uint32_t sipc_loop_spin_fn(sipc_loop_io *io);
/* Completion receive: N > 0: N bytes at BUF, valid only during the call;
 * 0: the peer's end of stream; < 0: -errno (receiving has ended). */
typedef void sipc_loop_data_fn(sipc_loop *loop, sipc_loop_io *io, const void *buf, ssize_t n);
/* Completion send: the send of BUF is over: N, all its bytes, went out, or
 * N < 0 (-errno): it failed (some of them may have gone).  BUF is the
 * caller's again. */
typedef void sipc_loop_sent_fn(sipc_loop *loop, sipc_loop_io *io, void *buf, ssize_t n);
/* Completion accept: FD >= 0 a new connection's descriptor (the callback
 * owns it), or -errno. */
typedef void sipc_loop_accept_fn(sipc_loop *loop, sipc_loop_io *io, int fd);

/* A watched descriptor.  Fields are read-only for users, except arg. */
struct sipc_loop_io {
	int fd;
	uint32_t events; /* SIPC_LOOP_* registered; 0 when stopped */
	bool active;
	uint32_t bk_slot; /* the backend's (uring: its slot); set by io_init */
	sipc_loop_io_fn *cb;
	void *arg;
	/* Busy-polling (sipc__io_spin); spin_us 0 when it does not spin. */
	long spin_us;
	sipc_loop_spin_fn *spin_ready, *spin_sleep;
	sipc_loop_io *spin_prev, *spin_next;
	/* Completion receive (sipc__io_recv_start); data_cb NULL when the io
	 * has never received. */
	sipc_loop_data_fn *data_cb;
	size_t data_max;
	bool recv_on;       /* receiving */
	bool recv_emul;     /* by loop.c's recv(2) (the backend has no recv) */
	uint32_t bk_events; /* the events the backend watches (IN added or
			     * taken out while receiving, OUT added while
			     * loop.c sends) */
	/* Completion send (sipc__io_send); send_on while one is in flight. */
	sipc_loop_sent_fn *sent_cb;
	void *send_buf;
	size_t send_len, send_off;
	bool send_on;
	bool send_emul; /* by loop.c's send(2) on OUT (the backend has no send) */
	/* Completion accept (sipc__io_accept_start). */
	sipc_loop_accept_fn *accept_cb;
	bool accept_on;     /* accepting */
	bool accept_emul;   /* by loop.c's accept4(2) (the backend does not) */
	bool accept_shared; /* one connection per request (accept_start_shared) */
};

/* A one-shot timer.  Fields are read-only for users, except arg. */
struct sipc_loop_timer {
	int64_t when;      /* absolute deadline (ms, CLOCK_MONOTONIC) */
	size_t heap_index; /* position in the heap; SIZE_MAX when not armed */
	sipc_loop_timer_fn *cb;
	void *arg;
};

/* Milliseconds on CLOCK_MONOTONIC (not cached). */
int64_t sipc__loop_clock_ms(void);

/* A new loop on the chosen backend (sipc__loop_choose; epoll unless
 * another was chosen).  Returns 0 or -errno. */
int sipc__loop_new(sipc_loop **loopp, sipc_loop_wake_fn *on_wake, void *wake_arg);

/* Backends.  "epoll" (the default) and "uring" (io_uring, backend_uring.c:
 * readiness through one-shot polls on a ring per loop, submitted with the
 * turn's wait; completion receive by multishot receives).
 * sipc__loop_choose sets the backend of every later sipc__loop_new in the
 * process (call it before any thread makes loops): NAME NULL or "" keeps
 * epoll.  Returns 0 when NAME's backend will run; 1 when it cannot run
 * here and epoll will (io_uring refused: ENOSYS, EPERM from a seccomp
 * filter or the io_uring_disabled sysctl, ENOMEM from the locked-memory
 * limit), with WHY saying so in one phrase; -EINVAL for an unknown NAME
 * (WHY says which are known). */
int sipc__loop_choose(const char *name, char *why, size_t n);
/* The backend sipc__loop_new uses now ("epoll", "uring"). */
const char *sipc__loop_chosen(void);
/* The backend LOOP runs on. */
const char *sipc__loop_backend_name(const sipc_loop *loop);
/* Frees the loop (NULL does nothing).  Registered ios are not closed. */
void sipc__loop_free(sipc_loop *loop);
/* Runs until sipc__loop_stop.  0, or -errno if the backend's wait fails. */
int sipc__loop_run(sipc_loop *loop);
/* Runs at most one turn, waiting at most TIMEOUT_MS (-1: until an event or
 * timer).  For tests and for callers with their own outer loop. */
int sipc__loop_run_once(sipc_loop *loop, int timeout_ms);
void sipc__loop_stop(sipc_loop *loop);
bool sipc__loop_stopped(const sipc_loop *loop);
/* Thread-safe, async-signal-safe: wakes the loop, which calls on_wake. */
void sipc__loop_wake(sipc_loop *loop);
int64_t sipc__loop_now(const sipc_loop *loop);
void sipc__loop_update_now(sipc_loop *loop);
/* Number of armed timers and of started ios (for tests and drain checks). */
size_t sipc__loop_timer_count(const sipc_loop *loop);
size_t sipc__loop_io_count(const sipc_loop *loop);

void sipc__io_init(sipc_loop_io *io, int fd, sipc_loop_io_fn *cb, void *arg);
/* Registers IO for EVENTS (SIPC_LOOP_*), or changes the events of a
 * started IO.  Returns 0 or -errno (from the backend: epoll_ctl). */
int sipc__io_start(sipc_loop *loop, sipc_loop_io *io, uint32_t events);
/* Deregisters IO; nothing happens when it is not started. */
void sipc__io_stop(sipc_loop *loop, sipc_loop_io *io);
/* Makes the started IO spin (above) for up to US microseconds before the
 * loop sleeps; US 0 ends it.  Nothing happens when IO is not started. */
void sipc__io_spin(sipc_loop *loop, sipc_loop_io *io, sipc_loop_spin_fn *ready,
		   sipc_loop_spin_fn *sleep, long us);
/* The loop receives for the started stream socket IO and calls CB with the
 * bytes, in order, at most MAX at a time (a chunk may be smaller).  Its
 * other events (sipc__io_start: OUT, and IN too if asked) still go to the
 * io's on_io; while receiving, IN is not reported to on_io (the loop reads).
 * After an end (n == 0) or an error (n < 0) receiving stops by itself.
 * Returns 0 or -errno (-EINVAL: IO not started, ONESHOT or EXCLUSIVE, MAX
 * 0).  Calling it again while receiving changes only CB/MAX. */
int sipc__io_recv_start(sipc_loop *loop, sipc_loop_io *io, sipc_loop_data_fn *cb, size_t max);
/* Stops receiving: CB is not called again until the next recv_start.  No byte
 * is lost: bytes the backend has already taken off the socket (io_uring's
 * completions) are kept by the loop and given first after the next
 * sipc__io_recv_start, in order, before anything newer.  sipc__io_stop stops
 * receiving too and drops what is kept (the io's owner is closing it). */
void sipc__io_recv_stop(sipc_loop *loop, sipc_loop_io *io);
bool sipc__io_receiving(const sipc_loop_io *io);
/* The loop sends LEN bytes at BUF (from malloc(3)) on the started stream
 * socket IO, all of them, and then calls CB.  BUF is the loop's until then:
 * the caller neither changes nor frees it.  One send at a time per io
 * (-EBUSY while one is in flight); a new one may be made from CB.  If IO is
 * stopped first, CB is not called and the loop frees BUF once the kernel is
 * done with it.  On io_uring the send is a request submitted with the
 * turn's wait (no system call of its own); elsewhere loop.c sends with
 * send(2) when the socket is writable (from the next turn: never from
 * inside this call).  0 or -errno (-EINVAL: IO not started, ONESHOT or
 * EXCLUSIVE, LEN 0). */
int sipc__io_send(sipc_loop *loop, sipc_loop_io *io, void *buf, size_t len, sipc_loop_sent_fn *cb);
bool sipc__io_sending(const sipc_loop_io *io);
/* Whether LOOP's backend receives by itself (io_uring), so that completion
 * receive saves system calls; on epoll it is recv(2) on readiness, as a
 * caller's own read would be. */
bool sipc__loop_completes(const sipc_loop *loop);
/* The emulated accept's accept4(2) calls per io and turn (serve's
 * ACCEPT_BATCH: other descriptors get a turn under a flood). */
#define SIPC__LOOP_ACCEPTS 32
/* The loop accepts for the started listening IO (not ONESHOT or
 * EXCLUSIVE) and calls CB with each new connection's descriptor, or -errno
 * (above: after any error but sipc__accept_transient's, accepting has
 * stopped by itself).  Returns 0 or -errno (-EINVAL: IO not started,
 * ONESHOT or EXCLUSIVE, CB NULL).  Again while accepting: changes CB. */
int sipc__io_accept_start(sipc_loop *loop, sipc_loop_io *io, sipc_loop_accept_fn *cb);
/* As sipc__io_accept_start, for a listener other loops accept on too: on
 * io_uring a one-shot accept per connection, armed again (with the next
 * turn's submit) after each, so the loops' requests take turns on the
 * listener rather than the first one taking every connection. */
int sipc__io_accept_start_shared(sipc_loop *loop, sipc_loop_io *io, sipc_loop_accept_fn *cb);
/* Stops accepting: CB is not called until the next accept_start, which
 * first gives what the backend had accepted already, in order. */
void sipc__io_accept_stop(sipc_loop *loop, sipc_loop_io *io);
bool sipc__io_accepting(const sipc_loop_io *io);
/* Ends accepting for good without losing a connection: the backend's
 * request is cancelled, and what it accepted before the cancel took
 * effect still goes to CB, in later turns, then what the listener's
 * backlog holds once the request is gone (on io_uring a cancelled request
 * may have taken the listener's exclusive wake-up for connections it never
 * accepted: no other waiter is woken for them); then CB gets -ECANCELED
 * (it has stopped) and the io may be stopped.  True when it ended at once
 * (nothing was in flight: emulated, or not accepting): CB gets nothing
 * more. */
bool sipc__io_accept_end(sipc_loop *loop, sipc_loop_io *io);
/* Whether -ERR from accept(2) is one connection's (accept(2): "treat them
 * like EAGAIN by retrying"), not the listener's or the process's. */
bool sipc__accept_transient(int err);

/* Number of spinning ios (for tests). */
size_t sipc__loop_spin_count(const sipc_loop *loop);

void sipc__timer_init(sipc_loop_timer *t, sipc_loop_timer_fn *cb, void *arg);
/* Arms T to fire MS milliseconds from the loop's now (re-arms if armed).
 * Returns 0 or -ENOMEM. */
int sipc__timer_start(sipc_loop *loop, sipc_loop_timer *t, int64_t ms);
/* As sipc__timer_start with an absolute deadline. */
int sipc__timer_start_at(sipc_loop *loop, sipc_loop_timer *t, int64_t when);
void sipc__timer_stop(sipc_loop *loop, sipc_loop_timer *t);
bool sipc__timer_armed(const sipc_loop_timer *t);

#endif /* SIPC_LOOP_H */
