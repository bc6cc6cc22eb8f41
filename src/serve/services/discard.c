/*
 * discard.c - RFC 863: everything received is dropped; nothing is ever
 * sent.  The connection ends when the client's data ends.
 */
#include "serve/services/services.h"

static void discard_data(struct sipc_conn *c, const uint8_t *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
}

const struct sipc_service sipc__svc_discard = {
	.name = "discard",
	.usage = "discard",
	.min_args = 0,
	.max_args = 0,
	.kinds = SIPC_SVC_STREAM | SIPC_SVC_SEQPACKET | SIPC_SVC_DGRAM,
	.models = SIPC_MODEL_EVENT | SIPC_MODEL_THREAD | SIPC_MODEL_FORK,
	.on_data = discard_data,
};
