/*
 * echo.c - RFC 862.  Streams: every byte comes back; reading is limited to
 * the room left in the connection's output buffer, so a client that sends
 * but does not read is throttled rather than buffered; at the client's end
 * of data the rest is flushed and the connection ends.  Seqpacket and
 * datagrams: each message comes back whole, empty ones too.
 */
#include <errno.h>

#include "serve/services/services.h"

static size_t echo_budget(struct sipc_conn *c)
{
	return sipc__conn_out_room(c);
}

static void echo_data(struct sipc_conn *c, const uint8_t *buf, size_t len)
{
	/* The budget guaranteed room for all of it. */
	if (sipc__conn_write(c, buf, len) < len)
		sipc__conn_close(c, "output buffer overrun");
}

/* Urgent data comes back as urgent data, at the same place in the
 * stream: after the bytes sent before it, before those sent after. */
static void echo_urgent(struct sipc_conn *c, uint8_t byte)
{
	/* The budget (reading waits for room) left room for it. */
	if (sipc__conn_write_urgent(c, byte) == -ENOBUFS)
		sipc__conn_close(c, "output buffer overrun");
}

static void echo_datagram(struct sipc_dgram *d, const uint8_t *buf, size_t len)
{
	(void)sipc__dgram_reply(d, buf, len);
}

const struct sipc_service sipc__svc_echo = {
	.name = "echo",
	.usage = "echo",
	.min_args = 0,
	.max_args = 0,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET | SIPC__SVC_DGRAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.rx_budget = echo_budget,
	.on_data = echo_data,
	.on_urgent = echo_urgent,
	.on_datagram = echo_datagram,
};
