/*
 * proxy.h - reaching an endpoint through a proxy (DESIGN.md: a proxy is
 * not an endpoint, it says how to reach one).  Three parts, one file each:
 * the proxy URL (url.c: socks5://, socks5h://, socks4://, socks4a://,
 * http://, with user and password), the handshake as a non-blocking state
 * machine (handshake.c, with one file per protocol: socks5.c, socks4.c,
 * httpconnect.c), and the blocking run of it inside sipc_dial (dial.c).
 * The state machine never blocks and never owns the descriptor, so the
 * same code runs under the library's poll (sipc_dial), a serve worker's
 * loop (serve/dialer.c) and a scan's many connections at once:
 *
 *	struct sipc__proxy_hs hs;
 *	sipc__proxy_start(&hs, &px, &dest, trace, trace_arg);
 *	for (;;) {
 *		rc = sipc__proxy_step(&hs, fd, why, whylen);
 *		if (rc == SIPC__PROXY_WANT_READ)  wait for POLLIN, again;
 *		if (rc == SIPC__PROXY_WANT_WRITE) wait for POLLOUT, again;
 *		break; // 0: the tunnel is up; < 0: failed, WHY says how
 *	}
 *
 * It reads exactly the proxy's reply and not one byte more (SOCKS replies
 * have lengths it reads byte-exact; an HTTP reply is peeked, and only up
 * to the end of its header is taken): what follows belongs to the
 * destination (a TLS ServerHello, a banner) and stays in the socket.
 */
#ifndef SIPC_PROXY_H
#define SIPC_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockipc.h"

enum sipc__proxy_kind {
	SIPC__PROXY_SOCKS5 = 1, /* socks5://  the destination resolved here */
	SIPC__PROXY_SOCKS5H,    /* socks5h:// the name sent, the proxy resolves */
	SIPC__PROXY_SOCKS4,     /* socks4://  IPv4 only, resolved here */
	SIPC__PROXY_SOCKS4A,    /* socks4a:// the name sent */
	SIPC__PROXY_HTTP,       /* http://    HTTP CONNECT, the name sent */
};

/* Longest user name and password: RFC 1929 gives each one length byte. */
#define SIPC__PROXY_CRED_MAX 255
/* Longest name sent to a proxy: SOCKS5 gives it one length byte. */
#define SIPC__PROXY_NAME_MAX 255
/* Longest HTTP reply header taken (status line and fields): a proxy that
 * sends more is not answering a CONNECT. */
#define SIPC__PROXY_HTTP_MAX 8192

/* Default ports when the proxy URL has none: 1080 for SOCKS (RFC 1928's
 * registered port), 3128 for HTTP (squid's, and ncat's default). */
#define SIPC__PROXY_SOCKS_PORT 1080
#define SIPC__PROXY_HTTP_PORT  3128

/* A parsed proxy URL. */
struct sipc__proxy_url {
	enum sipc__proxy_kind kind;
	char endpoint[SIPC_URL_MAX]; /* the proxy itself: "tcp://HOST:PORT" */
	/* The URL without its password, for messages and traces:
	 * "socks5://alice@127.0.0.1:1080". */
	char shown[SIPC_URL_MAX];
	bool has_user; /* user (and maybe password) given, %XX decoded */
	char user[SIPC__PROXY_CRED_MAX + 1];
	char pass[SIPC__PROXY_CRED_MAX + 1];
	size_t user_len, pass_len;
};

/*
 * Parses TEXT: SCHEME://[USER[:PASS]@]HOST[:PORT][/], HOST a name, an IPv4
 * address or a bracketed IPv6 one, USER and PASS with %XX escapes (for
 * ':', '@', '/' and any byte).  Returns 0, or a SIPC_EURL_* code with a
 * sentence in WHY that names the part that is wrong.
 */
int sipc__proxy_url_parse(const char *text, struct sipc__proxy_url *px, char *why, size_t whylen);

/* "socks5", "socks5h", "socks4", "socks4a", "http". */
const char *sipc__proxy_kind_name(enum sipc__proxy_kind kind);

/* Whether the proxy resolves the destination's name (socks5h, socks4a,
 * http) or it is resolved here first (socks5, socks4). */
bool sipc__proxy_sends_name(enum sipc__proxy_kind kind);

/* What the proxy is asked to connect to: a name, or an address. */
struct sipc__proxy_dest {
	char name[SIPC__PROXY_NAME_MAX + 1]; /* "" when ADDR is used */
	sipc_addr addr;                      /* AF_INET or AF_INET6 */
	int port;
};

/*
 * The destination of DEST (an IP stream URL: tcp*, tls*) for PX: its name
 * as it is when the proxy resolves it (an address literal is sent as an
 * address), else its first address of the scheme's family (the first IPv4
 * one for SOCKS4) resolved here.  Returns 0, SIPC_EKIND for a URL that is
 * not an IP stream (with a sentence), SIPC_EURL_HOST for no host or a
 * name too long, or a SIPC_ERESOLVE_* code.
 */
int sipc__proxy_dest_make(const struct sipc__proxy_url *px, const sipc_url *dest,
			  struct sipc__proxy_dest *out, char *why, size_t whylen);

/* "example.org:80", "127.0.0.1:80", "[::1]:80". */
const char *sipc__proxy_dest_text(const struct sipc__proxy_dest *d, char *buf, size_t len);

/* ---------------------------------------------------------- the handshake */

enum {
	SIPC__PROXY_DONE = 0,       /* the tunnel is up */
	SIPC__PROXY_WANT_READ = 1,  /* call step again once the fd is readable */
	SIPC__PROXY_WANT_WRITE = 2, /* ... once it is writable */
};

/* One handshake's state; the caller owns it (no allocation inside). */
struct sipc__proxy_hs {
	const struct sipc__proxy_url *px; /* must outlive the handshake */
	struct sipc__proxy_dest dest;
	sipc_trace_fn *trace;
	void *trace_arg;
	int state; /* the protocol file's own steps */
	/* What is being sent: one request at a time. */
	uint8_t out[1024 + 2 * SIPC__PROXY_CRED_MAX];
	size_t out_len, out_sent;
	/* What is being read: NEED bytes in all for the current reply part. */
	uint8_t in[SIPC__PROXY_HTTP_MAX];
	size_t in_have, in_need;
	bool replied; /* the proxy answered the CONNECT (granted or not) */
};

/*
 * Starts a handshake with PX for DEST: builds the first request.  TRACE
 * (may be NULL) gets one line per step ("proxy socks5 CONNECT
 * example.org:80 = granted"); a password never appears in it.
 */
void sipc__proxy_start(struct sipc__proxy_hs *hs, const struct sipc__proxy_url *px,
		       const struct sipc__proxy_dest *dest, sipc_trace_fn *trace, void *trace_arg);

/*
 * Goes on with the handshake on FD (connected to the proxy, non-blocking):
 * writes and reads what it can.  Returns SIPC__PROXY_DONE, _WANT_READ or
 * _WANT_WRITE, or a negative code with a sentence in WHY: SIPC_EPROXY
 * (refused, failed, or a reply that breaks the protocol: every byte is
 * checked), the code the caller already has for what a reply means
 * (-ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, SIPC_ETIMEDOUT for the
 * destination, through the proxy), or -errno from the socket.  After DONE
 * or an error, not to be called again.
 */
int sipc__proxy_step(struct sipc__proxy_hs *hs, int fd, char *why, size_t whylen);

/* --------------------------------------------- inside the state machine */

/* The protocol files, called by handshake.c: BEGIN fills the first
 * request; REPLY judges the reply part that has just been read in full
 * (hs->in, hs->in_have == hs->in_need) and either sets up the next
 * request or read (return WANT_*), finishes (DONE) or fails.  HTTP reads
 * its reply its own way (hs->in_need == 0: up to the empty line). */
void sipc__socks5_begin(struct sipc__proxy_hs *hs);
int sipc__socks5_reply(struct sipc__proxy_hs *hs, char *why, size_t whylen);
void sipc__socks4_begin(struct sipc__proxy_hs *hs);
int sipc__socks4_reply(struct sipc__proxy_hs *hs, char *why, size_t whylen);
void sipc__http_begin(struct sipc__proxy_hs *hs);
int sipc__http_reply(struct sipc__proxy_hs *hs, char *why, size_t whylen);

/* Where a complete HTTP header ends in BUF (N bytes): the offset just
 * after its empty line (CRLF CRLF, or bare LFs), or 0 when not yet. */
size_t sipc__http_header_end(const uint8_t *buf, size_t n);

/* BUF's N bytes as printable text for a message: quotes, backslashes and
 * bytes outside 0x20..0x7e as \xHH; cut to fit (OUT NUL-terminated). */
const char *sipc__proxy_escape(const uint8_t *buf, size_t n, char *out, size_t cap);

/* ------------------------------------------------- the blocking dial */

/* What sipc_dial needs to go through a proxy: the parsed URL and the
 * destination, made once before the proxy's addresses are tried. */
struct sipc__proxy_dial {
	struct sipc__proxy_url px;
	struct sipc__proxy_dest dest;
	bool answered; /* the proxy replied: trying its other addresses
			  would get the same answer */
};

/*
 * Prepares a dial of URL through opts->proxy: parses it, checks that URL
 * is an IP stream, makes the destination, and resolves the proxy's own
 * addresses into ADDRS (at most MAX).  Returns how many, or a negative
 * code with a sentence in opts->why.
 */
int sipc__proxy_dial_prepare(const sipc_url *url, const sipc_options *opts,
			     struct sipc__proxy_dial *pd, sipc_addr *addrs, size_t max);

/* Runs the handshake on EP's descriptor (connected to the proxy) until it
 * is done or DEADLINE passes (SIPC_ETIMEDOUT); a failure leaves its
 * sentence in ep->why (the dial copies it to opts->why). */
int sipc__proxy_dial_run(sipc_endpoint *ep, struct sipc__proxy_dial *pd, int64_t deadline);

/* After every address of the proxy failed with RC: when none of them
 * answered, opts->why says the proxy itself could not be reached (else
 * "Connection refused" would read as the destination's). */
void sipc__proxy_dial_unreached(const struct sipc__proxy_dial *pd, const sipc_options *opts,
				int rc);

#endif /* SIPC_PROXY_H */
