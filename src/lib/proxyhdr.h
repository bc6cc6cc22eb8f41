/*
 * proxyhdr.h - HAProxy's PROXY protocol header (doc/proxy-protocol.txt of
 * haproxy, versions 1 and 2) as bytes, with no socket: a proxy puts it at
 * the head of the connection it opens to a backend to say who the real
 * client is (its source) and what address that client connected to (its
 * destination).  `serve --accept-proxy` parses it (worker.c reads the
 * bytes), `forward --send-proxy` formats it (the dialer writes it).
 *
 * Parsing is incremental: the caller gives every byte read so far and
 * learns whether the header is complete (its length), not complete yet
 * (every byte so far is a valid beginning: read more), or malformed
 * (a sentence that names the field and quotes it, peer bytes %XX-escaped
 * so it is safe for a log line).  Nothing is ever allocated: a header is
 * bounded (v1: 107 bytes; v2: SIPC__PROXYHDR_MAX, TLVs included), and
 * anything longer is an error, not a bigger buffer.
 */
#ifndef SIPC_PROXYHDR_H
#define SIPC_PROXYHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sockipc.h"

/* v1: the whole line, "PROXY ... \r\n", is at most this long (the spec). */
#define SIPC__PROXYHDR_V1_MAX 107
/* v2: 16 fixed bytes, then LEN bytes: the addresses (at most 216, two
 * unix paths) and the TLVs, which are skipped, at most this many bytes. */
#define SIPC__PROXYHDR_V2_FIXED    16
#define SIPC__PROXYHDR_V2_ADDR_MAX 216
#define SIPC__PROXYHDR_TLV_MAX     512
#define SIPC__PROXYHDR_V2_LEN_MAX  (SIPC__PROXYHDR_V2_ADDR_MAX + SIPC__PROXYHDR_TLV_MAX)
/* The longest header accepted, of either version: a buffer this big
 * always holds a complete one. */
#define SIPC__PROXYHDR_MAX (SIPC__PROXYHDR_V2_FIXED + SIPC__PROXYHDR_V2_LEN_MAX)

/* What a complete header says. */
struct sipc__proxyhdr {
	int version; /* 1 or 2 */
	/* v1 UNKNOWN, v2 LOCAL, v2 PROXY over AF_UNSPEC: the header names
	 * no client; the connection's real addresses stand (src, dst unset). */
	bool local;
	sipc_addr src; /* the real client (scheme tcp, or unix) */
	sipc_addr dst; /* the address it connected to */
};

/*
 * Parses the LEN bytes at BUF, the first bytes of a connection.  Returns
 * the header's length (> 0) with *H filled; 0 when every byte is a valid
 * beginning of a header but it is not complete (read more: it can only be
 * complete within SIPC__PROXYHDR_MAX bytes); -EPROTO when the bytes are no
 * header, with WHY saying what is wrong ("v1: 'TCP4' address '300.1.1.1'
 * is not IPv4", "v2: bad signature").  *H is written only on success.
 * Bytes after the header are not looked at.  Thread-safe.
 */
ssize_t sipc__proxyhdr_parse(const void *buf, size_t len, struct sipc__proxyhdr *h, char *why,
			     size_t whylen);

/* True when the LEN bytes at BUF begin as a header of either version
 * does: at least the first 5 bytes of the v1 "PROXY " or of the v2
 * signature (fewer bytes than that: false).  For telling a header sent
 * by a peer that may not send one. */
bool sipc__proxyhdr_looks(const void *buf, size_t len);

/*
 * Formats a header of VERSION (1 or 2) naming SRC as the client and DST
 * as the address it reached, into BUF of CAP bytes.  IPv4-mapped IPv6
 * addresses are written as IPv4 when the other one is IPv4 too; an IPv4
 * and an IPv6 address are both written as IPv6.  Addresses that are not
 * IP (or NULL) give v1's "PROXY UNKNOWN" and v2's UNIX family (both unix)
 * or AF_UNSPEC.  Returns the length, SIPC_EBUFSIZE when CAP is too small
 * (SIPC__PROXYHDR_MAX always suffices), or SIPC_EKIND for another version.
 */
ssize_t sipc__proxyhdr_format(int version, const sipc_addr *src, const sipc_addr *dst, void *buf,
			      size_t cap);

#endif /* SIPC_PROXYHDR_H */
