/*
 * test_dgbatch.c - the reply queue of serve's datagram endpoints: every
 * queued reply is reported exactly once, in order, whatever sendmmsg does
 * (a partial count, an error on a message in the middle, an error on
 * every one); replies in the kept region are referenced and others copied
 * (so the caller's buffer may change after the add); a full queue or
 * arena is sent before more is added; a reply larger than the arena goes
 * at once after the ones before it; zero-length replies go as such.  And
 * once through the real sendmmsg on a unixgram pair: boundaries and
 * contents arrive as queued.  And the receive side: a UDP GRO buffer is
 * cut back into its datagrams whatever segment size its control message
 * says (none, 0, negative, larger than the buffer, not a divisor), and a
 * real GSO send to a GRO socket comes back datagram by datagram.
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/udp.h>

#include "serve/dgbatch.h"
#include "sys/sys.h"

#define MAXLOG 512

/* The fake sendmmsg: names are ints (the reply's id). */
static struct {
	int fail[MAXLOG]; /* per id: the error it always gets, or 0 */
	unsigned chunk;   /* at most this many per call (0: all) */
	int gso_fail;     /* the error of every GSO message, or 0 */
	int gso_msgs;     /* GSO messages sent */
	int gso_segs;     /* replies in them */
	int calls;
	int nsent;
	int sent_id[MAXLOG];
	size_t sent_len[MAXLOG];
	char sent_byte[MAXLOG]; /* first byte, or 0 */
	int ndone;
	int done_id[MAXLOG];
	ssize_t done_res[MAXLOG];
} f;

static int fake_send(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	unsigned i;

	(void)fd;
	assert_true(flags & MSG_DONTWAIT);
	assert_true(n > 0);
	f.calls++;
	for (i = 0; i < n && (f.chunk == 0 || i < f.chunk); i++) {
		int id = *(const int *)v[i].msg_hdr.msg_name;
		size_t niov = v[i].msg_hdr.msg_iovlen, total = 0;
		if (f.fail[id] != 0)
			return i > 0 ? (int)i : f.fail[id];
		if (niov > 1) {
			/* GSO: UDP_SEGMENT gives the size of every segment. */
			struct cmsghdr *c = CMSG_FIRSTHDR(&v[i].msg_hdr);
			uint16_t seg;
			assert_non_null(c);
			assert_int_equal(c->cmsg_level, SOL_UDP);
			assert_int_equal(c->cmsg_type, UDP_SEGMENT);
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			for (size_t k = 0; k < niov; k++)
				assert_int_equal(v[i].msg_hdr.msg_iov[k].iov_len, seg);
			if (f.gso_fail != 0)
				return i > 0 ? (int)i : f.gso_fail;
			f.gso_msgs++;
			f.gso_segs += (int)niov;
		} else {
			assert_null(v[i].msg_hdr.msg_control);
		}
		for (size_t k = 0; k < niov; k++) {
			const struct iovec *io = &v[i].msg_hdr.msg_iov[k];
			f.sent_id[f.nsent] = id;
			f.sent_len[f.nsent] = io->iov_len;
			f.sent_byte[f.nsent] = io->iov_len > 0 ? *(const char *)io->iov_base : 0;
			f.nsent++;
			total += io->iov_len;
		}
		v[i].msg_len = (unsigned)total;
	}
	return (int)i;
}

static int ids[MAXLOG];

static void fake_done(void *ctx, const void *buf, size_t len, ssize_t result)
{
	(void)buf;
	assert_true(result < 0 || (size_t)result == len);
	f.done_id[f.ndone] = *(int *)ctx;
	f.done_res[f.ndone] = result;
	f.ndone++;
}

static void setup_q(struct sipc__dgb_queue *q, size_t arena, const void *keep, size_t keep_len)
{
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < MAXLOG; i++)
		ids[i] = i;
	memset(q, 0, sizeof(*q));
	assert_int_equal(sipc__dgb_init(q, arena), 0);
	q->fd = -1;
	q->send = fake_send;
	q->done = fake_done;
	q->keep = keep;
	q->keep_len = keep_len;
}

static void add(struct sipc__dgb_queue *q, int id, const void *buf, size_t len)
{
	sipc__dgb_add(q, &ids[id], sizeof(int), buf, len, &ids[id]);
}

/* Every reply reported once, in order, the failed ones with their error
 * and the others sent; one send call per failure plus the rest. */
static void test_errors_in_the_middle(void **state)
{
	struct sipc__dgb_queue q;
	char buf[1] = {'x'};

	(void)state;
	setup_q(&q, 1024, NULL, 0);
	f.fail[3] = -EAGAIN;
	f.fail[4] = -ECONNREFUSED;
	f.fail[9] = -ENOBUFS;
	for (int i = 0; i < 10; i++)
		add(&q, i, buf, 1);
	assert_int_equal(f.calls, 0); /* nothing goes before the flush */
	sipc__dgb_flush(&q);
	assert_int_equal(f.ndone, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(f.done_id[i], i);
		if (i == 3)
			assert_int_equal(f.done_res[i], -EAGAIN);
		else if (i == 4)
			assert_int_equal(f.done_res[i], -ECONNREFUSED);
		else if (i == 9)
			assert_int_equal(f.done_res[i], -ENOBUFS);
		else
			assert_int_equal(f.done_res[i], 1);
	}
	assert_int_equal(f.nsent, 7);
	/* [0..2] sent, 3 fails, 4 fails, [5..8] sent, 9 fails. */
	assert_int_equal(f.calls, 5);
	assert_int_equal(q.n, 0);
	/* Empty flush: no call. */
	sipc__dgb_flush(&q);
	assert_int_equal(f.calls, 5);
	sipc__dgb_free(&q);
}

/* The kernel may send fewer than asked without an error: the rest goes
 * in further calls, none twice, none skipped. */
static void test_partial_counts(void **state)
{
	struct sipc__dgb_queue q;
	char buf[1] = {'y'};

	(void)state;
	setup_q(&q, 1024, NULL, 0);
	f.chunk = 3;
	for (int i = 0; i < 10; i++)
		add(&q, i, buf, 1);
	sipc__dgb_flush(&q);
	assert_int_equal(f.calls, 4);
	assert_int_equal(f.nsent, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(f.sent_id[i], i);
		assert_int_equal(f.done_id[i], i);
		assert_int_equal(f.done_res[i], 1);
	}
	sipc__dgb_free(&q);
}

/* Every message fails: each reported with its error, one call each. */
static void test_all_fail(void **state)
{
	struct sipc__dgb_queue q;

	(void)state;
	setup_q(&q, 1024, NULL, 0);
	for (int i = 0; i < 5; i++) {
		f.fail[i] = -EAGAIN;
		add(&q, i, "z", 1);
	}
	sipc__dgb_flush(&q);
	assert_int_equal(f.ndone, 5);
	assert_int_equal(f.calls, 5);
	assert_int_equal(f.nsent, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(f.done_res[i], -EAGAIN);
	sipc__dgb_free(&q);
}

/* Replies outside the kept region are copied: the caller's buffer is
 * reused at once (chargen's, daytime's stack buffer).  Replies inside it
 * are referenced, zero-length ones too. */
static void test_copy_and_keep(void **state)
{
	struct sipc__dgb_queue q;
	char all[80], tmp[8];
	char *keep = all; /* the kept region: the first 64 bytes */

	(void)state;
	memset(all, 'k', sizeof(all));
	setup_q(&q, 1024, keep, 64);
	for (int i = 0; i < 5; i++) {
		memset(tmp, 'a' + i, sizeof(tmp));
		add(&q, i, tmp, sizeof(tmp));
	}
	memset(tmp, '!', sizeof(tmp));
	add(&q, 5, keep + 10, 20);
	add(&q, 6, keep, 0);
	add(&q, 7, keep + 60, 4); /* the last bytes of the region */
	add(&q, 8, keep + 60, 5); /* one past it: copied */
	assert_int_equal(q.arena_used, 5 * 8 + 5);
	assert_ptr_equal(q.iov[5].iov_base, keep + 10);
	assert_ptr_equal(q.iov[7].iov_base, keep + 60);
	assert_ptr_not_equal(q.iov[8].iov_base, keep + 60);
	sipc__dgb_flush(&q);
	assert_int_equal(f.nsent, 9);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(f.sent_len[i], 8);
		assert_int_equal(f.sent_byte[i], 'a' + i);
	}
	assert_int_equal(f.sent_byte[5], 'k');
	assert_int_equal(f.sent_len[6], 0);
	assert_int_equal(f.done_res[6], 0);
	sipc__dgb_free(&q);
}

/* A full queue and a full arena are sent before the next reply is added;
 * a reply larger than the whole arena goes at once, after those before. */
static void test_full(void **state)
{
	struct sipc__dgb_queue q;
	char big[200], tmp[40];

	(void)state;
	setup_q(&q, 100, NULL, 0);
	memset(big, 'B', sizeof(big));
	memset(tmp, 't', sizeof(tmp));
	add(&q, 0, tmp, 40);
	add(&q, 1, tmp, 40);
	assert_int_equal(f.calls, 0);
	add(&q, 2, tmp, 40); /* 120 > 100: the two before go first */
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.nsent, 2);
	assert_int_equal(q.n, 1);
	add(&q, 3, big, sizeof(big)); /* larger than the arena: now, after 2 */
	assert_int_equal(f.nsent, 4);
	assert_int_equal(f.sent_id[2], 2);
	assert_int_equal(f.sent_id[3], 3);
	assert_int_equal(f.sent_len[3], sizeof(big));
	assert_int_equal(q.n, 0);
	/* SIPC__DGB_MAX zero-length replies fill the queue; one more sends
	 * them first. */
	for (int i = 0; i < SIPC__DGB_MAX; i++)
		add(&q, 10 + i, NULL, 0);
	assert_int_equal(f.nsent, 4);
	add(&q, 10 + SIPC__DGB_MAX, NULL, 0);
	assert_int_equal(f.nsent, 4 + SIPC__DGB_MAX);
	sipc__dgb_flush(&q);
	assert_int_equal(f.nsent, 5 + SIPC__DGB_MAX);
	assert_int_equal(f.ndone, 5 + SIPC__DGB_MAX);
	for (int i = 0; i < f.ndone; i++)
		assert_int_equal(f.done_id[i], i < 4 ? i : 10 + (i - 4));
	sipc__dgb_free(&q);
}

/* GSO: runs of one size to one address go as one message, each run at
 * most SIPC__DGB_GSO_SEGS long; other sizes, other addresses and empty
 * replies go alone; every reply reported once, in order. */
static void test_gso_runs(void **state)
{
	struct sipc__dgb_queue q;
	char a[8] = "aaaaaaa", b[8] = "bbbbbbb";

	(void)state;
	setup_q(&q, 4096, NULL, 0);
	q.gso = true;
	/* ids name the destination: 1 1 1 2 1 1 (size 8), 1 (size 4), 1 1 (empty) */
	int dst[] = {1, 1, 1, 2, 1, 1, 1, 1, 1};
	size_t len[] = {8, 8, 8, 8, 8, 8, 4, 0, 0};
	for (int i = 0; i < 9; i++)
		sipc__dgb_add(&q, &ids[dst[i]], sizeof(int), i % 2 ? a : b, len[i], &ids[100 + i]);
	sipc__dgb_flush(&q);
	/* wire: [1 1 1] [2] [1 1] [1:4] [1:0] [1:0] */
	assert_int_equal(f.gso_msgs, 2);
	assert_int_equal(f.gso_segs, 5);
	assert_int_equal(f.nsent, 9);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.ndone, 9);
	for (int i = 0; i < 9; i++) {
		assert_int_equal(f.done_id[i], 100 + i);
		assert_int_equal(f.done_res[i], (ssize_t)len[i]);
		assert_int_equal(f.sent_id[i], dst[i]);
		assert_int_equal(f.sent_byte[i], len[i] ? (i % 2 ? 'a' : 'b') : 0);
	}
	assert_true(q.gso);
	sipc__dgb_free(&q);

	/* A long run is cut at SIPC__DGB_GSO_SEGS. */
	setup_q(&q, 4096, NULL, 0);
	q.gso = true;
	for (int i = 0; i < SIPC__DGB_MAX; i++)
		sipc__dgb_add(&q, &ids[1], sizeof(int), a, 1, &ids[i]);
	sipc__dgb_flush(&q);
	assert_int_equal(f.ndone, SIPC__DGB_MAX);
	assert_int_equal(f.gso_segs, SIPC__DGB_MAX);
	assert_int_equal(f.gso_msgs, (SIPC__DGB_MAX + SIPC__DGB_GSO_SEGS - 1) / SIPC__DGB_GSO_SEGS);
	sipc__dgb_free(&q);
}

/* A GSO message that fails is sent again one reply at a time; after
 * EINVAL (a segment over the MTU) GSO is off for the queue, after EAGAIN
 * it stays on. */
static void test_gso_fallback(void **state)
{
	struct sipc__dgb_queue q;

	(void)state;
	for (int round = 0; round < 2; round++) {
		setup_q(&q, 4096, NULL, 0);
		q.gso = true;
		f.gso_fail = round == 0 ? -EINVAL : -EAGAIN;
		for (int i = 0; i < 4; i++)
			sipc__dgb_add(&q, &ids[1], sizeof(int), "xy", 2, &ids[i]);
		sipc__dgb_add(&q, &ids[2], sizeof(int), "z", 1, &ids[4]);
		sipc__dgb_flush(&q);
		assert_int_equal(f.gso_msgs, 0);
		assert_int_equal(f.nsent, 5);
		assert_int_equal(f.ndone, 5);
		for (int i = 0; i < 5; i++) {
			assert_int_equal(f.done_id[i], i);
			assert_int_equal(f.done_res[i], i < 4 ? 2 : 1);
		}
		assert_int_equal(q.gso, round == 1);
		sipc__dgb_free(&q);
	}
}

static int real_n;
static void real_done(void *ctx, const void *buf, size_t len, ssize_t result)
{
	(void)ctx;
	(void)buf;
	assert_int_equal(result, (ssize_t)len);
	real_n++;
}

/* Through sendmmsg itself on a unixgram pair: each reply one datagram,
 * whole, in order, empty ones too. */
static void test_real_sendmmsg(void **state)
{
	struct sipc__dgb_queue q;
	int sv[2];
	char msg[3][16] = {"first", "", "third one"};
	char got[32];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	memset(&q, 0, sizeof(q));
	assert_int_equal(sipc__dgb_init(&q, 64), 0);
	q.fd = sv[0];
	q.send = sipc__sys_sendmmsg;
	q.done = real_done;
	for (int i = 0; i < 3; i++)
		sipc__dgb_add(&q, NULL, 0, msg[i], strlen(msg[i]), NULL);
	sipc__dgb_flush(&q);
	assert_int_equal(real_n, 3);
	for (int i = 0; i < 3; i++) {
		ssize_t n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
		assert_int_equal(n, (ssize_t)strlen(msg[i]));
		assert_memory_equal(got, msg[i], (size_t)n);
	}
	assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT), -1);
	sipc__dgb_free(&q);
	sipc__dgb_free(NULL);
	close(sv[0]);
	close(sv[1]);
}

/* GSO through the kernel, udp on loopback: a run of equal replies
 * arrives as that many datagrams, whole and in order. */
static void test_real_gso(void **state)
{
	struct sipc__dgb_queue q;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t tolen = sizeof(to);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int v = 0;
	socklen_t vl = sizeof(v);
	char msg[5][8], got[64];

	(void)state;
	assert_true(s >= 0 && r >= 0);
	if (getsockopt(s, SOL_UDP, UDP_SEGMENT, &v, &vl) < 0) {
		close(s);
		close(r);
		skip();
	}
	assert_int_equal(bind(r, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(getsockname(r, (struct sockaddr *)&to, &tolen), 0);
	memset(&q, 0, sizeof(q));
	assert_int_equal(sipc__dgb_init(&q, 256), 0);
	q.fd = s;
	q.gso = true;
	q.send = sipc__sys_sendmmsg;
	q.done = real_done;
	real_n = 0;
	for (int i = 0; i < 5; i++) {
		snprintf(msg[i], sizeof(msg[i]), "seg%04d", i);
		sipc__dgb_add(&q, &to, sizeof(to), msg[i], 7, NULL);
	}
	sipc__dgb_flush(&q);
	assert_int_equal(real_n, 5);
	assert_true(q.gso);
	for (int i = 0; i < 5; i++) {
		ssize_t n = recv(r, got, sizeof(got), MSG_DONTWAIT);
		assert_int_equal(n, 7);
		assert_memory_equal(got, msg[i], 7);
	}
	assert_int_equal(recv(r, got, sizeof(got), MSG_DONTWAIT), -1);
	sipc__dgb_free(&q);
	close(s);
	close(r);
}

/* Collects what a cut gives: offsets and lengths, at most MAXLOG. */
static unsigned cut_all(const uint8_t *buf, size_t len, int seg, size_t *off, size_t *lens)
{
	struct sipc__dgb_cut cut;
	const uint8_t *p;
	size_t n;
	unsigned k = 0;

	sipc__dgb_cut_init(&cut, buf, len, seg);
	while (sipc__dgb_cut_next(&cut, &p, &n)) {
		assert_true(k < MAXLOG);
		off[k] = (size_t)(p - buf);
		lens[k] = n;
		k++;
	}
	/* Once done, it stays done. */
	assert_false(sipc__dgb_cut_next(&cut, &p, &n));
	return k;
}

/* A GRO buffer cut back at its segment size, and every hostile size: 0
 * (or negative: none), one larger than the buffer, equal to it, a buffer
 * that is not a multiple, an empty buffer, a segment of 1.  The pieces
 * always cover the buffer exactly, in order, none empty but an empty
 * buffer's one datagram. */
static void test_gro_cut(void **state)
{
	static uint8_t buf[65536];
	static size_t off[MAXLOG], lens[MAXLOG];
	unsigned k;

	(void)state;
	k = cut_all(buf, 1000, 100, off, lens);
	assert_int_equal(k, 10);
	for (unsigned i = 0; i < k; i++) {
		assert_int_equal(off[i], i * 100);
		assert_int_equal(lens[i], 100);
	}
	/* Not a multiple: the last one is what is left. */
	k = cut_all(buf, 1937, 100, off, lens);
	assert_int_equal(k, 20);
	assert_int_equal(off[19], 1900);
	assert_int_equal(lens[19], 37);
	/* No segment size (no cmsg, or 0, or negative): one datagram. */
	for (int seg = -70000; seg <= 0; seg += 35000) {
		k = cut_all(buf, 1500, seg, off, lens);
		assert_int_equal(k, 1);
		assert_int_equal(off[0], 0);
		assert_int_equal(lens[0], 1500);
	}
	/* Larger than the buffer, or equal to it: one datagram. */
	k = cut_all(buf, 1500, 65535, off, lens);
	assert_int_equal(k, 1);
	assert_int_equal(lens[0], 1500);
	k = cut_all(buf, 1500, 1500, off, lens);
	assert_int_equal(k, 1);
	assert_int_equal(lens[0], 1500);
	k = cut_all(buf, 1500, 1501, off, lens);
	assert_int_equal(k, 1);
	/* An empty buffer is one empty datagram, whatever the size says. */
	k = cut_all(buf, 0, 0, off, lens);
	assert_int_equal(k, 1);
	assert_int_equal(lens[0], 0);
	k = cut_all(buf, 0, 100, off, lens);
	assert_int_equal(k, 1);
	assert_int_equal(lens[0], 0);
	/* Segments of 1 byte: as many datagrams as bytes. */
	k = cut_all(buf, 300, 1, off, lens);
	assert_int_equal(k, 300);
	for (unsigned i = 0; i < k; i++) {
		assert_int_equal(off[i], i);
		assert_int_equal(lens[i], 1);
	}
	/* A last piece of 1 byte. */
	k = cut_all(buf, 201, 100, off, lens);
	assert_int_equal(k, 3);
	assert_int_equal(lens[2], 1);
}

/* Builds a control area holding one message of LEVEL/TYPE with DATALEN
 * bytes of VALUE (an int, cut to DATALEN). */
static void put_cmsg(struct msghdr *h, void *ctl, size_t ctlcap, int level, int type, int value,
		     size_t datalen)
{
	struct cmsghdr *c;

	memset(ctl, 0, ctlcap);
	*h = (struct msghdr){.msg_control = ctl, .msg_controllen = ctlcap};
	c = CMSG_FIRSTHDR(h);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(datalen);
	memcpy(CMSG_DATA(c), &value, datalen < sizeof(value) ? datalen : sizeof(value));
	h->msg_controllen = CMSG_SPACE(datalen);
}

/* The UDP_GRO control message read back, and every way it can be wrong:
 * none, another level or type, too short to hold an int, zero, negative,
 * a controllen that says less than the header. */
static void test_gro_size(void **state)
{
	union {
		char buf[CMSG_SPACE(sizeof(int)) * 2];
		struct cmsghdr align;
	} ctl;
	struct msghdr h = {0};

	(void)state;
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_UDP, 104, 1400, sizeof(int));
	assert_int_equal(sipc__sys_udp_gro_size(&h), 1400);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_SOCKET, 104, 1400, sizeof(int));
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_UDP, 103, 1400, sizeof(int));
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_UDP, 104, 1400, 2);
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_UDP, 104, 0, sizeof(int));
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_UDP, 104, -5, sizeof(int));
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
	put_cmsg(&h, ctl.buf, sizeof(ctl.buf), SOL_UDP, 104, 1400, sizeof(int));
	h.msg_controllen = sizeof(struct cmsghdr) - 1;
	assert_int_equal(sipc__sys_udp_gro_size(&h), 0);
}

/* The real kernel: a GSO send of 20 datagrams (the last shorter) to a
 * socket with UDP_GRO comes as one buffer over loopback, and the cut
 * gives each datagram back with its own bytes. */
static void test_real_gro(void **state)
{
	int tx, rx;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	static uint8_t out[1937], in[65536];
	union {
		char buf[SIPC__DGB_GRO_CMSG];
		struct cmsghdr align;
	} ctl, sctl;
	struct iovec iov = {out, sizeof(out)}, riov = {in, sizeof(in)};
	struct msghdr mh = {
		.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov, .msg_iovlen = 1};
	struct msghdr rh = {.msg_iov = &riov, .msg_iovlen = 1};
	struct cmsghdr *c;
	uint16_t seg = 100;
	struct sipc__dgb_cut cut;
	const uint8_t *p;
	size_t n;
	unsigned k = 0;
	ssize_t got;

	(void)state;
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(rx >= 0 && tx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&a, &al), 0);
	if (!sipc__sys_udp_gro_enable(rx)) {
		close(rx);
		close(tx);
		skip();
	}
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i / 100 + 1);
	mh.msg_control = sctl.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(seg));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = 103; /* UDP_SEGMENT */
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	if (sendmsg(tx, &mh, 0) != (ssize_t)sizeof(out)) {
		close(rx);
		close(tx);
		skip(); /* no UDP GSO here */
	}
	rh.msg_control = ctl.buf;
	rh.msg_controllen = sizeof(ctl.buf);
	got = recvmsg(rx, &rh, 0);
	assert_int_equal(got, sizeof(out));
	assert_int_equal(sipc__sys_udp_gro_size(&rh), 100);
	sipc__dgb_cut_init(&cut, in, (size_t)got, sipc__sys_udp_gro_size(&rh));
	while (sipc__dgb_cut_next(&cut, &p, &n)) {
		assert_int_equal(n, k < 19 ? 100 : 37);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], k + 1);
		k++;
	}
	assert_int_equal(k, 20);
	close(rx);
	close(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_in_the_middle),
		cmocka_unit_test(test_partial_counts),
		cmocka_unit_test(test_all_fail),
		cmocka_unit_test(test_copy_and_keep),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_gso_runs),
		cmocka_unit_test(test_gso_fallback),
		cmocka_unit_test(test_real_sendmmsg),
		cmocka_unit_test(test_real_gso),
		cmocka_unit_test(test_gro_cut),
		cmocka_unit_test(test_gro_size),
		cmocka_unit_test(test_real_gro),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
