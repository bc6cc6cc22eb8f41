/*
 * epspin.h - an endpoint in a loop: the loop's events for the poll(2)
 * events an endpoint speaks in (sipc_endpoint_want), and the ready() and
 * sleep() that make an io on an endpoint's descriptor spin (loop.h's
 * busy-poll, for shm://): ready() asks the endpoint what can go on from
 * memory, sleep() arms it (sipc_endpoint_want) and asks again.
 */
#ifndef SIPC_EPSPIN_H
#define SIPC_EPSPIN_H

#include <stdint.h>

#include "loop/loop.h"
#include "sockipc.h"
#include "sys/net.h" /* POLLIN, POLLOUT: poll.h, or WinSock's */

/* The loop's events (SIPC_LOOP_IN, _OUT) for poll(2)'s POLLIN, POLLOUT. */
static inline uint32_t sipc__loop_events(short ev)
{
	return (ev & POLLIN ? SIPC_LOOP_IN : 0) | (ev & POLLOUT ? SIPC_LOOP_OUT : 0);
}

static inline uint32_t sipc__ep_spin_ready(sipc_endpoint *ep, short ev)
{
	return sipc__loop_events(sipc_endpoint_ready(ep, ev));
}

static inline uint32_t sipc__ep_spin_sleep(sipc_endpoint *ep, short ev)
{
	(void)sipc_endpoint_want(ep, ev);
	return sipc__ep_spin_ready(ep, ev);
}

#endif /* SIPC_EPSPIN_H */
