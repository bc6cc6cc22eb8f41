/*
 * test_bytes.c - the transfer loops of bytes.c and msg.c under the worst a
 * kernel is allowed to do: every other system call interrupted (EINTR) and
 * every transfer cut to one byte.  The linker's --wrap (test_bytes.wrap)
 * routes the library's send, recv, sendmsg, recvmsg and poll through the
 * __wrap_ functions below, which follow a script the test sets; the data
 * must still arrive byte for byte, and the timeouts still hold.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockipc.h"

/* ---- the script: what the wrapped calls do ---- */

static bool g_eintr;     /* every other call fails with EINTR first */
static bool g_short;     /* transfers move at most one byte */
static int g_poll_eintr; /* the next N polls fail with EINTR */
static unsigned long g_calls, g_eintrs, g_shorts;

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);

static void script(bool eintr, bool shortio)
{
	g_eintr = eintr;
	g_short = shortio;
	g_calls = g_eintrs = g_shorts = 0;
}

/* True when this call is to fail with EINTR (every other one). */
static bool interrupt(void)
{
	if (g_eintr && g_calls++ % 2 == 0) {
		g_eintrs++;
		errno = EINTR;
		return true;
	}
	return false;
}

static size_t cut(size_t len)
{
	if (g_short && len > 1) {
		g_shorts++;
		return 1;
	}
	return len;
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
	if (interrupt())
		return -1;
	return __real_send(fd, buf, cut(len), flags);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	if (interrupt())
		return -1;
	return __real_recv(fd, buf, cut(len), flags);
}

/* A copy of MSG whose vector is cut to the first byte. */
static struct msghdr cut_msg(const struct msghdr *msg, struct iovec *one)
{
	struct msghdr m = *msg;
	size_t i;

	if (!g_short)
		return m;
	for (i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > 0) {
			*one = msg->msg_iov[i];
			if (one->iov_len > 1 || msg->msg_iovlen > 1)
				g_shorts++;
			one->iov_len = 1;
			m.msg_iov = one;
			m.msg_iovlen = 1;
			break;
		}
	}
	return m;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct iovec one;
	struct msghdr m;

	if (interrupt())
		return -1;
	m = cut_msg(msg, &one);
	return __real_sendmsg(fd, &m, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct iovec one;
	struct msghdr m;
	ssize_t r;

	if (interrupt())
		return -1;
	m = cut_msg(msg, &one);
	r = __real_recvmsg(fd, &m, flags);
	msg->msg_flags = m.msg_flags;
	msg->msg_namelen = m.msg_namelen;
	msg->msg_controllen = m.msg_controllen;
	return r;
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (g_poll_eintr > 0) {
		g_poll_eintr--;
		g_eintrs++;
		/* A signal arrives part way through the wait. */
		__real_poll(NULL, 0, timeout < 0 || timeout > 20 ? 20 : timeout);
		errno = EINTR;
		return -1;
	}
	return __real_poll(fds, n, timeout);
}

/* ---- helpers ---- */

static void pair(sipc_endpoint **a, sipc_endpoint **b)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, b), 0);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed) ^ (i >> 8));
}

#define N 6000

/* The reading half of a transfer, run in a thread while the test writes. */
struct reader {
	sipc_endpoint *ep;
	void *buf;
	size_t n;
	const struct iovec *iov;
	int iovcnt;
	ssize_t result;
	pthread_t th;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	if (r->iov != NULL)
		r->result = sipc_readv_exact(r->ep, r->iov, r->iovcnt, sipc_test_ms(10000));
	else
		r->result = sipc_read_exact(r->ep, r->buf, r->n, sipc_test_ms(10000));
	return NULL;
}

static void reader_start(struct reader *r)
{
	assert_int_equal(pthread_create(&r->th, NULL, reader_main, r), 0);
}

static ssize_t reader_join(struct reader *r)
{
	pthread_join(r->th, NULL);
	return r->result;
}

static void write_all_read_exact_survive(void **state)
{
	static const bool modes[3][2] = {{true, false}, {false, true}, {true, true}};
	uint8_t out[N], in[N];
	sipc_endpoint *a, *b;
	struct reader rd;
	int i;
	(void)state;

	fill(out, N, 3);
	for (i = 0; i < 3; i++) {
		pair(&a, &b);
		memset(in, 0, N);
		script(modes[i][0], modes[i][1]);
		rd = (struct reader){.ep = b, .buf = in, .n = N};
		reader_start(&rd);
		assert_int_equal(sipc_write_all(a, out, N, sipc_test_ms(10000)), N);
		assert_int_equal(reader_join(&rd), N);
		if (modes[i][0])
			assert_true(g_eintrs >= 2);
		if (modes[i][0] && modes[i][1])
			assert_true(g_eintrs >= N);
		if (modes[i][1])
			assert_true(g_shorts >= N);
		script(false, false);
		assert_memory_equal(in, out, N);
		/* read_exact: end of stream before any byte, and after some. */
		assert_int_equal(sipc_write_all(a, "ab", 2, sipc_test_ms(1000)), 2);
		sipc_endpoint_close(a);
		assert_int_equal(sipc_read_exact(b, in, 3, sipc_test_ms(1000)), SIPC_EPARTIAL);
		assert_int_equal(sipc_read_exact(b, in, 3, sipc_test_ms(1000)), SIPC_ECLOSED);
		sipc_endpoint_close(b);
	}
}

static void vectored_survive_and_keep_iov(void **state)
{
	uint8_t out[N], in[N];
	struct iovec wv[5], wcopy[5], rv[4], rcopy[4];
	sipc_endpoint *a, *b;
	struct reader rd;
	(void)state;

	fill(out, N, 9);
	memset(in, 0, N);
	/* Odd pieces, an empty one in the middle, different cuts each side. */
	wv[0] = (struct iovec){out, 1};
	wv[1] = (struct iovec){out + 1, 0};
	wv[2] = (struct iovec){out + 1, 2999};
	wv[3] = (struct iovec){out + 3000, 7};
	wv[4] = (struct iovec){out + 3007, N - 3007};
	rv[0] = (struct iovec){in, 4000};
	rv[1] = (struct iovec){in + 4000, 0};
	rv[2] = (struct iovec){in + 4000, 3};
	rv[3] = (struct iovec){in + 4003, N - 4003};
	memcpy(wcopy, wv, sizeof wv);
	memcpy(rcopy, rv, sizeof rv);
	pair(&a, &b);
	script(true, true);
	rd = (struct reader){.ep = b, .iov = rv, .iovcnt = 4};
	reader_start(&rd);
	assert_int_equal(sipc_writev_all(a, wv, 5, sipc_test_ms(10000)), N);
	assert_int_equal(reader_join(&rd), N);
	assert_true(g_eintrs > 0 && g_shorts > 0);
	script(false, false);
	assert_memory_equal(in, out, N);
	assert_memory_equal(wv, wcopy, sizeof wv);
	assert_memory_equal(rv, rcopy, sizeof rv);
	assert_int_equal(sipc_writev_all(a, wv, -1, 0), -EINVAL);
	assert_int_equal(sipc_writev_all(a, wv, 0, 0), 0);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

static const size_t msg_sizes[] = {0, 1, 1000, 5000, 3};
static uint8_t msg_out[5000];

/* Sends the five messages; the count of those sent whole. */
static void *sender_main(void *arg)
{
	sipc_endpoint *ep = arg;
	uintptr_t ok = 0;
	size_t i;

	for (i = 0; i < 5; i++)
		if (sipc_send(ep, msg_out, msg_sizes[i], sipc_test_ms(10000)) ==
		    (ssize_t)msg_sizes[i])
			ok++;
	return (void *)ok;
}

static void messages_survive(void **state)
{
	const size_t *sizes = msg_sizes;
	const uint8_t *out = msg_out;
	uint8_t in[5000];
	sipc_endpoint *a, *b;
	pthread_t th;
	void *m, *sent;
	size_t i;
	(void)state;

	fill(msg_out, sizeof msg_out, 5);
	pair(&a, &b);
	script(true, true);
	assert_int_equal(pthread_create(&th, NULL, sender_main, a), 0);
	for (i = 0; i < 5; i++) {
		memset(in, 0, sizeof in);
		if (i % 2 == 0) {
			assert_int_equal(sipc_recv(b, in, sizeof in, sipc_test_ms(5000)), sizes[i]);
			assert_memory_equal(in, out, sizes[i]);
		} else {
			m = NULL;
			assert_int_equal(sipc_recv_alloc(b, &m, sipc_test_ms(5000)), sizes[i]);
			assert_memory_equal(m, out, sizes[i]);
			free(m);
		}
	}
	pthread_join(th, &sent);
	assert_int_equal((uintptr_t)sent, 5);
	assert_true(g_eintrs > 0 && g_shorts > 6000);
	script(false, false);
	assert_int_equal(sipc_recv(b, in, sizeof in, 0), SIPC_ETIMEDOUT);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

static void interrupted_wait_keeps_deadline(void **state)
{
	sipc_endpoint *a, *b;
	int64_t t0, took;
	char buf[8];
	int ms = sipc_test_ms(200);
	(void)state;

	pair(&a, &b);
	script(true, false);
	/* Three signals during the wait: it neither ends early nor restarts
	 * its full timeout each time. */
	g_poll_eintr = 3;
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_recv(b, buf, sizeof buf, ms), SIPC_ETIMEDOUT);
	took = sipc_test_now_ms() - t0;
	assert_int_equal(g_poll_eintr, 0);
	assert_true(took >= ms - 5);
	assert_true(took < ms + sipc_test_ms(150));
	g_poll_eintr = 3;
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_read(b, buf, sizeof buf, ms), SIPC_ETIMEDOUT);
	took = sipc_test_now_ms() - t0;
	assert_true(took >= ms - 5 && took < ms + sipc_test_ms(150));
	script(false, false);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

/*
 * Byte reads on datagram kinds take one datagram; one larger than the
 * buffer is SIPC_ETRUNC, as sipc_recv says, never its first bytes passed
 * off as the whole (UDP, unix datagram, seqpacket).
 */
static void read_never_cuts_a_datagram(void **state)
{
	static const struct {
		int type;
		sipc_scheme scheme;
	} kinds[] = {{SOCK_DGRAM, SIPC_UNIXGRAM}, {SOCK_SEQPACKET, SIPC_UNIXPACKET}};
	sipc_endpoint *srv, *a, *b;
	char dial[SIPC_URL_MAX], buf[4];
	sipc_addr local;
	int sv[2];
	size_t k;
	(void)state;

	script(false, false);
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &srv), 0);
	assert_int_equal(sipc_endpoint_local(srv, &local), 0);
	assert_true(sipc_addr_format(&local, dial, sizeof dial) > 0);
	assert_int_equal(sipc_dial(dial, NULL, sipc_test_ms(1000), &a), 0);
	assert_int_equal(sipc_send(a, "hello world", 11, sipc_test_ms(1000)), 11);
	assert_int_equal(sipc_send(a, "abc", 3, sipc_test_ms(1000)), 3);
	assert_int_equal(sipc_read(srv, buf, sizeof buf, sipc_test_ms(1000)), SIPC_ETRUNC);
	assert_int_equal(sipc_read(srv, buf, sizeof buf, sipc_test_ms(1000)), 3);
	assert_memory_equal(buf, "abc", 3);
	sipc_endpoint_close(a);
	sipc_endpoint_close(srv);

	for (k = 0; k < 2; k++) {
		assert_int_equal(socketpair(AF_UNIX, kinds[k].type, 0, sv), 0);
		assert_int_equal(sipc_endpoint_from_fd(sv[0], kinds[k].scheme, NULL, &a), 0);
		assert_int_equal(sipc_endpoint_from_fd(sv[1], kinds[k].scheme, NULL, &b), 0);
		assert_int_equal(sipc_send(a, "hello world", 11, sipc_test_ms(1000)), 11);
		assert_int_equal(sipc_send(a, "abcd", 4, sipc_test_ms(1000)), 4);
		assert_int_equal(sipc_read(b, buf, sizeof buf, sipc_test_ms(1000)), SIPC_ETRUNC);
		assert_int_equal(sipc_read(b, buf, sizeof buf, sipc_test_ms(1000)), 4);
		assert_memory_equal(buf, "abcd", 4);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_all_read_exact_survive),
		cmocka_unit_test(vectored_survive_and_keep_iov),
		cmocka_unit_test(messages_survive),
		cmocka_unit_test(interrupted_wait_keeps_deadline),
		cmocka_unit_test(read_never_cuts_a_datagram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
