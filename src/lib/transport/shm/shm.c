/*
 * shm.c - the shm:// transport table: the rendezvous is a unix stream
 * socket (unix.c's bind: stale socket files, mode, unlink on close, and
 * the abstract namespace), and each connection gets, in attach, the state
 * of its two rings, which the handshake (handshake.c) fills and the
 * connection I/O (conn.c) moves bytes through.  A listener holds no state:
 * an accepted connection takes its ring size and spin mode from the
 * listener's URL options (ep->sockopts), a dialed one from its own, read
 * when the handshake starts (so that serve can give a listener or backend
 * it wrapped from a descriptor the options of its URL first).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sockopt.h"
#include "transport/shm/shm.h"
#include "transport/transport.h"

static int shm_attach(sipc_endpoint *ep, const struct sipc__attach *how)
{
	struct sipc__shm_conn *c;

	/* A listener only accepts: its connections get the state. */
	if (how->kind == SIPC__ATTACH_LISTEN || (how->kind == SIPC__ATTACH_FROM_FD && ep->listener))
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	/* An accepted side takes the dialer's hello first (handshake.c). */
	c->hs = how->kind == SIPC__ATTACH_ACCEPT ? SIPC__SHM_HS_RECV : SIPC__SHM_HS_SEND;
	c->tx_fd = -1;
	c->rx_fd = -1;
	ep->tp_state = c;
	return 0;
}

/* Whether this machine has a single processor online: asked once per
 * process (sysconf reads a file in /sys, three system calls a connection
 * otherwise); racing first callers both ask and store the same answer. */
static bool one_cpu(void)
{
	static _Atomic int known; /* 0 not yet, 1 one CPU, 2 more */
	int k = atomic_load_explicit(&known, memory_order_relaxed);

	if (k == 0) {
		k = sysconf(_SC_NPROCESSORS_ONLN) < 2 ? 1 : 2;
		atomic_store_explicit(&known, k, memory_order_relaxed);
	}
	return k == 1;
}

void sipc__shm_options(const sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	const struct sipc__sockopts *o = &ep->sockopts;

	c->ring_size = sipc__opt_has(o, SIPC__OPT_RING) ? (size_t)o->num[SIPC__OPT_RING]
							: SIPC__RING_DEFAULT;
	c->adaptive = !sipc__opt_has(o, SIPC__OPT_SPIN);
	c->spin_max = c->adaptive ? SIPC__SHM_SPIN_DEFAULT : (long)o->num[SIPC__OPT_SPIN];
	/* On one processor the peer cannot run while we spin: by default,
	 * never (spin= still does what it says). */
	if (c->adaptive && one_cpu())
		c->spin_max = 0;
	sipc__spin_init(&c->spin, c->spin_max, c->adaptive);
}

size_t sipc__shm_ring_max(const sipc_endpoint *ep)
{
	const struct sipc__sockopts *o = &ep->sockopts;
	size_t own = sipc__opt_has(o, SIPC__OPT_RING) ? (size_t)o->num[SIPC__OPT_RING]
						      : SIPC__RING_DEFAULT;

	if (sipc__opt_has(o, SIPC__OPT_RING_MAX))
		return (size_t)o->num[SIPC__OPT_RING_MAX]; /* >= ring=, urlopt.c checks */
	/* A peer with our own URL always gets through. */
	return own > SIPC__RING_PEER_MAX_DEFAULT ? own : SIPC__RING_PEER_MAX_DEFAULT;
}

const struct sipc__transport sipc__transport_shm = {
	.proto = "shm",
	.socktype = SOCK_STREAM,
	.listens = true,
	.before_bind = NULL,
	.bind = sipc__unix_bind,
	.before_connect = NULL,
	.after_connect = NULL,
	.attach = shm_attach,
	.io = &sipc__conn_ops_shm,
};
