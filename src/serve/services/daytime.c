/*
 * daytime.c - RFC 867: one line with the date and time, then the end.
 * The RFC fixes no format; xinetd's "DD MON YYYY HH:MM:SS ZONE\r\n"
 * (e.g. "23 NOV 2026 03:42:20 UTC") is what its users parse, so that is
 * the one used, in the server's local time zone.
 */
#include <stdio.h>

#include "serve/services/services.h"

size_t sipc__daytime_format(time_t t, char *buf, size_t len)
{
	static const char months[12][4] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
	struct tm tm;
	char zone[64];
	int n;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	/* %Z: the zone's abbreviation (tm_zone) on POSIX, its name on
	 * Windows. */
	if (strftime(zone, sizeof(zone), "%Z", &tm) == 0)
		snprintf(zone, sizeof(zone), "UTC");
	n = snprintf(buf, len, "%02d %s %d %02d:%02d:%02d %s\r\n", tm.tm_mday,
		     months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     zone);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

static void daytime_open(struct sipc_conn *c)
{
	char line[128];
	size_t n = sipc__daytime_format(time(NULL), line, sizeof(line));

	sipc__conn_write(c, line, n);
	sipc__conn_end(c);
}

static void daytime_datagram(struct sipc_dgram *d, const uint8_t *buf, size_t len)
{
	char line[128];
	size_t n = sipc__daytime_format(time(NULL), line, sizeof(line));

	(void)buf;
	(void)len;
	(void)sipc__dgram_reply(d, line, n);
}

const struct sipc_service sipc__svc_daytime = {
	.name = "daytime",
	.usage = "daytime",
	.min_args = 0,
	.max_args = 0,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET | SIPC__SVC_DGRAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.on_open = daytime_open,
	.on_datagram = daytime_datagram,
};
