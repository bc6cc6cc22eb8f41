/*
 * test_fdpass.c - descriptors and credentials with a message on unix
 * sockets.  The internal layer (fdpass.c, sipc__fdpass_send/recv) over
 * socketpairs of each unix type: descriptors arrive, work and are
 * close-on-exec; more than the receiver takes, or more than the control
 * buffer holds (MSG_CTRUNC), is SIPC_EFDTRUNC with every received
 * descriptor closed (counted in /proc/self/fd); credentials arrive with
 * SO_PASSCRED; a stream send of descriptors with no byte is -EINVAL.
 * Then the public calls (sipc_send_fds and its kin) on endpoints of each
 * unix kind: round trips, a plain sipc_recv that gets the bytes and no
 * descriptor, SIPC_ENOFDS, SIPC_EFDTRUNC (a stream is broken after it, a
 * datagram kind goes on), a frame whose header comes in two pieces
 * around a timeout, a large frame sent while it is read, credentials,
 * the pidfd, SIPC_EKIND on tcp and udp, and the --trace lines.
 */
#include "support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "sockipc.h"

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

/* How many descriptors this process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static void sockpair(int type, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
}

static bool is_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	assert_true(f >= 0);
	return (f & FD_CLOEXEC) != 0;
}

/* N raw descriptors (dups of one) in one sendmsg, past any limit of ours. */
static void send_raw_fds(int sock, int src, int n)
{
	int fds[200];
	char ctl[CMSG_SPACE(sizeof(fds))];
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl};
	struct cmsghdr *c;

	assert_true(n <= 200);
	memset(ctl, 0, sizeof(ctl));
	for (int i = 0; i < n; i++)
		assert_true((fds[i] = dup(src)) >= 0);
	m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	assert_int_equal(sendmsg(sock, &m, MSG_NOSIGNAL), 1);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Pipes passed on each unix type arrive open, close-on-exec, and carry
 * what is written into their other end. */
static void fds_arrive_and_work(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int sv[2], p1[2], p2[2], got[4] = {-1, -1, -1, -1};
		char buf[16];
		struct iovec out = {.iov_base = "hello", .iov_len = 5};
		struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
		size_t n = 99;
		int before;

		sockpair(types[t], sv);
		assert_int_equal(pipe(p1), 0);
		assert_int_equal(pipe(p2), 0);
		/* the read ends go; the sender keeps nothing of them */
		int send[2] = {p1[0], p2[0]};

		assert_int_equal(sipc__fdpass_send(sv[0], &out, 1, send, 2, NULL, 0), 5);
		close(p1[0]);
		close(p2[0]);
		before = open_fds();
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, got, 4, &n, NULL, NULL, MSG_DONTWAIT), 5);
		assert_memory_equal(buf, "hello", 5);
		assert_int_equal(n, 2);
		assert_int_equal(open_fds(), before + 2);
		assert_true(is_cloexec(got[0]));
		assert_true(is_cloexec(got[1]));
		assert_int_equal(write(p1[1], "one", 3), 3);
		assert_int_equal(write(p2[1], "two", 3), 3);
		assert_int_equal(read(got[0], buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "one", 3);
		assert_int_equal(read(got[1], buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "two", 3);
		close(got[0]);
		close(got[1]);
		close(p1[1]);
		close(p2[1]);
		close(sv[0]);
		close(sv[1]);
	}
}

/* A message without descriptors gives none, and a zero count. */
static void plain_message_gives_none(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int sv[2], got[2] = {-1, -1};
		char buf[8];
		struct iovec out = {.iov_base = "abc", .iov_len = 3};
		struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
		size_t n = 99;
		bool hc = true;
		struct ucred uc;

		sockpair(types[t], sv);
		assert_int_equal(sipc__fdpass_send(sv[0], &out, 1, NULL, 0, NULL, 0), 3);
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, got, 2, &n, &uc, &hc, MSG_DONTWAIT), 3);
		assert_int_equal(n, 0);
		assert_false(hc);
		assert_int_equal(got[0], -1);
		/* nothing more: -EAGAIN, not a block */
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, got, 2, &n, NULL, NULL, MSG_DONTWAIT),
			-EAGAIN);
		close(sv[0]);
		close(sv[1]);
	}
}

/* More descriptors than the control buffer holds: MSG_CTRUNC, and those
 * that did fit are closed again. */
static void ctrunc_closes_every_fd(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int sv[2], src, got[SIPC__FDPASS_MAX];
		char buf[8];
		struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
		size_t n = 99;
		int before;

		sockpair(types[t], sv);
		assert_true((src = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
		send_raw_fds(sv[0], src, 200);
		before = open_fds();
		assert_int_equal(sipc__fdpass_recv(sv[1], &in, 1, got, SIPC__FDPASS_MAX, &n, NULL,
						   NULL, MSG_DONTWAIT),
				 SIPC_EFDTRUNC);
		assert_int_equal(n, 0);
		assert_int_equal(open_fds(), before);
		close(src);
		close(sv[0]);
		close(sv[1]);
	}
}

/* More than the caller's MAX but within the buffer: also SIPC_EFDTRUNC,
 * all closed; a caller that passes no count takes none. */
static void more_than_max_closes_every_fd(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int sv[2], src, got[2] = {-1, -1};
		char buf[8];
		struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
		size_t n = 99;
		int before;

		sockpair(types[t], sv);
		assert_true((src = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
		send_raw_fds(sv[0], src, 5);
		send_raw_fds(sv[0], src, 1);
		before = open_fds();
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, got, 2, &n, NULL, NULL, MSG_DONTWAIT),
			SIPC_EFDTRUNC);
		assert_int_equal(n, 0);
		assert_int_equal(got[0], -1);
		assert_int_equal(open_fds(), before);
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, NULL, 0, NULL, NULL, NULL, MSG_DONTWAIT),
			SIPC_EFDTRUNC);
		assert_int_equal(open_fds(), before);
		close(src);
		close(sv[0]);
		close(sv[1]);
	}
}

/* SCM_CREDENTIALS: our own, sent explicitly or added by the kernel for
 * a receiver with SO_PASSCRED. */
static void credentials_arrive(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int sv[2], on = 1;
		char buf[8];
		struct iovec out = {.iov_base = "c", .iov_len = 1};
		struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct ucred me = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
		struct ucred uc = {0};
		bool hc = false;
		size_t n = 99;
		int fd;

		sockpair(types[t], sv);
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
		assert_int_equal(sipc__fdpass_send(sv[0], &out, 1, NULL, 0, &me, 0), 1);
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, &fd, 1, &n, &uc, &hc, MSG_DONTWAIT), 1);
		assert_true(hc);
		assert_int_equal(uc.pid, me.pid);
		assert_int_equal(uc.uid, me.uid);
		assert_int_equal(uc.gid, me.gid);
		assert_int_equal(n, 0);

		/* with a descriptor beside them, both arrive */
		int p[2];

		assert_int_equal(pipe(p), 0);
		assert_int_equal(sipc__fdpass_send(sv[0], &out, 1, &p[0], 1, &me, 0), 1);
		hc = false;
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, &fd, 1, &n, &uc, &hc, MSG_DONTWAIT), 1);
		assert_true(hc);
		assert_int_equal(uc.pid, me.pid);
		assert_int_equal(n, 1);
		assert_true(is_cloexec(fd));
		close(fd);
		close(p[0]);
		close(p[1]);

		/* without SCM_CREDENTIALS sent, the kernel adds ours */
		assert_int_equal(sipc__fdpass_send(sv[0], &out, 1, NULL, 0, NULL, 0), 1);
		hc = false;
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, NULL, 0, NULL, &uc, &hc, MSG_DONTWAIT), 1);
		assert_true(hc);
		assert_int_equal(uc.pid, me.pid);

		/* a pid that is not ours is refused by the kernel */
		struct ucred other = me;

		other.pid = 1;
		if (geteuid() != 0)
			assert_int_equal(sipc__fdpass_send(sv[0], &out, 1, NULL, 0, &other, 0),
					 -EPERM);
		close(sv[0]);
		close(sv[1]);
	}
}

/* The sender's checks: descriptors on a stream need a byte, a datagram
 * may carry them alone; too many or a bad one is refused before sending. */
static void send_checks(void **state)
{
	int sv[2], p[2], got = -1, many[SIPC__FDPASS_MAX + 1];
	char buf[4];
	struct iovec none = {.iov_base = buf, .iov_len = 0};
	struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
	size_t n = 99;

	(void)state;
	assert_int_equal(pipe(p), 0);
	sockpair(SOCK_STREAM, sv);
	assert_int_equal(sipc__fdpass_send(sv[0], &none, 1, &p[0], 1, NULL, 0), -EINVAL);
	assert_int_equal(sipc__fdpass_send(sv[0], NULL, 0, &p[0], 1, NULL, 0), -EINVAL);
	/* nothing went */
	assert_int_equal(sipc__fdpass_recv(sv[1], &in, 1, &got, 1, &n, NULL, NULL, MSG_DONTWAIT),
			 -EAGAIN);
	for (int i = 0; i < SIPC__FDPASS_MAX + 1; i++)
		many[i] = p[0];
	assert_int_equal(sipc__fdpass_send(sv[0], &in, 1, many, SIPC__FDPASS_MAX + 1, NULL, 0),
			 -EINVAL);
	int bad = -1;

	assert_int_equal(sipc__fdpass_send(sv[0], &in, 1, &bad, 1, NULL, 0), -EBADF);
	/* the most we take goes through */
	assert_int_equal(sipc__fdpass_send(sv[0], &in, 1, many, SIPC__FDPASS_MAX, NULL, 0), 4);
	int all[SIPC__FDPASS_MAX];

	assert_int_equal(sipc__fdpass_recv(sv[1], &in, 1, all, SIPC__FDPASS_MAX, &n, NULL, NULL,
					   MSG_DONTWAIT),
			 4);
	assert_int_equal(n, SIPC__FDPASS_MAX);
	for (int i = 0; i < SIPC__FDPASS_MAX; i++)
		close(all[i]);
	close(sv[0]);
	close(sv[1]);

	int types2[] = {SOCK_DGRAM, SOCK_SEQPACKET};

	for (int t = 0; t < 2; t++) {
		sockpair(types2[t], sv);
		assert_int_equal(sipc__fdpass_send(sv[0], &none, 1, &p[0], 1, NULL, 0), 0);
		assert_int_equal(
			sipc__fdpass_recv(sv[1], &in, 1, &got, 1, &n, NULL, NULL, MSG_DONTWAIT), 0);
		assert_int_equal(n, 1);
		assert_true(is_cloexec(got));
		close(got);
		close(sv[0]);
		close(sv[1]);
	}
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------- public API */

static const struct {
	int type;
	sipc_scheme scheme;
} kinds[] = {
	{SOCK_STREAM, SIPC_UNIX},
	{SOCK_DGRAM, SIPC_UNIXGRAM},
	{SOCK_SEQPACKET, SIPC_UNIXPACKET},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Both ends of a socketpair of kind K wrapped, with OPTS. */
static void eps(size_t k, const sipc_options *o, sipc_endpoint **a, sipc_endpoint **b)
{
	int sv[2];

	sockpair(kinds[k].type, sv);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], kinds[k].scheme, o, a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], kinds[k].scheme, o, b), 0);
}

/* Writes S into the pipe end W and checks it comes out of R. */
static void pipe_carries(int w, int r, const char *s)
{
	char buf[32];
	size_t n = strlen(s);

	assert_int_equal(write(w, s, n), (ssize_t)n);
	assert_int_equal(read(r, buf, sizeof(buf)), (ssize_t)n);
	assert_memory_equal(buf, s, n);
}

static void api_round_trip(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		sipc_endpoint *a, *b;
		int p[2], got[4] = {-1, -1, -1, -1};
		char buf[16];
		size_t n = 99;
		int before;

		eps(k, NULL, &a, &b);
		assert_int_equal(pipe(p), 0);
		assert_int_equal(sipc_send_fds(a, "hello", 5, &p[0], 1, sipc_test_ms(2000)), 5);
		/* the empty message carries them too, a stream's in its header */
		int two[2] = {p[0], p[0]};

		assert_int_equal(sipc_send_fds(a, NULL, 0, two, 2, sipc_test_ms(2000)), 0);
		close(p[0]);
		before = open_fds();
		assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 4, &n, sipc_test_ms(2000)),
				 5);
		assert_memory_equal(buf, "hello", 5);
		assert_int_equal(n, 1);
		assert_int_equal(open_fds(), before + 1);
		assert_true(is_cloexec(got[0]));
		pipe_carries(p[1], got[0], "through");
		assert_int_equal(
			sipc_recv_fds(b, buf, sizeof(buf), got + 1, 3, &n, sipc_test_ms(2000)), 0);
		assert_int_equal(n, 2);
		pipe_carries(p[1], got[2], "again");
		for (int i = 0; i < 3; i++)
			close(got[i]);
		close(p[1]);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

/* A peer that reads with plain sipc_recv gets the bytes, and no
 * descriptor stays open in it. */
static void plain_recv_gets_bytes_no_fds(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		sipc_endpoint *a, *b;
		int src;
		char buf[16];
		int before;

		eps(k, NULL, &a, &b);
		assert_true((src = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
		int three[3] = {src, src, src};

		assert_int_equal(sipc_send_fds(a, "abc", 3, three, 3, sipc_test_ms(2000)), 3);
		assert_int_equal(sipc_send_fds(a, "def", 3, three, 1, sipc_test_ms(2000)), 3);
		close(src);
		before = open_fds();
		assert_int_equal(sipc_recv(b, buf, sizeof(buf), sipc_test_ms(2000)), 3);
		assert_memory_equal(buf, "abc", 3);
		void *m = NULL;

		assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(2000)), 3);
		assert_memory_equal(m, "def", 3);
		free(m);
		assert_int_equal(open_fds(), before);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

/* A message without descriptors is SIPC_ENOFDS and taken: the next one
 * (with one) reads whole. */
static void no_fds_is_enofds(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		sipc_endpoint *a, *b;
		int p[2], got = -1;
		char buf[16];
		size_t n = 99;

		eps(k, NULL, &a, &b);
		assert_int_equal(pipe(p), 0);
		assert_int_equal(sipc_send(a, "plain", 5, sipc_test_ms(2000)), 5);
		assert_int_equal(sipc_send_fds(a, "fd", 2, &p[0], 1, sipc_test_ms(2000)), 2);
		assert_int_equal(
			sipc_recv_fds(b, buf, sizeof(buf), &got, 1, &n, sipc_test_ms(2000)),
			SIPC_ENOFDS);
		assert_int_equal(n, 0);
		assert_int_equal(got, -1);
		assert_int_equal(
			sipc_recv_fds(b, buf, sizeof(buf), &got, 1, &n, sipc_test_ms(2000)), 2);
		assert_memory_equal(buf, "fd", 2);
		assert_int_equal(n, 1);
		close(got);
		close(p[0]);
		close(p[1]);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

/* More than MAX: SIPC_EFDTRUNC, none left open; a stream is broken after
 * it, a datagram kind reads its next message. */
static void too_many_is_efdtrunc(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		sipc_endpoint *a, *b;
		int src, got[2] = {-1, -1};
		char buf[16];
		size_t n = 99;
		int before;

		eps(k, NULL, &a, &b);
		assert_true((src = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
		int three[3] = {src, src, src};

		assert_int_equal(sipc_send_fds(a, "abc", 3, three, 3, sipc_test_ms(2000)), 3);
		assert_int_equal(sipc_send_fds(a, "def", 3, three, 1, sipc_test_ms(2000)), 3);
		close(src);
		before = open_fds();
		assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, sipc_test_ms(2000)),
				 SIPC_EFDTRUNC);
		assert_int_equal(n, 0);
		assert_int_equal(open_fds(), before);
		if (kinds[k].type == SOCK_STREAM) {
			assert_int_equal(
				sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, sipc_test_ms(2000)),
				SIPC_EBROKEN);
		} else {
			assert_int_equal(
				sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, sipc_test_ms(2000)),
				3);
			assert_memory_equal(buf, "def", 3);
			assert_int_equal(n, 1);
			close(got[0]);
		}
		assert_int_equal(open_fds(), before);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

/* A hostile stream peer: a valid frame whose header brings 200
 * descriptors.  SIPC_EFDTRUNC, nothing left open, the endpoint broken. */
static void hostile_stream_peer(void **state)
{
	sipc_endpoint *b;
	int sv[2], src, got[SIPC_FDS_MAX];
	char buf[16];
	size_t n;
	int before;

	(void)state;
	sockpair(SOCK_STREAM, sv);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	assert_true((src = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	uint8_t hdr[4] = {0, 0, 0, 1};

	assert_int_equal(write(sv[0], hdr, 3), 3); /* three header bytes */
	send_raw_fds(sv[0], src, 200);             /* the 4th: 0x78 'x' */
	close(src);
	before = open_fds();
	assert_int_equal(
		sipc_recv_fds(b, buf, sizeof(buf), got, SIPC_FDS_MAX, &n, sipc_test_ms(2000)),
		SIPC_EFDTRUNC);
	assert_int_equal(open_fds(), before);
	sipc_endpoint_close(b);
	close(sv[0]);
}

/* A frame whose header comes in two pieces, the descriptors with the
 * first: a timeout between keeps them in the endpoint (and the bytes);
 * the next call returns them; a close mid-frame closes them. */
static void timeout_mid_frame_keeps_fds(void **state)
{
	sipc_endpoint *b;
	int sv[2], p[2], got[2] = {-1, -1};
	char buf[16];
	size_t n = 99;
	int before;
	int64_t t0;

	(void)state;
	sockpair(SOCK_STREAM, sv);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	assert_int_equal(pipe(p), 0);
	/* nothing yet: 0 polls once, a timeout waits for it */
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, 0), SIPC_ETIMEDOUT);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, 100), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 >= 90);

	struct iovec half = {.iov_base = "\0\0", .iov_len = 2};

	assert_int_equal(sipc__fdpass_send(sv[0], &half, 1, &p[0], 1, NULL, 0), 2);
	close(p[0]);
	before = open_fds();
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, 50), SIPC_ETIMEDOUT);
	assert_int_equal(n, 0);
	assert_int_equal(open_fds(), before + 1); /* held by the endpoint */
	assert_int_equal(write(sv[0], "\0\3abc", 5), 5);
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, sipc_test_ms(2000)), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(n, 1);
	pipe_carries(p[1], got[0], "kept");
	close(got[0]);

	/* the same, the frame finished by a plain sipc_recv: it gets the
	 * bytes, and the descriptor held for it is closed */
	assert_int_equal(pipe(p + 0), 0);
	assert_int_equal(sipc__fdpass_send(sv[0], &half, 1, &p[0], 1, NULL, 0), 2);
	close(p[0]);
	before = open_fds();
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, 50), SIPC_ETIMEDOUT);
	assert_int_equal(open_fds(), before + 1);
	assert_int_equal(write(sv[0], "\0\2hi", 4), 4);
	assert_int_equal(sipc_recv(b, buf, sizeof(buf), sipc_test_ms(2000)), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_int_equal(open_fds(), before);
	close(p[1]);

	/* the same, then the endpoint closes mid-frame */
	assert_int_equal(pipe(p + 0), 0);
	assert_int_equal(sipc__fdpass_send(sv[0], &half, 1, &p[0], 1, NULL, 0), 2);
	close(p[0]);
	before = open_fds();
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, 50), SIPC_ETIMEDOUT);
	assert_int_equal(open_fds(), before + 1);
	sipc_endpoint_close(b);
	assert_int_equal(open_fds(), before - 1); /* sv[1] and the held one */
	close(p[1]);
	close(sv[0]);
}

struct big {
	sipc_endpoint *ep;
	const char *buf;
	size_t len;
	int fd;
	ssize_t rc;
};

static void *send_big(void *arg)
{
	struct big *g = arg;

	g->rc = sipc_send_fds(g->ep, g->buf, g->len, &g->fd, 1, sipc_test_ms(5000));
	return NULL;
}

/* A frame far larger than the socket buffer: many sendmsgs, one set of
 * descriptors, which arrive once with the whole message. */
static void large_frame_carries_fds_once(void **state)
{
	const size_t len = (size_t)4 << 20;
	sipc_options o = {.max_msg = len};
	sipc_endpoint *a, *b;
	struct big g;
	pthread_t t;
	char *in, *out;
	int p[2], got[2] = {-1, -1};
	size_t n = 99;

	(void)state;
	eps(0, &o, &a, &b);
	assert_int_equal(pipe(p), 0);
	out = malloc(len);
	in = malloc(len);
	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i * 7 + 3);
	g = (struct big){.ep = a, .buf = out, .len = len, .fd = p[0], .rc = 0};
	assert_int_equal(pthread_create(&t, NULL, send_big, &g), 0);
	assert_int_equal(sipc_recv_fds(b, in, len, got, 2, &n, sipc_test_ms(5000)), (ssize_t)len);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(g.rc, (ssize_t)len);
	assert_memory_equal(in, out, len);
	assert_int_equal(n, 1);
	pipe_carries(p[1], got[0], "big");
	close(got[0]);
	close(p[0]);
	close(p[1]);
	free(in);
	free(out);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

static void api_credentials(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		sipc_endpoint *a, *b;
		sipc_cred c = {.pid = -1};
		char buf[16];

		eps(k, NULL, &a, &b);
		/* sent before the receiver asked, without credentials: none */
		assert_int_equal(sipc_send(a, "one", 3, sipc_test_ms(2000)), 3);
		/* sent with ours: the kernel vouches for them */
		assert_int_equal(sipc_send_cred(a, "two", 3, sipc_test_ms(2000)), 3);
		assert_int_equal(sipc_recv_cred(b, buf, sizeof(buf), &c, sipc_test_ms(2000)), 3);
		assert_memory_equal(buf, "one", 3);
		assert_int_equal(c.pid, 0);
		assert_int_equal(sipc_recv_cred(b, buf, sizeof(buf), &c, sipc_test_ms(2000)), 3);
		assert_memory_equal(buf, "two", 3);
		assert_int_equal(c.pid, getpid());
		assert_int_equal(c.uid, geteuid());
		assert_int_equal(c.gid, getegid());
		/* once asked, every message has them */
		c.pid = -1;
		assert_int_equal(sipc_send(a, "three", 5, sipc_test_ms(2000)), 5);
		assert_int_equal(sipc_recv_cred(b, buf, sizeof(buf), &c, sipc_test_ms(2000)), 5);
		assert_int_equal(c.pid, getpid());
		/* and plain receives go on as before */
		assert_int_equal(sipc_send_cred(a, "four", 4, sipc_test_ms(2000)), 4);
		assert_int_equal(sipc_recv(b, buf, sizeof(buf), sipc_test_ms(2000)), 4);
		assert_memory_equal(buf, "four", 4);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

static void api_peerpidfd(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		sipc_endpoint *a, *b;
		char path[64], line[128];
		FILE *f;
		long pid = -1;
		int fd;

		eps(k, NULL, &a, &b);
		fd = sipc_endpoint_peerpidfd(a);
		if (fd == -ENOPROTOOPT || fd == -EOPNOTSUPP) {
			sipc_endpoint_close(a);
			sipc_endpoint_close(b);
			continue; /* a kernel before 6.5 */
		}
		assert_true(fd >= 0);
		assert_true(is_cloexec(fd));
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		assert_non_null(f = fopen(path, "r"));
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Pid: %ld", &pid) == 1)
				break;
		fclose(f);
		assert_int_equal(pid, getpid());
		close(fd);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

static void api_wrong_kind_and_args(void **state)
{
	sipc_endpoint *l, *c, *s, *u, *a, *b;
	char url[SIPC_URL_MAX], buf[8];
	sipc_cred cr;
	int fd = 0, got;
	size_t n;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &c), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &u), 0);
	sipc_endpoint *all[] = {c, s, u};

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(sipc_send_fds(all[i], "x", 1, &fd, 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_recv_fds(all[i], buf, sizeof(buf), &got, 1, &n, 0),
				 SIPC_EKIND);
		assert_int_equal(sipc_send_cred(all[i], "x", 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_recv_cred(all[i], buf, sizeof(buf), &cr, 0), SIPC_EKIND);
		assert_int_equal(sipc_endpoint_peerpidfd(all[i]), SIPC_EKIND);
	}
	/* a listener moves no data */
	assert_int_equal(sipc_send_fds(l, "x", 1, &fd, 1, 0), SIPC_EKIND);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
	sipc_endpoint_close(u);
	sipc_endpoint_close(l);

	eps(0, NULL, &a, &b);
	int many[SIPC_FDS_MAX + 1];

	for (int i = 0; i <= SIPC_FDS_MAX; i++)
		many[i] = 0;
	assert_int_equal(sipc_send_fds(NULL, "x", 1, &fd, 1, 0), -EINVAL);
	assert_int_equal(sipc_recv_fds(NULL, buf, sizeof(buf), &got, 1, &n, 0), -EINVAL);
	assert_int_equal(sipc_send_cred(NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(sipc_recv_cred(NULL, buf, sizeof(buf), &cr, 0), -EINVAL);
	assert_int_equal(sipc_endpoint_peerpidfd(NULL), -EINVAL);
	assert_int_equal(sipc_send_fds(a, NULL, 1, &fd, 1, 0), -EINVAL);
	assert_int_equal(sipc_send_fds(a, "x", 1, NULL, 1, 0), -EINVAL);
	assert_int_equal(sipc_send_fds(a, "x", 1, &fd, 0, 0), -EINVAL);
	assert_int_equal(sipc_send_fds(a, "x", 1, many, SIPC_FDS_MAX + 1, 0), -EINVAL);
	assert_int_equal(sipc_send_fds(a, "x", 1, &fd, 1, -2), -EINVAL);
	int bad = -1;

	assert_int_equal(sipc_send_fds(a, "x", 1, &bad, 1, 0), -EBADF);
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), &got, 0, &n, 0), -EINVAL);
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), NULL, 1, &n, 0), -EINVAL);
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), &got, 1, NULL, 0), -EINVAL);
	assert_int_equal(sipc_recv_cred(b, buf, sizeof(buf), NULL, 0), -EINVAL);
	/* nothing went: the peer has no message */
	assert_int_equal(sipc_recv(b, buf, sizeof(buf), 0), SIPC_ETIMEDOUT);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

/* --trace: one line per sendmsg and recvmsg with control data. */
static char trace_lines[8][512];
static int ntrace;

static void on_trace(void *arg, const char *line)
{
	(void)arg;
	if (ntrace < 8)
		snprintf(trace_lines[ntrace++], sizeof(trace_lines[0]), "%s", line);
}

static void api_trace_lines(void **state)
{
	sipc_options o = {.trace = on_trace};
	sipc_endpoint *a, *b;
	int p[2], got[2];
	char buf[16], want[128];
	size_t n;

	(void)state;
	eps(0, &o, &a, &b);
	ntrace = 0;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sipc_send_fds(a, "hello", 5, &p[0], 1, sipc_test_ms(2000)), 5);
	assert_int_equal(sipc_recv_fds(b, buf, sizeof(buf), got, 2, &n, sipc_test_ms(2000)), 5);
	assert_int_equal(ntrace, 2);
	snprintf(want, sizeof(want), "sendmsg(%d, 9 bytes, SCM_RIGHTS [%d]) = 9",
		 sipc_endpoint_fd(a), p[0]);
	assert_string_equal(trace_lines[0], want);
	snprintf(want, sizeof(want), "recvmsg(%d, 4 bytes) = 4 SCM_RIGHTS [%d]",
		 sipc_endpoint_fd(b), got[0]);
	assert_string_equal(trace_lines[1], want);
	close(got[0]);
	close(p[0]);
	close(p[1]);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fds_arrive_and_work),
		cmocka_unit_test(plain_message_gives_none),
		cmocka_unit_test(ctrunc_closes_every_fd),
		cmocka_unit_test(more_than_max_closes_every_fd),
		cmocka_unit_test(credentials_arrive),
		cmocka_unit_test(send_checks),
		cmocka_unit_test(api_round_trip),
		cmocka_unit_test(plain_recv_gets_bytes_no_fds),
		cmocka_unit_test(no_fds_is_enofds),
		cmocka_unit_test(too_many_is_efdtrunc),
		cmocka_unit_test(hostile_stream_peer),
		cmocka_unit_test(timeout_mid_frame_keeps_fds),
		cmocka_unit_test(large_frame_carries_fds_once),
		cmocka_unit_test(api_credentials),
		cmocka_unit_test(api_peerpidfd),
		cmocka_unit_test(api_wrong_kind_and_args),
		cmocka_unit_test(api_trace_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
