/*
 * test_loop_accept.c - the loop's completion accept (sipc__io_accept_start,
 * loop.h), every case on three backends: epoll, where loop.c emulates it
 * with accept4(2) on readiness; io_uring, where it is a multishot
 * IORING_OP_ACCEPT; and io_uring with the multishot accept refused by the
 * kernel (an SQE it rejects with EINVAL, as before 5.19: loop.c emulates
 * after the first completion).  N connections over unix and tcp, each
 * descriptor non-blocking and close-on-exec, the peer's own (a byte
 * written on it reaches that client), IN never reported to on_io; a stop
 * and a restart with connections arriving while stopped (none lost or
 * doubled); the io stopped and freed inside its callback with more
 * connections in the batch, and with a request in the kernel and
 * connections in the backlog, then the loop freed (no descriptor leaks:
 * /proc/self/fd counted before and after); EMFILE from a lowered
 * RLIMIT_NOFILE stops accepting and is told once, the connections wait
 * in the backlog and come after a restart; accept_end on a loop whose
 * request took the listener's wake-ups, another loop's request behind
 * it: no connection is left in the backlog unwoken.
 */
#include "support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "endpoint.h"
#include "loop/loop_impl.h"

static const struct sipc__loop_backend *be = &sipc__loop_backend_epoll;
static bool refused; /* the group's io_uring refuses multishot accepts */

static sipc_loop *new_loop(void)
{
	sipc_loop *loop;

	sipc__loop_uring_refuse_accept(refused);
	assert_int_equal(sipc__loop_new_on(&loop, be, NULL, NULL), 0);
	assert_string_equal(sipc__loop_backend_name(loop), be->name);
	return loop;
}

/* Descriptors open in this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

#define MAXC 256

/* One accepting io and what it got. */
struct acc {
	sipc_loop_io io;
	int fds[MAXC];
	int nfds;
	int errs;
	int err;
	int in_calls;
	int stop_after;  /* accept_stop after this many (0: never) */
	bool free_in_cb; /* stops the io and frees this at the first */
	bool end_in_cb;  /* sipc__io_accept_end at the first */
	bool ended_now;  /* ... which said it ended at once */
	int cancels;     /* -ECANCELED told */
	bool check_flags;
};

static int freed;

static void on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct acc *a = io->arg;

	(void)loop;
	if (revents & SIPC_LOOP_IN)
		a->in_calls++;
}

static void on_accept(sipc_loop *loop, sipc_loop_io *io, int fd)
{
	struct acc *a = io->arg;

	if (fd == -ECANCELED) {
		a->cancels++;
		assert_false(sipc__io_accepting(io));
		return;
	}
	if (fd < 0) {
		a->errs++;
		a->err = fd;
		return;
	}
	if (a->check_flags) {
		assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	if (a->free_in_cb) {
		close(fd);
		sipc__io_stop(loop, io);
		memset(a, 0xa5, sizeof(*a));
		free(a);
		freed++;
		return;
	}
	assert_true(a->nfds < MAXC);
	a->fds[a->nfds++] = fd;
	if (a->end_in_cb && a->nfds == 1)
		a->ended_now = sipc__io_accept_end(loop, io);
	if (a->stop_after > 0 && a->nfds == a->stop_after) {
		sipc__io_accept_stop(loop, io);
		assert_false(sipc__io_accepting(io));
	}
}

static void acc_init(struct acc *a, int lfd)
{
	memset(a, 0, sizeof(*a));
	sipc__io_init(&a->io, lfd, on_io, a);
}

static void acc_close(struct acc *a)
{
	for (int i = 0; i < a->nfds; i++)
		close(a->fds[i]);
	a->nfds = 0;
}

/* A listening socket: unix (in the group's directory) or tcp on
 * 127.0.0.1, port 0; its address in SS/LEN. */
static int listener(bool tcp, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (tcp) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
		assert_int_equal(bind(fd, (struct sockaddr *)ss, *len), 0);
		assert_int_equal(getsockname(fd, (struct sockaddr *)ss, len), 0);
	} else {
		static int seq;
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		sun->sun_family = AF_UNIX;
		/* Abstract: nothing to clean up. */
		snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "sipc-acc-%d-%d",
			 (int)getpid(), seq++);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   strlen(sun->sun_path + 1));
		assert_int_equal(bind(fd, (struct sockaddr *)ss, *len), 0);
	}
	assert_int_equal(listen(fd, 512), 0);
	return fd;
}

/* A client connected to SS (the listener's backlog takes it). */
static int client(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (const struct sockaddr *)ss, len), 0);
	return fd;
}

/* Turns of LOOP until A has N descriptors, or the deadline. */
static void run_until(sipc_loop *loop, struct acc *a, int n, int ms)
{
	int64_t end = sipc_test_now_ms() + sipc_test_ms(ms);

	while (a->nfds < n && sipc_test_now_ms() < end)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
}

/* Each accepted descriptor is one client's: a byte with its index,
 * written on the accepted side, reaches exactly one client, and every
 * client gets one. */
static void check_pairs(struct acc *a, const int *cl, int n)
{
	bool seen[MAXC] = {false};

	assert_int_equal(a->nfds, n);
	for (int i = 0; i < n; i++) {
		uint8_t b = (uint8_t)i;

		assert_int_equal(write(a->fds[i], &b, 1), 1);
	}
	for (int i = 0; i < n; i++) {
		uint8_t b;

		assert_int_equal(read(cl[i], &b, 1), 1);
		assert_true(b < n);
		assert_false(seen[b]);
		seen[b] = true;
	}
}

static void accept_n(bool tcp)
{
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(tcp, &ss, &len), cl[100], n = 100;
	struct acc a;

	acc_init(&a, lfd);
	a.check_flags = true;
	assert_int_equal(sipc__io_start(loop, &a.io, 0), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	assert_true(sipc__io_accepting(&a.io));
	/* Half before the first turn (in the backlog), half while it runs. */
	for (int i = 0; i < n / 2; i++)
		cl[i] = client(&ss, len);
	run_until(loop, &a, n / 2, 5000);
	for (int i = n / 2; i < n; i++)
		cl[i] = client(&ss, len);
	run_until(loop, &a, n, 5000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(a.errs, 0);
	assert_int_equal(a.in_calls, 0);
	check_pairs(&a, cl, n);
	/* Who accepted: the ring on io_uring, accept4(2) elsewhere. */
	assert_int_equal(a.io.accept_emul, be != &sipc__loop_backend_uring || refused);
	sipc__io_stop(loop, &a.io);
	assert_false(sipc__io_accepting(&a.io));
	acc_close(&a);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	close(lfd);
	sipc__loop_free(loop);
}

static void test_accept_unix(void **state)
{
	int before = count_fds();

	(void)state;
	accept_n(false);
	assert_int_equal(count_fds(), before);
}

static void test_accept_tcp(void **state)
{
	int before = count_fds();

	(void)state;
	accept_n(true);
	assert_int_equal(count_fds(), before);
}

/* Stopped from its callback after 5 with more in flight, nothing is given
 * while stopped (connections keep coming), then a restart gives every one,
 * in all 60, each once; and once more with a stop from outside a turn. */
static void test_stop_restart(void **state)
{
	int before = count_fds();
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len), cl[60], n = 60;
	struct acc a;

	(void)state;
	acc_init(&a, lfd);
	assert_int_equal(sipc__io_start(loop, &a.io, 0), 0);
	a.stop_after = 5;
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	for (int i = 0; i < 20; i++)
		cl[i] = client(&ss, len);
	run_until(loop, &a, 5, 5000);
	assert_int_equal(a.nfds, 5);
	assert_false(sipc__io_accepting(&a.io));
	for (int i = 20; i < 40; i++)
		cl[i] = client(&ss, len);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(a.nfds, 5);
	assert_int_equal(a.in_calls, 0);
	a.stop_after = 0;
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	run_until(loop, &a, 40, 5000);
	assert_int_equal(a.nfds, 40);
	/* Stopped between turns, then restarted. */
	sipc__io_accept_stop(loop, &a.io);
	for (int i = 40; i < n; i++)
		cl[i] = client(&ss, len);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(a.nfds, 40);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	run_until(loop, &a, n, 5000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(a.errs, 0);
	check_pairs(&a, cl, n);
	sipc__io_stop(loop, &a.io);
	acc_close(&a);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	sipc__loop_free(loop);
	close(lfd);
	assert_int_equal(count_fds(), before);
}

/* The io stopped and freed by its callback at the first connection, with
 * more in the batch and more still in the completion queue (io_uring: 300
 * completions of one turn, a batch takes 256): the batch's are closed by
 * the stop, the queue's (a freed io's) by the next turn; nothing is
 * handed to anybody, and no descriptor is left open. */
static void test_free_in_cb(void **state)
{
	int before = count_fds();
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len), cl[300], n = 300;
	struct acc *a = malloc(sizeof(*a));
	struct timeval tv = {.tv_sec = sipc_test_ms(5000) / 1000};
	char b;

	(void)state;
	assert_non_null(a);
	freed = 0;
	acc_init(a, lfd);
	a->free_in_cb = true;
	assert_int_equal(sipc__io_start(loop, &a->io, 0), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a->io, on_accept), 0);
	assert_int_equal(sipc__loop_run_once(loop, 0), 0); /* armed */
	for (int i = 0; i < n; i++) {
		cl[i] = client(&ss, len);
		/* A read that never ends fails instead of hanging. */
		assert_int_equal(setsockopt(cl[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	}
	for (int i = 0; i < 10 && freed == 0; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(freed, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	/* Every client accepted by the ring was closed: it reads the end.
	 * (epoll accepted one; the rest wait in the backlog.) */
	if (be == &sipc__loop_backend_uring && !refused)
		for (int i = 0; i < n; i++)
			assert_int_equal(read(cl[i], &b, 1), 0);
	sipc__loop_free(loop);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	close(lfd);
	assert_int_equal(count_fds(), before);
}

/* The io stopped and freed with its request in the kernel and connections
 * arriving, a new io on its slot, the loop freed with a request armed and
 * connections pending: no descriptor leaks, and the new io is given none
 * of the old one's connections. */
static void test_free_pending(void **state)
{
	int before = count_fds();
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss, ss2;
	socklen_t len, len2;
	int lfd = listener(false, &ss, &len), lfd2 = listener(true, &ss2, &len2), cl[40];
	struct acc *a = malloc(sizeof(*a)), b;

	(void)state;
	assert_non_null(a);
	acc_init(a, lfd);
	assert_int_equal(sipc__io_start(loop, &a->io, 0), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a->io, on_accept), 0);
	assert_int_equal(sipc__loop_run_once(loop, 0), 0); /* armed */
	for (int i = 0; i < 20; i++)
		cl[i] = client(&ss, len);
	sipc__io_stop(loop, &a->io);
	acc_close(a);
	memset(a, 0xa5, sizeof(*a));
	free(a);
	acc_init(&b, lfd2);
	assert_int_equal(sipc__io_start(loop, &b.io, 0), 0);
	assert_int_equal(sipc__io_accept_start(loop, &b.io, on_accept), 0);
	for (int i = 20; i < 30; i++)
		cl[i] = client(&ss2, len2);
	run_until(&*loop, &b, 10, 5000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(b.nfds, 10);
	/* The loop freed with the request armed and 10 more pending. */
	for (int i = 30; i < 40; i++)
		cl[i] = client(&ss2, len2);
	sipc__io_stop(loop, &b.io);
	sipc__loop_free(loop);
	acc_close(&b);
	for (int i = 0; i < 40; i++)
		close(cl[i]);
	close(lfd);
	close(lfd2);
	assert_int_equal(count_fds(), before);
}

/* Out of descriptors: EMFILE is told once and accepting stops by itself
 * (the other connections wait in the backlog); with the limit back, a
 * restart gives all of them. */
static void test_emfile(void **state)
{
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len), cl[12], n = 12, top = 0;
	struct rlimit old, low;
	struct acc a;

	(void)state;
	acc_init(&a, lfd);
	assert_int_equal(sipc__io_start(loop, &a.io, 0), 0);
	for (int i = 0; i < n; i++)
		cl[i] = client(&ss, len);
	/* Room for a few descriptors more than the highest open now (the
	 * kernel takes the lowest free one: holes below it count too). */
	for (int i = 0; i < n; i++)
		if (cl[i] > top)
			top = cl[i];
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)top + 3;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	for (int i = 0; i < 50 && a.errs == 0; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(a.errs, 1);
	assert_int_equal(a.err, -EMFILE);
	assert_false(sipc__io_accepting(&a.io));
	assert_true(a.nfds >= 1 && a.nfds < n);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(a.errs, 1);
	assert_true(a.nfds < n);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	run_until(loop, &a, n, 5000);
	assert_int_equal(a.errs, 1);
	check_pairs(&a, cl, n);
	sipc__io_stop(loop, &a.io);
	acc_close(&a);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	close(lfd);
	sipc__loop_free(loop);
}

/* Two loops sharing one listener (serve's workers), each accepting with
 * sipc__io_accept_start_shared: 40 connections one after another, every
 * one accepted once, by one of them; on io_uring the two requests take
 * turns (a multishot accept stays first on the listener and would take
 * every one). */
static void test_shared(void **state)
{
	int before = count_fds();
	sipc_loop *l1 = new_loop(), *l2 = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len), cl[40], n = 40, n1 = 0;
	struct acc a1, a2, all;
	bool last1 = false;

	(void)state;
	acc_init(&a1, lfd);
	acc_init(&a2, lfd);
	assert_int_equal(sipc__io_start(l1, &a1.io, 0), 0);
	assert_int_equal(sipc__io_start(l2, &a2.io, 0), 0);
	assert_int_equal(sipc__io_accept_start_shared(l1, &a1.io, on_accept), 0);
	assert_int_equal(sipc__io_accept_start_shared(l2, &a2.io, on_accept), 0);
	assert_int_equal(sipc__loop_run_once(l1, 0), 0);
	assert_int_equal(sipc__loop_run_once(l2, 0), 0);
	for (int i = 0; i < n; i++) {
		int64_t end = sipc_test_now_ms() + sipc_test_ms(5000);

		cl[i] = client(&ss, len);
		/* The loop that did not take the last one runs first (a
		 * thread of its own would be waiting in the kernel): its
		 * request is the one the listener woke.  (The other's, armed
		 * again by its next turn's submit, would take a connection
		 * still in the backlog at once.) */
		while (a1.nfds + a2.nfds < i + 1 && sipc_test_now_ms() < end) {
			assert_int_equal(sipc__loop_run_once(last1 ? l2 : l1, 1), 0);
			assert_int_equal(sipc__loop_run_once(last1 ? l1 : l2, 1), 0);
		}
		assert_int_equal(a1.nfds + a2.nfds, i + 1);
		last1 = a1.nfds > n1;
		n1 = a1.nfds;
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sipc__loop_run_once(l1, 5), 0);
		assert_int_equal(sipc__loop_run_once(l2, 5), 0);
	}
	assert_int_equal(a1.errs + a2.errs, 0);
	if (be == &sipc__loop_backend_uring && !refused) {
		assert_true(a1.nfds >= n / 4);
		assert_true(a2.nfds >= n / 4);
	}
	memset(&all, 0, sizeof(all));
	memcpy(all.fds, a1.fds, sizeof(int) * (size_t)a1.nfds);
	memcpy(all.fds + a1.nfds, a2.fds, sizeof(int) * (size_t)a2.nfds);
	all.nfds = a1.nfds + a2.nfds;
	check_pairs(&all, cl, n);
	sipc__io_stop(l1, &a1.io);
	sipc__io_stop(l2, &a2.io);
	acc_close(&all);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	sipc__loop_free(l1);
	sipc__loop_free(l2);
	close(lfd);
	assert_int_equal(count_fds(), before);
}

/* accept_end from the callback at the first of 30 connections the ring
 * took in one turn: the other 29 still come, then -ECANCELED once, then
 * nothing (on io_uring the end takes what the backlog holds too:
 * test_end_wakeups; emulated, it stays there).  Every client is
 * someone's: none closed on the way. */
static void test_end(void **state)
{
	int before = count_fds();
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len), cl[30], n = 30, fd;
	struct acc a;

	(void)state;
	acc_init(&a, lfd);
	a.end_in_cb = true;
	assert_int_equal(sipc__io_start(loop, &a.io, 0), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), 0);
	assert_int_equal(sipc__loop_run_once(loop, 0), 0); /* armed */
	for (int i = 0; i < n; i++)
		cl[i] = client(&ss, len);
	for (int i = 0; i < 50 && a.nfds == 0; i++)
		assert_int_equal(sipc__loop_run_once(loop, 10), 0);
	assert_true(a.nfds >= 1);
	if (a.ended_now) {
		assert_true(a.io.accept_emul);
		assert_false(sipc__io_accepting(&a.io));
	} else {
		for (int i = 0; i < 50 && a.cancels == 0; i++)
			assert_int_equal(sipc__loop_run_once(loop, 10), 0);
		assert_int_equal(a.cancels, 1);
		if (!refused)
			assert_int_equal(a.nfds, n); /* the ring had taken them all */
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(sipc__loop_run_once(loop, 5), 0);
	assert_int_equal(a.cancels, a.ended_now ? 0 : 1);
	assert_int_equal(a.errs, 0);
	sipc__io_stop(loop, &a.io);
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		a.fds[a.nfds++] = fd;
	check_pairs(&a, cl, n);
	acc_close(&a);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	sipc__loop_free(loop);
	close(lfd);
	assert_int_equal(count_fds(), before);
}

/*
 * Two loops accepting on one listener, A's request first on it (armed
 * first), then connections, then A's accept_end before A's next turn:
 * every connection is accepted once, by A (what the end found in the
 * backlog) or B.  On io_uring A's request (multishot: it stays first;
 * the same with one-shot requests for the first connection) takes the
 * listener's exclusive wake-ups, and its task runs them only in its next
 * io_uring_enter, after the cancel that enter submits: without the look
 * at the backlog after the end, nobody was woken and the connections
 * waited there until a later one came (serve lost clients across
 * reloads with -w 1).  SHARED: both with sipc__io_accept_start_shared;
 * then one connection (A's one-shot request leaves the listener's queue
 * with the first wake-up it takes; B's, woken by a second connection,
 * would accept it too once armed again).
 */
static void end_wakeups(bool shared)
{
	int before = count_fds();
	sipc_loop *la = new_loop(), *lb = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len), cl[4], n = shared ? 1 : 4;
	struct acc a, b, all;
	int64_t end;

	acc_init(&a, lfd);
	acc_init(&b, lfd);
	assert_int_equal(sipc__io_start(la, &a.io, 0), 0);
	assert_int_equal(sipc__io_start(lb, &b.io, 0), 0);
	if (shared) {
		assert_int_equal(sipc__io_accept_start_shared(la, &a.io, on_accept), 0);
		assert_int_equal(sipc__io_accept_start_shared(lb, &b.io, on_accept), 0);
	} else {
		assert_int_equal(sipc__io_accept_start(la, &a.io, on_accept), 0);
		assert_int_equal(sipc__io_accept_start(lb, &b.io, on_accept), 0);
	}
	assert_int_equal(sipc__loop_run_once(la, 0), 0); /* A's request first */
	assert_int_equal(sipc__loop_run_once(lb, 0), 0);
	for (int i = 0; i < n; i++)
		cl[i] = client(&ss, len);
	if (sipc__io_accept_end(la, &a.io))
		assert_true(a.io.accept_emul); /* accept4(2) on readiness */
	end = sipc_test_now_ms() + sipc_test_ms(3000);
	while (a.nfds + b.nfds < n && sipc_test_now_ms() < end) {
		assert_int_equal(sipc__loop_run_once(la, 1), 0);
		assert_int_equal(sipc__loop_run_once(lb, 10), 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sipc__loop_run_once(la, 1), 0);
		assert_int_equal(sipc__loop_run_once(lb, 1), 0);
	}
	assert_int_equal(a.nfds + b.nfds, n);
	assert_int_equal(a.errs + b.errs, 0);
	assert_int_equal(a.cancels, a.io.accept_emul ? 0 : 1);
	assert_false(sipc__io_accepting(&a.io));
	memset(&all, 0, sizeof(all));
	memcpy(all.fds, a.fds, sizeof(int) * (size_t)a.nfds);
	memcpy(all.fds + a.nfds, b.fds, sizeof(int) * (size_t)b.nfds);
	all.nfds = a.nfds + b.nfds;
	check_pairs(&all, cl, n);
	sipc__io_stop(la, &a.io);
	sipc__io_stop(lb, &b.io);
	acc_close(&all);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	sipc__loop_free(la);
	sipc__loop_free(lb);
	close(lfd);
	assert_int_equal(count_fds(), before);
}

static void test_end_wakeups(void **state)
{
	(void)state;
	end_wakeups(false);
}

static void test_end_wakeups_shared(void **state)
{
	(void)state;
	end_wakeups(true);
}

/* accept_start's refusals. */
static void test_refusals(void **state)
{
	sipc_loop *loop = new_loop();
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(false, &ss, &len);
	struct acc a;

	(void)state;
	acc_init(&a, lfd);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), -EINVAL);
	assert_int_equal(sipc__io_start(loop, &a.io, SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, on_accept), -EINVAL);
	assert_int_equal(sipc__io_start(loop, &a.io, 0), 0);
	assert_int_equal(sipc__io_accept_start(loop, &a.io, NULL), -EINVAL);
	assert_false(sipc__io_accepting(&a.io));
	sipc__io_stop(loop, &a.io);
	close(lfd);
	sipc__loop_free(loop);
}

/* ------------------------------------------------ sipc__ep_accepted */

static char trace_buf[8192];

static void on_trace(void *arg, const char *line)
{
	size_t n = strlen(trace_buf);

	(void)arg;
	snprintf(trace_buf + n, sizeof(trace_buf) - n, "%s\n", line);
}

/* A connection accepted by someone else (accept4 here, the loop's ring in
 * serve) made into an endpoint as sipc_accept makes one: the listener's
 * trace with the peer's address (asked of the descriptor), the
 * association line, TCP_NODELAY, the peer, bytes both ways; and which
 * listeners may (tcp, unix, unixpacket) or may not (shm) take it. */
static void test_ep_accepted(void **state)
{
	sipc_options o = {0};
	sipc_endpoint *l, *c, *conn, *sl;
	char url[SIPC_URL_MAX], want[64], buf[8];
	sipc_addr peer, cl_local;
	int fd, one = 0;
	socklen_t ol = sizeof(one);

	(void)state;
	o.trace = on_trace;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", &o, &l), 0);
	assert_true(sipc__ep_plain_accept(l));
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, 5000, &c), 0);
	fd = accept4(sipc_endpoint_fd(l), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	trace_buf[0] = '\0';
	assert_int_equal(sipc__ep_accepted(l, fd, NULL, 0, &conn), 0);
	assert_int_equal(sipc_endpoint_fd(conn), fd);
	assert_int_equal(sipc_endpoint_peer(conn, &peer), 0);
	assert_int_equal(sipc_endpoint_local(c, &cl_local), 0);
	assert_int_equal(sipc_addr_format(&cl_local, url, sizeof(url)) >= 0, 1);
	snprintf(want, sizeof(want), "accept(%d) = %d ", sipc_endpoint_fd(l), fd);
	assert_non_null(strstr(trace_buf, want));
	assert_non_null(strstr(trace_buf, url + strlen("tcp://")));
	assert_non_null(strstr(trace_buf, "association"));
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, &ol), 0);
	assert_int_equal(one, 1);
	assert_int_equal(sipc_write_all(c, "ping", 4, 5000), 4);
	assert_int_equal(sipc_read(conn, buf, 4, 5000), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(sipc_write_all(conn, "pong", 4, 5000), 4);
	assert_int_equal(sipc_read(c, buf, 4, 5000), 4);
	assert_memory_equal(buf, "pong", 4);
	sipc_endpoint_close(conn);
	sipc_endpoint_close(c);
	sipc_endpoint_close(l);

	snprintf(url, sizeof(url), "unix://%s/u.sock", sipc_test_dir);
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_true(sipc__ep_plain_accept(l));
	sipc_endpoint_close(l);
	snprintf(url, sizeof(url), "unixpacket://%s/p.sock", sipc_test_dir);
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_true(sipc__ep_plain_accept(l));
	sipc_endpoint_close(l);
	snprintf(url, sizeof(url), "shm://%s/shm.sock", sipc_test_dir);
	assert_int_equal(sipc_listen(url, NULL, &sl), 0);
	assert_false(sipc__ep_plain_accept(sl));
	sipc_endpoint_close(sl);
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &l), 0);
	assert_false(sipc__ep_plain_accept(l));
	sipc_endpoint_close(l);
}

static int on_epoll(void **state)
{
	(void)state;
	be = &sipc__loop_backend_epoll;
	refused = false;
	return 0;
}

static int on_uring(void **state)
{
	(void)state;
	be = &sipc__loop_backend_uring;
	refused = false;
	return 0;
}

static int on_uring_refused(void **state)
{
	(void)state;
	be = &sipc__loop_backend_uring;
	refused = true;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_unix),
		cmocka_unit_test(test_accept_tcp),
		cmocka_unit_test(test_stop_restart),
		cmocka_unit_test(test_free_in_cb),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_emfile),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_end_wakeups),
		cmocka_unit_test(test_end_wakeups_shared),
	};
	int rc = cmocka_run_group_tests_name("epoll", tests, on_epoll, NULL);

	rc |= cmocka_run_group_tests_name("uring", tests, on_uring, NULL);
	/* io_uring refusing multishot accepts: loop.c's accept4(2) beside the
	 * ring's polls. */
	rc |= cmocka_run_group_tests_name("uring-refused", tests, on_uring_refused, NULL);
	const struct CMUnitTest lib[] = {cmocka_unit_test(test_ep_accepted)};

	return rc |
	       cmocka_run_group_tests_name("lib", lib, sipc_test_dir_setup, sipc_test_dir_teardown);
}
