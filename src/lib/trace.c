/*
 * trace.c - formats the --trace lines.  The library never prints: each line
 * goes to the sipc_trace_fn the caller put in sipc_options, and the program
 * decides where it ends up (the CLI writes "sockipc: trace: LINE" to stderr).
 */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"

void sipc__tracef(sipc_trace_fn *fn, void *arg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, line);
}

const char *sipc__family_name(int family, char *buf, size_t len)
{
	switch (family) {
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_UNIX:
		return "AF_UNIX";
	default:
		snprintf(buf, len, "%d", family);
		return buf;
	}
}

const char *sipc__socktype_name(int type, char *buf, size_t len)
{
	switch (type) {
	case SOCK_STREAM:
		return "SOCK_STREAM";
	case SOCK_DGRAM:
		return "SOCK_DGRAM";
	case SOCK_SEQPACKET:
		return "SOCK_SEQPACKET";
	default:
		snprintf(buf, len, "%d", type);
		return buf;
	}
}

const char *sipc__level_name(int level, char *buf, size_t len)
{
	switch (level) {
	case SOL_SOCKET:
		return "SOL_SOCKET";
	case IPPROTO_IP:
		return "IPPROTO_IP";
	case IPPROTO_IPV6:
		return "IPPROTO_IPV6";
	case IPPROTO_TCP:
		return "IPPROTO_TCP";
	default:
		snprintf(buf, len, "%d", level);
		return buf;
	}
}

const char *sipc__result_text(long result, char *buf, size_t len)
{
	/* strace's form: the value, or -1 with the errno name and text, so a
	 * trace reads the same as the system call it shows. */
	if (result >= 0) {
		snprintf(buf, len, "%ld", result);
	} else if (result > -4096) {
		const char *name = sipc__sys_errname((int)-result);
		snprintf(buf, len, "-1 %s (%s)", name ? name : "?", sipc_strerror((int)result));
	} else {
		snprintf(buf, len, "-1 (%s)", sipc_strerror((int)result));
	}
	return buf;
}
