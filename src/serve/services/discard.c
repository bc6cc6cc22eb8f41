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
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET | SIPC__SVC_DGRAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.on_data = discard_data,
};
