/*
 * uring_echo.c - the minimal completion-based echo loop: what io_uring can
 * do on this machine, beside epoll_echo.c (what epoll can do), so that
 * bench/run shows how far `sockipc serve --io uring` is from each.  One
 * thread, one ring: a multishot accept, a multishot receive per
 * connection into a ring of provided buffers (no buffer held by an idle
 * connection), a send of each received buffer straight from it (the
 * buffer goes back to the ring when its send completes), and one
 * io_uring_enter per turn that submits every send and waits for the next
 * completion.  No limits, no logs; a connection whose send is short is
 * sent the rest from the same buffer before anything else it sent.
 *
 *   uring_echo tcp HOST PORT | unix PATH
 *
 * Prints "listening PORT-OR-PATH" on stdout when ready.  Built by bench/run
 * with cc -luring (liburing-dev); not part of the sockipc build.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NBUF  4096 /* provided buffers (a power of two) */
#define BUFSZ (16 * 1024)
#define BGID  1
#define DEPTH 4096 /* submission queue entries */
#define MAXFD 65536

/* user_data: the operation in the top byte, the descriptor below, and for
 * a send the buffer id in bits 32..47. */
enum { OP_ACCEPT = 1, OP_RECV, OP_SEND };
#define UD(op, fd, bid) (((uint64_t)(op) << 56) | ((uint64_t)(bid) << 32) | (uint32_t)(fd))

struct conn {
	/* Sends in flight or waiting, in order: a short send must finish
	 * before the next buffer goes out, or the peer sees bytes out of
	 * order.  A small queue of (buffer id, offset, length). */
	unsigned q[64][3];
	unsigned head, n;
	int recv_on, closing;
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static struct conn *conns[MAXFD];

static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(err));
	exit(1);
}

static struct io_uring_sqe *sqe(void)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (s == NULL) {
		io_uring_submit(&ring);
		s = io_uring_get_sqe(&ring);
		if (s == NULL)
			die("io_uring_get_sqe", EBUSY);
	}
	return s;
}

static void give_back(unsigned bid)
{
	io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid,
			      io_uring_buf_ring_mask(NBUF), 0);
	io_uring_buf_ring_advance(br, 1);
}

static void arm_recv(int fd)
{
	struct io_uring_sqe *s = sqe();
	io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, UD(OP_RECV, fd, 0));
	conns[fd]->recv_on = 1;
}

static void send_head(int fd)
{
	struct conn *c = conns[fd];
	unsigned *e = c->q[c->head];
	struct io_uring_sqe *s = sqe();
	io_uring_prep_send(s, fd, bufs + (size_t)e[0] * BUFSZ + e[1], e[2], MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, UD(OP_SEND, fd, e[0]));
}

static void conn_free(int fd)
{
	struct conn *c = conns[fd];
	if (c->recv_on || c->n > 0)
		return; /* the last completion frees it */
	conns[fd] = NULL;
	free(c);
	close(fd);
}

static int open_listener(const char *kind, char **argv)
{
	int unix_ = strcmp(kind, "unix") == 0, fd, one = 1;

	if (unix_) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[0]);
		unlink(argv[0]);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("bind", errno);
		printf("listening %s\n", argv[0]);
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
		socklen_t len = sizeof sa;
		inet_pton(AF_INET, argv[0], &sa.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("bind", errno);
		getsockname(fd, (struct sockaddr *)&sa, &len);
		printf("listening %d\n", ntohs(sa.sin_port));
	}
	if (listen(fd, 4096) < 0)
		die("listen", errno);
	fflush(stdout);
	return fd;
}

static void on_accept(int lfd, struct io_uring_cqe *cqe, int tcp)
{
	int fd = cqe->res, one = 1;

	if (!(cqe->flags & IORING_CQE_F_MORE)) { /* the multishot ended: again */
		struct io_uring_sqe *s = sqe();
		io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
		io_uring_sqe_set_data64(s, UD(OP_ACCEPT, lfd, 0));
	}
	if (fd < 0)
		return;
	if (fd >= MAXFD || (conns[fd] = calloc(1, sizeof(struct conn))) == NULL) {
		close(fd);
		return;
	}
	if (tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	arm_recv(fd);
}

static void on_recv(int fd, struct io_uring_cqe *cqe)
{
	struct conn *c = conns[fd];

	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_on = 0;
	if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (c->closing || c->n == 64) { /* a peer that never reads */
			give_back(bid);
			c->closing = 1;
		} else {
			unsigned *e = c->q[(c->head + c->n) % 64];
			e[0] = bid;
			e[1] = 0;
			e[2] = (unsigned)cqe->res;
			if (c->n++ == 0)
				send_head(fd);
		}
	} else if (cqe->res == -ENOBUFS && !c->closing) {
		/* every buffer is out: receive again when some come back */
	} else if (cqe->res <= 0) {
		c->closing = 1;
	}
	if (!c->recv_on && !c->closing)
		arm_recv(fd);
	else if (!c->recv_on)
		conn_free(fd);
}

static void on_send(int fd, unsigned bid, struct io_uring_cqe *cqe)
{
	struct conn *c = conns[fd];
	unsigned *e = c->q[c->head];

	if (cqe->res < 0) {
		c->closing = 1;
	} else if ((unsigned)cqe->res < e[2] && !c->closing) {
		e[1] += (unsigned)cqe->res;
		e[2] -= (unsigned)cqe->res;
		send_head(fd);
		return;
	}
	give_back(bid);
	c->head = (c->head + 1) % 64;
	c->n--;
	if (c->closing) {
		while (c->n > 0) {
			give_back(c->q[c->head][0]);
			c->head = (c->head + 1) % 64;
			c->n--;
		}
		if (c->recv_on) {
			struct io_uring_sqe *s = sqe();
			io_uring_prep_cancel64(s, UD(OP_RECV, fd, 0), 0);
			io_uring_sqe_set_data64(s, 0);
		}
		conn_free(fd);
	} else if (c->n > 0) {
		send_head(fd);
	}
}

int main(int argc, char **argv)
{
	struct io_uring_params p = {0};
	struct io_uring_buf_reg reg = {0};
	int lfd, tcp, err;

	if (argc < 3 || (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "unix") != 0)) {
		fprintf(stderr, "usage: uring_echo tcp HOST PORT | unix PATH\n");
		return 2;
	}
	tcp = strcmp(argv[1], "tcp") == 0;
	lfd = open_listener(argv[1], argv + 2);
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
	p.cq_entries = DEPTH * 4;
	err = io_uring_queue_init_params(DEPTH, &ring, &p);
	if (err < 0)
		die("io_uring_queue_init", -err);
	if (posix_memalign((void **)&br, 4096, NBUF * sizeof(struct io_uring_buf)) != 0 ||
	    (bufs = malloc((size_t)NBUF * BUFSZ)) == NULL)
		die("malloc", ENOMEM);
	io_uring_buf_ring_init(br);
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = NBUF;
	reg.bgid = BGID;
	err = io_uring_register_buf_ring(&ring, &reg, 0);
	if (err < 0)
		die("io_uring_register_buf_ring", -err);
	for (unsigned i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i,
				      io_uring_buf_ring_mask(NBUF), (int)i);
	io_uring_buf_ring_advance(br, NBUF);

	struct io_uring_sqe *s = sqe();
	io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, UD(OP_ACCEPT, lfd, 0));
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		err = io_uring_submit_and_wait(&ring, 1);
		if (err < 0 && err != -EINTR)
			die("io_uring_submit_and_wait", -err);
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			uint64_t ud = cqe->user_data;
			int fd = (int)(uint32_t)ud;
			seen++;
			switch (ud >> 56) {
			case OP_ACCEPT:
				on_accept(lfd, cqe, tcp);
				break;
			case OP_RECV:
				if (conns[fd] != NULL)
					on_recv(fd, cqe);
				break;
			case OP_SEND:
				if (conns[fd] != NULL)
					on_send(fd, (unsigned)(ud >> 32) & 0xffff, cqe);
				break;
			}
		}
		io_uring_cq_advance(&ring, seen);
	}
}
