/*
 * dgbatch.c - the reply queue of datagram endpoints (dgbatch.h).
 */
#include "serve/dgbatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

void sipc__dgb_flush(struct sipc__dgb_queue *q)
{
	unsigned i = 0;

	/* sendmmsg stops at the first message that fails: the count sent so
	 * far comes back, and the failing one is retried alone next, which
	 * returns its error.  So each pass moves on by one message at least. */
	while (i < q->n) {
		int r = q->send(q->fd, &q->msg[i], q->n - i, MSG_DONTWAIT);

		if (r > 0) {
			for (unsigned k = i; k < i + (unsigned)r && k < q->n; k++)
				q->done(q->ctx[k], q->iov[k].iov_base, q->iov[k].iov_len,
					(ssize_t)q->msg[k].msg_len);
			i += (unsigned)r;
			continue;
		}
		q->done(q->ctx[i], q->iov[i].iov_base, q->iov[i].iov_len, r < 0 ? r : -EIO);
		i++;
	}
	q->n = 0;
	q->arena_used = 0;
}
