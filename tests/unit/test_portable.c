/*
 * test_portable.c - what the system layer (src/lib/sys/posix, sys/win)
 * must make the same on Linux and on Windows, through sockipc.h alone, so
 * that the same file runs on both (cmake/windows.cmake runs it under
 * Wine): a port one listener holds is not handed to a second one (on
 * Windows that is SO_EXCLUSIVEADDRUSE's doing, not SO_REUSEADDR's); the
 * words and names of the errors, in sipc_strerror and in --trace lines; a
 * socket made outside the library wrapped with sipc_endpoint_from_fd
 * (its family asked of the system: SO_DOMAIN, or WinSock's protocol
 * info); a datagram too large for the buffer is SIPC_ETRUNC and dropped,
 * the next one whole; the vectored calls; the descriptor calls on a kind
 * that has none.
 */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "sockipc.h"

#define WAIT 5000

static void second_listener_is_refused(void **state)
{
	sipc_endpoint *a = NULL, *b = NULL;
	char url[64];
	int port;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &a), 0);
	port = sipc_test_local_port(a);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(sipc_listen(url, NULL, &b), -EADDRINUSE);
	assert_null(b);
	/* Nor on the wildcard address, which would take the port's
	 * connections too. */
	snprintf(url, sizeof(url), "tcp://0.0.0.0:%d", port);
	assert_int_equal(sipc_listen(url, NULL, &b), -EADDRINUSE);
	assert_null(b);
	sipc_endpoint_close(a);
	/* Once the first is gone the port is free again at once. */
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(sipc_listen(url, NULL, &b), 0);
	sipc_endpoint_close(b);
}

static void error_words(void **state)
{
	(void)state;
	assert_string_equal(sipc_strerror(-ECONNREFUSED), "Connection refused");
	assert_string_equal(sipc_strerror(-EADDRINUSE), "Address already in use");
	assert_string_equal(sipc_strerror(-ECONNRESET), "Connection reset by peer");
	assert_string_equal(sipc_strerror(-EAGAIN), "Resource temporarily unavailable");
	assert_string_equal(sipc_strerror(SIPC_ENOTSUP), "Not supported on this system");
	assert_string_equal(sipc_strerror(SIPC_ETIMEDOUT), "Timed out");
}

struct lines {
	char text[16][256];
	int n;
};

static void keep_line(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n < 16)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

/* A refused dial traced: the connect line ends as strace's would. */
static void trace_names_the_error(void **state)
{
	struct lines lines = {.n = 0};
	sipc_options opts = {.trace = keep_line, .trace_arg = &lines};
	sipc_endpoint *l = NULL, *d = NULL;
	char url[64];
	bool seen = false;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	sipc_endpoint_close(l);
	assert_int_equal(sipc_dial(url, &opts, sipc_test_ms(WAIT), &d), -ECONNREFUSED);
	for (int i = 0; i < lines.n; i++) {
		print_message("trace: %s\n", lines.text[i]);
		if (strncmp(lines.text[i], "connect(", 8) == 0)
			seen = strstr(lines.text[i], "= -1 ECONNREFUSED (Connection refused)") !=
			       NULL;
	}
	assert_true(seen);
}

/* A socket the caller made, wrapped: it listens, a dial reaches it, and a
 * scheme of another socket type is refused with the socket left to the
 * caller. */
static void wrap_a_socket(void **state)
{
	struct sockaddr_in sin;
	sipc_endpoint *l = NULL, *c = NULL, *d = NULL, *wrong = NULL;
	sipc_socket s;
	char url[64];

	(void)state;
	/* The library starts WinSock at its first call that needs it. */
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	sipc_endpoint_close(l);
	l = NULL;
	s = (sipc_socket)socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(sipc_endpoint_from_fd(s, SIPC_UDP, NULL, &wrong), -EINVAL);
	assert_null(wrong);
	assert_int_equal(sipc_endpoint_from_fd(s, SIPC_TCP, NULL, &l), 0);
	assert_true(sipc_endpoint_is_listener(l));
	assert_true(sipc_endpoint_fd(l) == s);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(WAIT), &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(WAIT), &c), 0);
	assert_int_equal(sipc_send(d, "hi", 2, sipc_test_ms(WAIT)), 2);
	{
		char buf[8];

		assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(WAIT)), 2);
		assert_memory_equal(buf, "hi", 2);
	}
	sipc_endpoint_close(c);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

/* A datagram larger than the buffer: SIPC_ETRUNC, and it is gone; the
 * next one comes whole, and sipc_recv_alloc takes any size. */
static void datagram_too_large(void **state)
{
	static char big[3000], got[3000];
	sipc_endpoint *srv = NULL, *cli = NULL;
	char url[64], small[100];
	void *m = NULL;

	(void)state;
	memset(big, 'b', sizeof(big));
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &srv), 0);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", sipc_test_local_port(srv));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(WAIT), &cli), 0);
	assert_int_equal(sipc_write_all(cli, big, sizeof(big), sipc_test_ms(WAIT)), sizeof(big));
	assert_int_equal(sipc_write_all(cli, "next", 4, sipc_test_ms(WAIT)), 4);
	assert_int_equal(sipc_write_all(cli, big, 2500, sipc_test_ms(WAIT)), 2500);
	assert_int_equal(sipc_read(srv, small, sizeof(small), sipc_test_ms(WAIT)), SIPC_ETRUNC);
	assert_int_equal(sipc_read(srv, got, sizeof(got), sipc_test_ms(WAIT)), 4);
	assert_memory_equal(got, "next", 4);
	assert_int_equal(sipc_read(srv, got, sizeof(got), sipc_test_ms(WAIT)), 2500);
	assert_memory_equal(got, big, 2500);
	/* Framed messages: recv_alloc sizes the datagram itself. */
	assert_int_equal(sipc_send(cli, big, 2999, sipc_test_ms(WAIT)), 2999);
	assert_int_equal(sipc_recv_alloc(srv, &m, sipc_test_ms(WAIT)), 2999);
	assert_memory_equal(m, big, 2999);
	free(m);
	sipc_endpoint_close(cli);
	sipc_endpoint_close(srv);
}

static void vectored(void **state)
{
	sipc_endpoint *l = NULL, *c = NULL, *d = NULL;
	char a[3] = "abc", b[5] = "defgh", z[1] = "i", r1[4], r2[5];
	struct iovec out[3] = {{a, 3}, {b, 5}, {z, 1}}, in[2] = {{r1, 4}, {r2, 5}};
	char url[64];

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(WAIT), &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(WAIT), &c), 0);
	assert_int_equal(sipc_writev_all(d, out, 3, sipc_test_ms(WAIT)), 9);
	assert_int_equal(sipc_readv_exact(c, in, 2, sipc_test_ms(WAIT)), 9);
	assert_memory_equal(r1, "abcd", 4);
	assert_memory_equal(r2, "efghi", 5);
	/* The end of the stream after a half-close. */
	assert_int_equal(sipc_shutdown_write(d), 0);
	assert_int_equal(sipc_read(c, r1, sizeof(r1), sipc_test_ms(WAIT)), 0);
	sipc_endpoint_close(c);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

/* The descriptor and credential calls on tcp: no such thing on that kind,
 * on any system. */
static void no_descriptors_on_tcp(void **state)
{
	sipc_endpoint *l = NULL, *c = NULL, *d = NULL;
	sipc_cred cred;
	int fds[1] = {0};
	size_t n = 0;
	char url[64], buf[8];

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(WAIT), &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(WAIT), &c), 0);
	assert_int_equal(sipc_send_fds(d, "x", 1, fds, 1, sipc_test_ms(WAIT)), SIPC_EKIND);
	assert_int_equal(sipc_recv_fds(c, buf, sizeof(buf), fds, 1, &n, 0), SIPC_EKIND);
	assert_int_equal(sipc_send_cred(d, "x", 1, 0), SIPC_EKIND);
	assert_int_equal(sipc_endpoint_peercred(c, &cred), SIPC_EKIND);
	sipc_endpoint_close(c);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_listener_is_refused), cmocka_unit_test(error_words),
		cmocka_unit_test(trace_names_the_error),      cmocka_unit_test(wrap_a_socket),
		cmocka_unit_test(datagram_too_large),         cmocka_unit_test(vectored),
		cmocka_unit_test(no_descriptors_on_tcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
