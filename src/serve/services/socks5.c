/*
 * socks5.c - `socks5 [--to=CIDR[:PORTS]]... [--user=NAME:PASS]...
 * [--users=FILE] [--timeout=S]`: a SOCKS version 5 proxy (RFC 1928) with
 * username/password authentication (RFC 1929) when users are given.
 * CONNECT only: BIND and UDP ASSOCIATE are answered "command not
 * supported" (X'07').  A destination may be an IPv4 or IPv6 address or a
 * domain name, which this side resolves (what curl calls socks5h).
 * Everything but the wire format (the request buffer, the lookup, the
 * --to check, the dial, the relay, the log) is proxy.c's.
 *
 * The three rounds may come in one write (a client may send its request
 * without waiting for the method choice): each is taken from the front
 * of the buffer as soon as it is whole, and whatever follows the request
 * goes to the destination.
 */
#include <stdio.h>
#include <string.h>

#include "serve/services/proxy.h"
#include "serve/services/services.h"
#include "sys/net.h"

/* The greeting (2 + 255), the RFC 1929 round (3 + 255 + 255) and the
 * request (6 + 1 + 255) fit with room for pipelined bytes. */
#define S5_IN_MAX 2048

enum {
	S5_NOREPLY = -1, /* not SOCKS5: nothing is answered */
	S5_GREETING = 0,
	S5_AUTH = 1,
	S5_REQUEST = 2,
	S5_DONE = 3,
};

/* RFC 1928 section 6. */
static uint8_t rep_code(enum sipc__px_result r)
{
	switch (r) {
	case SIPC__PX_OK:
		return 0x00;
	case SIPC__PX_DENIED:
		return 0x02;
	case SIPC__PX_NETUNREACH:
		return 0x03;
	case SIPC__PX_HOSTUNREACH:
		return 0x04;
	case SIPC__PX_REFUSED:
		return 0x05;
	case SIPC__PX_TIMEOUT:
		return 0x06;
	case SIPC__PX_COMMAND:
		return 0x07;
	case SIPC__PX_ADDRTYPE:
		return 0x08;
	default:
		return 0x01; /* general SOCKS server failure */
	}
}

/* Round 1: VER NMETHODS METHODS. */
static int greeting(struct sipc__px_conn *pc)
{
	const uint8_t *b = pc->in;
	uint8_t want = sipc__px_needs_auth(pc) ? 0x02 : 0x00;
	size_t n;

	if (pc->in_len < 1)
		return SIPC__PX_MORE;
	if (b[0] != 0x05) {
		pc->stage = S5_NOREPLY;
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "version %u, not 5", b[0]);
	}
	if (pc->in_len < 2)
		return SIPC__PX_MORE;
	n = b[1];
	if (pc->in_len < 2 + n)
		return SIPC__PX_MORE;
	for (size_t i = 0; i < n; i++) {
		if (b[2 + i] == want) {
			uint8_t choice[2] = {0x05, want};
			sipc__px_take(pc, 2 + n);
			sipc__px_send(pc, choice, sizeof(choice));
			pc->stage = want == 0x02 ? S5_AUTH : S5_REQUEST;
			return SIPC__PX_MORE;
		}
	}
	/* X'FF': none of the methods offered is acceptable (section 3). */
	return sipc__px_fail(pc, SIPC__PX_AUTH, "%s",
			     want == 0x02 ? "no username/password offered"
			     : n == 0     ? "no methods offered"
					  : "only methods that need authentication offered");
}

/* Round 2 (RFC 1929): VER ULEN UNAME PLEN PASSWD. */
static int auth(struct sipc__px_conn *pc)
{
	const uint8_t *b = pc->in;
	size_t ulen, plen;

	if (pc->in_len < 1)
		return SIPC__PX_MORE;
	if (b[0] != 0x01)
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "username/password version %u, not 1",
				     b[0]);
	if (pc->in_len < 2)
		return SIPC__PX_MORE;
	ulen = b[1];
	if (pc->in_len < 3 + ulen)
		return SIPC__PX_MORE;
	plen = b[2 + ulen];
	if (pc->in_len < 3 + ulen + plen)
		return SIPC__PX_MORE;
	if (!sipc__px_auth(pc, b + 2, ulen, b + 3 + ulen, plen))
		return sipc__px_fail(pc, SIPC__PX_AUTH, "wrong user name or password");
	sipc__px_take(pc, 3 + ulen + plen);
	sipc__px_send(pc, "\x01\x00", 2);
	pc->stage = S5_REQUEST;
	return SIPC__PX_MORE;
}

/* Round 3: VER CMD RSV ATYP DST.ADDR DST.PORT. */
static int request(struct sipc__px_conn *pc)
{
	const uint8_t *b = pc->in;
	size_t alen, need;
	int port;
	uint8_t cmd;

	if (pc->in_len < 1)
		return SIPC__PX_MORE;
	if (b[0] != 0x05) {
		pc->stage = S5_NOREPLY;
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "request version %u, not 5", b[0]);
	}
	if (pc->in_len < 4)
		return SIPC__PX_MORE;
	switch (b[3]) {
	case 0x01:
		alen = 4;
		need = 4 + 4 + 2;
		break;
	case 0x04:
		alen = 16;
		need = 4 + 16 + 2;
		break;
	case 0x03:
		if (pc->in_len < 5)
			return SIPC__PX_MORE;
		alen = b[4];
		need = 5 + alen + 2;
		break;
	default:
		return sipc__px_fail(pc, SIPC__PX_ADDRTYPE, "address type 0x%02x", b[3]);
	}
	if (pc->in_len < need)
		return SIPC__PX_MORE;
	port = b[need - 2] << 8 | b[need - 1];
	if (b[3] == 0x01)
		sipc__px_dest_addr(pc, AF_INET, b + 4, port);
	else if (b[3] == 0x04)
		sipc__px_dest_addr(pc, AF_INET6, b + 4, port);
	else
		sipc__px_dest_name(pc, (const char *)b + 5, alen, port);
	cmd = b[1];
	sipc__px_take(pc, need);
	pc->stage = S5_DONE;
	if (cmd == 0x02)
		return sipc__px_fail(pc, SIPC__PX_COMMAND, "BIND");
	if (cmd == 0x03)
		return sipc__px_fail(pc, SIPC__PX_COMMAND, "UDP ASSOCIATE");
	if (cmd != 0x01)
		return sipc__px_fail(pc, SIPC__PX_COMMAND, "command 0x%02x", cmd);
	return SIPC__PX_GO;
}

static int s5_parse(struct sipc__px_conn *pc)
{
	int rc = SIPC__PX_MORE;
	int before;

	/* Rounds that are whole are taken one after another. */
	do {
		before = pc->stage;
		if (pc->stage == S5_GREETING)
			rc = greeting(pc);
		else if (pc->stage == S5_AUTH)
			rc = auth(pc);
		else if (pc->stage == S5_REQUEST)
			rc = request(pc);
	} while (rc == SIPC__PX_MORE && pc->stage != before);
	return rc;
}

static void s5_reply(struct sipc__px_conn *pc, enum sipc__px_result r)
{
	uint8_t out[4 + 16 + 2] = {0x05, rep_code(r), 0x00, 0x01};
	size_t n = 4 + 4 + 2;

	switch (pc->stage) {
	case S5_GREETING:
		if (r == SIPC__PX_AUTH)
			sipc__px_send(pc, "\x05\xff", 2);
		return;
	case S5_AUTH:
		if (r != SIPC__PX_SLOW)
			sipc__px_send(pc, "\x01\x01", 2); /* RFC 1929: failure, then close */
		return;
	case S5_REQUEST:
	case S5_DONE:
		break;
	default:
		return;
	}
	if (r == SIPC__PX_SLOW)
		return;
	if (r == SIPC__PX_OK && pc->bound.ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&pc->bound.ss;
		memcpy(out + 4, &in->sin_addr, 4);
		memcpy(out + 8, &in->sin_port, 2);
	} else if (r == SIPC__PX_OK && pc->bound.ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&pc->bound.ss;
		out[3] = 0x04;
		memcpy(out + 4, &in6->sin6_addr, 16);
		memcpy(out + 20, &in6->sin6_port, 2);
		n = 4 + 16 + 2;
	}
	sipc__px_send(pc, out, n);
}

static const struct sipc__px_proto s5_proto = {
	.name = "socks5",
	.in_max = S5_IN_MAX,
	.parse = s5_parse,
	.reply = s5_reply,
};

static int s5_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why, size_t whylen)
{
	return sipc__px_setup(sep, &s5_proto, argc, argv, why, whylen);
}

const struct sipc_service sipc__svc_socks5 = {
	.name = "socks5",
	.usage = "socks5 [--to=CIDR[:PORTS]]... [--user=NAME:PASS]... [--users=FILE] "
		 "[--timeout=S]",
	.min_args = 0,
	.max_args = -1,
	.kinds = SIPC__SVC_STREAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.setup = s5_setup,
	.teardown = sipc__px_teardown,
	.conn_size = sizeof(struct sipc__px_conn),
	.on_open = sipc__px_open,
	.on_io = sipc__px_io,
	.on_close = sipc__px_close,
};
