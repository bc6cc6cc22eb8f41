/*
 * test_endpoint.c - listen, dial, accept and close over every one of the
 * nine schemes (one conformance case per scheme), then what listeners
 * promise: real port for port 0, dual-stack tcp://[::], v6-only tcp6://,
 * unix socket files (stale ones replaced, live ones and other files kept,
 * mode applied, unlinked on close only while still ours), accept timeouts
 * and kinds, and sipc_endpoint_from_fd.
 */
#include "support.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sockipc.h"

/* ------------------------------------------------------------- helpers */

static void assert_fd_flags(int fd)
{
	int fdfl = fcntl(fd, F_GETFD);
	int fl = fcntl(fd, F_GETFL);

	assert_true(fdfl >= 0 && (fdfl & FD_CLOEXEC));
	assert_true(fl >= 0 && (fl & O_NONBLOCK));
}

/* Receives one datagram or some bytes, waiting at most MS. */
static ssize_t recv_wait(int fd, void *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	return recv(fd, buf, cap, 0);
}

static ssize_t recvfrom_wait(int fd, void *buf, size_t cap, sipc_addr *from, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	from->len = sizeof(from->ss);
	n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from->ss, &from->len);
	return n;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* --------------------------------------------------- conformance suite */

struct scheme_case {
	sipc_scheme scheme;
	const char *listen_url;    /* %s: sipc_test_dir; %d: pid */
	const char *local_prefix;  /* listener's local address starts so (%s, %d alike) */
	const char *client_prefix; /* the dialer's local address starts so */
};

static const struct scheme_case cases[] = {
	{SIPC_TCP, "tcp://127.0.0.1:0", "tcp://127.0.0.1:", "tcp://127.0.0.1:"},
	{SIPC_TCP4, "tcp4://127.0.0.1:0", "tcp://127.0.0.1:", "tcp://127.0.0.1:"},
	{SIPC_TCP6, "tcp6://[::1]:0", "tcp://[::1]:", "tcp://[::1]:"},
	{SIPC_UDP, "udp://127.0.0.1:0", "udp://127.0.0.1:", "udp://127.0.0.1:"},
	{SIPC_UDP4, "udp4://127.0.0.1:0", "udp://127.0.0.1:", "udp://127.0.0.1:"},
	{SIPC_UDP6, "udp6://[::1]:0", "udp://[::1]:", "udp://[::1]:"},
	{SIPC_UNIX, "unix://%s/stream.sock", "unix://%s/stream.sock", "unix://"},
	{SIPC_UNIXGRAM, "unixgram://%s/gram.sock", "unixgram://%s/gram.sock", "unixgram://@"},
	{SIPC_UNIXPACKET, "unixpacket://@sipc-test-%d-packet", "unixpacket://@sipc-test-%d-packet",
	 "unixpacket://"},
	/* The abstract namespace for the other two unix kinds as well. */
	{SIPC_UNIX, "unix://@sipc-test-%d-stream", "unix://@sipc-test-%d-stream", "unix://"},
	{SIPC_UNIXGRAM, "unixgram://@sipc-test-%d-gram", "unixgram://@sipc-test-%d-gram",
	 "unixgram://@"},
};

static void fill(char *buf, size_t len, const char *fmt)
{
	if (strstr(fmt, "%s"))
		snprintf(buf, len, fmt, sipc_test_dir);
	else if (strstr(fmt, "%d"))
		snprintf(buf, len, fmt, (int)getpid());
	else
		snprintf(buf, len, "%s", fmt);
}

static void run_case(const struct scheme_case *c)
{
	char url[SIPC_URL_MAX], want[SIPC_URL_MAX], lt[SIPC_URL_MAX], ct[SIPC_URL_MAX];
	char t[SIPC_URL_MAX], buf[64];
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	int wait = sipc_test_ms(2000);
	int type = sipc_scheme_socktype(c->scheme);
	ssize_t n;

	fill(url, sizeof(url), c->listen_url);
	fill(want, sizeof(want), c->local_prefix);
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_non_null(l);
	assert_int_equal(sipc_endpoint_scheme(l), c->scheme);
	assert_true(sipc_endpoint_is_listener(l));
	assert_fd_flags(sipc_endpoint_fd(l));
	sipc_test_local_url(l, lt, sizeof(lt));
	assert_true(starts_with(lt, want));
	if (!sipc_scheme_is_unix(c->scheme)) {
		/* Port 0 asked, a real port reported. */
		assert_true(sipc_test_local_port(l) > 0);
		assert_string_not_equal(lt + strlen(want), "0");
	} else {
		assert_string_equal(lt, want);
	}
	/* Not connected: no peer. */
	{
		sipc_addr a;
		assert_int_equal(sipc_endpoint_peer(l, &a), -ENOTCONN);
	}

	/* Dial the address the listener reported. */
	assert_int_equal(sipc_dial(lt, NULL, wait, &d), 0);
	assert_false(sipc_endpoint_is_listener(d));
	assert_int_equal(sipc_scheme_socktype(sipc_endpoint_scheme(d)), type);
	assert_fd_flags(sipc_endpoint_fd(d));
	sipc_test_local_url(d, ct, sizeof(ct));
	assert_true(starts_with(ct, c->client_prefix));
	assert_string_equal(sipc_test_peer_url(d, t, sizeof(t)), lt);
	{
		int so;
		socklen_t sl = sizeof(so);
		assert_int_equal(getsockopt(sipc_endpoint_fd(d), SOL_SOCKET, SO_TYPE, &so, &sl), 0);
		assert_int_equal(so, type);
	}

	assert_int_equal(send(sipc_endpoint_fd(d), "ping", 4, MSG_NOSIGNAL), 4);
	if (sipc_scheme_is_connectionless(c->scheme)) {
		sipc_addr from;
		sipc_endpoint *x = NULL;

		assert_int_equal(sipc_accept(l, 0, &x), SIPC_EKIND);
		assert_null(x);
		n = recvfrom_wait(sipc_endpoint_fd(l), buf, sizeof(buf), &from, wait);
		assert_int_equal(n, 4);
		assert_memory_equal(buf, "ping", 4);
		/* The reply reaches the dialer: for unixgram only because it
		 * autobound before connecting. */
		assert_int_equal(sendto(sipc_endpoint_fd(l), "pong", 4, MSG_NOSIGNAL,
					(struct sockaddr *)&from.ss, from.len),
				 4);
		n = recv_wait(sipc_endpoint_fd(d), buf, sizeof(buf), wait);
		assert_int_equal(n, 4);
		assert_memory_equal(buf, "pong", 4);
	} else {
		assert_int_equal(sipc_accept(l, wait, &s), 0);
		assert_non_null(s);
		assert_false(sipc_endpoint_is_listener(s));
		assert_int_equal(sipc_endpoint_scheme(s), c->scheme);
		assert_fd_flags(sipc_endpoint_fd(s));
		assert_string_equal(sipc_test_local_url(s, t, sizeof(t)), lt);
		assert_string_equal(sipc_test_peer_url(s, t, sizeof(t)), ct);
		assert_int_equal(sipc_endpoint_max_msg(s), SIPC_MAX_MSG_DEFAULT);
		n = recv_wait(sipc_endpoint_fd(s), buf, sizeof(buf), wait);
		assert_int_equal(n, 4);
		assert_memory_equal(buf, "ping", 4);
		assert_int_equal(send(sipc_endpoint_fd(s), "pong", 4, MSG_NOSIGNAL), 4);
		n = recv_wait(sipc_endpoint_fd(d), buf, sizeof(buf), wait);
		assert_int_equal(n, 4);
		assert_memory_equal(buf, "pong", 4);
		/* Half-close: the acceptor reads end of stream (a zero-length
		 * read on seqpacket too), and can still write back. */
		assert_int_equal(sipc_shutdown_write(d), 0);
		n = recv_wait(sipc_endpoint_fd(s), buf, sizeof(buf), wait);
		assert_int_equal(n, 0);
		assert_int_equal(send(sipc_endpoint_fd(s), "late", 4, MSG_NOSIGNAL), 4);
		n = recv_wait(sipc_endpoint_fd(d), buf, sizeof(buf), wait);
		assert_int_equal(n, 4);
	}
	sipc_endpoint_close(s);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
	if (strstr(c->listen_url, "%s")) {
		struct stat st;
		/* The listener's file went with it. */
		assert_int_equal(stat(want + strlen(sipc_scheme_name(c->scheme)) + 3, &st), -1);
		assert_int_equal(errno, ENOENT);
	}
}

static void every_scheme(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %s\n", cases[i].listen_url);
		run_case(&cases[i]);
	}
}

/* ------------------------------------------------------ IP listeners */

/* Accepts one connection from URL on L and returns its peer as text. */
static void dial_accept_peer(sipc_endpoint *l, const char *url, char *peer, size_t len)
{
	sipc_endpoint *d = NULL, *s = NULL;

	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	sipc_test_peer_url(s, peer, len);
	sipc_endpoint_close(s);
	sipc_endpoint_close(d);
}

static void dual_stack_listener_takes_v4_and_v6(void **state)
{
	sipc_endpoint *l = NULL;
	char url[SIPC_URL_MAX], peer[SIPC_URL_MAX];
	int port;

	(void)state;
	assert_int_equal(sipc_listen("tcp://[::]:0", NULL, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_true(starts_with(url, "tcp://[::]:"));
	port = sipc_test_local_port(l);
	assert_true(port > 0);

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	dial_accept_peer(l, url, peer, sizeof(peer));
	/* A v4 client arrives as a v4-mapped address, written as v4. */
	assert_true(starts_with(peer, "tcp://127.0.0.1:"));

	snprintf(url, sizeof(url), "tcp://[::1]:%d", port);
	dial_accept_peer(l, url, peer, sizeof(peer));
	assert_true(starts_with(peer, "tcp://[::1]:"));
	sipc_endpoint_close(l);
}

static void tcp6_listener_is_v6_only(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL;
	char url[SIPC_URL_MAX], peer[SIPC_URL_MAX];
	int port;

	(void)state;
	assert_int_equal(sipc_listen("tcp6://[::]:0", NULL, &l), 0);
	port = sipc_test_local_port(l);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), -ECONNREFUSED);
	assert_null(d);
	snprintf(url, sizeof(url), "tcp://[::1]:%d", port);
	dial_accept_peer(l, url, peer, sizeof(peer));
	assert_true(starts_with(peer, "tcp://[::1]:"));
	sipc_endpoint_close(l);
}

static void tcp_listener_reuses_address(void **state)
{
	sipc_endpoint *l = NULL;
	int v = 0;
	socklen_t len = sizeof(v);

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(getsockopt(sipc_endpoint_fd(l), SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
	assert_int_equal(v, 1);
	sipc_endpoint_close(l);
}

static void listen_in_use_port_fails(void **state)
{
	sipc_endpoint *a = NULL, *b = NULL;
	char url[SIPC_URL_MAX];

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &a), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(a));
	assert_int_equal(sipc_listen(url, NULL, &b), -EADDRINUSE);
	assert_null(b);
	/* UDP: no SO_REUSEADDR, so a second bind fails too. */
	sipc_endpoint_close(a);
	a = NULL;
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &a), 0);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", sipc_test_local_port(a));
	assert_int_equal(sipc_listen(url, NULL, &b), -EADDRINUSE);
	sipc_endpoint_close(a);
}

/* ----------------------------------------------------- unix socket files */

/* A socket file with nobody behind it, as a killed listener leaves. */
static void make_stale(const char path[100], int type)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

static void stale_unix_path_is_replaced(void **state)
{
	static const struct {
		const char *scheme;
		int type;
	} kinds[] = {
		{"unix", SOCK_STREAM}, {"unixgram", SOCK_DGRAM}, {"unixpacket", SOCK_SEQPACKET}};
	char path[100], url[SIPC_URL_MAX];
	struct stat before, after;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sipc_endpoint *l = NULL, *d = NULL;

		sipc_test_path(path, sizeof(path), sipc_test_dir, "stale.sock");
		make_stale(path, kinds[i].type);
		/* (Inode numbers are reused at once on tmpfs, so a new file
		 * cannot be told from the old by st_ino: the working dial
		 * below is the proof.) */
		assert_int_equal(stat(path, &before), 0);
		assert_true(S_ISSOCK(before.st_mode));
		snprintf(url, sizeof(url), "%s://%s", kinds[i].scheme, path);
		assert_int_equal(sipc_listen(url, NULL, &l), 0);
		assert_int_equal(stat(path, &after), 0);
		assert_true(S_ISSOCK(after.st_mode));
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
		sipc_endpoint_close(d);
		sipc_endpoint_close(l);
		assert_int_equal(stat(path, &after), -1);
	}
}

static void live_unix_path_is_kept(void **state)
{
	static const char *schemes[] = {"unix", "unixgram", "unixpacket"};
	char path[100], url[SIPC_URL_MAX];
	struct stat before, after;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sipc_endpoint *l = NULL, *l2 = NULL, *d = NULL, *s = NULL;

		sipc_test_path(path, sizeof(path), sipc_test_dir, "live.sock");
		snprintf(url, sizeof(url), "%s://%s", schemes[i], path);
		assert_int_equal(sipc_listen(url, NULL, &l), 0);
		assert_int_equal(stat(path, &before), 0);
		assert_int_equal(sipc_listen(url, NULL, &l2), -EADDRINUSE);
		assert_null(l2);
		/* Same file, and the first listener still works. */
		assert_int_equal(stat(path, &after), 0);
		assert_int_equal(after.st_ino, before.st_ino);
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
		assert_int_equal(send(sipc_endpoint_fd(d), "x", 1, MSG_NOSIGNAL), 1);
		if (i != 1) {
			assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
		} else {
			char b[4];
			sipc_addr from;
			assert_int_equal(recvfrom_wait(sipc_endpoint_fd(l), b, sizeof(b), &from,
						       sipc_test_ms(2000)),
					 1);
		}
		sipc_endpoint_close(s);
		sipc_endpoint_close(d);
		sipc_endpoint_close(l);
	}
}

static void regular_file_is_never_deleted(void **state)
{
	char path[100], url[SIPC_URL_MAX], b[8] = {0};
	sipc_endpoint *l = NULL;
	struct stat st;
	FILE *f;

	(void)state;
	sipc_test_path(path, sizeof(path), sipc_test_dir, "file.sock");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("data", f);
	fclose(f);
	snprintf(url, sizeof(url), "unix://%s", path);
	assert_int_equal(sipc_listen(url, NULL, &l), -EADDRINUSE);
	assert_null(l);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(b, sizeof(b), f));
	fclose(f);
	assert_string_equal(b, "data");
	unlink(path);
}

static void close_unlinks_only_its_own_file(void **state)
{
	char path[100], url[SIPC_URL_MAX];
	sipc_endpoint *a = NULL, *b = NULL;
	struct stat st;

	(void)state;
	sipc_test_path(path, sizeof(path), sipc_test_dir, "mine.sock");
	snprintf(url, sizeof(url), "unix://%s", path);
	assert_int_equal(sipc_listen(url, NULL, &a), 0);
	/* Someone removes our file and a new listener takes the path: our
	 * close must leave the new file alone. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(sipc_listen(url, NULL, &b), 0);
	sipc_endpoint_close(a);
	assert_int_equal(stat(path, &st), 0);
	sipc_endpoint_close(b);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void unix_mode_is_applied(void **state)
{
	char path[100], url[SIPC_URL_MAX];
	sipc_options o = {.unix_mode = 0640};
	sipc_endpoint *l = NULL;
	struct stat st;

	(void)state;
	sipc_test_path(path, sizeof(path), sipc_test_dir, "mode.sock");
	snprintf(url, sizeof(url), "unixpacket://%s", path);
	assert_int_equal(sipc_listen(url, &o, &l), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	sipc_endpoint_close(l);

	o.unix_mode = 0606;
	snprintf(url, sizeof(url), "unixgram://%s", path);
	assert_int_equal(sipc_listen(url, &o, &l), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0606);
	sipc_endpoint_close(l);
}

static void peercred_is_ours(void **state)
{
	static const char *fmt[] = {"unix://@sipc-test-%d-cred", "unixpacket://@sipc-test-%d-cred"};
	char url[SIPC_URL_MAX];
	sipc_cred cr;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		sipc_endpoint *l = NULL, *d = NULL, *s = NULL;

		snprintf(url, sizeof(url), fmt[i], (int)getpid());
		assert_int_equal(sipc_listen(url, NULL, &l), 0);
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
		assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
		memset(&cr, 0xff, sizeof(cr));
		assert_int_equal(sipc_endpoint_peercred(s, &cr), 0);
		assert_int_equal(cr.pid, getpid());
		assert_int_equal(cr.uid, getuid());
		assert_int_equal(cr.gid, getgid());
		memset(&cr, 0xff, sizeof(cr));
		assert_int_equal(sipc_endpoint_peercred(d, &cr), 0);
		assert_int_equal(cr.pid, getpid());
		sipc_endpoint_close(s);
		sipc_endpoint_close(d);
		sipc_endpoint_close(l);
	}
	{
		sipc_endpoint *l = NULL;
		assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
		assert_int_equal(sipc_endpoint_peercred(l, &cr), SIPC_EKIND);
		sipc_endpoint_close(l);
	}
}

/* ------------------------------------------------------------- accept */

static void accept_times_out(void **state)
{
	sipc_endpoint *l = NULL, *s = NULL;
	long t0;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_accept(l, 0, &s), SIPC_ETIMEDOUT);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_accept(l, 100, &s), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 >= 90);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(2000));
	assert_null(s);
	sipc_endpoint_close(l);
}

static void accept_needs_a_listener(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char url[SIPC_URL_MAX];

	(void)state;
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_accept(l, 0, &s), SIPC_EKIND);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_int_equal(sipc_accept(d, 0, &s), SIPC_EKIND);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);

	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_int_equal(sipc_accept(d, 0, &s), SIPC_EKIND);
	assert_null(s);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

static void accepted_inherits_options(void **state)
{
	sipc_options o = {.max_msg = 1234};
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char url[SIPC_URL_MAX];

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", &o, &l), 0);
	assert_int_equal(sipc_endpoint_max_msg(l), 1234);
	sipc_test_local_url(l, url, sizeof(url));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_int_equal(sipc_endpoint_max_msg(d), SIPC_MAX_MSG_DEFAULT);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	assert_int_equal(sipc_endpoint_max_msg(s), 1234);
	sipc_endpoint_set_max_msg(s, 99);
	assert_int_equal(sipc_endpoint_max_msg(s), 99);
	sipc_endpoint_set_max_msg(s, 0);
	assert_int_equal(sipc_endpoint_max_msg(s), SIPC_MAX_MSG_DEFAULT);
	sipc_endpoint_close(s);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

/* ------------------------------------------------------------ from_fd */

static void from_fd_checks_the_socket(void **state)
{
	int sv[2];
	sipc_endpoint *a = NULL;
	sipc_addr peer;
	sipc_cred cr;

	(void)state;
	/* Born blocking and without close-on-exec. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UDP, NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIXPACKET, NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_TCP, NULL, &a), -EINVAL);
	assert_null(a);
	/* Still open, still the caller's, untouched. */
	assert_true(fcntl(sv[0], F_GETFD) >= 0);
	assert_int_equal(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);

	assert_int_equal(sipc_endpoint_from_fd(sv[0], SIPC_UNIX, NULL, &a), 0);
	assert_int_equal(sipc_endpoint_fd(a), sv[0]);
	assert_fd_flags(sv[0]);
	assert_false(sipc_endpoint_is_listener(a));
	assert_int_equal(sipc_endpoint_peer(a, &peer), 0);
	assert_int_equal(sipc_endpoint_peercred(a, &cr), 0);
	assert_int_equal(cr.pid, getpid());
	sipc_endpoint_close(a);
	/* The endpoint owned it: closed now. */
	assert_int_equal(fcntl(sv[0], F_GETFD), -1);
	close(sv[1]);
}

static void from_fd_sees_listeners_and_datagrams(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	sipc_endpoint *a = NULL;
	sipc_addr peer;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_TCP6, NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_TCP4, NULL, &a), 0);
	assert_true(sipc_endpoint_is_listener(a));
	assert_int_equal(sipc_endpoint_peer(a, &peer), -ENOTCONN);
	sipc_endpoint_close(a);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_TCP, NULL, &a), -EINVAL);
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_UDP, NULL, &a), 0);
	assert_true(sipc_endpoint_is_listener(a));
	assert_int_equal(sipc_endpoint_peer(a, &peer), -ENOTCONN);
	assert_fd_flags(fd);
	sipc_endpoint_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_scheme),
		cmocka_unit_test(dual_stack_listener_takes_v4_and_v6),
		cmocka_unit_test(tcp6_listener_is_v6_only),
		cmocka_unit_test(tcp_listener_reuses_address),
		cmocka_unit_test(listen_in_use_port_fails),
		cmocka_unit_test(stale_unix_path_is_replaced),
		cmocka_unit_test(live_unix_path_is_kept),
		cmocka_unit_test(regular_file_is_never_deleted),
		cmocka_unit_test(close_unlinks_only_its_own_file),
		cmocka_unit_test(unix_mode_is_applied),
		cmocka_unit_test(peercred_is_ours),
		cmocka_unit_test(accept_times_out),
		cmocka_unit_test(accept_needs_a_listener),
		cmocka_unit_test(accepted_inherits_options),
		cmocka_unit_test(from_fd_checks_the_socket),
		cmocka_unit_test(from_fd_sees_listeners_and_datagrams),
	};
	return cmocka_run_group_tests(tests, sipc_test_dir_setup, sipc_test_dir_teardown);
}
