/*
 * dgbatch.h - the reply queue of datagram endpoints: the replies to one
 * received batch are queued and sent with sendmmsg, in the order they were
 * made, each to its own address.  A reply whose bytes lie in the region
 * the caller keeps valid until the flush (the batch's receive buffers: an
 * echo) is referenced; any other is copied into the queue's arena.  After
 * the flush each reply's fate goes to the done callback, one by one and in
 * order: a reply that cannot go (EAGAIN, ENOBUFS, ECONNREFUSED...) is
 * reported alone and the rest still go, so no reply waits and none is
 * lost without a report.  With `gso` set (a udp socket whose kernel has
 * UDP_SEGMENT), consecutive replies of one size to one address go as one
 * message cut by the kernel (GSO): the peer still gets them one datagram
 * each.  When such a message fails, its replies are sent again one by
 * one, and after EINVAL, EIO or EOPNOTSUPP (a segment over the path's MTU,
 * no offload) gso is turned off for the queue.  No locking: one worker
 * owns a queue.
 *
 * On receive, a udp socket with UDP_GRO set (udp(7)) may get several
 * datagrams of one sender coalesced into one buffer, with the segment size
 * in a UDP_GRO control message: sipc__dgb_cut gives them back one by one,
 * so a boundary is never lost.  Such a buffer holds up to 64 KiB
 * (SIPC__DGB_GRO_BYTES), whatever the largest datagram served.
 */
#ifndef SIPC_SERVE_DGBATCH_H
#define SIPC_SERVE_DGBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sys/net.h"
#include <sys/types.h>

/* Replies per sendmmsg: a full queue is flushed before the next is added. */
#define SIPC__DGB_MAX 64
/* At most this many replies in one GSO message (the kernel's
 * UDP_MAX_SEGMENTS), and this many bytes. */
#define SIPC__DGB_GSO_SEGS  64
#define SIPC__DGB_GSO_BYTES 65000

/* sendmmsg's shape (sipc__sys_sendmmsg): messages sent, or -errno. */
typedef int sipc__dgb_send_fn(int fd, struct mmsghdr *v, unsigned n, int flags);
/* One reply's fate: RESULT is the bytes sent, or a negative code. */
typedef void sipc__dgb_done_fn(void *ctx, const void *buf, size_t len, ssize_t result);

struct sipc__dgb_queue {
	int fd;
	sipc__dgb_send_fn *send;
	sipc__dgb_done_fn *done;
	const uint8_t *keep; /* [keep, keep + keep_len): valid until the flush */
	size_t keep_len;
	uint8_t *arena; /* copies of the other replies */
	size_t arena_cap;
	size_t arena_used;
	bool gso; /* the caller's: UDP_SEGMENT may be used on fd */
	unsigned n;
	struct mmsghdr msg[SIPC__DGB_MAX];
	struct iovec iov[SIPC__DGB_MAX];
	void *ctx[SIPC__DGB_MAX];
	/* The flush's messages: one per reply, or one per run of GSO. */
	struct mmsghdr wire[SIPC__DGB_MAX];
	unsigned first[SIPC__DGB_MAX], count[SIPC__DGB_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cmsg[SIPC__DGB_MAX];
};

/* An empty queue with an arena of ARENA_CAP bytes: 0, or -ENOMEM. */
int sipc__dgb_init(struct sipc__dgb_queue *q, size_t arena_cap);
void sipc__dgb_free(struct sipc__dgb_queue *q);
/* Queues LEN bytes of BUF for NAME (which must stay valid until the
 * flush), flushing first when the queue or its arena is full.  A reply
 * larger than the arena and outside the kept region is sent at once, after
 * those queued before it.  CTX goes to the done callback. */
void sipc__dgb_add(struct sipc__dgb_queue *q, const void *name, socklen_t namelen, const void *buf,
		   size_t len, void *ctx);
/* Sends everything queued (MSG_DONTWAIT), reports each reply, empties the
 * queue.  At most one send call per reply. */
void sipc__dgb_flush(struct sipc__dgb_queue *q);

/* A UDP GRO receive is at most this long (one IP packet's worth). */
#define SIPC__DGB_GRO_BYTES ((size_t)64 << 10)
/* Control bytes a receive needs for the UDP_GRO message. */
#define SIPC__DGB_GRO_CMSG CMSG_SPACE(sizeof(int))

/* GRO itself is turned on and read with sipc__sys_udp_gro_enable and
 * sipc__sys_udp_gro_size (sys.h). */

/* Cuts a received buffer back into its datagrams: each SEG bytes, the
 * last one what is left (shorter when LEN is not a multiple).  SEG 0, or
 * one not smaller than LEN, is a single datagram of LEN bytes (an empty
 * one included). */
struct sipc__dgb_cut {
	const uint8_t *p;
	size_t left;
	size_t seg;
	bool started;
};
void sipc__dgb_cut_init(struct sipc__dgb_cut *c, const void *buf, size_t len, int seg);
/* The next datagram into *P and *LEN: false once there is none left. */
bool sipc__dgb_cut_next(struct sipc__dgb_cut *c, const uint8_t **p, size_t *len);
/* Whether sipc__dgb_cut_next has given every datagram. */
bool sipc__dgb_cut_done(const struct sipc__dgb_cut *c);

#endif /* SIPC_SERVE_DGBATCH_H */
