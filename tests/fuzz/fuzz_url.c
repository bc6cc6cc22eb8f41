/*
 * fuzz_url.c - libFuzzer target: URL text through sipc_url_parse, and
 * for every URL that parses, the round trip format -> parse must give the
 * same URL: the same scheme, host, port and path, and for the unix schemes
 * the same socket address byte for byte (an abstract name may hold any
 * byte, NUL included, once formatting escapes them).  Formatting twice
 * gives the same text.  Any difference aborts, so libFuzzer keeps the
 * input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void differ(const char *what, const char *text, const char *formatted)
{
	fprintf(stderr, "round trip changed the %s:\n  input     [%s]\n  formatted [%s]\n", what,
		text, formatted);
	abort();
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The socket address of a unix URL: no name service involved. */
static int unix_addr(const sipc_url *u, sipc_addr *out)
{
	memset(out, 0, sizeof(*out));
	return sipc_url_resolve(u, false, out, 1);
}

static void same_url(const sipc_url *a, const sipc_url *b, const char *text, const char *f)
{
	if (sipc_url_scheme(a) != sipc_url_scheme(b))
		differ("scheme", text, f);
	if (sipc_url_port(a) != sipc_url_port(b))
		differ("port", text, f);
	if (!same_str(sipc_url_host(a), sipc_url_host(b)))
		differ("host", text, f);
	if (sipc_url_is_abstract(a) != sipc_url_is_abstract(b))
		differ("abstract flag", text, f);
	if (!same_str(sipc_url_path(a), sipc_url_path(b)))
		differ("path", text, f);
	if (sipc_scheme_is_unix(sipc_url_scheme(a))) {
		sipc_addr x, y;
		int rx = unix_addr(a, &x), ry = unix_addr(b, &y);

		if (rx != ry)
			differ("resolve result", text, f);
		if (rx > 0 && (x.len != y.len || memcmp(&x.ss, &y.ss, x.len) != 0))
			differ("socket address", text, f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1024], f1[SIPC_URL_MAX], f2[SIPC_URL_MAX], why[SIPC_WHY_MAX];
	sipc_url *u = NULL, *v = NULL;

	if (size >= sizeof(text))
		return -1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sipc_url_parse(text, &u, why, sizeof(why)) != 0)
		return 0;
	if (sipc_url_format(u, f1, sizeof(f1)) < 0) {
		fprintf(stderr, "a parsed URL does not format: [%s]\n", text);
		abort();
	}
	if (sipc_url_parse(f1, &v, why, sizeof(why)) != 0) {
		fprintf(stderr, "a formatted URL does not parse: [%s] -> [%s]: %s\n", text, f1,
			why);
		abort();
	}
	same_url(u, v, text, f1);
	if (sipc_url_format(v, f2, sizeof(f2)) < 0 || strcmp(f1, f2) != 0)
		differ("formatted text", f1, f2);
	/* Too small a buffer is an error code, never a write past it. */
	for (size_t n = 0; n < strlen(f1) + 1; n += 7) {
		char *small = malloc(n ? n : 1);
		if (small != NULL && sipc_url_format(u, small, n) >= 0 && n <= strlen(f1)) {
			fprintf(stderr, "format into %zu bytes claimed success: [%s]\n", n, f1);
			abort();
		}
		free(small);
	}
	sipc_url_free(u);
	sipc_url_free(v);
	return 0;
}
