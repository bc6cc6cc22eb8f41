/*
 * test_serve_echo.c - the real `sockipc serve` binary ($SOCKIPC) driven by
 * clients written with the library: 200 concurrent echo clients doing 20
 * round trips each over TCP and unix, 64 MiB echoed through one TCP and
 * one unix connection with every byte checked and a clean end after a
 * half-close, 65,507-byte and empty UDP datagrams (IPv4 and IPv6), and a
 * client that sends without reading being throttled, not buffered.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockipc.h"

static void scratch_url(char *buf, size_t len, const char *scheme, const char *dir,
			const char *name)
{
	snprintf(buf, len, "-e%s://%s/%s echo", scheme, dir, name);
}

/* ---- 200 clients x 20 round trips ---- */

#define NCLIENTS 200
#define ROUNDS   20

static void many_clients(const char *url)
{
	sipc_endpoint **c = calloc(NCLIENTS, sizeof(*c));
	char msg[64], got[64];

	assert_non_null(c);
	for (int i = 0; i < NCLIENTS; i++)
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(5000), &c[i]), 0);
	for (int r = 0; r < ROUNDS; r++) {
		/* Every client has a request in flight before any reply is read. */
		for (int i = 0; i < NCLIENTS; i++) {
			int n = snprintf(msg, sizeof(msg), "client %03d round %02d %*s|", i, r,
					 (i + r) % 30, "");
			assert_int_equal(sipc_write_all(c[i], msg, (size_t)n, sipc_test_ms(5000)),
					 n);
		}
		for (int i = 0; i < NCLIENTS; i++) {
			int n = snprintf(msg, sizeof(msg), "client %03d round %02d %*s|", i, r,
					 (i + r) % 30, "");
			assert_int_equal(sipc_read_exact(c[i], got, (size_t)n, sipc_test_ms(5000)),
					 n);
			assert_memory_equal(got, msg, (size_t)n);
		}
	}
	for (int i = 0; i < NCLIENTS; i++)
		sipc_endpoint_close(c[i]);
	free(c);
}

static void test_many_clients(void **state)
{
	struct sipc_test_server s;
	char *dir = sipc_test_tmpdir();
	char unix_arg[512];

	(void)state;
	scratch_url(unix_arg, sizeof(unix_arg), "unix", dir, "e.sock");
	const char *args[] = {"--workers", "2", "-e", "tcp://127.0.0.1:0 echo", unix_arg, NULL};
	sipc_test_server_start(&s, 2, args);
	many_clients(s.urls[0]);
	many_clients(s.urls[1]);
	sipc_test_server_stop(&s);
	sipc_test_rmtree(dir);
	free(dir);
}

/* ---- 64 MiB through one connection ---- */

#define BIG   ((size_t)64 * 1024 * 1024)
#define CHUNK ((size_t)256 * 1024)

static void pattern(uint8_t *buf, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) / 8 * 0x9E3779B97F4A7C15ULL;
		buf[i] = (uint8_t)(x >> (8 * ((off + i) % 8)) ^ (x >> 59));
	}
}

struct writer {
	sipc_endpoint *ep;
	ssize_t rc;
};

static void *write_big(void *arg)
{
	struct writer *w = arg;
	uint8_t *buf = malloc(CHUNK);

	w->rc = 0;
	for (size_t off = 0; off < BIG && w->rc >= 0; off += CHUNK) {
		pattern(buf, off, CHUNK);
		ssize_t n = sipc_write_all(w->ep, buf, CHUNK, sipc_test_ms(30000));
		if (n != (ssize_t)CHUNK)
			w->rc = n < 0 ? n : -1;
	}
	/* Half-close: the echo of everything must still come back. */
	if (w->rc >= 0)
		w->rc = sipc_shutdown_write(w->ep);
	free(buf);
	return NULL;
}

static void big_echo(const char *url)
{
	struct writer w;
	pthread_t th;
	uint8_t *got = malloc(CHUNK), *want = malloc(CHUNK);
	size_t total = 0, off = 0;
	int mismatches = 0;

	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(5000), &w.ep), 0);
	assert_int_equal(pthread_create(&th, NULL, write_big, &w), 0);
	for (;;) {
		ssize_t n = sipc_read(w.ep, got, CHUNK, sipc_test_ms(30000));
		assert_true(n >= 0);
		if (n == 0)
			break;
		pattern(want, off, (size_t)n);
		if (memcmp(got, want, (size_t)n) != 0)
			mismatches++;
		off += (size_t)n;
		total += (size_t)n;
		assert_true(total <= BIG);
	}
	pthread_join(th, NULL);
	assert_int_equal(w.rc, 0);
	assert_int_equal(total, BIG);
	assert_int_equal(mismatches, 0);
	sipc_endpoint_close(w.ep);
	free(got);
	free(want);
}

static void test_big_echo(void **state)
{
	struct sipc_test_server s;
	char *dir = sipc_test_tmpdir();
	char unix_arg[512];

	(void)state;
	scratch_url(unix_arg, sizeof(unix_arg), "unix", dir, "big.sock");
	const char *args[] = {"-e", "tcp://127.0.0.1:0 echo", unix_arg, NULL};
	sipc_test_server_start(&s, 2, args);
	big_echo(s.urls[0]);
	big_echo(s.urls[1]);
	sipc_test_server_stop(&s);
	sipc_test_rmtree(dir);
	free(dir);
}

/* ---- datagrams ---- */

static void dgram_echo(const char *url, size_t len)
{
	sipc_endpoint *ep;
	uint8_t *out = malloc(len + 1), *in = malloc(len + 16);

	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(5000), &ep), 0);
	pattern(out, len, len);
	assert_int_equal(sipc_send(ep, out, len, sipc_test_ms(5000)), (ssize_t)len);
	assert_int_equal(sipc_recv(ep, in, len + 16, sipc_test_ms(5000)), (ssize_t)len);
	assert_memory_equal(in, out, len);
	sipc_endpoint_close(ep);
	free(out);
	free(in);
}

static void test_udp(void **state)
{
	struct sipc_test_server s;
	sipc_endpoint *probe;

	(void)state;
	bool v6 = sipc_listen("udp6://[::1]:0", NULL, &probe) == 0;
	if (v6)
		sipc_endpoint_close(probe);
	const char *args4[] = {"-e", "udp://127.0.0.1:0 echo", NULL};
	const char *args6[] = {"-e", "udp://127.0.0.1:0 echo", "-e", "udp6://[::1]:0 echo", NULL};
	sipc_test_server_start(&s, v6 ? 2 : 1, v6 ? args6 : args4);
	for (int i = 0; i < s.nurls; i++) {
		dgram_echo(s.urls[i], 65507); /* the largest UDP payload over IPv4 */
		dgram_echo(s.urls[i], 0);     /* an empty datagram gets an empty reply */
		dgram_echo(s.urls[i], 1);
		dgram_echo(s.urls[i], 2048 + 1); /* xinetd would cut here */
	}
	sipc_test_server_stop(&s);
}

/* ---- a client that sends but does not read ---- */

static void throttle(const char *url, size_t bound)
{
	sipc_endpoint *ep;
	uint8_t *buf = malloc(CHUNK), *got = malloc(CHUNK);
	size_t sent = 0;

	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(5000), &ep), 0);
	int fd = sipc_endpoint_fd(ep);
	/* Send until the server stops taking bytes for half a second. */
	while (sent < bound) {
		pattern(buf, sent, CHUNK);
		ssize_t n = send(fd, buf, CHUNK, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, 500) == 0)
			break;
	}
	/* Had the server kept reading into memory, we would have reached it;
	 * and it did take more than its 256 KiB output buffer before stopping. */
	assert_true(sent < bound);
	assert_true(sent > (size_t)256 * 1024);
	/* Reading resumes the flow: everything comes back, in order. */
	assert_int_equal(sipc_shutdown_write(ep), 0);
	size_t off = 0;
	for (;;) {
		ssize_t n = sipc_read(ep, got, CHUNK, sipc_test_ms(10000));
		assert_true(n >= 0);
		if (n == 0)
			break;
		pattern(buf, off, (size_t)n);
		assert_memory_equal(got, buf, (size_t)n);
		off += (size_t)n;
	}
	assert_int_equal(off, sent);
	sipc_endpoint_close(ep);
	free(buf);
	free(got);
}

static void test_throttle(void **state)
{
	struct sipc_test_server s;
	char *dir = sipc_test_tmpdir();
	char unix_arg[512];

	(void)state;
	scratch_url(unix_arg, sizeof(unix_arg), "unix", dir, "t.sock");
	const char *args[] = {"-e", "tcp://127.0.0.1:0 echo", unix_arg, NULL};
	sipc_test_server_start(&s, 2, args);
	/* Kernel buffers on loopback TCP autotune to a few MiB each way. */
	throttle(s.urls[0], (size_t)128 * 1024 * 1024);
	/* A unix stream has about 200 KiB of socket buffer each way. */
	throttle(s.urls[1], (size_t)8 * 1024 * 1024);
	sipc_test_server_stop(&s);
	sipc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_clients),
		cmocka_unit_test(test_big_echo),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_throttle),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
