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
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <sys/types.h> /* ssize_t */
#else
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * SIPC_EXTERN marks what the library exports.  It is built with
 * -fvisibility=hidden, so that only what this header declares is exported
 * from libsockipc.so; everything internal (sipc__*) stays inside it.  A
 * Windows DLL exports what is marked __declspec(dllexport) while it is
 * built (SIPC_BUILDING_DLL); a program calls its functions through the
 * import library without a mark.
 */
#if defined(_WIN32) && defined(SIPC_BUILDING_DLL)
#define SIPC_EXTERN __declspec(dllexport)
#elif defined(_WIN32)
#define SIPC_EXTERN
#elif defined(__GNUC__) && __GNUC__ >= 4
#define SIPC_EXTERN __attribute__((visibility("default")))
#else
#define SIPC_EXTERN
#endif

#define SIPC_VERSION "0.1.0"

/*
 * A socket as the system names it: a descriptor (int) on POSIX, a SOCKET
 * on Windows, where it is an unsigned handle as wide as a pointer.  Held
 * here as a signed integer so that -1 is the invalid socket on both
 * (INVALID_SOCKET is ~0).
 */
#ifdef _WIN32
typedef intptr_t sipc_socket;
#else
typedef int sipc_socket;
#endif

#ifdef _WIN32
/* WinSock has no struct iovec; WSABUF has its fields the other way round.
 * The vectored calls (sipc_writev_all, sipc_readv_exact) take this one, as
 * on POSIX.  A program that has its own defines SIPC_HAVE_STRUCT_IOVEC
 * before including this header. */
#ifndef SIPC_HAVE_STRUCT_IOVEC
#define SIPC_HAVE_STRUCT_IOVEC
struct iovec {
	void *iov_base;
	size_t iov_len;
};
#endif
#endif

/* The library's version string, the same as SIPC_VERSION at build time. */
SIPC_EXTERN const char *sipc_version(void);

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
	SIPC_EURL_OPTION = -3011,  /* bad socket option in the query: unknown,
				      repeated, bad value, or not for this
				      scheme (or role: see "Socket options") */

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

	/* TLS (tls://).  Each comes with a sentence that names the detail
	 * (both host names, the expiry date, both fingerprints, OpenSSL's
	 * own reason): sipc_endpoint_why, or the WHY buffer of
	 * sipc_options for a dial that fails. */
	SIPC_ETLS_CONFIG = -3060,        /* certificate, key, CA or option
					    unusable (file missing, key does
					    not match, bad PEM, bad pin) */
	SIPC_ETLS_HANDSHAKE = -3061,     /* the handshake failed for another
					    reason (no cipher in common...) */
	SIPC_ETLS_UNKNOWN_CA = -3062,    /* peer certificate not signed by a
					    trusted CA (or self-signed) */
	SIPC_ETLS_HOSTNAME = -3063,      /* certificate not for the host
					    dialed (or server_name) */
	SIPC_ETLS_EXPIRED = -3064,       /* peer certificate expired */
	SIPC_ETLS_NOT_YET_VALID = -3065, /* peer certificate not valid yet */
	SIPC_ETLS_PIN = -3066,           /* peer certificate is not the pinned
					    one */
	SIPC_ETLS_NO_PEER_CERT = -3067,  /* the peer sent no certificate where
					    one is required (mutual TLS) */
	SIPC_ETLS_VERSION = -3068,       /* no protocol version in common */
	SIPC_ETLS_NOT_TLS = -3069,       /* the peer does not speak TLS (plain
					    TCP, garbage) */
	SIPC_ETLS_TRUNCATED = -3070,     /* the stream ended without TLS
					    close_notify: a truncation attack
					    or a crashed peer, never a clean
					    end */
	SIPC_ETLS_PEER_ALERT = -3071,    /* the peer refused the handshake
					    with an alert (it did not accept
					    our certificate, say) */
	SIPC_ETLS_CERT = -3072,          /* peer certificate rejected for
					    another reason (revoked, bad
					    signature, wrong purpose) */

	/* Proxies (sipc_options.proxy). */
	SIPC_EPROXY = -3080, /* the proxy refused or failed (credentials,
				ruleset, its own failure) or broke its
				protocol; its reply in words in WHY.  A
				reply that means refused / unreachable /
				timed out comes back as that code. */

	/* Descriptors and credentials with a message (unix kinds). */
	SIPC_EFDTRUNC = -3090, /* the descriptors that came did not fit:
				  the control data was cut (MSG_CTRUNC) or
				  more came than the caller had room for;
				  every one that came is closed */
	SIPC_ENOFDS = -3091,   /* a message came without the descriptors
				  the caller asked for */

	/* Shared memory (shm://). */
	SIPC_ESHM_CORRUPT = -3100,   /* the peer wrote an impossible value into
					the shared ring (a position out of
					bounds, a bad header): the connection
					is over, never trusted again */
	SIPC_ESHM_HANDSHAKE = -3101, /* the peer's shm:// set-up was not one
					(not sockipc, wrong version, rings
					missing or unsealed); the reason in
					sipc_endpoint_why */

	/* What this system has no way to do (Windows: unixgram://,
	   unixpacket://, abstract unix names, descriptor and credential
	   passing, shm://; tls:// where the build has no OpenSSL). */
	SIPC_ENOTSUP = -3110, /* not supported on this system */
};

/*
 * Text for any code this library returns (-errno or SIPC_E...).  Returns a
 * static string; never NULL; thread-safe.
 */
SIPC_EXTERN const char *sipc_strerror(int code);

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
	SIPC_TLS,        /* tls://   TLS 1.2/1.3 over TCP, IPv4 or IPv6 */
	SIPC_TLS4,       /* tls4://  TLS over TCP, IPv4 only */
	SIPC_TLS6,       /* tls6://  TLS over TCP, IPv6 only */
	SIPC_SHM,        /* shm://   shared-memory rings, set up over a unix
			    stream socket at the URL's path or @name */
} sipc_scheme;

/* "tcp", "udp6", "unixpacket"...; "" for SIPC_SCHEME_NONE or an unknown value. */
SIPC_EXTERN const char *sipc_scheme_name(sipc_scheme s);
/* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; 0 for an unknown value. */
SIPC_EXTERN int sipc_scheme_socktype(sipc_scheme s);
/* True for tcp*, tls*, unix and shm: a byte stream, framed in message
 * mode. */
SIPC_EXTERN bool sipc_scheme_is_stream(sipc_scheme s);
/* True for tls, tls4 and tls6. */
SIPC_EXTERN bool sipc_scheme_is_tls(sipc_scheme s);
/* True where the socket's descriptor carries the application's bytes as
 * they are (tcp*, udp*, unix*): a caller may splice it, hand it to a child
 * process, peek or send urgent data on it.  False for tls* (records) and
 * shm (the bytes go through shared rings; the socket carries wake-ups):
 * their bytes move only through sipc_read/sipc_write and the like. */
SIPC_EXTERN bool sipc_scheme_is_raw(sipc_scheme s);
/* True for udp*, unixgram and unixpacket: one message is one datagram. */
SIPC_EXTERN bool sipc_scheme_is_datagram(sipc_scheme s);
/* True for the AF_UNIX schemes: unix, unixgram, unixpacket and shm (whose
 * rendezvous is a unix stream socket: peer credentials, socket files). */
SIPC_EXTERN bool sipc_scheme_is_unix(sipc_scheme s);
/* Connectionless: udp* and unixgram (unixpacket is connected). */
SIPC_EXTERN bool sipc_scheme_is_connectionless(sipc_scheme s);

/* -------------------------------------------------------------------- URLs */

typedef struct sipc_url sipc_url;

/* Size that holds any detail message: of sipc_url_parse, of the TLS
 * setters, and the sentence of a failed TLS dial or handshake (two
 * fingerprints and OpenSSL's reason fit). */
#define SIPC_WHY_MAX 512
/*
 * Size that holds any formatted URL or address, with its NUL.  The worst
 * case is a unix name of 107 bytes that all need a %XX escape:
 * "unixpacket://@" and 3 x 107 bytes (0.1.0 had 320, which that did not fit),
 * or an IP URL with a 253-byte host name and every socket option its
 * scheme takes (about 490 bytes; 352 before options).
 */
#define SIPC_URL_MAX 512

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
SIPC_EXTERN int sipc_url_parse(const char *text, sipc_url **urlp, char *why, size_t whylen);
/*
 * Socket options are the URL's query: NAME=VALUE pairs after '?', joined
 * by '&' ("tcp://h:80?keepalive=30&rcvbuf=1M&nodelay=1").  sipc_listen_url
 * and sipc_dial_url put them on the socket (a listener's pass to the
 * connections it accepts), each with one setsockopt that --trace shows; a
 * refused one fails the open with its -errno and, in sipc_options.why,
 * "option NAME=VALUE (setsockopt OPTION)".  The names (man sockipc,
 * "Socket options"):
 *   keepalive=S     SO_KEEPALIVE on, TCP_KEEPIDLE S seconds     tcp, tls
 *   keepintvl=S     TCP_KEEPINTVL (turns SO_KEEPALIVE on)        tcp, tls
 *   keepcnt=N       TCP_KEEPCNT (turns SO_KEEPALIVE on)          tcp, tls
 *   rcvbuf=SIZE     SO_RCVBUF; bytes, or with K or M (1024-based) any
 *   sndbuf=SIZE     SO_SNDBUF (Linux doubles both; read back 2x) any
 *   nodelay=0|1     TCP_NODELAY (default 1)                      tcp, tls
 *   reuseport=0|1   SO_REUSEPORT                                 tcp, tls, udp
 *   v6only=0|1      IPV6_V6ONLY on IPv6 sockets                  tcp, tls, udp
 *   ttl=N           IP_TTL / IPV6_UNICAST_HOPS                   tcp, tls, udp
 *   tos=N           IP_TOS / IPV6_TCLASS (decimal or 0x..)       tcp, tls, udp
 *   device=IF       SO_BINDTODEVICE                              tcp, tls, udp
 *   mark=N          SO_MARK (CAP_NET_ADMIN)                      tcp, tls, udp
 *   user_timeout=MS TCP_USER_TIMEOUT, milliseconds               tcp, tls
 *   fastopen=N      listener: TCP_FASTOPEN queue of N; dial:
 *                   TCP_FASTOPEN_CONNECT when N != 0             tcp, tls
 *   linger=S        SO_LINGER {on, S}; 0: every close a reset    tcp, tls
 *   iface=IF        multicast: join on / send through IF         udp
 *   mcast_ttl=N     IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS       udp
 *   mcast_loop=0|1  IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP      udp
 *   source=ADDR     listener on a group: source-specific join    udp
 * Listening on a group address (224.0.0.0/4, ff00::/8) binds the group
 * with SO_REUSEADDR and joins it (MCAST_JOIN_GROUP, or
 * MCAST_JOIN_SOURCE_GROUP with source=).  An unknown name, one given
 * twice, a bad value, an option the scheme has no use for, or source= on a
 * host that is not a group is SIPC_EURL_OPTION from the parse; source= on
 * a dial is SIPC_EURL_OPTION from the dial.  A '?' in a unix path is
 * written %3F.  sipc_endpoint_from_fd takes them from opts->url (shm only).
 */
SIPC_EXTERN void sipc_url_free(sipc_url *url); /* NULL does nothing */

SIPC_EXTERN sipc_scheme sipc_url_scheme(const sipc_url *url);
/* Host without brackets, zone included ("fe80::1%eth0"); "" for the
 * wildcard (empty or "*"); NULL for unix schemes. */
SIPC_EXTERN const char *sipc_url_host(const sipc_url *url);
/* Port number 0..65535 (service names resolved); -1 for unix schemes. */
SIPC_EXTERN int sipc_url_port(const sipc_url *url);
/*
 * Unix path with its %XX escapes decoded, "@name" for the abstract
 * namespace; NULL for IP.  An abstract name may hold NUL bytes (written
 * %00), and the string then ends at the first: sipc_url_resolve gives the
 * whole address.  Owned by URL.
 */
SIPC_EXTERN const char *sipc_url_path(const sipc_url *url);
SIPC_EXTERN bool sipc_url_is_abstract(const sipc_url *url);
/*
 * Writes the canonical URL: scheme as parsed, host lower-cased with IPv6 in
 * brackets and in inet_ntop form, "*" wildcard written as empty, port as a
 * number, and in unix names every byte other than a letter, a digit or one
 * of "-._~/:+,=@" as %XX (uppercase hex; '%' too, and a filesystem path's
 * leading '@'); then the socket options in the order of the list above,
 * sizes with K or M where they divide evenly, tos and mark in hex.
 * parse(format(u)) gives the same URL and formats to the same text.
 * Returns the length (without NUL) or SIPC_EBUFSIZE, when LEN does not
 * hold it and its NUL (SIPC_URL_MAX always does); BUF is untouched on
 * failure.
 */
SIPC_EXTERN int sipc_url_format(const sipc_url *url, char *buf, size_t len);

/* --------------------------------------------------------------- addresses */

/*
 * A socket address with the scheme it belongs to.  Formatting uses the
 * base scheme of the socket kind: tcp, udp, unix, unixgram or unixpacket,
 * and tls for tls/tls4/tls6 endpoints (so a tls listener's address is a
 * URL a client dials as it is).
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
SIPC_EXTERN int sipc_addr_format(const sipc_addr *addr, char *buf, size_t len);

/* Fills ADDR from a raw sockaddr; -EAFNOSUPPORT/-EINVAL for a bad one. */
SIPC_EXTERN int sipc_addr_from_sockaddr(sipc_addr *addr, sipc_scheme scheme,
					const struct sockaddr *sa, socklen_t len);

/* True when both hold the same family, address, port (or path). */
SIPC_EXTERN bool sipc_addr_equal(const sipc_addr *a, const sipc_addr *b);

/*
 * Resolves URL to at most MAX addresses in getaddrinfo order (AI_PASSIVE
 * when PASSIVE, so an empty host gives the wildcard; tcp:// and udp://
 * with an empty host give "::" first when the machine has IPv6, for a
 * dual-stack listener).  Unix URLs give exactly one address.
 * Returns the count (>= 1) or a negative code (SIPC_ERESOLVE_*).
 */
SIPC_EXTERN int sipc_url_resolve(const sipc_url *url, bool passive, sipc_addr *out, size_t max);

/* ---------------------------------------------------------------- options */

/* Receives one line, without newline, per socket call when tracing. */
typedef void sipc_trace_fn(void *arg, const char *line);

#define SIPC_MAX_MSG_DEFAULT ((size_t)16 * 1024 * 1024)

typedef struct sipc_endpoint sipc_endpoint;
typedef struct sipc_tls_config sipc_tls_config;

/*
 * Options for sipc_listen/sipc_dial/sipc_endpoint_from_fd.  NULL means all
 * defaults; a zeroed struct means the same, and callers must zero what they
 * do not set (`sipc_options o = {0};`): the reserved slots are how later
 * versions add options without changing the struct's size.  Settings that
 * will keep growing (TLS) live in objects of their own with setters.
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
	/* tls* URLs: certificates, verification, ALPN...  NULL on a dial
	 * means the defaults of a client config (system CA store, peer
	 * verified, host name checked against the URL host, SNI sent); a
	 * listener without one (or with a client config) is
	 * SIPC_ETLS_CONFIG.  Endpoints hold a reference: the config may be
	 * freed once the call returns.  Ignored by the other schemes. */
	const sipc_tls_config *tls;
	/* Dial, listen, from_fd: when set, a failure writes a sentence here
	 * that says what went wrong beyond the code (cut to WHYLEN, NUL
	 * included), such as "the certificate is for DNS:a.example, not
	 * 'b.example'", or what is wrong with the URL; it is "" after a
	 * failure with nothing to add.  Accept and later calls keep theirs
	 * on the endpoint (sipc_endpoint_why).  Not shared between threads. */
	char *why;
	size_t whylen;
	/* Dial: reach the URL through this proxy (NULL: directly).
	 * socks5://[USER:PASS@]HOST[:PORT] (the destination's name resolved
	 * here, its address sent), socks5h:// (the name sent, the proxy
	 * resolves it), socks4:// (IPv4, resolved here), socks4a://[USER@]
	 * (the name sent), http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT,
	 * Basic authentication).  USER and PASS take %XX escapes; the port
	 * defaults to 1080 (SOCKS) or 3128 (HTTP).  Only tcp* and tls* URLs
	 * go through a proxy (others: SIPC_EKIND); a tls:// handshake runs
	 * over the tunnel, verified against the URL's host.  The proxy's
	 * refusal is SIPC_EPROXY, or -ECONNREFUSED, -EHOSTUNREACH,
	 * -ENETUNREACH, SIPC_ETIMEDOUT where its reply says that of the
	 * destination, with the reply in words in WHY.  The endpoint's peer
	 * address (sipc_endpoint_peer) is the proxy's.  Ignored by listen. */
	const char *proxy;
	/* from_fd: the URL the descriptor was made for (dialed, bound), of
	 * the same scheme (-EINVAL otherwise); the endpoint keeps its
	 * options as a dial or listen of it would, so shm:// takes ring=,
	 * spin= and ring_max= into its handshake.  Options that a dial sets
	 * on its own socket (keepalive=, rcvbuf=...) cannot be set on one
	 * made elsewhere: a URL of another scheme that names any is
	 * SIPC_EURL_OPTION.  Ignored by dial and listen (they take a URL of
	 * their own).  The URL may be freed once the call returns. */
	const sipc_url *url;
	void *reserved[4]; /* zero */
} sipc_options;

/* ------------------------------------------------------------------- TLS */

/*
 * A TLS configuration: one side's certificate and key, whom it trusts, and
 * what it asks of the peer; built with OpenSSL 3.  Create it, set it up
 * with the setters, and pass it in sipc_options.tls to any number of
 * listens and dials.  Setters may be called again later (and
 * sipc_tls_config_reload re-reads the files): new handshakes use the new
 * settings, connections already open keep what they started with.  A
 * config is reference counted: endpoints keep their own reference, so
 * sipc_tls_config_free may come first.  Setters, reload and free are
 * thread-safe against handshakes running on other threads.
 *
 * Every setter returns 0 or a negative code (-EINVAL for a NULL or empty
 * argument that must be given, -ENOMEM, SIPC_ETLS_CONFIG with a sentence in
 * WHY, cut to WHYLEN, when WHY is not NULL) and, when it fails, leaves the
 * config as it was.
 */
typedef enum sipc_tls_role {
	SIPC_TLS_CLIENT = 1, /* dials: verifies the server by default */
	SIPC_TLS_SERVER = 2, /* listens: needs a certificate and key */
} sipc_tls_role;

SIPC_EXTERN int sipc_tls_config_new(sipc_tls_role role, sipc_tls_config **cfgp);
SIPC_EXTERN void
sipc_tls_config_free(sipc_tls_config *cfg); /* drops one reference; NULL does nothing */

/* This side's certificate chain and private key, PEM files; KEY NULL means
 * the key is in CERT's file.  Checked at once: unreadable file, bad PEM
 * and a key that does not match the certificate are SIPC_ETLS_CONFIG. */
SIPC_EXTERN int sipc_tls_config_cert(sipc_tls_config *cfg, const char *cert, const char *key,
				     char *why, size_t whylen);
/* A fresh self-signed certificate and key made in memory (ECDSA P-256,
 * valid from an hour ago for 30 days, subject CN=NAME and NAME as its
 * subjectAltName), for "listen with no files": give its fingerprint to the
 * other side, which pins it. */
SIPC_EXTERN int sipc_tls_config_self_signed(sipc_tls_config *cfg, const char *name, char *why,
					    size_t whylen);
/* Whom to trust: a PEM file of CA certificates or a hashed directory
 * (c_rehash); default the system store.  On a server this is the CA of
 * client certificates, and setting it turns on SIPC_TLS_VERIFY_REQUIRE.
 * (In TLS 1.3 a client's handshake ends before the server has judged its
 * certificate: a refused client learns it on its first read, as
 * SIPC_ETLS_PEER_ALERT.) */
SIPC_EXTERN int sipc_tls_config_ca(sipc_tls_config *cfg, const char *path, char *why,
				   size_t whylen);

typedef enum sipc_tls_verify {
	SIPC_TLS_VERIFY_NONE = 0,     /* accept any peer (client: loud, for
					 tests; server: the default) */
	SIPC_TLS_VERIFY_REQUIRE = 1,  /* client: the default; server: mutual
					 TLS, a client without a valid
					 certificate is refused */
	SIPC_TLS_VERIFY_OPTIONAL = 2, /* server: verify a certificate when the
					 client sends one */
} sipc_tls_verify;
SIPC_EXTERN int sipc_tls_config_verify(sipc_tls_config *cfg, sipc_tls_verify mode);

/* Client: the name sent as SNI and checked against the certificate, in
 * place of the URL host (an IP literal URL sends no SNI and is checked as
 * an IP address). */
SIPC_EXTERN int sipc_tls_config_server_name(sipc_tls_config *cfg, const char *name);
/* ALPN protocols, comma-separated in order of preference ("h2,http/1.1").
 * Client: offered; server: the first of the client's list that is also in
 * this one is chosen, and a client offering none of them is refused (a
 * client that sends no ALPN at all is not asked: RFC 7301, none chosen). */
SIPC_EXTERN int sipc_tls_config_alpn(sipc_tls_config *cfg, const char *list, char *why,
				     size_t whylen);
/* Lowest protocol version: "1.2" (the default) or "1.3". */
SIPC_EXTERN int sipc_tls_config_min_version(sipc_tls_config *cfg, const char *version, char *why,
					    size_t whylen);
/* Accept exactly the peer certificate whose SHA-256 fingerprint is PIN (64
 * hex digits, colons and a "SHA256:" prefix allowed, any case), in place of
 * the CA and name checks: ssh's model, for self-signed certificates.  May
 * be called again to allow more than one. */
SIPC_EXTERN int sipc_tls_config_pin(sipc_tls_config *cfg, const char *pin, char *why,
				    size_t whylen);
/* Re-reads the certificate, key and CA files given earlier, for new
 * handshakes (SIGHUP).  On failure the config keeps what it had. */
SIPC_EXTERN int sipc_tls_config_reload(sipc_tls_config *cfg, char *why, size_t whylen);
/* The SHA-256 fingerprint of this side's certificate, as
 * "SHA256:AB:CD:...:EF" (the form `openssl x509 -fingerprint -sha256`
 * prints, with our prefix); SIPC_EBUFSIZE when LEN is short (104 always
 * fits), -ENOENT without a certificate. */
#define SIPC_TLS_FINGERPRINT_MAX 104
SIPC_EXTERN int sipc_tls_config_fingerprint(const sipc_tls_config *cfg, char *buf, size_t len);

/*
 * Drives the handshake of a tls endpoint: a dial completes it before it
 * returns (within its timeout; a failed handshake is not retried at the
 * name's other addresses), an accepted endpoint does it on its first read
 * or write, or here, to see the client's identity (or refuse it) before any
 * data; sipc_accept itself never waits on a client.  0 once done and our
 * last handshake bytes have left (at once for other schemes),
 * SIPC_ETIMEDOUT when it is not done yet (with timeout 0: poll the
 * descriptor for sipc_endpoint_want(ep, POLLIN) and call again), or a
 * SIPC_ETLS_* code (or -errno from the socket) with a sentence from
 * sipc_endpoint_why; every later call on the endpoint returns that code
 * again.  A successful handshake is one --trace line:
 *   tls_handshake(FD) = VERSION CIPHER peer="SUBJECT" FINGERPRINT
 *   verify=yes|no|pinned alpn=PROTO|- ktls=no|tx|rx|tx+rx
 * (FINGERPRINT "-" without a peer certificate), a failed one
 *   tls_handshake(FD) = -1 (sipc_strerror text): SENTENCE
 * Sessions are not resumed (no tickets); TLS 1.3 key updates and, on a
 * client, a TLS 1.2 server's renegotiation are followed inside reads and
 * writes; a server refuses a client's renegotiation (no_renegotiation).
 */
SIPC_EXTERN int sipc_handshake(sipc_endpoint *ep, int timeout_ms);

/* What sipc_tls_info returns about a connection, the peer first. */
typedef enum sipc_tls_field {
	SIPC_TLS_PEER_SUBJECT = 1, /* "CN=client,O=Example" (RFC 2253), "" when
				      the peer sent no certificate */
	SIPC_TLS_PEER_ISSUER,      /* the issuer, same form */
	SIPC_TLS_PEER_SAN,         /* subjectAltNames: "DNS:a.example,IP:127.0.0.1" */
	SIPC_TLS_PEER_FINGERPRINT, /* "SHA256:AB:CD:..." */
	SIPC_TLS_PEER_NOT_AFTER,   /* "2026-12-31 23:59:59 UTC" */
	SIPC_TLS_VERIFIED,         /* "yes", "no" (verification off) or "pinned" */
	SIPC_TLS_VERSION,          /* "TLSv1.3" */
	SIPC_TLS_CIPHER,           /* "TLS_AES_256_GCM_SHA384" */
	SIPC_TLS_ALPN,             /* the protocol chosen, "" when none */
	SIPC_TLS_SNI,              /* the name the client asked for, "" when none */
	SIPC_TLS_KTLS,             /* "tx+rx", "tx", "rx" or "no" (always "no"
				      today: records go through the library's
				      own BIO, which keeps written bytes
				      that the socket did not take) */
} sipc_tls_field;
/*
 * Writes FIELD of EP's finished handshake into BUF as NUL-terminated text,
 * every byte a peer chose escaped (%XX) so it is safe in a log line or an
 * environment variable.  Returns the length, SIPC_EKIND for a non-TLS
 * endpoint or a listener, -EAGAIN before the handshake is done, SIPC_EBUFSIZE
 * when LEN is short (1024 always fits), -EINVAL for an unknown field.
 */
#define SIPC_TLS_INFO_MAX 1024
SIPC_EXTERN int sipc_tls_info(const sipc_endpoint *ep, sipc_tls_field field, char *buf, size_t len);

/* --------------------------------------------------------------- endpoints */

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
SIPC_EXTERN int sipc_listen(const char *url, const sipc_options *opts, sipc_endpoint **epp);
SIPC_EXTERN int sipc_listen_url(const sipc_url *url, const sipc_options *opts, sipc_endpoint **epp);

/*
 * Opens a connection: resolves URL and tries each address in turn, each
 * with what is left of TIMEOUT_MS, returning the error of the last one when
 * all fail.  A datagram URL gives a connected datagram socket: sipc_send
 * goes to that peer and only its datagrams arrive.  A tls URL also
 * completes the handshake within TIMEOUT_MS (sipc_handshake), sending the
 * URL host as SNI (not an IP address) and checking the certificate against
 * it (server_name replaces both).
 */
SIPC_EXTERN int sipc_dial(const char *url, const sipc_options *opts, int timeout_ms,
			  sipc_endpoint **epp);
SIPC_EXTERN int sipc_dial_url(const sipc_url *url, const sipc_options *opts, int timeout_ms,
			      sipc_endpoint **epp);

/*
 * Wraps an existing socket descriptor.  On success the endpoint owns FD
 * (made close-on-exec and non-blocking); on failure the caller still does.
 * SCHEME says how to frame messages; it must match the socket type
 * (-EINVAL otherwise).  For tls schemes opts->tls gives the role: a server
 * config makes the accepting side (or a listener, for a listening FD), a
 * client config (or none) the dialing side, whose name to check is
 * server_name; the handshake happens on first use or in sipc_handshake.
 */
SIPC_EXTERN int sipc_endpoint_from_fd(sipc_socket fd, sipc_scheme scheme, const sipc_options *opts,
				      sipc_endpoint **epp);

/*
 * Accepts one connection on a stream or seqpacket listener (SIPC_EKIND
 * otherwise).  The new endpoint inherits the listener's options; its peer is
 * available from sipc_endpoint_peer.  EMFILE/ENFILE are returned as they
 * are (-EMFILE): the pending connection stays queued, and the caller
 * decides how to back off.
 */
SIPC_EXTERN int sipc_accept(sipc_endpoint *listener, int timeout_ms, sipc_endpoint **connp);

/* Closes the descriptor and frees the endpoint; NULL does nothing.  A TLS
 * connection sends close_notify first, without waiting (bytes the socket
 * cannot take at once are dropped: sipc_shutdown_write and reading to the
 * end is the graceful close, as lingering is for TCP). */
SIPC_EXTERN void sipc_endpoint_close(sipc_endpoint *ep);

/*
 * Abortive close (the seeds' "abort communication"): on a TCP or TLS
 * connection sets SO_LINGER {on, 0 seconds} and closes, so the kernel
 * drops what is still queued and the peer gets a reset (its next read or
 * write fails with ECONNRESET) instead of an orderly end of stream (on
 * TLS, the close_notify the close sends may reach the peer first).  EP is
 * closed and freed in every case, as by sipc_endpoint_close.  Returns 0;
 * SIPC_EKIND for a listener or a kind without resets (udp, unix: closed
 * as usual); the setsockopt's -errno when it failed (closed as usual);
 * -EINVAL for NULL.  The URL option linger=0 makes every close of a
 * connection abortive.
 */
SIPC_EXTERN int sipc_endpoint_abort(sipc_endpoint *ep);

/* The descriptor (a SOCKET on Windows), for a caller's own poll/epoll/libuv
 * loop.  Still owned by the endpoint. */
SIPC_EXTERN sipc_socket sipc_endpoint_fd(const sipc_endpoint *ep);
SIPC_EXTERN sipc_scheme sipc_endpoint_scheme(const sipc_endpoint *ep);
SIPC_EXTERN bool sipc_endpoint_is_listener(const sipc_endpoint *ep);

SIPC_EXTERN int sipc_endpoint_local(const sipc_endpoint *ep, sipc_addr *out);
/* The connected peer; -ENOTCONN for a listener or unconnected datagram. */
SIPC_EXTERN int sipc_endpoint_peer(const sipc_endpoint *ep, sipc_addr *out);

#ifdef _WIN32
/* Windows has no such credentials on a socket: the calls that fill one
 * return SIPC_ENOTSUP there, and the fields keep POSIX's widths. */
typedef struct sipc_cred {
	int pid;
	unsigned uid;
	unsigned gid;
} sipc_cred;
#else
typedef struct sipc_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
} sipc_cred;
#endif
/* The peer's credentials on a connected unix endpoint (SO_PEERCRED);
 * SIPC_EKIND on other kinds. */
SIPC_EXTERN int sipc_endpoint_peercred(const sipc_endpoint *ep, sipc_cred *out);

/* ---------------------------------------------- descriptors and credentials */

/*
 * Open descriptors and credentials handed over with a message on the unix
 * kinds (unix, unixgram, unixpacket connections and unixgram endpoints;
 * SIPC_EKIND on every other kind, tls included, and on listeners that
 * accept):
 * SCM_RIGHTS and SCM_CREDENTIALS.  The message is framed exactly as
 * sipc_send frames it, so a peer that reads it with plain sipc_recv still
 * gets its bytes (the descriptors are then closed by the kernel, never
 * left open in the peer).  On a unix:// stream the descriptors ride with
 * the first byte of the frame, its length header, so a message may be
 * empty; a send that times out part way keeps the rest of the frame as
 * sipc_send does, and the descriptors have gone already.
 *
 * The sender keeps its own descriptors: the peer gets new ones, to the same
 * open files (pipes, sockets, memfds, files opened read-only...), and each
 * side closes its own.  A receiver gets them close-on-exec
 * (MSG_CMSG_CLOEXEC), in blocking or non-blocking mode as the sender had
 * them (the mode belongs to the open file, which both share).
 *
 * No received descriptor is ever left open by a call that fails: more than
 * the caller has room for, or more than SIPC_FDS_MAX, is SIPC_EFDTRUNC with
 * all of them closed and the message dropped (on a unix:// stream, whose
 * framing is then lost, the endpoint is broken: SIPC_EBROKEN afterwards);
 * the same for a message too large (SIPC_ETRUNC, SIPC_EMSGSIZE) or cut
 * short.  With --trace each sendmsg and recvmsg with control data is one
 * line: "sendmsg(5, 12 bytes, SCM_RIGHTS [7]) = 12", "recvmsg(5, 4 bytes) =
 * 4 SCM_RIGHTS [9]".
 */
#define SIPC_FDS_MAX 64

/* Sends BUF/LEN as one message with the NFDS (1..SIPC_FDS_MAX; -EINVAL
 * otherwise, -EBADF for a negative one) descriptors FDS.  Returns LEN or a
 * code as sipc_send. */
SIPC_EXTERN ssize_t sipc_send_fds(sipc_endpoint *ep, const void *buf, size_t len, const int *fds,
				  size_t nfds, int timeout_ms);

/*
 * Receives one message into BUF/CAP, as sipc_recv, and the descriptors that
 * came with it into FDS (room for MAX, 1..SIPC_FDS_MAX), their count in
 * *NFDS: the caller owns them and closes them.  Returns the message length,
 * or SIPC_ENOFDS for a message that came with none (it is taken: the next
 * call reads the next message), SIPC_EFDTRUNC (see above), or a code as
 * sipc_recv.  *NFDS is 0 on failure.
 */
SIPC_EXTERN ssize_t sipc_recv_fds(sipc_endpoint *ep, void *buf, size_t cap, int *fds, size_t max,
				  size_t *nfds, int timeout_ms);

/* Sends BUF/LEN as one message with this process's credentials (pid,
 * effective uid and gid) as SCM_CREDENTIALS: the kernel checks them, so the
 * peer can trust them.  Returns LEN or a code as sipc_send. */
SIPC_EXTERN ssize_t sipc_send_cred(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms);

/*
 * Receives one message as sipc_recv, with the credentials of the process
 * that sent it in *CRED.  The first call turns SO_PASSCRED on for the
 * endpoint; from then on the kernel attaches the sender's credentials to
 * every message.  A message sent before that without sipc_send_cred came
 * with none: *CRED then has pid 0 and the overflow uid and gid (65534), as
 * the kernel says it.  A message that carries descriptors is SIPC_EFDTRUNC
 * (they are closed).
 */
SIPC_EXTERN ssize_t sipc_recv_cred(sipc_endpoint *ep, void *buf, size_t cap, sipc_cred *cred,
				   int timeout_ms);

/*
 * A pidfd of the peer process of a connected unix (or shm) endpoint (SO_PEERPIDFD,
 * Linux 6.5 and later): unlike the pid of sipc_endpoint_peercred it cannot
 * come to name another process once the peer has exited (poll it for
 * POLLIN to learn that it has).  Returns the descriptor, close-on-exec,
 * which the caller closes; -ENOPROTOOPT on a kernel without it, -ENOTCONN,
 * SIPC_EKIND on other kinds, or -errno.
 */
SIPC_EXTERN int sipc_endpoint_peerpidfd(const sipc_endpoint *ep);

SIPC_EXTERN size_t sipc_endpoint_max_msg(const sipc_endpoint *ep);
SIPC_EXTERN void sipc_endpoint_set_max_msg(sipc_endpoint *ep, size_t max_msg);

/*
 * Connectionless endpoints (udp*, unixgram) only, SIPC_EKIND otherwise:
 * makes PEER the fixed peer (connect(2)), so only its datagrams arrive and
 * sipc_send goes to it; a listener uses it to answer the sender of a first
 * datagram.  PEER NULL dissolves the association again.
 */
SIPC_EXTERN int sipc_endpoint_connect(sipc_endpoint *ep, const sipc_addr *peer);

/* Shuts down the write side (the peer reads end of stream); reading goes on.
 * On TLS it queues close_notify behind any bytes still waiting and never
 * blocks: the TCP shutdown follows once they have all left, in this call or
 * in a later read, write or wait (sipc_endpoint_want adds POLLOUT until
 * then).  SIPC_EKIND on a listener. */
SIPC_EXTERN int sipc_shutdown_write(sipc_endpoint *ep);

/*
 * For a caller's own poll loop.  A call with timeout 0 that returns
 * SIPC_ETIMEDOUT wants the descriptor ready for what this returns, given
 * what the caller is after (POLLIN to receive, POLLOUT to send): on plain
 * sockets that is EVENTS itself; TLS may need the other direction first (a
 * read that must send a key update, a write during a handshake), and adds
 * POLLOUT while it holds encrypted bytes the socket did not take yet.
 * When it returns both, either readiness means: make the same call again
 * (it sends what waits first).  Before the handshake is done it is what
 * the handshake waits for, whatever EVENTS says.  shm:// moves bytes
 * through shared memory and wakes a sleeping peer with a byte on the
 * socket, so bytes and room both come as POLLIN (this arms the ring, so
 * the wake-up is sent); POLLOUT when the call can go on at once.
 */
SIPC_EXTERN short sipc_endpoint_want(const sipc_endpoint *ep, short events);
/* Bytes the endpoint holds that the next read returns without the
 * descriptor becoming readable (decrypted TLS records): poll does not see
 * them, so read these first.  A whole TLS record read ahead but not yet
 * decrypted counts with its size (an upper bound: it may hold no data, a
 * key update, say, and the read then times out at once).  When a read
 * returned data and found the end of the stream (or a failure) behind it,
 * this is 1 until the next read reports that end: a loop that reads while
 * this is above 0 never misses it.  0 before the handshake is done.
 * shm://: the bytes in the ring (1 for its end).  A descriptor may also
 * wake without bytes (a wake-up left over): the read then times out at
 * once, and the loop polls again. */
SIPC_EXTERN size_t sipc_endpoint_pending(const sipc_endpoint *ep);
/*
 * Busy-polling from a caller's own loop.  shm:// bytes arrive in memory
 * that the descriptor tells of only when the endpoint armed it, which costs
 * the peer a system call per wake-up; a loop that spins reads the memory
 * instead.  sipc_endpoint_spin says how long the endpoint's URL asks a loop
 * to spin before it sleeps: microseconds (the most, for an adaptive
 * budget), SIPC_SPIN_ALWAYS to busy-poll, 0 never (every socket, TLS, and
 * shm:// before its handshake is done or with spin=0).
 * sipc_endpoint_ready says which of EVENTS (POLLIN, POLLOUT) a read or a
 * write can go on with now, from memory alone: no system call (0 where
 * sipc_endpoint_spin is 0).  Once it has been called on an endpoint, reads
 * and writes no longer arm the descriptor on their own: the loop must ask
 * sipc_endpoint_want before every sleep (and sleep only when
 * sipc_endpoint_ready, asked after it, still says 0).
 */
#define SIPC_SPIN_ALWAYS (-1L)
SIPC_EXTERN long sipc_endpoint_spin(const sipc_endpoint *ep);
SIPC_EXTERN short sipc_endpoint_ready(sipc_endpoint *ep, short events);
/* The sentence behind the last failed call on EP (the TLS detail), "" when
 * there is none.  Owned by EP, valid until its next call. */
SIPC_EXTERN const char *sipc_endpoint_why(const sipc_endpoint *ep);

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
SIPC_EXTERN ssize_t sipc_send(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms);

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
SIPC_EXTERN ssize_t sipc_recv(sipc_endpoint *ep, void *buf, size_t cap, int timeout_ms);

/*
 * As sipc_recv, but allocates exactly the message's size (at least one
 * byte, so an empty message still gets a pointer): on success *msgp owns it
 * (free()).  Nothing is allocated before the length is checked against the
 * maximum, and memory grows with the bytes that arrive, not with the length
 * a frame header claims.
 */
SIPC_EXTERN ssize_t sipc_recv_alloc(sipc_endpoint *ep, void **msgp, int timeout_ms);

/* Connectionless endpoints only (SIPC_EKIND otherwise): one datagram to or
 * from any address, with the limits of sipc_send/sipc_recv (SIPC_ETRUNC,
 * SIPC_EMSGSIZE above the endpoint maximum).  FROM may be NULL; it is
 * written only on success. */
SIPC_EXTERN ssize_t sipc_sendto(sipc_endpoint *ep, const void *buf, size_t len, const sipc_addr *to,
				int timeout_ms);
SIPC_EXTERN ssize_t sipc_recvfrom(sipc_endpoint *ep, void *buf, size_t cap, sipc_addr *from,
				  int timeout_ms);

/* ------------------------------------------------------------------- bytes */

/* Reads what is there, up to CAP bytes (waiting for at least one); 0 at end
 * of stream.  On datagram and seqpacket endpoints one datagram: one larger
 * than CAP is SIPC_ETRUNC (and dropped), never returned cut. */
SIPC_EXTERN ssize_t sipc_read(sipc_endpoint *ep, void *buf, size_t cap, int timeout_ms);
/* Writes all LEN bytes, looping over short writes; returns LEN.  On failure
 * an unknown prefix may have been sent. */
SIPC_EXTERN ssize_t sipc_write_all(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms);
/* Reads exactly N bytes; SIPC_ECLOSED if the stream ends before the first,
 * SIPC_EPARTIAL if it ends after some.  Streams only: on datagram and
 * seqpacket endpoints it would cut and join records, so it returns
 * SIPC_EKIND there (sipc_read takes one whole record). */
SIPC_EXTERN ssize_t sipc_read_exact(sipc_endpoint *ep, void *buf, size_t n, int timeout_ms);
/* Vectored forms; IOV is not modified.  sipc_readv_exact: streams only, as
 * sipc_read_exact. */
SIPC_EXTERN ssize_t sipc_writev_all(sipc_endpoint *ep, const struct iovec *iov, int iovcnt,
				    int timeout_ms);
SIPC_EXTERN ssize_t sipc_readv_exact(sipc_endpoint *ep, const struct iovec *iov, int iovcnt,
				     int timeout_ms);

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
SIPC_EXTERN ssize_t sipc_request(sipc_endpoint *ep, const void *req, size_t len, void *reply,
				 size_t cap, int timeout_ms, int retries);

/* ------------------------------------------------------------ urgent data */

/*
 * Urgent (out-of-band) data on TCP, the seeds' "generate urgent data;
 * handle incoming urgent data": send(2)/recv(2) with MSG_OOB, and
 * sockatmark(3).  tcp, tcp4 and tcp6 connections only: every other kind,
 * and listeners, give SIPC_EKIND.  Datagram and unix sockets have no urgent
 * data at all; tls* has none on purpose: the byte would travel beside the
 * TLS record layer, unencrypted and unauthenticated, so a man in the middle
 * could forge or drop it (and the library never sends one on a TLS socket).
 *
 * What TCP gives, and these calls do not hide:
 *  - One urgent byte at a time.  The connection keeps one urgent pointer:
 *    a second urgent byte sent before the peer read the first replaces it,
 *    and the earlier one becomes a normal byte of the stream, where it was
 *    sent (RFC 6093 advises new protocols not to use urgent data for this
 *    reason).  Send one, and let the peer answer before the next.
 *  - Out of band, not inline.  The library reads the byte out of band (the
 *    default): the kernel takes it out of the normal stream, so sipc_read
 *    never returns it.  A caller that sets SO_OOBINLINE on the descriptor
 *    gets it in the stream instead, and sipc_urgent_recv then says none
 *    is pending.
 *  - The mark.  The place of the urgent byte in the stream is the mark.  A
 *    read of the normal stream stops at it (it returns fewer bytes, the
 *    ones before the mark) and the next read goes on after it, so a
 *    program can tell the data sent before the urgent byte from the data
 *    sent after.  A normal read at the mark before the urgent byte was
 *    taken loses it (Linux moves past it): take it first.  The look and
 *    the read are two calls: with every byte before the mark read, the
 *    urgent byte can land between them, right where the read starts.  A
 *    byte that was queued before the look cannot be the urgent one, so
 *    connect and serve peek one byte (MSG_PEEK), then look, and read only
 *    when the peek found one and the mark is not there.
 *  - Waiting.  The descriptor polls POLLPRI (EPOLLPRI) while an urgent byte
 *    waits to be read, so a caller's own loop waits for one there, beside
 *    POLLIN.  It stays ready until the byte is read: a level-triggered loop
 *    that asks for POLLPRI must read it.  SIGURG goes to the descriptor's
 *    owner (F_SETOWN), which the library never sets.
 *
 * Each call is one --trace line ("send(5, 0x41 'A', MSG_OOB) = 1",
 * "recv(5, MSG_OOB) = 1 0x41 'A'", "sockatmark(5) = 1", "poll(5, POLLPRI)
 * = 1").  Not thread-safe on one endpoint, as the other calls.
 */

/* Sends BYTE as urgent data: it follows every byte written before it, and
 * the peer's mark is there.  Waits at most TIMEOUT_MS while the send
 * buffer is full.  0, SIPC_ETIMEDOUT (nothing sent), SIPC_EKIND, or -errno
 * (-EPIPE when the peer is gone; never SIGPIPE). */
SIPC_EXTERN int sipc_urgent_send(sipc_endpoint *ep, uint8_t byte, int timeout_ms);

/* Whether an urgent byte waits to be read: 1 yes, 0 no, or SIPC_EKIND /
 * -errno.  Never blocks (a poll of POLLPRI with no wait). */
SIPC_EXTERN int sipc_urgent_pending(const sipc_endpoint *ep);

/* Reads the waiting urgent byte into *BYTE: 1, or 0 when none is pending
 * (none came, it was read already, a read of the stream went past its
 * mark, or its byte has not arrived yet; *BYTE untouched), SIPC_EKIND or
 * -errno.  Never blocks: wait for POLLPRI first. */
SIPC_EXTERN int sipc_urgent_recv(sipc_endpoint *ep, uint8_t *byte);

/* Whether the next byte of the normal stream is the one just after the
 * mark (every byte sent before the urgent byte has been read): 1 yes, 0
 * no, or SIPC_EKIND / -errno.  It stays 1 after the urgent byte is read
 * until a read moves past the mark.  Never blocks. */
SIPC_EXTERN int sipc_urgent_at_mark(const sipc_endpoint *ep);

#ifdef __cplusplus
}
#endif

#endif /* SOCKIPC_H */
