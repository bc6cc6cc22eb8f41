/*
 * proxy.h - what the two proxy services (socks5.c, httpconnect.c) share:
 * everything but their wire formats.  A protocol file says how to read a
 * request and how to word a reply; proxy.c runs each client through the
 * same steps:
 *
 *   1. read the request into a bounded buffer, under --timeout (a
 *      request larger than the buffer, or slower than the timeout, ends
 *      that client with a log line);
 *   2. the protocol's parse() takes what it needs (answering on the way
 *      where the protocol has several rounds: SOCKS5 methods and
 *      RFC 1929 authentication) and names a destination: an address, or
 *      a host name, resolved off the loop (proxyname.h);
 *   3. every address is checked against --to; only allowed ones are
 *      dialed (dialer.h), so a name that resolves to a forbidden address
 *      is never reached (DNS rebinding);
 *   4. the protocol's reply() words the outcome; on success the bytes the
 *      client sent after its request (pipelined) go to the destination
 *      first, then relay.h moves bytes both ways; on failure the reply is
 *      flushed, our side shut down, and the client's remaining bytes read
 *      and dropped for a moment, so the reply is not destroyed by a reset.
 *
 * Every request gets one log line: client, destination as asked, as
 * dialed, user, result; every byte the client chose is escaped.
 */
#ifndef SIPC_SERVE_PROXY_H
#define SIPC_SERVE_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/dialer.h"
#include "serve/relay.h"
#include "serve/service.h"
#include "serve/services/proxyacl.h"
#include "serve/services/proxyname.h"

/* What happened to a request; each protocol has its word for each. */
enum sipc__px_result {
	SIPC__PX_OK,
	SIPC__PX_FAILED,      /* anything else that went wrong */
	SIPC__PX_DENIED,      /* the destination is not in --to */
	SIPC__PX_NETUNREACH,  /* no route to the network */
	SIPC__PX_HOSTUNREACH, /* no such host, or no route to it */
	SIPC__PX_REFUSED,     /* the destination refused the connection */
	SIPC__PX_TIMEOUT,     /* no answer within --timeout */
	SIPC__PX_COMMAND,     /* a command or method not supported */
	SIPC__PX_ADDRTYPE,    /* an address type not supported */
	SIPC__PX_AUTH,        /* credentials missing or wrong */
	SIPC__PX_BADREQ,      /* a request that breaks the protocol */
	SIPC__PX_SLOW,        /* the request did not come within --timeout */
	SIPC__PX_BUSY,        /* too many lookups under way */
};

/* parse() says: */
enum {
	SIPC__PX_MORE, /* the request is not complete: read more */
	SIPC__PX_GO,   /* the destination is set: check and dial it */
	SIPC__PX_FAIL, /* sipc__px_fail said why: reply and end */
};

struct sipc__px_conn;

struct sipc__px_proto {
	const char *name; /* "socks5" */
	size_t in_max;    /* the request buffer: a longer request fails */
	/* Looks at pc->in[0, pc->in_len), takes what it used with
	 * sipc__px_take, may answer with sipc__px_send. */
	int (*parse)(struct sipc__px_conn *pc);
	/* Queues the reply for R (pc->bound is set on SIPC__PX_OK).  Queuing
	 * nothing ends the client at once. */
	void (*reply)(struct sipc__px_conn *pc, enum sipc__px_result r);
};

/* Per endpoint, read-only once set up. */
struct sipc__px_ep {
	struct sipc_srv_endpoint *sep;
	const struct sipc__px_proto *proto;
	struct sipc__px_rules rules;
	struct sipc__px_users users;
	int timeout_ms;
};

enum sipc__px_phase {
	SIPC__PX_READ,
	SIPC__PX_LOOKUP,
	SIPC__PX_DIAL,
	SIPC__PX_PRELUDE, /* the reply to the client, pipelined bytes onward */
	SIPC__PX_RELAY,
	SIPC__PX_LINGER, /* a failure's reply out, the rest read and dropped */
};

#define SIPC__PX_OUT_MAX   1024
#define SIPC__PX_ASKED_MAX (3 * 255 + 16)
#define SIPC__PX_USER_MAX  (3 * SIPC__PX_CRED_MAX + 1)

struct sipc__px_conn {
	struct sipc_conn *c;
	const struct sipc__px_ep *pe;
	enum sipc__px_phase phase;
	/* The request: read, then taken from the front by parse(); what is
	 * left at SIPC__PX_GO is pipelined data for the destination. */
	uint8_t *in;
	size_t in_len;
	bool got_any; /* a byte of the request has come */
	int stage;    /* the protocol's own */
	bool authed;
	/* The destination: an address, or a name to look up, and a port. */
	bool have_addr;
	sipc_addr addr;
	char name[SIPC__PX_NAME_MAX + 1];
	int port;
	char asked[SIPC__PX_ASKED_MAX]; /* as the client wrote it, escaped */
	char user[SIPC__PX_USER_MAX];   /* escaped; "" without one */
	/* The outcome. */
	enum sipc__px_result result;
	char detail[SIPC__PX_ASKED_MAX + SIPC_URL_MAX + 64];
	char end[SIPC__PX_ASKED_MAX + SIPC_URL_MAX + 128]; /* the close line's reason */
	bool wr_shut;                                      /* a failure's reply is out */
	char dialed[SIPC_URL_MAX + 16];
	sipc_addr bound; /* our side of the connection to the destination */
	/* Bytes for the client before the relay (SIPC__PX_OUT_MAX). */
	struct sipc__flow out;
	/* The lookup, the dial, the destination. */
	struct sipc__px_lookup *lookup;
	sipc_loop_io lookup_io;
	struct sipc__dial_target target;
	struct sipc__dialer dialer;
	int bfd;
	sipc_loop_io bio;
	struct sipc__relay relay;
	char other[SIPC__PX_ASKED_MAX + 16]; /* "destination HOST:PORT" */
	sipc_loop_timer timer;               /* --timeout, then the linger */
	bool logged;
};

/* The service callbacks both protocols use. */
void sipc__px_open(struct sipc_conn *c);
void sipc__px_io(struct sipc_conn *c, uint32_t revents);
void sipc__px_close(struct sipc_conn *c);
/* Parses the options shared by both (--to, --user, --users, --timeout)
 * and says at start-up who may use the endpoint and where they may go. */
int sipc__px_setup(struct sipc_srv_endpoint *sep, const struct sipc__px_proto *proto, int argc,
		   char **argv, char *why, size_t whylen);
void sipc__px_teardown(struct sipc_srv_endpoint *sep);

/* For parse(): takes N bytes from the front of the request. */
void sipc__px_take(struct sipc__px_conn *pc, size_t n);
/* Queues bytes for the client (a method choice, a reply). */
void sipc__px_send(struct sipc__px_conn *pc, const void *buf, size_t len);
/* Ends the request with R; DETAIL (printf, no peer bytes unescaped)
 * goes to the log line.  Returns SIPC__PX_FAIL. */
int sipc__px_fail(struct sipc__px_conn *pc, enum sipc__px_result r, const char *fmt, ...)
	SIPC__PRINTF(3, 4);
/* The destination: a name (N bytes as sent; an IP literal is taken as
 * the address) or an address (AF_INET with 4 bytes, AF_INET6 with 16),
 * and the port; ASKED is set from them. */
void sipc__px_dest_name(struct sipc__px_conn *pc, const char *name, size_t n, int port);
void sipc__px_dest_addr(struct sipc__px_conn *pc, int family, const uint8_t *bytes, int port);
/* Checks NAME/PASS against --user/--users and notes the user for the log:
 * true when they match. */
bool sipc__px_auth(struct sipc__px_conn *pc, const uint8_t *name, size_t nlen, const uint8_t *pass,
		   size_t plen);
/* Whether the endpoint asks for credentials. */
bool sipc__px_needs_auth(const struct sipc__px_conn *pc);

#endif /* SIPC_SERVE_PROXY_H */
