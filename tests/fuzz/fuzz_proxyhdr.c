/*
 * fuzz_proxyhdr.c - libFuzzer target: any bytes as the head of a
 * connection from a trusted upstream, through sipc__proxyhdr_parse.  What
 * must hold: a header is never longer than SIPC__PROXYHDR_MAX (nor than
 * the input), every proper prefix of a complete header asks for more, a
 * refusal's sentence holds no byte outside printable ASCII (it goes to a
 * log line), and an IP header formats back (same version) into a header
 * that parses to the same addresses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxyhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bad(const char *what)
{
	fprintf(stderr, "proxyhdr: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipc__proxyhdr h, again;
	uint8_t out[SIPC__PROXYHDR_MAX];
	char why[256];
	ssize_t n = sipc__proxyhdr_parse(data, size, &h, why, sizeof(why));

	if (n < 0) {
		if (n != -EPROTO)
			bad("an error other than -EPROTO");
		for (const char *p = why; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				bad("a byte outside printable ASCII in why");
		return 0;
	}
	if (n == 0) {
		if (size >= SIPC__PROXYHDR_MAX)
			bad("asks for more beyond SIPC__PROXYHDR_MAX");
		return 0;
	}
	if ((size_t)n > size || (size_t)n > SIPC__PROXYHDR_MAX)
		bad("a header longer than the input or the limit");
	for (size_t k = 0; k < (size_t)n; k++)
		if (sipc__proxyhdr_parse(data, k, &again, why, sizeof(why)) != 0)
			bad("a proper prefix of a header does not ask for more");
	if (h.local || h.src.ss.ss_family == AF_UNIX)
		return 0;
	ssize_t m = sipc__proxyhdr_format(h.version, &h.src, &h.dst, out, sizeof(out));
	if (m <= 0 || sipc__proxyhdr_parse(out, (size_t)m, &again, why, sizeof(why)) != m)
		bad("a parsed header does not format into one that parses");
	if (!sipc_addr_equal(&h.src, &again.src) || !sipc_addr_equal(&h.dst, &again.dst)) {
		/* Mapped IPv6 pairs come back as IPv4 (proxyhdr.h): the only
		 * change allowed. */
		char a[SIPC_URL_MAX], b[SIPC_URL_MAX];
		sipc_addr_format(&h.src, a, sizeof(a));
		sipc_addr_format(&again.src, b, sizeof(b));
		if (strcmp(a, b) != 0)
			bad("the source changed in a round trip");
		sipc_addr_format(&h.dst, a, sizeof(a));
		sipc_addr_format(&again.dst, b, sizeof(b));
		if (strcmp(a, b) != 0)
			bad("the destination changed in a round trip");
	}
	return 0;
}
