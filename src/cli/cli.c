/*
 * cli.c - what every subcommand shares besides option parsing: the global
 * settings, the "sockipc: " error and notice lines on stderr, the --trace
 * printer handed to the library, the bad-URL message of exit status 2, and
 * the one JSON string escaper.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "loop/loop.h"

struct sipc_cli_globals sipc_cli_globals;

static char *capture;
static size_t capture_len;

void sipc_cli_error_capture(char *buf, size_t len)
{
	capture = len > 0 ? buf : NULL;
	capture_len = len;
	if (capture != NULL)
		capture[0] = '\0';
}

static void vline(const char *fmt, va_list ap)
{
	char buf[1024];

	/* One fputs per line, so lines from --trace, --hex and errors never
	 * interleave mid-line (stderr is unbuffered). */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "sockipc: %s\n", buf);
}

void sipc_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (capture != NULL) {
		if (capture[0] == '\0')
			vsnprintf(capture, capture_len, fmt, ap);
	} else {
		vline(fmt, ap);
	}
	va_end(ap);
}

void sipc_cli_notice(const char *fmt, ...)
{
	va_list ap;

	if (!sipc_cli_globals.verbose || sipc_cli_globals.quiet)
		return;
	va_start(ap, fmt);
	if (capture != NULL) {
		if (capture[0] == '\0')
			vsnprintf(capture, capture_len, fmt, ap);
	} else {
		vline(fmt, ap);
	}
	va_end(ap);
}

void sipc_cli_notice_association(const char *cmd, const sipc_endpoint *ep)
{
	sipc_addr local, peer;
	char l[SIPC_URL_MAX] = "?", p[SIPC_URL_MAX] = "?";

	if (!sipc_cli_globals.verbose || sipc_cli_globals.quiet)
		return;
	if (sipc_endpoint_local(ep, &local) == 0)
		sipc_addr_format(&local, l, sizeof(l));
	if (sipc_endpoint_peer(ep, &peer) == 0)
		sipc_addr_format(&peer, p, sizeof(p));
	sipc_cli_notice("%s: connected to %s from %s", cmd, p, l);
}

int sipc_cli_io_choose(const char *cmd, const char *given, char *why, size_t n)
{
	const char *name = given != NULL ? given : getenv("SOCKIPC_IO");
	int rc = sipc__loop_choose(name, why, n);

	if (rc < 0) {
		sipc_cli_error("%s: %s: %s", cmd, given != NULL ? "--io" : "SOCKIPC_IO", why);
		return -1;
	}
	return rc;
}

void sipc_cli_trace(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "sockipc: trace: %s\n", line);
}

void sipc_cli_lib_options(sipc_options *opts)
{
	if (sipc_cli_globals.trace) {
		opts->trace = sipc_cli_trace;
		opts->trace_arg = NULL;
	}
}

const char *sipc_cli_dial_hint(sipc_scheme scheme, int rc)
{
	if (rc != -EPROTOTYPE)
		return "";
	switch (scheme) {
	case SIPC_UNIX:
		return " (the socket at this path is not a stream socket: try unixgram:// or "
		       "unixpacket://)";
	case SIPC_UNIXGRAM:
		return " (the socket at this path is not a datagram socket: try unix:// or "
		       "unixpacket://)";
	case SIPC_UNIXPACKET:
		return " (the socket at this path is not a seqpacket socket: try unix:// or "
		       "unixgram://)";
	default:
		return "";
	}
}

int sipc_cli_parse_url(const char *cmd, const char *text, sipc_url **urlp)
{
	char why[SIPC_WHY_MAX] = "";
	int rc = sipc_url_parse(text, urlp, why, sizeof(why));

	if (rc < 0) {
		sipc_cli_error("%s: bad URL '%s': %s", cmd, text, why[0] ? why : sipc_strerror(rc));
		return SIPC_EXIT_USAGE;
	}
	return 0;
}

void sipc_cli_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}
