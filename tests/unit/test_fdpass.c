/*
 * test_fdpass.c - descriptors and credentials with a message on unix
 * sockets.  The internal layer (fdpass.c, sipc__fdpass_send/recv) over
 * socketpairs of each unix type: descriptors arrive, work and are
 * close-on-exec; more than the receiver takes, or more than the control
 * buffer holds (MSG_CTRUNC), is SIPC_EFDTRUNC with every received
 * descriptor closed (counted in /proc/self/fd); credentials arrive with
 * SO_PASSCRED; a stream send of descriptors with no byte is -EINVAL.
 */
#include "support.h"

#include <dirent.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fds_arrive_and_work),
		cmocka_unit_test(plain_message_gives_none),
		cmocka_unit_test(ctrunc_closes_every_fd),
		cmocka_unit_test(more_than_max_closes_every_fd),
		cmocka_unit_test(credentials_arrive),
		cmocka_unit_test(send_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
