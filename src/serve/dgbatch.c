/*
 * dgbatch.c - the reply queue of datagram endpoints (dgbatch.h).
 */
#include "serve/dgbatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"

int sipc__dgb_init(struct sipc__dgb_queue *q, size_t arena_cap)
{
	uint8_t *arena = malloc(arena_cap > 0 ? arena_cap : 1);

	if (arena == NULL)
		return -ENOMEM;
	q->arena = arena;
	q->arena_cap = arena_cap;
	q->arena_used = 0;
	q->n = 0;
	return 0;
}

void sipc__dgb_free(struct sipc__dgb_queue *q)
{
	if (q == NULL)
		return;
	free(q->arena);
	q->arena = NULL;
	q->arena_cap = 0;
	q->n = 0;
}

static int kept(const struct sipc__dgb_queue *q, const void *buf, size_t len)
{
	uintptr_t p = (uintptr_t)buf, k = (uintptr_t)q->keep;

	return q->keep != NULL && p >= k && p - k <= q->keep_len && len <= q->keep_len - (p - k);
}

static void push(struct sipc__dgb_queue *q, const void *name, socklen_t namelen, const void *buf,
		 size_t len, void *ctx)
{
	unsigned i = q->n++;

	q->iov[i].iov_base = (void *)buf;
	q->iov[i].iov_len = len;
	memset(&q->msg[i], 0, sizeof(q->msg[i]));
	q->msg[i].msg_hdr.msg_name = (void *)name;
	q->msg[i].msg_hdr.msg_namelen = namelen;
	q->msg[i].msg_hdr.msg_iov = &q->iov[i];
	q->msg[i].msg_hdr.msg_iovlen = 1;
	q->ctx[i] = ctx;
}

void sipc__dgb_add(struct sipc__dgb_queue *q, const void *name, socklen_t namelen, const void *buf,
		   size_t len, void *ctx)
{
	if (q->n == SIPC__DGB_MAX)
		sipc__dgb_flush(q);
	if (len == 0 || kept(q, buf, len)) {
		push(q, name, namelen, buf, len, ctx);
		return;
	}
	if (len > q->arena_cap) {
		/* Too large to copy: it goes now, behind what was queued. */
		push(q, name, namelen, buf, len, ctx);
		sipc__dgb_flush(q);
		return;
	}
	if (len > q->arena_cap - q->arena_used)
		sipc__dgb_flush(q);
	memcpy(q->arena + q->arena_used, buf, len);
	push(q, name, namelen, q->arena + q->arena_used, len, ctx);
	q->arena_used += len;
}

/* Sends replies [from, to) one message each, reporting each. */
static void send_plain(struct sipc__dgb_queue *q, unsigned from, unsigned to)
{
	unsigned i = from;

	/* sendmmsg stops at the first message that fails: the count sent so
	 * far comes back, and the failing one is retried alone next, which
	 * returns its error.  So each pass moves on by one message at least. */
	while (i < to) {
		int r = q->send(q->fd, &q->msg[i], to - i, MSG_DONTWAIT);

		if (r > 0) {
			for (unsigned k = i; k < i + (unsigned)r && k < to; k++)
				q->done(q->ctx[k], q->iov[k].iov_base, q->iov[k].iov_len,
					(ssize_t)q->msg[k].msg_len);
			i += (unsigned)r;
			continue;
		}
		q->done(q->ctx[i], q->iov[i].iov_base, q->iov[i].iov_len, r < 0 ? r : -EIO);
		i++;
	}
}

static bool same_run(const struct sipc__dgb_queue *q, unsigned a, unsigned b)
{
	const struct msghdr *x = &q->msg[a].msg_hdr, *y = &q->msg[b].msg_hdr;

	return q->iov[a].iov_len == q->iov[b].iov_len && x->msg_namelen == y->msg_namelen &&
	       (x->msg_namelen == 0 || memcmp(x->msg_name, y->msg_name, x->msg_namelen) == 0);
}

/* Groups the queue into wire messages: runs of one size to one address
 * become one GSO message.  Returns the number of wire messages. */
static unsigned build_wire(struct sipc__dgb_queue *q)
{
	unsigned w = 0;

	for (unsigned i = 0; i < q->n; w++) {
		unsigned j = i + 1;
		size_t len = q->iov[i].iov_len;

		while (q->gso && len > 0 && j < q->n && j - i < SIPC__DGB_GSO_SEGS &&
		       (j - i + 1) * len <= SIPC__DGB_GSO_BYTES && same_run(q, i, j))
			j++;
		q->wire[w] = q->msg[i];
		q->first[w] = i;
		q->count[w] = j - i;
		if (j - i > 1) {
			struct msghdr *h = &q->wire[w].msg_hdr;

			h->msg_iovlen = j - i;
			h->msg_control = q->cmsg[w].buf;
			h->msg_controllen = sizeof(q->cmsg[w].buf);
			sipc__sys_udp_gso_cmsg(h, (uint16_t)len);
		}
		i = j;
	}
	return w;
}

/* Wire message W failed with ERR: a single reply is reported; a GSO run
 * is sent again one by one (and GSO given up on where it cannot work). */
static void wire_failed(struct sipc__dgb_queue *q, unsigned w, int err)
{
	unsigned i = q->first[w];

	if (q->count[w] == 1) {
		q->done(q->ctx[i], q->iov[i].iov_base, q->iov[i].iov_len, err);
		return;
	}
	if (err == -EINVAL || err == -EIO || err == -EOPNOTSUPP)
		q->gso = false;
	send_plain(q, i, i + q->count[w]);
}

void sipc__dgb_flush(struct sipc__dgb_queue *q)
{
	unsigned nw, w = 0;

	if (!q->gso) {
		send_plain(q, 0, q->n);
		goto out;
	}
	nw = build_wire(q);
	while (w < nw) {
		int r = q->send(q->fd, &q->wire[w], nw - w, MSG_DONTWAIT);

		if (r <= 0) {
			wire_failed(q, w, r < 0 ? r : -EIO);
			w++;
			continue;
		}
		for (unsigned v = w; v < w + (unsigned)r && v < nw; v++) {
			/* A GSO message is sent whole or not at all. */
			for (unsigned k = q->first[v]; k < q->first[v] + q->count[v]; k++)
				q->done(q->ctx[k], q->iov[k].iov_base, q->iov[k].iov_len,
					q->count[v] == 1 ? (ssize_t)q->wire[v].msg_len
							 : (ssize_t)q->iov[k].iov_len);
		}
		w += (unsigned)r;
	}
out:
	q->n = 0;
	q->arena_used = 0;
}
