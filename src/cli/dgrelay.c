/*
 * dgrelay.c - the batched datagram side of the relay (dgrelay.h).
 */
#include "cli/dgrelay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"

int sipc__dgrelay_init(struct sipc__dgrelay *x, int fd, size_t slot, bool udp)
{
	memset(x, 0, sizeof(*x));
	/* Pages of a buffer are touched only as far as datagrams fill them:
	 * small datagrams cost a page each, whatever the slot. */
	x->area = malloc(SIPC__DGRELAY_N * slot);
	if (x->area == NULL)
		return -ENOMEM;
	x->fd = fd;
	x->slot = slot;
	/* A GRO buffer holds up to SIPC__DGB_GRO_BYTES: only with slots that
	 * large (an old kernel refuses it: datagrams then come one by one). */
	if (udp && slot >= SIPC__DGB_GRO_BYTES)
		(void)sipc__sys_udp_gro_enable(fd);
	return 0;
}

void sipc__dgrelay_free(struct sipc__dgrelay *x)
{
	free(x->area);
	x->area = NULL;
}

bool sipc__dgrelay_held(const struct sipc__dgrelay *x)
{
	return x->cutting || x->next < x->got;
}

/* Starts handing out buffer x->next. */
static void start_cut(struct sipc__dgrelay *x)
{
	unsigned k = x->next++;
	size_t n = x->msg[k].msg_len;

	/* MSG_TRUNC: msg_len is the real size; a datagram larger than its
	 * buffer is reported whole, never cut in segments. */
	x->trunc = n > x->slot;
	x->trunc_len = n;
	sipc__dgb_cut_init(&x->cut, x->iov[k].iov_base, x->trunc ? 0 : n,
			   x->trunc ? 0 : sipc__sys_udp_gro_size(&x->msg[k].msg_hdr));
	x->cutting = true;
}

int sipc__dgrelay_peek(struct sipc__dgrelay *x, const uint8_t **p, size_t *len, bool *trunc)
{
	for (;;) {
		struct sipc__dgb_cut c;

		if (x->cutting) {
			c = x->cut; /* a peek does not move the cut */
			if (sipc__dgb_cut_next(&c, p, len)) {
				*trunc = x->trunc;
				if (x->trunc)
					*len = x->trunc_len;
				return 1;
			}
			x->cutting = false;
		}
		if (x->next < x->got) {
			start_cut(x);
			continue;
		}
		for (unsigned k = 0; k < SIPC__DGRELAY_N; k++) {
			x->iov[k] = (struct iovec){x->area + k * x->slot, x->slot};
			x->msg[k] = (struct mmsghdr){0};
			x->msg[k].msg_hdr.msg_iov = &x->iov[k];
			x->msg[k].msg_hdr.msg_iovlen = 1;
			x->msg[k].msg_hdr.msg_control = x->ctl[k].buf;
			x->msg[k].msg_hdr.msg_controllen = sizeof(x->ctl[k].buf);
		}
		int got = sipc__sys_recvmmsg(x->fd, x->msg, SIPC__DGRELAY_N,
					     MSG_TRUNC | MSG_DONTWAIT);
		if (got <= 0)
			return got < 0 ? got : -EAGAIN;
		x->got = (unsigned)got;
		x->next = 0;
	}
}

void sipc__dgrelay_take(struct sipc__dgrelay *x)
{
	const uint8_t *p;
	size_t len;

	if (x->cutting && (!sipc__dgb_cut_next(&x->cut, &p, &len) || sipc__dgb_cut_done(&x->cut)))
		x->cutting = false;
}

int sipc__dgrelay_send(struct sipc__dgrelay *x, const struct iovec *rec, unsigned n)
{
	struct mmsghdr m[SIPC__DGRELAY_N];

	if (n > SIPC__DGRELAY_N)
		n = SIPC__DGRELAY_N;
	for (unsigned k = 0; k < n; k++) {
		m[k] = (struct mmsghdr){0};
		m[k].msg_hdr.msg_iov = (struct iovec *)&rec[k];
		m[k].msg_hdr.msg_iovlen = 1;
	}
	return sipc__sys_sendmmsg(x->fd, m, n, MSG_DONTWAIT);
}
