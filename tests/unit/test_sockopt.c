/*
 * test_sockopt.c - the socket options of a URL's query reach the socket:
 * real sockets over loopback, each option read back with getsockopt on
 * the dialed socket, the listener and the connection it accepts (which
 * inherits from the listener).  Also what goes wrong: an option the scheme
 * or the role has no use for, one the kernel refuses (named in the WHY
 * sentence), and the abortive close (linger=0, sipc_endpoint_abort) that
 * gives the peer a reset.  Linux doubles SO_RCVBUF/SO_SNDBUF, so the
 * buffers read back as twice what was asked.
 */
#include "support.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockipc.h"

static int get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* Listens on URL, dials DIAL (its "%d" the listener's port) and accepts. */
static void trio(const char *url, const char *dial, sipc_endpoint **l, sipc_endpoint **d,
		 sipc_endpoint **s)
{
	char text[SIPC_URL_MAX], why[SIPC_WHY_MAX] = "";
	sipc_options o = {0};
	int rc;

	o.why = why;
	o.whylen = sizeof(why);
	rc = sipc_listen(url, &o, l);
	if (rc < 0)
		print_error("listen %s: %s: %s\n", url, sipc_strerror(rc), why);
	assert_int_equal(rc, 0);
	snprintf(text, sizeof(text), dial, sipc_test_local_port(*l));
	rc = sipc_dial(text, &o, sipc_test_ms(2000), d);
	if (rc < 0)
		print_error("dial %s: %s: %s\n", text, sipc_strerror(rc), why);
	assert_int_equal(rc, 0);
	assert_int_equal(sipc_accept(*l, sipc_test_ms(2000), s), 0);
}

static void close3(sipc_endpoint *l, sipc_endpoint *d, sipc_endpoint *s)
{
	sipc_endpoint_close(d);
	sipc_endpoint_close(s);
	sipc_endpoint_close(l);
}

/* A message goes through both ways: the options did not break the link. */
static void echo_once(sipc_endpoint *d, sipc_endpoint *s)
{
	char buf[16];

	assert_int_equal(sipc_send(d, "ping", 4, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_recv(s, buf, sizeof(buf), sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_send(s, "pong", 4, sipc_test_ms(2000)), 4);
	assert_int_equal(sipc_recv(d, buf, sizeof(buf), sipc_test_ms(2000)), 4);
	assert_memory_equal(buf, "pong", 4);
}

static void tcp_dial_options(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	struct linger lg;
	socklen_t len = sizeof(lg);
	int fd;

	(void)state;
	trio("tcp://127.0.0.1:0",
	     "tcp://127.0.0.1:%d?keepalive=30&keepintvl=5&keepcnt=3&rcvbuf=64K&sndbuf=32K"
	     "&nodelay=0&ttl=17&tos=0x10&user_timeout=4000&linger=7&fastopen=1",
	     &l, &d, &s);
	fd = sipc_endpoint_fd(d);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	/* Linux doubles the value for its bookkeeping (socket(7)). */
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_RCVBUF), 2 * 64 * 1024);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_SNDBUF), 2 * 32 * 1024);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_TTL), 17);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_TOS), 0x10);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 4000);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT), 1);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	assert_int_equal(lg.l_onoff, 1);
	assert_int_equal(lg.l_linger, 7);
	/* The accepting side was not asked for anything: the defaults. */
	assert_int_equal(get_int(sipc_endpoint_fd(s), SOL_SOCKET, SO_KEEPALIVE), 0);
	assert_int_equal(get_int(sipc_endpoint_fd(s), IPPROTO_TCP, TCP_NODELAY), 1);
	echo_once(d, s);
	close3(l, d, s);
}

static void tcp_listener_options_reach_accepted(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	struct linger lg;
	socklen_t len = sizeof(lg);
	int lfd, sfd;

	(void)state;
	trio("tcp://127.0.0.1:0?keepalive=20&rcvbuf=128K&nodelay=0&reuseport=1&ttl=9"
	     "&user_timeout=1500&fastopen=8&linger=3",
	     "tcp://127.0.0.1:%d", &l, &d, &s);
	lfd = sipc_endpoint_fd(l);
	sfd = sipc_endpoint_fd(s);
	assert_int_equal(get_int(lfd, SOL_SOCKET, SO_REUSEPORT), 1);
	assert_int_equal(get_int(lfd, IPPROTO_TCP, TCP_FASTOPEN), 8);
	assert_int_equal(get_int(lfd, SOL_SOCKET, SO_RCVBUF), 2 * 128 * 1024);
	/* The kernel clones the listener for each connection. */
	assert_int_equal(get_int(sfd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(get_int(sfd, IPPROTO_TCP, TCP_KEEPIDLE), 20);
	assert_int_equal(get_int(sfd, IPPROTO_IP, IP_TTL), 9);
	assert_int_equal(get_int(sfd, IPPROTO_TCP, TCP_USER_TIMEOUT), 1500);
	assert_int_equal(getsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	assert_int_equal(lg.l_onoff, 1);
	assert_int_equal(lg.l_linger, 3);
	/* nodelay=0 survives the TCP_NODELAY every accepted connection
	 * otherwise gets. */
	assert_int_equal(get_int(sfd, IPPROTO_TCP, TCP_NODELAY), 0);
	/* The dialer without options keeps TCP_NODELAY on. */
	assert_int_equal(get_int(sipc_endpoint_fd(d), IPPROTO_TCP, TCP_NODELAY), 1);
	echo_once(d, s);
	close3(l, d, s);
}

static void ipv6_options(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	int fd;

	(void)state;
	if (sipc_listen("tcp://[::1]:0", NULL, &l) < 0)
		skip(); /* no IPv6 loopback here */
	sipc_endpoint_close(l);
	trio("tcp://[::]:0?v6only=1&ttl=33&tos=0x20", "tcp://[::1]:%d?ttl=44&tos=0x28", &l, &d, &s);
	assert_int_equal(get_int(sipc_endpoint_fd(l), IPPROTO_IPV6, IPV6_V6ONLY), 1);
	assert_int_equal(get_int(sipc_endpoint_fd(l), IPPROTO_IPV6, IPV6_UNICAST_HOPS), 33);
	assert_int_equal(get_int(sipc_endpoint_fd(l), IPPROTO_IPV6, IPV6_TCLASS), 0x20);
	fd = sipc_endpoint_fd(d);
	assert_int_equal(get_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 44);
	assert_int_equal(get_int(fd, IPPROTO_IPV6, IPV6_TCLASS), 0x28);
	close3(l, d, s);
	/* tcp6:// is v6-only unless the URL says otherwise. */
	assert_int_equal(sipc_listen("tcp6://[::]:0?v6only=0", NULL, &l), 0);
	assert_int_equal(get_int(sipc_endpoint_fd(l), IPPROTO_IPV6, IPV6_V6ONLY), 0);
	sipc_endpoint_close(l);
}

static void udp_and_unix_options(void **state)
{
	sipc_endpoint *u = NULL, *l = NULL, *d = NULL;
	char url[SIPC_URL_MAX];
	int fd;

	(void)state;
	assert_int_equal(sipc_listen("udp://127.0.0.1:0?rcvbuf=48K&ttl=3&tos=0x8&mcast_ttl=4"
				     "&mcast_loop=0&iface=lo",
				     NULL, &u),
			 0);
	fd = sipc_endpoint_fd(u);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_RCVBUF), 2 * 48 * 1024);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_TTL), 3);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_TOS), 8);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_MULTICAST_TTL), 4);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_BROADCAST), 0);
	sipc_endpoint_close(u);

	/* broadcast=1 (nc -b): a dial to the limited broadcast address is
	 * refused without it (EACCES) and allowed with it; nothing is sent. */
	assert_int_equal(sipc_dial("udp://255.255.255.255:9", NULL, 0, &d), -EACCES);
	assert_int_equal(sipc_dial("udp://255.255.255.255:9?broadcast=1", NULL, 0, &d), 0);
	assert_int_equal(get_int(sipc_endpoint_fd(d), SOL_SOCKET, SO_BROADCAST), 1);
	sipc_endpoint_close(d);
	d = NULL;

	snprintf(url, sizeof(url), "unix://@sockopt-test-%d?rcvbuf=40K&sndbuf=24K", (int)getpid());
	assert_int_equal(sipc_listen(url, NULL, &l), 0);
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	assert_int_equal(get_int(sipc_endpoint_fd(l), SOL_SOCKET, SO_RCVBUF), 2 * 40 * 1024);
	assert_int_equal(get_int(sipc_endpoint_fd(d), SOL_SOCKET, SO_SNDBUF), 2 * 24 * 1024);
	sipc_endpoint_close(d);
	sipc_endpoint_close(l);
}

/* An option the kernel refuses ends the open, and the sentence names it. */
static void refused_option_is_named(void **state)
{
	char why[SIPC_WHY_MAX] = "";
	sipc_options o = {.why = why, .whylen = sizeof(why)};
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL;
	char got[IF_NAMESIZE] = "";
	socklen_t len = sizeof(got);
	int rc;

	(void)state;
	assert_int_equal(
		sipc_dial("tcp://127.0.0.1:9?device=nosuchdev0", &o, sipc_test_ms(2000), &d),
		-ENODEV);
	assert_null(d);
	assert_string_equal(why, "option device=nosuchdev0 (setsockopt SO_BINDTODEVICE)");
	assert_int_equal(sipc_listen("udp://127.0.0.1:0?iface=nosuchdev0", &o, &l), -ENODEV);
	assert_string_equal(why, "option iface=nosuchdev0: no such network interface");

	trio("tcp://127.0.0.1:0", "tcp://127.0.0.1:%d?device=lo", &l, &d, &s);
	assert_int_equal(getsockopt(sipc_endpoint_fd(d), SOL_SOCKET, SO_BINDTODEVICE, got, &len),
			 0);
	assert_string_equal(got, "lo");
	close3(l, d, s);

	/* SO_MARK needs CAP_NET_ADMIN: with it the mark is set, without
	 * it the dial fails and says which option. */
	why[0] = '\0';
	rc = sipc_listen("tcp://127.0.0.1:0?mark=0x2a", &o, &l);
	if (rc == 0) {
		assert_int_equal(get_int(sipc_endpoint_fd(l), SOL_SOCKET, SO_MARK), 0x2a);
		sipc_endpoint_close(l);
	} else {
		assert_int_equal(rc, -EPERM);
		assert_string_equal(why, "option mark=0x2a (setsockopt SO_MARK)");
	}
}

/* What the scheme or the role has no use for is an error that names it. */
static void wrong_place_is_named(void **state)
{
	char why[SIPC_WHY_MAX] = "";
	sipc_options o = {.why = why, .whylen = sizeof(why)};
	sipc_endpoint *e = NULL;

	(void)state;
	assert_int_equal(sipc_dial("udp://127.0.0.1:9?nodelay=1", &o, 100, &e), SIPC_EURL_OPTION);
	assert_string_equal(why, "option nodelay does not apply to udp:// (only to tcp and tls)");
	assert_int_equal(sipc_listen("unix://@x?keepalive=5", &o, &e), SIPC_EURL_OPTION);
	assert_non_null(strstr(why, "option keepalive does not apply to unix://"));
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0?iface=lo", &o, &e), SIPC_EURL_OPTION);
	assert_non_null(strstr(why, "option iface does not apply to tcp://"));
	assert_int_equal(sipc_listen("unixgram://@x?fastopen=1", &o, &e), SIPC_EURL_OPTION);
	assert_non_null(strstr(why, "option fastopen does not apply to unixgram://"));
	/* A source-specific join is for a listener on a group. */
	assert_int_equal(sipc_dial("udp://232.1.1.1:9?source=127.0.0.1", &o, 100, &e),
			 SIPC_EURL_OPTION);
	assert_string_equal(why, "option source=127.0.0.1: a source-specific join is for "
				 "listening on a group, not for dialing");
	assert_int_equal(sipc_listen("udp://127.0.0.1:0?source=127.0.0.1", &o, &e),
			 SIPC_EURL_OPTION);
	assert_non_null(strstr(why, "needs a multicast group address"));
	/* Options go on the endpoint's URL, not on a dial's source. */
	o.source = "tcp://127.0.0.1:0?rcvbuf=1K";
	assert_int_equal(sipc_dial("tcp://127.0.0.1:9", &o, 100, &e), SIPC_EURL_OPTION);
	assert_null(e);
}

/* The peer of an abortive close reads a reset, not an end of stream. */
static void peer_sees_reset(sipc_endpoint *s)
{
	char buf[8];

	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), -ECONNRESET);
}

static void abortive_close(void **state)
{
	sipc_endpoint *l = NULL, *d = NULL, *s = NULL, *u = NULL;
	char buf[8];

	(void)state;
	/* linger=0: every close of the connection is a reset. */
	trio("tcp://127.0.0.1:0", "tcp://127.0.0.1:%d?linger=0", &l, &d, &s);
	sipc_endpoint_close(d);
	peer_sees_reset(s);
	sipc_endpoint_close(s);
	/* sipc_endpoint_abort on a connection without the option. */
	{
		char url[SIPC_URL_MAX];
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	}
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	assert_int_equal(sipc_endpoint_abort(d), 0);
	peer_sees_reset(s);
	sipc_endpoint_close(s);
	/* A plain close, for contrast: end of stream. */
	{
		char url[SIPC_URL_MAX];
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(2000), &d), 0);
	}
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
	sipc_endpoint_close(d);
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 0);
	sipc_endpoint_close(s);
	/* Kinds without a reset: closed all the same, and told so. */
	assert_int_equal(sipc_endpoint_abort(l), SIPC_EKIND);
	assert_int_equal(sipc_listen("udp://127.0.0.1:0", NULL, &u), 0);
	assert_int_equal(sipc_endpoint_abort(u), SIPC_EKIND);
	assert_int_equal(sipc_endpoint_abort(NULL), -EINVAL);
}

struct lines {
	int n;
	char line[32][160];
};

static void collect(void *arg, const char *line)
{
	struct lines *t = arg;

	if (t->n < 32)
		snprintf(t->line[t->n++], sizeof(t->line[0]), "%s", line);
}

static bool has_line(const struct lines *t, const char *want)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->line[i], want) == 0)
			return true;
	print_error("no trace line '%s' among %d\n", want, t->n);
	for (int i = 0; i < t->n; i++)
		print_error("  %s\n", t->line[i]);
	return false;
}

static void every_setsockopt_is_traced(void **state)
{
	struct lines t = {0};
	sipc_options o = {.trace = collect, .trace_arg = &t};
	sipc_endpoint *l = NULL;
	char want[160];
	int fd;

	(void)state;
	assert_int_equal(
		sipc_listen("tcp://127.0.0.1:0?rcvbuf=1M&keepalive=30&linger=0&fastopen=4", &o, &l),
		0);
	fd = sipc_endpoint_fd(l);
	snprintf(want, sizeof(want), "setsockopt(%d, SOL_SOCKET, SO_RCVBUF, 1048576) = 0", fd);
	assert_true(has_line(&t, want));
	snprintf(want, sizeof(want), "setsockopt(%d, SOL_SOCKET, SO_KEEPALIVE, 1) = 0", fd);
	assert_true(has_line(&t, want));
	snprintf(want, sizeof(want), "setsockopt(%d, IPPROTO_TCP, TCP_KEEPIDLE, 30) = 0", fd);
	assert_true(has_line(&t, want));
	snprintf(want, sizeof(want),
		 "setsockopt(%d, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}) = 0", fd);
	assert_true(has_line(&t, want));
	snprintf(want, sizeof(want), "setsockopt(%d, IPPROTO_TCP, TCP_FASTOPEN, 4) = 0", fd);
	assert_true(has_line(&t, want));
	/* The fast-open queue comes after listen(). */
	snprintf(want, sizeof(want), "listen(%d, %d) = 0", fd, SOMAXCONN);
	assert_true(has_line(&t, want));
	assert_true(strstr(t.line[t.n - 1], "TCP_FASTOPEN") != NULL);
	sipc_endpoint_close(l);

	/* A refused one is traced with its error. */
	t.n = 0;
	assert_int_equal(sipc_dial("tcp://127.0.0.1:9?device=nosuchdev0", &o, 100, &l), -ENODEV);
	assert_non_null(strstr(t.line[1], "SO_BINDTODEVICE, \"nosuchdev0\") = -1 ENODEV"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_dial_options),
		cmocka_unit_test(tcp_listener_options_reach_accepted),
		cmocka_unit_test(ipv6_options),
		cmocka_unit_test(udp_and_unix_options),
		cmocka_unit_test(refused_option_is_named),
		cmocka_unit_test(wrong_place_is_named),
		cmocka_unit_test(abortive_close),
		cmocka_unit_test(every_setsockopt_is_traced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
