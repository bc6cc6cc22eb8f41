/*
 * transport.h - the table of operations behind each socket kind (tcp.c,
 * udp.c, unix.c), nng's pipe ops: a transport sets its sockets up (used
 * by endpoint.c to open, bind, connect and accept) and owns its
 * connection's I/O (send, receive, readiness, shutdown, close), so msg.c,
 * bytes.c and request.c frame and loop on top of ep->tp and never call
 * sys/ on a connection themselves.  The plain socket kinds share one set
 * of I/O operations (transport.c) that call sys/ as it is; a transport
 * that keeps state of its own (TLS, transport/tls/) brings its own.  Also the traced
 * socket calls every transport shares.  What differs between kinds lives
 * in the table; the order of the calls (socket, options, bind, listen /
 * connect) lives in endpoint.c.
 */
#ifndef SIPC_TRANSPORT_H
#define SIPC_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sys/net.h"
#include "endpoint.h"
#include "sockipc.h"

/*
 * Connection I/O, nng's pipe operations.  Each is one attempt that does not
 * block when FLAGS holds MSG_DONTWAIT, retries EINTR and passes -EAGAIN up,
 * as sys/ does; the callers own the loops and the deadlines.  Results are a
 * count or -errno.
 */
struct sipc__conn_ops {
	/* sendmsg(2) of MSG, whose name may give a datagram's destination.
	 * Never raises SIGPIPE. */
	ssize_t (*sendmsg)(sipc_endpoint *ep, const struct msghdr *msg, int flags);
	/* recv(2) into one buffer: the hot path of every frame header and
	 * body. */
	ssize_t (*recv)(sipc_endpoint *ep, void *buf, size_t len, int flags);
	/* recvmsg(2): the vectored read, the sender's address and the
	 * control data (seqpacket credentials), MSG_TRUNC in msg_flags. */
	ssize_t (*recvmsg)(sipc_endpoint *ep, struct msghdr *msg, int flags);
	/* Readiness: waits until the connection can go on with what the
	 * caller asked for (POLLIN to read, POLLOUT to write) or DEADLINE
	 * passes.  Returns > 0, SIPC_ETIMEDOUT or -errno.  A transport with
	 * its own protocol under the bytes (TLS) may wait for the other
	 * direction here when that is what it needs first. */
	int (*wait)(sipc_endpoint *ep, short events, int64_t deadline);
	/* Ends the sending direction (shutdown(2) SHUT_WR), traced; 0 or
	 * -errno. */
	int (*shutdown_write)(sipc_endpoint *ep);
	/* Releases ep->fd (and anything the transport holds for the
	 * connection), traced; 0 or -errno. */
	int (*close)(sipc_endpoint *ep);
	/* Drives the connection's own handshake (TLS) until it is done or
	 * DEADLINE passes: 0, SIPC_ETIMEDOUT (with a deadline already past:
	 * would block; want() then says on what) or a negative code with a
	 * sentence in ep->why.  0 at once where there is none. */
	int (*handshake)(sipc_endpoint *ep, int64_t deadline);
	/* After an operation for EVENTS (POLLIN: a read, POLLOUT: a write or
	 * the handshake) returned -EAGAIN or SIPC_ETIMEDOUT: the descriptor
	 * events that let it go on.  EVENTS itself for plain sockets. */
	short (*want)(const sipc_endpoint *ep, short events);
	/* Bytes a read returns without the descriptor being readable
	 * (decrypted and buffered); 0 for plain sockets.  Loops must look at
	 * this before they sleep in poll/epoll. */
	size_t (*pending)(const sipc_endpoint *ep);
	/* Busy-polling (sipc_endpoint_ready): which of EVENTS a call can go
	 * on with now, from memory alone, no system call; and how long a
	 * loop should spin on the connection before it sleeps (microseconds,
	 * SIPC_SPIN_ALWAYS).  NULL where the descriptor tells everything
	 * (sockets, TLS). */
	short (*ready)(sipc_endpoint *ep, short events);
	long (*spin)(const sipc_endpoint *ep);
	/* Waits until bytes the transport accepted from sendmsg but still
	 * holds itself (TLS records the socket did not take yet) have gone
	 * to the kernel, or DEADLINE passes: 0, SIPC_ETIMEDOUT or a code.
	 * The byte and message loops call it after their last sendmsg so a
	 * write that returned is on its way, as a plain socket's is.  NULL
	 * where sendmsg holds nothing back. */
	int (*drain)(sipc_endpoint *ep, int64_t deadline);
};

/* The connection I/O of every plain socket kind (tcp, udp, unix, unixgram,
 * unixpacket): sys/ on ep->fd.  A transport with a protocol of its own
 * under the bytes (TLS) brings its own set. */
extern const struct sipc__conn_ops sipc__conn_ops_sock;

/* How an endpoint came to be, for a transport's attach(). */
struct sipc__attach {
	enum {
		SIPC__ATTACH_LISTEN,  /* sipc_listen: OPTS */
		SIPC__ATTACH_DIAL,    /* sipc_dial, before the handshake: OPTS, HOST */
		SIPC__ATTACH_ACCEPT,  /* sipc_accept: LISTENER */
		SIPC__ATTACH_FROM_FD, /* sipc_endpoint_from_fd: OPTS */
	} kind;
	const sipc_options *opts;
	const char *host; /* the URL's host as dialed ("" for the wildcard) */
	const sipc_endpoint *listener;
};

struct sipc__transport {
	/* The protocol word of the "association (...)" trace line. */
	const char *proto;
	int socktype; /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
	/* listen() and accept() apply: stream and seqpacket kinds. */
	bool listens;
	/* Options a listening (or bound datagram) socket needs before bind:
	 * SO_REUSEADDR, IPV6_V6ONLY.  NULL when there are none. */
	int (*before_bind)(sipc_endpoint *ep, const sipc_addr *addr);
	/* Binds ep->fd to ADDR.  The unix kinds replace a stale socket file,
	 * apply MODE (0: leave it) and remember the file for close. */
	int (*bind)(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode);
	/* Before connect() on a dialing socket that no source address bound:
	 * unixgram autobinds so that replies can reach it.  May be NULL. */
	int (*before_connect)(sipc_endpoint *ep, const sipc_addr *addr);
	/* Once a connection exists, dialed or accepted: TCP_NODELAY.  May be
	 * NULL. */
	int (*after_connect)(sipc_endpoint *ep);

	/* A transport with a protocol of its own over the socket (TLS):
	 * checks OPTS before any socket is made (a listener without a
	 * server config...), with a sentence in opts->why.  May be NULL. */
	int (*check_opts)(const sipc_options *opts, bool listening);
	/* Gives an endpoint that has its descriptor its transport state
	 * (ep->tp_state), which io->close releases.  On failure it leaves
	 * none, and a sentence in ep->why (and opts->why).  May be NULL. */
	int (*attach)(sipc_endpoint *ep, const struct sipc__attach *how);

	/* How bytes move once a connection exists. */
	const struct sipc__conn_ops *io;
};

/* The table for SCHEME; NULL for SIPC_SCHEME_NONE or an unknown value. */
const struct sipc__transport *sipc__transport_for(sipc_scheme scheme);

extern const struct sipc__transport sipc__transport_tcp;
extern const struct sipc__transport sipc__transport_udp;
extern const struct sipc__transport sipc__transport_unix;
extern const struct sipc__transport sipc__transport_unixgram;
extern const struct sipc__transport sipc__transport_unixpacket;
extern const struct sipc__transport sipc__transport_tls;
extern const struct sipc__transport sipc__transport_shm;

/* unix.c's bind (stale socket files, mode, unlink on close), which shm://
 * uses for its rendezvous socket as it is. */
int sipc__unix_bind(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode);

/* tcp.c's set-up, which TLS uses as it is. */
int sipc__tcp_before_bind(sipc_endpoint *ep, const sipc_addr *addr);
int sipc__tcp_bind(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode);
int sipc__tcp_after_connect(sipc_endpoint *ep);

/*
 * The socket calls, each traced through EP's trace function in the fixed
 * --trace format ("bind(3, tcp://127.0.0.1:0) = 0").  FD is passed apart
 * from EP so a transport can trace calls on a helper socket (the stale
 * unix path probe).  Each returns what the sys layer returned.
 */
int sipc__tp_socket(const sipc_endpoint *ep, int family, int type);
int sipc__tp_setsockopt(const sipc_endpoint *ep, int fd, int level, int name, const char *optname,
			int value);
/* Any other value (struct linger, an interface name, a group_req), shown
 * in the trace line as VALUE_TEXT ("{l_onoff=1, l_linger=0}", "\"lo\""). */
int sipc__tp_setsockopt_raw(const sipc_endpoint *ep, int fd, int level, int name,
			    const char *optname, const void *value, socklen_t len,
			    const char *value_text);
int sipc__tp_bind(const sipc_endpoint *ep, int fd, const sipc_addr *addr);
int sipc__tp_connect(const sipc_endpoint *ep, int fd, const sipc_addr *addr, int64_t deadline);
int sipc__tp_close(const sipc_endpoint *ep, int fd);

/* ADDR as canonical URL text for a trace line; "?" when it cannot be
 * formatted. */
const char *sipc__tp_addr_text(const sipc_addr *addr, char *buf, size_t len);

/* A thread that used TLS (transport/tls; nothing where TLS is absent) and is about to end without
 * being joined: frees OpenSSL's state of this thread now.  OpenSSL would free it in a destructor
 * after the thread's function returned, which a process that exits meanwhile (it waited for the
 * thread's last visible step, not for its end) never runs: LeakSanitizer then reports it. */
void sipc__tls_thread_done(void);

#endif /* SIPC_TRANSPORT_H */
