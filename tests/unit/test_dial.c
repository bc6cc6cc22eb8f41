/*
 * test_dial.c - what dialing promises beyond the per-scheme conformance
 * case of test_endpoint.c: refused and timed-out connects, binding a source
 * address first, connected datagram sockets that only hear their peer, the
 * exact --trace lines of a whole session, and an accept that hits EMFILE
 * and recovers once a descriptor is free.
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockipc.h"

static ssize_t recv_wait(int fd, void *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	return recv(fd, buf, cap, 0);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A loopback port with nobody listening: bound, read back, closed. */
static int closed_port(void)
{
	sipc_endpoint *l = NULL;
	int port;

	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	port = sipc_test_local_port(l);
	sipc_endpoint_close(l);
	return port;
}

/* ---------------------------------------------------------------- tests */

static void dial_closed_port_is_refused(void **state)
{
	char url[64];
	sipc_endpoint *d = NULL;

	(void)state;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", closed_port());
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), -ECONNREFUSED);
	assert_null(d);
	/* Unix: a path nobody has is ENOENT, a dead socket file is refused. */
	snprintf(url, sizeof(url), "unix://%s/nobody.sock", sipc_test_dir);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), -ENOENT);
	snprintf(url, sizeof(url), "unix://@sipc-test-%d-nobody", (int)getpid());
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), -ECONNREFUSED);
	assert_null(d);
}

/*
 * A listener whose accept queue is full drops new SYNs (Linux counts them
 * in ListenOverflows), so a connect neither completes nor fails: the only
 * way out is the timeout.
 */
static void dial_times_out_on_full_backlog(void **state)
{
	sipc_options o = {.backlog = 1};
	sipc_endpoint *l = NULL, *d = NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fds[16], nfds = 0, port, rc;
	bool stuck = false;
	char url[64];
	long t0, took;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", &o, &l), 0);
	port = sipc_test_local_port(l);
	sin.sin_port = htons(port);
	while (nfds < 16 && !stuck) {
		struct pollfd p;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		assert_true(fd >= 0);
		fds[nfds++] = fd;
		rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		assert_true(rc == 0 || errno == EINPROGRESS);
		p.fd = fd;
		p.events = POLLOUT;
		if (rc != 0 && poll(&p, 1, 200) == 0)
			stuck = true;
	}
	if (!stuck) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		sipc_endpoint_close(l);
		skip();
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_dial(url, NULL, 200, &d), SIPC_ETIMEDOUT);
	took = sipc_test_now_ms() - t0;
	assert_null(d);
	assert_true(took >= 190);
	assert_true(took < 200 + sipc_test_ms(1000));
	/* Timeout 0: one look, no wait. */
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_dial(url, NULL, 0, &d), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(150));
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	sipc_endpoint_close(l);
}

static void dial_binds_the_source(void **state)
{
	sipc_options o = {.source = "tcp://127.0.0.1:0"};
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char url[SIPC_URL_MAX], src[SIPC_URL_MAX], t[SIPC_URL_MAX], path[100];
	struct stat st;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, &o, sipc_test_ms(2000), &d), 0);
	assert_true(starts_with(sipc_test_local_url(d, t, sizeof(t)), "tcp://127.0.0.1:"));
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	assert_string_equal(sipc_test_peer_url(s, src, sizeof(src)), t);
	sipc_endpoint_close(s);
	sipc_endpoint_close(d);

	/* A source of the other family cannot be used. */
	o.source = "tcp://[::1]:0";
	assert_int_equal(sipc_dial(url, &o, sipc_test_ms(2000), &d), SIPC_EURL_FAMILY);
	sipc_endpoint_close(l);

	/* A unix source path: the listener sees it as the peer, and the file
	 * goes when the dialer closes. */
	snprintf(url, sizeof(url), "unix://%s/server.sock", sipc_test_dir);
	snprintf(path, sizeof(path), "%s/client.sock", sipc_test_dir);
	snprintf(src, sizeof(src), "unix://%s", path);
	o.source = src;
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_int_equal(sipc_dial(url, &o, sipc_test_ms(2000), &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	assert_string_equal(sipc_test_peer_url(s, t, sizeof(t)), src);
	assert_int_equal(stat(path, &st), 0);
	sipc_endpoint_close(d);
	assert_int_equal(stat(path, &st), -1);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
}

static void connected_udp_hears_only_its_peer(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *other = NULL;
	char url[SIPC_URL_MAX], buf[16];
	sipc_addr to;
	ssize_t n;

	(void)state;
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &other), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_false(sipc_endpoint_is_listener(d));
	assert_int_equal(sipc_endpoint_local(d, &to), 0);
	/* The intruder goes first; a connected socket drops it. */
	assert_int_equal(sendto(sipc_endpoint_fd(other), "intruder", 8, 0,
				(struct sockaddr *)&to.ss, to.len),
			 8);
	assert_int_equal(
		sendto(sipc_endpoint_fd(l), "peer", 4, 0, (struct sockaddr *)&to.ss, to.len), 4);
	n = recv_wait(sipc_endpoint_fd(d), buf, sizeof(buf), sipc_test_ms(2000));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "peer", 4);
	n = recv_wait(sipc_endpoint_fd(d), buf, sizeof(buf), 50);
	assert_int_equal(n, -ETIMEDOUT);
	sipc_endpoint_close(d);
	sipc_endpoint_close(other);
	sipc_endpoint_close(l);
}

/* A datagram listener takes the sender of a first datagram as its peer:
 * sipc_send then answers it, an intruder's datagrams no longer arrive, and
 * dissolving the association opens the listener to everyone again. */
static void listener_connects_to_first_sender(void **state)
{
	sipc_endpoint *l = NULL, *a = NULL, *b = NULL;
	char url[SIPC_URL_MAX], buf[16];
	sipc_addr from, peer;
	ssize_t n;

	(void)state;
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &a), 0);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &b), 0);
	assert_int_equal(sipc_endpoint_peer(l, &peer), -ENOTCONN);
	assert_int_equal(sipc_send(a, "first", 5, sipc_test_ms(2000)), 5);
	n = sipc_recvfrom(l, buf, sizeof(buf), &from, sipc_test_ms(2000));
	assert_int_equal(n, 5);
	assert_int_equal(sipc_endpoint_connect(l, &from), 0);
	assert_int_equal(sipc_endpoint_peer(l, &peer), 0);
	assert_true(sipc_addr_equal(&peer, &from));
	assert_int_equal(sipc_send(l, "back", 4, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_recv(a, buf, sizeof(buf), sipc_test_ms(2000)), 4);
	assert_memory_equal(buf, "back", 4);
	assert_int_equal(sipc_send(b, "intruder", 8, sipc_test_ms(2000)), 8);
	assert_int_equal(sipc_recv(l, buf, sizeof(buf), 50), SIPC_ETIMEDOUT);
	assert_int_equal(sipc_endpoint_connect(l, NULL), 0);
	assert_int_equal(sipc_endpoint_peer(l, &peer), -ENOTCONN);
	/* The kernel answered the intruder with ICMP port unreachable, so b
	 * holds ECONNREFUSED now: a fresh sender checks the reopening. */
	sipc_endpoint_close(b);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &b), 0);
	assert_int_equal(sipc_send(b, "again", 5, sipc_test_ms(2000)), 5);
	assert_int_equal(sipc_recvfrom(l, buf, sizeof(buf), NULL, sipc_test_ms(2000)), 5);
	sipc_endpoint_close(a);
	sipc_endpoint_close(b);
	sipc_endpoint_close(l);
}

/* Only connectionless kinds take a peer this way. */
static void connect_needs_connectionless(void **state)
{
	sipc_endpoint *l = NULL;
	sipc_addr any;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_endpoint_local(l, &any), 0);
	assert_int_equal(sipc_endpoint_connect(l, &any), SIPC_EKIND);
	sipc_endpoint_close(l);
}

/* ---------------------------------------------------------------- trace */

#define MAX_LINES 32

struct lines {
	int n;
	char line[MAX_LINES][256];
};

static void collect(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n < MAX_LINES)
		snprintf(l->line[l->n++], sizeof(l->line[0]), "%s", line);
}

static void trace_shows_the_session(void **state)
{
	struct lines got = {0};
	sipc_options o = {.backlog = 5, .trace = collect, .trace_arg = &got};
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char want[MAX_LINES][2 * SIPC_URL_MAX + 64], lurl[SIPC_URL_MAX], curl[SIPC_URL_MAX];
	int lfd, dfd, sfd, w = 0;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", &o, &l), 0);
	assert_int_equal(
		sipc_dial(sipc_test_local_url(l, lurl, sizeof(lurl)), &o, sipc_test_ms(2000), &d),
		0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	assert_int_equal(sipc_shutdown_write(d), 0);
	lfd = sipc_endpoint_fd(l);
	dfd = sipc_endpoint_fd(d);
	sfd = sipc_endpoint_fd(s);
	sipc_test_local_url(d, curl, sizeof(curl));
	sipc_endpoint_close(d);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);

	snprintf(want[w++], sizeof(want[0]), "socket(AF_INET, SOCK_STREAM) = %d", lfd);
	snprintf(want[w++], sizeof(want[0]), "setsockopt(%d, SOL_SOCKET, SO_REUSEADDR, 1) = 0",
		 lfd);
	snprintf(want[w++], sizeof(want[0]), "bind(%d, tcp://127.0.0.1:0) = 0", lfd);
	snprintf(want[w++], sizeof(want[0]), "listen(%d, 5) = 0", lfd);
	snprintf(want[w++], sizeof(want[0]), "socket(AF_INET, SOCK_STREAM) = %d", dfd);
	snprintf(want[w++], sizeof(want[0]), "connect(%d, %s) = 0", dfd, lurl);
	snprintf(want[w++], sizeof(want[0]), "setsockopt(%d, IPPROTO_TCP, TCP_NODELAY, 1) = 0",
		 dfd);
	snprintf(want[w++], sizeof(want[0]), "association (tcp, %s, %s)", curl, lurl);
	snprintf(want[w++], sizeof(want[0]), "accept(%d) = %d %s", lfd, sfd, curl);
	snprintf(want[w++], sizeof(want[0]), "setsockopt(%d, IPPROTO_TCP, TCP_NODELAY, 1) = 0",
		 sfd);
	snprintf(want[w++], sizeof(want[0]), "association (tcp, %s, %s)", lurl, curl);
	snprintf(want[w++], sizeof(want[0]), "shutdown(%d, SHUT_WR) = 0", dfd);
	snprintf(want[w++], sizeof(want[0]), "close(%d) = 0", dfd);
	snprintf(want[w++], sizeof(want[0]), "close(%d) = 0", sfd);
	snprintf(want[w++], sizeof(want[0]), "close(%d) = 0", lfd);
	for (int i = 0; i < got.n; i++)
		print_message("trace: %s\n", got.line[i]);
	assert_int_equal(got.n, w);
	for (int i = 0; i < w; i++)
		assert_string_equal(got.line[i], want[i]);
}

static void trace_shows_a_refused_connect(void **state)
{
	struct lines got = {0};
	sipc_options o = {.trace = collect, .trace_arg = &got};
	sipc_endpoint *d = NULL;
	char url[64], want[128];
	int port = closed_port();

	(void)state;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(sipc_dial(url, &o, sipc_test_ms(2000), &d), -ECONNREFUSED);
	for (int i = 0; i < got.n; i++)
		print_message("trace: %s\n", got.line[i]);
	assert_int_equal(got.n, 3);
	assert_true(starts_with(got.line[0], "socket(AF_INET, SOCK_STREAM) = "));
	snprintf(want, sizeof(want), "connect(%d, %s) = -1 ECONNREFUSED (",
		 atoi(got.line[0] + strlen("socket(AF_INET, SOCK_STREAM) = ")), url);
	assert_true(starts_with(got.line[1], want));
	assert_true(starts_with(got.line[2], "close("));
}

static void trace_shows_unix_datagram_autobind(void **state)
{
	struct lines got = {0};
	sipc_options o = {.trace = collect, .trace_arg = &got};
	sipc_endpoint *l = NULL, *d = NULL;
	char url[SIPC_URL_MAX];

	(void)state;
	snprintf(url, sizeof(url), "unixgram://@sipc-test-%d-tr", (int)getpid());
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_int_equal(sipc_dial(url, &o, sipc_test_ms(2000), &d), 0);
	for (int i = 0; i < got.n; i++)
		print_message("trace: %s\n", got.line[i]);
	assert_int_equal(got.n, 4);
	assert_true(starts_with(got.line[0], "socket(AF_UNIX, SOCK_DGRAM) = "));
	assert_true(starts_with(got.line[1], "bind("));
	assert_non_null(strstr(got.line[1], ", unixgram://) = 0"));
	assert_non_null(strstr(got.line[2], url));
	assert_true(starts_with(got.line[3], "association (unixgram, unixgram://@"));
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

/* ---------------------------------------------------------------- EMFILE */

/* Runs in a child (the descriptor limit is process-wide): exit status 0
 * when every step went as expected, else the number of the step that did
 * not. */
static int emfile_child(void)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char url[SIPC_URL_MAX];
	struct rlimit rl;
	int spare[64], n = 0, rc;
	sipc_addr a;

	if (sipc_listen("tcp://127.0.0.1:0", NULL, &l) < 0)
		return 1;
	if (sipc_endpoint_local(l, &a) < 0 || sipc_addr_format(&a, url, sizeof(url)) < 0)
		return 2;
	if (sipc_dial(url, NULL, sipc_test_ms(2000), &d) < 0)
		return 3;
	/* Lower the limit, then take every descriptor left under it. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 4;
	rl.rlim_cur = (rlim_t)sipc_endpoint_fd(d) + 8;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 5;
	while (n < 64) {
		int fd = dup(0);
		if (fd < 0)
			break;
		spare[n++] = fd;
	}
	if (n == 64 || errno != EMFILE)
		return 6;
	rc = sipc_accept(l, sipc_test_ms(500), &s);
	if (rc != -EMFILE || s != NULL)
		return 7;
	/* The connection stayed queued: free one descriptor and take it. */
	close(spare[--n]);
	rc = sipc_accept(l, sipc_test_ms(2000), &s);
	if (rc != 0 || s == NULL)
		return 8;
	if (send(sipc_endpoint_fd(d), "x", 1, MSG_NOSIGNAL) != 1)
		return 9;
	{
		char b;
		if (recv_wait(sipc_endpoint_fd(s), &b, 1, sipc_test_ms(2000)) != 1 || b != 'x')
			return 10;
	}
	while (n > 0)
		close(spare[--n]);
	sipc_endpoint_close(s);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
	return 0;
}

static void accept_emfile_leaves_connection_queued(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(emfile_child());
	status = sipc_test_wait_child(pid, sipc_test_ms(10000));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dial_closed_port_is_refused),
		cmocka_unit_test(dial_times_out_on_full_backlog),
		cmocka_unit_test(dial_binds_the_source),
		cmocka_unit_test(connected_udp_hears_only_its_peer),
		cmocka_unit_test(listener_connects_to_first_sender),
		cmocka_unit_test(connect_needs_connectionless),
		cmocka_unit_test(trace_shows_the_session),
		cmocka_unit_test(trace_shows_a_refused_connect),
		cmocka_unit_test(trace_shows_unix_datagram_autobind),
		cmocka_unit_test(accept_emfile_leaves_connection_queued),
	};
	return cmocka_run_group_tests(tests, sipc_test_dir_setup, sipc_test_dir_teardown);
}
