/*
 * time.c - RFC 868: four bytes, big-endian, the seconds since 1900-01-01
 * 00:00 UTC modulo 2^32 (so the value wraps in 2036 as the RFC's readers
 * expect), then the end.  Datagrams: any datagram, empty too, gets them.
 */
#include "serve/services/services.h"

/* Seconds from 1900-01-01 to 1970-01-01: 70 years with 17 leap days. */
#define EPOCH_1900 2208988800u

uint32_t sipc__time_since_1900(time_t t)
{
	return (uint32_t)((uint64_t)((int64_t)t + EPOCH_1900) & 0xffffffffu);
}

static void encode(uint8_t out[4])
{
	uint32_t v = sipc__time_since_1900(time(NULL));

	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static void time_open(struct sipc_conn *c)
{
	uint8_t out[4];

	encode(out);
	sipc__conn_write(c, out, sizeof(out));
	sipc__conn_end(c);
}

static void time_datagram(struct sipc_dgram *d, const uint8_t *buf, size_t len)
{
	uint8_t out[4];

	(void)buf;
	(void)len;
	encode(out);
	(void)sipc__dgram_reply(d, out, sizeof(out));
}

const struct sipc_service sipc__svc_time = {
	.name = "time",
	.usage = "time",
	.min_args = 0,
	.max_args = 0,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET | SIPC__SVC_DGRAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.on_open = time_open,
	.on_datagram = time_datagram,
};
