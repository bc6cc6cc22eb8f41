/*
 * test_misuse.c - a caller's mistakes get a code, never a crash or a wait
 * for ever: a NULL endpoint in every public call that takes one (-EINVAL),
 * a timeout below -1 (-EINVAL: only -1 means forever), data calls on a
 * listener (SIPC_EKIND, not -EPIPE), shutdown_write on a listener
 * (SIPC_EKIND, not 0), NULL buffers with a length, and reading exactly N
 * bytes of a datagram endpoint (SIPC_EKIND: it would cut records).
 */
#include "support.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockipc.h"

static void null_endpoint_is_einval(void **state)
{
	char buf[8];
	void *m = NULL;
	sipc_addr a;
	sipc_cred cr;
	sipc_endpoint *ep = NULL;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
	(void)state;

	memset(&a, 0, sizeof a);
	assert_int_equal(sipc_send(NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(sipc_recv(NULL, buf, sizeof buf, 0), -EINVAL);
	assert_int_equal(sipc_recv_alloc(NULL, &m, 0), -EINVAL);
	assert_int_equal(sipc_sendto(NULL, "x", 1, &a, 0), -EINVAL);
	assert_int_equal(sipc_recvfrom(NULL, buf, sizeof buf, &a, 0), -EINVAL);
	assert_int_equal(sipc_read(NULL, buf, sizeof buf, 0), -EINVAL);
	assert_int_equal(sipc_write_all(NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(sipc_read_exact(NULL, buf, sizeof buf, 0), -EINVAL);
	assert_int_equal(sipc_writev_all(NULL, &iov, 1, 0), -EINVAL);
	assert_int_equal(sipc_readv_exact(NULL, &iov, 1, 0), -EINVAL);
	assert_int_equal(sipc_request(NULL, "x", 1, buf, sizeof buf, 0, 0), -EINVAL);
	assert_int_equal(sipc_accept(NULL, 0, &ep), -EINVAL);
	assert_int_equal(sipc_shutdown_write(NULL), -EINVAL);
	assert_int_equal(sipc_endpoint_connect(NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_local(NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_peer(NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_peercred(NULL, &cr), -EINVAL);
	assert_int_equal(sipc_endpoint_fd(NULL), -EINVAL);
	assert_int_equal(sipc_endpoint_scheme(NULL), SIPC_SCHEME_NONE);
	assert_false(sipc_endpoint_is_listener(NULL));
	assert_int_equal(sipc_endpoint_max_msg(NULL), 0);
	sipc_endpoint_set_max_msg(NULL, 10);
	sipc_endpoint_close(NULL);
	assert_null(m);
	assert_null(ep);
}

/* Every call that takes a timeout refuses -5 at once instead of waiting
 * for ever; a stuck call ends the process through the alarm. */
static void timeout_below_minus_one_is_einval(void **state)
{
	sipc_endpoint *a, *b, *l, *c = NULL;
	char buf[8], dial[SIPC_URL_MAX];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
	sipc_addr local;
	void *m = NULL;
	int sv[2];
	(void)state;

	alarm((unsigned)(10 * sipc_test_scale()));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	assert_int_equal(sipc_recv(a, buf, sizeof buf, -5), -EINVAL);
	assert_int_equal(sipc_recv_alloc(a, &m, -5), -EINVAL);
	assert_int_equal(sipc_send(a, "x", 1, -5), -EINVAL);
	assert_int_equal(sipc_read(a, buf, sizeof buf, -5), -EINVAL);
	assert_int_equal(sipc_read_exact(a, buf, sizeof buf, -5), -EINVAL);
	assert_int_equal(sipc_readv_exact(a, &iov, 1, -5), -EINVAL);
	assert_int_equal(sipc_write_all(a, "x", 1, -2), -EINVAL);
	assert_int_equal(sipc_writev_all(a, &iov, 1, -2), -EINVAL);
	assert_int_equal(sipc_request(a, "x", 1, buf, sizeof buf, -5, 0), -EINVAL);
	/* Nothing went out: the peer has nothing to read. */
	assert_int_equal(sipc_recv(b, buf, sizeof buf, 0), SIPC_ETIMEDOUT);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);

	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &a), 0);
	assert_int_equal(sipc_recvfrom(a, buf, sizeof buf, NULL, -5), -EINVAL);
	assert_int_equal(sipc_endpoint_local(a, &local), 0);
	assert_int_equal(sipc_sendto(a, "x", 1, &local, -5), -EINVAL);
	sipc_endpoint_close(a);

	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_accept(l, -5, &c), -EINVAL);
	assert_int_equal(sipc_endpoint_local(l, &local), 0);
	assert_true(sipc_addr_format(&local, dial, sizeof dial) > 0);
	assert_int_equal(sipc_dial(dial, NULL, -5, &c), -EINVAL);
	assert_null(c);
	sipc_endpoint_close(l);
	alarm(0);
}

/* A listener moves no data: every data call and shutdown_write say so. */
static void listener_is_the_wrong_kind(void **state)
{
	static const char *const urls[] = {"tcp://127.0.0.1:0", "unixpacket://@"};
	char url[128], buf[8];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
	sipc_endpoint *l;
	void *m = NULL;
	size_t k;
	(void)state;

	for (k = 0; k < 2; k++) {
		if (k == 1)
			snprintf(url, sizeof url, "unixpacket://@sipc-test-misuse-%d",
				 (int)getpid());
		else
			snprintf(url, sizeof url, "%s", urls[k]);
		assert_int_equal(sipc_listen(url, NULL, &l), 0);
		assert_int_equal(sipc_send(l, "x", 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_recv(l, buf, sizeof buf, 0), SIPC_EKIND);
		assert_int_equal(sipc_recv_alloc(l, &m, 0), SIPC_EKIND);
		assert_int_equal(sipc_read(l, buf, sizeof buf, 0), SIPC_EKIND);
		assert_int_equal(sipc_write_all(l, "x", 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_read_exact(l, buf, 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_writev_all(l, &iov, 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_readv_exact(l, &iov, 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_request(l, "x", 1, buf, sizeof buf, 0, 0), SIPC_EKIND);
		assert_int_equal(sipc_shutdown_write(l), SIPC_EKIND);
		/* Still a listener that works. */
		assert_true(sipc_endpoint_is_listener(l));
		sipc_endpoint_close(l);
	}
	assert_null(m);
}

/* Reading "exactly N bytes" would cut datagrams and seqpacket records and
 * glue the pieces: on those kinds it is the wrong call, and nothing is
 * consumed (the record is still there for sipc_read). */
static void read_exact_is_for_streams(void **state)
{
	int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
	sipc_scheme schemes[] = {SIPC_UNIXGRAM, SIPC_UNIXPACKET};
	char buf[16];
	struct iovec iov = {.iov_base = buf, .iov_len = 4};
	sipc_endpoint *a, *b;
	int sv[2];
	(void)state;

	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(socketpair(AF_UNIX, types[k], 0, sv), 0);
		assert_int_equal(sipc_endpoint_from_fd(sv[0], schemes[k], NULL, &a), 0);
		assert_int_equal(sipc_endpoint_from_fd(sv[1], schemes[k], NULL, &b), 0);
		assert_int_equal(sipc_write_all(a, "0123456789", 10, 0), 10);
		assert_int_equal(sipc_read_exact(b, buf, 4, 0), SIPC_EKIND);
		assert_int_equal(sipc_readv_exact(b, &iov, 1, 0), SIPC_EKIND);
		assert_int_equal(sipc_read(b, buf, sizeof buf, sipc_test_ms(1000)), 10);
		assert_memory_equal(buf, "0123456789", 10);
		sipc_endpoint_close(a);
		sipc_endpoint_close(b);
	}
}

/* A NULL buffer with a length is -EINVAL, not a fault in the kernel's
 * copy or in memcpy. */
static void null_buffers_are_einval(void **state)
{
	sipc_endpoint *a, *b;
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[1], SIPC_UNIX, NULL, &b), 0);
	assert_int_equal(sipc_send(a, NULL, 4, 0), -EINVAL);
	assert_int_equal(sipc_recv(a, NULL, 4, 0), -EINVAL);
	assert_int_equal(sipc_recv_alloc(a, NULL, 0), -EINVAL);
	assert_int_equal(sipc_read(a, NULL, 4, 0), -EINVAL);
	assert_int_equal(sipc_request(a, NULL, 4, NULL, 0, 0, 0), -EINVAL);
	/* An empty message may come without a buffer. */
	assert_int_equal(sipc_send(a, NULL, 0, 0), 0);
	assert_int_equal(sipc_recv(b, NULL, 0, sipc_test_ms(1000)), 0);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_endpoint_is_einval),
		cmocka_unit_test(timeout_below_minus_one_is_einval),
		cmocka_unit_test(listener_is_the_wrong_kind),
		cmocka_unit_test(null_buffers_are_einval),
		cmocka_unit_test(read_exact_is_for_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
