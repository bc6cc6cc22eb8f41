/*
 * loop.c - the event loop itself, whatever its backend (loop_impl.h): the
 * turn that waits for descriptors until the next timer is due and
 * dispatches both, the io's bookkeeping around the backend's add, modify
 * and del, the wake's way to the wake callback, the busy-poll that
 * spins on memory-backed connections (shm://) before the turn sleeps, and
 * completion receive: the dispatch of a backend's received bytes (and
 * what a stopped receiver had in the batch, given back to be kept), or
 * its emulation with recv(2) where the backend has none (epoll); and
 * completion send, its completions' dispatch or its emulation with
 * send(2) on OUT.  It names no backend (default_linux.c and
 * default_win.c list them) and makes its system calls through sys/sys.h,
 * so the same file builds for Linux and Windows.
 * The API and its rules are described in loop.h.
 */
#include "loop/loop_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockipc.h"
#include "sys/sys.h"

/* The emulated receive reads at most this much at a time (a larger MAX is
 * cut to it: CB may be given less than MAX), and at most this many reads
 * per io and turn, as serve does: a connection that always has bytes
 * cannot starve the others. */
#define RECV_EMUL_MAX   (64 * 1024)
#define RECV_EMUL_READS 16

void sipc__loop_woken(sipc_loop *loop)
{
	if (loop->on_wake != NULL)
		loop->on_wake(loop, loop->wake_arg);
}

int sipc__loop_new_on(sipc_loop **loopp, const struct sipc__loop_backend *be,
		      sipc_loop_wake_fn *on_wake, void *wake_arg)
{
	sipc_loop *loop;
	int err;

	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return -ENOMEM;
	loop->be = be;
	loop->on_wake = on_wake;
	loop->wake_arg = wake_arg;
	loop->now = sipc__loop_clock_ms();
	loop->cur_data = -1;
	err = be->open(loop);
	if (err < 0) {
		free(loop);
		return err;
	}
	*loopp = loop;
	return 0;
}

/* The process's choice (sipc__loop_choose); set before threads make
 * loops.  NULL: the platform's default. */
static const struct sipc__loop_backend *chosen;

static const struct sipc__loop_backend *chosen_backend(void)
{
	return chosen != NULL ? chosen : sipc__loop_backend_default;
}

/* "epoll, uring or poll": the names the platform knows, into BUF (not
 * those of another system's, with no backend here). */
static void known_names(char *buf, size_t n)
{
	const struct sipc__loop_choice *c;
	size_t len = 0, total = 0, i = 0;

	buf[0] = '\0';
	for (c = sipc__loop_choices; c->name != NULL; c++)
		total += c->be != NULL;
	for (c = sipc__loop_choices; c->name != NULL; c++) {
		const char *sep = i == 0 ? "" : i + 1 == total ? " or " : ", ";
		int w;

		if (c->be == NULL)
			continue;
		i++;
		w = snprintf(buf + len, n - len, "%s%s", sep, c->name);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

int sipc__loop_choose(const char *name, char *why, size_t n)
{
	const struct sipc__loop_choice *c;
	char buf[256];

	if (why != NULL && n > 0)
		why[0] = '\0';
	if (name == NULL || name[0] == '\0') {
		chosen = sipc__loop_backend_default;
		return 0;
	}
	for (c = sipc__loop_choices; c->name != NULL; c++)
		if (strcmp(name, c->name) == 0 || (c->alias != NULL && strcmp(name, c->alias) == 0))
			break;
	if (c->name == NULL) {
		known_names(buf, sizeof(buf));
		if (why != NULL)
			snprintf(why, n, "unknown backend '%s' (%s)", name, buf);
		return -EINVAL;
	}
	if (c->be == NULL) {
		known_names(buf, sizeof(buf));
		if (why != NULL)
			snprintf(why, n, "'%s' is not supported on this system (%s)", name, buf);
		return -EINVAL;
	}
	if (c->probe != NULL && c->probe(buf, sizeof(buf)) < 0) {
		if (why != NULL)
			snprintf(why, n, "%s", buf);
		chosen = sipc__loop_backend_default;
		return 1;
	}
	chosen = c->be;
	return 0;
}

const char *sipc__loop_chosen(void)
{
	return chosen_backend()->name;
}

const char *sipc__loop_backend_name(const sipc_loop *loop)
{
	return loop->be->name;
}

int sipc__loop_new(sipc_loop **loopp, sipc_loop_wake_fn *on_wake, void *wake_arg)
{
	return sipc__loop_new_on(loopp, chosen_backend(), on_wake, wake_arg);
}

void sipc__loop_free(sipc_loop *loop)
{
	if (loop == NULL)
		return;
	loop->be->close(loop);
	sipc__theap_free(&loop->timers);
	free(loop->rbuf);
	free(loop);
}

void sipc__io_init(sipc_loop_io *io, int fd, sipc_loop_io_fn *cb, void *arg)
{
	io->fd = fd;
	io->events = 0;
	io->active = false;
	io->bk_slot = UINT32_MAX;
	io->cb = cb;
	io->arg = arg;
	io->spin_us = 0;
	io->spin_ready = NULL;
	io->spin_sleep = NULL;
	io->spin_prev = NULL;
	io->spin_next = NULL;
	io->data_cb = NULL;
	io->data_max = 0;
	io->recv_on = false;
	io->recv_emul = false;
	io->bk_events = 0;
	io->sent_cb = NULL;
	io->send_buf = NULL;
	io->send_len = 0;
	io->send_off = 0;
	io->send_on = false;
	io->send_emul = false;
	io->accept_cb = NULL;
	io->accept_on = false;
	io->accept_emul = false;
	io->accept_shared = false;
}

/* The events the backend watches for IO asking EVENTS: IN too while loop.c
 * receives for it, IN not while the backend does (its receive takes the
 * bytes; a poll for IN would report them again and again); OUT too while
 * loop.c sends for it. */
static uint32_t bk_events(const sipc_loop_io *io, uint32_t events)
{
	if (io->send_on && io->send_emul)
		events |= SIPC_LOOP_OUT;
	if (io->accept_on) /* the same for accepting */
		events = io->accept_emul ? events | SIPC_LOOP_IN : events & ~SIPC_LOOP_IN;
	if (!io->recv_on)
		return events;
	return io->recv_emul ? events | SIPC_LOOP_IN : events & ~SIPC_LOOP_IN;
}

/* The backend's events of the started IO in line with its receiving. */
static int bk_sync(sipc_loop *loop, sipc_loop_io *io)
{
	uint32_t e = bk_events(io, io->events);
	int err;

	if (e == io->bk_events)
		return 0;
	err = loop->be->modify(loop, io, e);
	if (err == 0)
		io->bk_events = e;
	return err;
}

static void spin_unlink(sipc_loop *loop, sipc_loop_io *io)
{
	if (io->spin_us == 0)
		return;
	if (io->spin_prev != NULL)
		io->spin_prev->spin_next = io->spin_next;
	else
		loop->spin_head = io->spin_next;
	if (io->spin_next != NULL)
		io->spin_next->spin_prev = io->spin_prev;
	io->spin_prev = NULL;
	io->spin_next = NULL;
	io->spin_us = 0;
	loop->nspin--;
}

void sipc__io_spin(sipc_loop *loop, sipc_loop_io *io, sipc_loop_spin_fn *ready,
		   sipc_loop_spin_fn *sleep, long us)
{
	if (!io->active || us == 0 || ready == NULL || sleep == NULL) {
		spin_unlink(loop, io);
		return;
	}
	if (io->spin_us == 0) {
		io->spin_prev = NULL;
		io->spin_next = loop->spin_head;
		if (loop->spin_head != NULL)
			loop->spin_head->spin_prev = io;
		loop->spin_head = io;
		loop->nspin++;
	}
	io->spin_us = us;
	io->spin_ready = ready;
	io->spin_sleep = sleep;
}

size_t sipc__loop_spin_count(const sipc_loop *loop)
{
	return loop->nspin;
}

int sipc__io_start(sipc_loop *loop, sipc_loop_io *io, uint32_t events)
{
	int err;

	if (io->active) {
		if (io->events == events)
			return 0;
		/* epoll refuses to modify an exclusive entry (EINVAL): a
		 * backend's modify() never sees one. */
		if ((io->events | events) & SIPC_LOOP_EXCLUSIVE) {
			sipc__io_stop(loop, io);
		} else {
			err = loop->be->modify(loop, io, bk_events(io, events));
			if (err < 0)
				return err;
			io->events = events;
			io->bk_events = bk_events(io, events);
			return 0;
		}
	}
	err = loop->be->add(loop, io, bk_events(io, events));
	if (err < 0)
		return err;
	io->events = events;
	io->bk_events = bk_events(io, events);
	io->active = true;
	loop->nios++;
	return 0;
}

void sipc__io_stop(sipc_loop *loop, sipc_loop_io *io)
{
	if (!io->active)
		return;
	/* Events of this io already taken from the kernel must not be
	 * dispatched: its owner may free it as soon as we return.  (An entry
	 * is cleared once dispatched, so every one left is pending.)  The
	 * buffers of its received bytes go back, but the one being delivered
	 * now, which its callback may still read: the dispatch gives that
	 * back when the callback returns. */
	for (int i = 0; i < loop->batch_n; i++) {
		struct sipc__loop_event *e = &loop->batch[i];

		if (e->io != io)
			continue;
		if ((e->events & SIPC__LOOP_DATA) && i != loop->cur_data &&
		    loop->be->recv_release != NULL)
			loop->be->recv_release(loop, e);
		if (e->events & SIPC__LOOP_SENT)
			free((void *)e->data); /* a send done: the buffer is ours */
		if ((e->events & SIPC__LOOP_ACCEPT) && !(e->events & SIPC__LOOP_ACCEPT_EMUL) &&
		    e->n >= 0)
			sipc__sys_close((int)e->n); /* accepted for an io that is gone */
		e->io = NULL;
	}
	io->recv_on = false;   /* the backend's del drops what it kept */
	io->accept_on = false; /* ... and closes what it accepted */
	/* The backend's del cancels a send in flight and frees its buffer. */
	if (io->send_on && io->send_emul)
		free(io->send_buf);
	io->send_on = false;
	io->send_buf = NULL;
	loop->be->del(loop, io);
	io->active = false;
	io->events = 0;
	io->bk_events = 0;
	loop->nios--;
	spin_unlink(loop, io);
}

bool sipc__loop_completes(const sipc_loop *loop)
{
	return loop->be->recv_start != NULL;
}

int sipc__io_recv_start(sipc_loop *loop, sipc_loop_io *io, sipc_loop_data_fn *cb, size_t max)
{
	int err;

	if (!io->active || cb == NULL || max == 0 ||
	    (io->events & (SIPC_LOOP_ONESHOT | SIPC_LOOP_EXCLUSIVE)))
		return -EINVAL;
	io->data_cb = cb;
	io->data_max = max;
	if (io->recv_on)
		return 0;
	io->recv_emul = true;
	if (loop->be->recv_start != NULL) {
		err = loop->be->recv_start(loop, io, max);
		if (err == 0)
			io->recv_emul = false;
		else if (err != -EOPNOTSUPP)
			return err;
	}
	io->recv_on = true;
	err = bk_sync(loop, io);
	if (err < 0) {
		io->recv_on = false;
		if (!io->recv_emul)
			loop->be->recv_stop(loop, io);
		return err;
	}
	return 0;
}

void sipc__io_recv_stop(sipc_loop *loop, sipc_loop_io *io)
{
	if (!io->recv_on)
		return;
	io->recv_on = false;
	if (!io->recv_emul) {
		loop->be->recv_stop(loop, io);
		/* Its bytes still in the batch are kept, newest first (each
		 * goes before what is kept): they come first after the next
		 * recv_start.  The one being delivered now is the dispatch's
		 * to keep (its rest goes before these). */
		for (int i = loop->batch_n - 1; i >= 0; i--) {
			struct sipc__loop_event *e = &loop->batch[i];

			if (e->io == io && (e->events & SIPC__LOOP_DATA) && i != loop->cur_data) {
				loop->be->recv_keep(loop, io, e, 0);
				e->io = NULL;
			}
		}
	}
	(void)bk_sync(loop, io);
}

bool sipc__io_receiving(const sipc_loop_io *io)
{
	return io->recv_on;
}

int sipc__io_send(sipc_loop *loop, sipc_loop_io *io, void *buf, size_t len, sipc_loop_sent_fn *cb)
{
	int err;

	if (!io->active || cb == NULL || len == 0 || buf == NULL ||
	    (io->events & (SIPC_LOOP_ONESHOT | SIPC_LOOP_EXCLUSIVE)))
		return -EINVAL;
	if (io->send_on)
		return -EBUSY;
	io->sent_cb = cb;
	io->send_buf = buf;
	io->send_len = len;
	io->send_off = 0;
	io->send_emul = true;
	if (loop->be->send != NULL) {
		err = loop->be->send(loop, io, buf, len);
		if (err == 0)
			io->send_emul = false;
		else if (err != -EOPNOTSUPP)
			return err;
	}
	io->send_on = true;
	err = bk_sync(loop, io);
	if (err < 0) {
		/* Only the emulation changes the events: nothing is in flight. */
		io->send_on = false;
		io->send_buf = NULL;
		return err;
	}
	return 0;
}

bool sipc__io_sending(const sipc_loop_io *io)
{
	return io->send_on;
}

/* The send of IO is over with N (its length or -errno): BUF goes back to
 * the caller through its callback. */
static void send_over(sipc_loop *loop, sipc_loop_io *io, ssize_t n)
{
	void *buf = io->send_buf;

	io->send_on = false;
	io->send_buf = NULL;
	if (io->send_emul)
		(void)bk_sync(loop, io);
	io->sent_cb(loop, io, buf, n);
}

/* The emulated send of IO, told writable (or an error): as much as the
 * socket takes; the callback once all of it is out. */
static void emul_send(sipc_loop *loop, sipc_loop_io *io)
{
	while (io->send_off < io->send_len) {
		/* sipc__sys_send retries EINTR and adds MSG_NOSIGNAL. */
		ssize_t w = sipc__sys_send(io->fd, (const char *)io->send_buf + io->send_off,
					   io->send_len - io->send_off, MSG_DONTWAIT);

		if (w == -EAGAIN)
			return;
		if (w < 0) {
			send_over(loop, io, w);
			return;
		}
		io->send_off += (size_t)w;
	}
	send_over(loop, io, (ssize_t)io->send_len);
}

/* A backend's completed send, batch entry I. */
static void sent(sipc_loop *loop, int i)
{
	struct sipc__loop_event *e = &loop->batch[i];
	sipc_loop_io *io = e->io;

	e->io = NULL;
	if (!io->send_on || io->send_emul || io->send_buf != (void *)e->data) {
		free((void *)e->data); /* cannot be: not this io's send */
		return;
	}
	send_over(loop, io, e->n);
}

/* Receiving of IO has ended (an end or error is being delivered). */
static void recv_ended(sipc_loop *loop, sipc_loop_io *io)
{
	io->recv_on = false;
	if (!io->recv_emul)
		loop->be->recv_stop(loop, io);
	(void)bk_sync(loop, io);
}

/* Delivers data entry I of the batch to its io's data callback. */
static void deliver(sipc_loop *loop, int i)
{
	struct sipc__loop_event *e = &loop->batch[i];
	sipc_loop_io *io = e->io;
	bool kept = false;

	loop->cur_data = i;
	if (e->n <= 0) {
		recv_ended(loop, io);
		io->data_cb(loop, io, NULL, e->n);
	} else {
		size_t off = 0, n = (size_t)e->n;

		while (off < n) {
			size_t c = n - off < io->data_max ? n - off : io->data_max;

			io->data_cb(loop, io, e->data + off, (ssize_t)c);
			off += c;
			if (e->io == NULL)
				break; /* stopped, perhaps freed */
			if (!io->recv_on) {
				if (off < n) {
					loop->be->recv_keep(loop, io, e, off);
					kept = true;
				}
				break;
			}
		}
	}
	if (!kept)
		loop->be->recv_release(loop, e);
	e->io = NULL;
	loop->cur_data = -1;
}

/* The emulated receive of IO, told readable by batch entry I. */
static void emul_read(sipc_loop *loop, sipc_loop_io *io, int i)
{
	struct sipc__loop_event *e = &loop->batch[i];

	loop->cur_data = i; /* sipc__io_stop clears e->io */
	e->io = io;
	for (int k = 0; k < RECV_EMUL_READS; k++) {
		size_t max = io->data_max < RECV_EMUL_MAX ? io->data_max : RECV_EMUL_MAX;
		ssize_t r;

		if (loop->rbuf_size < max) {
			size_t sz = loop->rbuf_size ? loop->rbuf_size : 4096;
			char *p;

			while (sz < max)
				sz *= 2;
			p = realloc(loop->rbuf, sz);
			if (p == NULL) {
				if (loop->rbuf_size == 0) {
					recv_ended(loop, io);
					io->data_cb(loop, io, NULL, -ENOMEM);
					break;
				}
				max = loop->rbuf_size;
			} else {
				loop->rbuf = p;
				loop->rbuf_size = sz;
			}
		}
		/* sipc__sys_recv retries EINTR; -EAGAIN for EWOULDBLOCK too. */
		r = sipc__sys_recv(io->fd, loop->rbuf, max, MSG_DONTWAIT);
		if (r == -EAGAIN)
			break;
		if (r <= 0) {
			recv_ended(loop, io);
			io->data_cb(loop, io, NULL, r);
			break;
		}
		io->data_cb(loop, io, loop->rbuf, r);
		if (e->io == NULL || !io->recv_on || (size_t)r < max)
			break;
	}
	e->io = NULL;
	loop->cur_data = -1;
}

/* ---------------------------------------------------- completion accept */

bool sipc__accept_transient(int err)
{
	switch (-err) {
	case ECONNABORTED:
	case EPROTO:
	case EPERM: /* a firewall rule */
	case ENETDOWN:
	case ENOPROTOOPT:
#ifdef EHOSTDOWN /* Linux's; not every system has these two */
	case EHOSTDOWN:
#endif
#ifdef ENONET
	case ENONET:
#endif
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

static int accept_start(sipc_loop *loop, sipc_loop_io *io, sipc_loop_accept_fn *cb, bool shared)
{
	int err;

	if (!io->active || cb == NULL || (io->events & (SIPC_LOOP_ONESHOT | SIPC_LOOP_EXCLUSIVE)))
		return -EINVAL;
	io->accept_cb = cb;
	if (io->accept_on)
		return 0;
	io->accept_shared = shared;
	io->accept_emul = true;
	if (loop->be->accept_start != NULL) {
		err = loop->be->accept_start(loop, io);
		if (err == 0)
			io->accept_emul = false;
		else if (err != -EOPNOTSUPP)
			return err;
	}
	io->accept_on = true;
	err = bk_sync(loop, io);
	if (err < 0) {
		io->accept_on = false;
		if (!io->accept_emul)
			loop->be->accept_stop(loop, io);
		return err;
	}
	return 0;
}

int sipc__io_accept_start(sipc_loop *loop, sipc_loop_io *io, sipc_loop_accept_fn *cb)
{
	return accept_start(loop, io, cb, false);
}

int sipc__io_accept_start_shared(sipc_loop *loop, sipc_loop_io *io, sipc_loop_accept_fn *cb)
{
	return accept_start(loop, io, cb, true);
}

/* Gives the backend IO's accept entries still in the batch to keep,
 * newest first (each goes before what it keeps). */
static void accept_give_back(sipc_loop *loop, sipc_loop_io *io)
{
	for (int i = loop->batch_n - 1; i >= 0; i--) {
		struct sipc__loop_event *e = &loop->batch[i];

		if (e->io != io || !(e->events & SIPC__LOOP_ACCEPT))
			continue;
		loop->be->accept_keep(loop, io,
				      e->events & SIPC__LOOP_ACCEPT_EMUL ? INT_MIN : (int)e->n);
		e->io = NULL;
	}
}

void sipc__io_accept_stop(sipc_loop *loop, sipc_loop_io *io)
{
	if (!io->accept_on)
		return;
	io->accept_on = false;
	if (!io->accept_emul) {
		loop->be->accept_stop(loop, io);
		accept_give_back(loop, io);
	}
	(void)bk_sync(loop, io);
}

bool sipc__io_accepting(const sipc_loop_io *io)
{
	return io->accept_on;
}

bool sipc__io_accept_end(sipc_loop *loop, sipc_loop_io *io)
{
	if (!io->accept_on)
		return true;
	if (io->accept_emul || !loop->be->accept_end(loop, io)) {
		sipc__io_accept_stop(loop, io);
		return true;
	}
	return false;
}

/* Accepting for IO has ended (an error that ends it is being told). */
static void accept_ended(sipc_loop *loop, sipc_loop_io *io)
{
	io->accept_on = false;
	if (!io->accept_emul)
		loop->be->accept_stop(loop, io);
	(void)bk_sync(loop, io);
}

/* Dispatches accept entry I of the batch. */
static void accepted(sipc_loop *loop, int i)
{
	struct sipc__loop_event *e = &loop->batch[i];
	sipc_loop_io *io = e->io;
	int fd = (int)e->n;

	e->io = NULL;
	if (!io->accept_on || io->accept_emul) {
		/* Cannot be (a stop gives the batch's entries back): never
		 * leak a descriptor anyway. */
		if (!(e->events & SIPC__LOOP_ACCEPT_EMUL) && fd >= 0)
			sipc__sys_close(fd);
		return;
	}
	if (e->events & SIPC__LOOP_ACCEPT_EMUL) {
		/* The kernel refused the backend's accept (it has stopped):
		 * accept4(2) on readiness from now on. */
		loop->be->accept_stop(loop, io);
		io->accept_emul = true;
		if (bk_sync(loop, io) < 0) {
			io->accept_on = false;
			io->accept_cb(loop, io, -ENOMEM);
		}
		return;
	}
	if (fd < 0 && !sipc__accept_transient(fd))
		accept_ended(loop, io);
	io->accept_cb(loop, io, fd);
}

/* The emulated accept of IO, told readable by batch entry I: at most
 * SIPC__LOOP_ACCEPTS accept4(2) calls.  False when IO was stopped (and
 * perhaps freed) by its callback. */
static bool emul_accept(sipc_loop *loop, sipc_loop_io *io, int i)
{
	struct sipc__loop_event *e = &loop->batch[i];

	e->io = io; /* sipc__io_stop clears it */
	for (int k = 0; k < SIPC__LOOP_ACCEPTS; k++) {
		/* Non-blocking and close-on-exec, EINTR retried, and so are
		 * the resets of queued connections (ECONNABORTED, EPROTO):
		 * each retry takes one off the queue, so it ends. */
		int fd = sipc__sys_accept(io->fd, NULL, NULL);

		if (fd < 0) {
			int err = fd;

			if (err == -EAGAIN)
				break;
			if (!sipc__accept_transient(err))
				accept_ended(loop, io);
			fd = err;
		}
		io->accept_cb(loop, io, fd);
		if (e->io == NULL || !io->accept_on)
			break;
	}
	return e->io != NULL;
}

/* After a stop ended the dispatch: the accept entries not dispatched go
 * back to the backend, newest first. */
static void accepts_keep(sipc_loop *loop, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		struct sipc__loop_event *e = &loop->batch[i];

		if (e->io == NULL || !(e->events & SIPC__LOOP_ACCEPT))
			continue;
		loop->be->accept_keep(loop, e->io,
				      e->events & SIPC__LOOP_ACCEPT_EMUL ? INT_MIN : (int)e->n);
		e->io = NULL;
	}
}

/* Dispatches the batch's N entries: first the readiness of every io to
 * its on_io (IN taken out of an emulated receiver's, whose reads come
 * after), then received data to the data callbacks, each in batch order.
 * A writer told OUT empties its output before it is handed more. */
static void dispatch(sipc_loop *loop, int n)
{
	bool data = false;

	loop->batch_n = n;
	for (int i = 0; i < n && !loop->stop; i++) {
		struct sipc__loop_event *e = &loop->batch[i];
		sipc_loop_io *io = e->io;
		uint32_t ev = e->events;

		loop->batch_i = i;
		if (io == NULL)
			continue;
		if (ev & SIPC__LOOP_ACCEPT) {
			accepted(loop, i);
			continue;
		}
		if (io->accept_on && io->accept_emul &&
		    (ev & (SIPC_LOOP_IN | SIPC_LOOP_ERR | SIPC_LOOP_HUP))) {
			ev &= ~SIPC_LOOP_IN;
			if (!emul_accept(loop, io, i))
				continue; /* stopped, perhaps freed */
		}
		if (ev & (SIPC__LOOP_DATA | SIPC__LOOP_SENT)) {
			data = true;
			continue;
		}
		bool rd = io->recv_on && io->recv_emul &&
			  (ev & (SIPC_LOOP_IN | SIPC_LOOP_ERR | SIPC_LOOP_HUP));
		bool wr = io->send_on && io->send_emul &&
			  (ev & (SIPC_LOOP_OUT | SIPC_LOOP_ERR | SIPC_LOOP_HUP));
		if (rd || wr) {
			data = true; /* read or sent in the second pass */
			if (rd)
				ev &= ~SIPC_LOOP_IN;
			if (wr && !(io->events & SIPC_LOOP_OUT))
				ev &= ~SIPC_LOOP_OUT;
		} else {
			e->io = NULL;
		}
		if (ev != 0)
			io->cb(loop, io, ev);
	}
	for (int i = 0; data && i < n && !loop->stop; i++) {
		struct sipc__loop_event *e = &loop->batch[i];
		sipc_loop_io *io = e->io;

		loop->batch_i = i;
		if (io == NULL)
			continue;
		if (e->events & SIPC__LOOP_DATA) {
			deliver(loop, i);
		} else if (e->events & SIPC__LOOP_SENT) {
			sent(loop, i);
		} else {
			uint32_t ev = e->events;

			if (io->send_on && io->send_emul &&
			    (ev & (SIPC_LOOP_OUT | SIPC_LOOP_ERR | SIPC_LOOP_HUP))) {
				emul_send(loop, io); /* may stop IO: e->io NULL */
				if (e->io == NULL)
					continue;
			}
			e->io = NULL;
			if (io->recv_on && io->recv_emul &&
			    (ev & (SIPC_LOOP_IN | SIPC_LOOP_ERR | SIPC_LOOP_HUP)))
				emul_read(loop, io, i);
		}
	}
	/* Completed sends are not told again, as readiness is: a stop does
	 * not leave them behind. */
	for (int i = 0; loop->stop && i < n; i++)
		if (loop->batch[i].io != NULL && (loop->batch[i].events & SIPC__LOOP_SENT))
			sent(loop, i);
	/* A stop ended the dispatch: accepted descriptors and received bytes
	 * are kept, not lost (a receiver's readiness is told again by the
	 * next turn). */
	accepts_keep(loop, n);
	for (int i = n - 1; (data || loop->stop) && i >= 0; i--) {
		struct sipc__loop_event *e = &loop->batch[i];

		if (e->io != NULL && (e->events & SIPC__LOOP_DATA))
			loop->be->recv_keep(loop, e->io, e, 0);
		e->io = NULL;
	}
	loop->batch_n = 0;
	loop->batch_i = 0;
}

size_t sipc__loop_io_count(const sipc_loop *loop)
{
	return loop->nios;
}

void sipc__loop_stop(sipc_loop *loop)
{
	loop->stop = true;
}

bool sipc__loop_stopped(const sipc_loop *loop)
{
	return loop->stop;
}

void sipc__loop_wake(sipc_loop *loop)
{
	loop->be->wake(loop);
}

int64_t sipc__loop_now(const sipc_loop *loop)
{
	return loop->now;
}

void sipc__loop_update_now(sipc_loop *loop)
{
	loop->now = sipc__loop_clock_ms();
}

static int wait_ms(const sipc_loop *loop, int timeout_ms)
{
	const sipc_loop_timer *t = sipc__theap_top(&loop->timers);
	int64_t left;

	if (t == NULL)
		return timeout_ms;
	left = t->when - loop->now;
	if (left < 0)
		left = 0;
	if (left > INT_MAX)
		left = INT_MAX;
	if (timeout_ms >= 0 && timeout_ms < left)
		return timeout_ms;
	return (int)left;
}

static void run_timers(sipc_loop *loop)
{
	/* Only the timers armed when this phase starts may run: a callback
	 * that re-arms itself for "now" waits for the next turn instead of
	 * spinning here. */
	size_t budget = loop->timers.n;
	sipc_loop_timer *t;

	while (budget-- > 0 && !loop->stop) {
		t = sipc__theap_top(&loop->timers);
		if (t == NULL || t->when > loop->now)
			break;
		sipc__theap_remove(&loop->timers, t);
		t->cb(loop, t);
	}
}

/* Fills the batch with the spinning ios that can go on, their events as
 * ready() (or, about to sleep, sleep()) says; their number.  Neither
 * callback may start, stop or free an io. */
static int spin_collect(sipc_loop *loop, bool sleep)
{
	int n = 0;

	for (sipc_loop_io *io = loop->spin_head; io != NULL && n < SIPC__LOOP_BATCH;
	     io = io->spin_next) {
		uint32_t ev = sleep ? io->spin_sleep(io) : io->spin_ready(io);

		if (ev != 0) {
			loop->batch[n].events = ev;
			loop->batch[n].io = io;
			n++;
		}
	}
	return n;
}

/* Spins on the spinning ios for the budget, never past TIMEOUT_MS (-1:
 * no timer), looking at the kernel's events now and then
 * (SIPC__LOOP_SPIN_KERNEL) so other descriptors wait microseconds, not
 * the whole budget: how many events it found (in the batch), 0 when the
 * budget ran out, SLICE_OVER when a busy-poll slice ended (look again),
 * or -errno from the backend's poll. */
#define SLICE_OVER INT_MIN /* never an -errno */

static int spin(sipc_loop *loop, int timeout_ms)
{
	long most = 0, budget;
	int64_t end;
	int n = 0;

	for (sipc_loop_io *io = loop->spin_head; io != NULL; io = io->spin_next) {
		if (io->spin_us == SIPC_SPIN_ALWAYS) {
			most = SIPC_SPIN_ALWAYS;
			break;
		}
		if (io->spin_us > most)
			most = io->spin_us;
	}
	if (most == SIPC_SPIN_ALWAYS) {
		budget = SIPC__LOOP_SPIN_SLICE;
	} else {
		if (loop->spin.max != most)
			sipc__spin_init(&loop->spin, most, true);
		budget = sipc__spin_budget(&loop->spin);
		if (budget == 0)
			return 0;
	}
	if (timeout_ms >= 0 && budget > (long)timeout_ms * 1000)
		budget = (long)timeout_ms * 1000;
	end = sipc__spin_now_us() + budget;
	for (unsigned i = 0;; i++) {
		n = spin_collect(loop, false);
		if (n > 0)
			break;
		if (i % SIPC__LOOP_SPIN_KERNEL == SIPC__LOOP_SPIN_KERNEL - 1) {
			/* The kernel's events are not the spin's catch: the
			 * budget stays as it is. */
			n = loop->be->poll(loop, 0);
			if (n != 0)
				return n;
		}
		if ((i & 15) == 15 && sipc__spin_now_us() >= end)
			break;
		sipc__spin_pass(i);
	}
	if (most == SIPC_SPIN_ALWAYS)
		return n > 0 ? n : SLICE_OVER;
	sipc__spin_result(&loop->spin, n > 0);
	return n;
}

/* A turn's wait when ios spin: the kernel's events first, without
 * waiting (but not on every turn of a streak of catches: one in
 * SIPC__LOOP_SPIN_FAIR); then the spin; then, armed, the sleep.  The
 * number of events in the batch, or -errno. */
static int spin_then_wait(sipc_loop *loop, int timeout_ms)
{
	int n;

	if (loop->spin_streak % SIPC__LOOP_SPIN_FAIR == 0) {
		n = loop->be->poll(loop, 0);
		if (n != 0) {
			loop->spin_streak = 0;
			return n;
		}
	}
	n = spin(loop, wait_ms(loop, timeout_ms));
	if (n > 0) {
		loop->spin_streak++;
		return n;
	}
	loop->spin_streak = 0;
	if (n == SLICE_OVER)
		return 0;
	if (n < 0)
		return n;
	n = spin_collect(loop, true);
	if (n > 0)
		return n;
	/* The spin took time: a timer may be due sooner now. */
	loop->now = sipc__loop_clock_ms();
	return loop->be->poll(loop, wait_ms(loop, timeout_ms));
}

int sipc__loop_run_once(sipc_loop *loop, int timeout_ms)
{
	int n, t = wait_ms(loop, timeout_ms);

	if (loop->spin_head != NULL && t != 0)
		n = spin_then_wait(loop, timeout_ms);
	else
		n = loop->be->poll(loop, t);
	if (n < 0) {
		if (n != -EINTR)
			return n;
		n = 0;
	}
	loop->now = sipc__loop_clock_ms();
	dispatch(loop, n);
	run_timers(loop);
	return 0;
}

int sipc__loop_run(sipc_loop *loop)
{
	int err = 0;

	/* A stop asked before the loop ran still counts; the flag is cleared
	 * on the way out so the loop can be run again. */
	while (!loop->stop) {
		err = sipc__loop_run_once(loop, -1);
		if (err < 0)
			break;
	}
	loop->stop = false;
	return err;
}
