/*
 * trace.h - the --trace lines: one per socket call, in one fixed format,
 * handed to the caller's sipc_trace_fn (the library itself never prints).
 */
#ifndef SIPC_TRACE_H
#define SIPC_TRACE_H

#include "sockipc.h"
#include "why.h"

/* Formats one line and hands it to FN; does nothing when FN is NULL. */
void sipc__tracef(sipc_trace_fn *fn, void *arg, const char *fmt, ...) SIPC__PRINTF(3, 4);

/* "AF_INET", "AF_INET6", "AF_UNIX" (or the number). */
const char *sipc__family_name(int family, char *buf, size_t len);
/* "SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET" (or the number). */
const char *sipc__socktype_name(int type, char *buf, size_t len);
/* "SOL_SOCKET", "IPPROTO_IP", "IPPROTO_IPV6", "IPPROTO_TCP" (or the
 * number), the level of a setsockopt line. */
const char *sipc__level_name(int level, char *buf, size_t len);
/* "0" or "-1 ECONNREFUSED (Connection refused)" for a call's result. */
const char *sipc__result_text(long result, char *buf, size_t len);

#endif /* SIPC_TRACE_H */
