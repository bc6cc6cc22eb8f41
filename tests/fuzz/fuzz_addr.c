/*
 * fuzz_addr.c - libFuzzer target: arbitrary socket addresses (AF_UNIX with
 * any bytes and any length, AF_INET, AF_INET6 with any scope, unknown
 * families) through sipc_addr_from_sockaddr and sipc_addr_format, into
 * buffers of exact and too-small sizes.  What formats must be printable
 * (no control byte a peer chose reaches a log or an environment variable
 * raw) and, for a named unix address, parse back to the same address, an
 * abstract name byte for byte.
 *
 * Input: byte 0 picks the family and the scheme, byte 1 the length passed
 * in, the rest is the sockaddr after its family field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sockipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const sipc_scheme schemes[] = {SIPC_TCP,        SIPC_TCP4,       SIPC_TCP6, SIPC_UDP,
				      SIPC_UDP4,       SIPC_UDP6,       SIPC_UNIX, SIPC_UNIXGRAM,
				      SIPC_UNIXPACKET, SIPC_SCHEME_NONE};

static void bad(const char *what, const char *text)
{
	fprintf(stderr, "%s: [", what);
	for (const char *p = text; *p; p++)
		fprintf(stderr, (unsigned char)*p < 0x20 || *p == 0x7f ? "\\x%02x" : "%c",
			(unsigned char)*p);
	fprintf(stderr, "]\n");
	abort();
}

/* A named unix address formats to a URL that resolves back to it. */
static void round_trip(const sipc_addr *a, const char *text)
{
	const struct sockaddr_un *sa = (const struct sockaddr_un *)&a->ss;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	char why[SIPC_WHY_MAX], again[SIPC_URL_MAX];
	sipc_url *u = NULL;
	sipc_addr b;

	if (a->len <= off)
		return; /* unnamed: "unix://" names no address to go back to */
	if (sipc_url_parse(text, &u, why, sizeof(why)) != 0)
		bad("a formatted unix address does not parse", text);
	memset(&b, 0, sizeof(b));
	if (sipc_url_resolve(u, false, &b, 1) != 1)
		bad("a formatted unix address does not resolve", text);
	sipc_url_free(u);
	b.scheme = a->scheme;
	if (sipc_addr_format(&b, again, sizeof(again)) < 0 || strcmp(again, text) != 0)
		bad("a unix address formats differently after a round trip", text);
	if (sa->sun_path[0] == '\0' && (b.len != a->len || memcmp(&b.ss, &a->ss, a->len) != 0))
		bad("an abstract name changed in a round trip", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_UNSPEC};
	struct sockaddr_storage ss;
	sipc_addr a;
	char text[SIPC_URL_MAX];
	int n;

	if (size < 2 || size > 2 + sizeof(ss))
		return -1;
	size_t body = size - 2, room = sizeof(ss) - sizeof(sa_family_t);

	memset(&ss, 0, sizeof(ss));
	memcpy((char *)&ss + sizeof(sa_family_t), data + 2, body < room ? body : room);
	ss.ss_family = (sa_family_t)families[data[0] & 3];
	if ((data[0] & 3) == 3 && size > 2)
		ss.ss_family = data[2]; /* any family at all */
	sipc_scheme scheme = schemes[(data[0] >> 2) % (sizeof(schemes) / sizeof(schemes[0]))];
	socklen_t len = (socklen_t)(data[1] <= sizeof(ss) ? data[1] : sizeof(ss));

	memset(&a, 0, sizeof(a));
	if (sipc_addr_from_sockaddr(&a, scheme, (struct sockaddr *)&ss, len) != 0)
		return 0;
	if (!sipc_addr_equal(&a, &a))
		abort();
	n = sipc_addr_format(&a, text, sizeof(text));
	if (n < 0)
		return 0;
	if ((size_t)n != strlen(text))
		bad("format returned another length than it wrote", text);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			bad("a control byte in a formatted address", text);
	/* Exact and too-small buffers, each its own allocation so ASan sees
	 * a write past it. */
	for (size_t cap = 0; cap <= (size_t)n + 1; cap += cap < 8 ? 1 : 13) {
		char *small = malloc(cap ? cap : 1);
		int r = sipc_addr_format(&a, small, cap);
		if (r >= 0 && (cap <= (size_t)n || strcmp(small, text) != 0))
			bad("format into a small buffer", text);
		free(small);
	}
	if (sipc_scheme_is_unix(a.scheme))
		round_trip(&a, text);
	return 0;
}
