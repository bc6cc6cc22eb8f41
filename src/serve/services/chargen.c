/*
 * chargen.c - RFC 864.  The pattern is the 95 printing ASCII characters as
 * a ring in the order of the RFC's example ('!' first, '~', then space
 * last), 72 per line, each line starting one character further along the
 * ring than the one before, lines ended by CR LF; every connection starts
 * at line 0 (xinetd's 93-character ring and process-wide position are not
 * followed).  Streams send while the client reads, driven by writability,
 * at most one chunk queued at a time; seqpacket sends one line per
 * message.  Datagrams: one reply of 0-512 characters of the pattern.
 */
#include <pthread.h>
#include <string.h>

#include "serve/services/services.h"

/* The pattern repeats after 95 lines; one period is precomputed. */
#define PERIOD ((size_t)SIPC_CHARGEN_RING * SIPC_CHARGEN_LINE)
/* Bytes produced per on_writable: enough to fill a socket buffer quickly,
 * small enough that a client that stops reading costs little. */
#define CHUNK ((size_t)16 * 1024)

static uint8_t period[PERIOD];
static pthread_once_t period_once = PTHREAD_ONCE_INIT;

char sipc__chargen_ring(unsigned k)
{
	return (char)(32 + (k + 1) % SIPC_CHARGEN_RING);
}

static void build_period(void)
{
	for (unsigned line = 0; line < SIPC_CHARGEN_RING; line++) {
		uint8_t *p = period + (size_t)line * SIPC_CHARGEN_LINE;
		for (unsigned i = 0; i < SIPC_CHARGEN_WIDTH; i++)
			p[i] = (uint8_t)sipc__chargen_ring(line + i);
		p[SIPC_CHARGEN_WIDTH] = '\r';
		p[SIPC_CHARGEN_WIDTH + 1] = '\n';
	}
}

void sipc__chargen_fill(uint64_t offset, uint8_t *buf, size_t len)
{
	size_t at = (size_t)(offset % PERIOD);

	pthread_once(&period_once, build_period);
	while (len > 0) {
		size_t n = PERIOD - at < len ? PERIOD - at : len;
		memcpy(buf, period + at, n);
		buf += n;
		len -= n;
		at = 0;
	}
}

struct chargen_conn {
	uint64_t offset; /* bytes of the stream sent (or queued) so far */
};

static void chargen_writable(struct sipc_conn *c)
{
	struct chargen_conn *st = sipc__conn_state(c);
	uint8_t buf[CHUNK];

	if (sipc__conn_is_seqpacket(c)) {
		/* One line per message, as a datagram reply would be. */
		for (int i = 0; i < 64; i++) {
			sipc__chargen_fill(st->offset, buf, SIPC_CHARGEN_LINE);
			if (sipc__conn_write(c, buf, SIPC_CHARGEN_LINE) == 0)
				break;
			st->offset += SIPC_CHARGEN_LINE;
		}
		return;
	}
	size_t room = sipc__conn_out_room(c);
	size_t n = room < CHUNK ? room : CHUNK;
	sipc__chargen_fill(st->offset, buf, n);
	st->offset += sipc__conn_write(c, buf, n);
}

static void chargen_open(struct sipc_conn *c)
{
	sipc__conn_want_writable(c, true);
	chargen_writable(c);
}

static void chargen_data(struct sipc_conn *c, const uint8_t *buf, size_t len)
{
	/* RFC 864: "the data may be thrown away". */
	(void)c;
	(void)buf;
	(void)len;
}

static void chargen_eof(struct sipc_conn *c)
{
	/* The client may shut down its side and go on reading: RFC 864 sends
	 * until the client closes, which shows as a failed write. */
	(void)c;
}

static void chargen_datagram(struct sipc_dgram *d, const uint8_t *buf, size_t len)
{
	uint8_t out[512];
	size_t n = sipc__dgram_random(d, 513);

	(void)buf;
	(void)len;
	sipc__chargen_fill(0, out, n);
	(void)sipc__dgram_reply(d, out, n);
}

const struct sipc_service sipc__svc_chargen = {
	.name = "chargen",
	.usage = "chargen",
	.min_args = 0,
	.max_args = 0,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET | SIPC__SVC_DGRAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.conn_size = sizeof(struct chargen_conn),
	.on_open = chargen_open,
	.on_data = chargen_data,
	.on_eof = chargen_eof,
	.on_writable = chargen_writable,
	.on_datagram = chargen_datagram,
};
