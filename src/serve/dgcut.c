/*
 * dgcut.c - the cutting of a GRO buffer back into its datagrams
 * (sipc__dgb_cut of dgbatch.h): plain arithmetic on a buffer, apart from
 * dgbatch.c's control messages so that it builds wherever the relay does
 * (the Windows sockipc.exe, which has no UDP_GRO: one datagram a buffer).
 */
#include "serve/dgbatch.h"

void sipc__dgb_cut_init(struct sipc__dgb_cut *c, const void *buf, size_t len, int seg)
{
	c->p = buf;
	c->left = len;
	c->seg = seg <= 0 || (size_t)seg >= len ? len : (size_t)seg;
	c->started = false;
}

bool sipc__dgb_cut_done(const struct sipc__dgb_cut *c)
{
	/* An empty buffer is one empty datagram, given once. */
	return c->started && c->left == 0;
}

bool sipc__dgb_cut_next(struct sipc__dgb_cut *c, const uint8_t **p, size_t *len)
{
	size_t n;

	if (sipc__dgb_cut_done(c))
		return false;
	c->started = true;
	n = c->left < c->seg ? c->left : c->seg;
	*p = c->p;
	*len = n;
	c->p += n;
	c->left -= n;
	return true;
}
