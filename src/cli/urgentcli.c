/*
 * urgentcli.c - what connect, listen and send share about urgent data: the
 * one parser of a BYTE value, the check that the URL's kind carries urgent
 * data at all (only TCP: tls would pass the byte beside its records), the
 * stderr line for a received byte, and the self-pipe that turns connect's
 * SIGQUIT into "send one now" inside the relay's poll.
 */
#include "cli/urgentcli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "urgent.h"

#define BYTE_FORMS "give one character, 0xNN (0x00-0xff) or a decimal number 00-255"

int sipc_cli_urgent_opt(void *dest, const char *value, char *why, size_t whylen)
{
	size_t len = strlen(value);
	unsigned long v;
	char *end;

	if (len == 1) {
		*(int *)dest = (unsigned char)value[0];
		return 0;
	}
	if (len == 0) {
		snprintf(why, whylen, "empty: %s", BYTE_FORMS);
		return -1;
	}
	if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
		if (len > 4 || len < 3 || !isxdigit((unsigned char)value[2]) ||
		    (len == 4 && !isxdigit((unsigned char)value[3]))) {
			snprintf(why, whylen, "'%s' is not a byte in hex (0x00-0xff)", value);
			return -1;
		}
		*(int *)dest = (int)strtoul(value + 2, NULL, 16);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)value[i])) {
			snprintf(why, whylen, "'%s' is not one byte: %s", value, BYTE_FORMS);
			return -1;
		}
	}
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno == ERANGE || v > 255) {
		snprintf(why, whylen, "'%s' is out of range 0-255", value);
		return -1;
	}
	*(int *)dest = (int)v;
	return 0;
}

int sipc_cli_urgent_check(const char *cmd, const char *option, sipc_scheme sc)
{
	if (sipc__urgent_scheme(sc))
		return 0;
	if (sipc_scheme_is_tls(sc))
		sipc_cli_error("%s: %s: not on tls URLs: the byte would pass beside the TLS "
			       "records, neither encrypted nor authenticated",
			       cmd, option);
	else
		sipc_cli_error("%s: %s: only tcp URLs carry urgent data, not %s://", cmd, option,
			       sipc_scheme_name(sc));
	return SIPC_EXIT_USAGE;
}

void sipc_cli_urgent_report(uint8_t byte)
{
	char tb[SIPC__URGENT_TEXT_MAX];

	/* One fprintf, as every stderr line of the program: it never
	 * interleaves with a --trace or --hex line. */
	fprintf(stderr, "sockipc: urgent: %s\n", sipc__urgent_text(byte, tb, sizeof(tb)));
}
