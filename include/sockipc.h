/*
 * sockipc.h - the one public header of libsockipc.
 *
 * libsockipc opens socket endpoints named by URL (tcp://, udp://, unix://,
 * unixgram://, unixpacket:// and the family-forcing tcp4/tcp6/udp4/udp6) and
 * moves whole messages or plain bytes over them.  Every public name starts
 * with sipc_ or SIPC_.
 *
 * Conventions that hold for every function below unless its comment says
 * otherwise:
 *  - Success is 0 or a non-negative count; failure is a negative code:
 *    -errno for system errors, SIPC_E... for the library's own.  Give any code
 *    to sipc_strerror() for text.
 *  - A function that fails leaves its outputs untouched and owns nothing new.
 *  - timeout_ms: 0 means do not block, -1 means wait forever, otherwise the
 *    whole call (not each system call inside it) ends by that many
 *    milliseconds, measured on CLOCK_MONOTONIC, with SIPC_ETIMEDOUT.  Any
 *    other negative value is -EINVAL.
 *  - A NULL endpoint, or a NULL buffer with a non-zero length, is -EINVAL.
 *    Data calls (messages, bytes, requests) on a stream or seqpacket
 *    listener are SIPC_EKIND.
 *  - The library never prints, never exits, never raises SIGPIPE (every send
 *    uses MSG_NOSIGNAL), retries EINTR, and creates every descriptor
 *    close-on-exec and non-blocking.  A caller that hands a descriptor to
 *    another program clears O_NONBLOCK itself.
 *  - Objects are not locked: one endpoint is used by one thread at a time.
 *    Distinct objects may be used from distinct threads freely.  Functions
 *    that take no object (sipc_strerror, sipc_scheme_*, sipc_url_parse) are
 *    thread-safe.
 */
#ifndef SOCKIPC_H
#define SOCKIPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library is built with -fvisibility=hidden, so that only what this
 * header declares is exported from libsockipc.so; everything internal
 * (sipc__*) stays inside it.
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

#define SIPC_VERSION "0.1.0"

/* The library's version string, the same as SIPC_VERSION at build time. */
const char *sipc_version(void);

/* ------------------------------------------------------------------ errors */

/*
 * The library's own error codes.  They sit far below any errno value so that
 * -errno and SIPC_E... never collide, and they are never renumbered or
 * reused: a new code takes a new number.
 */
enum sipc_error {
	/* URL errors: each names the part of the URL that is wrong. */
	SIPC_EURL_SYNTAX = -3000,  /* not SCHEME://REST, or stray characters */
	SIPC_EURL_SCHEME = -3001,  /* unknown scheme */
	SIPC_EURL_HOST = -3002,    /* host missing or not a valid name/address */
	SIPC_EURL_IPV6 = -3003,    /* IPv6 address without [brackets], or bad one */
	SIPC_EURL_ZONE = -3004,    /* bad or unknown IPv6 zone (%iface) */
	SIPC_EURL_NOPORT = -3005,  /* tcp/udp URL without :PORT */
	SIPC_EURL_PORT = -3006,    /* port not a number in 0..65535 */
	SIPC_EURL_SERVICE = -3007, /* port name not in the services database */
	SIPC_EURL_NOPATH = -3008,  /* unix URL without a path */
	SIPC_EURL_PATHLEN = -3009, /* path does not fit in sun_path */
	SIPC_EURL_FAMILY = -3010,  /* address family contradicts the scheme */

	/* Name resolution (getaddrinfo) errors, translated: raw EAI_ values
	 * collide with -errno values in glibc. */
	SIPC_ERESOLVE_NOHOST = -3020,  /* no such host (EAI_NONAME, EAI_NODATA) */
	SIPC_ERESOLVE_AGAIN = -3021,   /* temporary failure (EAI_AGAIN) */
	SIPC_ERESOLVE_FAIL = -3022,    /* permanent failure (EAI_FAIL) */
	SIPC_ERESOLVE_FAMILY = -3023,  /* host has no address of that family */
	SIPC_ERESOLVE_SERVICE = -3024, /* service not known for the socket type */
	SIPC_ERESOLVE_OTHER = -3025,   /* any other getaddrinfo failure */

	/* Messages and I/O. */
	SIPC_EMSGSIZE = -3040,   /* message larger than the endpoint maximum or
				    than the caller's buffer */
	SIPC_ETRUNC = -3041,     /* datagram larger than the receive buffer: it
				    was dropped, not cut */
	SIPC_ETIMEDOUT = -3042,  /* the call's timeout ran out */
	SIPC_ECLOSED = -3043,    /* peer closed cleanly (at a message boundary) */
	SIPC_EPARTIAL = -3044,   /* peer closed in the middle of a message */
	SIPC_EKIND = -3045,      /* not possible on this kind of endpoint */
	SIPC_EBUFSIZE = -3046,   /* caller's output buffer too small */
	SIPC_EBROKEN = -3047,    /* stream no longer framed (an earlier error
				    left it mid-message); close it */
	SIPC_EOUTOFSTEP = -3048, /* a request timed out on this stream: a late
				    reply could pass for the next one's; close it */
};

/*
 * Text for any code this library returns (-errno or SIPC_E...).  Returns a
 * static string; never NULL; thread-safe.
 */
const char *sipc_strerror(int code);

/* ----------------------------------------------------------------- schemes */

typedef enum sipc_scheme {
	SIPC_SCHEME_NONE = 0,
	SIPC_TCP,        /* tcp://   SOCK_STREAM, IPv4 or IPv6 */
	SIPC_TCP4,       /* tcp4://  SOCK_STREAM, IPv4 only */
	SIPC_TCP6,       /* tcp6://  SOCK_STREAM, IPv6 only (v6-only listener) */
	SIPC_UDP,        /* udp://   SOCK_DGRAM, IPv4 or IPv6 */
	SIPC_UDP4,       /* udp4://  SOCK_DGRAM, IPv4 only */
	SIPC_UDP6,       /* udp6://  SOCK_DGRAM, IPv6 only */
	SIPC_UNIX,       /* unix://       SOCK_STREAM,    AF_UNIX */
	SIPC_UNIXGRAM,   /* unixgram://   SOCK_DGRAM,     AF_UNIX */
	SIPC_UNIXPACKET, /* unixpacket:// SOCK_SEQPACKET, AF_UNIX */
} sipc_scheme;

/* "tcp", "udp6", "unixpacket"...; "" for SIPC_SCHEME_NONE or an unknown value. */
const char *sipc_scheme_name(sipc_scheme s);
/* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; 0 for an unknown value. */
int sipc_scheme_socktype(sipc_scheme s);
/* True for tcp* and unix: a byte stream, framed in message mode. */
bool sipc_scheme_is_stream(sipc_scheme s);
/* True for udp*, unixgram and unixpacket: one message is one datagram. */
bool sipc_scheme_is_datagram(sipc_scheme s);
/* True for the three AF_UNIX schemes. */
bool sipc_scheme_is_unix(sipc_scheme s);
/* Connectionless: udp* and unixgram (unixpacket is connected). */
bool sipc_scheme_is_connectionless(sipc_scheme s);

/* -------------------------------------------------------------------- URLs */

typedef struct sipc_url sipc_url;

/* Size that holds any detail message of sipc_url_parse. */
#define SIPC_WHY_MAX 256
/*
 * Size that holds any formatted URL or address, with its NUL.  The worst
 * case is a unix name of 107 bytes that all need a %XX escape:
 * "unixpacket://@" and 3 x 107 bytes (0.1.0 had 320, which that did not fit).
 */
#define SIPC_URL_MAX 352

/*
 * Parses and validates TEXT per the grammar of DESIGN.md.  Port names are
 * looked up in the services database (tcp or udp by scheme); host names are
 * kept as names (resolution happens at listen/dial/resolve time).  In a unix
 * path or abstract name, %XX (two hex digits) stands for that byte, so any
 * name can be written ("unix://@a%00b", "unix:///tmp/100%25"); a '%' not
 * followed by two hex digits is SIPC_EURL_SYNTAX, and so is %00 in a
 * filesystem path, where the kernel would end the name at it.  A leading
 * '@' means the abstract namespace; write %40 for a relative path that
 * starts with '@'.
 * On success *urlp owns a new URL (free with sipc_url_free) and 0 returns.
 * On failure a SIPC_EURL_* code returns, *urlp is untouched, and when WHY is
 * not NULL it receives a NUL-terminated sentence that names the wrong part
 * and why (e.g. "port '70000' is out of range 0-65535"), cut to WHYLEN.
 */
int sipc_url_parse(const char *text, sipc_url **urlp, char *why, size_t whylen);
void sipc_url_free(sipc_url *url); /* NULL does nothing */

sipc_scheme sipc_url_scheme(const sipc_url *url);
/* Host without brackets, zone included ("fe80::1%eth0"); "" for the
 * wildcard (empty or "*"); NULL for unix schemes. */
const char *sipc_url_host(const sipc_url *url);
/* Port number 0..65535 (service names resolved); -1 for unix schemes. */
int sipc_url_port(const sipc_url *url);
/*
 * Unix path with its %XX escapes decoded, "@name" for the abstract
 * namespace; NULL for IP.  An abstract name may hold NUL bytes (written
 * %00), and the string then ends at the first: sipc_url_resolve gives the
 * whole address.  Owned by URL.
 */
const char *sipc_url_path(const sipc_url *url);
bool sipc_url_is_abstract(const sipc_url *url);
/*
 * Writes the canonical URL: scheme as parsed, host lower-cased with IPv6 in
 * brackets and in inet_ntop form, "*" wildcard written as empty, port as a
 * number, and in unix names every byte other than a letter, a digit or one
 * of "-._~/:+,=@" as %XX (uppercase hex; '%' too, and a filesystem path's
 * leading '@').  parse(format(u)) gives the same URL and formats to the same
 * text.  Returns the length (without NUL) or SIPC_EBUFSIZE, when LEN does
 * not hold it and its NUL (SIPC_URL_MAX always does); BUF is untouched on
 * failure.
 */
int sipc_url_format(const sipc_url *url, char *buf, size_t len);

/* --------------------------------------------------------------- addresses */

/*
 * A socket address with the scheme it belongs to.  Formatting uses the
 * base scheme of the socket kind: tcp, udp, unix, unixgram or unixpacket.
 */
typedef struct sipc_addr {
	sipc_scheme scheme;
	socklen_t len;
	struct sockaddr_storage ss;
} sipc_addr;

/*
 * Writes the canonical URL of ADDR: "tcp://[::1]:7007",
 * "udp://127.0.0.1:7", "unix:///tmp/a.sock", "unix://@name", and
 * "unix://" for an unnamed unix socket.  IPv4-mapped IPv6 addresses are
 * written as IPv4.  A unix name is escaped as sipc_url_format does: a NUL
 * byte is %00, a newline %0A, so the name a peer bound can neither forge a
 * log line or an environment variable nor lose a byte, and the text parses
 * back (sipc_url_parse, sipc_url_resolve) to an equal address.  Returns the
 * length or SIPC_EBUFSIZE (BUF untouched) / -EAFNOSUPPORT / -EINVAL.
 */
int sipc_addr_format(const sipc_addr *addr, char *buf, size_t len);

/* Fills ADDR from a raw sockaddr; -EAFNOSUPPORT/-EINVAL for a bad one. */
int sipc_addr_from_sockaddr(sipc_addr *addr, sipc_scheme scheme, const struct sockaddr *sa,
			    socklen_t len);

/* True when both hold the same family, address, port (or path). */
bool sipc_addr_equal(const sipc_addr *a, const sipc_addr *b);

/*
 * Resolves URL to at most MAX addresses in getaddrinfo order (AI_PASSIVE
 * when PASSIVE, so an empty host gives the wildcard; tcp:// and udp://
 * with an empty host give "::" first when the machine has IPv6, for a
 * dual-stack listener).  Unix URLs give exactly one address.
 * Returns the count (>= 1) or a negative code (SIPC_ERESOLVE_*).
 */
int sipc_url_resolve(const sipc_url *url, bool passive, sipc_addr *out, size_t max);

/* ---------------------------------------------------------------- options */

/* Receives one line, without newline, per socket call when tracing. */
typedef void sipc_trace_fn(void *arg, const char *line);

#define SIPC_MAX_MSG_DEFAULT ((size_t)16 * 1024 * 1024)

/*
 * Options for sipc_listen/sipc_dial/sipc_endpoint_from_fd.  NULL means all
 * defaults; a zeroed struct means the same.
 */
typedef struct sipc_options {
	int backlog;          /* listen: 0 means SOMAXCONN */
	size_t max_msg;       /* message limit; 0 means SIPC_MAX_MSG_DEFAULT */
	const char *source;   /* dial: URL of the local address to bind first */
	unsigned unix_mode;   /* listen on a unix path: chmod to this; 0 leaves
				 what the umask gave */
	sipc_trace_fn *trace; /* when set, one line per socket call made:
				  socket, bind, listen, accept, connect,
				  shutdown, close, and "association (...)"
				  once connected; accepted endpoints inherit */
	void *trace_arg;
} sipc_options;

/* --------------------------------------------------------------- endpoints */

typedef struct sipc_endpoint sipc_endpoint;

/*
 * Opens a listening endpoint.  Stream and seqpacket URLs bind and listen;
 * datagram URLs bind (the endpoint then receives from anyone: use
 * sipc_recvfrom/sipc_sendto).  TCP sets SO_REUSEADDR; tcp://[::]:p is
 * dual-stack, tcp6:// v6-only.  Port 0 takes a free port: read it back with
 * sipc_endpoint_local.  A unix path left by a dead listener is replaced, a
 * live one never is (-EADDRINUSE).  The path is unlinked on close if it is
 * still the file this endpoint created.
 * On success *epp owns the endpoint (sipc_endpoint_close).
 */
int sipc_listen(const char *url, const sipc_options *opts, sipc_endpoint **epp);
int sipc_listen_url(const sipc_url *url, const sipc_options *opts, sipc_endpoint **epp);

/*
 * Opens a connection: resolves URL and tries each address in turn, each
 * with what is left of TIMEOUT_MS, returning the error of the last one when
 * all fail.  A datagram URL gives a connected datagram socket: sipc_send
 * goes to that peer and only its datagrams arrive.
 */
int sipc_dial(const char *url, const sipc_options *opts, int timeout_ms, sipc_endpoint **epp);
int sipc_dial_url(const sipc_url *url, const sipc_options *opts, int timeout_ms,
		  sipc_endpoint **epp);

/*
 * Wraps an existing socket descriptor.  On success the endpoint owns FD
 * (made close-on-exec and non-blocking); on failure the caller still does.
 * SCHEME says how to frame messages; it must match the socket type
 * (-EINVAL otherwise).
 */
int sipc_endpoint_from_fd(int fd, sipc_scheme scheme, const sipc_options *opts,
			  sipc_endpoint **epp);

/*
 * Accepts one connection on a stream or seqpacket listener (SIPC_EKIND
 * otherwise).  The new endpoint inherits the listener's options; its peer is
 * available from sipc_endpoint_peer.  EMFILE/ENFILE are returned as they
 * are (-EMFILE): the pending connection stays queued, and the caller
 * decides how to back off.
 */
int sipc_accept(sipc_endpoint *listener, int timeout_ms, sipc_endpoint **connp);

/* Closes the descriptor and frees the endpoint; NULL does nothing. */
void sipc_endpoint_close(sipc_endpoint *ep);

/* The descriptor, for a caller's own poll/epoll/libuv loop.  Still owned by
 * the endpoint. */
int sipc_endpoint_fd(const sipc_endpoint *ep);
sipc_scheme sipc_endpoint_scheme(const sipc_endpoint *ep);
bool sipc_endpoint_is_listener(const sipc_endpoint *ep);

int sipc_endpoint_local(const sipc_endpoint *ep, sipc_addr *out);
/* The connected peer; -ENOTCONN for a listener or unconnected datagram. */
int sipc_endpoint_peer(const sipc_endpoint *ep, sipc_addr *out);

typedef struct sipc_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
} sipc_cred;
/* The peer's credentials on a connected unix endpoint (SO_PEERCRED);
 * SIPC_EKIND on other kinds. */
int sipc_endpoint_peercred(const sipc_endpoint *ep, sipc_cred *out);

size_t sipc_endpoint_max_msg(const sipc_endpoint *ep);
void sipc_endpoint_set_max_msg(sipc_endpoint *ep, size_t max_msg);

/*
 * Connectionless endpoints (udp*, unixgram) only, SIPC_EKIND otherwise:
 * makes PEER the fixed peer (connect(2)), so only its datagrams arrive and
 * sipc_send goes to it; a listener uses it to answer the sender of a first
 * datagram.  PEER NULL dissolves the association again.
 */
int sipc_endpoint_connect(sipc_endpoint *ep, const sipc_addr *peer);

/* Shuts down the write side (the peer reads end of stream); reading goes on.
 * SIPC_EKIND on a listener. */
int sipc_shutdown_write(sipc_endpoint *ep);

/* ---------------------------------------------------------------- messages */

/*
 * Sends one whole message: on streams a frame (4-byte big-endian length,
 * then the bytes), on datagram and seqpacket endpoints one datagram.
 * LEN above the endpoint maximum is SIPC_EMSGSIZE and nothing is sent.
 * Returns LEN.  BUF stays the caller's.
 *
 * SIPC_ETIMEDOUT (also with timeout 0, when the socket buffer is full)
 * means the message is not sent yet: repeat the call with the same
 * message.  On a stream the time may run out after part of the frame went
 * out; the endpoint then keeps a copy of the whole frame, and the stream
 * stays framed: the repeat sends only what is left and returns LEN (the
 * message is not sent twice).  A call with another message instead first
 * sends that rest (so the message given up on still arrives, whole) and
 * then its own.  A stream send that fails part way for any other reason
 * (the peer went away) leaves the stream unframed: later sends return
 * SIPC_EBROKEN.  After a timed-out sipc_request on a stream, SIPC_EOUTOFSTEP.
 */
ssize_t sipc_send(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms);

/*
 * Receives one whole message into BUF and returns its length (0 is a valid,
 * empty message).  SIPC_ECLOSED at a clean end, SIPC_EPARTIAL when the peer
 * closed mid-frame.  On streams a frame longer than the endpoint maximum
 * is SIPC_EMSGSIZE and the stream is then broken (nothing was allocated for
 * it); a frame that fits the maximum but not CAP is SIPC_EBUFSIZE and stays
 * queued, so sipc_recv_alloc can take it.  A timeout in the middle of a
 * frame keeps what arrived, and the next call goes on from there.  On
 * datagram and seqpacket endpoints a datagram larger than CAP is
 * SIPC_ETRUNC and one larger than the endpoint maximum SIPC_EMSGSIZE;
 * either is dropped, never cut.  After a timed-out sipc_request on a
 * stream, SIPC_EOUTOFSTEP.
 */
ssize_t sipc_recv(sipc_endpoint *ep, void *buf, size_t cap, int timeout_ms);

/*
 * As sipc_recv, but allocates exactly the message's size (at least one
 * byte, so an empty message still gets a pointer): on success *msgp owns it
 * (free()).  Nothing is allocated before the length is checked against the
 * maximum, and memory grows with the bytes that arrive, not with the length
 * a frame header claims.
 */
ssize_t sipc_recv_alloc(sipc_endpoint *ep, void **msgp, int timeout_ms);

/* Connectionless endpoints only (SIPC_EKIND otherwise): one datagram to or
 * from any address, with the limits of sipc_send/sipc_recv (SIPC_ETRUNC,
 * SIPC_EMSGSIZE above the endpoint maximum).  FROM may be NULL; it is
 * written only on success. */
ssize_t sipc_sendto(sipc_endpoint *ep, const void *buf, size_t len, const sipc_addr *to,
		    int timeout_ms);
ssize_t sipc_recvfrom(sipc_endpoint *ep, void *buf, size_t cap, sipc_addr *from, int timeout_ms);

/* ------------------------------------------------------------------- bytes */

/* Reads what is there, up to CAP bytes (waiting for at least one); 0 at end
 * of stream.  On datagram and seqpacket endpoints one datagram: one larger
 * than CAP is SIPC_ETRUNC (and dropped), never returned cut. */
ssize_t sipc_read(sipc_endpoint *ep, void *buf, size_t cap, int timeout_ms);
/* Writes all LEN bytes, looping over short writes; returns LEN.  On failure
 * an unknown prefix may have been sent. */
ssize_t sipc_write_all(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms);
/* Reads exactly N bytes; SIPC_ECLOSED if the stream ends before the first,
 * SIPC_EPARTIAL if it ends after some.  Streams only: on datagram and
 * seqpacket endpoints it would cut and join records, so it returns
 * SIPC_EKIND there (sipc_read takes one whole record). */
ssize_t sipc_read_exact(sipc_endpoint *ep, void *buf, size_t n, int timeout_ms);
/* Vectored forms; IOV is not modified.  sipc_readv_exact: streams only, as
 * sipc_read_exact. */
ssize_t sipc_writev_all(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int timeout_ms);
ssize_t sipc_readv_exact(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int timeout_ms);

/* ---------------------------------------------------------------- requests */

/*
 * Request/response: sends REQ as one message and waits TIMEOUT_MS for one
 * reply into REPLY.  On datagram endpoints, when no reply comes the request
 * is sent again, up to RETRIES more times, each wait twice the previous one
 * (exponential backoff, each wait at most 30 s), as seed 000 describes; a
 * late reply to an earlier copy of this request is accepted.  A timeout of
 * 0 or -1 sends one copy whatever RETRIES says.  On streams the request is
 * sent once and the wait covers the same total.  Returns the reply length;
 * SIPC_ETIMEDOUT when no reply came, or the first other error of a send or
 * receive (for example -ECONNREFUSED when an ICMP error says nothing
 * listens, or SIPC_ETRUNC).  -EINVAL for RETRIES below 0.
 *
 * A reply carries nothing that says which request it answers, so a late
 * one is never taken for a later request's: on datagram endpoints every
 * datagram already queued is dropped before the request goes out (a reply
 * still in flight at that moment cannot be told apart: give each request an
 * id of your own if that matters); on a stream, a timeout after the request
 * (or part of it) went out leaves the endpoint out of step, and every later
 * message call and request on it returns SIPC_EOUTOFSTEP: close it and dial
 * again.
 */
ssize_t sipc_request(sipc_endpoint *ep, const void *req, size_t len, void *reply, size_t cap,
		     int timeout_ms, int retries);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* SOCKIPC_H */
