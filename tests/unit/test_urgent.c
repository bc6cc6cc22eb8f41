/*
 * test_urgent.c - urgent (out-of-band) data over loopback TCP: one byte
 * sent, seen pending (POLLPRI), read out of band and never in the stream;
 * the mark exactly where it was sent, with bytes before and after it; the
 * one-byte caveat (a second urgent byte turns the first into a normal
 * one); a read at the mark that loses an untaken byte (the reason the
 * header says to take it first); the send's timeout on a full buffer; the
 * --trace lines; SIPC_EKIND on every kind without urgent data (udp,
 * unix, unixgram, unixpacket, tls, listeners); and what the relays ask
 * before each read (sipc__urgent_next) and a spliced flow at the mark.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "sockipc.h"
#include "sys/sys.h"
#include "urgent.h"

/* A connected loopback TCP pair: *CP dialed, *SP accepted. */
static void tcp_pair(sipc_endpoint **cp, sipc_endpoint **sp, const sipc_options *opts)
{
	char url[SIPC_URL_MAX];
	sipc_endpoint *l = NULL;

	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	assert_int_equal(sipc_dial(url, opts, sipc_test_ms(2000), cp), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(2000), sp), 0);
	sipc_endpoint_close(l);
}

/* Waits (bounded) until EP's descriptor is ready for EVENTS. */
static void wait_for(const sipc_endpoint *ep, short events)
{
	struct pollfd p = {.fd = sipc_endpoint_fd(ep), .events = events};

	assert_int_equal(poll(&p, 1, sipc_test_ms(2000)), 1);
	assert_true(p.revents & events);
}

/* The sender ends its side, and the receiver waits for that end: every
 * byte sent before it, urgent ones too, has then arrived (TCP delivers the
 * FIN in order). */
static void all_arrived(sipc_endpoint *from, sipc_endpoint *to)
{
	assert_int_equal(sipc_shutdown_write(from), 0);
	wait_for(to, POLLRDHUP);
}

static void send_str(sipc_endpoint *ep, const char *s)
{
	assert_int_equal(sipc_write_all(ep, s, strlen(s), sipc_test_ms(2000)), (ssize_t)strlen(s));
}

/* Reads until N bytes came or the mark stops the stream; the count. */
static size_t read_upto(sipc_endpoint *ep, char *buf, size_t n)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = sipc_read(ep, buf + have, n - have, sipc_test_ms(2000));

		assert_true(r >= 0);
		if (r == 0)
			break;
		have += (size_t)r;
	}
	return have;
}

static void send_pending_read_at_mark(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	char buf[16];
	uint8_t b = 0;

	(void)state;
	tcp_pair(&c, &s, NULL);
	assert_int_equal(sipc_urgent_pending(s), 0);
	assert_int_equal(sipc_urgent_recv(s, &b), 0);
	send_str(c, "ab");
	assert_int_equal(sipc_urgent_send(c, 'U', sipc_test_ms(2000)), 0);
	send_str(c, "cd");
	wait_for(s, POLLPRI);
	assert_int_equal(sipc_urgent_pending(s), 1);
	assert_int_equal(sipc_urgent_at_mark(s), 0);
	/* The read stops at the mark: only what was sent before it. */
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(sipc_urgent_at_mark(s), 1);
	assert_int_equal(sipc_urgent_recv(s, &b), 1);
	assert_int_equal(b, 'U');
	/* Read: no longer pending, still at the mark until the stream moves. */
	assert_int_equal(sipc_urgent_pending(s), 0);
	assert_int_equal(sipc_urgent_at_mark(s), 1);
	b = 0;
	assert_int_equal(sipc_urgent_recv(s, &b), 0);
	assert_int_equal(b, 0); /* untouched */
	all_arrived(c, s);
	/* The urgent byte is not in the stream. */
	assert_int_equal(read_upto(s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "cd", 2);
	assert_int_equal(sipc_urgent_at_mark(s), 0);
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 0);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* 20000 bytes before the urgent byte, 10000 after (all of it fits the
 * loopback socket buffers, so it arrives before the first read): reading stops exactly
 * at the mark, wherever the reads fall, and no byte is lost or doubled. */
static void mark_between_before_and_after(void **state)
{
	enum { BEFORE = 20000, AFTER = 10000 };
	sipc_endpoint *c = NULL, *s = NULL;
	char *out = malloc(BEFORE + AFTER), *in = malloc(BEFORE + AFTER + 1);
	size_t have = 0;
	uint8_t b = 0;

	(void)state;
	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < BEFORE + AFTER; i++)
		out[i] = (char)('a' + i % 26);
	tcp_pair(&c, &s, NULL);
	assert_int_equal(sipc_write_all(c, out, BEFORE, sipc_test_ms(5000)), BEFORE);
	assert_int_equal(sipc_urgent_send(c, 0x00, sipc_test_ms(5000)), 0);
	assert_int_equal(sipc_write_all(c, out + BEFORE, AFTER, sipc_test_ms(5000)), AFTER);
	all_arrived(c, s);
	/* Reads in small steps until the mark: each says not yet, and none
	 * goes past it. */
	while (sipc_urgent_at_mark(s) == 0) {
		ssize_t r = sipc_read(s, in + have, 4096, sipc_test_ms(2000));

		assert_true(r > 0);
		have += (size_t)r;
		assert_true(have <= BEFORE);
	}
	assert_int_equal(have, BEFORE);
	assert_int_equal(sipc_urgent_pending(s), 1);
	assert_int_equal(sipc_urgent_recv(s, &b), 1);
	assert_int_equal(b, 0x00);
	have += read_upto(s, in + have, AFTER + 1);
	assert_int_equal(have, BEFORE + AFTER);
	assert_memory_equal(in, out, BEFORE + AFTER);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
	free(out);
	free(in);
}

/* TCP keeps one urgent byte: B replaces A, and A is a normal byte again,
 * where it was sent. */
static void second_urgent_replaces_first(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	char buf[16];
	uint8_t b = 0;

	(void)state;
	tcp_pair(&c, &s, NULL);
	send_str(c, "x");
	assert_int_equal(sipc_urgent_send(c, 'A', sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_urgent_send(c, 'B', sipc_test_ms(2000)), 0);
	send_str(c, "z");
	all_arrived(c, s);
	assert_int_equal(sipc_urgent_recv(s, &b), 1);
	assert_int_equal(b, 'B');
	assert_int_equal(read_upto(s, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "xAz", 3);
	assert_int_equal(sipc_urgent_recv(s, &b), 0);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* What the header warns of: a normal read at the mark before the urgent
 * byte is taken moves past it, and the byte is gone. */
static void read_past_mark_loses_untaken_byte(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	char buf[16];
	uint8_t b = 0;

	(void)state;
	tcp_pair(&c, &s, NULL);
	send_str(c, "ab");
	assert_int_equal(sipc_urgent_send(c, 'U', sipc_test_ms(2000)), 0);
	send_str(c, "cd");
	all_arrived(c, s);
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 2);
	assert_int_equal(sipc_urgent_at_mark(s), 1);
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 2);
	assert_memory_equal(buf, "cd", 2);
	assert_int_equal(sipc_urgent_pending(s), 0);
	assert_int_equal(sipc_urgent_recv(s, &b), 0);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* A send buffer the peer does not empty: the urgent send waits its timeout
 * and says so, having sent nothing. */
static void send_times_out_on_full_buffer(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	static char junk[65536];
	int64_t t0;

	(void)state;
	tcp_pair(&c, &s, NULL);
	/* Bounded: the kernel's buffers are finite; 64 MiB is far above any
	 * loopback default. */
	for (int i = 0; i < 1024 && sipc_write_all(c, junk, sizeof(junk), 0) == sizeof(junk); i++)
		;
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_urgent_send(c, 'X', 100), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 >= 90);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

struct lines {
	char text[8][160];
	int n;
};

static void keep_line(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n < 8)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static void each_call_traced(void **state)
{
	struct lines seen = {0};
	sipc_options o = {0};
	sipc_endpoint *c = NULL, *s = NULL;
	char want[160];
	uint8_t b;
	int fd;

	(void)state;
	o.trace = keep_line;
	o.trace_arg = &seen;
	tcp_pair(&c, &s, &o);
	seen.n = 0;
	fd = sipc_endpoint_fd(c);
	assert_int_equal(sipc_urgent_send(c, 'A', sipc_test_ms(2000)), 0);
	assert_int_equal(sipc_urgent_send(c, 0x07, sipc_test_ms(2000)), 0);
	send_str(s, "x");
	assert_int_equal(sipc_urgent_send(s, 'Z', sipc_test_ms(2000)), 0);
	all_arrived(s, c);
	assert_int_equal(sipc_urgent_pending(c), 1);
	assert_int_equal(sipc_urgent_at_mark(c), 0);
	assert_int_equal(sipc_urgent_recv(c, &b), 1);
	assert_int_equal(sipc_urgent_recv(c, &b), 0);
	assert_int_equal(seen.n, 6);
	snprintf(want, sizeof(want), "send(%d, 0x41 'A', MSG_OOB) = 1", fd);
	assert_string_equal(seen.text[0], want);
	snprintf(want, sizeof(want), "send(%d, 0x07, MSG_OOB) = 1", fd);
	assert_string_equal(seen.text[1], want);
	snprintf(want, sizeof(want), "poll(%d, POLLPRI) = 1", fd);
	assert_string_equal(seen.text[2], want);
	snprintf(want, sizeof(want), "sockatmark(%d) = 0", fd);
	assert_string_equal(seen.text[3], want);
	snprintf(want, sizeof(want), "recv(%d, MSG_OOB) = 1 0x5a 'Z'", fd);
	assert_string_equal(seen.text[4], want);
	snprintf(want, sizeof(want), "recv(%d, MSG_OOB) = -1 EINVAL (Invalid argument)", fd);
	assert_string_equal(seen.text[5], want);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* Every call on EP is SIPC_EKIND. */
static void assert_no_urgent(sipc_endpoint *ep)
{
	uint8_t b = 0;

	assert_int_equal(sipc_urgent_send(ep, 'A', 0), SIPC_EKIND);
	assert_int_equal(sipc_urgent_pending(ep), SIPC_EKIND);
	assert_int_equal(sipc_urgent_recv(ep, &b), SIPC_EKIND);
	assert_int_equal(sipc_urgent_at_mark(ep), SIPC_EKIND);
}

static void other_kinds_have_none(void **state)
{
	static const char *const fmts[] = {"udp://127.0.0.1:0", "unix://%s/s", "unixgram://%s/g",
					   "unixpacket://%s/p", "tcp://127.0.0.1:0"};
	char url[SIPC_URL_MAX], peer[SIPC_URL_MAX];
	sipc_endpoint *l, *c, *a;
	sipc_tls_config *tls = NULL;
	sipc_options o = {0};
	sipc_addr addr;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		l = c = a = NULL;
		snprintf(url, sizeof(url), fmts[i], sipc_test_dir);
		assert_int_equal(sipc_listen(url, NULL, &l), 0);
		/* A listener (or a bound datagram socket) has none. */
		assert_no_urgent(l);
		assert_int_equal(sipc_endpoint_local(l, &addr), 0);
		assert_true(sipc_addr_format(&addr, peer, sizeof(peer)) > 0);
		if (i < 4) {
			/* A connection of that kind has none either. */
			assert_int_equal(sipc_dial(peer, NULL, sipc_test_ms(2000), &c), 0);
			assert_no_urgent(c);
			if (i == 1 || i == 3) {
				assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &a), 0);
				assert_no_urgent(a);
			}
		}
		sipc_endpoint_close(a);
		sipc_endpoint_close(c);
		sipc_endpoint_close(l);
	}
	/* tls over a real TCP connection: none, on purpose (the byte would
	 * pass beside the records). */
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	assert_int_equal(sipc_endpoint_local(l, &addr), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr.ss, addr.len), 0);
	assert_int_equal(sipc_tls_config_new(SIPC_TLS_CLIENT, &tls), 0);
	assert_int_equal(sipc_tls_config_server_name(tls, "localhost"), 0);
	o.tls = tls;
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_TLS, &o, &c), 0);
	assert_no_urgent(c);
	sipc_endpoint_close(c);
	sipc_endpoint_close(l);
	sipc_tls_config_free(tls);
	/* No endpoint, no byte pointer. */
	assert_int_equal(sipc_urgent_send(NULL, 'A', 0), -EINVAL);
	assert_int_equal(sipc_urgent_pending(NULL), -EINVAL);
	assert_int_equal(sipc_urgent_at_mark(NULL), -EINVAL);
	tcp_pair(&c, &a, NULL);
	assert_int_equal(sipc_urgent_recv(c, NULL), -EINVAL);
	assert_int_equal(sipc_urgent_send(c, 'A', -2), -EINVAL);
	sipc_endpoint_close(c);
	sipc_endpoint_close(a);
}

/* After the peer is gone the send fails with its reason, no SIGPIPE. */
static void send_to_closed_peer(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	int rc = 0;

	(void)state;
	tcp_pair(&c, &s, NULL);
	sipc_endpoint_close(s);
	wait_for(c, POLLRDHUP);
	/* The first send may still be taken (the reset answers it). */
	for (int i = 0; i < 50 && rc == 0; i++) {
		rc = sipc_urgent_send(c, 'A', sipc_test_ms(2000));
		if (rc == 0)
			wait_for(c, POLLERR | POLLHUP);
	}
	assert_true(rc == -EPIPE || rc == -ECONNRESET);
	sipc_endpoint_close(c);
}

/*
 * What a relay that takes urgent bytes itself asks before each read.  The
 * one that matters most is the first: with nothing queued it says wait,
 * not read, because an urgent segment landing right after the look would
 * put the mark where the read starts, and the read would drop the byte (the
 * race a SIOCATMARK and then a read had: "connect" lost a byte that way
 * under load).
 */
static void next_before_each_read(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	char buf[16];
	uint8_t b = 0;
	int fd;

	(void)state;
	tcp_pair(&c, &s, NULL);
	fd = sipc_endpoint_fd(s);
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_WAIT);
	send_str(c, "ab");
	wait_for(s, POLLIN);
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_READ);
	assert_int_equal(sipc_urgent_send(c, 'U', sipc_test_ms(2000)), 0);
	wait_for(s, POLLPRI);
	/* Bytes before the mark: read them; the read stops at the mark. */
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_READ);
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 2);
	/* At the mark with the byte and nothing after it (the peek moves past
	 * the byte in its own count and finds nothing): take it. */
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_TAKE);
	assert_int_equal(sipc_urgent_recv(s, &b), 1);
	assert_int_equal(b, 'U');
	/* Taken, still at the mark, nothing after it: wait. */
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_WAIT);
	send_str(c, "cd");
	all_arrived(c, s);
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_READ);
	assert_int_equal(read_upto(s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "cd", 2);
	/* The end is read, as data is. */
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_READ);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* C sends "ab", urgent BYTE, "cd" and its end; all of it has arrived at S. */
static void send_marked(sipc_endpoint *c, sipc_endpoint *s, uint8_t byte)
{
	send_str(c, "ab");
	assert_int_equal(sipc_urgent_send(c, byte, sipc_test_ms(2000)), 0);
	send_str(c, "cd");
	all_arrived(c, s);
}

/* At the mark with bytes after it, all arrived: take first, then read. */
static void next_takes_before_the_rest(void **state)
{
	sipc_endpoint *c = NULL, *s = NULL;
	char buf[16];
	uint8_t b = 0;
	int fd;

	(void)state;
	tcp_pair(&c, &s, NULL);
	fd = sipc_endpoint_fd(s);
	send_marked(c, s, 'V');
	assert_int_equal(sipc_read(s, buf, sizeof(buf), sipc_test_ms(2000)), 2);
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_TAKE);
	assert_int_equal(sipc_urgent_recv(s, &b), 1);
	assert_int_equal(b, 'V');
	assert_int_equal(sipc__urgent_next(fd), SIPC__URGENT_READ);
	assert_int_equal(read_upto(s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "cd", 2);
	sipc_endpoint_close(c);
	sipc_endpoint_close(s);
}

/* A flow that splices from the socket stops at the mark (splice never
 * moves past it).  With SIPC__FLOW_URGENT it leaves the pipe and says
 * -EAGAIN, the byte still there to take, and copies the rest; without
 * (forward), it copies on at once and the byte is dropped. */
static void flow_stops_at_the_mark(void **state)
{
	for (int keep = 0; keep < 2; keep++) {
		sipc_endpoint *c = NULL, *s = NULL;
		struct sipc__flow f;
		char buf[16];
		int p[2];
		uint8_t b = 0;

		(void)state;
		if (!sipc__sys_have_splice())
			skip();
		assert_int_equal(pipe(p), 0);
		tcp_pair(&c, &s, NULL);
		send_marked(c, s, 'W');
		sipc__flow_init(&f, sipc_endpoint_fd(s), p[1],
				SIPC__FLOW_PIPE | SIPC__FLOW_IN_SOCK |
					(keep ? SIPC__FLOW_URGENT : 0),
				0, 4096);
		assert_true(f.use_pipe);
		assert_int_equal(sipc__flow_fill(&f), 2); /* "ab", to the mark */
		if (keep) {
			assert_int_equal(sipc__flow_fill(&f), -EAGAIN);
			assert_false(f.use_pipe);
			assert_int_equal(sipc_urgent_recv(s, &b), 1);
			assert_int_equal(b, 'W');
		}
		assert_int_equal(sipc__flow_fill(&f), 2); /* "cd", copied */
		assert_false(f.use_pipe);
		assert_int_equal(sipc__flow_fill(&f), 0);
		assert_true(f.eof);
		while (sipc__flow_pending(&f) > 0)
			assert_true(sipc__flow_drain(&f) > 0);
		assert_int_equal(read(p[0], buf, sizeof(buf)), 4);
		assert_memory_equal(buf, "abcd", 4);
		if (!keep)
			assert_int_equal(sipc_urgent_recv(s, &b), 0); /* dropped */
		sipc__flow_free(&f);
		close(p[0]);
		close(p[1]);
		sipc_endpoint_close(c);
		sipc_endpoint_close(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(send_pending_read_at_mark),
		cmocka_unit_test(mark_between_before_and_after),
		cmocka_unit_test(second_urgent_replaces_first),
		cmocka_unit_test(read_past_mark_loses_untaken_byte),
		cmocka_unit_test(send_times_out_on_full_buffer),
		cmocka_unit_test(each_call_traced),
		cmocka_unit_test(other_kinds_have_none),
		cmocka_unit_test(send_to_closed_peer),
		cmocka_unit_test(next_before_each_read),
		cmocka_unit_test(next_takes_before_the_rest),
		cmocka_unit_test(flow_stops_at_the_mark),
	};
	return cmocka_run_group_tests(tests, sipc_test_dir_setup, sipc_test_dir_teardown);
}
